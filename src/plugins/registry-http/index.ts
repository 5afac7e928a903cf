export { createHttpRegistryClient, credentialsFor, isLoopbackHost } from './http-registry-client.js';
export type { Credentials, HttpRegistryOptions } from './http-registry-client.js';
