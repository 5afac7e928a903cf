export { createLocalContentStore, verifyBlob } from './local-content-store.js';
