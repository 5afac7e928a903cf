export { createFsMetadataStore } from './fs-metadata-store.js';
export { createFsLeases } from './fs-leases.js';
