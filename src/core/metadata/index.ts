export type { MetadataStore } from './metadata-store.js';
