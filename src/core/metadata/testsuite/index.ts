export { metadataStoreSuite } from './metadata-store-suite.js';
export type { MetadataStoreSuiteOptions } from './metadata-store-suite.js';
export { compressedLayer, containerRecord, idOf, imageRecord } from './records.js';
