export { isMounted, mountAll, unmountAll, volatileMounts } from './mount.js';
export type { Mount } from './mount.js';
