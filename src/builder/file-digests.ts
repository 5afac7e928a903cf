/**
 * The build context's file digests, kept across builds: `<root>/build-cache/file-digests.json`
 * maps a file, by (device, inode), to the sha256 of its content together with the size, mtime and
 * ctime (nanoseconds) it had when it was read. A later build takes the digest without reading the
 * file again only when all of these are unchanged, so an unchanged context costs one lstat per
 * file instead of a read and a hash (a fully cached rebuild's COPY keys).
 *
 * Safe against what fools mtime-only caches: a file rewritten with the same size and its mtime
 * restored (`touch -d`) has a new ctime, which no user can set back; a file replaced by another
 * (rename, a new inode) is another key. A file still being written when it was read is never
 * remembered: the digest is kept only when the file's stat before and after the read agree and
 * its last change (ctime, mtime) lies more than `racyMs` (1 s) in the past, longer than the
 * kernel's coarse timestamp tick, so a later write within the same tick cannot leave the times as
 * they were (git's "racy clean" rule). A cache file that cannot be read — truncated, corrupt,
 * from another version — is ignored whole and rewritten; the cache holds at most `maxEntries`
 * files, the least recently used dropped first. Only directory contexts given by path use it: a
 * tar context is extracted to new inodes every build.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats, Stats } from 'node:fs';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { errnoCode, trace, writeFileAtomic } from '../base/index.js';

/** size, mtime ns, ctime ns (decimal strings), sha256 hex, last use (seconds since the epoch). */
type Entry = [string, string, string, string, number];

interface CacheFile {
  version: 1;
  entries: Record<string, Entry>;
}

const isEntry = (v: unknown): v is Entry => Array.isArray(v) && v.length === 5
  && v.slice(0, 3).every((x) => typeof x === 'string' && /^\d+$/.test(x)) && typeof v[3] === 'string' && /^[0-9a-f]{64}$/.test(v[3]) && typeof v[4] === 'number';

/** The entries of a cache file, or none when it cannot be read whole (missing, truncated, corrupt, another version). */
function load(path: string): Map<string, Entry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') trace(`file digests: ${path} not read: ${(err as Error).message}`);
    return new Map();
  }
  try {
    const parsed = JSON.parse(text) as Partial<CacheFile>;
    if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error('not a version 1 digest cache');
    const entries = new Map<string, Entry>();
    for (const [key, entry] of Object.entries(parsed.entries)) {
      if (!/^\d+:\d+$/.test(key) || !isEntry(entry)) throw new Error(`entry ${JSON.stringify(key)} malformed`);
      entries.set(key, entry);
    }
    return entries;
  } catch (err) {
    trace(`file digests: ${path} ignored: ${(err as Error).message}`);
    return new Map();
  }
}

export interface FileDigestOptions {
  /** A file whose content changed less than this long ago is not remembered (default 1000 ms). */
  racyMs?: number;
  /** At most this many files (default 200,000), the least recently used dropped first. */
  maxEntries?: number;
  /** The clock (tests). */
  now?: () => number;
}

export class FileDigests {
  private readonly entries: Map<string, Entry>;
  private dirty = false;
  private readonly racyNs: bigint;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Files read and hashed, and digests taken from the cache, since it was opened. */
  readonly stats = { hashed: 0, reused: 0 };

  constructor(private readonly path: string, options: FileDigestOptions = {}) {
    this.entries = load(path);
    this.racyNs = BigInt(options.racyMs ?? 1000) * 1_000_000n;
    this.maxEntries = options.maxEntries ?? 200_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The sha256 (hex) of the regular file at `path`, from the cache when its identity and times are
   * unchanged. `given` is the file's lstat when the caller has it with nanoseconds (a walk's).
   */
  digest(path: string, given?: Stats | BigIntStats): string {
    const st = given !== undefined && typeof given.ino === 'bigint' ? given as BigIntStats : lstatSync(path, { bigint: true });
    const key = `${st.dev}:${st.ino}`;
    const known = this.entries.get(key);
    const nowSec = Math.floor(this.now() / 1000);
    if (known && known[0] === String(st.size) && known[1] === String(st.mtimeNs) && known[2] === String(st.ctimeNs)) {
      this.stats.reused++;
      // The use is recorded coarsely (a day), so that a cached rebuild does not rewrite the cache.
      if (nowSec - known[4] > 86_400) {
        known[4] = nowSec;
        this.dirty = true;
      }
      return known[3];
    }
    this.stats.hashed++;
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const before = fstatSync(fd, { bigint: true });
      const digest = hashFd(fd, before);
      const after = fstatSync(fd, { bigint: true });
      if (this.rememberable(before, after)) {
        this.entries.delete(key);
        this.entries.set(`${before.dev}:${before.ino}`, [String(before.size), String(before.mtimeNs), String(before.ctimeNs), digest, nowSec]);
        this.dirty = true;
      } else if (known) {
        this.entries.delete(key);
        this.dirty = true;
      }
      return digest;
    } finally {
      closeSync(fd);
    }
  }

  /** Unchanged while it was read, and last changed long enough ago that a change now would show in its times. */
  private rememberable(before: BigIntStats, after: BigIntStats): boolean {
    if (before.size !== after.size || before.mtimeNs !== after.mtimeNs || before.ctimeNs !== after.ctimeNs || before.ino !== after.ino) return false;
    const latest = before.ctimeNs > before.mtimeNs ? before.ctimeNs : before.mtimeNs;
    return BigInt(this.now()) * 1_000_000n - latest > this.racyNs;
  }

  /**
   * Writes the cache back when it changed, atomically (a reader sees the old file or the new one).
   * A cache that cannot be written costs the next build its reads, never the build: no error.
   */
  async save(): Promise<void> {
    trace(`file digests: ${this.stats.reused} reused, ${this.stats.hashed} hashed`);
    if (!this.dirty) return;
    this.dirty = false;
    let list = [...this.entries];
    if (list.length > this.maxEntries) list = list.sort((a, b) => b[1][4] - a[1][4]).slice(0, this.maxEntries);
    const file: CacheFile = { version: 1, entries: Object.fromEntries(list) };
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFileAtomic(this.path, JSON.stringify(file), { fsync: false });
    } catch (err) {
      trace(`file digests: ${this.path} not written: ${(err as Error).message}`);
    }
  }
}

/** Reads the open file to its end (one read up to 4 MiB, then 1 MiB pieces) and returns its sha256. */
function hashFd(fd: number, st: BigIntStats): string {
  const hash = createHash('sha256');
  const size = Number(st.size);
  const buf = Buffer.allocUnsafe(size <= 4 << 20 ? Math.max(size, 1) : 1 << 20);
  for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) hash.update(buf.subarray(0, n));
  return hash.digest('hex');
}
