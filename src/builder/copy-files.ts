/**
 * COPY/ADD into a mounted root filesystem, with Docker's rules: a directory source copies its
 * contents; a file goes into `dest/` when dest is a directory (trailing slash, several sources,
 * or an existing directory) and is renamed otherwise; modes and symlinks are kept, owners become
 * root (or `--chown`), `--chmod` applies to copied files and directories, and destination
 * directories that COPY creates are 0755 owned by the `--chown` user.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream, readFileSync } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';

import { errors, LruMap, lstatOrUndefined, secureJoin } from '../base/index.js';
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

/** Removes what stands at `host` unless it is a directory and `keepDir`. */
async function clear(host: string, keepDir: boolean): Promise<Stats | undefined> {
  const st = await lstatOrUndefined(host);
  if (!st) return undefined;
  if (keepDir && st.isDirectory()) return st;
  await rm(host, { recursive: true, force: true });
  return undefined;
}

async function copyNode(abs: string, st: Stats, host: string, target: CopyTarget): Promise<void> {
  const mode = target.chmod ?? st.mode & 0o7777;
  if (st.isDirectory()) {
    const existing = await clear(host, true);
    if (!existing) await mkdir(host);
    await chmod(host, mode);
    await lchown(host, target.uid, target.gid);
    await utimes(host, st.atime, st.mtime);
  } else if (st.isSymbolicLink()) {
    await clear(host, false);
    await symlink(await readlink(abs), host);
    await lchown(host, target.uid, target.gid);
    await lutimes(host, st.atime, st.mtime);
  } else if (st.isFile()) {
    await clear(host, false);
    await copyFile(abs, host);
    await chmod(host, mode);
    await lchown(host, target.uid, target.gid);
    await utimes(host, st.atime, st.mtime);
  }
  // Sockets, fifos and devices are not copied, as Docker skips them.
}

/** Copies one resolved source entry to the target. */
export async function copyEntry(root: SourceRoot, entry: SourceEntry, target: CopyTarget): Promise<void> {
  // A source named directly is followed when it is a symlink (resolveSources resolved it).
  const st = entry.st.isSymbolicLink() ? await lstat(entry.abs) : entry.st;
  if (st.isDirectory()) {
    const destHost = await mkdirInImage(target.rootfs, target.dest, target.uid, target.gid);
    const links = new Map<string, string>();
    await walkSource(root, { ...entry, st }, async (rel, abs, childSt) => {
      if (rel === '') return; // the directory itself: its contents go into dest
      const host = join(destHost, rel);
      // Hard links inside a copied tree stay hard links, as BuildKit's copy keeps them.
      const inode = childSt.isFile() && childSt.nlink > 1 ? `${childSt.dev}:${childSt.ino}` : undefined;
      const first = inode === undefined ? undefined : links.get(inode);
      if (first !== undefined) {
        await clear(host, false);
        await link(first, host);
        return;
      }
      await copyNode(abs, childSt, host, target);
      if (inode !== undefined) links.set(inode, host);
    });
    return;
  }
  const file = target.destIsDir ? posix.join(target.dest, basename(entry.rel)) : target.dest;
  await mkdirInImage(target.rootfs, posix.dirname(file), target.uid, target.gid);
  const existing = await lstatOrUndefined(secureJoin(target.rootfs, file));
  const finalPath = existing?.isDirectory() ? posix.join(file, basename(entry.rel)) : file;
  await copyNode(entry.abs, st, secureJoin(target.rootfs, finalPath), target);
}

/** Writes an inline file (COPY <<EOF dest) as 0644 (or --chmod), owned by the target user. */
export async function writeInlineFile(name: string, content: string, target: CopyTarget): Promise<void> {
  const file = target.destIsDir ? posix.join(target.dest, name) : target.dest;
  await mkdirInImage(target.rootfs, posix.dirname(file), target.uid, target.gid);
  const host = secureJoin(target.rootfs, file);
  await clear(host, false);
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
 * The sha256 of a file. Small files are read in one synchronous call: the cache key of a COPY of
 * a hundred small files took 45-70 ms with a stream per file, 5 ms this way.
 */
async function fileDigest(path: string, st: Stats): Promise<string> {
  const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = digestMemo.get(id);
  if (known !== undefined) return known;
  const hash = createHash('sha256');
  if (st.size <= 4 << 20) hash.update(readFileSync(path));
  else for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
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
    await walkSource(root, { ...entry, st }, async (rel, abs, childSt) => {
      const mode = (childSt.mode & 0o7777).toString(8);
      if (childSt.isDirectory()) hash.update(`d ${rel} ${mode}\0`);
      else if (childSt.isSymbolicLink()) hash.update(`l ${rel} ${await readlink(abs)}\0`);
      else if (childSt.isFile()) hash.update(`f ${rel} ${mode} ${childSt.size} ${await fileDigest(abs, childSt)}\0`);
    });
  }
  return hash.digest('hex');
}
