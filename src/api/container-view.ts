import type { ContainerRecord, HealthState } from '../core/containers/index.js';
import { blkioDevicesView } from './block-io-flags.js';
import { processArgs } from '../core/containers/index.js';
import { DEFAULT_SHM_SIZE, defaultMaskedPaths, defaultReadonlyPaths } from '../core/spec/index.js';
import type { ContainerHostFacts } from './container-host-facts.js';
import { dockerConfigView } from './docker-config-view.js';
import { durationSince } from './human.js';
import { portMap } from '../core/network/index.js';
import { containerNetworkSettingsView } from './network-view.js';
import { goMap } from './go-map.js';

/**
 * A container record in the shape of dockerd's inspect output (Engine API 1.41, as dockerd 20.10
 * serves it): every key it prints, in its order, null or empty where berth has nothing to say
 * (test/fixtures/cli/inspect-shapes.json holds dockerd's key paths; cli-conformance tests them).
 * `facts` are what the record does not hold (files on the host, the runtime; the engine's
 * `hostFacts`); without them those fields are empty.
 */
export function containerInspectView(c: ContainerRecord, facts?: ContainerHostFacts) {
  const args = processArgs(c.config);
  return {
    Id: c.id,
    Created: c.createdAt,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: c.state.status, Running: c.state.status === 'running', Paused: c.state.status === 'paused', Restarting: c.state.status === 'restarting',
      OOMKilled: c.state.oomKilled, Dead: c.state.status === 'dead', Pid: c.state.pid, ExitCode: c.state.exitCode,
      Error: c.state.error, StartedAt: c.state.startedAt, FinishedAt: c.state.finishedAt,
      ...healthView(c.state.health),
    },
    Image: c.imageId,
    ResolvConfPath: facts?.resolvConfPath ?? '',
    HostnamePath: facts?.hostnamePath ?? '',
    HostsPath: facts?.hostsPath ?? '',
    LogPath: facts?.logPath ?? '',
    Name: `/${c.name}`,
    RestartCount: c.state.restartCount ?? 0,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfigView(c, facts),
    GraphDriver: { Data: facts?.graphDriver ?? null, Name: 'overlay2' },
    Mounts: mountsView(c, facts),
    Config: dockerConfigView(c.config, { Labels: {} }),
    NetworkSettings: containerNetworkSettingsView(c),
  };
}

