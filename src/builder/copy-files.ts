/**
 * COPY/ADD into a mounted root filesystem, with Docker's rules: a directory source copies its
 * contents; a file goes into `dest/` when dest is a directory (trailing slash, several sources,
 * or an existing directory) and is renamed otherwise; modes and symlinks are kept, owners become
 * root (or `--chown`), `--chmod` applies to copied files and directories, and destination
 * directories that COPY creates are 0755 owned by the `--chown` user.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats, Stats } from 'node:fs';
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, openSync, readFileSync, readSync, readlinkSync, writeSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename, posix, resolve, sep } from 'node:path';

import { errnoCode, errors, LruMap } from '../base/index.js';
import {
  AT_EMPTY_PATH, O_PATH, closeAll, lchownAt, linkAt, lstatAt, lutimesAt, mkdirInRoot, mkdirat, openDirInRoot, openInRootDir, openRootDir, pathOfFd,
  readlinkAt, removeAllAt, symlinkAt,
} from '../sys/index.js';
import type { SourceEntry, SourceRoot } from './context-sources.js';
import type { FileDigests } from './file-digests.js';
import { walkSource } from './context-sources.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, S_IFMT, S_IFDIR, S_IFLNK } = constants;

/*
 * Every write goes through directory fds of the root (src/sys/in-root.ts), never through a host
 * path resolved beforehand: a process in the root that swaps a directory for a symlink while the
 * COPY runs (CVE-2018-15664) can only redirect a write elsewhere inside the root.
 */

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

/** Runs `fn` with an fd of the root directory, closed after. */
function withRoot<T>(rootfs: string, fn: (rootFd: number) => T): T {
  const rootFd = openRootDir(rootfs);
  try {
    return fn(rootFd);
  } finally {
    closeSync(rootFd);
  }
}

/** Errors a concurrent change of the destination tree gives (a directory became a symlink, went away). */
const raceCodes = new Set(['ELOOP', 'ENOTDIR', 'EEXIST', 'ENOENT', 'EINVAL', 'EISDIR']);

/** The directory-fd calls on the destination (not the reads of the source, whose errors stay as they are). */
const destCalls = new Set(['openat2', 'mkdirat', 'fstatat', 'readlinkat', 'symlinkat', 'linkat', 'fchownat', 'utimensat', 'removeAllAt']);

/** A write that lost a race with a process changing the root: a clear BerthError, not an internal error. */
function changedError(err: unknown, path: string): unknown {
  const code = errnoCode(err);
  const syscall = typeof err === 'object' && err !== null && 'syscall' in err ? err.syscall : undefined;
  if (code === undefined || !raceCodes.has(code) || typeof syscall !== 'string' || !destCalls.has(syscall)) return err;
  return errors.aborted('COPY_DEST_CHANGED', `Cannot write "${path}" in the image: its destination changed while it was being written`, { cause: err });
}

/** Creates `path` (inside the image) and its missing parents, 0755 and owned by uid:gid. Returns an fd of the directory. */
function mkdirInImageFd(rootFd: number, path: string, uid: number, gid: number): number {
  try {
    return mkdirInRoot(rootFd, path, { uid, gid, notDirCode: 'COPY_NOT_A_DIRECTORY' });
  } catch (err) {
    // A component swapped between its look-up and its use (the race test saw readlinkat's EINVAL).
    throw changedError(err, path);
  }
}

/**
 * Creates `path` (inside the image) and its missing parents, 0755 and owned by uid:gid. Returns
 * the host path, for writers with their own checks (the tar applier of ADD) and WORKDIR.
 */
export function mkdirInImage(rootfs: string, path: string, uid: number, gid: number): string {
  const root = resolve(rootfs);
  return withRoot(root, (rootFd) => {
    const fd = mkdirInImageFd(rootFd, path, uid, gid);
    try {
      const host = pathOfFd(fd);
      if (host !== root && !host.startsWith(root + sep)) {
        throw errors.aborted('COPY_DEST_CHANGED', `Cannot create directory "${path}" in the image: it is no longer inside the root`);
      }
      return host;
    } finally {
      closeSync(fd);
    }
  });
}

/**
 * The open parent directory of `file` (created if missing) and the name to write there, with a
 * final symlink resolved inside the root as Docker's copy resolves the whole destination path (a
 * file COPY'd onto `/link -> /etc/x` replaces /etc/x of the image). The returned directory fd is
 * the caller's to close.
 */
