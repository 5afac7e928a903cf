/**
 * `ContainerEngine.hostFacts`: where a container's files are and what runs it, for `inspect`
 * (see api/container-host-facts.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { isNotFound } from '../base/index.js';
import type { ContainerHostFacts } from '../api/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { containerDir } from './container-lifecycle.js';
import { logPath } from './container-monitor.js';
import type { EngineContext } from './engine-context.js';

/** A path if the file exists (dockerd leaves these empty until the container first starts). */
const ifExists = (path: string) => (existsSync(path) ? path : '');

export async function containerHostFacts(ctx: EngineContext, record: ContainerRecord): Promise<ContainerHostFacts> {
  const dir = containerDir(ctx, record.id);
  let graphDriver: ContainerHostFacts['graphDriver'] = null;
  try {
    const mounts = await ctx.snapshots.mounts(record.snapshotKey);
    const options = mounts.find((m) => m.type === 'overlay')?.options ?? [];
    const option = (name: string) => options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
    const upper = option('upperdir');
    if (upper !== undefined) {
      const lower = option('lowerdir');
      graphDriver = { ...(lower !== undefined ? { LowerDir: lower } : {}), MergedDir: join(dir, 'rootfs'), UpperDir: upper, WorkDir: option('workdir') ?? '' };
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const volumeSources: Record<string, string> = {};
  for (const b of record.hostConfig.binds) {
    if (b.type === 'volume' && b.source !== '') volumeSources[b.source] = ctx.volumes.get(b.source)?.mountpoint ?? '';
  }
  let runtime = record.hostConfig.runtime;
  if (!runtime) {
    try {
      runtime = ctx.runtime(undefined).driver.name;
    } catch {
      runtime = '';
    }
  }
  return {
    resolvConfPath: ifExists(join(dir, 'resolv.conf')),
    hostnamePath: ifExists(join(dir, 'hostname')),
    hostsPath: ifExists(join(dir, 'hosts')),
    logPath: ifExists(logPath(ctx, record)),
    graphDriver,
    runtime,
    volumeSources,
  };
}