/** HostConfig in dockerd's field order; its omitempty fields (Sysctls, Tmpfs, Init) only when set. */
function hostConfigView(c: ContainerRecord, facts: ContainerHostFacts | undefined) {
  const h = c.hostConfig;
  const more = moreHostConfigView(h);
  const tmpfs = h.binds.filter((b) => b.type === 'tmpfs');
  return {
    // `-v` strings as given: host paths and named volumes (anonymous ones are Config.Volumes).
    Binds: nullIfEmpty(h.binds.filter((b) => b.type === 'bind' || (b.type === 'volume' && !b.anonymous && b.source !== '')).map((b) => `${b.source}:${b.target}${b.readonly ? ':ro' : ''}`)),
    ContainerIDFile: '',
    LogConfig: { Type: h.logConfig?.type ?? 'json-file', Config: h.logConfig?.config ?? {} },
    NetworkMode: h.networkMode,
    PortBindings: portMap(h.portBindings ?? [], [], ''),
    RestartPolicy: more.RestartPolicy,
    AutoRemove: h.autoRemove,
    VolumeDriver: '',
    VolumesFrom: h.volumesFrom && h.volumesFrom.length > 0 ? h.volumesFrom : null,
    CapAdd: h.capAdd.length > 0 ? h.capAdd : null,
    CapDrop: h.capDrop.length > 0 ? h.capDrop : null,
    CgroupnsMode: h.cgroupnsMode ?? 'private',
    Dns: h.dns ?? [],
    DnsOptions: h.dnsOptions ?? [],
    DnsSearch: h.dnsSearch ?? [],
    ExtraHosts: h.extraHosts ?? null,
    GroupAdd: more.GroupAdd,
    IpcMode: more.IpcMode,
    Cgroup: '',
    Links: h.links?.map((l) => `/${l.slice(0, l.indexOf(':'))}:/${c.name}/${l.slice(l.indexOf(':') + 1)}`) ?? null,
    OomScoreAdj: more.OomScoreAdj,
    PidMode: more.PidMode,
    Privileged: h.privileged,
    PublishAllPorts: h.publishAllPorts === true,
    ReadonlyRootfs: h.readonlyRootfs,
    SecurityOpt: h.securityOpt.length > 0 ? h.securityOpt : null,
    ...(tmpfs.length > 0 ? { Tmpfs: goMap(Object.fromEntries(tmpfs.map((b) => [b.target, (b.options ?? []).join(',')]))) } : {}),
    UTSMode: h.utsMode ?? '',
    UsernsMode: '',
    ShmSize: more.ShmSize,
    ...(h.sysctls && Object.keys(h.sysctls).length > 0 ? { Sysctls: goMap(h.sysctls) } : {}),
    Runtime: h.runtime || (facts?.runtime ?? ''),
    ConsoleSize: [0, 0],
    Isolation: '',
    CpuShares: more.CpuShares,
    Memory: h.memory ?? 0,
    NanoCpus: h.nanoCpus ?? 0,
    CgroupParent: '',
    BlkioWeight: h.blkioWeight ?? 0,
    ...blkioDevicesView(h),
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: more.CpusetCpus,
    CpusetMems: more.CpusetMems,
    Devices: more.Devices,
    DeviceCgroupRules: h.deviceCgroupRules?.length ? h.deviceCgroupRules : null,
    DeviceRequests: null,
    KernelMemory: 0,
    KernelMemoryTCP: 0,
    MemoryReservation: more.MemoryReservation,
    MemorySwap: more.MemorySwap,
    MemorySwappiness: h.memorySwappiness ?? null,
    OomKillDisable: h.oomKillDisable === true,
    PidsLimit: h.pidsLimit ?? null,
    Ulimits: h.ulimits.map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    // What berth masks and makes read-only in the container (none when privileged: dockerd's null).
    MaskedPaths: h.privileged ? null : [...(h.maskedPaths ?? defaultMaskedPaths)],
    ReadonlyPaths: h.privileged ? null : [...(h.readonlyPaths ?? defaultReadonlyPaths)],
    ...(h.init !== undefined ? { Init: h.init } : {}),
    ...(h.annotations && Object.keys(h.annotations).length > 0 ? { Annotations: goMap(h.annotations) } : {}),
  };
}

const nullIfEmpty = <T>(list: T[]): T[] | null => (list.length > 0 ? list : null);

/** Docker's Mounts: volumes and bind mounts (not --tmpfs), with dockerd's modes and propagation. */
function mountsView(c: ContainerRecord, facts: ContainerHostFacts | undefined) {
  return c.hostConfig.binds.filter((b) => b.type !== 'tmpfs').map((b) =>
    b.type === 'volume'
      ? { Type: 'volume', Name: b.source, Source: facts?.volumeSources[b.source] ?? '', Destination: b.target, Driver: 'local', Mode: b.anonymous ? '' : 'z', RW: !b.readonly, Propagation: '' }
      : { Type: 'bind', Source: b.source, Destination: b.target, Mode: b.createHostPath && b.readonly ? 'ro' : '', RW: !b.readonly, Propagation: b.propagation ?? 'rprivate' });
}

/** Docker's State.Health: status, failing streak and the last probes' results (absent without a health check). */
function healthView(health: HealthState | undefined) {
  if (!health) return {};
  return {
    Health: {
      Status: health.status, FailingStreak: health.failingStreak,
      Log: health.log.map((e) => ({ Start: e.start, End: e.end, ExitCode: e.exitCode, Output: e.output })),
    },
  };
}

/** Docker's health suffix of a running container's status: `(healthy)`, `(unhealthy)`, `(health: starting)`. */
function healthSuffix(health: HealthState | undefined): string {
  if (!health) return '';
  return health.status === 'starting' ? ' (health: starting)' : ` (${health.status})`;
}

