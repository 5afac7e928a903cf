import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import type { Digest } from '../../base/index.js';
import { digestHex, diskFullError, errnoCode, errors, ignoreErrno, isDigest, randomHex } from '../../base/index.js';
import type { ContentInfo, ContentStore, ContentWriter, Expected } from '../../core/content/index.js';

/** Blobs up to this size are read synchronously (manifests, configs, indexes). */
const smallBlobBytes = 256 * 1024;

/**
 * The local content store: `blobs/sha256/<hex>` for committed blobs and `ingest/<random>` for
 * writes in progress. A blob is fsynced and verified before it is renamed into `blobs/`, so a
 * reader never sees a partial or wrong blob, whatever happens to the writer.
 */
export function createLocalContentStore(root: string): ContentStore {
  const blobs = join(root, 'blobs', 'sha256');
  const ingest = join(root, 'ingest');
  let dirsReady: Promise<unknown> | undefined;
  const ensureDirs = () => (dirsReady ??= Promise.all([mkdir(blobs, { recursive: true }), mkdir(ingest, { recursive: true })]));
  const blobPath = (digest: Digest) => join(blobs, digestHex(digest));
  const notFound = (digest: Digest, cause?: unknown) =>
    errors.notFound('BLOB_NOT_FOUND', `Blob "${digest}" not found in the content store`, { cause });

  async function info(digest: Digest): Promise<ContentInfo> {
    try {
      const st = await stat(blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(digest, err);
      throw err;
    }
  }

  async function writer(): Promise<ContentWriter> {
    await ensureDirs();
    const path = join(ingest, `${Date.now()}-${randomHex(8)}`);
    const handle: FileHandle = await open(path, 'wx', 0o644);
    const hash = createHash('sha256');
    let size = 0;
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    };
    return {
      get size() {
        return size;
      },
      async write(chunk) {
        hash.update(chunk);
        size += chunk.byteLength;
        let offset = 0;
        try {
          while (offset < chunk.byteLength) {
            const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
            offset += bytesWritten;
          }
        } catch (err) {
          throw diskFullError(err, `a blob into the content store ("${path}")`);
        }
      },
      async commit(expected: Expected = {}) {
        try {
          await handle.sync();
          await close();
        } catch (err) {
          throw diskFullError(err, `a blob into the content store ("${path}")`);
        }
        const digest: Digest = `sha256:${hash.digest('hex')}`;
        if (expected.size !== undefined && expected.size !== size) {
          await unlink(path);
          throw errors.dataLoss('BLOB_SIZE_MISMATCH', `Blob "${expected.digest ?? digest}" has ${size} bytes, expected ${expected.size}`);
        }
        if (expected.digest !== undefined && expected.digest !== digest) {
          await unlink(path);
          throw errors.dataLoss('BLOB_DIGEST_MISMATCH', `Blob content has digest "${digest}", expected "${expected.digest}"`);
        }
        await rename(path, blobPath(digest));
        return { digest, size };
      },
      async abort() {
        await close();
        await ignoreErrno(['ENOENT'], () => unlink(path), undefined);
      },
    };
  }

  return {
    info,
    async has(digest) {
      // One stat, synchronously: a trip through the thread pool costs more than the syscall (a
      // fully cached build asks once per step).
      try {
        statSync(blobPath(digest));
        return true;
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return false;
        throw err;
      }
    },
    async read(digest) {
      // A manifest or a config (a few kB): read at once, synchronously, where a thread-pool trip
      // per step (and node:fs/promises, on `run`'s path) costs more; a large blob off the event loop.
      let fd: number;
      try {
        fd = openSync(blobPath(digest), 'r');
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw notFound(digest, err);
        throw err;
      }
      try {
        if (fstatSync(fd).size <= smallBlobBytes) return readFileSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        return await readFile(blobPath(digest));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw notFound(digest, err);
        throw err;
      }
    },
    createReadStream(digest): Readable {
      return createReadStream(blobPath(digest));
    },
    writer,
    async put(data, expected) {
      const w = await writer();
      try {
        await w.write(data);
      } catch (err) {
        await w.abort();
        throw err;
      }
      return w.commit(expected);
    },
    async delete(digest) {
      try {
        await unlink(blobPath(digest));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw notFound(digest, err);
        throw err;
      }
    },
    async *walk() {
      const names = await ignoreErrno(['ENOENT'], () => readdir(blobs), [] as string[]);
      for (const name of names.sort()) {
        const digest = `sha256:${name}`;
        if (!isDigest(digest)) continue;
        // One stat each, synchronously: a trip through the thread pool costs more than the call (system df walks every blob).
        const st = statSync(join(blobs, name), { throwIfNoEntry: false });
        if (st) yield { digest, size: st.size, committedAt: st.mtimeMs };
      }
    },
    async ingests() {
      const names = await ignoreErrno(['ENOENT'], () => readdir(ingest), [] as string[]);
      const out: { path: string; size: number; modifiedAt: number }[] = [];
      for (const name of names.sort()) {
        const st = await ignoreErrno(['ENOENT'], () => stat(join(ingest, name)), undefined);
        if (st) out.push({ path: join(ingest, name), size: st.size, modifiedAt: st.mtimeMs });
      }
      return out;
    },
    async cleanIngests(olderThanMs, keep = () => false) {
      const names = await ignoreErrno(['ENOENT'], () => readdir(ingest), [] as string[]);
      let removed = 0;
      for (const name of names) {
        // The last write, not the start: a long upload that is still being written stays.
        const st = await ignoreErrno(['ENOENT'], () => stat(join(ingest, name)), undefined);
        // mtimeMs has a fraction Date.now() lacks: floored, a write of this very millisecond counts as 0 ms old.
        if (st && Date.now() - Math.floor(st.mtimeMs) >= olderThanMs && !keep(join(ingest, name))) {
          await ignoreErrno(['ENOENT'], () => unlink(join(ingest, name)), undefined);
          removed++;
        }
      }
      return removed;
    },
  };
}

/** Re-hashes a committed blob: true when its content still matches its name. */
export async function verifyBlob(store: ContentStore, digest: Digest): Promise<boolean> {
  const hash = createHash('sha256');
  for await (const chunk of store.createReadStream(digest)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}` === digest;
}
