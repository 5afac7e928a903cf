/**
 * The Engine API's container path stat (HEAD and GET /containers/{id}/archive): the
 * `X-Docker-Container-Path-Stat` header, base64 of `{name,size,mode,mtime,linkTarget}` with the
 * mode as Go's os.FileMode (type bits high, permission bits low), which `docker cp` reads to
 * tell a directory, a file and a symlink apart.
 */
import type { ContainerPathStat } from './engine.js';

// st_mode's bits (Linux, sys/stat.h).
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFLNK = 0o120000, S_IFBLK = 0o060000, S_IFCHR = 0o020000, S_IFIFO = 0o010000, S_IFSOCK = 0o140000;
const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;

/** Go's os.FileMode bits (io/fs). */
const goMode = {
  dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, namedPipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23, setgid: 2 ** 22, charDevice: 2 ** 21, sticky: 2 ** 20,
} as const;

/** st_mode as Go's os.FileMode (what fs.FileInfo.Mode() returns for the same file). */
export function goFileMode(stMode: number): number {
  let mode = stMode & 0o777;
  switch (stMode & S_IFMT) {
    case S_IFDIR: mode += goMode.dir; break;
    case S_IFLNK: mode += goMode.symlink; break;
    case S_IFBLK: mode += goMode.device; break;
    case S_IFCHR: mode += goMode.device + goMode.charDevice; break;
    case S_IFIFO: mode += goMode.namedPipe; break;
    case S_IFSOCK: mode += goMode.socket; break;
    default: break;
  }
  if (stMode & S_ISUID) mode += goMode.setuid;
  if (stMode & S_ISGID) mode += goMode.setgid;
  if (stMode & S_ISVTX) mode += goMode.sticky;
  return mode;
}

/** The header's JSON object, in dockerd's key order. */
export function pathStatView(stat: ContainerPathStat) {
  return { name: stat.name, size: stat.size, mode: goFileMode(stat.mode), mtime: new Date(stat.mtimeMs).toISOString(), linkTarget: stat.linkTarget };
}

/** The value of `X-Docker-Container-Path-Stat`. */
export function pathStatHeader(stat: ContainerPathStat): string {
  return Buffer.from(JSON.stringify(pathStatView(stat))).toString('base64');
}
