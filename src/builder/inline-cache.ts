/**
 * The build cache an image carries, for `--cache-from` (BuildKit's "inline cache", in berth's own
 * format): a build given `--build-arg BUILDKIT_INLINE_CACHE=1` writes, into its image's config,
 * the cache key of each filesystem step of the final stage with the layer it gave. A later build
 * — on another machine, after a pull — given `--cache-from` that image takes those layers for the
 * steps whose keys it computes the same, as it takes its own cache's. Keys are digests of a step's
 * inputs (the base image's id, the instructions, the files' content: stage-state.ts), so they mean
 * the same on every machine.
 */
import type { Digest } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import type { CacheRecord } from './build-cache.js';

/** The image config's field (top level, beside `rootfs`; other engines ignore it). */
export const INLINE_CACHE_FIELD = 'berth.cache.v1';

/** One step: its cache key, the layer it gave (null: it changed nothing), and its history's time and text. */
export interface InlineCacheRecord {
  key: string;
  diffId: Digest | null;
  size: number;
  created?: string;
  createdBy?: string;
}

/** `--build-arg BUILDKIT_INLINE_CACHE=1` (BuildKit's switch, kept so that the same command line works with both). */
export const INLINE_CACHE_ARG = 'BUILDKIT_INLINE_CACHE';

export function wantsInlineCache(buildArgs: Record<string, string>): boolean {
  return ['1', 'true'].includes((buildArgs[INLINE_CACHE_ARG] ?? '').toLowerCase());
}

const isKey = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/**
 * The records an image carries that can be used here: well formed, and naming one of the image's
 * own layers (so the blob is stored, and an image cannot point a build at another image's layer).
 * What is not is skipped: an image's cache is a hint, never an error.
 */
export function inlineCacheOf(image: ResolvedImage): Map<string, CacheRecord> {
  const out = new Map<string, CacheRecord>();
  const list = (image.config as unknown as Record<string, unknown>)[INLINE_CACHE_FIELD];
  if (!Array.isArray(list)) return out;
  const layers = new Map(image.config.rootfs.diff_ids.map((d, i) => [d, image.manifest.layers[i]]));
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const r = item as Record<string, unknown>;
    if (!isKey(r.key)) continue;
    const diffId = r.diffId === null ? null : typeof r.diffId === 'string' && layers.get(r.diffId as Digest) !== undefined ? (r.diffId as Digest) : undefined;
    if (diffId === undefined) continue;
    const layer = diffId === null ? undefined : layers.get(diffId);
    const compressed = layer !== undefined && layer.digest !== diffId;
    out.set(r.key, {
      diffId,
      // The uncompressed size the record gives (it goes back into the next inline cache as is); an uncompressed layer's is its blob's.
      size: compressed ? (typeof r.size === 'number' && Number.isSafeInteger(r.size) && r.size >= 0 ? r.size : 0) : (layer?.size ?? 0),
      // A pulled image's layer is stored as it came (compressed): the step takes that blob.
      ...(layer && compressed ? { layer: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size } } : {}),
      ...(typeof r.created === 'string' ? { created: r.created } : {}),
      ...(typeof r.createdBy === 'string' ? { createdBy: r.createdBy } : {}),
    });
  }
  return out;
}
