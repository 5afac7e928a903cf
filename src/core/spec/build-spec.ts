import { errors } from '../../base/index.js';
import {
  OCI_RUNTIME_SPEC_VERSION,
  type LinuxBlockIO,
  type LinuxCapabilities,
  type LinuxDeviceCgroup,
  type LinuxNamespace,
  type LinuxResources,
  type LinuxSeccomp,
  type Mount,
  type PosixRlimit,
  type Spec,
} from '../../oci/index.js';
import { resolveCapabilities } from './capabilities.js';
import {
  DEFAULT_SHM_SIZE,
  defaultDeviceRules,
  defaultMaskedPaths,
  defaultMounts,
  defaultNetworkSysctls,
  defaultReadonlyPaths,
} from './defaults.js';
import { ulimitTypes, type Ulimit } from './parse-ulimit.js';
import { seccompFromDockerProfile, seccompHost } from './docker-seccomp.js';
import { defaultSeccompProfile, type SeccompArchName } from './seccomp-profile.js';

/** The network namespace a process gets: a new one (only loopback), the host's, or an existing one by path. */
export type NetworkNamespace = { mode: 'none' } | { mode: 'host' } | { mode: 'netns'; path: string };

/**
 * The IPC namespace: a new one with its own /dev/shm (`private`; with `shm`, a host directory,
 * a tmpfs there, bind-mounted so that other containers can share it), a new one without /dev/shm
 * (`none`), the host's (its /dev/shm bind-mounted), or another container's joined by path
 * (`/proc/<pid>/ns/ipc`), with that container's /dev/shm directory (`shm`) bind-mounted.
 */
export type IpcNamespace = { mode: 'private'; shm?: string } | { mode: 'none' } | { mode: 'host' } | { mode: 'join'; path: string; shm: string };

/** The PID namespace: a new one, the host's, or another container's joined by path (`/proc/<pid>/ns/pid`). */
export type PidNamespace = { mode: 'private' } | { mode: 'host' } | { mode: 'join'; path: string };

/** A host device node made in the container, with its device cgroup permissions. */
export interface DeviceNode {
  /** Path inside the container. */
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
  /** Some of `rwm`. */
  access: string;
}

/** Where an init binary is mounted in the container (Docker's path). */
export const INIT_PATH = '/sbin/docker-init';

export interface ResourceLimits {
  /** Bytes. */
  memory?: number;
  /** Memory plus swap in bytes, -1 for unlimited swap; defaults to twice `memory` (Docker). */
  memorySwap?: number;
  memoryReservation?: number;
  /** CPUs as a fraction, e.g. 0.5 (Docker's --cpus). */
  cpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** > 0 limits, < 0 is unlimited, 0 means unset (Docker). */
  pidsLimit?: number;
  oomKillDisable?: boolean;
  /** 0-100 (cgroup v1's memory.swappiness). */
  memorySwappiness?: number;
  /** Weights and limits with the devices' numbers (the engine stats the paths). */
  blockIO?: LinuxBlockIO;
}

