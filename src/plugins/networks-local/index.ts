export { createLocalNetworkStore } from './local-network-store.js';
