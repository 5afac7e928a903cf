/**
 * core/network: how containers and build steps are networked. Today the modes (`none`, `host`);
 * the network driver interface, endpoints and port mappings join them with the networks work.
 */
export { networkModes, parseNetworkMode, sharesHostNetwork } from './network-mode.js';
export type { NetworkMode } from './network-mode.js';
