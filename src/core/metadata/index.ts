export type { MetadataStore } from './metadata-store.js';
export { withLease } from './leases.js';
export type { Lease, LeaseManager } from './leases.js';
