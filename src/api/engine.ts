/**
 * Engine: the one way into berth, for the CLI and (later) the daemon. Two implementations
 * share it, as podman's ContainerEngine/ImageEngine are shared by its local and remote sides:
 * the in-process services (daemonless, src/services) and an Engine API client (remote). So
 * every method is asynchronous and takes plain data; the optional `op` (src/base operation.ts)
 * carries the caller's cancellation, warnings sink and owner.
 */
import type { Readable, Writable } from 'node:stream';

import type { Digest, Operation } from '../base/index.js';
import type { ContainerRecord, HostConfig } from '../core/containers/index.js';
import type { ContainerHostFacts, ImageHostFacts } from './container-host-facts.js';
import type { containerInspectView } from './container-view.js';
import type { ImageRecord, ResolvedImage } from '../core/images/index.js';
import type { CgroupStats, Stdio, StreamedProcess } from '../core/runtime/index.js';
import type { HealthConfig } from '../oci/index.js';
import type { VolumeInfo } from '../core/volumes/index.js';
import type { NetworkRecord } from '../core/network/index.js';
import type { EventMessage } from '../core/events/index.js';
import type { ProgressEvent } from './progress.js';
import type { ImageDiff, ImageDiffOptions, ReproducibilityReport } from './image-compare.js';

export interface Engine {
  images: ImageEngine;
  containers: ContainerEngine;
  volumes: VolumeEngine;
  networks: NetworkEngine;
  system: SystemEngine;
  close(): void;
}

export interface CreateContainerOptions {
  image: string;
  name?: string;
  /** Replaces the image's Cmd when non-empty. */
  cmd?: string[];
  /** Replaces the image's Entrypoint (`[]` clears it, like `--entrypoint ''`). */
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  /** `--domainname`. */
  domainname?: string;
  /** A pseudo-terminal (`-t`). */
  tty?: boolean;
  /** Keep stdin open (`-i`); `stdinOnce` closes it when the first attached client ends it (`run -i`). */
  openStdin?: boolean;
  /** The streams the creating client attaches (`-a`; Docker's Config.AttachStdin/Stdout/Stderr): recorded, as inspect shows them. */
  attach?: { stdin: boolean; stdout: boolean; stderr: boolean };
  stdinOnce?: boolean;
  host?: Partial<HostConfig>;
  tmpfs?: string[];
  /** Added to (and overriding) the image's labels. */
  labels?: Record<string, string>;
  /** Replaces the image's STOPSIGNAL (`SIGTERM`, `TERM`, `15`). */
  stopSignal?: string;
  /** Seconds `stop` waits before SIGKILL (Docker's default 10 when unset). */
  stopTimeout?: number;
  /** Docker's Config.Healthcheck from `--health-*`/`--no-healthcheck`; empty fields come from the image's. */
  healthcheck?: HealthConfig;
  /** `--expose`: ports added to the image's ExposedPorts (`80/tcp`). */
  exposedPorts?: string[];
}

