/**
 * core/distribution: what berth needs of a registry (`RegistryClient`, implemented by
 * plugins/registry-http) and the pure parts of talking to one (authentication challenges).
 */
export { maxManifestSize } from './registry-client.js';
export type { FetchedManifest, RegistryClient, RegistryClientFactory, RegistryClientOptions } from './registry-client.js';
export { parseChallenge } from './challenge.js';
export type { AuthChallenge } from './challenge.js';