export interface SpecInput {
  id: string;
  /** Absolute path of the already mounted root filesystem. */
  rootfs: string;
  readonlyRootfs?: boolean;
  args: string[];
  /** The complete environment; nothing (not even PATH or HOSTNAME) is added. */
  env: string[];
  cwd: string;
  terminal?: boolean;
  user: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
  /** The UTS namespace's host name (unused with `uts: 'host'`). */
  hostname: string;
  /** The UTS namespace's NIS domain name (`--domainname`). */
  domainname?: string;
  /** Extra mounts after the defaults; one at a default's destination replaces that default. */
  mounts?: Mount[];
  network: NetworkNamespace;
  resources?: ResourceLimits;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  noNewPrivileges?: boolean;
  ulimits?: Ulimit[];
  /** e.g. "/berth/<id>"; cgroupfs-driver paths work with cgroup v1 and v2. */
  cgroupsPath: string;
  /** The default profile, none, an OCI section as is, or a Docker-format profile (JSON parsed) to translate. */
  seccomp?: 'default' | 'unconfined' | LinuxSeccomp | { dockerProfile: unknown };
  /** `uname -r`, for Docker profiles' `minKernel`; without it those rules apply. */
  kernel?: string;
  sysctls?: Record<string, string>;
  /** Bytes of /dev/shm; 64 MiB by default. */
  shmSize?: number;
  /** Run the host's init binary at this path (static: it runs in the container's root) as PID 1: `/sbin/docker-init -- args`. */
  init?: { path: string };
  /** Default: a private IPC namespace. */
  ipc?: IpcNamespace;
  /** Default: a private PID namespace. */
  pid?: PidNamespace;
  /** Host device nodes to create, each allowed in the device cgroup. */
  devices?: DeviceNode[];
  /** More device cgroup rules, after the defaults and the devices' (`--device-cgroup-rule`). */
  deviceRules?: LinuxDeviceCgroup[];
  /** Default: a UTS namespace of its own, with `hostname`. */
  uts?: 'private' | 'host';
  /** Default: a cgroup namespace of its own. */
  cgroupns?: 'private' | 'host';
  /** Paths masked and made read-only instead of Docker's defaults (none when privileged). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** The process's OOM score adjustment, -1000 to 1000 (default 0). */
  oomScoreAdj?: number;
  annotations?: Record<string, string>;
  /** Capabilities the host can grant (its bounding set); privileged gets these. Defaults to all. */
  hostCapabilities?: string[];
  /** Host architecture for the seccomp profile; defaults to this process's. */
  arch?: SeccompArchName;
}

const CPU_PERIOD = 100_000;

function invalid(input: SpecInput, what: string): never {
  throw errors.invalidArgument('INVALID_SPEC', `Cannot create container "${input.id}": ${what}`);
}

function namespaces(input: SpecInput): LinuxNamespace[] {
  const { network, ipc = { mode: 'private' }, pid = { mode: 'private' } } = input;
  const list: LinuxNamespace[] = [];
  if (pid.mode !== 'host') list.push(pid.mode === 'join' ? { type: 'pid', path: pid.path } : { type: 'pid' });
  list.push({ type: 'mount' });
  if (input.uts !== 'host') list.push({ type: 'uts' });
  if (ipc.mode !== 'host') list.push(ipc.mode === 'join' ? { type: 'ipc', path: ipc.path } : { type: 'ipc' });
  if (network.mode === 'none') list.push({ type: 'network' });
  if (network.mode === 'netns') list.push({ type: 'network', path: network.path });
  if (input.cgroupns !== 'host') list.push({ type: 'cgroup' });
  return list;
}

