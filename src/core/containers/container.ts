import type { ProcessRef } from '../../base/index.js';
import { errors } from '../../base/index.js';
import type { ImageRuntimeConfig } from '../../oci/index.js';
import type { NetworkMode, PortBinding, PublishedPort } from '../network/index.js';
import type { HealthState } from './health.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt: string;
  finishedAt: string;
  /** While running: the berth process that supervises the container and records its exit. */
  supervisor?: ProcessRef;
  /** While a start sets the container up, before its monitor takes over: the process starting it. */
  starting?: ProcessRef;
  /** While `commit --pause` holds the container frozen: the committing process (a dead one's freeze is undone). */
  committing?: ProcessRef;
  /** While `rm -f` removes a running container: the removing process (a dead one's work is finished by reconcile). */
  removing?: ProcessRef;
  /** While running: the container's first process, as the host sees it. */
  runtime?: ProcessRef;
  /** Times the restart policy restarted the container (Docker's RestartCount). */
  restartCount?: number;
  /** The last restart's back-off delay, which the next one doubles. */
  restartDelayMs?: number;
  /** Stopped by `stop`/`kill`: the restart policy leaves it alone until it is started again. */
  manuallyStopped?: boolean;
  /** With a health check: its status and last probe results (Docker's State.Health). */
  health?: HealthState;
}

/** Docker's restart policies; `maximumRetryCount` only for on-failure (0: no limit). */
export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  maximumRetryCount: number;
}

/** Where the container's output goes: Docker's log drivers and their options. */
export interface LogConfig {
  type: 'json-file' | 'local' | 'none';
  config: Record<string, string>;
}

export interface MountSpec {
  type: 'bind' | 'tmpfs' | 'volume';
  /** bind: the host path; volume: the volume's name ('' until an anonymous one is named); tmpfs: `tmpfs`. */
  source: string;
  target: string;
  readonly: boolean;
  /** tmpfs: mount options (`size=`, `mode=`, flags). */
  options?: string[];
  /** bind: Docker's propagation (rprivate when absent): private, rprivate, shared, rshared, slave, rslave. */
  propagation?: string;
  /** bind given with `-v`: a missing host directory is made, as Docker does (`--mount` requires it). */
  createHostPath?: boolean;
  /** volume: anonymous (`-v /path`, an image's VOLUME), so `rm -v` and `run --rm` remove it. */
  anonymous?: boolean;
  /** volume: do not seed an empty volume from the image (`nocopy`, `volume-nocopy`). */
  noCopy?: boolean;
  /** volume from `--mount`: labels and driver options of the volume, when this mount creates it. */
  volumeLabels?: Record<string, string>;
  volumeOptions?: Record<string, string>;
}

/** Host-side settings of a container, named after Docker's HostConfig. */
export interface HostConfig {
  autoRemove: boolean;
  binds: MountSpec[];
  networkMode: NetworkMode;
  readonlyRootfs: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  memory?: number;
  memorySwap?: number;
  nanoCpus?: number;
  pidsLimit?: number;
  ulimits: { name: string; soft: number; hard: number }[];
  runtime: string;
  restartPolicy?: RestartPolicy;
  logConfig?: LogConfig;
  /** `--volumes-from CONTAINER[:ro|rw]`, as given (the mounts they gave are in `binds`). */
  volumesFrom?: string[];
  // The run flags of issue 9's list (see cli/container-flags.ts); absent in records made before them.
  /** Bytes of /dev/shm (Docker's ShmSize; 64 MiB when unset). */
  shmSize?: number;
  /** Namespaced sysctls (`--sysctl`), checked by core/containers checkSysctls. */
  sysctls?: Record<string, string>;
  /** Supplementary groups, names or gids (`--group-add`), resolved in the container's /etc/group. */
  groupAdd?: string[];
  /** `private` (default), `shareable`, `host`, `none` or `container:<name|id>`. */
  ipcMode?: string;
  /** `` (own namespace), `host` or `container:<name|id>`. */
  pidMode?: string;
  devices?: DeviceMapping[];
  oomScoreAdj?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  memoryReservation?: number;
  /** Run an init (tini) as PID 1 that reaps zombies and forwards signals. */
  init?: boolean;
  /** `-p`: ports to publish on the host (on bridge and user networks). */
  portBindings?: PortBinding[];
  /** `-P`: publish every exposed port on an ephemeral host port. */
  publishAllPorts?: boolean;
  /** `--network-alias`: names the network's DNS gives the container (user networks). */
  networkAliases?: string[];
  /** `--ip`: the container's address on its (user) network. */
  ipv4Address?: string;
  /** `--mac-address`. */
  macAddress?: string;
  /**
   * The networks the container joins, in order (Docker's NetworkingConfig.EndpointsConfig): set
   * by a repeated `--network` and by `network connect`/`disconnect`; absent, the one network of
   * networkMode with networkAliases and ipv4Address. The first entry's interface is eth0.
   */
  networks?: EndpointConfig[];
  /** `--add-host NAME:IP` (or `NAME:host-gateway`), as given: Docker's ExtraHosts. */
  extraHosts?: string[];
  /** `--dns`, `--dns-search`, `--dns-option`. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `--link NAME[:ALIAS]`, as `NAME:ALIAS` (the container as named at create). */
  links?: string[];
  // Namespaces, cgroup limits and spec extras (core/containers/cgroup-options.ts parses them);
  // absent in records made before them, and when unset.
  /** `--uts host`: the host's UTS namespace (its hostname); absent, a namespace of its own. */
  utsMode?: 'host';
  /** `--cgroupns host`: the host's cgroup namespace; absent, a namespace of its own. */
  cgroupnsMode?: 'host';
  /** `--oom-kill-disable` (cgroup v1 only). */
  oomKillDisable?: boolean;
  /** `--memory-swappiness` 0-100 (cgroup v1 only); absent, the kernel's. */
  memorySwappiness?: number;
  /** `--blkio-weight` 10-1000. */
  blkioWeight?: number;
  blkioWeightDevice?: WeightDevice[];
  /** `--device-read-bps` and its siblings: bytes (or operations) per second on a device. */
  blkioDeviceReadBps?: ThrottleDevice[];
  blkioDeviceWriteBps?: ThrottleDevice[];
  blkioDeviceReadIOps?: ThrottleDevice[];
  blkioDeviceWriteIOps?: ThrottleDevice[];
  /** `--device-cgroup-rule 'c 1:3 rwm'`, as given. */
  deviceCgroupRules?: string[];
  /** `--annotation KEY=VALUE`: the OCI spec's annotations. */
  annotations?: Record<string, string>;
  /** Paths masked and made read-only instead of Docker's defaults (`--security-opt systempaths=unconfined`: none). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** A block device's I/O weight (Docker's WeightDevice). */
export interface WeightDevice {
  path: string;
  weight: number;
}

/** A block device's I/O limit, bytes or operations per second (Docker's ThrottleDevice). */
export interface ThrottleDevice {
  path: string;
  rate: number;
}

/** One network a container joins, with what it asked for there. */
export interface EndpointConfig {
  /** The network's name. */
  network: string;
  aliases?: string[];
  ipv4Address?: string;
}

/** A running container's networking (Docker's NetworkSettings), while it runs. */
export interface ContainerNetworkSettings {
  /** The network namespace's path. */
  sandboxKey: string;
  /** By network name. */
  networks: Record<string, EndpointSettings>;
  ports: PublishedPort[];
}

export interface EndpointSettings {
  networkId: string;
  endpointId: string;
  ipAddress: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
  aliases: string[];
}

/** A host device given to the container (`--device HOST[:CONTAINER[:PERMS]]`), Docker's DeviceMapping. */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  /** Some of `rwm`. */
  cgroupPermissions: string;
}

