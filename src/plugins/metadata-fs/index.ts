export { createFsMetadataStore } from './fs-metadata-store.js';
