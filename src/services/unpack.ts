import type { Readable } from 'node:stream';

import type { Digest } from '../base/index.js';
import { errors, isAlreadyExists, isBerthError, randomHex } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { chainIds } from '../core/images/index.js';
import type { Snapshotter } from '../core/snapshots/index.js';
import type { Descriptor } from '../oci/index.js';
import type { EngineContext } from './engine-context.js';
import { loadDiff } from './lazy.js';
import { counting } from './progress.js';

/** One layer of a stack: its diffID (what chain ids are made of) and the blob holding its tar. */
export interface StackLayer {
  diffId: Digest;
  blob: Digest;
}

/**
 * The layers of a stack, bottom first, from a manifest's layer descriptors and the config's
 * diffIDs (`what` names the image or stage in the error when they do not pair up).
 */
export function stackLayers(blobs: readonly Descriptor[], diffIds: readonly Digest[], what: string): StackLayer[] {
  if (blobs.length !== diffIds.length) {
    throw errors.dataLoss('IMAGE_LAYERS_MISMATCH', `${what} lists ${blobs.length} layers but ${diffIds.length} diff ids`);
  }
  return diffIds.map((diffId, i) => ({ diffId, blob: (blobs[i] as Descriptor).digest }));
}

/** The layers of an image, bottom first. */
export function imageLayers(image: ResolvedImage): StackLayer[] {
  return stackLayers(image.manifest.layers, image.config.rootfs.diff_ids, `Image "${image.id}"`);
}

export interface UnpackOptions {
  signal?: AbortSignal;
  /** Bytes of a layer's blob read so far (`pull`'s Extracting progress). */
  onBytes?: (blob: Digest, read: number) => void;
  /**
   * A layer's blob as it arrives (a pull unpacking while it downloads), read instead of the
   * content store's copy. It must end only once the blob is verified and committed (and fail
   * otherwise): the snapshot is committed after it ended and the diffID matched.
   */
  source?: { blob: Digest; stream: Readable };
}

/**
 * Unpacks in flight in this process, per snapshotter, by chain id: containerd's duplication
 * suppressor. A second request for a layer being unpacked waits for that unpack instead of
 * doing the same work again (and throwing it away at commit).
 */
const inFlight = new WeakMap<Snapshotter, Map<string, Promise<void>>>();

/**
 * Makes sure every layer of a stack (bottom first) is unpacked as a committed snapshot named by
 * its chain id, unpacking only the missing ones, and returns the top chain id (undefined for no
 * layers). A layer is unpacked once: shared with another image, asked for by two concurrent
 * requests of this process (the second waits for the first), or by two processes (the second
 * to commit drops its copy).
 */
export async function ensureUnpacked(ctx: EngineContext, layers: readonly StackLayer[], options: UnpackOptions = {}): Promise<Digest | undefined> {
  const chain = chainIds(layers.map((l) => l.diffId));
  let running = inFlight.get(ctx.snapshots);
  if (!running) inFlight.set(ctx.snapshots, (running = new Map<string, Promise<void>>()));
  for (let i = 0; i < chain.length; i++) {
    const chainId = chain[i] as Digest;
    for (;;) {
      const other = running.get(chainId);
      if (other) {
        try {
          await other;
          break;
        } catch (err) {
          // Someone else's abort is not ours: unpack it ourselves. Any other failure is shared.
          if (!isBerthError(err, 'Aborted') || options.signal?.aborted) throw err;
          continue;
        }
      }
      if (await ctx.snapshots.exists(chainId)) break;
      if (running.has(chainId)) continue; // started while we looked
      const work = unpackLayer(ctx, layers[i] as StackLayer, chainId, chain[i - 1], options);
      running.set(chainId, work);
      try {
        await work;
      } finally {
        running.delete(chainId);
      }
      break;
    }
  }
  return chain[chain.length - 1];
}

async function unpackLayer(ctx: EngineContext, layer: StackLayer, chainId: Digest, parent: Digest | undefined, options: UnpackOptions): Promise<void> {
  const key = extractKey(chainId);
  await ctx.snapshots.prepare(key, parent);
  try {
    await extractInto(ctx, key, layer, options);
    await commitOrDiscard(ctx, chainId, key);
  } catch (err) {
    await ctx.snapshots.remove(key).catch(() => undefined);
    throw err;
  }
}

const extractKey = (chainId: Digest) => `extract-${randomHex(6)}-${chainId}`;

/** Applies a layer's tar to an active snapshot's directory (overlay whiteouts) and checks its diffID. */
async function extractInto(ctx: EngineContext, key: string, layer: StackLayer, options: UnpackOptions): Promise<void> {
  const { signal, onBytes } = options;
  const dir = await ctx.snapshots.upperDir(key);
  const applyOptions = { whiteouts: 'overlay' as const, onWarning: ctx.warn, ...(signal ? { signal } : {}) };
  const blob = options.source?.blob === layer.blob ? options.source.stream : ctx.content.createReadStream(layer.blob);
  const { diffId } = await (await loadDiff()).applyLayer(onBytes ? counting(blob, (read) => onBytes(layer.blob, read)) : blob, dir, applyOptions);
  if (diffId !== layer.diffId) {
    throw errors.dataLoss('LAYER_DIFFID_MISMATCH', `Layer "${layer.blob}" unpacks to "${diffId}", but the image config says "${layer.diffId}"`);
  }
}

/**
 * Unpacks one layer into an active snapshot of its own, prepared without a parent, before the
 * layers below it are committed (pull unpacks its layers side by side, each as its blob
 * arrives): an overlay layer's directory holds the same files whatever lies below it (a
 * whiteout is a 0/0 character device, an opaque directory an xattr, and a hard link's target
 * must be in the same layer). Returns the snapshot's key, its diffID checked; `commitStaged`
 * commits it once its parent is. On failure nothing is left; a killed process leaves the
 * `extract-*` snapshot, which is unreferenced and collected (`system prune`).
 */
export async function stageLayer(ctx: EngineContext, layer: StackLayer, chainId: Digest, options: UnpackOptions = {}): Promise<string> {
  const key = extractKey(chainId);
  await ctx.snapshots.prepare(key, undefined);
  try {
    await extractInto(ctx, key, layer, options);
    return key;
  } catch (err) {
    await ctx.snapshots.remove(key).catch(() => undefined);
    throw err;
  }
}

/** Whether this process is unpacking the snapshot `chainId` now (ensureUnpacked). */
export function unpackRunning(ctx: EngineContext, chainId: Digest): boolean {
  return inFlight.get(ctx.snapshots)?.has(chainId) === true;
}

/**
 * Commits a staged layer (stageLayer) as `chainId` on `parent` (the chain id below it,
 * committed; undefined for a base layer), or drops it when that snapshot exists already.
 */
export async function commitStaged(ctx: EngineContext, chainId: Digest, key: string, parent: Digest | undefined): Promise<void> {
  await commitOrDiscard(ctx, chainId, key, parent);
}

/** Commits an unpacked snapshot, or drops it when another process committed the same chain first. */
export async function commitOrDiscard(ctx: EngineContext, name: string, key: string, parent?: string): Promise<void> {
  try {
    await ctx.snapshots.commit(name, key, parent !== undefined ? { parent } : {});
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    await ctx.snapshots.remove(key);
  }
}
