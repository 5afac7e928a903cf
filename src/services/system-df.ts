/**
 * `system df`: what the store's images, containers, volumes and build cache take on disk, as
 * `du -sb` counts it (apparent sizes, each inode once, directories included), so that the rows add
 * up to about the store's own `du -sb`: an image's size is its blobs (manifest, config, layer tars)
 * plus its unpacked layer snapshots, and layers shared by images are counted once in the total.
 * What no row holds — records under metadata/, the event log, the store's own directories — is
 * small beside them. Mounts are not entered: a running container's mounted root is its image's
 * layers and its writable layer, counted once each (compare with `du -sbx`).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { Digest } from '../base/index.js';
import { chainIds } from '../core/images/index.js';
import type { DiskUsage } from '../api/index.js';
import { resolveImage } from '../core/images/index.js';
import type { EngineContext } from './engine-context.js';
import { volumeUsers } from './volumes.js';

/**
 * Apparent bytes under `path` (itself included), each inode counted once across calls sharing
 * `seen`; mounts below it (a running container's root) are not entered, as `du -sbx`.
 */
function du(path: string, seen: Set<string>, device?: number): number {
  let st;
  try {
    st = lstatSync(path, { bigint: false });
  } catch {
    return 0;
  }
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key) || (device !== undefined && st.dev !== device)) return 0;
  seen.add(key);
  let total = st.size;
  if (st.isDirectory()) {
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch {
      // Unreadable: its own size only.
    }
    for (const name of names) total += du(join(path, name), seen, st.dev);
  }
  return total;
}

export async function diskUsage(ctx: EngineContext): Promise<DiskUsage> {
  const containers = ctx.metadata.listContainers();
  const records = ctx.metadata.listImages();
  const usedImages = new Set(containers.map((c) => c.imageId));
  const snapshotDir = async (key: string) => {
    try {
      return dirname(await ctx.snapshots.upperDir(key));
    } catch {
      return undefined;
    }
  };
  // Sizes of each blob and layer snapshot once; an image's "shared" part is what another image also holds.
  const blobSize = new Map<string, number>();
  const layerSize = new Map<string, number>();
  const holders = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const images: DiskUsage['images'] = [];
  const byId = new Map<string, { names: string[]; created: string; parts: string[] }>();
  for (const record of records) {
    const entry = byId.get(record.id);
    if (entry) {
      entry.names.push(record.name);
      continue;
    }
    let parts: string[] = [];
    let created = '';
    try {
      const image = await resolveImage(ctx.content, record.target);
      created = image.config.created ?? '';
      const blobs = [record.target.digest, image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)];
      for (const digest of blobs) {
        if (!blobSize.has(digest)) blobSize.set(digest, await ctx.content.info(digest).then((i) => i.size, () => 0));
      }
      const layers = chainIds(image.config.rootfs.diff_ids);
      for (const key of layers) {
        if (layerSize.has(key)) continue;
        const dir = await snapshotDir(key);
        layerSize.set(key, dir === undefined ? 0 : du(dir, seen));
      }
      parts = [...blobs.map((d) => `blob:${d}`), ...layers.map((k) => `layer:${k}`)];
    } catch {
      // An image whose content is broken (system check reports it) takes no space here.
    }
    for (const p of new Set(parts)) holders.set(p, (holders.get(p) ?? new Set()).add(record.id));
    byId.set(record.id, { names: [record.name], created, parts: [...new Set(parts)] });
  }
  const partSize = (p: string) => (p.startsWith('blob:') ? blobSize.get(p.slice(5)) : layerSize.get(p.slice(6))) ?? 0;
  for (const [id, { names, created, parts }] of byId) {
    const size = parts.reduce((t, p) => t + partSize(p), 0);
    const shared = parts.filter((p) => (holders.get(p)?.size ?? 0) > 1).reduce((t, p) => t + partSize(p), 0);
    images.push({ id, names, created, size, sharedSize: shared, containers: containers.filter((c) => c.imageId === id).length });
  }
  const imagesTotal = [...holders.keys()].reduce((t, p) => t + partSize(p), 0);
  const imagesReclaimable = [...holders].filter(([, ids]) => ![...ids].some((id) => usedImages.has(id))).reduce((t, [p]) => t + partSize(p), 0);

  const containerRows: DiskUsage['containers'] = [];
  const users = volumeUsers(containers);
  for (const c of containers) {
    const dir = await snapshotDir(c.snapshotKey);
    const size = (dir === undefined ? 0 : du(dir, seen)) + du(join(ctx.paths.containers, c.id), seen);
    containerRows.push({ id: c.id, size, volumes: [...users].filter(([, ids]) => ids.includes(c.id)).length });
  }
  const volumes: DiskUsage['volumes'] = ctx.volumes.list().map((v) => ({ name: v.name, links: users.get(v.name)?.length ?? 0, size: du(join(ctx.paths.root, 'volumes', v.name), seen) }));
  // The build cache: its directory, and the blobs that only the cache keeps.
  const cacheRoots = ctx.builder ? await (await ctx.builder()).cacheRoots(ctx.paths.root) : [];
  let buildCache = du(join(ctx.paths.root, 'build-cache'), seen);
  let cacheEntries = 0;
  for (const digest of new Set(cacheRoots)) {
    if (blobSize.has(digest)) continue;
    cacheEntries++;
    buildCache += await ctx.content.info(digest as Digest).then((i) => i.size, () => 0);
  }
  return { images, imagesTotal, imagesReclaimable, containers: containerRows, volumes, buildCache: { count: cacheEntries, size: buildCache } };
}
