import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode } from '../../base/index.js';
import type { CgroupFeatures, CgroupScopes, CgroupStats } from '../../core/runtime/index.js';

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
  let features: CgroupFeatures | undefined;
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
    processes(id) {
      // v1: every controller's hierarchy holds the same processes; pids (or memory) exists where containers run.
      const dirs = isUnified() ? [cgroupRoot] : ['pids', 'memory', 'cpu', 'freezer'].map((c) => join(cgroupRoot, c));
      for (const dir of dirs) {
        const pids = procsBelow(join(dir, scopePath(id), 'ctr'));
        if (pids !== undefined) return pids;
      }
      return [];
    },
    frozen(id) {
      return isUnified()
        ? /^frozen 1$/m.test(readOrEmpty(join(cgroupRoot, scopePath(id), 'ctr', 'cgroup.events')))
        : readOrEmpty(join(cgroupRoot, 'freezer', scopePath(id), 'ctr', 'freezer.state')).trim() === 'FROZEN';
    },
    features() {
      return (features ??= readFeatures(cgroupRoot, isUnified()));
    },
    stats(id) {
      return isUnified() ? statsV2(join(cgroupRoot, scopePath(id), 'ctr'), readOrEmpty) : statsV1(cgroupRoot, `${scopePath(id)}/ctr`, readOrEmpty);
    },
  };
}

/**
 * v2: the `io` controller gives weights and limits (dockerd's rule; the runtime writes io.weight
 * or io.bfq.weight, io.max); swappiness and oom_control do not exist. v1: each setting's file
 * in its controller's root, with BFQ's weight files as the runtime's fallback.
 */
function readFeatures(root: string, unified: boolean): CgroupFeatures {
  if (unified) {
    let controllers: string[] = [];
    try {
      controllers = readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    const io = controllers.includes('io');
    return { version: 2, memorySwappiness: false, oomKillDisable: false, blkioWeight: io, blkioWeightDevice: io, blkioThrottle: io };
  }
  const has = (controller: string, ...files: string[]) => files.some((f) => existsSync(join(root, controller, f)));
  return {
    version: 1,
    memorySwappiness: has('memory', 'memory.swappiness'),
    oomKillDisable: has('memory', 'memory.oom_control'),
    blkioWeight: has('blkio', 'blkio.weight', 'blkio.bfq.weight'),
    blkioWeightDevice: has('blkio', 'blkio.weight_device', 'blkio.bfq.weight_device'),
    blkioThrottle: has('blkio', 'blkio.throttle.read_bps_device'),
  };
}

/** cgroup.procs of a cgroup and its descendants, sorted; undefined when the cgroup does not exist. */
function procsBelow(dir: string): number[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const pids = text.split('\n').filter(Boolean).map(Number);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) pids.push(...(procsBelow(join(dir, entry.name)) ?? []));
  }
  return [...new Set(pids)].sort((a, b) => a - b);
}

type Reader = (path: string) => string;

const keyed = (text: string, key: string): number => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
const number = (text: string): number => (/^\d+/.test(text.trim()) ? Number(text.trim()) : 0);
/** Limits at or above 2^62 are "unlimited" (v1 writes 9223372036854771712). */
const limit = (text: string): number | undefined => {
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  return n >= 2 ** 62 ? undefined : n;
};

function statsV2(dir: string, read: Reader): CgroupStats | undefined {
  const cpu = read(join(dir, 'cpu.stat'));
  if (cpu === '') return undefined;
  let blockRead = 0;
  let blockWrite = 0;
  for (const line of read(join(dir, 'io.stat')).split('\n')) {
    blockRead += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
    blockWrite += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return {
    cpuUsageNs: keyed(cpu, 'usage_usec') * 1000,
    memoryUsage: number(read(join(dir, 'memory.current'))),
    memoryInactiveFile: keyed(read(join(dir, 'memory.stat')), 'inactive_file'),
    memoryLimit: limit(read(join(dir, 'memory.max'))),
    pids: number(read(join(dir, 'pids.current'))),
    blockRead,
    blockWrite,
  };
}

function statsV1(root: string, path: string, read: Reader): CgroupStats | undefined {
  const usage = read(join(root, 'cpuacct', path, 'cpuacct.usage'));
  const memory = read(join(root, 'memory', path, 'memory.usage_in_bytes'));
  if (usage === '' && memory === '') return undefined;
  let blockRead = 0;
  let blockWrite = 0;
  for (const line of read(join(root, 'blkio', path, 'blkio.throttle.io_service_bytes_recursive')).split('\n')) {
    const m = /^\d+:\d+ (Read|Write) (\d+)$/.exec(line.trim());
    if (m?.[1] === 'Read') blockRead += Number(m[2]);
    if (m?.[1] === 'Write') blockWrite += Number(m[2]);
  }
  return {
    cpuUsageNs: number(usage),
    memoryUsage: number(memory),
    memoryInactiveFile: keyed(read(join(root, 'memory', path, 'memory.stat')), 'total_inactive_file'),
    memoryLimit: limit(read(join(root, 'memory', path, 'memory.limit_in_bytes'))),
    pids: number(read(join(root, 'pids', path, 'pids.current'))),
    blockRead,
    blockWrite,
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
