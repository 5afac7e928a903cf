export type { ContentInfo, ContentStore, ContentWriter, Expected } from './content-store.js';
export { putJson, readJson } from './json.js';
