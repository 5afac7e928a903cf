/**
 * `POST /containers/create`: the engine's CreateContainerOptions (what `run`/`create` parsed from
 * their flags) as the body the docker CLI sends for the same flags (Config, HostConfig,
 * NetworkingConfig), so that a daemon gives the container it would give `docker run`.
 */
import { endpointsOf } from './networking.js';
import type { CreateContainerOptions, HostConfig, MountSpec } from '../api/index.js';
import { blkioDevicesView } from '../api/index.js';

export function createBody(options: CreateContainerOptions, attach: { stdin: boolean; stdout: boolean; stderr: boolean }): Record<string, unknown> {
  const h: Partial<HostConfig> = options.host ?? {};
  const exposed: Record<string, object> = {};
  for (const p of options.exposedPorts ?? []) exposed[p.includes('/') ? p : `${p}/tcp`] = {};
  for (const b of h.portBindings ?? []) exposed[`${b.containerPort}/${b.protocol}`] = {};
  return {
    Hostname: options.hostname ?? '',
    Domainname: options.domainname ?? '',
    User: options.user ?? '',
    AttachStdin: attach.stdin,
    AttachStdout: attach.stdout,
    AttachStderr: attach.stderr,
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    Tty: options.tty === true,
    OpenStdin: options.openStdin === true,
    StdinOnce: options.stdinOnce === true,
    Env: options.env ?? [],
    Cmd: options.cmd && options.cmd.length > 0 ? options.cmd : null,
    ...(options.healthcheck ? { Healthcheck: options.healthcheck } : {}),
    Image: options.image,
    Volumes: null,
    WorkingDir: options.workingDir ?? '',
    Entrypoint: options.entrypoint ?? null,
    OnBuild: null,
    Labels: options.labels ?? {},
    // API 1.41 takes the MAC address in Config (1.44 moved it to the endpoint).
    ...(h.macAddress !== undefined ? { MacAddress: h.macAddress } : {}),
    ...(options.stopSignal !== undefined ? { StopSignal: options.stopSignal } : {}),
    ...(options.stopTimeout !== undefined ? { StopTimeout: options.stopTimeout } : {}),
    HostConfig: hostConfigBody(h, options.tmpfs ?? []),
    NetworkingConfig: { EndpointsConfig: endpointsOf(h) },
  };
}

