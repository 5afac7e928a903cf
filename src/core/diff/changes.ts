/**
 * `diff`: what a container changed, from its overlayfs upper directory compared with the image's
 * merged layers, with the meaning of Docker's comparison of the two trees: A (added: not in the
 * image), C (changed: type, mode, owner, size, mtime, device or link target differ; a directory
 * only by type, mode or owner, or because something under it changed), D (deleted: a whiteout,
 * or what an opaque directory hides). A deleted directory is one D line; an added directory is an
 * A line for it and for everything under it, as Docker prints them.
 *
 * The upper directory belongs to a container that may be running: it is walked through fds
 * (one name at a time, O_NOFOLLOW), so a directory swapped for a symlink cannot make the walk
 * list a host directory. The image's tree (`lower`) is berth's own read-only view.
 */
import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode, readdirUtf8Sync } from '../../base/index.js';
import { lgetxattr, O_PATH, openInRootDir, openRootDir, readlinkAt } from '../../sys/index.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  /** Absolute path inside the container. */
  path: string;
}

const { O_NOFOLLOW } = constants;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes(errnoCode(err) ?? '')) return undefined;
    throw err;
  }
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function isOpaque(dirFd: number): boolean {
  // `<fd>/.` is the directory itself, never a symlink: lgetxattr reads the directory's attributes.
  for (const name of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    if (lgetxattr(`/proc/self/fd/${dirFd}/.`, name)?.toString('latin1') === 'y') return true;
  }
  return false;
}

/** Docker's test of a changed node (pkg/archive changes.go): directories only by type, mode and owner. */
function differs(upper: Stats, lower: Stats, upperLink: () => string, lowerLink: () => string): boolean {
  if ((upper.mode & 0o170000) !== (lower.mode & 0o170000) || upper.mode !== lower.mode || upper.uid !== lower.uid || upper.gid !== lower.gid || upper.rdev !== lower.rdev) return true;
  if (upper.isDirectory()) return false;
  if (upper.size !== lower.size || upper.mtimeMs !== lower.mtimeMs) return true;
  return upper.isSymbolicLink() && upperLink() !== lowerLink();
}

/**
 * The changes of the upper directory `upper` over the image tree `lower` (undefined: an image
 * with no layers), sorted by path with parents before their children. `mountStubs`: mount targets
 * (`/etc/hosts`, bind and tmpfs destinations) the runtime created as empty files or directories;
 * absent from the image, they are the container's plumbing, not its changes (Docker keeps them in
 * its init layer), and are not reported.
 */
export function containerChanges(upper: string, lower: string | undefined, options: { mountStubs?: ReadonlySet<string> } = {}): Change[] {
  const out: Change[] = [];
  const rootFd = openRootDir(upper);
  /** Walks the directory `fd` (path `rel`); returns whether anything under it was reported. */
  const walk = (fd: number, rel: string, lowerDir: string | undefined): boolean => {
    const names = readdirUtf8Sync(`/proc/self/fd/${fd}`, rel, 'diff');
    const hidden = lowerDir !== undefined && rel !== '' && isOpaque(fd)
      ? readdirUtf8Sync(lowerDir, rel, 'diff').filter((n) => !names.includes(n))
      : [];
    const all = [...names.map((n) => [n, false] as const), ...hidden.map((n) => [n, true] as const)].sort((a, b) => byBytes(a[0], b[0]));
    let reported = false;
    for (const [name, isHidden] of all) {
      const path = `${rel}/${name}`;
      if (isHidden) {
        out.push({ kind: 'D', path });
        reported = true;
        continue;
      }
      let childFd: number;
      try {
        childFd = openInRootDir(fd, name, O_PATH | O_NOFOLLOW);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      try {
        const st = fstatSync(childFd);
        const lowerPath = lowerDir === undefined ? undefined : join(lowerDir, name);
        const lowerSt = lowerPath === undefined ? undefined : lstatOrUndefined(lowerPath);
        if (isWhiteout(st)) {
          if (lowerSt !== undefined) {
            out.push({ kind: 'D', path });
            reported = true;
          }
          continue;
        }
        const at = out.length;
        const stub = lowerSt === undefined && options.mountStubs?.has(path) === true && ((st.isFile() && st.size === 0) || st.isDirectory());
        if (stub) continue;
        if (lowerSt === undefined) {
          out.push({ kind: 'A', path });
          reported = true;
          if (st.isDirectory()) walkInto(childFd, path, undefined);
          continue;
        }
        const self = differs(st, lowerSt, () => readlinkAt(fd, name), () => readlinkSync(lowerPath as string));
        const below = st.isDirectory() && walkInto(childFd, path, lowerSt.isDirectory() ? lowerPath : undefined);
        if (self || below) {
          out.splice(at, 0, { kind: 'C', path });
          reported = true;
        }
      } finally {
        closeSync(childFd);
      }
    }
    return reported;
  };
  /** Opens the directory `pathFd` (O_PATH) is open on for reading and walks it. */
  const walkInto = (pathFd: number, rel: string, lowerDir: string | undefined): boolean => {
    const fd = openInRootDir(pathFd, '.', constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      return walk(fd, rel, lowerDir);
    } finally {
      closeSync(fd);
    }
  };
  try {
    walk(rootFd, '', lower);
  } finally {
    closeSync(rootFd);
  }
  return out;
}
