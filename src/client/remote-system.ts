/** The SystemEngine of a remote engine: the daemon's facts (info, version), disk usage and events. */
import type { DiskUsage, EventMessage, EventsOptions, SystemEngine, SystemFacts } from '../api/index.js';
import type { DockerApi } from './docker-api.js';
import { filtersParam } from './docker-api.js';
import type { RemoteDeletions } from './remote-images.js';
import type { Unsupported } from './unsupported.js';

interface DockerInfo {
  Containers: number; ContainersRunning: number; ContainersPaused: number; ContainersStopped: number; Images: number;
  DriverStatus?: [string, string][] | null; CgroupVersion?: string; Runtimes?: Record<string, { path?: string }> | null; DefaultRuntime?: string;
  KernelVersion: string; OperatingSystem: string; OSVersion?: string; Architecture: string; NCPU: number; MemTotal: number; Name: string; DockerRootDir: string;
  InitCommit?: { ID?: string };
}

interface DockerVersion {
  Version: string; ApiVersion: string; MinAPIVersion?: string; GitCommit?: string; GoVersion?: string; Arch?: string; BuildTime?: string;
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[] | null;
}

interface DockerBuildCache {
  ID?: string; Type?: string; Description?: string; InUse?: boolean; Shared?: boolean; Size?: number;
  CreatedAt?: string; LastUsedAt?: string | null; UsageCount?: number;
}

interface DockerDf {
  LayersSize?: number;
  Images?: { Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number }[] | null;
  Containers?: { Id: string; SizeRw?: number; State?: string; Mounts?: { Type: string }[] | null }[] | null;
  Volumes?: { Name: string; UsageData?: { RefCount: number; Size: number } | null }[] | null;
  BuildCache?: DockerBuildCache[] | null;
}

/** The docker CLI's build cache total: records shared with an image count under it; in-use ones are not reclaimable. */
function buildCacheOf(records: readonly DockerBuildCache[]): DiskUsage['buildCache'] {
  const size = records.filter((b) => b.Shared !== true).reduce((t, b) => t + (b.Size ?? 0), 0);
  const inUse = records.filter((b) => b.Shared !== true && b.InUse === true).reduce((t, b) => t + (b.Size ?? 0), 0);
  const rows = records.filter((b) => b.Type === 'regular' || b.Type === 'exec.cachemount').map((b) => ({
    id: b.ID ?? '', type: b.Type as 'regular' | 'exec.cachemount', description: b.Description ?? '', size: b.Size ?? 0, shared: b.Shared === true,
    inUse: b.InUse === true, created: b.CreatedAt ?? '', lastUsed: b.LastUsedAt ?? '', usage: b.UsageCount ?? 0,
  }));
  return { count: records.length, size, reclaimable: size - inUse, records: rows };
}

