import type { Readable } from 'node:stream';

import type { Digest } from '../../base/index.js';

export interface ContentInfo {
  digest: Digest;
  size: number;
  /** When the blob was committed (ms since the epoch); `walk` fills it in, for garbage collection. */
  committedAt?: number;
}

/** What a writer must see before its content becomes visible. */
export interface Expected {
  digest?: Digest;
  size?: number;
}

/**
 * A writer for one blob. Write the bytes, then `commit`: the store checks the size and digest
 * against `expected` (when given) and only then makes the blob visible, atomically. Until
 * `commit` resolves nobody can read the blob; `abort` (or a crash) leaves nothing visible.
 */
export interface ContentWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  commit(expected?: Expected): Promise<ContentInfo>;
  abort(): Promise<void>;
}

/**
 * ContentStore: content-addressed blobs (sha256), the home of manifests, configs and layers.
 *
 * Lifecycle: `writer()` → `write()`* → `commit()`; a committed blob is immutable and addressed
 * by its digest. Writing a blob that already exists is not an error: the commit succeeds and
 * the existing blob stays. Errors: `NotFound` (BERTH_E_BLOB_NOT_FOUND) for a missing digest;
 * `DataLoss` (BERTH_E_BLOB_DIGEST_MISMATCH / BERTH_E_BLOB_SIZE_MISMATCH) when content does not
 * match what the caller expected.
 */
export interface ContentStore {
  info(digest: Digest): Promise<ContentInfo>;
  has(digest: Digest): Promise<boolean>;
  /** Reads a whole blob; for manifests and configs. */
  read(digest: Digest): Promise<Buffer>;
  /** Streams a blob; for layers. */
  createReadStream(digest: Digest): Readable;
  writer(): Promise<ContentWriter>;
  /** Writes a whole buffer and commits it. */
  put(data: Uint8Array, expected?: Expected): Promise<ContentInfo>;
  delete(digest: Digest): Promise<void>;
  /** Every committed blob. */
  walk(): AsyncIterable<ContentInfo>;
  /** Writes in progress or abandoned: their files (absolute paths), sizes and last write times. */
  ingests(): Promise<{ path: string; size: number; modifiedAt: number }[]>;
  /**
   * Removes writers left behind by crashed processes: those not written to for `olderThanMs`
   * and for which `keep(path)` (e.g. "a live process holds it open") is not true.
   */
  cleanIngests(olderThanMs: number, keep?: (path: string) => boolean): Promise<number>;
}
