/**
 * COPY/ADD into a mounted root filesystem, with Docker's rules: a directory source copies its
 * contents; a file goes into `dest/` when dest is a directory (trailing slash, several sources,
 * or an existing directory) and is renamed otherwise; modes and symlinks are kept, owners become
 * root (or `--chown`), `--chmod` applies to copied files and directories, and destination
 * directories that COPY creates are 0755 owned by the `--chown` user.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import {
  chmodSync, closeSync, copyFileSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync,
  readFileSync, readSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeSync,
} from 'node:fs';
import { chmod, lchown, lstat, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';

import { errors, LruMap, lstatOrUndefined, lstatSyncOrUndefined, secureJoin } from '../base/index.js';
import type { SourceEntry, SourceRoot } from './context-sources.js';
import { walkSource } from './context-sources.js';

export interface CopyTarget {
  /** The mounted root filesystem. */
  rootfs: string;
  /** Absolute destination path inside the image. */
  dest: string;
  /** Dest was written with a trailing slash, or there are several sources. */
  destIsDir: boolean;
  uid: number;
  gid: number;
  chmod?: number;
}

/** Creates `path` (inside the image) and its missing parents, 0755 and owned by uid:gid. Returns the host path. */
export async function mkdirInImage(rootfs: string, path: string, uid: number, gid: number): Promise<string> {
  const parts = posix.normalize(path).split('/').filter((p) => p !== '');
  let current = '/';
  for (const part of parts) {
    current = posix.join(current, part);
    const host = secureJoin(rootfs, current);
    const st = await lstatOrUndefined(host);
    if (st?.isDirectory()) continue;
    if (st) throw errors.failedPrecondition('COPY_NOT_A_DIRECTORY', `Cannot create directory "${current}": a file is in the way`);
    // A symlink on the way (`/d -> /missing/abs`) resolved inside the root to a path whose
    // parents are missing too: create them all there, as Docker does.
    const first = await mkdir(host, { recursive: true, mode: 0o755 });
    for (let dir = host; first !== undefined && dir.length >= first.length; dir = dirname(dir)) {
      await chmod(dir, 0o755);
      await lchown(dir, uid, gid);
    }
  }
  return secureJoin(rootfs, path);
}

/** Files up to this size are copied with one read and one write. */
const smallFile = 1 << 20;

/** Removes what stands at `host` unless it is a directory and `keepDir`. */
function clear(host: string, keepDir: boolean): Stats | undefined {
  const st = lstatSyncOrUndefined(host);
  if (!st) return undefined;
  if (keepDir && st.isDirectory()) return st;
  rmSync(host, { recursive: true, force: true });
  return undefined;
}

/**
 * Copies one node. Synchronous: for small files each call is a few microseconds, while an async
 * call costs a round trip through the thread pool (a COPY of 20,000 files took 15 s that way).
 * `fresh`: the parent directory was created by this copy, so nothing stands at `host` yet.
 * Returns true when `host` is a directory this call created.
 */
function copyNode(abs: string, st: Stats, host: string, target: CopyTarget, fresh = false): boolean {
  const mode = target.chmod ?? st.mode & 0o7777;
  let created = false;
  if (st.isDirectory()) {
    const existing = fresh ? undefined : clear(host, true);
    if (!existing) {
      mkdirSync(host);
      created = true;
    }
    chmodSync(host, mode);
    lchownSync(host, target.uid, target.gid);
    utimesSync(host, st.atime, st.mtime);
  } else if (st.isSymbolicLink()) {
    if (!fresh) clear(host, false);
    symlinkSync(readlinkSync(abs), host);
    lchownSync(host, target.uid, target.gid);
    lutimesSync(host, st.atime, st.mtime);
  } else if (st.isFile()) {
    if (!fresh) clear(host, false);
    if (st.size <= smallFile) {
      // One open of the destination and calls on its descriptor: half the time of the path-based
      // calls on overlayfs. O_EXCL also refuses to follow anything that appeared at `host`.
      const data = readFileSync(abs);
      const fd = openSync(host, 'wx', 0o600);
      try {
        if (data.length > 0) writeSync(fd, data);
        fchownSync(fd, target.uid, target.gid);
        fchmodSync(fd, mode); // after fchown, which clears setuid bits
        futimesSync(fd, st.atime, st.mtime);
      } finally {
        closeSync(fd);
      }
    } else {
      copyFileSync(abs, host);
      chmodSync(host, mode);
      lchownSync(host, target.uid, target.gid);
      utimesSync(host, st.atime, st.mtime);
    }
  }
  // Sockets, fifos and devices are not copied, as Docker skips them.
  return created;
}

