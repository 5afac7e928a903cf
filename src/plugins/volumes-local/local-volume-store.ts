/**
 * The local volume driver: volumes as directories under `<root>/volumes/` (Docker's layout):
 *
 *   <name>/_data         the volume's data, what containers mount (0755 root, or the seeded owner and mode)
 *   <name>/volume.json   the record (labels, options, creation time); written last, so a volume
 *                        without it was never completed and counts as absent
 *   <name>/lock          flock(2) held while the volume is seeded from an image
 *   .lock                flock(2): every create and remove holds it
 *   .trash-*             a removal under way (renamed first, so a volume disappears at once)
 *
 * A `type=tmpfs` volume is mounted on `_data` by its first user and stays mounted until it is
 * removed (or the host reboots): there is no daemon to count its users and unmount it after the
 * last, as dockerd does. A `type=none,o=bind` volume binds its device into containers directly.
 */
import type { Stats } from 'node:fs';
import { closeSync, constants, copyFileSync, fstatSync, openSync, existsSync, fchmodSync, fchownSync, futimesSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

import { errors, randomHex, readdirSyncOrEmpty, readJsonFile, writeJsonAtomic } from '../../base/index.js';
import type { CreateVolumeOptions, VolumeInfo, VolumeRecord, VolumeStore } from '../../core/volumes/index.js';
import { anonymousVolumeLabel, validateVolumeName, validateVolumeOptions } from '../../core/volumes/index.js';
import {
  AT_EMPTY_PATH, MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, O_PATH, lchownAt, lgetxattr, linkAt, llistxattr, lsetxattr, lutimesAt, mkdirat, mknod,
  mount, openDirInRoot, openInRoot, openRootDir, readlinkAt, removeAllAt, symlinkAt, umount2, withFileLock,
} from '../../sys/index.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK } = constants;

export function createLocalVolumeStore(root: string): VolumeStore {
  const dir = join(root, 'volumes');
  const lockPath = join(dir, '.lock');
  const volumeDir = (name: string) => join(dir, name);
  const dataDir = (name: string) => join(dir, name, '_data');
  const recordPath = (name: string) => join(dir, name, 'volume.json');
  const ensureDir = () => {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o701 });
  };
  const locked = <T>(fn: () => T): T => {
    ensureDir();
    return withFileLock(lockPath, fn);
  };
  const notFound = (name: string) => errors.notFound('VOLUME_NOT_FOUND', `No such volume: ${name}`);
  const info = (record: VolumeRecord): VolumeInfo => ({ ...record, mountpoint: dataDir(record.name) });
  const read = (name: string): VolumeRecord | undefined => {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) return undefined;
    const record = readJsonFile<VolumeRecord>(recordPath(name));
    return record?.name === name ? record : undefined;
  };
  const get = (name: string): VolumeRecord => {
    const record = read(name);
    if (!record) throw notFound(name);
    return record;
  };

  function ensureMounted(record: VolumeRecord): void {
    const target = dataDir(record.name);
    if (mountPoints().has(target)) return;
    const flags = new Set((record.options['o'] ?? '').split(',').filter((o) => o && !o.includes('=')));
    const data = (record.options['o'] ?? '').split(',').filter((o) => o.includes('=')).join(',');
    let mask = 0;
    if (flags.has('ro')) mask |= MS_RDONLY;
    if (flags.has('nosuid')) mask |= MS_NOSUID;
    if (flags.has('nodev')) mask |= MS_NODEV;
    if (flags.has('noexec')) mask |= MS_NOEXEC;
    try {
      mount(record.options['device'] || 'tmpfs', target, 'tmpfs', mask, data || null);
    } catch (err) {
      throw errors.invalidArgument('VOLUME_MOUNT_FAILED', `error while mounting volume '${target}': failed to mount local volume: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    create(name, options: CreateVolumeOptions = {}) {
      validateVolumeName(name);
      const driverOptions = options.options ?? {};
      validateVolumeOptions(name, driverOptions);
      return locked(() => {
        const existing = read(name);
        if (existing) return { volume: info(existing), created: false };
        mkdirSync(volumeDir(name), { recursive: true, mode: 0o701 });
        mkdirSync(dataDir(name), { recursive: true, mode: 0o755 });
        const record: VolumeRecord = {
          name, driver: 'local', labels: { ...(options.labels ?? {}), ...(options.anonymous ? { [anonymousVolumeLabel]: '' } : {}) },
          options: { ...driverOptions }, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), anonymous: options.anonymous === true,
        };
        writeJsonAtomic(recordPath(name), record);
        return { volume: info(record), created: true };
      });
    },
    get: (name) => {
      const record = read(name);
      return record ? info(record) : undefined;
    },
    recordFile: (name) => recordPath(name),
    list() {
      return readdirSyncOrEmpty(dir).filter((n) => !n.startsWith('.')).sort().map(read).filter((r) => r !== undefined).map(info);
    },
    remove(name) {
      locked(() => {
        const record = get(name);
        const data = dataDir(name);
        if (mountPoints().has(data)) {
          try {
            umount2(data, MNT_DETACH);
          } catch (err) {
            throw errors.failedPrecondition('VOLUME_MOUNTED', `remove ${name}: cannot unmount its tmpfs at "${data}": ${(err as Error).message}`, { cause: err });
          }
        }
        const under = [...mountPoints()].find((m) => m === volumeDir(name) || m.startsWith(`${volumeDir(name)}/`));
        if (under !== undefined) throw errors.failedPrecondition('VOLUME_MOUNTED', `remove ${name}: "${under}" is still mounted`);
        const trash = `.trash-${record.name}-${randomHex(4)}`;
        renameSync(volumeDir(name), join(dir, trash));
        removeTrash(dir);
      });
    },
    source(name) {
      const record = get(name);
      const type = record.options['type'];
      if (type === 'none') {
        const device = record.options['device'] ?? '';
        if (!existsSync(device)) throw errors.notFound('VOLUME_DEVICE_NOT_FOUND', `error while mounting volume '${dataDir(name)}': the device "${device}" of bind volume "${name}" does not exist`);
        return device;
      }
      if (type === 'tmpfs') locked(() => ensureMounted(record));
      return dataDir(name);
    },
    populate(name, rootfs, path) {
      const target = this.source(name);
      return withFileLock(join(volumeDir(name), 'lock'), () => {
        const dstFd = openDir(target);
        try {
          if (readdirSync(`/proc/self/fd/${dstFd}`).length > 0) return false;
          const rootFd = openRootDir(rootfs);
          let srcFd: number | undefined;
          try {
            srcFd = openDirInRoot(rootFd, path);
          } finally {
            closeSync(rootFd);
          }
          if (srcFd === undefined) return false;
          const links = new Map<string, number>();
          try {
            copyTree(srcFd, dstFd, links);
            // `/.`: the directory itself; an l* call on `/proc/self/fd/N` would see the magic link.
            copyMetadata(fstatSync(srcFd), dstFd, `/proc/self/fd/${srcFd}/.`, `/proc/self/fd/${dstFd}/.`);
          } finally {
            closeSync(srcFd);
            for (const fd of links.values()) closeSync(fd);
          }
          return true;
        } finally {
          closeSync(dstFd);
        }
      });
    },
    size(name) {
      get(name);
      return treeSize(dataDir(name));
    },
  };
}

/** Opens a directory berth owns (a volume's, the store's), by path. */
function openDir(dir: string): number {
  return openSync(dir, O_RDONLY | O_DIRECTORY);
}

/** Removes what removals left in `.trash-*` (their rename happened; the rm -rf may not have finished). */
function removeTrash(dir: string): void {
  const dirFd = openDir(dir);
  try {
    for (const name of readdirSync(dir)) if (name.startsWith('.trash-')) removeAllAt(dirFd, name);
  } finally {
    closeSync(dirFd);
  }
}

/** Mount points on the host, unescaped (`\040` is a space). */
function mountPoints(): Set<string> {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.add(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
  }
  return out;
}

/** Owner, mode, extended attributes and times of `st` onto the open directory or file `fd`. */
function copyMetadata(st: Stats, fd: number, srcPath: string, dstPath: string): void {
  fchownSync(fd, st.uid, st.gid);
  fchmodSync(fd, st.mode & 0o7777);
  copyXattrs(srcPath, dstPath);
  futimesSync(fd, st.atime, st.mtime);
}

function copyXattrs(srcPath: string, dstPath: string): void {
  let names: string[];
  try {
    names = llistxattr(srcPath);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith('trusted.overlay.')) continue;
    try {
      const value = lgetxattr(srcPath, name);
      if (value) lsetxattr(dstPath, name, value);
    } catch {
      // A filesystem that cannot hold the attribute (ENOTSUP) loses it, as a copy by tar would.
    }
  }
}

/**
 * Copies the directory open as `srcFd` into the empty directory `dstFd`. Every write is made
 * relative to a directory fd with O_NOFOLLOW / O_EXCL, so a container that shares the volume
 * and swaps a directory for a symlink meanwhile cannot send a write outside the volume.
 */
function copyTree(srcFd: number, dstFd: number, links: Map<string, number>): void {
  const srcDir = `/proc/self/fd/${srcFd}`;
  const dstDir = `/proc/self/fd/${dstFd}`;
  for (const name of readdirSync(srcDir)) {
    const srcPath = `${srcDir}/${name}`;
    const st = lstatSync(srcPath);
    const type = st.mode & S_IFMT;
    const key = `${st.dev}:${st.ino}`;
    if (type !== S_IFDIR && st.nlink > 1) {
      const first = links.get(key);
      if (first !== undefined) {
        linkAt(first, '', dstFd, name, AT_EMPTY_PATH);
        continue;
      }
    }
    if (type === S_IFDIR) {
      mkdirat(dstFd, name, 0o700);
      const childSrc = openInRoot(srcFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      try {
        const childDst = openInRoot(dstFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        try {
          copyTree(childSrc, childDst, links);
          copyMetadata(st, childDst, srcPath, `/proc/self/fd/${childDst}`);
        } finally {
          closeSync(childDst);
        }
      } finally {
        closeSync(childSrc);
      }
      continue;
    }
    if (type === S_IFLNK) {
      symlinkAt(readlinkAt(srcFd, name), dstFd, name);
      lchownAt(dstFd, name, st.uid, st.gid);
      lutimesAt(dstFd, name, st.atimeMs, st.mtimeMs);
    } else if (type === S_IFREG) {
      const s = openInRoot(srcFd, name, O_RDONLY | O_NOFOLLOW);
      try {
        const d = openInRoot(dstFd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        try {
          copyFileSync(`/proc/self/fd/${s}`, `/proc/self/fd/${d}`);
          copyMetadata(st, d, srcPath, `/proc/self/fd/${d}`);
        } finally {
          closeSync(d);
        }
      } finally {
        closeSync(s);
      }
    } else if (type === S_IFIFO || type === S_IFCHR || type === S_IFBLK) {
      const rdev = st.rdev;
      const major = Math.floor(rdev / 256) & 0xfff;
      const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
      mknod(`${dstDir}/${name}`, type | (st.mode & 0o7777), major, minor);
      lchownAt(dstFd, name, st.uid, st.gid);
      lutimesAt(dstFd, name, st.atimeMs, st.mtimeMs);
    } else continue; // sockets belong to a process, not to an image
    if (st.nlink > 1) links.set(key, openInRoot(dstFd, name, O_PATH | O_NOFOLLOW));
  }
}

/** Docker's directory.Size: the sizes of everything but directories, each inode once. */
function treeSize(path: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if ((st.mode & S_IFMT) === S_IFDIR) {
        walk(p);
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (st.size === 0 || seen.has(key)) continue;
      seen.add(key);
      total += st.size;
    }
  };
  walk(path);
  return total;
}