function openParent(rootFd: number, file: string, target: CopyTarget): { dirFd: number; name: string } {
  let path = file;
  for (let links = 0; ; links++) {
    const dirFd = mkdirInImageFd(rootFd, posix.dirname(path), target.uid, target.gid);
    const name = posix.basename(path);
    try {
      const mode = lstatAt(dirFd, name);
      if (mode === null || (mode & S_IFMT) !== S_IFLNK || links >= 40) return { dirFd, name };
      path = posix.resolve(posix.dirname(path), readlinkAt(dirFd, name));
    } catch (err) {
      closeSync(dirFd);
      throw err;
    }
    closeSync(dirFd);
  }
}

/** Files up to this size are copied with one read and one write. */
const smallFile = 1 << 20;

/** Removes what stands at `name` in `dirFd` unless it is a directory and `keepDir`; returns true when a directory is kept. */
function clearAt(dirFd: number, name: string, keepDir: boolean): boolean {
  const mode = lstatAt(dirFd, name);
  if (mode === null) return false;
  if (keepDir && (mode & S_IFMT) === S_IFDIR) return true;
  removeAllAt(dirFd, name);
  return false;
}

/** Creates file `name` in `dirFd` (never following anything that appeared there) and returns its fd. */
function createFileAt(dirFd: number, name: string): number {
  return openInRootDir(dirFd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
}

/** Copies the contents of file `abs` into `fd`, in 1 MiB pieces. */
function copyContents(abs: string, fd: number): void {
  const src = openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(src, buf); n > 0; n = readSync(src, buf)) {
      for (let off = 0; off < n; ) off += writeSync(fd, buf, off, n - off);
    }
  } finally {
    closeSync(src);
  }
}

/**
 * Copies one node to `name` in the open directory `dirFd`. Synchronous: for small files each call
 * is a few microseconds, while an async call costs a round trip through the thread pool (a COPY
 * of 20,000 files took 15 s that way). `fresh`: `dirFd` was created by this copy, so nothing
 * stands at `name` yet. Returns an fd of the directory when the node is one (the caller closes it)
 * and whether this call created it.
 */