/** Copies one resolved source entry to the target. */
export async function copyEntry(root: SourceRoot, entry: SourceEntry, target: CopyTarget): Promise<void> {
  // A source named directly is followed when it is a symlink (resolveSources resolved it).
  const st = entry.st.isSymbolicLink() ? await lstat(entry.abs) : entry.st;
  if (st.isDirectory()) {
    const destHost = await mkdirInImage(target.rootfs, target.dest, target.uid, target.gid);
    const links = new Map<string, string>();
    // Directories this copy created: their children need no look-up before being written.
    const created = new Set<string>();
    walkSource(root, { ...entry, st }, (rel, abs, childSt) => {
      if (rel === '') return; // the directory itself: its contents go into dest
      const host = join(destHost, rel);
      const fresh = created.has(dirname(host));
      // Hard links inside a copied tree stay hard links, as BuildKit's copy keeps them.
      const inode = childSt.isFile() && childSt.nlink > 1 ? `${childSt.dev}:${childSt.ino}` : undefined;
      const first = inode === undefined ? undefined : links.get(inode);
      if (first !== undefined) {
        if (!fresh) clear(host, false);
        linkSync(first, host);
        return;
      }
      if (copyNode(abs, childSt, host, target, fresh)) created.add(host);
      if (inode !== undefined) links.set(inode, host);
    });
    return;
  }
  const file = target.destIsDir ? posix.join(target.dest, basename(entry.rel)) : target.dest;
  await mkdirInImage(target.rootfs, posix.dirname(file), target.uid, target.gid);
  const existing = await lstatOrUndefined(secureJoin(target.rootfs, file));
  const finalPath = existing?.isDirectory() ? posix.join(file, basename(entry.rel)) : file;
  copyNode(entry.abs, st, secureJoin(target.rootfs, finalPath), target);
}

/** Writes an inline file (COPY <<EOF dest) as 0644 (or --chmod), owned by the target user. */
export async function writeInlineFile(name: string, content: string, target: CopyTarget): Promise<void> {
  const file = target.destIsDir ? posix.join(target.dest, name) : target.dest;
  await mkdirInImage(target.rootfs, posix.dirname(file), target.uid, target.gid);
  const host = secureJoin(target.rootfs, file);
  clear(host, false);
  await writeFile(host, content);
  await chmod(host, target.chmod ?? 0o644);
  await lchown(host, target.uid, target.gid);
}

/**
 * Files this process has hashed, by identity and change times: one build copies a file several
 * times. Bounded for a long-running process (an entry is ~250 bytes: at most ~12 MiB), and
 * large enough that one build's context rarely overflows it (a scan of more files than this in
 * the same order would miss every time, as LRU does).
 */
const digestMemoEntries = 50_000;
const digestMemo = new LruMap<string, string>(digestMemoEntries);

/**
 * The sha256 of a file, read synchronously (in 1 MiB pieces beyond 4 MiB): the cache key of a
 * COPY of a hundred small files took 45-70 ms with a stream per file, 5 ms this way.
 */
function fileDigest(path: string, st: Stats): string {
  const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = digestMemo.get(id);
  if (known !== undefined) return known;
  const hash = createHash('sha256');
  if (st.size <= 4 << 20) hash.update(readFileSync(path));
  else {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  const digest = hash.digest('hex');
  digestMemo.set(id, digest);
  return digest;
}

/**
 * A digest of what copying `entries` would produce: names, types, modes, link targets and file
 * contents (never mtimes or owners), so the cache reuses a COPY whose files are unchanged.
 */
export async function hashEntries(root: SourceRoot, entries: readonly SourceEntry[]): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of entries) {
    const st = entry.st.isSymbolicLink() ? await lstat(entry.abs) : entry.st;
    hash.update(`entry ${entry.rel}\0`);
    walkSource(root, { ...entry, st }, (rel, abs, childSt) => {
      const mode = (childSt.mode & 0o7777).toString(8);
      if (childSt.isDirectory()) hash.update(`d ${rel} ${mode}\0`);
      else if (childSt.isSymbolicLink()) hash.update(`l ${rel} ${readlinkSync(abs)}\0`);
      else if (childSt.isFile()) hash.update(`f ${rel} ${mode} ${childSt.size} ${fileDigest(abs, childSt)}\0`);
    });
  }
  return hash.digest('hex');
}
