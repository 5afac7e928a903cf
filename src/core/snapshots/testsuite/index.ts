export { snapshotterSuite } from './snapshotter-suite.js';
