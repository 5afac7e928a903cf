export { chainIds, resolveImage } from './image.js';
export type { ImageRecord, ResolvedImage } from './image.js';
