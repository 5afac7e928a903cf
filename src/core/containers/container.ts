import type { ProcessRef } from '../../base/index.js';
import { errors } from '../../base/index.js';
import type { ImageRuntimeConfig } from '../../oci/index.js';
import type { NetworkMode } from '../network/index.js';

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
  /** While running: the OCI runtime process (`crun run`) the supervisor waits for. */
  runtime?: ProcessRef;
}

export interface MountSpec {
  type: 'bind' | 'tmpfs' | 'volume';
  source: string;
  target: string;
  readonly: boolean;
  options?: string[];
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
  // Flags of issue 9 (see cli/container-flags.ts); absent in records made before them.
  /** Bytes of /dev/shm (Docker's ShmSize; 64 MiB when unset). */
  shmSize?: number;
  /** Namespaced sysctls (`--sysctl`), checked by core/spec validateSysctls. */
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
  /** Read by the container's monitor; `{ name: 'no', maximumRetryCount: 0 }` when unset. */
  restartPolicy?: RestartPolicy;
}

/** A host device given to the container (`--device HOST[:CONTAINER[:PERMS]]`), Docker's DeviceMapping. */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  /** Some of `rwm`. */
  cgroupPermissions: string;
}

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartPolicyName;
  maximumRetryCount: number;
}

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
  config: ImageRuntimeConfig & { Hostname: string; Image: string; StopTimeout?: number };
  hostConfig: HostConfig;
  snapshotKey: string;
  state: ContainerState;
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
