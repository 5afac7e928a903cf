export { createLocalVolumeStore } from './local-volume-store.js';
