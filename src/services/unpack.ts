import { randomBytes } from 'node:crypto';

import type { Digest } from '../base/index.js';
import { errors, isAlreadyExists } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { chainIds } from '../core/images/index.js';
import type { EngineContext } from './engine-context.js';
import { loadDiff } from './lazy.js';

/**
 * Makes sure every layer of an image is unpacked as a committed snapshot named by its chain
 * id, unpacking only the missing ones, and returns the top chain id (undefined for an image
 * with no layers). A layer shared with another image is never unpacked twice.
 */
export async function ensureUnpacked(ctx: EngineContext, image: ResolvedImage, options: { signal?: AbortSignal } = {}): Promise<Digest | undefined> {
  const diffIds = image.config.rootfs.diff_ids;
  const chain = chainIds(diffIds);
  if (image.manifest.layers.length !== diffIds.length) {
    throw errors.dataLoss('IMAGE_LAYERS_MISMATCH', `Image "${image.id}" lists ${image.manifest.layers.length} layers but ${diffIds.length} diff ids`);
  }
  for (let i = 0; i < chain.length; i++) {
    const chainId = chain[i] as Digest;
    if (await ctx.snapshots.exists(chainId)) continue;
    const layer = image.manifest.layers[i];
    if (!layer) continue;
    const key = `extract-${randomBytes(6).toString('hex')}-${chainId}`;
    await ctx.snapshots.prepare(key, chain[i - 1]);
    try {
      const dir = await ctx.snapshots.upperDir(key);
      const applyOptions = { whiteouts: 'overlay' as const, onWarning: ctx.warn, ...(options.signal ? { signal: options.signal } : {}) };
      const { diffId } = await (await loadDiff()).applyLayer(ctx.content.createReadStream(layer.digest), dir, applyOptions);
      if (diffId !== diffIds[i]) {
        throw errors.dataLoss('LAYER_DIFFID_MISMATCH', `Layer "${layer.digest}" unpacks to "${diffId}", but the image config says "${diffIds[i]}"`);
      }
      await commitOrDiscard(ctx, chainId, key);
    } catch (err) {
      await ctx.snapshots.remove(key).catch(() => undefined);
      throw err;
    }
  }
  return chain[chain.length - 1];
}

/** Commits an unpacked snapshot, or drops it when another process committed the same chain first. */
export async function commitOrDiscard(ctx: EngineContext, name: string, key: string): Promise<void> {
  try {
    await ctx.snapshots.commit(name, key);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    await ctx.snapshots.remove(key);
  }
}
