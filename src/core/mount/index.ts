export { isMounted, mountAll, unmountAll } from './mount.js';
export type { Mount } from './mount.js';
