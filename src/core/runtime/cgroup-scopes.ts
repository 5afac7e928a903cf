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
}
