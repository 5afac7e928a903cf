import type { Digest } from '../../base/index.js';
import { errors, isDigest } from '../../base/index.js';
import { layerCompression } from '../../oci/index.js';

/**
 * That a compressed blob (a layer as registries serve it: gzip, zstd) is the compressed form of
 * an uncompressed layer. berth stores layers uncompressed (blob digest == diffID), so a pulled
 * layer is decompressed on the way in and its compressed digest would be forgotten; this record
 * keeps it, as Docker's v2 metadata and containerd's `containerd.io/uncompressed` label do:
 *
 * - pull: a manifest names compressed digests; one already recorded whose diffID blob is stored
 *   need not be downloaded (`getCompressedLayer`);
 * - push: for a layer's diffID, the compressed blobs known for it and the repositories that hold
 *   them (`listCompressedLayers`), so the pusher can offer or cross-mount one instead of
 *   compressing again.
 *
 * A record is a hint, not proof: check that the diffID's blob is stored, or that the registry
 * still has the blob, before relying on it.
 */
export interface CompressedLayer {
  /** The compressed blob, as a manifest lists it. */
  compressed: { mediaType: string; digest: Digest; size: number };
  /** The digest of the uncompressed tar (the layer berth stores). */
  diffId: Digest;
  /** Repositories known to hold the blob (`registry/repository`, e.g. `docker.io/library/busybox`), first seen first. */
  sources: string[];
}

/** Refuses a record that is not a compressed layer of a valid diffID (InvalidArgument `BERTH_E_INVALID_COMPRESSED_LAYER`). */
export function validateCompressedLayer(record: CompressedLayer): void {
  const problem = compressedLayerProblem(record);
  if (problem !== undefined) {
    throw errors.invalidArgument('INVALID_COMPRESSED_LAYER', `Invalid compressed layer record for "${String(record.compressed.digest)}": ${problem}`);
  }
}

function compressedLayerProblem({ compressed, diffId, sources }: CompressedLayer): string | undefined {
  // Digests become file names in a store: only the exact form is taken.
  if (!isDigest(compressed.digest)) return 'invalid digest';
  if (!isDigest(diffId)) return `invalid diffID "${String(diffId)}"`;
  const compression = layerCompression(compressed.mediaType);
  if (compression !== 'gzip' && compression !== 'zstd') return `"${compressed.mediaType}" is not a compressed layer media type`;
  if (!Number.isSafeInteger(compressed.size) || compressed.size < 0) return `invalid size ${compressed.size}`;
  if (compressed.digest === diffId) return 'the compressed digest equals the diffID';
  if (sources.some((s) => s === '' || /\s/.test(s))) return 'a source that is empty or holds white space';
  return undefined;
}

/**
 * The record to store when `next` is put while `existing` is stored: the sources merged (first
 * seen first). FailedPrecondition `BERTH_E_COMPRESSED_LAYER_CONFLICT` when the two disagree on
 * what the blob is (another diffID, size or compression): one of them is wrong, and which one
 * is not for the store to guess. The media type may differ in name only (Docker's and OCI's
 * gzip layer are the same bytes); the first one stays.
 */
export function mergeCompressedLayer(existing: CompressedLayer | undefined, next: CompressedLayer): CompressedLayer {
  if (existing === undefined) return { compressed: { ...next.compressed }, diffId: next.diffId, sources: [...new Set(next.sources)] };
  if (existing.diffId !== next.diffId || existing.compressed.size !== next.compressed.size
    || layerCompression(existing.compressed.mediaType) !== layerCompression(next.compressed.mediaType)) {
    throw errors.failedPrecondition('COMPRESSED_LAYER_CONFLICT',
      `Compressed layer "${next.compressed.digest}" is already recorded as ${existing.compressed.size} bytes of layer "${existing.diffId}", not ${next.compressed.size} bytes of "${next.diffId}"`);
  }
  return { ...existing, sources: [...new Set([...existing.sources, ...next.sources])] };
}
