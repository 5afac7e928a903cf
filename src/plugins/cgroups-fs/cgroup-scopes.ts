import { closeSync, constants, openSync, readdirSync, readFileSync, readSync, rmdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode } from '../../base/index.js';
import type { CgroupScopes } from '../../core/runtime/index.js';

const hostCgroupRoot = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Cgroup scopes on the host's cgroupfs, for cgroup v2 (unified) and v1 (one hierarchy per
 * controller, this machine kind's layout). A container's cgroup is `/<parent>/<id>/ctr`; the
 * scope `/<parent>/<id>` outlives the runtime's own cleanup just long enough to read the
 * hierarchical `oom_kill` counter (v2 memory.events, v1 memory.oom_control).
 */
export function createCgroupScopes(parent = 'berth', host: { root?: string; unified?: boolean } = {}): CgroupScopes {
  // Tests give a directory tree shaped like either layout; the host's is read from /sys/fs/cgroup.
  const cgroupRoot = host.root ?? hostCgroupRoot;
  let unified = host.unified;
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
      if (match !== null && Number(match[1]) > 0) return true;
      // cgroup v1 counts OOM kills only in the memcg that hit its limit (the runtime's leaf,
      // already deleted); the kernel log still names that memcg in its oom-kill record.
      return !isUnified() && kernelLogMentions(`oom_memcg=${scopePath(id)}/`);
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
        for (const name of names) if (/^([a-f0-9]{64}|build-[\w-]+)$/.test(name)) found.add(`${hierarchy}/${parent}/${name}`);
      }
      return [...found].sort();
    },
  };
}

/** True when a record of the kernel log (/dev/kmsg) contains `needle`. */
function kernelLogMentions(needle: string): boolean {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (['ENOENT', 'EACCES', 'EPERM'].includes(errnoCode(err) ?? '')) return false;
    throw err;
  }
  const buffer = Buffer.alloc(8192);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EPIPE') continue; // records overwritten while reading: go on with the next
        if (code === 'EAGAIN') return false; // end of the log
        throw err;
      }
      if (n === 0) return false;
      if (buffer.toString('latin1', 0, n).includes(needle)) return true;
    }
  } finally {
    closeSync(fd);
  }
}
