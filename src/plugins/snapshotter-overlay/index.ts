export { createOverlaySnapshotter } from './overlay-snapshotter.js';
