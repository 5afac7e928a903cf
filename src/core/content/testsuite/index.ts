export { contentStoreSuite } from './content-store-suite.js';
