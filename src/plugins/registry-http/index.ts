export { createHttpRegistryClient, credentialsFor, isLoopbackHost, readRegistriesConfig } from './http-registry-client.js';
export type { Credentials, HttpRegistryOptions, RegistriesConfig } from './http-registry-client.js';