/** Streams of a client attached to a container (`run` in the foreground, `start -a`, `attach`). */
export interface AttachStreams {
  /** Bytes for the container's stdin; its end closes the container's stdin (when the container allows it). */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Bytes that detach the client when typed on stdin (Docker's ctrl-p ctrl-q, `--detach-keys`). */
  detachKeys?: Buffer;
  /**
   * Aborting it detaches the client, as the detach keys do (the daemon's client hung up): the
   * container runs on. Before an attached start has started the container, it takes effect then.
   */
  detach?: AbortSignal;
}

/** How an attached client's session ended. */
export type AttachResult = { exitCode: number } | { detached: true };

export interface StartOptions {
  /** Stay attached until the container exits (or the client detaches); without it, return once started. */
  attach?: AttachStreams;
  /**
   * Aborting before the container has started keeps it from starting (the result is then
   * 128 + the signal's number when the reason is a signal name, else 137).
   */
  signal?: AbortSignal;
  /** Called once the container runs: `kill` works from then on. */
  onStarted?: () => void;
  /**
   * Attached: create the container, then start it, as a detached start does, rather than the
   * runtime's single `run` (about 20 ms more): a command that cannot be started is then thrown
   * before `onStarted`, where under `run` it shows only as the exit. The daemon's start needs it.
   */
  createThenStart?: boolean;
}

export interface LogsOptions {
  follow?: boolean;
  /** Only the last n entries of the log. */
  tail?: number;
  /** Unix time in seconds (fractions allowed): entries at or after it. */
  since?: number;
  until?: number;
  timestamps?: boolean;
  details?: boolean;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

export interface ContainerExecOptions {
  cmd: string[];
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  env?: string[];
  workingDir?: string;
  privileged?: boolean;
  /**
   * With `tty`, the terminal's size from its start (the OCI process's consoleSize, which the
   * runtime sets before the command runs; a resize afterwards would race a quick `stty size`).
   */
  size?: { rows: number; cols: number };
}

/** `cp`'s flags. */
export interface CopyOptions {
  /** `-a`: into a container, files are owned by the container's user; out of it, they keep the container's owners. */
  archive?: boolean;
  /** `-L`: follow a symlink named as the source. */
  followLink?: boolean;
  /**
   * Into a container from a stream: let an entry replace a directory with a non-directory or the
   * reverse (the Engine API's `noOverwriteDirNonDir=false`); `cp` never does.
   */
  overwriteDirNonDir?: boolean;
}

/** A path in a container as the Engine API's archive endpoints report it (X-Docker-Container-Path-Stat). */
export interface ContainerPathStat {
  /** The path's last component. */
  name: string;
  size: number;
  /** st_mode: file type and permission bits. */
  mode: number;
  /** Milliseconds since the epoch. */
  mtimeMs: number;
  /** A symlink's target; '' for anything else. */
  linkTarget: string;
}

/** One line of `diff`: A added, C changed, D deleted. */
export interface ContainerChange {
  kind: 'A' | 'C' | 'D';
  path: string;
}

export interface CommitOptions {
  /** `REPO[:TAG]` to name the image; untagged without. */
  reference?: string;
  /** Dockerfile instructions for the image's config (`--change`). */
  changes?: readonly string[];
  message?: string;
  author?: string;
  /** Freeze a running container while its changes are read (Docker's default). */
  pause?: boolean;
}

export interface PruneResult {
  /** Ids of the containers removed. */
  deleted: string[];
  /** Bytes their writable layers held. */
  spaceReclaimed: number;
}

export interface ContainerEngine {
  create(options: CreateContainerOptions, op?: Operation): Promise<ContainerRecord>;
  /**
   * Sends a signal (`SIGTERM`, `TERM`, `15`) to the container's main process; right after the
   * runtime has spawned, waits (briefly) until the runtime has created the container.
   */
  kill(ref: string, signal: string): Promise<void>;
  /**
   * Starts a created or exited container under its monitor. Detached (no `attach`) it returns
   * once the container runs; attached it relays the streams and returns how the session ended.
   */
  start(ref: string | ContainerRecord, options?: StartOptions, op?: Operation): Promise<AttachResult | undefined>;
  /** Attaches to a running container's streams until it exits or the client detaches. */
  attach(ref: string, streams: AttachStreams): Promise<AttachResult>;
  /** Resizes a running container's terminal. */
  resize(ref: string, rows: number, cols: number): Promise<void>;
  /** Sends the stop signal, then SIGKILL after `timeout` seconds (default: the container's, else 10). */
  stop(ref: string, options?: { timeout?: number; signal?: string }): Promise<void>;
  /** Waits until the container is not running; returns its exit code. */
  wait(ref: string, options?: { signal?: AbortSignal }): Promise<number>;
  /** Writes the container's log (its json-file) to the streams, kept apart. */
  logs(ref: string, options: LogsOptions): Promise<void>;
  /** Runs a command in a running container with these stdio descriptors; returns its exit code (0 when detached). */
  exec(ref: string, options: ContainerExecOptions, stdio: Stdio): Promise<number>;
  /**
   * Runs a command in a running container with its stdio as streams (the daemon relays them):
   * resolves once the process runs; `size` is its terminal's first size (with `tty`).
   */
  execStreams(ref: string, options: ContainerExecOptions): Promise<StreamedProcess>;
  /**
   * How an exec run by the native fast path (native/berth_exec.c) ended: the command's exit code,
   * or the runtime's error (thrown) when the runtime logged one to `logFile`, which is then removed.
   */
  execOutcome(id: string, logFile: string, code: number): Promise<number>;
  /**
   * What a container's monitor runs after the container exited (`berth container cleanup`):
   * unmounts, records the exit, removes an `--rm` container, applies the restart policy.
   */
  cleanup(id: string): Promise<void>;
  /**
   * After the machine started (`berth system boot`): reconciles containers whose monitors are gone
   * and starts again those whose restart policy is `always`, or `unless-stopped` unless they were
   * stopped by hand. Returns their names, and those that failed to start with why.
   */
  restartAfterBoot(): Promise<{ started: string[]; failed: { name: string; error: string }[] }>;
  /**
   * What a container's monitor runs on the health check's interval (`berth container healthcheck`):
   * one probe, its result recorded in the container's health state; whether it succeeded.
   */
  healthcheck(id: string): Promise<boolean>;
  inspect(ref: string): Promise<ContainerRecord>;
  /** Running containers, or `all`; `filters` are `ps --filter`'s (`status=exited`, `name=web`, `label=k=v`, ...). */
  list(options?: { all?: boolean; filters?: readonly string[] }): Promise<ContainerRecord[]>;
  /**
   * What a reader can watch to know that what `list` would read is unchanged: a directory and
   * its stamp now (MetadataStore.containersStamp). Undefined when none can be trusted now;
   * absent from engines without one (a remote engine).
   */
  listingStamp?(): { path: string; stamp: string } | undefined;
  /** Docker's SizeRw (bytes in the container's writable layer) and SizeRootFs (that plus its image's), for `ps -s`. */
  sizes(ref: string): Promise<{ sizeRw: number; sizeRootFs: number }>;
  /** What `inspect` shows beyond the record (its files on the host, its runtime); an engine without it shows them empty. */
  hostFacts?(ref: string): Promise<ContainerHostFacts>;
  /**
   * `inspect`'s view of a container (containerInspectView with its host facts); a local engine
   * also writes the native `berth inspect` fast path's render cache (services/inspect-cache.ts).
   */
  inspectView?(ref: string): Promise<ReturnType<typeof containerInspectView>>;
  /**
   * Removes a container (`force` kills a running one first); returns its name. `volumes` also
   * removes its anonymous volumes that no other container uses (`rm -v`).
   */
  remove(ref: string, options?: { force?: boolean; volumes?: boolean }): Promise<string>;
  /**
   * `cp CONTAINER:SRC DEST|-`: copies out of a running or stopped container, to a path of the
   * engine's host (Docker's path rules) or as a tar to `stream` (not ended). Paths in the
   * container resolve inside its root: its symlinks never lead to the host's files.
   */
  copyFrom(ref: string, src: string, dest: { path: string } | { stream: Writable }, options?: CopyOptions, op?: Operation): Promise<void>;
  /**
   * Stats a path in a running or stopped container, as `copyFrom` finds it: symlinks on the way
   * resolve inside its root, the last one only when the path ends with `/` or `/.`. NotFound
   * CP_SOURCE_NOT_FOUND (`Could not find the file PATH in container REF`).
   */
  statPath(ref: string, path: string, op?: Operation): Promise<ContainerPathStat>;
  /** `cp SRC|- CONTAINER:DEST`: copies a host path, or extracts a tar from `stream`, into the container. */
  copyTo(ref: string, src: { path: string } | { stream: Readable }, dest: string, options?: CopyOptions, op?: Operation): Promise<void>;
  /** `export`: the container's filesystem as a tar, written to `out` (not ended). */
  export(ref: string, out: Writable, op?: Operation): Promise<void>;
  /** `diff`: the container's changes to its image's filesystem, sorted by path. */
  changes(ref: string, op?: Operation): Promise<ContainerChange[]>;
  /** `commit`: a new image of the container's image layers plus a layer of its changes; returns the image id. */
  commit(ref: string, options?: CommitOptions, op?: Operation): Promise<{ id: Digest }>;
  /** `container prune`: removes stopped containers matching every filter (`until=`, `label=`, `label!=`). */
  prune(options?: { filters?: readonly string[] }, op?: Operation): Promise<PruneResult>;
  /** Freezes a running container's processes (status `paused`). FailedPrecondition when it is not running or already paused. */
  pause(ref: string): Promise<void>;
  /** Thaws a paused container. FailedPrecondition when it is not paused. */
  unpause(ref: string): Promise<void>;
  /** Gives a container a new name. AlreadyExists when another container has it. */
  rename(ref: string, name: string): Promise<void>;
  /** Changes resource limits (applied at once to a running container) and the restart policy; returns the record. */
  /** What the host cannot apply (a block I/O weight without the scheduler's files) is dropped with dockerd's warning, given to `op`. */
  update(ref: string, changes: ContainerUpdate, op?: Operation): Promise<ContainerRecord>;
  /** The container's processes as host `ps` shows them (`psArgs` default `-ef`). FailedPrecondition when it is not running. */
  top(ref: string, psArgs?: readonly string[]): Promise<ProcessList>;
  /** One sample of a container's resource usage (zeros for one that is not running). */
  stats(ref: string): Promise<StatsSample>;
}

/** What `update` may change; unset fields stay as they are. */
export type ContainerUpdate = Partial<Pick<HostConfig,
  'memory' | 'memorySwap' | 'memoryReservation' | 'nanoCpus' | 'cpuShares' | 'cpusetCpus' | 'cpusetMems' | 'pidsLimit' | 'restartPolicy' | 'blkioWeight'>>;

/** `top`: ps's column titles and one row of fields per process of the container (Docker's ContainerTopOKBody). */
export interface ProcessList {
  titles: string[];
  processes: string[][];
}

/** A sample for `stats`: the container's cgroup counters and the host's CPU time at the same moment. */
export interface StatsSample {
  id: string;
  name: string;
  /** Whether the container was running (or paused) when read; `cgroup` is absent otherwise. */
  running: boolean;
  /** Milliseconds since the epoch. */
  readAt: number;
  cgroup?: CgroupStats;
  /** Bytes received and sent on the container's network interfaces (absent: none of its own, or not running). */
  network?: { rxBytes: number; txBytes: number };
  /** CPU time of the whole host, in nanoseconds (/proc/stat), for CPU %. */
  systemCpuNs: number;
  onlineCpus: number;
  /** The host's memory in bytes: the limit shown when the container has none. */
  hostMemory: number;
}

export interface CreateVolumeRequest {
  /** Default: a random 64-hex name (not an anonymous volume: `volume prune` keeps it unless `all`). */
  name?: string;
  /** Only `local` (the default). */
  driver?: string;
  labels?: Record<string, string>;
  /** The local driver's options: `type`, `device`, `o` (see core/volumes validateVolumeOptions). */
  options?: Record<string, string>;
}

export interface VolumePruneResult {
  removed: string[];
  /** Bytes the removed volumes held. */
  reclaimedBytes: number;
}

/**
 * Volumes (Docker's local driver). A volume in use by any container, running or not, is never
 * removed: `remove` fails with FailedPrecondition BERTH_E_VOLUME_IN_USE, `force` or not (as
 * dockerd does), and `prune` skips it. Nothing collects volumes implicitly.
 */
export interface VolumeEngine {
  /** Creates a volume, or returns the one of that name unchanged (Docker's create is idempotent). */
  create(request?: CreateVolumeRequest): Promise<VolumeInfo>;
  /** NotFound BERTH_E_VOLUME_NOT_FOUND (`No such volume: NAME`). */
  inspect(name: string): Promise<VolumeInfo>;
  /** Sorted by name. Filters: `name=` (regular expression), `label=`, `dangling=`, `driver=`. */
  list(options?: { filters?: readonly string[] }): Promise<VolumeInfo[]>;
  /** `force`: a missing volume is no error. */
  remove(name: string, options?: { force?: boolean }): Promise<void>;
  /**
   * Removes unused anonymous volumes, or with `all` every unused volume (Docker 23+; 20.10 removed
   * every unused one). Filters: `label=`, `label!=`.
   */
  prune(options?: { all?: boolean; filters?: readonly string[] }): Promise<VolumePruneResult>;
  /** Ids of the containers that use the volume. */
  usedBy(name: string): Promise<string[]>;
}

export interface CreateNetworkRequest {
  name: string;
  /** Only `bridge` (the default). */
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** `--aux-address NAME=IP`: addresses of the subnet kept from containers. */
  auxAddresses?: Record<string, string>;
  /** `--attachable`: recorded (any container may join a local network). */
  attachable?: boolean;
  internal?: boolean;
  ipv6?: boolean;
  labels?: Record<string, string>;
  /** Driver options (`-o`): `com.docker.network.bridge.name`. */
  options?: Record<string, string>;
}

/** A network and the running containers attached to it. */
export interface NetworkInfo extends NetworkRecord {
  containers: ContainerRecord[];
}

/**
 * Networks (Docker's bridge driver, on netavark). `bridge`, `host` and `none` always exist; a
 * network with running containers is never removed (FailedPrecondition BERTH_E_NETWORK_IN_USE).
 */
export interface NetworkEngine {
  /** AlreadyExists BERTH_E_NETWORK_EXISTS; FailedPrecondition BERTH_E_SUBNET_OVERLAP; InvalidArgument for bad subnets. */
  create(request: CreateNetworkRequest): Promise<NetworkRecord>;
  /** NotFound BERTH_E_NETWORK_NOT_FOUND (`network NAME not found`). */
  inspect(ref: string): Promise<NetworkInfo>;
  /** Sorted by name. */
  list(): Promise<NetworkInfo[]>;
  /** Returns the network's name. */
  remove(ref: string): Promise<string>;
  /** Removes user networks without running containers; returns their names. */
  prune(): Promise<string[]>;
  /**
   * Connects a container to one more network: recorded, and set up in its namespace when it runs.
   * AlreadyExists BERTH_E_ENDPOINT_EXISTS; FailedPrecondition for host, none and container:NAME modes.
   */
  connect(network: string, container: string, options?: { aliases?: string[]; ipv4Address?: string }): Promise<void>;
  /** Disconnects a container from a network; `force` goes on when tearing it down fails. FailedPrecondition BERTH_E_NOT_CONNECTED. */
  disconnect(network: string, container: string, options?: { force?: boolean }): Promise<void>;
}

export interface ImageSummary {
  id: Digest;
  /** Tagged names, familiar (`busybox:latest`). */
  names: string[];
  /** Digested names from pulls and pushes, familiar (`busybox@sha256:...`): Docker's RepoDigests. */
  digests?: string[];
  created: string;
  size: number;
  /** The image config's labels (`images --filter label=`, `{{.Label "k"}}`). */
  labels?: Record<string, string>;
}

export interface ImportOptions {
  /** Dockerfile instructions for the image's config (`--change`), as Docker's API takes them. */
  changes?: readonly string[];
  message?: string;
  /** Where the tarball came from, for the history entry (`-` for stdin). */
  source?: string;
}

/** What a renderer (the CLI's progress output) is told while a build runs. Steps are numbered from 1. */
export interface BuildProgress {
  /** A step begins; `label` is like `[build 2/5] RUN make`. */
  start(step: number, label: string): void;
  /** Output of a RUN step, as it comes. */
  output(step: number, chunk: Buffer): void;
  /** The step was found in the cache. */
  cached(step: number): void;
  done(step: number, seconds: number): void;
  /** The step failed; `tail` is the end of its output. */
  failed(step: number, message: string, tail: string): void;
  /** Warnings and cache explanations. */
  note(message: string): void;
  /**
   * Optional, for the classic builder's messages (the Engine API's `/build`: `Step N/M : ...`):
   * an instruction begins. Every instruction of the stages built is reported, config-only ones
   * (ENV, LABEL, ...) included, numbered in the order they begin.
   */
  instruction?(event: BuildInstruction): void;
  /**
   * Optional: the instruction `index` ended. `id` is a digest of the stage's state after it (its
   * config and layers so far; a base image's id after FROM): the classic builder's intermediate image.
   */
  instructionDone?(index: number, id: string): void;
}

/** One Dockerfile instruction as the classic builder numbers it. */
export interface BuildInstruction {
  /** From 1, over every instruction of the stages built (ONBUILD triggers run as part of FROM). */
  index: number;
  total: number;
  /** The instruction as written (`RUN make`). */
  text: string;
  /** The number start()/output()/cached()/done()/failed() use for it when it is a step of its own (FROM, RUN, COPY, ADD, WORKDIR). */
  step?: number;
}

/** Credentials for a registry that a client sent along (the Engine API's X-Registry-Auth). */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** RUN's network in a build: 'default' is the builder's choice (today the host's network). */
export type BuildNetwork = 'default' | 'host' | 'none';

/** A build secret: a file on the engine's side, or a value the client read (`env=`). */
export type BuildSecret = { file: string } | { value: string };

/** The limits of a build's RUN steps, named and checked as a container's HostConfig fields. */
export type BuildStepLimits = Partial<Pick<HostConfig, 'memory' | 'memorySwap' | 'nanoCpus' | 'cpuShares' | 'cpusetCpus' | 'cpusetMems' | 'shmSize' | 'ulimits'>>;

export interface BuildRequest {
  /** The context: a directory, a tarball (plain or compressed), or `-` for `stdin` (a tar or a Dockerfile). */
  context: string;
  stdin?: Readable;
  /** The Dockerfile, relative to the context or absolute (`-f`); default `Dockerfile`. */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** Pull every FROM image, even those stored (`--pull`); without it only missing ones are pulled. */
  pull?: boolean;
  network?: BuildNetwork;
  secrets?: Record<string, BuildSecret>;
  /** Seconds since the epoch: clamps new files' mtimes and sets `created` (SOURCE_DATE_EPOCH / --reproducible). */
  sourceDateEpoch?: number;
  /** Say why the first uncached step missed the cache. */
  explainCache?: boolean;
  progress?: BuildProgress;
  /** OCI runtime for RUN steps (default crun, else runc). */
  runtime?: string;
  /** Most processes a RUN step may have, -1 for unlimited (default 4096: services/build-process.ts). */
  pidsLimit?: number;
  /**
   * `--cache-from`: stored images whose inline cache (written by a build given
   * `--build-arg BUILDKIT_INLINE_CACHE=1`) serves this build's steps as its own cache would.
   */
  cacheFrom?: string[];
  /** Send the context gzipped (`--compress`): for a build through a daemon; a local build reads the context in place. */
  compress?: boolean;
  /** Every RUN step's limits (`--memory`, `--cpu-*`, `--cpuset-*`, `--shm-size`, `--ulimit`), as a container's; not in the cache keys. */
  stepLimits?: BuildStepLimits;
  /**
   * `--add-host NAME:IP` (or `NAME:host-gateway`), checked by parseExtraHost: lines of the RUN
   * steps' /etc/hosts, and part of their cache keys (as in BuildKit).
   */
  extraHosts?: string[];
  /** Labels added to the image's (`--label`, the Engine API's `labels`). */
  labels?: Record<string, string>;
  /**
   * Credentials for FROM pulls by registry domain (`docker.io`, `localhost:5000`: the Engine API's
   * X-Registry-Config). When given, registries it does not name are pulled from anonymously, never
   * with the engine's own config.json.
   */
  registryCredentials?: Record<string, RegistryCredentials>;
  /**
   * The context is all the client shares with the engine (the Engine API): `dockerfile` is a path
   * inside the context, its symlinks resolved inside it, never a path of the engine's host.
   */
  contextOnly?: boolean;
}

export interface BuildResult {
  /** The image id (config digest). */
  id: Digest;
  manifestDigest: Digest;
  names: string[];
  /** Number of steps in total and how many came from the cache. */
  steps: number;
  cachedSteps: number;
}

export interface BootstrapRequest {
  /** Debian mirror (default: the host's apt mirror). */
  mirror?: string;
  /** Debian architecture (default: the host's). */
  arch?: string;
  /** The recipe's steps and their output, as they come. */
  onOutput?: (chunk: Buffer) => void;
}

export interface ImageEngine {
  /** Finds an image by name, full id or unique id prefix. NotFound names the image. */
  resolve(ref: string): Promise<ResolvedImage & { record: ImageRecord | undefined }>;
  /** What `inspect` shows beyond the image's config (its unpacked layers' directories, its last tag time); optional. */
  hostFacts?(ref: string): Promise<ImageHostFacts>;
  list(): Promise<ImageSummary[]>;
  /** Makes a rootfs tarball a single-layer image named `name` (like `docker import`). */
  import(tar: Readable, name: string, options?: ImportOptions, op?: Operation): Promise<ResolvedImage>;
  tag(ref: string, name: string): Promise<void>;
  /** Removes names (or, given an id, every name of that image); returns what was untagged. */
  remove(ref: string, options?: { force?: boolean }): Promise<string[]>;
  /** Forgets untagged images no container uses; returns their ids (`system prune` uses pruneImages, as `image prune` does). */
  pruneUntagged(): Promise<string[]>;
  /**
   * `image prune`: forgets untagged images (`all`: every image) that no container uses; returns
   * the names untagged (familiar) and the ids of the images forgotten. Their content is freed by
   * the next collection (`system.gc`).
   */
  pruneImages(options?: { all?: boolean }): Promise<{ untagged: string[]; deleted: Digest[] }>;
  /** Builds a Dockerfile; nothing is named unless every step succeeded. */
  build(request: BuildRequest, op?: Operation): Promise<BuildResult>;
  /** `debian:SUITE[-slim]` made from the Debian archive (no registry). */
  bootstrap(name: string, request?: BootstrapRequest, op?: Operation): Promise<{ id: Digest }>;
  /**
   * `build --check-reproducible`: builds the request twice, concurrently, from clean state (no
   * build cache read or written, cache mounts of their own, SOURCE_DATE_EPOCH the request's or 0),
   * names nothing, and compares the two images layer by layer. The layers it made are in no
   * image and no cache: the next collection (`system.gc`) removes them.
   */
  checkReproducible(request: BuildRequest, op?: Operation): Promise<ReproducibilityReport>;
  /**
   * `image diff A B`: files added, removed and changed from A to B, each an image (name or id:
   * its whole filesystem) or a layer (a full digest: a layer's diffID or blob; its own entries).
   * NotFound BERTH_E_IMAGE_NOT_FOUND names a side that is neither.
   */
  diff(a: string, b: string, options?: ImageDiffOptions, op?: Operation): Promise<ImageDiff>;

  /**
   * `save`: images (names or ids) as one archive, each blob once: Docker's format (manifest.json,
   * repositories, and the OCI layout Docker 25+ writes beside them) or an OCI image layout, as a
   * tar written to `dest.stream` (not ended) or, for `oci-dir`, a new directory.
   */
  save(refs: readonly string[], dest: { stream: Writable } | { dir: string }, options?: SaveOptions, op?: Operation): Promise<void>;
  /**
   * `load`: the images of a Docker archive or an OCI layout (a tar, gzipped or not, or an OCI
   * layout directory). Every blob is verified against its digest and every layer against its
   * diffID before any image is named; nothing is named when something fails.
   */
  load(source: { stream: Readable } | { dir: string }, op?: Operation): Promise<LoadResult>;

  /**
   * `pull NAME[:TAG|@DIGEST]`: the image from its registry, an index resolved to the host's (or
   * `platform`'s) manifest; blobs already stored are not fetched again, every blob is verified
   * before it is stored, and the name is written only once all of them are.
   */
  pull(name: string, options?: PullOptions, op?: Operation): Promise<PullResult>;
  /** The tags a registry has for a repository (`pull -a`); `name` is `[REGISTRY/]REPOSITORY`. */
  remoteTags(name: string, op?: Operation): Promise<string[]>;
  /** `push NAME[:TAG]`: the image's blobs the registry lacks, then its manifest under the tag. */
  push(name: string, options?: PushOptions, op?: Operation): Promise<PushResult>;
  /**
   * `login`: checks credentials against a registry (`docker.io` or a host). Storing them is the
   * client's part (config.json), as with the docker CLI. PermissionDenied when refused.
   */
  checkLogin(domain: string, credentials: { username: string; password: string }, op?: Operation): Promise<void>;
  /** What `name` resolves to in its registry, and for which platforms; nothing is downloaded but the manifest (and a single manifest's config). */
  inspectDistribution(name: string, options?: { credentials?: RegistryCredentials | null }, op?: Operation): Promise<DistributionInfo>;
}

export interface PullOptions {
  /** `os/arch[/variant]`; default: the host's. */
  platform?: string;
  /** Progress lines, as Docker prints them without a terminal (`<id>: Pull complete`); byte counts are not lines. */
  onProgress?: (line: string) => void;
  /** Every progress event, byte counts too (`Downloading`, `Extracting`), for a terminal display. */
  onProgressEvent?: (event: ProgressEvent) => void;
  /**
   * The registry's credentials as a client sent them (the Engine API's X-Registry-Auth); `null`:
   * anonymous. Absent: the engine's own (config.json), as for the CLI.
   */
  credentials?: RegistryCredentials | null;
}

export interface PullResult {
  /** The familiar name pulled (`busybox:latest`). */
  name: string;
  /** The full name (`docker.io/library/busybox:latest`), as `pull -q` prints it. */
  fullName: string;
  id: Digest;
  /** The digest the name resolved to in the registry (an index's when it was one). */
  digest: Digest;
  /** False when every blob was already stored and the name already pointed at the image. */
  downloaded: boolean;
}

export interface PushOptions {
  /** As PullOptions': lines (`<id>: Pushed`), and every event (`Pushing` with byte counts). */
  onProgress?: (line: string) => void;
  onProgressEvent?: (event: ProgressEvent) => void;
  /** As PullOptions'. */
  credentials?: RegistryCredentials | null;
}

/** What a registry says a name points at (`docker manifest inspect`'s start; the Engine API's `/distribution/{name}/json`). */
export interface DistributionInfo {
  /** The manifest or index the name resolves to. */
  descriptor: { mediaType: string; digest: Digest; size: number };
  /** The platforms an index lists, or the one of a single manifest's config. */
  platforms: { architecture: string; os: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] }[];
}

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

export type SaveFormat = 'docker' | 'oci-archive' | 'oci-dir';

export interface SaveOptions {
  /** `docker` (default): Docker's archive, which is also an OCI layout; `oci-archive`/`oci-dir`: the OCI layout alone. */
  format?: SaveFormat;
}

export interface LoadResult {
  /** What was loaded: a name (familiar form) for each named image, the id alone for an unnamed one. */
  images: { name?: string; id: Digest }[];
}

/**
 * Something interrupted work may have left: an ingest, a step container, a temporary directory,
 * a snapshot, a mount, a cgroup scope. `owner` is the process the work belongs to, when known
 * (for an ingest: a process that holds it open); `berth system prune` removes a leftover only
 * when no live process owns it.
 */
export interface Leftover {
  kind: 'ingest' | 'step container' | 'step network' | 'build directory' | 'snapshot' | 'mount' | 'cgroup scope';
  /** The path (ingests, directories, mounts, cgroup scopes) or id/key (containers, snapshots). */
  name: string;
  owner?: { pid: number; alive: boolean };
}

export interface CheckReport {
  /** True when every record points at what it needs. */
  consistent: boolean;
  problems: string[];
  /** Leftovers of interrupted work that `berth system prune` (and every removal) reclaims. */
  reclaimable: string[];
  /** Leftovers of work with an owner, live or not (builds' come from the builder). */
  leftovers: Leftover[];
}

export interface GcResult {
  /** Everything removed: the leftovers below, then blobs, snapshots and ingests nothing referred to. */
  removed: string[];
  /** What killed processes left (a dead build's work, a killed container's networking, a killed cp's mount). */
  leftovers: string[];
  /** Bytes the removed things held on disk (as `du -sb` counts them), measured before each went. */
  spaceReclaimed: number;
  /** Why nothing was collected (a berth process, this one included, holds a lease), when it was skipped. */
  skipped?: string;
}

export interface SystemEngine {
  /** Verifies the store: every image's blobs and layer snapshots, every container's snapshot. */
  check(options?: { verifyContent?: boolean }): Promise<CheckReport>;
  /**
   * Removes what dead builds left (their step containers, directories, mounts, snapshots), then
   * blobs, snapshots and ingests nothing refers to (image names, containers, the build cache). Runs only when no berth process (this one included) holds a lease (see core/metadata leases):
   * otherwise it skips and says so, and a later collection reclaims the space.
   */
  gc(): Promise<GcResult>;
  /**
   * `events`: what changed in the store, oldest first — logged events in [since, until] when either
   * is given (none otherwise), then, with `follow`, new ones as they come until `signal` aborts or
   * `until` passes. Filters are `events --filter`'s (InvalidArgument BERTH_E_INVALID_FILTER).
   */
  events(options: EventsOptions): AsyncIterable<EventMessage>;
  /** What `version` and `info` report: the store's counts, the runtimes, the host. */
  facts(): Promise<SystemFacts>;
  /** `system df`: bytes on disk (as `du -sb` counts them, each inode once) per image, container, volume and the build cache. */
  df(): Promise<DiskUsage>;
  /**
   * `builder prune`: removes build cache records — those whose layer no image holds and cache
   * mounts, or with `all` every record — least recently used first, then collects what they
   * held. Runs, like `gc`, only when no berth process holds a lease (no build runs): otherwise it
   * removes nothing and says why in `skipped`. InvalidArgument BERTH_E_INVALID_FILTER for a bad filter.
   */
  pruneBuildCache(options?: BuildCachePruneOptions): Promise<BuildCachePruneResult>;
}

export interface BuildCachePruneOptions {
  /** Every record, not only those no image shares (`--all`). */
  all?: boolean;
  /** Stop once the cache holds at most this many bytes (`--keep-storage`); 0: no floor. */
  keepStorage?: number;
  /** `until=DURATION` (also `unused-for=`): only records unused for that long; `type=regular|exec.cachemount`; `id=`. */
  filters?: readonly string[];
}

export interface BuildCachePruneResult {
  /** Ids of the records removed. */
  deleted: string[];
  /** Bytes freed on disk: the records, and the layers and blobs only they held. */
  spaceReclaimed: number;
  /** Why nothing was removed (a berth process holds a lease), when it was skipped. */
  skipped?: string;
}

/** One build cache record as `system df -v` lists it (Docker's BuildCache objects). */
export interface BuildCacheUsage {
  id: string;
  type: 'regular' | 'exec.cachemount';
  description: string;
  /** Bytes it holds: its layer (blob and unpacked), a mount's files, its own record. */
  size: number;
  /** An image holds its layer too: removing the record frees only the record. */
  shared: boolean;
  inUse: boolean;
  created: string;
  lastUsed: string;
  usage: number;
}

export interface DiskUsage {
  /** One per image id: its blobs and unpacked layers; `sharedSize` the part other images hold too. */
  images: { id: string; names: string[]; created: string; size: number; sharedSize: number; containers: number }[];
  /** The images' blobs and layers, each once. */
  imagesTotal: number;
  /** What only images without containers hold. */
  imagesReclaimable: number;
  /** Writable layer, container directory (bundle, logs) and record; its status as recorded. */
  containers: { id: string; size: number; volumes: number; status: ContainerRecord['state']['status'] }[];
  volumes: { name: string; links: number; size: number }[];
  /**
   * The build cache: its records (the layers only they keep, blob and unpacked, cache mounts,
   * the index) and what no image, container or record refers to — unpacked layers of
   * intermediate stages, work of running and killed builds, blobs and snapshots the next
   * collection removes — so that the four totals add up to the store's `du -sbx`.
   */
  buildCache: { count: number; size: number; reclaimable: number; records: BuildCacheUsage[] };
}

/** The engine's and the host's facts that `version` and `info` lay out as Docker's (api/system-view.ts). */
export interface SystemFacts {
  containers: { total: number; running: number; paused: number; stopped: number };
  /** Distinct images (by id). */
  images: number;
  /** The file system the store is on (Docker's names: extfs, xfs, ...). */
  backingFilesystem: string;
  cgroupVersion: '1' | '2';
  /** The OCI runtimes berth can use, with their versions when they answered. */
  runtimes: { name: string; path: string; version?: string }[];
  defaultRuntime: string;
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  /** `uname -m`. */
  architecture: string;
  /** Go's name of the architecture (`amd64`), as Docker's OS/Arch shows it. */
  goArch: string;
  ncpu: number;
  memTotal: number;
  name: string;
  rootDir: string;
  /** The Node.js berth runs on (where Docker reports its Go version). */
  nodeVersion: string;
  /** `--init`'s tini, when installed. */
  initVersion: string;
  /** A daemon's own version facts, when the engine is remote (the in-process engine is the CLI's version). */
  server?: ServerFacts;
}

/** What a daemon says of itself (`GET /version`): the Server section of `version`. */
export interface ServerFacts {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  goVersion: string;
  gitCommit: string;
  buildTime: string;
  /** The daemon's components (Engine, containerd, runc, docker-init) as it lists them. */
  components: { Name: string; Version: string; Details?: Record<string, string> }[];
}

export interface EventsOptions {
  /** Nanoseconds since the epoch. */
  since?: bigint;
  until?: bigint;
  filters?: readonly string[];
  follow: boolean;
  signal?: AbortSignal;
}
