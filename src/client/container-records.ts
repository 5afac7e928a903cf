/**
 * Docker's container JSON (inspect, and the list's summaries) as berth's ContainerRecord, so that
 * the CLI's views (ps rows, inspect, status texts) print a daemon's containers as they print the
 * store's. Both directions of the trip are Docker's shapes: berth's inspect view writes what it
 * reads here, so a berth daemon's container comes back as the record it was.
 */
import type { ContainerRecord, ContainerStatus, HostConfig, MountSpec, PublishedPort } from '../api/index.js';
import { blkioThrottleFields } from '../api/index.js';

/** The fields of Docker's container inspect body the remote engine reads. */
export interface DockerContainerJson {
  Id: string;
  Created: string;
  Name: string;
  Image: string;
  RestartCount?: number;
  State: {
    Status: string; Pid: number; ExitCode: number; OOMKilled: boolean; Error: string; StartedAt: string; FinishedAt: string;
    Health?: { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] | null };
  };
  Config: Record<string, unknown> & { Image?: string; Hostname?: string; Labels?: Record<string, string> | null; ExposedPorts?: Record<string, object> | null };
  HostConfig: Record<string, unknown>;
  Mounts?: DockerMount[] | null;
  NetworkSettings?: {
    SandboxKey?: string;
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks?: Record<string, { NetworkID: string; EndpointID: string; Gateway: string; IPAddress: string; IPPrefixLen: number; MacAddress: string; Aliases?: string[] | null }> | null;
  };
  SizeRw?: number;
  SizeRootFs?: number;
  ResolvConfPath?: string;
  HostnamePath?: string;
  HostsPath?: string;
  LogPath?: string;
  GraphDriver?: { Name?: string; Data?: Record<string, string> | null };
}

export interface DockerMount {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  RW?: boolean;
  Propagation?: string;
}

/** An element of `GET /containers/json`. */
export interface DockerContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  Mounts?: DockerMount[] | null;
}

const statuses: readonly ContainerStatus[] = ['created', 'running', 'paused', 'restarting', 'exited', 'removing', 'dead'];

function status(text: string): ContainerStatus {
  return (statuses as readonly string[]).includes(text) ? (text as ContainerStatus) : 'dead';
}

