/**
 * `system df`: what the store's images, containers, volumes and build cache take on disk, as
 * `du -sbx` counts it (apparent sizes, each inode once, directories included, mounts not
 * entered), so that the four totals add up to the store's own `du -sbx <root>`:
 *
 * - an image is its blobs (manifest, config, layer tars) plus its unpacked layer snapshots;
 *   layers shared by images count once in the total;
 * - a container is its writable layer (snapshot directory) and its directory (bundle, logs);
 *   a running container's mounted root is not entered: it is its image's layers and its own;
 * - a volume is its directory;
 * - the build cache is its records (the layers only they keep, blob and unpacked, cache mounts,
 *   the index) and every blob and snapshot that nothing above refers to — unpacked layers of
 *   intermediate stages, step snapshots of running builds, what killed builds and imports left —
 *   plus ingests, `build-tmp/` and `build-mounts/`: all of it is what
 *   `builder prune` and `system prune` reclaim, except the work of builds still running.
 *
 * What no row holds is the store's bookkeeping: records under `metadata/` and `networks/`, the
 * event log (at most 16 MiB), the store's directories themselves (`content/blobs/sha256/` grows
 * with the number of blobs).
 *
 * `storeUsage` is also what `builder prune` and the build cache limit size records with.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { ownerAlive, readdirSyncOrEmpty } from '../base/index.js';
import { supervisorAlive } from '../core/containers/index.js';
import { chainIds, resolveImage } from '../core/images/index.js';
import type { BuildCacheUsage, DiskUsage } from '../api/index.js';
import type { BuildCacheEntry, EngineContext } from './engine-context.js';
import { volumeUsers } from './volumes.js';

/** Apparent bytes under paths, as `du -sbx`: each inode once across all calls of one counter. */
export class DiskCounter {
  private readonly seen = new Set<string>();

  /** Counts `path` as seen without walking it (its size is known otherwise): a later walk of a directory above skips it. */
  markSeen(path: string): void {
    try {
      const st = lstatSync(path);
      this.seen.add(`${st.dev}:${st.ino}`);
    } catch {
      // Gone: nothing to skip.
    }
  }

  /** Bytes under `path` (itself included) not counted before; mounts below it are not entered. */
  du(path: string, device?: number): number {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return 0;
    }
    const key = `${st.dev}:${st.ino}`;
    if (this.seen.has(key) || (device !== undefined && st.dev !== device)) return 0;
    this.seen.add(key);
    let total = st.size;
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        // Unreadable: its own size only.
      }
      for (const name of names) total += this.du(join(path, name), st.dev);
    }
    return total;
  }
}

/** A build cache record with what it holds: parts (`blob:<digest>`, `layer:<chain id>`) and its own files. */
export interface SizedCacheEntry {
  entry: BuildCacheEntry;
  parts: string[];
  /** Its own files: the index record, or the cache mount's tree and lock. */
  own: number;
}

export interface StoreUsage {
  usage: DiskUsage;
  entries: SizedCacheEntry[];
  /** Who holds each part: `image:<id>` and `cache:<record id>`. */
  holders: Map<string, Set<string>>;
  partSize(part: string): number;
}

const blobPart = (digest: string) => `blob:${digest}`;
const layerPart = (key: string) => `layer:${key}`;