export function remoteSystem(api: DockerApi, unsupported: Unsupported, deleted: RemoteDeletions): SystemEngine {
  return {
    check: () => Promise.reject(unsupported('system check', "it verifies a local store's files")),

    // What a removal through the daemon deleted (rmi, image prune): the daemon collects its own content,
    // and an image prune's answer says how many bytes that freed.
    gc: async () => {
      const spaceReclaimed = deleted.bytes;
      deleted.bytes = 0;
      return { removed: deleted.ids.splice(0).map((id) => `blob ${id}`), leftovers: [], spaceReclaimed };
    },

    async pruneBuildCache(options = {}) {
      const res = await api.json<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/build/prune', {
        query: { all: options.all ? '1' : undefined, 'keep-storage': options.keepStorage ? String(options.keepStorage) : undefined, filters: filtersParam(options.filters ?? []) },
      });
      return { deleted: res.CachesDeleted ?? [], spaceReclaimed: res.SpaceReclaimed ?? 0 };
    },

    events: (options: EventsOptions) => events(api, options),

    async facts(): Promise<SystemFacts> {
      const [info, version] = await Promise.all([api.json<DockerInfo>('GET', '/info'), api.json<DockerVersion>('GET', '/version')]);
      const components = version.Components ?? [{ Name: 'Engine', Version: version.Version, Details: { ApiVersion: version.ApiVersion } }];
      const versionOf = (name: string) => components.find((c) => c.Name === name)?.Version;
      return {
        containers: { total: info.Containers, running: info.ContainersRunning, paused: info.ContainersPaused, stopped: info.ContainersStopped },
        images: info.Images,
        backingFilesystem: (info.DriverStatus ?? []).find(([k]) => k === 'Backing Filesystem')?.[1] ?? '',
        cgroupVersion: info.CgroupVersion === '1' ? '1' : '2',
        runtimes: Object.entries(info.Runtimes ?? {}).map(([name, r]) => ({ name, path: r.path ?? name, ...(versionOf(name) !== undefined ? { version: versionOf(name) as string } : {}) })),
        defaultRuntime: info.DefaultRuntime ?? '',
        kernelVersion: info.KernelVersion,
        operatingSystem: info.OperatingSystem,
        osVersion: info.OSVersion ?? '',
        architecture: info.Architecture,
        goArch: version.Arch ?? '',
        ncpu: info.NCPU,
        memTotal: info.MemTotal,
        name: info.Name,
        rootDir: info.DockerRootDir,
        nodeVersion: process.version,
        initVersion: versionOf('docker-init') ?? info.InitCommit?.ID ?? '',
        server: {
          version: version.Version, apiVersion: version.ApiVersion, minApiVersion: version.MinAPIVersion ?? version.ApiVersion,
          goVersion: version.GoVersion ?? '', gitCommit: version.GitCommit ?? '', buildTime: version.BuildTime ?? '', components,
        },
      };
    },

    async df(): Promise<DiskUsage> {
      const df = await api.json<DockerDf>('GET', '/system/df');
      const images = (df.Images ?? []).map((i) => ({
        id: i.Id, names: (i.RepoTags ?? []).filter((n) => n !== '<none>:<none>'), created: new Date(i.Created * 1000).toISOString(),
        size: i.Size, sharedSize: Math.max(0, i.SharedSize), containers: Math.max(0, i.Containers),
      }));
      const total = df.LayersSize ?? images.reduce((t, i) => t + i.size, 0);
      // The docker CLI's reclaimable: what images without containers alone hold.
      const used = images.filter((i) => i.containers > 0).reduce((t, i) => t + (i.size - i.sharedSize), 0);
      return {
        images,
        imagesTotal: total,
        imagesReclaimable: Math.max(0, total - used),
        containers: (df.Containers ?? []).map((c) => ({ id: c.Id, size: c.SizeRw ?? 0, volumes: (c.Mounts ?? []).filter((m) => m.Type === 'volume').length, status: (c.State ?? 'created') as DiskUsage['containers'][number]['status'] })),
        volumes: (df.Volumes ?? []).map((v) => ({ name: v.Name, links: Math.max(0, v.UsageData?.RefCount ?? 0), size: Math.max(0, v.UsageData?.Size ?? 0) })),
        buildCache: buildCacheOf(df.BuildCache ?? []),
      };
    },
  };
}

/** Nanoseconds since the epoch as the API's `SECONDS.NANOSECONDS`. */
function apiTime(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  return `${s}.${String(ns - s * 1_000_000_000n).padStart(9, '0')}`;
}

async function* events(api: DockerApi, options: EventsOptions): AsyncGenerator<EventMessage> {
  const res = await api.request('GET', '/events', {
    query: { since: options.since !== undefined ? apiTime(options.since) : undefined, until: options.until !== undefined ? apiTime(options.until) : undefined, filters: filtersParam(options.filters) },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let pending = '';
  try {
    for await (const chunk of res) {
      pending += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') yield eventOf(line);
      }
    }
  } catch (err) {
    if (options.signal?.aborted) return;
    throw err;
  }
}

/** One event; timeNano read from the text (a JSON number loses its last digits). */
function eventOf(line: string): EventMessage {
  const raw = JSON.parse(line) as Omit<EventMessage, 'timeNano'> & { timeNano?: number };
  const nanos = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
  const { timeNano: _dropped, ...rest } = raw;
  void _dropped;
  return { ...rest, scope: 'local', timeNano: nanos !== undefined ? BigInt(nanos) : BigInt(raw.time) * 1_000_000_000n };
}
