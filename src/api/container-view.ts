import type { ContainerRecord, HealthState } from '../core/containers/index.js';
import { processArgs } from '../core/containers/index.js';
import { DEFAULT_SHM_SIZE } from '../core/spec/index.js';
import { ago } from './human.js';
import { portMap } from '../core/network/index.js';
import { containerNetworkSettingsView } from './network-view.js';

/** A container record in the shape of Docker's inspect output (the fields berth has). */
export function containerInspectView(c: ContainerRecord) {
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
    Name: `/${c.name}`,
    RestartCount: c.state.restartCount ?? 0,
    Driver: 'overlay',
    HostConfig: {
      AutoRemove: c.hostConfig.autoRemove, Binds: c.hostConfig.binds.filter((b) => b.type === 'bind').map((b) => `${b.source}:${b.target}${b.readonly ? ':ro' : ''}`),
      NetworkMode: c.hostConfig.networkMode, ReadonlyRootfs: c.hostConfig.readonlyRootfs, Privileged: c.hostConfig.privileged,
      CapAdd: c.hostConfig.capAdd, CapDrop: c.hostConfig.capDrop, SecurityOpt: c.hostConfig.securityOpt, Memory: c.hostConfig.memory ?? 0,
      NanoCpus: c.hostConfig.nanoCpus ?? 0, PidsLimit: c.hostConfig.pidsLimit ?? null, Ulimits: c.hostConfig.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Runtime: c.hostConfig.runtime,
      LogConfig: { Type: c.hostConfig.logConfig?.type ?? 'json-file', Config: c.hostConfig.logConfig?.config ?? {} },
      ...moreHostConfigView(c.hostConfig),
      PortBindings: portMap(c.hostConfig.portBindings ?? [], [], ''),
      PublishAllPorts: c.hostConfig.publishAllPorts === true,
      Dns: c.hostConfig.dns ?? [],
      DnsOptions: c.hostConfig.dnsOptions ?? [],
      DnsSearch: c.hostConfig.dnsSearch ?? [],
      ExtraHosts: c.hostConfig.extraHosts ?? null,
      Links: c.hostConfig.links?.map((l) => `/${l.slice(0, l.indexOf(':'))}:/${c.name}/${l.slice(l.indexOf(':') + 1)}`) ?? null,
    },
    Config: c.config,
    NetworkSettings: containerNetworkSettingsView(c),
  };
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

/** The STATUS column of `docker ps` (and `Status` of the API's container list): `Up 3 minutes`, `Exited (0) 2 hours ago`. */
export function containerStatusText(c: Pick<ContainerRecord, 'state'>, now = Date.now()): string {
  switch (c.state.status) {
    case 'running':
      return `Up ${ago(c.state.startedAt, now).replace(/ ago$/, '')}${healthSuffix(c.state.health)}`;
    case 'paused':
      return `Up ${ago(c.state.startedAt, now).replace(/ ago$/, '')} (Paused)`;
    case 'restarting':
      return `Restarting (${c.state.exitCode}) ${ago(c.state.finishedAt, now)}`;
    case 'exited':
      return `Exited (${c.state.exitCode}) ${ago(c.state.finishedAt, now)}`;
    case 'created':
      return 'Created';
    default:
      return c.state.status[0]?.toUpperCase() + c.state.status.slice(1);
  }
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