export type RestartPolicyName = RestartPolicy['name'];

/**
 * A container record: what was asked for (config, hostConfig), what it runs on (image, snapshot)
 * and where it is in its lifecycle (state). Status moves
 * created → running → exited (→ running again on restart), and any → removing → gone.
 */
export interface ContainerRecord {
  id: string;
  name: string;
  /** The image as the user named it. */
  image: string;
  imageId: string;
  createdAt: string;
  config: ImageRuntimeConfig & {
    Hostname: string;
    /** `--domainname`: the UTS namespace's NIS domain name. */
    Domainname?: string;
    Image: string;
    /** A pseudo-terminal for the process (`-t`). */
    Tty?: boolean;
    /** Its stdin stays open for attaching clients (`-i`). */
    OpenStdin?: boolean;
    /** Its stdin closes when the first attached client detaches (`run -i` in the foreground). */
    StdinOnce?: boolean;
    /** The streams the creating client attached (Docker's Config.AttachStd*, as `-a`, `-d` and `-i` set them). */
    AttachStdin?: boolean;
    AttachStdout?: boolean;
    AttachStderr?: boolean;
    /** Seconds `stop` waits after the stop signal before SIGKILL (`--stop-timeout`). */
    StopTimeout?: number;
  };
  hostConfig: HostConfig;
  snapshotKey: string;
  state: ContainerState;
  /** Set while the container runs on networks (services/container-network.ts). */
  networkSettings?: ContainerNetworkSettings;
}

export function initialState(): ContainerState {
  return { status: 'created', pid: 0, exitCode: 0, oomKilled: false, error: '', startedAt: zeroTime, finishedAt: zeroTime };
}

/** Docker's "never set" time. */
export const zeroTime = '0001-01-01T00:00:00Z';

const transitions: Record<ContainerStatus, readonly ContainerStatus[]> = {
  created: ['running', 'removing', 'dead', 'exited'],
  running: ['exited', 'paused', 'restarting', 'dead'],
  paused: ['running', 'exited', 'dead'],
  restarting: ['running', 'exited', 'dead'],
  exited: ['running', 'removing', 'dead'],
  removing: ['dead'],
  dead: ['removing'],
};

export function canTransition(from: ContainerStatus, to: ContainerStatus): boolean {
  return transitions[from].includes(to);
}

/** Throws FailedPrecondition unless the container may move to `to`. */
export function assertTransition(container: Pick<ContainerRecord, 'name' | 'state'>, to: ContainerStatus): void {
  if (!canTransition(container.state.status, to)) {
    throw errors.failedPrecondition('CONTAINER_STATE', `Cannot move container "${container.name}" from ${container.state.status} to ${to}`);
  }
}

const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateContainerName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!namePattern.test(bare)) {
    throw errors.invalidArgument('INVALID_CONTAINER_NAME', `Invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return bare;
}
