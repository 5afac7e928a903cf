/**
 * Per-container cgroup scopes: the runtime creates the container's cgroup under a scope berth
 * owns (`/berth/<id>/ctr`), so after the runtime has deleted its cgroup berth can still read
 * whether the kernel OOM-killed something in it, then remove the scope.
 */
export interface CgroupScopes {
  scopePath(id: string): string;
  containerPath(id: string): string;
  oomKilled(id: string): boolean;
  remove(id: string): void;
  /** Scopes that exist on the host, containers' and build steps' (to check that nothing is left behind). */
  list(): string[];
  /** The pids of every process in the container's cgroup and those below it (`top`); empty when it has none. */
  processes(id: string): number[];
  /** Resource usage of the container's cgroup (`stats`), read on cgroup v1 and v2; undefined when it does not exist. */
  stats(id: string): CgroupStats | undefined;
  /** Whether every process of the container's cgroup is frozen (v1 freezer.state FROZEN, v2 cgroup.events `frozen 1`). */
  frozen(id: string): boolean;
  /** What the host's cgroups can apply beyond memory, CPU and pids limits (Docker's sysinfo), read once. */
  features(): CgroupFeatures;
}

/**
 * The optional cgroup limits this host can apply, as Docker's sysinfo finds them: cgroup v2 has
 * no swappiness and no way to disable the OOM killer; v1 block I/O weights need the CFQ or BFQ
 * scheduler's files.
 */
export interface CgroupFeatures {
  version: 1 | 2;
  memorySwappiness: boolean;
  oomKillDisable: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  /** Read and write limits, bytes and operations per second. */
  blkioThrottle: boolean;
}

/** What `stats` shows of a container's cgroup: raw counters, as the kernel keeps them. */
export interface CgroupStats {
  /** CPU time used by all its processes, in nanoseconds. */
  cpuUsageNs: number;
  /** Memory charged to it, page cache included, in bytes. */
  memoryUsage: number;
  /** Inactive file cache (reclaimable), which Docker subtracts from the usage it shows. */
  memoryInactiveFile: number;
  /** The memory limit in bytes; undefined when unlimited. */
  memoryLimit: number | undefined;
  pids: number;
  blockRead: number;
  blockWrite: number;
}
