import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Extract, Header } from 'tar-stream';
import tar from 'tar-stream';

import type { Digest } from '../../base/index.js';
import { diskFullError, errors, isBerthError, isDiskFull } from '../../base/index.js';
import { decompress } from './decompress.js';
import { captureRawPax, type PaxRecords } from './tar-pax.js';
import { type LayerEntry, Unpacker } from './unpacker.js';

export interface ApplyOptions {
  /** 'skip' (default) ignores char/block devices and fifos with a warning via onWarning; 'refuse' throws. Device nodes are never needed: the runtime makes /dev. */
  devices?: 'skip' | 'refuse';
  /**
   * 'delete' (default): whiteouts delete from `dir` (a flattened root filesystem). 'overlay': `dir`
   * is an overlayfs lower layer that will be stacked, so `.wh.<name>` becomes a 0/0 character device
   * and `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory.
   */
  whiteouts?: 'delete' | 'overlay';
  /** keep uid/gid from the tar (default: true when running as root) */
  sameOwner?: boolean;
  /** how errors name the layer, e.g. its digest (default: the target directory) */
  layerName?: string;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface AppliedLayer {
  /** sha256 of the uncompressed tar: the layer's diffID */
  diffId: Digest;
  /** size of the uncompressed tar in bytes */
  size: number;
}

function number(pax: PaxRecords | undefined, key: string): number | undefined {
  const value = pax?.get(key);
  const parsed = value === undefined ? Number.NaN : Number(value.toString('latin1'));
  return Number.isFinite(parsed) ? parsed : undefined;
}

function toEntry(header: Header, pax: PaxRecords | undefined): LayerEntry {
  const headerMtime = (header.mtime?.getTime() ?? 0) / 1000;
  const mtime = number(pax, 'mtime') ?? (Number.isFinite(headerMtime) ? headerMtime : 0);
  const xattrs: [string, Buffer][] = [];
  for (const [key, value] of pax ?? []) {
    if (key.startsWith('SCHILY.xattr.')) xattrs.push([key.slice('SCHILY.xattr.'.length), value]);
  }
  return {
    name: header.name,
    type: header.type,
    mode: (header.mode ?? 0) & 0o7777,
    uid: number(pax, 'uid') ?? header.uid ?? 0,
    gid: number(pax, 'gid') ?? header.gid ?? 0,
    size: header.size ?? 0,
    linkname: header.linkname ?? '',
    mtime,
    atime: number(pax, 'atime') ?? mtime,
    xattrs,
  };
}

async function unpackEntries(extract: Extract, unpacker: EntrySink, options: Pick<ApplyOptions, 'signal' | 'layerName'>): Promise<void> {
  const takePax = captureRawPax(extract);
  // iterated by hand: a for-await loop would wait, on error, for the extract stream to close,
  // which it may never do while an entry is locked; the caller destroys it instead
  const entries = extract[Symbol.asyncIterator]();
  for (let next = await entries.next(); next.done !== true; next = await entries.next()) {
    const stream = next.value;
    options.signal?.throwIfAborted();
    const entry = toEntry(stream.header, takePax());
    try {
      await unpacker.entry(entry, stream as unknown as AsyncIterable<Buffer>);
    } catch (err) {
      if (isBerthError(err) || !(err instanceof Error) || !('syscall' in err)) throw err;
      if (isDiskFull(err)) throw diskFullError(err, `layer entry "${entry.name}"${options.layerName !== undefined ? ` of layer "${options.layerName}"` : ''}`);
      throw errors.unknown('LAYER_APPLY_FAILED', `Cannot apply layer entry "${entry.name}": ${err.message}`, { cause: err });
    }
    stream.resume(); // drain whatever the entry did not read
  }
  try {
    unpacker.finish();
  } catch (err) {
    if (isBerthError(err) || !(err instanceof Error) || !('syscall' in err)) throw err;
    throw errors.unknown('LAYER_APPLY_FAILED', `Cannot apply layer: setting directory times failed: ${err.message}`, { cause: err });
  }
}

async function writeAll(extract: Extract, chunk: Buffer): Promise<void> {
  // a parser that already failed (a corrupt header) emits no drain, close or error again:
  // waiting for one would hang the apply for good
  if (extract.destroyed) throw new Error('tar parser closed');
  if (extract.write(chunk)) return;
  if (extract.destroyed) throw new Error('tar parser closed');
  await new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      extract.off('drain', done).off('close', closed).off('error', done);
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error('Tar parser failed', { cause: err }));
    };
    const closed = () => done(new Error('tar parser closed'));
    extract.on('drain', done).on('close', closed).on('error', done);
  });
}

