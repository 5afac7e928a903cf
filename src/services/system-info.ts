/**
 * What `berth version` and `berth info` report about the engine and the host: the facts, which
 * api/system-view.ts lays out as Docker's Version and Info. Daemonless, the "server" is the
 * engine in this process on this store.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { arch, availableParallelism, hostname, machine, release, totalmem } from 'node:os';

import type { SystemFacts } from '../api/index.js';
import type { EngineContext } from './engine-context.js';

/** statfs f_type → the name Docker gives the backing file system. */
const fsNames: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs', 0x6969: 'nfs',
};

function osRelease(): Record<string, string> {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const fields: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line);
      if (m) fields[m[1] as string] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
    }
    return fields;
  } catch {
    return {};
  }
}

/** `crun --version` → `1.8.1`, `runc --version` → `1.1.5+ds1`; undefined when it cannot be run. */
function runtimeVersion(binary: string): string | undefined {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return /version\s+(\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

export function systemFacts(ctx: EngineContext): SystemFacts {
  const containers = ctx.metadata.listContainers();
  const count = (status: string) => containers.filter((c) => c.state.status === status).length;
  const images = new Set(ctx.metadata.listImages().map((r) => r.id));
  const runtimes: SystemFacts['runtimes'] = [];
  for (const name of ['crun', 'runc']) {
    try {
      const binary = ctx.runtime(name).driver.commandLine[0] ?? name;
      const version = runtimeVersion(binary);
      runtimes.push({ name, path: binary, ...(version !== undefined ? { version } : {}) });
    } catch {
      // Not installed: not offered.
    }
  }
  let defaultRuntime = runtimes[0]?.name ?? 'crun';
  try {
    defaultRuntime = ctx.runtime(undefined).driver.name;
  } catch {
    // No runtime at all: the first configured one is still the default.
  }
  let backing = 'unknown';
  try {
    backing = fsNames[statfsSync(ctx.paths.root).type] ?? backing;
  } catch {
    // Unreadable: unknown.
  }
  const os = osRelease();
  const running = count('running');
  const paused = count('paused');
  return {
    containers: { total: containers.length, running, paused, stopped: containers.length - running - paused },
    images: images.size,
    backingFilesystem: backing,
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    runtimes,
    defaultRuntime,
    kernelVersion: release(),
    operatingSystem: os.PRETTY_NAME ?? 'Linux',
    osVersion: os.VERSION_ID ?? '',
    architecture: machine(),
    goArch: ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch()] ?? arch(),
    ncpu: availableParallelism(),
    memTotal: totalmem(),
    name: hostname(),
    rootDir: ctx.paths.root,
    nodeVersion: process.version,
    initVersion: existsSync('/usr/bin/tini-static') ? runtimeVersion('/usr/bin/tini-static') ?? '' : '',
  };
}
