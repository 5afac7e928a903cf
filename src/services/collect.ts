/**
 * Garbage collection: what image names, containers and the build cache's records reach is kept;
 * blobs, snapshots and ingests nothing reaches are removed, and the bytes they held counted
 * (`system prune`, `image prune` and `builder prune` report them as space reclaimed).
 */
import { openFilesUnder } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { chainIds, resolveImage } from '../core/images/index.js';
import type { EngineContext } from './engine-context.js';
import { DiskCounter } from './system-df.js';

/** Why a collection (gc, builder prune) did not run. */
export const busy = 'a berth process (this one or another) is importing, building or creating a container';

/** What a collection removed, and the bytes it held (measured before each went, as `du -sb` counts them). */
export interface Collected {
  removed: string[];
  bytes: number;
}

/**
 * Removes blobs, snapshots and ingests nothing refers to (image names, containers, the build
 * cache's records); the caller holds the collector's lease.
 */
export async function collectUnreferenced(ctx: EngineContext): Promise<Collected> {
  const removed: string[] = [];
  const counter = new DiskCounter();
  let bytes = 0;
  const { blobs, snapshots } = await reachable(ctx, []);
  const { snapshots: snapshotDirs } = await ctx.snapshots.directories();
  // Remove leaf-first: a snapshot with children cannot go before them.
  let progress = true;
  while (progress) {
    progress = false;
    const all = await ctx.snapshots.walk();
    const parents = new Set(all.map((s) => s.parent).filter((p) => p !== undefined));
    for (const info of all) {
      if (snapshots.has(info.key) || parents.has(info.key)) continue;
      // Defence in depth for work that holds no lease: a young active snapshot may be in use.
      if (info.kind === 'active' && Date.now() - info.created < 10 * 60_000) continue;
      const dir = snapshotDirs.get(info.key);
      if (dir !== undefined) bytes += dir.usage ?? counter.du(dir.dir);
      await ctx.snapshots.remove(info.key);
      removed.push(`snapshot ${info.key}`);
      progress = true;
    }
  }
  for await (const info of ctx.content.walk()) {
    if (!blobs.has(info.digest)) {
      await ctx.content.delete(info.digest);
      // A layer's compressed forms are worth knowing only while the layer is stored.
      ctx.metadata.deleteCompressedLayers(info.digest);
      removed.push(`blob ${info.digest}`);
      bytes += info.size;
    }
  }
  for (const dir of await ctx.snapshots.orphans()) bytes += counter.du(dir);
  const dirs = await ctx.snapshots.cleanup();
  if (dirs > 0) removed.push(`${dirs} orphan snapshot directories`);
  // Writers hold the lease this collection holds exclusively; a file still held open is kept anyway.
  const open = openFilesUnder(ctx.paths.root);
  for (const ingest of await ctx.content.ingests()) if (!open.has(ingest.path)) bytes += counter.du(ingest.path);
  const ingests = await ctx.content.cleanIngests(0, (path) => open.has(path));
  if (ingests > 0) removed.push(`${ingests} abandoned uploads`);
  return { removed, bytes };
}

/**
 * Everything reachable from image names, containers and the build cache's records (a record keeps
 * its layer's blob and its unpacked snapshot, until `builder prune` or the cache limit removes it):
 * blobs and snapshot keys.
 */
export async function reachable(ctx: EngineContext, problems: string[]) {
  const blobs = new Set<string>();
  const snapshots = new Set<string>();
  for (const entry of ctx.builder ? await (await ctx.builder()).cacheEntries(ctx.paths.root) : []) {
    if (entry.diffId) blobs.add(entry.diffId);
    if (entry.chainId !== undefined) snapshots.add(entry.chainId);
  }
  for (const record of ctx.metadata.listImages()) {
    let image: ResolvedImage;
    try {
      image = await resolveImage(ctx.content, record.target);
    } catch (err) {
      problems.push(`image "${record.name}": ${(err as Error).message}`);
      continue;
    }
    blobs.add(record.target.digest).add(image.manifest.config.digest);
    image.manifest.layers.forEach((l) => blobs.add(l.digest));
    chainIds(image.config.rootfs.diff_ids).forEach((c) => snapshots.add(c));
  }
  for (const container of ctx.metadata.listContainers()) snapshots.add(container.snapshotKey);
  // A snapshot's parents are reachable when it is.
  for (const info of await ctx.snapshots.walk()) {
    if (snapshots.has(info.key) && info.parent) snapshots.add(info.parent);
  }
  return { blobs, snapshots };
}

