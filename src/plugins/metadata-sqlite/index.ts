export { createSqliteMetadataStore } from './sqlite-metadata-store.js';
