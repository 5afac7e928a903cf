/** Helpers for core/diff tests: hand-made (possibly hostile) tars and tree snapshots. */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import type { Header } from 'tar-stream';
import tar from 'tar-stream';

import { llistxattr, lgetxattr } from '../sys/index.js';
import { paxHeaderBlocks } from '../core/diff/index.js';

export interface TestEntry extends Partial<Header> {
  name: string;
  body?: string | Buffer;
  /** raw PAX records written before the entry (binary-safe) */
  pax?: Record<string, string | Buffer>;
}

/** A tar (uncompressed) holding `entries` exactly as given: no name checks whatsoever. */
export async function makeTar(entries: readonly TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const { body, pax, ...header } of entries) {
    if (pax !== undefined) pack.push(paxHeaderBlocks(Object.entries(pax).map(([k, v]) => [k, Buffer.from(v)])));
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const full = { mtime: new Date(1_600_000_000_000), ...header };
      pack.entry(full, body ?? Buffer.alloc(0), cb); // without a body, tar-stream waits for one
    });
  }
  pack.finalize();
  await reading;
  return Buffer.concat(chunks);
}

export function streamOf(buf: Buffer, chunkSize = 65536): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

export function tempDir(prefix = 'berth-diff-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Everything under `dir` (not following symlinks): type, mode, owner, mtime, link, content, xattrs, link groups. */
export function snapshotTree(dir: string, options: { mtimes?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, path);
      const st = lstatSync(abs);
      const parts = [`mode=${st.mode.toString(8)}`, `owner=${st.uid}:${st.gid}`];
      if (options.mtimes !== false && !st.isSymbolicLink()) parts.push(`mtime=${Math.floor(st.mtimeMs / 1000)}`);
      if (st.isSymbolicLink()) parts.push(`target=${readlinkSync(abs)}`);
      if (st.isFile()) parts.push(`content=${readFileSync(abs).toString('base64').slice(0, 64)}`, `size=${st.size}`);
      if (st.isCharacterDevice() || st.isBlockDevice()) parts.push(`rdev=${st.rdev}`);
      if (!st.isDirectory() && st.nlink > 1) {
        const first = inodes.get(st.ino);
        if (first === undefined) inodes.set(st.ino, path);
        else parts.push(`linked=${first}`);
      }
      for (const x of llistxattr(abs).sort()) parts.push(`xattr:${x}=${lgetxattr(abs, x)?.toString('hex') ?? ''}`);
      out[path] = parts.join(' ');
      if (st.isDirectory()) walk(path);
    }
  };
  walk('');
  return out;
}
