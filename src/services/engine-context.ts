import type { Digest, Operation } from '../base/index.js';
import type { BootstrapRequest, BuildRequest, BuildResult, Leftover, ReproducibilityReport } from '../api/index.js';
import type { ContentStore } from '../core/content/index.js';
import type { RegistryClient, RegistryClientOptions } from '../core/distribution/index.js';
import type { LeaseManager, MetadataStore } from '../core/metadata/index.js';
import type { CgroupScopes, RuntimeDriver } from '../core/runtime/index.js';
import type { Snapshotter } from '../core/snapshots/index.js';
import type { VolumeStore } from '../core/volumes/index.js';
import type { EventLog } from '../core/events/index.js';
import type { NetworkDriver, NetworkStore } from '../core/network/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';
import type { ImageService } from './images.js';

/** Where a store keeps its parts, all under one root directory (`--root`, `BERTH_ROOT`). */
export interface StorePaths {
  root: string;
  /** Per-container directories: bundle (config.json), rootfs mount point, hosts files. */
  containers: string;
}

/** A chosen OCI runtime, with the warning to show when it is a fallback. */
export interface RuntimeSelection {
  driver: RuntimeDriver;
  warning?: string;
  /**
   * For the default runtime: its name with the host facts the choice follows from, as the inspect
   * render cache's condition lines (services/inspect-cache.ts), taken afresh; undefined when the
   * choice rests on something else. Optional: without it, no cache for a container that names no runtime.
   */
  conditions?(): { name: string; conditions: string[] } | undefined;
}

/**
 * Everything the services work with, chosen and wired by the composition root (src/cmd).
 * Services never pick implementations themselves.
 */
/**
 * Starts `file` in a session of its own: stdin and stdout on /dev/null, stderr on `stderrFd`, fd 3
 * on a socket whose other end is returned with `preamble` already written to it; `exited` settles
 * once the child has exited.
 */
export type MonitorSpawner = (file: string, args: string[], stderrFd: number, preamble: Buffer) => { pid: number; fd: number; exited: () => Promise<void> } | undefined;

export interface EngineContext {
  paths: StorePaths;
  content: ContentStore;
  snapshots: Snapshotter;
  metadata: MetadataStore;
  /** Named and anonymous volumes (`<root>/volumes`). */
  volumes: VolumeStore;
  /** The store's networks, their leases and published ports (`<root>/networks`, claims host-wide). */
  networks: NetworkStore;
  /** Connects containers' network namespaces to networks (netavark). */
  networkDriver: NetworkDriver;
  /** The runtime to use; `undefined` asks for the default (crun, else runc). */
  runtime(name: string | undefined): RuntimeSelection;
  /** Reads the OOM-kill counter of a cgroup scope and removes the scope (see containers service). */
  cgroups: CgroupScopes;
  /** Keeps garbage collection away from content being made (imports, builds, new containers). */
  leases: LeaseManager;
  /** The Dockerfile builder, loaded on first use; chosen by the composition root (the builder depends on services, not the reverse). */
  builder?: () => Promise<Builder>;
  /**
   * The per-container monitor (native/berth_monitor.c) and the command it runs when its
   * container exits — berth itself, on this store: `<berth...> container cleanup ID`. `spawn`
   * starts it without a fork of this process (src/sys/spawn-channel.ts); absent, or answering
   * undefined: child_process.
   */
  monitor: { binary: string; berth: string[]; spawn?: MonitorSpawner };
  /** A client for a registry host (`docker.io`, `localhost:5000`), loaded on first use; absent: no registry access. */
  registry?: (domain: string, options?: RegistryClientOptions) => Promise<RegistryClient>;
  /** The store's event log (`berth events`); absent: events are not recorded. */
  events?: EventLog;
  /** Warnings that belong to no operation (an unreadable record met while listing). */
  warn: (message: string) => void;
}

/** What the builder needs of the engine. */
export interface BuilderDeps {
  ctx: EngineContext;
  images: ImageService;
}

/**
 * A record of the build cache (src/builder/cache-entries.ts): a step's cached layer (`regular`,
 * keyed by the step's cache key) or a `RUN --mount=type=cache` directory (`exec.cachemount`).
 */
export interface BuildCacheEntry {
  id: string;
  type: 'regular' | 'exec.cachemount';
  /** The layer it keeps (its blob, == its diffID); null for a step that changed nothing and for cache mounts. */
  diffId: string | null;
  /** The key of the layer's unpacked snapshot (records made before it was kept have none). */
  chainId?: string;
  /** The step (`RUN make`), for people. */
  description: string;
  /** Times in ms since the epoch. */
  created: number;
  lastUsed: number;
  usage: number;
  /** What the record itself is on disk: its index file, or the mount's directory and lock file. */
  paths: string[];
}

/** The builder as the engine drives it (src/builder implements it). */
export interface Builder {
  build(deps: BuilderDeps, request: BuildRequest, op: Operation): Promise<BuildResult>;
  bootstrap(deps: BuilderDeps, name: string, request: BootstrapRequest, op: Operation): Promise<{ id: Digest }>;
  /** `build --check-reproducible`: two clean builds of the request, compared layer by layer (api ImageEngine.checkReproducible). */
  checkReproducible(deps: BuilderDeps, request: BuildRequest, op: Operation): Promise<ReproducibilityReport>;
  /** Blobs garbage collection must keep besides those of images (the build cache's layers). */
  cacheRoots(root: string): Promise<string[]>;
  /** The build cache's records, least recently used first. */
  cacheEntries(root: string): Promise<BuildCacheEntry[]>;
  /** Removes records (the caller holds the collector's lease); the next collection frees their layers. */
  removeCacheEntries(root: string, entries: readonly BuildCacheEntry[]): Promise<void>;
  /** What builds left in the store (step containers, directories, mounts, snapshots), with their owners. */
  leftovers(ctx: EngineContext): Promise<Leftover[]>;
  /** Removes the leftovers of builds whose owner is gone; returns them. */
  recoverStale(ctx: EngineContext): Promise<Leftover[]>;
  /** `config` with `--change` Dockerfile instructions applied (InvalidArgument BERTH_E_INVALID_CHANGE for a bad one). */
  applyChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig;
}
