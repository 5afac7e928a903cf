export { metadataStoreSuite } from './metadata-store-suite.js';
export type { MetadataStoreSuiteOptions } from './metadata-store-suite.js';
export { containerRecord, idOf, imageRecord } from './records.js';
