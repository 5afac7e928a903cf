import type { Mount } from '../mount/index.js';

export type SnapshotKind = 'active' | 'view' | 'committed';

export interface SnapshotInfo {
  /** For active snapshots the key, for committed ones the name. */
  key: string;
  kind: SnapshotKind;
  parent?: string;
  created: number;
  labels: Record<string, string>;
}

/** A snapshot's own directory, as `Snapshotter.directories` lists it. */
export interface SnapshotDirectory {
  dir: string;
  kind: SnapshotKind;
  /** Bytes the directory holds, record included, as `du -sb` counts them: known for committed snapshots once remembered. */
  usage?: number;
}

/**
 * Snapshotter: layered filesystems for images and containers (containerd's model).
 *
 * Terms: an *active* snapshot (made by `prepare`) is writable and named by a key; `commit` turns
 * it into a *committed* snapshot under a name, which is read-only and may be the parent of other
 * snapshots; a *view* is a read-only active snapshot. Image layers are committed snapshots named
 * by their chain id; a container's root is an active snapshot whose parent is the image's top layer.
 *
 * Example, unpacking a layer: `prepare('extract-x', parentChainId)`, apply the layer tar to the
 * directory of `upperDir('extract-x')`, then `commit(chainId, 'extract-x')`. A layer's directory
 * does not depend on its parent's files (whiteouts and opaque directories are markers in it), so
 * layers may also be unpacked side by side, each prepared without a parent, and committed in
 * chain order with the parent given then: `commit(chainId, 'extract-x', { parent })`.
 *
 * Snapshotters never mount anything: they return the `Mount`s that would show the snapshot.
 * Errors: `NotFound` for an unknown key or parent, `AlreadyExists` when the key or name is taken,
 * `FailedPrecondition` when removing a snapshot that still has children.
 */
export interface Snapshotter {
  prepare(key: string, parent: string | undefined, options?: { labels?: Record<string, string> }): Promise<Mount[]>;
  view(key: string, parent: string | undefined): Promise<Mount[]>;
  mounts(key: string): Promise<Mount[]>;
  /**
   * The files whose contents decide what `mounts(key)` answers (its records, its parents'), for
   * a cache that must notice any change (the inspect render cache, services/inspect-cache.ts).
   */
  recordFiles?(key: string): string[];
  /**
   * `parent`: the committed snapshot to stack this one on, for an active snapshot prepared
   * without a parent (a layer unpacked before the layers below it were committed);
   * FailedPrecondition when the active snapshot has a parent already.
   */
  commit(name: string, key: string, options?: { parent?: string }): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): Promise<SnapshotInfo>;
  exists(key: string): Promise<boolean>;
  /** Every snapshot; with `keyPrefix`, only those whose key starts with it (the others' records need not be read). */
  walk(options?: { keyPrefix?: string }): Promise<SnapshotInfo[]>;
  /** The directory an active snapshot's writes land in (to unpack layers or to diff). */
  upperDir(key: string): Promise<string>;
  /** Bytes used by the snapshot's own directory. */
  usage(key: string): Promise<number>;
  /**
   * Each snapshot's own directory (its files, work directory and record), by key, with the size
   * remembered for a committed one, and the directories no snapshot owns (`orphans`), in one pass
   * over the records: what disk accounting (`system df`) walks.
   */
  directories(): Promise<{ snapshots: Map<string, SnapshotDirectory>; orphans: string[] }>;
  /**
   * Remembers what a committed snapshot's directory holds (`du -sb`, measured by the caller): a
   * committed snapshot never changes, so it is measured once. Nothing happens for a snapshot
   * that is not committed, already has its size, or is gone.
   */
  rememberUsage(key: string, bytes: number): Promise<void>;
  /** Removes directories no snapshot owns (left by a crash); returns how many. */
  cleanup(): Promise<number>;
  /** Directories no snapshot owns, without removing them. */
  orphans(): Promise<string[]>;
  close(): void;
}
