export { chainIds, resolveImage } from './image.js';
export type { ImageRecord, ResolvedImage } from './image.js';
export { mergeCompressedLayer, validateCompressedLayer } from './compressed-layer.js';
export type { CompressedLayer } from './compressed-layer.js';
export { validateConfig, validateManifest } from './validate-image.js';
