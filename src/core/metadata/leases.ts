/**
 * Leases keep garbage collection away from content that is being made but not yet named: an
 * import's layer before its image name is written, a build's step layers before its image is
 * committed, a container's root before its record exists. Many leases may be held at once, by
 * any number of berth processes; collection runs only when none is held, and otherwise skips
 * (the next collection reclaims what this one left). A lease dies with its process.
 */
export interface Lease {
  release(): void;
}

export interface LeaseManager {
  /** A shared lease; waits only while a collection is running. */
  acquire(): Lease;
  /** The collector's exclusive lease, without waiting: undefined while any lease is held. */
  tryCollect(): Lease | undefined;
}

/** Runs `fn` under a shared lease. */
export async function withLease<T>(leases: LeaseManager, fn: () => Promise<T>): Promise<T> {
  const lease = leases.acquire();
  try {
    return await fn();
  } finally {
    lease.release();
  }
}
