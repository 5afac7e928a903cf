/**
 * Leases keep garbage collection away from content that is being made but not yet named: an
 * import's layer before its image name is written, a build's step layers before its image is
 * committed, a container's root before its record exists. Many leases may be held at once, by
 * any number of berth processes and by any number of operations inside one process; collection
 * runs only when none is held, and otherwise skips (the next collection reclaims what this one
 * left). A lease dies with its process.
 *
 * Neither call blocks the event loop: `acquire` waits (asynchronously) only while a collection
 * runs, in this process or another one, and `tryCollect` never waits. So a long-running process
 * may collect and acquire leases concurrently without deadlocking itself.
 */
export interface Lease {
  /** Gives the lease back; a second call does nothing. */
  release(): void;
}

export interface LeaseManager {
  /**
   * A shared lease; waits only while a collection is running. Rejects with Aborted
   * (BERTH_E_ABORTED) when `signal` aborts first.
   */
  acquire(options?: { signal?: AbortSignal }): Promise<Lease>;
  /** The collector's exclusive lease, without waiting: undefined while any lease is held. */
  tryCollect(): Lease | undefined;
}

/** Runs `fn` under a shared lease. */
export async function withLease<T>(leases: LeaseManager, fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
  const lease = await leases.acquire(options);
  try {
    return await fn();
  } finally {
    lease.release();
  }
}