export async function storeUsage(ctx: EngineContext): Promise<StoreUsage> {
  const root = ctx.paths.root;
  const counter = new DiskCounter();
  const containers = ctx.metadata.listContainers();
  const records = ctx.metadata.listImages();
  const usedImages = new Set(containers.map((c) => c.imageId));
  // One pass each over the blobs and the snapshots' records, not a lookup per image.
  const blobSizes = new Map<string, number>();
  for await (const info of ctx.content.walk()) blobSizes.set(info.digest, info.size);
  const { snapshots: snapshotDirs, orphans } = await ctx.snapshots.directories();
  const sizes = new Map<string, number>();
  const holders = new Map<string, Set<string>>();
  const hold = (part: string, holder: string) => holders.set(part, (holders.get(part) ?? new Set()).add(holder));
  const sizeBlob = (digest: string) => {
    const part = blobPart(digest);
    if (!sizes.has(part)) sizes.set(part, blobSizes.get(digest) ?? 0);
    return part;
  };
  // A committed layer never changes: its size is measured once and remembered by the snapshotter.
  const measured: [string, number][] = [];
  const sizeLayer = (key: string) => {
    const part = layerPart(key);
    if (sizes.has(part)) return part;
    const snapshot = snapshotDirs.get(key);
    if (snapshot?.usage !== undefined) {
      counter.markSeen(snapshot.dir);
      sizes.set(part, snapshot.usage);
    } else {
      const bytes = snapshot === undefined ? 0 : counter.du(snapshot.dir);
      if (snapshot?.kind === 'committed') measured.push([key, bytes]);
      sizes.set(part, bytes);
    }
    return part;
  };
  const partSize = (part: string) => sizes.get(part) ?? 0;

  // Images: blobs and unpacked layers, each once; an image's "shared" part is what another image holds too.
  const byId = new Map<string, { names: string[]; created: string; parts: string[] }>();
  const firstRecords = records.filter((record) => {
    const known = byId.get(record.id);
    if (known) known.names.push(record.name);
    else byId.set(record.id, { names: [record.name], created: '', parts: [] });
    return !known;
  });
  // Manifests and configs read concurrently; an image whose content is broken (system check reports it) takes no space here.
  const resolved = await Promise.all(firstRecords.map((record) => resolveImage(ctx.content, record.target).catch(() => undefined)));
  firstRecords.forEach((record, i) => {
    const image = resolved[i];
    const entry = byId.get(record.id);
    if (!image || !entry) return;
    entry.created = image.config.created ?? '';
    const parts = [record.target.digest, image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)].map(sizeBlob);
    for (const key of chainIds(image.config.rootfs.diff_ids)) parts.push(sizeLayer(key));
    entry.parts = [...new Set(parts)];
    for (const part of entry.parts) hold(part, `image:${record.id}`);
  });
  const imageHeld = (part: string) => [...(holders.get(part) ?? [])].some((h) => h.startsWith('image:'));
  const images: DiskUsage['images'] = [];
  for (const [id, { names, created, parts }] of byId) {
    const size = parts.reduce((t, p) => t + partSize(p), 0);
    const shared = parts.filter((p) => (holders.get(p)?.size ?? 0) > 1).reduce((t, p) => t + partSize(p), 0);
    images.push({ id, names, created, size, sharedSize: shared, containers: containers.filter((c) => c.imageId === id).length });
  }
  const imageParts = [...holders.keys()];
  // And the records naming images and their compressed layers, and the layers' unpacked sizes (services/layer-sizes.ts).
  const recordBytes = ['metadata/images', 'metadata/layers', 'layer-sizes'].reduce((t, dir) => t + counter.du(join(root, dir)), 0);
  const imagesTotal = imageParts.reduce((t, p) => t + partSize(p), 0) + recordBytes;
  const imagesReclaimable = imageParts.filter((p) => ![...(holders.get(p) ?? [])].some((h) => usedImages.has(h.slice('image:'.length)))).reduce((t, p) => t + partSize(p), 0);

  // Containers: writable layer and directory.
  const users = volumeUsers(containers);
  const containerRows: DiskUsage['containers'] = [];
  for (const c of containers) {
    const dir = snapshotDirs.get(c.snapshotKey)?.dir;
    // Its writable layer, its directory (bundle, logs) and its record.
    const size = (dir === undefined ? 0 : counter.du(dir)) + counter.du(join(ctx.paths.containers, c.id)) + counter.du(join(root, 'metadata', 'containers', `${c.id}.json`));
    // A record that says running whose monitor is gone is not active (the next command reconciles it).
    const live = ['running', 'paused'].includes(c.state.status) && !supervisorAlive(c) ? 'exited' : c.state.status;
    containerRows.push({ id: c.id, size, volumes: [...users].filter(([, ids]) => ids.includes(c.id)).length, status: live });
  }
  const volumes: DiskUsage['volumes'] = ctx.volumes.list().map((v) => ({ name: v.name, links: users.get(v.name)?.length ?? 0, size: counter.du(join(root, 'volumes', v.name)) }));

  // The build cache's records: their own files first, then the layers only they keep.
  const entries: SizedCacheEntry[] = [];
  for (const entry of ctx.builder ? await (await ctx.builder()).cacheEntries(root) : []) {
    const parts: string[] = [];
    if (entry.diffId) parts.push(sizeBlob(entry.diffId));
    if (entry.chainId !== undefined && snapshotDirs.has(entry.chainId)) parts.push(sizeLayer(entry.chainId));
    for (const part of parts) hold(part, `cache:${entry.id}`);
    entries.push({ entry, parts, own: entry.paths.reduce((t, p) => t + counter.du(p), 0) });
  }
  const cacheParts = [...holders.keys()].filter((p) => !imageHeld(p));
  let cacheTotal = entries.reduce((t, e) => t + e.own, 0) + cacheParts.reduce((t, p) => t + partSize(p), 0);
  // Work of builds still running: their step snapshots and directories are in use.
  let inUse = 0;
  // (Step snapshots are the active `build-<owner>-…` ones; committed layers are named by chain ids.)
  for (const [key, { dir }] of snapshotDirs) if (key.startsWith('build-') && ownerAlive(key)) inUse += counter.du(dir);
  for (const dir of ['build-tmp', 'build-mounts']) {
    for (const name of readdirSyncOrEmpty(join(root, dir))) if (ownerAlive(name)) inUse += counter.du(join(root, dir, name));
  }
  // Then what nothing refers to (collectable) or is in use above: the cache's directory, build work, snapshots,
  // orphan snapshot directories, ingests (uploads in progress or abandoned), blobs.
  cacheTotal += inUse;
  // (The store's own directories, snapshots/keys/ and the like, are bookkeeping: in no row.)
  cacheTotal += counter.du(join(root, 'build-cache'));
  for (const dir of ['build-tmp', 'build-mounts']) for (const name of readdirSyncOrEmpty(join(root, dir))) cacheTotal += counter.du(join(root, dir, name));
  for (const { dir } of snapshotDirs.values()) cacheTotal += counter.du(dir);
  for (const dir of orphans) cacheTotal += counter.du(dir);
  for (const ingest of await ctx.content.ingests()) cacheTotal += counter.du(ingest.path);
  for (const [digest, size] of blobSizes) if (!sizes.has(blobPart(digest))) cacheTotal += size;

  const recordRows: BuildCacheUsage[] = entries.map(({ entry, parts, own }) => ({
    id: entry.id,
    type: entry.type,
    description: entry.description,
    size: own + parts.reduce((t, p) => t + partSize(p), 0),
    shared: parts.some(imageHeld),
    inUse: false,
    created: new Date(entry.created).toISOString(),
    lastUsed: new Date(entry.lastUsed).toISOString(),
    usage: entry.usage,
  }));
  const usage: DiskUsage = {
    images, imagesTotal, imagesReclaimable, containers: containerRows, volumes,
    buildCache: { count: entries.length, size: cacheTotal, reclaimable: cacheTotal - inUse, records: recordRows },
  };
  // Remembered last: a failure to write (a read-only store, a snapshot removed meanwhile) only costs the next df a walk.
  for (const [key, bytes] of measured) await ctx.snapshots.rememberUsage(key, bytes).catch(() => undefined);
  return { usage, entries, holders, partSize };
}

export async function diskUsage(ctx: EngineContext): Promise<DiskUsage> {
  return (await storeUsage(ctx)).usage;
}