function mounts(input: SpecInput): Mount[] {
  const extra = input.mounts ?? [];
  const replaced = new Set(extra.map((m) => m.destination.replace(/\/+$/, '') || '/'));
  const defaults = defaultMounts({ shmSize: input.shmSize ?? DEFAULT_SHM_SIZE, privileged: input.privileged === true });
  const ipc = input.ipc ?? { mode: 'private' };
  // Docker: no /dev/shm with --ipc none; the host's, or the joined container's, bind-mounted otherwise.
  const shm = ipc.mode === 'host' ? '/dev/shm' : ipc.mode === 'join' || ipc.mode === 'private' ? ipc.shm : undefined;
  const kernel = defaults
    .filter((m) => !(ipc.mode === 'none' && m.destination === '/dev/shm'))
    .map((m) => (shm !== undefined && m.destination === '/dev/shm' ? { destination: '/dev/shm', type: 'bind', source: shm, options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev'] } : m));
  const init = input.init ? [{ destination: INIT_PATH, type: 'bind', source: input.init.path, options: ['bind', 'ro', 'nosuid', 'nodev'] }] : [];
  return [...kernel.filter((m) => !replaced.has(m.destination)), ...init, ...extra.map((m) => ({ ...m }))];
}

function capabilitySets(caps: string[], uid: number): LinuxCapabilities {
  // Docker gives a non-root process only the bounding set: its effective set is empty.
  const active = uid === 0 ? [...caps] : [];
  return { bounding: [...caps], effective: active, permitted: [...active] };
}

function rlimits(ulimits: Ulimit[], input: SpecInput): PosixRlimit[] {
  return ulimits.map((u) => {
    const type = Object.hasOwn(ulimitTypes, u.name) ? ulimitTypes[u.name] : undefined;
    if (type === undefined) invalid(input, `unknown ulimit "${u.name}"`);
    if (u.soft > u.hard) invalid(input, `ulimit "${u.name}" soft limit ${u.soft} exceeds hard limit ${u.hard}`);
    return { type, hard: u.hard, soft: u.soft };
  });
}

function memory(r: ResourceLimits, input: SpecInput): LinuxResources['memory'] {
  const out: NonNullable<LinuxResources['memory']> = {};
  if (r.memory !== undefined && r.memory > 0) {
    out.limit = r.memory;
    const swap = r.memorySwap ?? 2 * r.memory;
    if (swap !== -1 && swap < r.memory) invalid(input, 'the memory+swap limit must be larger than the memory limit');
    out.swap = swap;
  } else if (r.memorySwap !== undefined && r.memorySwap !== -1) {
    invalid(input, 'a memory+swap limit needs a memory limit');
  }
  if (r.memoryReservation !== undefined && r.memoryReservation > 0) out.reservation = r.memoryReservation;
  if (r.oomKillDisable !== undefined) out.disableOOMKiller = r.oomKillDisable;
  if (r.memorySwappiness !== undefined) out.swappiness = r.memorySwappiness;
  return Object.keys(out).length > 0 ? out : undefined;
}

function cpu(r: ResourceLimits, input: SpecInput): LinuxResources['cpu'] {
  const out: NonNullable<LinuxResources['cpu']> = {};
  if (r.cpus !== undefined) {
    if (!(r.cpus >= 0.01)) invalid(input, `invalid number of CPUs "${r.cpus}": the minimum is 0.01`);
    // Docker: NanoCPUs = cpus * 1e9, quota = NanoCPUs * period / 1e9.
    out.quota = Math.floor((Math.round(r.cpus * 1e9) * CPU_PERIOD) / 1e9);
    out.period = CPU_PERIOD;
  }
  if (r.cpuShares !== undefined && r.cpuShares > 0) out.shares = r.cpuShares;
  if (r.cpusetCpus !== undefined && r.cpusetCpus !== '') out.cpus = r.cpusetCpus;
  if (r.cpusetMems !== undefined && r.cpusetMems !== '') out.mems = r.cpusetMems;
  return Object.keys(out).length > 0 ? out : undefined;
}

function resources(input: SpecInput): LinuxResources {
  const r = input.resources ?? {};
  const out: LinuxResources = {
    devices: input.privileged
      ? [{ allow: true, access: 'rwm' }]
      : [
        ...defaultDeviceRules(),
        ...(input.devices ?? []).map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.access })),
        ...(input.deviceRules ?? []).map((d) => ({ ...d })),
      ],
  };
  const mem = memory(r, input);
  if (mem) out.memory = mem;
  const c = cpu(r, input);
  if (c) out.cpu = c;
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) out.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blockIO && Object.keys(r.blockIO).length > 0) out.blockIO = structuredClone(r.blockIO);
  return out;
}

/**
 * The limits of `resources` as the runtime's `update --resources` takes them (memory, cpu, pids;
 * no device rules), for a running container. Unset limits are left out; a pids limit < 0 is `max`.
 */
export function resourceUpdate(id: string, r: ResourceLimits): LinuxResources {
  const input = { id } as SpecInput;
  const out: LinuxResources = {};
  const mem = memory(r, input);
  if (mem) out.memory = mem;
  const c = cpu(r, input);
  if (c) out.cpu = c;
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) out.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blockIO && Object.keys(r.blockIO).length > 0) out.blockIO = structuredClone(r.blockIO);
  return out;
}

