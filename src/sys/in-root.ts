/**
 * Writing into a root filesystem that another process may change while berth writes (a running
 * container, a RUN step's leftovers): the CVE-2018-15664 class, where a directory swapped for a
 * symlink between berth's check and its write sends the write to the host. Resolving a path
 * first (secureJoin) and then opening it by path leaves that gap; here every look-up is done by
 * the kernel relative to a directory fd berth holds: openat2(2) with RESOLVE_IN_ROOT for a path
 * (the fd is `/` for every symlink and `..`), or an *at call with one name and O_NOFOLLOW.
 */
import { closeSync, constants, fchmodSync, fchownSync, openSync, readlinkSync } from 'node:fs';

import { errnoCode, errors } from '../base/index.js';
import { lstatAt, mkdirat, openInRoot, readlinkAt } from './index.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, S_IFMT, S_IFDIR, S_IFLNK } = constants;

/** Linux gives up after 40 nested symlinks; securejoin after 255. Either is far beyond real trees. */
const maxSymlinks = 255;

/** The BerthError for a kernel without openat2(2), instead of falling back to the racy path-based writes. */
function unsupported(err: unknown): unknown {
  if (errnoCode(err) !== 'ENOSYS') return err;
  return errors.unavailable('OPENAT2_UNAVAILABLE', 'Cannot write inside a root filesystem safely: this kernel lacks openat2(2) (Linux 5.6 or later is needed)', { cause: err });
}

/**
 * An image path made relative to the root: the same file under RESOLVE_IN_ROOT, and one that a
 * kernel look-up could never take as a host path (openat2 ignores the directory fd for `/...`).
 */
function relative(path: string): string {
  const rel = path.replace(/^\/+/, '');
  return rel === '' ? '.' : rel;
}

/** Opens the root directory itself, by path: the caller names a directory berth owns (a mount point it made). */
export function openRootDir(path: string): number {
  return openSync(path, O_RDONLY | O_DIRECTORY);
}

/**
 * openat2 of `path` with `rootFd` as `/` (RESOLVE_IN_ROOT): whatever symlinks the tree holds or
 * gains meanwhile, the file opened is inside the root. A kernel without openat2 is a BerthError.
 */
export function openInRootDir(rootFd: number, path: string, flags: number, mode = 0): number {
  try {
    return openInRoot(rootFd, relative(path), flags, mode);
  } catch (err) {
    throw unsupported(err);
  }
}

/** An fd of the directory at `path` inside the root, or undefined when it is missing or not a directory. */
export function openDirInRoot(rootFd: number, path: string): number | undefined {
  try {
    return openInRoot(rootFd, relative(path), O_RDONLY | O_DIRECTORY);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unsupported(err);
  }
}

export interface MkdirInRootOptions {
  uid: number;
  gid: number;
  /** The code of the error when a non-directory is in the way (`BERTH_E_<code>`). */
  notDirCode: string;
}

/**
 * Creates directory `path` inside the root and its missing parents (0755, owned by uid:gid),
 * following symlinks on the way inside the root as the kernel would with the root as `/` (`/d ->
 * /missing/abs` creates /missing/abs there, as Docker does). Returns an fd of the directory
 * (O_RDONLY, close it). Each component is opened with O_NOFOLLOW relative to its parent's fd, so
 * a component swapped for a symlink meanwhile is resolved again inside the root, never followed
 * by path.
 */
export function mkdirInRoot(rootFd: number, path: string, options: MkdirInRootOptions): number {
  const existing = openDirInRoot(rootFd, path);
  if (existing !== undefined) return existing;
  const stack: number[] = [];
  const names: string[] = [];
  const top = (): number => stack.at(-1) ?? rootFd;
  let remaining = path.split('/');
  let links = 0;
  try {
    while (remaining.length > 0) {
      const part = remaining[0] as string;
      remaining = remaining.slice(1);
      if (part === '' || part === '.') continue;
      if (part === '..') {
        const fd = stack.pop();
        if (fd !== undefined) closeSync(fd);
        names.pop();
        continue;
      }
      const shown = `/${[...names, part].join('/')}`;
      const mode = lstatAt(top(), part);
      let created = false;
      if (mode === null) {
        try {
          mkdirat(top(), part, 0o755);
          created = true;
        } catch (err) {
          if (errnoCode(err) !== 'EEXIST') throw err;
        }
      } else if ((mode & S_IFMT) === S_IFLNK) {
        if (++links > maxSymlinks) throw errors.invalidArgument('SYMLINK_LOOP', `Cannot resolve "${path}": too many levels of symbolic links`);
        const target = readlinkAt(top(), part);
        if (target.startsWith('/')) {
          for (const fd of stack.splice(0)) closeSync(fd);
          names.length = 0;
        }
        remaining = [...target.split('/'), ...remaining];
        continue;
      } else if ((mode & S_IFMT) !== S_IFDIR) {
        throw errors.failedPrecondition(options.notDirCode, `Cannot create directory "${shown}": a file is in the way`);
      }
      let fd: number;
      try {
        fd = openInRoot(top(), part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        // Changed since the look-up (now a symlink: ELOOP, or gone): look again, a bounded number of times.
        const code = errnoCode(err);
        if ((code === 'ELOOP' || code === 'ENOENT') && ++links <= maxSymlinks) {
          remaining = [part, ...remaining];
          continue;
        }
        if (code === 'ENOTDIR') throw errors.failedPrecondition(options.notDirCode, `Cannot create directory "${shown}": a file is in the way`);
        throw err;
      }
      stack.push(fd);
      names.push(part);
      if (created) {
        fchmodSync(fd, 0o755); // mkdirat's mode is masked by the umask
        fchownSync(fd, options.uid, options.gid);
      }
    }
    const result = stack.pop() ?? openInRoot(rootFd, '.', O_RDONLY | O_DIRECTORY);
    return result;
  } catch (err) {
    throw unsupported(err);
  } finally {
    for (const fd of stack) closeSync(fd);
  }
}

/**
 * The path of the file `fd` is open on, as the kernel sees it now (for callers that still need a
 * path, such as a tar applier with its own checks); only as good as the tree is stable.
 */
export function pathOfFd(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

/** Closes every fd, in reverse order. */
export function closeAll(fds: readonly number[]): void {
  for (let i = fds.length - 1; i >= 0; i--) closeSync(fds[i] as number);
}
