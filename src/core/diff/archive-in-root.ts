/**
 * Tar archives of a path inside a root filesystem that processes may be changing while berth
 * reads it (a running container's root, for `cp` and `export`). Every look-up is done by the
 * kernel relative to a file descriptor berth holds: the path with openat2(2) RESOLVE_IN_ROOT (its
 * symlinks resolved with the root as `/`), then each entry of a directory by its one name with
 * O_NOFOLLOW. So no symlink in the root, planted beforehand (`/x -> /etc`) or swapped in while
 * the walk runs, can make berth read a file of the host.
 */
import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';

import type { Header, Pack } from 'tar-stream';
import tar from 'tar-stream';

import { errnoCode, errors, readdirUtf8Sync } from '../../base/index.js';
import { O_PATH, openInRootDir, openRootDir, readlinkAt } from '../../sys/index.js';
import { paxHeaderBlocks } from './tar-pax.js';
import { writableReady } from '../../base/index.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/** What `statInRoot` tells of a path (Docker's container path stat). */
export interface PathStat {
  /** The path's last component. */
  name: string;
  size: number;
  /** st_mode: file type and permission bits. */
  mode: number;
  mtimeMs: number;
  /** A symlink's target; '' for anything else. */
  linkTarget: string;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

export interface ArchiveOptions {
  /**
   * The name the path's own entry has in the archive (`b` for `/a/b`, or another name to copy
   * under); `.` gives `./`-prefixed names; '' gives no entry for the path itself and names its
   * entries relative to it (a whole root filesystem, as `export` writes it).
   */
  name: string;
  /** Follow the path's last component when it is a symlink (always inside the root). */
  followLink?: boolean;
  signal?: AbortSignal;
}

/** `path` (absolute, inside the root) cleaned; '/' for the root itself. */
function clean(path: string): string {
  return posix.normalize(`/${path}`).replace(/(.)\/+$/, '$1');
}

/**
 * An O_PATH fd of `path` inside the root `rootFd`: every component resolved inside the root,
 * the last one followed only with `follow`. Undefined when it does not exist (or a component is
 * not a directory).
 */
function openPath(rootFd: number, path: string, follow: boolean): number | undefined {
  const cleaned = clean(path);
  try {
    if (follow || cleaned === '/') return openInRootDir(rootFd, cleaned, O_PATH);
    const parent = openInRootDir(rootFd, posix.dirname(cleaned), O_PATH | O_DIRECTORY);
    try {
      return openInRootDir(parent, posix.basename(cleaned), O_PATH | O_NOFOLLOW);
    } finally {
      closeSync(parent);
    }
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The target of the symlink `name` in the directory `dirFd` of the root (its text, never followed). */
function linkTargetOf(dirFd: number, name: string): string {
  return readlinkAt(dirFd, name);
}

function toPathStat(name: string, st: Stats, linkTarget: string): PathStat {
  return { name, size: st.size, mode: st.mode, mtimeMs: st.mtimeMs, linkTarget, isDirectory: st.isDirectory(), isSymbolicLink: st.isSymbolicLink() };
}

/**
 * Stats `path` inside the root directory `root` (symlinks resolved inside it; the last one only
 * with `followLink`). Undefined when the path does not exist.
 */
export function statInRoot(root: string, path: string, options: { followLink?: boolean } = {}): PathStat | undefined {
  const rootFd = openRootDir(root);
  try {
    const fd = openPath(rootFd, path, options.followLink === true);
    if (fd === undefined) return undefined;
    try {
      const st = fstatSync(fd);
      const cleaned = clean(path);
      let target = '';
      if (st.isSymbolicLink()) {
        const parent = openInRootDir(rootFd, posix.dirname(cleaned), O_PATH | O_DIRECTORY);
        try {
          target = linkTargetOf(parent, posix.basename(cleaned));
        } finally {
          closeSync(parent);
        }
      }
      return toPathStat(posix.basename(cleaned) || '/', st, target);
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(rootFd);
  }
}

const maxOctal7 = 0o7777777;
const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);
const ustarName = (s: string) => s.replace(/[^\x20-\x7e]/g, '_').slice(-100);

function kindOf(st: Stats): Header['type'] | undefined {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets, as Docker's archives skip them
}

function headerOf(name: string, st: Stats, type: NonNullable<Header['type']>, linkname: string): { header: Header; pax: [string, Buffer][] } {
  const pax: [string, Buffer][] = [];
  if (name.length > 100 || !isAscii(name)) pax.push(['path', Buffer.from(name)]);
  if (linkname.length > 100 || !isAscii(linkname)) pax.push(['linkpath', Buffer.from(linkname)]);
  if (st.uid > maxOctal7) pax.push(['uid', Buffer.from(String(st.uid))]);
  if (st.gid > maxOctal7) pax.push(['gid', Buffer.from(String(st.gid))]);
  const device = type === 'character-device' || type === 'block-device';
  return {
    pax,
    header: {
      name: pax.length > 0 ? ustarName(name) : name,
      type,
      mode: (st.mode & 0o170000) | (st.mode & 0o7777),
      uid: Math.min(st.uid, maxOctal7),
      gid: Math.min(st.gid, maxOctal7),
      size: type === 'file' ? st.size : 0,
      mtime: new Date(Math.max(0, Math.floor(st.mtimeMs / 1000)) * 1000),
      linkname: pax.length > 0 ? ustarName(linkname) : linkname,
      uname: '',
      gname: '',
      devmajor: device ? Math.floor(st.rdev / 256) & 0xfff : 0,
      devminor: device ? (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00) : 0,
    },
  };
}

function addEntry(pack: Pack, h: Header, body?: Buffer): { sink: ReturnType<Pack['entry']>; done: Promise<void> } {
  let sink: ReturnType<Pack['entry']> | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const callback = (err?: Error | null) => (err ? reject(err) : resolve());
    sink = body === undefined ? pack.entry(h, callback) : pack.entry(h, body, callback);
  });
  sink?.on('error', () => undefined);
  done.catch(() => undefined);
  return { sink: sink as ReturnType<Pack['entry']>, done };
}

/**
 * Writes exactly `size` bytes of the file `pathFd` (O_PATH) is open on: a file that grew is cut
 * at the size its header gave, one that shrank is padded with zeros (a running container's log).
 */
async function fileBody(pack: Pack, pathFd: number, h: Header, size: number): Promise<void> {
  // Re-opening through /proc opens the same inode the O_PATH fd holds, never a path again.
  const fd = openSync(`/proc/self/fd/${pathFd}`, O_RDONLY);
  try {
    if (size <= 1 << 20) {
      const buf = Buffer.alloc(size);
      for (let off = 0; off < size;) {
        const n = readSync(fd, buf, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
      await addEntry(pack, h, buf).done;
      return;
    }
    const { sink, done } = addEntry(pack, h);
    const chunk = Buffer.allocUnsafe(1 << 20);
    let left = size;
    let eof = false;
    while (left > 0 && !sink.destroyed) {
      const want = Math.min(left, chunk.length);
      let n = eof ? 0 : readSync(fd, chunk, 0, want, size - left);
      if (n === 0) {
        eof = true;
        chunk.fill(0, 0, want);
        n = want;
      }
      left -= n;
      if (!sink.write(Buffer.from(chunk.subarray(0, n)))) {
        await writableReady(sink);
      }
    }
    sink.end(null);
    await done;
  } finally {
    closeSync(fd);
  }
}

interface WalkState {
  pack: Pack;
  /** inode -> the archive name of its first entry, for hard links */
  links: Map<string, string>;
  signal?: AbortSignal;
}

/** Adds the entry for the node `fd` (O_PATH) is open on, then, for a directory, its children in bytewise order. */
async function visit(state: WalkState, fd: number, st: Stats, name: string, linkTarget: () => string): Promise<void> {
  state.signal?.throwIfAborted();
  const type = kindOf(st);
  if (type === undefined) return;
  if (name !== '') {
    let entryType: NonNullable<Header['type']> = type;
    let linkname = type === 'symlink' ? linkTarget() : '';
    if (type !== 'directory' && st.nlink > 1) {
      const inode = `${st.dev}:${st.ino}`;
      const first = state.links.get(inode);
      if (first === undefined) state.links.set(inode, name);
      else {
        entryType = 'link';
        linkname = first;
      }
    }
    const { header, pax } = headerOf(type === 'directory' ? `${name}/` : name, st, entryType, linkname);
    if (pax.length > 0) state.pack.push(paxHeaderBlocks(pax));
    if (entryType === 'file') await fileBody(state.pack, fd, header, st.size);
    else await addEntry(state.pack, header, Buffer.alloc(0)).done;
  }
  if (type !== 'directory') return;
  // A directory opened for reading through the O_PATH fd: the same directory, whatever its path has become.
  const names = readdirUtf8Sync(`/proc/self/fd/${fd}`, name === '' ? '' : `/${name}`, 'archive');
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const child of names) {
    let childFd: number;
    try {
      childFd = openInRootDir(fd, child, O_PATH | O_NOFOLLOW);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // removed since the directory was read
      throw err;
    }
    try {
      const childName = name === '' ? child : name === '.' ? `./${child}` : `${name}/${child}`;
      await visit(state, childFd, fstatSync(childFd), childName, () => linkTargetOf(fd, child));
    } finally {
      closeSync(childFd);
    }
  }
}

/**
 * A tar stream of `path` inside the root directory `root` (a file, a symlink, or a directory with
 * everything under it), entries named from `options.name`, owners, modes and mtimes kept, hard
 * links within the archive kept as links, sockets skipped. Errors: NotFound
 * BERTH_E_PATH_NOT_FOUND when the path does not exist (reported before any byte is written).
 */
export function archiveInRoot(root: string, path: string, options: ArchiveOptions): Readable {
  const rootFd = openRootDir(root);
  let fd: number | undefined;
  try {
    fd = openPath(rootFd, path, options.followLink === true);
  } catch (err) {
    closeSync(rootFd);
    throw err;
  }
  if (fd === undefined) {
    closeSync(rootFd);
    throw errors.notFound('PATH_NOT_FOUND', `Could not find the file ${clean(path)}`);
  }
  const topFd = fd;
  const pack = tar.pack();
  const state: WalkState = { pack, links: new Map(), ...(options.signal ? { signal: options.signal } : {}) };
  const onAbort = () => pack.destroy(errors.aborted('ARCHIVE_ABORTED', `Archiving "${path}" was aborted`));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const cleaned = clean(path);
  const linkTarget = () => {
    const parent = openInRootDir(rootFd, posix.dirname(cleaned), O_PATH | O_DIRECTORY);
    try {
      return linkTargetOf(parent, posix.basename(cleaned));
    } finally {
      closeSync(parent);
    }
  };
  (async () => visit(state, topFd, fstatSync(topFd), options.name.replace(/\/+$/, ''), linkTarget))()
    .then(
      () => pack.finalize(),
      (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
    )
    .finally(() => {
      options.signal?.removeEventListener('abort', onAbort);
      closeSync(topFd);
      closeSync(rootFd);
    });
  return Readable.from(pack, { objectMode: false });
}
