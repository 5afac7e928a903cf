export * from './errors.js';
export * from './digest.js';
export * from './ids.js';
export * from './atomic-file.js';
export * from './trace.js';
export * from './secure-join.js';
export * from './record-files.js';
export * from './process.js';