function copyNode(abs: string, st: Stats, dirFd: number, name: string, target: CopyTarget, fresh = false): { fd: number; created: boolean } | undefined {
  const mode = target.chmod ?? st.mode & 0o7777;
  if (st.isDirectory()) {
    const kept = !fresh && clearAt(dirFd, name, true);
    if (!kept) mkdirat(dirFd, name, 0o700);
    // O_NOFOLLOW: a directory swapped for a symlink since is refused (ELOOP), not followed.
    const fd = openInRootDir(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    fchmodSync(fd, mode);
    fchownSync(fd, target.uid, target.gid);
    futimesSync(fd, st.atime, st.mtime);
    return { fd, created: !kept };
  }
  if (st.isSymbolicLink()) {
    if (!fresh) clearAt(dirFd, name, false);
    symlinkAt(readlinkSync(abs), dirFd, name);
    lchownAt(dirFd, name, target.uid, target.gid);
    lutimesAt(dirFd, name, st.atimeMs, st.mtimeMs);
  } else if (st.isFile()) {
    if (!fresh) clearAt(dirFd, name, false);
    // One open of the destination and calls on its descriptor: half the time of the path-based
    // calls on overlayfs. O_EXCL | O_NOFOLLOW refuses anything that appeared at `name`.
    const data = st.size <= smallFile ? readFileSync(abs) : undefined;
    const fd = createFileAt(dirFd, name);
    try {
      if (data === undefined) copyContents(abs, fd);
      else if (data.length > 0) writeSync(fd, data);
      fchownSync(fd, target.uid, target.gid);
      fchmodSync(fd, mode); // after fchown, which clears setuid bits
      futimesSync(fd, st.atime, st.mtime);
    } finally {
      closeSync(fd);
    }
  }
  // Sockets, fifos and devices are not copied, as Docker skips them.
  return undefined;
}

interface OpenDir {
  /** Path relative to the copy's destination ('' for the destination itself). */
  rel: string;
  fd: number;
  /** Created by this copy: nothing stands in it that was not written by this copy. */
  created: boolean;
}

/** Copies a directory's contents into `target.dest`, one open fd per directory on the walk's current path. */
function copyTree(rootFd: number, root: SourceRoot, entry: SourceEntry, st: Stats, target: CopyTarget): void {
  const stack: OpenDir[] = [{ rel: '', fd: mkdirInImageFd(rootFd, target.dest, target.uid, target.gid), created: false }];
  // Hard links inside a copied tree stay hard links, as BuildKit's copy keeps them: inode -> image path of the first.
  const links = new Map<string, string>();
  try {
    walkSource(root, { ...entry, st }, (rel, abs, childSt) => {
      if (rel === '') return; // the directory itself: its contents go into dest
      const slash = rel.lastIndexOf('/');
      const parentRel = slash < 0 ? '' : rel.slice(0, slash);
      const name = rel.slice(slash + 1);
      // The walk is depth-first, directories before their contents: the parent is on the stack.
      while (stack.length > 1 && (stack.at(-1) as OpenDir).rel !== parentRel) closeSync((stack.pop() as OpenDir).fd);
      let parent = stack.at(-1) as OpenDir;
      if (parent.rel !== parentRel) {
        const fd = openDirInRoot(rootFd, posix.join(target.dest, parentRel));
        if (fd === undefined) throw errors.aborted('COPY_DEST_CHANGED', `Cannot write "${posix.join(target.dest, rel)}" in the image: its directory is gone`);
        parent = { rel: parentRel, fd, created: false };
        stack.push(parent);
      }
      try {
        const inode = childSt.isFile() && childSt.nlink > 1 ? `${childSt.dev}:${childSt.ino}` : undefined;
        const first = inode === undefined ? undefined : links.get(inode);
        if (first !== undefined) {
          if (!parent.created) clearAt(parent.fd, name, false);
          const fd = openInRootDir(rootFd, first, O_PATH | O_NOFOLLOW);
          try {
            linkAt(fd, '', parent.fd, name, AT_EMPTY_PATH);
          } finally {
            closeSync(fd);
          }
          return;
        }
        const dir = copyNode(abs, childSt, parent.fd, name, target, parent.created);
        if (dir) stack.push({ rel, ...dir });
        if (inode !== undefined) links.set(inode, posix.join(target.dest, rel));
      } catch (err) {
        throw changedError(err, posix.join(target.dest, rel));
      }
    });
  } finally {
    closeAll(stack.map((d) => d.fd));
  }
}

/** Copies one resolved source entry to the target. */
export async function copyEntry(root: SourceRoot, entry: SourceEntry, target: CopyTarget): Promise<void> {
  // A source named directly is followed when it is a symlink (resolveSources resolved it).
  const st = entry.st.isSymbolicLink() ? await lstat(entry.abs) : entry.st;
  withRoot(target.rootfs, (rootFd) => {
    if (st.isDirectory()) {
      copyTree(rootFd, root, entry, st, target);
      return;
    }
    const file = target.destIsDir ? posix.join(target.dest, basename(entry.rel)) : target.dest;
    try {
      // An existing directory (or a symlink to one, inside the root) at `file` receives the file.
      const intoDir = openDirInRoot(rootFd, file);
      const { dirFd, name } = intoDir === undefined ? openParent(rootFd, file, target) : { dirFd: intoDir, name: basename(entry.rel) };
      try {
        copyNode(entry.abs, st, dirFd, name, target);
      } finally {
        closeSync(dirFd);
      }
    } catch (err) {
      throw changedError(err, file);
    }
  });
}

/** Writes an inline file (COPY <<EOF dest) as 0644 (or --chmod), owned by the target user. */
export function writeInlineFile(name: string, content: string, target: CopyTarget): void {
  const file = target.destIsDir ? posix.join(target.dest, name) : target.dest;
  withRoot(target.rootfs, (rootFd) => {
    try {
      const { dirFd, name: base } = openParent(rootFd, file, target);
      try {
        clearAt(dirFd, base, false);
        const fd = createFileAt(dirFd, base);
        try {
          const data = Buffer.from(content);
          for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
          fchownSync(fd, target.uid, target.gid);
          fchmodSync(fd, target.chmod ?? 0o644);
        } finally {
          closeSync(fd);
        }
      } finally {
        closeSync(dirFd);
      }
    } catch (err) {
      throw changedError(err, file);
    }
  });
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
export async function hashEntries(root: SourceRoot, entries: readonly SourceEntry[], digests?: FileDigests): Promise<string> {
  // The build context's files through the persistent digest cache (file-digests.ts); others through this process's memo.
  // With the digest cache the walk's stats are nanosecond ones, which the cache takes as they are (one lstat per file).
  const cached = digests !== undefined && root.isContext;
  const contentDigest = (abs: string, st: Stats | BigIntStats) => (cached ? digests.digest(abs, st) : fileDigest(abs, st as Stats));
  const hash = createHash('sha256');
  for (const entry of entries) {
    const st = entry.st.isSymbolicLink() ? await lstat(entry.abs) : entry.st;
    hash.update(`entry ${entry.rel}\0`);
    walkSource(root, { ...entry, st }, (rel, abs, childSt) => {
      const mode = (Number(childSt.mode) & 0o7777).toString(8);
      if (childSt.isDirectory()) hash.update(`d ${rel} ${mode}\0`);
      else if (childSt.isSymbolicLink()) hash.update(`l ${rel} ${readlinkSync(abs)}\0`);
      else if (childSt.isFile()) hash.update(`f ${rel} ${mode} ${childSt.size} ${contentDigest(abs, childSt)}\0`);
    }, { bigint: cached });
  }
  return hash.digest('hex');
}