function seccomp(input: SpecInput, caps: string[]): LinuxSeccomp | undefined {
  if (input.privileged || input.seccomp === 'unconfined') return undefined;
  if (input.seccomp === undefined || input.seccomp === 'default') return defaultSeccompProfile(caps, { arch: input.arch });
  if ('dockerProfile' in input.seccomp) {
    const arch = input.arch ?? (process.arch === 'arm64' ? 'arm64' : 'x64');
    return seccompFromDockerProfile(input.seccomp.dockerProfile, seccompHost(arch, caps, input.kernel));
  }
  return input.seccomp;
}

function validate(input: SpecInput): void {
  if (!input.rootfs.startsWith('/')) invalid(input, `rootfs "${input.rootfs}" is not an absolute path`);
  if (!input.cwd.startsWith('/')) invalid(input, `working directory "${input.cwd}" is not an absolute path`);
  if (input.args.length === 0) invalid(input, 'no command specified');
  if (input.shmSize !== undefined && !(input.shmSize > 0)) invalid(input, `invalid /dev/shm size "${input.shmSize}"`);
  if (input.oomScoreAdj !== undefined && !(Number.isInteger(input.oomScoreAdj) && input.oomScoreAdj >= -1000 && input.oomScoreAdj <= 1000)) {
    invalid(input, `invalid value ${input.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  for (const d of input.devices ?? []) if (!d.path.startsWith('/') || !/^[rwm]+$/.test(d.access)) invalid(input, `invalid device "${d.path}" (${d.access})`);
}

/**
 * The OCI runtime config.json for a container, with Docker's defaults: namespaces, kernel
 * filesystems, masked paths, capabilities, seccomp, device rules and resource limits. Pure: it
 * reads nothing from the host. Throws invalidArgument (`BERTH_E_INVALID_SPEC`,
 * `BERTH_E_UNKNOWN_CAPABILITY`) for input Docker would refuse.
 */
export function buildSpec(input: SpecInput): Spec {
  validate(input);
  const privileged = input.privileged === true;
  const caps = resolveCapabilities({ add: input.capAdd, drop: input.capDrop, privileged, available: input.hostCapabilities });
  const { uid, gid, additionalGids, umask } = input.user;
  const spec: Spec = {
    ociVersion: OCI_RUNTIME_SPEC_VERSION,
    process: {
      terminal: input.terminal === true,
      user: { uid, gid, ...(additionalGids ? { additionalGids: [...additionalGids] } : {}), ...(umask !== undefined ? { umask } : {}) },
      args: input.init ? [INIT_PATH, '--', ...input.args] : [...input.args],
      env: [...input.env],
      cwd: input.cwd,
      capabilities: capabilitySets(caps, uid),
      rlimits: rlimits(input.ulimits ?? [], input),
      noNewPrivileges: input.noNewPrivileges === true,
      oomScoreAdj: input.oomScoreAdj ?? 0,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    // The host's UTS namespace keeps the host's names: the runtime refuses to set them there.
    ...(input.uts === 'host' ? {} : { hostname: input.hostname, ...(input.domainname ? { domainname: input.domainname } : {}) }),
    mounts: mounts(input),
    annotations: { ...input.annotations },
    linux: linux(input, caps),
  };
  return spec;
}

function linux(input: SpecInput, caps: string[]): NonNullable<Spec['linux']> {
  const privileged = input.privileged === true;
  const ownNetwork = input.network.mode !== 'host';
  const out: NonNullable<Spec['linux']> = {
    namespaces: namespaces(input),
    cgroupsPath: input.cgroupsPath,
    resources: resources(input),
    sysctl: { ...(ownNetwork ? defaultNetworkSysctls : {}), ...input.sysctls },
    ...(input.devices?.length ? { devices: input.devices.map(({ path, type, major, minor, fileMode, uid, gid }) => ({ path, type, major, minor, fileMode, uid, gid })) } : {}),
    maskedPaths: privileged ? [] : [...(input.maskedPaths ?? defaultMaskedPaths)],
    readonlyPaths: privileged ? [] : [...(input.readonlyPaths ?? defaultReadonlyPaths)],
  };
  const filter = seccomp(input, caps);
  if (filter) out.seccomp = filter;
  return out;
}
