import { readdirSync, readFileSync, rmdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode } from '../../base/index.js';
import type { CgroupScopes } from '../../core/runtime/index.js';

const cgroupRoot = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Cgroup scopes on the host's cgroupfs, for cgroup v2 (unified) and v1 (one hierarchy per
 * controller, this machine kind's layout). A container's cgroup is `/<parent>/<id>/ctr`; the
 * scope `/<parent>/<id>` outlives the runtime's own cleanup just long enough to read the
 * hierarchical `oom_kill` counter (v2 memory.events, v1 memory.oom_control).
 */
export function createCgroupScopes(parent = 'berth'): CgroupScopes {
  let unified: boolean | undefined;
  const isUnified = () => (unified ??= statfsSync(cgroupRoot).type === CGROUP2_SUPER_MAGIC);
  const hierarchies = (): string[] => {
    if (isUnified()) return [cgroupRoot];
    return readdirSync(cgroupRoot, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.isSymbolicLink())
      .map((d) => join(cgroupRoot, d.name));
  };
  const scopePath = (id: string) => `/${parent}/${id}`;
  const readOrEmpty = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return '';
      throw err;
    }
  };
  return {
    scopePath,
    containerPath: (id) => `${scopePath(id)}/ctr`,
    oomKilled(id) {
      const text = isUnified()
        ? readOrEmpty(join(cgroupRoot, scopePath(id), 'memory.events'))
        : readOrEmpty(join(cgroupRoot, 'memory', scopePath(id), 'memory.oom_control'));
      const match = /^oom_kill (\d+)$/m.exec(text);
      return match !== null && Number(match[1]) > 0;
    },
    remove(id) {
      for (const hierarchy of hierarchies()) {
        for (const dir of [join(hierarchy, scopePath(id), 'ctr'), join(hierarchy, scopePath(id))]) {
          try {
            rmdirSync(dir);
          } catch (err) {
            const code = errnoCode(err);
            if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
          }
        }
      }
    },
    list() {
      const found = new Set<string>();
      for (const hierarchy of hierarchies()) {
        let names: string[] = [];
        try {
          names = readdirSync(join(hierarchy, parent));
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err;
        }
        for (const name of names) if (/^[a-f0-9]{64}$/.test(name)) found.add(`${hierarchy}/${parent}/${name}`);
      }
      return [...found].sort();
    },
  };
}