function hostConfigBody(h: Partial<HostConfig>, tmpfs: readonly string[]): Record<string, unknown> {
  const binds: string[] = [];
  const mounts: Record<string, unknown>[] = [];
  for (const m of h.binds ?? []) {
    const bind = bindString(m);
    if (bind !== undefined) binds.push(bind);
    else mounts.push(mountBody(m));
  }
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const b of h.portBindings ?? []) {
    const last = b.hostPortEnd ?? b.hostPort;
    // A host range for one container port: Docker's "8000-8010" form.
    const hostPort = b.hostPort === 0 ? '' : last !== b.hostPort ? `${b.hostPort}-${last}` : String(b.hostPort);
    (portBindings[`${b.containerPort}/${b.protocol}`] ??= []).push({ HostIp: b.hostIp, HostPort: hostPort });
  }
  const tmpfsMap: Record<string, string> = {};
  for (const t of tmpfs) {
    const colon = t.indexOf(':');
    tmpfsMap[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }
  return {
    Binds: binds,
    ...(mounts.length > 0 ? { Mounts: mounts } : {}),
    ...(Object.keys(tmpfsMap).length > 0 ? { Tmpfs: tmpfsMap } : {}),
    NetworkMode: h.networkMode ?? 'default',
    PortBindings: portBindings,
    PublishAllPorts: h.publishAllPorts === true,
    RestartPolicy: { Name: h.restartPolicy?.name === 'no' || !h.restartPolicy ? 'no' : h.restartPolicy.name, MaximumRetryCount: h.restartPolicy?.maximumRetryCount ?? 0 },
    AutoRemove: h.autoRemove === true,
    VolumesFrom: h.volumesFrom ?? null,
    CapAdd: h.capAdd ?? null,
    CapDrop: h.capDrop ?? null,
    Dns: h.dns ?? [],
    DnsOptions: h.dnsOptions ?? [],
    DnsSearch: h.dnsSearch ?? [],
    ExtraHosts: h.extraHosts ?? null,
    GroupAdd: h.groupAdd ?? null,
    IpcMode: h.ipcMode ?? '',
    Links: h.links ?? null,
    OomScoreAdj: h.oomScoreAdj ?? 0,
    PidMode: h.pidMode ?? '',
    Privileged: h.privileged === true,
    ReadonlyRootfs: h.readonlyRootfs === true,
    SecurityOpt: h.securityOpt ?? null,
    ...(h.sysctls ? { Sysctls: h.sysctls } : {}),
    ...(h.runtime ? { Runtime: h.runtime } : {}),
    ShmSize: h.shmSize ?? 0,
    LogConfig: { Type: h.logConfig?.type ?? '', Config: h.logConfig?.config ?? {} },
    Memory: h.memory ?? 0,
    MemorySwap: h.memorySwap ?? 0,
    MemoryReservation: h.memoryReservation ?? 0,
    NanoCpus: h.nanoCpus ?? 0,
    CpuShares: h.cpuShares ?? 0,
    CpusetCpus: h.cpusetCpus ?? '',
    CpusetMems: h.cpusetMems ?? '',
    PidsLimit: h.pidsLimit ?? null,
    Devices: (h.devices ?? []).map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.cgroupPermissions })),
    Ulimits: (h.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    ...(h.init === true ? { Init: true } : {}),
    UTSMode: h.utsMode ?? '',
    CgroupnsMode: h.cgroupnsMode ?? '',
    OomKillDisable: h.oomKillDisable === true,
    MemorySwappiness: h.memorySwappiness ?? -1,
    BlkioWeight: h.blkioWeight ?? 0,
    ...blkioDevicesView(h),
    DeviceCgroupRules: h.deviceCgroupRules ?? null,
    ...(h.annotations ? { Annotations: h.annotations } : {}),
    MaskedPaths: h.maskedPaths ?? null,
    ReadonlyPaths: h.readonlyPaths ?? null,
  };
}


/** A `-v` mount as Docker's Binds entry (`vol:/p`, `/host:/p:ro,rshared`); undefined for what only `Mounts` can say. */
function bindString(m: MountSpec): string | undefined {
  if (m.type === 'tmpfs' || m.volumeLabels || m.volumeOptions) return undefined;
  if (m.type === 'bind' && m.createHostPath !== true) return undefined;
  if (m.type === 'volume' && m.source === '') return m.target;
  const modes = [m.readonly ? 'ro' : '', m.noCopy ? 'nocopy' : '', m.propagation ?? ''].filter((x) => x !== '');
  return `${m.source}:${m.target}${modes.length > 0 ? `:${modes.join(',')}` : ''}`;
}

/** A `--mount` as Docker's Mounts entry. */
function mountBody(m: MountSpec): Record<string, unknown> {
  return {
    Type: m.type,
    ...(m.type !== 'tmpfs' && m.source !== '' ? { Source: m.source } : {}),
    Target: m.target,
    ReadOnly: m.readonly,
    ...(m.type === 'bind' && m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}),
    ...(m.type === 'volume' && (m.noCopy || m.volumeLabels || m.volumeOptions) ? {
      VolumeOptions: { NoCopy: m.noCopy === true, Labels: m.volumeLabels ?? {}, ...(m.volumeOptions ? { DriverConfig: { Name: 'local', Options: m.volumeOptions } } : {}) },
    } : {}),
    ...(m.type === 'tmpfs' ? { TmpfsOptions: tmpfsOptions(m.options ?? []) } : {}),
  };
}

function tmpfsOptions(options: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of options) {
    const [k, v = ''] = o.split('=');
    if (k === 'size' && /^\d+$/.test(v)) out.SizeBytes = Number(v);
    if (k === 'mode' && /^[0-7]+$/.test(v)) out.Mode = parseInt(v, 8);
  }
  return out;
}