/** A container inspect body as a record. */
export function recordFromInspect(json: DockerContainerJson): ContainerRecord {
  const h = json.HostConfig;
  const config = { ...json.Config } as ContainerRecord['config'];
  config.Hostname ??= '';
  config.Image ??= '';
  if (config.Labels === null) delete config.Labels;
  const health = json.State.Health;
  const record: ContainerRecord = {
    id: json.Id,
    name: json.Name.replace(/^\//, ''),
    image: json.Config.Image ?? json.Image,
    imageId: json.Image,
    createdAt: json.Created,
    config,
    hostConfig: hostConfigFrom(h, json.Mounts ?? []),
    snapshotKey: '',
    state: {
      status: status(json.State.Status), pid: json.State.Pid, exitCode: json.State.ExitCode, oomKilled: json.State.OOMKilled,
      error: json.State.Error, startedAt: json.State.StartedAt, finishedAt: json.State.FinishedAt,
      ...(json.RestartCount ? { restartCount: json.RestartCount } : {}),
      ...(health ? {
        health: {
          status: health.Status as 'starting' | 'healthy' | 'unhealthy', failingStreak: health.FailingStreak,
          log: (health.Log ?? []).map((e) => ({ start: e.Start, end: e.End, exitCode: e.ExitCode, output: e.Output })),
        },
      } : {}),
    },
  };
  const ns = json.NetworkSettings;
  const networks = Object.entries(ns?.Networks ?? {}).filter(([, e]) => e.EndpointID !== '');
  if (networks.length > 0 || Object.values(ns?.Ports ?? {}).some((b) => b !== null && b.length > 0)) {
    record.networkSettings = {
      sandboxKey: ns?.SandboxKey ?? '',
      networks: Object.fromEntries(networks.map(([name, e]) => [name, {
        networkId: e.NetworkID, endpointId: e.EndpointID, ipAddress: e.IPAddress, prefixLen: e.IPPrefixLen, gateway: e.Gateway, macAddress: e.MacAddress, aliases: e.Aliases ?? [],
      }])),
      ports: publishedPorts(ns?.Ports ?? {}),
    };
  }
  return record;
}

/**
 * A list summary as a record: what `ps` shows. The summary has no start or finish time, only
 * Docker's status text (`Up 5 minutes`, `Exited (0) 2 hours ago`): the times are set back from
 * it, so that the views compute the same text.
 */
export function recordFromSummary(s: DockerContainerSummary, now = Date.now()): ContainerRecord {
  const exposed = s.Ports.filter((p) => p.PublicPort === undefined || p.PublicPort === 0);
  const published = s.Ports.filter((p) => p.PublicPort !== undefined && p.PublicPort !== 0);
  const times = timesFromStatus(s.Status, now);
  const record: ContainerRecord = {
    id: s.Id,
    name: (s.Names[0] ?? '').replace(/^\//, ''),
    image: s.Image,
    imageId: s.ImageID,
    createdAt: new Date(s.Created * 1000).toISOString(),
    // The command as one word: the views join the process args with spaces, which gives it back.
    config: {
      Hostname: '', Image: s.Image, Cmd: s.Command === '' ? [] : [s.Command], Entrypoint: null,
      ...(s.Labels ? { Labels: s.Labels } : {}),
      ...(exposed.length > 0 ? { ExposedPorts: Object.fromEntries(exposed.map((p) => [`${p.PrivatePort}/${p.Type}`, {}])) } : {}),
    },
    hostConfig: {
      ...emptyHostConfig(),
      networkMode: networkMode(s.HostConfig?.NetworkMode),
      binds: (s.Mounts ?? []).map(mountSpec),
    },
    snapshotKey: '',
    state: {
      status: status(s.State), pid: 0, exitCode: times.exitCode, oomKilled: false, error: '',
      startedAt: times.startedAt ?? '0001-01-01T00:00:00Z', finishedAt: times.finishedAt ?? '0001-01-01T00:00:00Z',
      ...(times.health ? { health: { status: times.health, failingStreak: 0, log: [] } } : {}),
    },
  };
  if (published.length > 0) {
    record.networkSettings = {
      sandboxKey: '', networks: {},
      ports: published.map((p) => ({ containerPort: p.PrivatePort, protocol: p.Type as PublishedPort['protocol'], hostIp: p.IP ?? '', hostPort: p.PublicPort ?? 0 })),
    };
  }
  return record;
}

/** Seconds that Docker's human durations (units.HumanDuration) stand for, chosen so that berth's `ago` prints the same words. */
export function durationSeconds(text: string): number | undefined {
  const t = text.trim();
  if (t === 'Less than a second') return 0;
  if (t === 'About a minute') return 60;
  if (t === 'About an hour') return 3600;
  const m = /^(\d+) (second|minute|hour|day|week|month|year)s?$/.exec(t);
  if (!m) return undefined;
  const unit = { second: 1, minute: 60, hour: 3600, day: 86400, week: 7 * 86400, month: 30 * 86400, year: 365 * 86400 }[m[2] as string] as number;
  return Number(m[1]) * unit;
}

function timesFromStatus(text: string, now: number): { startedAt?: string; finishedAt?: string; exitCode: number; health?: 'starting' | 'healthy' | 'unhealthy' } {
  const back = (words: string) => {
    const s = durationSeconds(words);
    return s === undefined ? undefined : new Date(now - s * 1000).toISOString();
  };
  const up = /^Up (.+?)(?: \((Paused|healthy|unhealthy|health: starting)\))?$/.exec(text);
  if (up) {
    const startedAt = back(up[1] as string);
    const note = up[2];
    const health = note === 'healthy' || note === 'unhealthy' ? note : note === 'health: starting' ? 'starting' : undefined;
    return { ...(startedAt ? { startedAt } : {}), exitCode: 0, ...(health ? { health } : {}) };
  }
  const ended = /^(?:Exited|Restarting) \((-?\d+)\) (.+) ago$/.exec(text);
  if (ended) {
    const finishedAt = back(ended[2] as string);
    return { ...(finishedAt ? { finishedAt } : {}), exitCode: Number(ended[1]) };
  }
  return { exitCode: 0 };
}

function networkMode(mode: string | undefined): string {
  return mode === undefined || mode === '' || mode === 'default' ? 'bridge' : mode;
}

function mountSpec(m: DockerMount): MountSpec {
  const type = m.Type === 'volume' || m.Type === 'tmpfs' ? m.Type : 'bind';
  return { type, source: type === 'volume' ? (m.Name ?? m.Source) : m.Source, target: m.Destination, readonly: m.RW === false, ...(m.Propagation ? { propagation: m.Propagation } : {}) };
}

function emptyHostConfig(): HostConfig {
  return { autoRemove: false, binds: [], networkMode: 'bridge', readonlyRootfs: false, privileged: false, capAdd: [], capDrop: [], securityOpt: [], ulimits: [], runtime: '' };
}

function publishedPorts(map: Record<string, { HostIp: string; HostPort: string }[] | null>): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(map)) {
    const [port, protocol = 'tcp'] = key.split('/');
    for (const b of bindings ?? []) {
      out.push({ containerPort: Number(port), protocol: protocol as PublishedPort['protocol'], hostIp: b.HostIp === '0.0.0.0' ? '' : b.HostIp, hostPort: Number(b.HostPort) || 0 });
    }
  }
  return out;
}

