/**
 * `diff` and `commit`: a container's changes, read from its overlayfs upper directory. `commit`
 * stores them as a layer (core/diff writeLayer, as a build step's layer is written) on top of
 * the image's layers, with the container's config (plus `--change` instructions, run by the
 * builder's parser as `import --change` is) and a history entry, then names the image. Nothing is
 * named until every blob is stored: a commit killed halfway leaves only unreferenced blobs or an
 * ingest, which `berth system prune` collects.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Digest, Operation } from '../base/index.js';
import { errors, selfProcess, withOperation } from '../base/index.js';
import { supervisorAlive } from '../core/containers/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { withLease } from '../core/metadata/index.js';
import { mountAll, unmountAll } from '../core/mount/index.js';
import type { ImageConfig, ImageRuntimeConfig } from '../oci/index.js';
import { mediaTypes, parseReference } from '../oci/index.js';
import type { CommitOptions, ContainerChange } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';
import { loadDiff } from './lazy.js';
import { validateImageConfig } from './validate-image-config.js';

/** The image layers under a container's snapshot, top first (from its overlay mount). */
async function lowerDirs(ctx: EngineContext, record: ContainerRecord): Promise<string[]> {
  const mounts = await ctx.snapshots.mounts(record.snapshotKey);
  const lower = mounts.find((m) => m.type === 'overlay')?.options.find((o) => o.startsWith('lowerdir='));
  return lower === undefined ? [] : lower.slice('lowerdir='.length).split(':');
}

/** Stores the layer tar of an upper directory in the content store; returns its digest (== diffID) and size. */
async function storeUpperLayer(ctx: EngineContext, upper: string, op: Operation): Promise<{ digest: Digest; size: number }> {
  const writer = await ctx.content.writer();
  try {
    const diff = await loadDiff();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        writer.write(chunk).then(() => done(), done);
      },
    });
    await pipeline(diff.writeLayer(upper, { source: 'overlay-upper', onWarning: (m) => op.warn(m), ...(op.signal ? { signal: op.signal } : {}) }), sink);
    const info = await writer.commit();
    return { digest: info.digest, size: info.size };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

export function createContainerCommits(ctx: EngineContext, images: ImageService) {
  async function changes(ref: string, op: Operation): Promise<ContainerChange[]> {
    const record = ctx.metadata.findContainer(ref);
    const upper = await ctx.snapshots.upperDir(record.snapshotKey);
    const lowers = await lowerDirs(ctx, record);
    const diff = await loadDiff();
    const mountStubs = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', ...record.hostConfig.binds.map((b) => b.target.replace(/\/+$/, ''))]);
    if (lowers.length <= 1) return diff.containerChanges(upper, lowers[0], { mountStubs });
    // The image's merged tree, mounted read-only for the comparison.
    const dir = join(ctx.paths.root, 'container-mounts', `${record.id}-${op.tag}-image`);
    await mkdir(dir, { recursive: true });
    try {
      mountAll([{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }], dir);
      try {
        return diff.containerChanges(upper, dir, { mountStubs });
      } finally {
        await unmountAll(dir);
      }
    } finally {
      await rmdir(dir).catch(() => undefined);
    }
  }

  async function commit(ref: string, options: CommitOptions, op: Operation): Promise<{ id: Digest }> {
    const record = ctx.metadata.findContainer(ref);
    const names = options.reference === undefined ? [] : [parseReference(options.reference).full];
    const image = await images.resolve(record.imageId);
    const { Hostname: _hostname, Image: _image, ...containerConfig } = record.config;
    let config: ImageRuntimeConfig = containerConfig;
    const changeList = options.changes ?? [];
    if (changeList.length > 0) {
      if (!ctx.builder) throw errors.notImplemented('CHANGES_UNSUPPORTED', 'Cannot apply --change: this engine has no Dockerfile builder');
      config = (await ctx.builder()).applyChanges(config, changeList);
      validateImageConfig(config);
    }
    return withLease(ctx.leases, async () => {
      const upper = await ctx.snapshots.upperDir(record.snapshotKey);
      const running = (record.state.status === 'running' || record.state.status === 'paused') && supervisorAlive(record);
      // Docker freezes a running container while its changes are read, so the layer is one moment of it.
      const pause = running && record.state.status === 'running' && options.pause !== false;
      const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
      // Marked first: if this process dies while the container is frozen, the next command thaws it (reconcile).
      if (pause) {
        ctx.metadata.updateContainer(record.id, (r) => void (r.state.committing = selfProcess()));
        await driver.pause(record.id);
      }
      let layer: { digest: Digest; size: number };
      try {
        layer = await storeUpperLayer(ctx, upper, op);
      } finally {
        if (pause) {
          await driver.resume(record.id);
          ctx.metadata.updateContainer(record.id, (r) => void delete r.state.committing);
        }
      }
      const created = new Date().toISOString();
      const imageConfig: ImageConfig = {
        ...image.config,
        created,
        ...(options.author !== undefined ? { author: options.author } : {}),
        config,
        rootfs: { type: 'layers', diff_ids: [...image.config.rootfs.diff_ids, layer.digest] },
        history: [
          ...(image.config.history ?? []),
          {
            created,
            created_by: (record.config.Cmd ?? []).join(' '),
            ...(options.author !== undefined ? { author: options.author } : {}),
            ...(options.message !== undefined ? { comment: options.message } : {}),
          },
        ],
      };
      if (options.author === undefined) delete imageConfig.author;
      const layers = [...image.manifest.layers, { mediaType: mediaTypes.ociLayer, digest: layer.digest, size: layer.size }];
      const committed = await images.commit(imageConfig, layers, names);
      return { id: committed.id };
    }, op.signal ? { signal: op.signal } : {});
  }

  return {
    changes: (ref: string, op?: Operation) => withOperation(op, (own) => changes(ref, own)),
    commit: (ref: string, options: CommitOptions = {}, op?: Operation) => withOperation(op, (own) => commit(ref, options, own)),
  };
}