/**
 * A container's Status in parts: fixed text, or a duration since a time (ms) between two texts,
 * with " ago" after it or not. The daemon's native lane renders the duration per request.
 */
export type ContainerStatusParts = { text: string } | { before: string; since: number; ago: boolean; after: string };

export function containerStatusParts(c: Pick<ContainerRecord, 'state'>): ContainerStatusParts {
  const timed = (before: string, iso: string, withAgo: boolean, after: string): ContainerStatusParts => {
    const since = Date.parse(iso);
    return Number.isNaN(since) || since <= 0 ? { text: `${before}N/A${after}` } : { before, since, ago: withAgo, after };
  };
  switch (c.state.status) {
    case 'running':
      return timed('Up ', c.state.startedAt, false, healthSuffix(c.state.health));
    case 'paused':
      return timed('Up ', c.state.startedAt, false, ' (Paused)');
    case 'restarting':
      return timed(`Restarting (${c.state.exitCode}) `, c.state.finishedAt, true, '');
    case 'exited':
      return timed(`Exited (${c.state.exitCode}) `, c.state.finishedAt, true, '');
    case 'created':
      return { text: 'Created' };
    default:
      return { text: c.state.status[0]?.toUpperCase() + c.state.status.slice(1) };
  }
}

/** The STATUS column of `docker ps` (and `Status` of the API's container list): `Up 3 minutes`, `Exited (0) 2 hours ago`. */
export function containerStatusText(c: Pick<ContainerRecord, 'state'>, now = Date.now()): string {
  const parts = containerStatusParts(c);
  if ('text' in parts) return parts.text;
  return `${parts.before}${durationSince(parts.since, now)}${parts.ago ? ' ago' : ''}${parts.after}`;
}

/** HostConfig fields of the issue-9 flags, with Docker's names and defaults. */
function moreHostConfigView(h: ContainerRecord['hostConfig']) {
  return {
    RestartPolicy: { Name: h.restartPolicy?.name ?? 'no', MaximumRetryCount: h.restartPolicy?.maximumRetryCount ?? 0 },
    ShmSize: h.shmSize ?? DEFAULT_SHM_SIZE,
    Sysctls: h.sysctls ?? {},
    GroupAdd: h.groupAdd ?? null,
    IpcMode: h.ipcMode ?? 'private',
    PidMode: h.pidMode ?? '',
    Devices: (h.devices ?? []).map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.cgroupPermissions })),
    OomScoreAdj: h.oomScoreAdj ?? 0,
    CpuShares: h.cpuShares ?? 0,
    CpusetCpus: h.cpusetCpus ?? '',
    CpusetMems: h.cpusetMems ?? '',
    MemoryReservation: h.memoryReservation ?? 0,
    MemorySwap: h.memorySwap ?? (h.memory ? 2 * h.memory : 0),
    Init: h.init ?? null,
  };
}

/**
 * Docker's `Mounts` of a container (inspect and the API's list): volumes with their data
 * directory under `<root>/volumes`, binds and tmpfs mounts, in the order they were asked for.
 */
export function containerMountsView(c: ContainerRecord, storeRoot: string) {
  return c.hostConfig.binds.map((m) => {
    const mode = m.readonly ? 'ro' : m.type === 'volume' ? 'z' : '';
    if (m.type === 'volume') {
      return { Type: 'volume', Name: m.source, Source: `${storeRoot}/volumes/${m.source}/_data`, Destination: m.target, Driver: 'local', Mode: mode, RW: !m.readonly, Propagation: '' };
    }
    if (m.type === 'tmpfs') return { Type: 'tmpfs', Source: '', Destination: m.target, Mode: (m.options ?? []).join(','), RW: !m.readonly, Propagation: '' };
    return { Type: 'bind', Source: m.source, Destination: m.target, Mode: mode, RW: !m.readonly, Propagation: m.propagation ?? 'rprivate' };
  });
}
