export * from './image-spec.js';
export * from './reference.js';
export * from './runtime-spec.js';
export * from './platform-match.js';