/**
 * Applies one layer (plain, gzip or zstd tar, detected by magic bytes: decompress.ts) onto `dir`, with OCI whiteouts
 * (`.wh.<name>` deletes, `.wh..wh..opq` makes the directory opaque). Returns the uncompressed
 * digest (diffID) and size. Entries can never create, change or delete anything outside `dir`:
 * see Unpacker for how, and for the assumption that `dir` is private to berth while unpacking.
 *
 * Errors: invalidArgument LAYER_PATH_ESCAPE (an entry or hard link target leads outside `dir`),
 * LAYER_LINK_TARGET_MISSING, LAYER_LINK_TO_DIRECTORY, LAYER_NOT_A_DIRECTORY, LAYER_SYMLINK_LOOP,
 * LAYER_DEVICE_NODE (devices: 'refuse'), LAYER_INVALID_WHITEOUT, LAYER_INVALID_ENTRY;
 * dataLoss LAYER_CORRUPT (truncated or corrupt tar or gzip); notImplemented
 * LAYER_COMPRESSION_UNSUPPORTED, LAYER_UNSUPPORTED_ENTRY; aborted LAYER_APPLY_ABORTED;
 * unknown LAYER_APPLY_FAILED (a system call failed, e.g. ENOSPC). `dir` is left partly written
 * on failure: callers unpack into a fresh directory and discard it.
 */
export async function applyLayer(input: Readable, dir: string, options: ApplyOptions = {}): Promise<AppliedLayer> {
  const unpacker = new Unpacker(dir, {
    devices: options.devices ?? 'skip',
    whiteouts: options.whiteouts ?? 'delete',
    sameOwner: options.sameOwner ?? process.getuid?.() === 0,
    warn: options.onWarning ?? (() => undefined),
  });
  return feedTar(input, unpacker, { ...options, layerName: options.layerName ?? dir });
}

/** What `feedTar` hands each tar entry to, in order: the layer Unpacker, or cp's in-root extractor. */
export interface EntrySink {
  entry(entry: LayerEntry, body: AsyncIterable<Buffer>): Promise<void>;
  finish(): void;
}

/**
 * Reads a plain, gzip or zstd tar and hands its entries (PAX records applied) to `unpacker`; the
 * stream plumbing, digest and error reporting of `applyLayer`, shared with other extractors.
 */
export async function feedTar(input: Readable, unpacker: EntrySink, options: Pick<ApplyOptions, 'signal' | 'layerName'> & { layerName: string }): Promise<AppliedLayer> {
  const layer = options.layerName;
  const extract = tar.extract();
  const hash = createHash('sha256');
  let size = 0;
  const feeding = (async () => {
    const { stream: tarBytes } = await decompress(input, layer);
    await pipeline(tarBytes, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        await writeAll(extract, chunk);
      }
      extract.end(null);
    }, options.signal === undefined ? {} : { signal: options.signal });
  })();
  const unpacking = unpackEntries(extract, unpacker, options);
  // a failed feed never ends the tar parser: destroy it so the entry loop stops waiting
  feeding.catch((err: unknown) => extract.destroy(err instanceof Error ? err : new Error(String(err))));
  // and a failed unpack stops the feed: a parser nobody reads never drains, which would hold it for good
  unpacking.catch(() => extract.destroy(new Error('layer apply failed')));
  const [fed, unpacked] = await Promise.allSettled([feeding, unpacking]);
  if (fed.status === 'rejected' || unpacked.status === 'rejected') {
    extract.destroy(new Error('layer apply failed'));
    input.destroy();
    // an unpacking error explains more than the broken pipe it causes
    const reason: unknown = unpacked.status === 'rejected' ? unpacked.reason : (fed as PromiseRejectedResult).reason;
    throw describe(reason, layer, options.signal);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

function describe(err: unknown, layer: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted === true) return errors.aborted('LAYER_APPLY_ABORTED', `Applying layer "${layer}" was aborted`, { cause: err });
  if (isBerthError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const zlib = typeof code === 'string' && code.startsWith('Z_');
  if (zlib || (err instanceof Error && !('syscall' in err))) {
    return errors.dataLoss('LAYER_CORRUPT', `Cannot apply layer "${layer}": the layer is truncated or corrupt (${(err as Error).message})`, { cause: err });
  }
  return err;
}