/** HostConfig of an inspect body in berth's terms (the fields berth's views show). */
function hostConfigFrom(h: Record<string, unknown>, mounts: readonly DockerMount[]): HostConfig {
  const num = (k: string) => (typeof h[k] === 'number' && (h[k]) !== 0 ? (h[k]) : undefined);
  const str = (k: string) => (typeof h[k] === 'string' && h[k] !== '' ? (h[k]) : undefined);
  const list = (k: string) => (Array.isArray(h[k]) ? (h[k] as string[]) : undefined);
  const restart = h['RestartPolicy'] as { Name?: string; MaximumRetryCount?: number } | undefined;
  const log = h['LogConfig'] as { Type?: string; Config?: Record<string, string> } | undefined;
  const bindings = h['PortBindings'] as Record<string, { HostIp: string; HostPort: string }[] | null> | null | undefined;
  const out: HostConfig = {
    ...emptyHostConfig(),
    autoRemove: h['AutoRemove'] === true,
    binds: mounts.map(mountSpec),
    networkMode: networkMode(str('NetworkMode')),
    readonlyRootfs: h['ReadonlyRootfs'] === true,
    privileged: h['Privileged'] === true,
    capAdd: list('CapAdd') ?? [],
    capDrop: list('CapDrop') ?? [],
    securityOpt: list('SecurityOpt') ?? [],
    ulimits: ((h['Ulimits'] as { Name: string; Soft: number; Hard: number }[] | null) ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
    runtime: str('Runtime') ?? '',
  };
  const set = <K extends keyof HostConfig>(key: K, value: HostConfig[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('memory', num('Memory'));
  const memory = num('Memory');
  // Docker reports MemorySwap as twice Memory when it was not given: leave that unset, as berth records it.
  const swap = num('MemorySwap');
  set('memorySwap', swap !== undefined && !(memory !== undefined && swap === 2 * memory) ? swap : undefined);
  set('nanoCpus', num('NanoCpus'));
  set('pidsLimit', num('PidsLimit') !== undefined && (num('PidsLimit') as number) > 0 ? num('PidsLimit') : undefined);
  if (restart?.Name && restart.Name !== '') out.restartPolicy = { name: restart.Name as NonNullable<HostConfig['restartPolicy']>['name'], maximumRetryCount: restart.MaximumRetryCount ?? 0 };
  if (log?.Type) out.logConfig = { type: log.Type as NonNullable<HostConfig['logConfig']>['type'], config: log.Config ?? {} };
  set('volumesFrom', list('VolumesFrom'));
  set('shmSize', num('ShmSize'));
  const sysctls = h['Sysctls'] as Record<string, string> | null | undefined;
  if (sysctls && Object.keys(sysctls).length > 0) out.sysctls = sysctls;
  set('groupAdd', list('GroupAdd'));
  set('ipcMode', str('IpcMode'));
  set('pidMode', str('PidMode'));
  const devices = h['Devices'] as { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] | null | undefined;
  if (devices && devices.length > 0) out.devices = devices.map((d) => ({ pathOnHost: d.PathOnHost, pathInContainer: d.PathInContainer, cgroupPermissions: d.CgroupPermissions }));
  set('oomScoreAdj', num('OomScoreAdj'));
  set('cpuShares', num('CpuShares'));
  set('cpusetCpus', str('CpusetCpus'));
  set('cpusetMems', str('CpusetMems'));
  set('memoryReservation', num('MemoryReservation'));
  if (typeof h['Init'] === 'boolean') out.init = h['Init'];
  const ports: NonNullable<HostConfig['portBindings']> = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [port, protocol = 'tcp'] = key.split('/');
    for (const b of list ?? []) ports.push({ containerPort: Number(port), protocol: protocol as PublishedPort['protocol'], hostIp: b.HostIp, hostPort: Number(b.HostPort) || 0 });
  }
  if (ports.length > 0) out.portBindings = ports;
  if (h['PublishAllPorts'] === true) out.publishAllPorts = true;
  set('extraHosts', list('ExtraHosts'));
  const dns = list('Dns');
  if (dns && dns.length > 0) out.dns = dns;
  const search = list('DnsSearch');
  if (search && search.length > 0) out.dnsSearch = search;
  const options = list('DnsOptions');
  if (options && options.length > 0) out.dnsOptions = options;
  // Docker's `/name:/container/alias` back to berth's `name:alias`.
  const links = list('Links');
  if (links && links.length > 0) out.links = links.map((l) => l.replace(/^\/([^:]+):\/[^/]+\/(.+)$/, '$1:$2'));
  Object.assign(out, cgroupOptionsFrom(h));
  return out;
}

/** The namespace modes, OOM, swappiness and block I/O settings, device rules and annotations of an inspect HostConfig. */
function cgroupOptionsFrom(h: Record<string, unknown>): Partial<HostConfig> {
  const out: Partial<HostConfig> = {};
  if (h['UTSMode'] === 'host') out.utsMode = 'host';
  if (h['CgroupnsMode'] === 'host') out.cgroupnsMode = 'host';
  if (h['OomKillDisable'] === true) out.oomKillDisable = true;
  if (typeof h['MemorySwappiness'] === 'number' && h['MemorySwappiness'] >= 0) out.memorySwappiness = h['MemorySwappiness'];
  if (typeof h['BlkioWeight'] === 'number' && h['BlkioWeight'] > 0) out.blkioWeight = h['BlkioWeight'];
  const devices = <T>(key: string, value: 'Weight' | 'Rate', make: (path: string, n: number) => T): T[] | undefined => {
    const list = h[key] as { Path: string; Weight?: number; Rate?: number }[] | null | undefined;
    return list?.length ? list.map((d) => make(d.Path, d[value] ?? 0)) : undefined;
  };
  const weights = devices('BlkioWeightDevice', 'Weight', (path, weight) => ({ path, weight }));
  if (weights) out.blkioWeightDevice = weights;
  for (const [field, key] of blkioThrottleFields) {
    const list = devices(field, 'Rate', (path, rate) => ({ path, rate }));
    if (list) out[key] = list;
  }
  const rules = h['DeviceCgroupRules'] as string[] | null | undefined;
  if (rules?.length) out.deviceCgroupRules = rules;
  const annotations = h['Annotations'] as Record<string, string> | null | undefined;
  if (annotations && Object.keys(annotations).length > 0) out.annotations = annotations;
  return out;
}
