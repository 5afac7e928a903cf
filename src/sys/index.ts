/**
 * Linux system calls that Node does not expose, from berth's small native addon
 * (native/berth_sys.c, built by `npm ci` through node-gyp). Errors carry the errno name in `code`.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

interface NativeSys {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  umount2Async(target: string, flags: number): Promise<void>;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  lsetxattr(path: string, name: string, value: Buffer): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  flock(fd: number, operation: number): void;
  openInRoot(rootFd: number, path: string, flags: number, mode: number): number;
  mkdirat(dirFd: number, name: string, mode: number): void;
  lstatAt(dirFd: number, name: string): number | null;
  readlinkAt(dirFd: number, name: string): string;
  symlinkAt(target: string, dirFd: number, name: string): void;
  linkAt(oldDirFd: number, oldName: string, newDirFd: number, newName: string, flags: number): void;
  lchownAt(dirFd: number, name: string, uid: number, gid: number): void;
  lutimesAt(dirFd: number, name: string, atimeMs: number, mtimeMs: number): void;
  removeAllAt(dirFd: number, name: string): void;
  recvFd(fd: number): number | null;
  setWindowSize(fd: number, rows: number, cols: number): void;
  /** Absent from an addon built before it (the caller then holds no peer). */
  ptyPeer?: (master: number) => number;
  openPty(): [master: number, slave: number];
  /** Absent from an addon built before it (spawn-piped.ts then uses child_process). */
  spawnPiped?: (file: string, argv: string[], pipeStdin: boolean, execFd?: number) => [pid: number, stdin: number, stdout: number, stderr: number];
  reapChild?: (pid: number) => [code: number, signal: number] | null;
  /** Absent from an addon built before it (sealed-copy.ts then gives none). */
  sealedCopy?: (path: string) => number;
  /** Absent from an addon built before it (spawn-channel.ts: the caller uses child_process). */
  spawnChannel?: (file: string, argv: string[], stderrFd: number, preamble: Buffer) => [pid: number, channel: number];
  /** Undefined when the node executable exports no SHA256(); absent from an older addon. */
  sha256Hex?: (text: string) => string | undefined;
  /** Absent from an addon built before it (pinLinkAddress then pins nothing). */
  pinLinkAddress?: (name: string) => void;
  /** The daemon's native lane (native/api_lane.c; see api-lane.ts). */
  laneStart(listeners: number[], handOver: (fd: number, unread: Buffer | null, unwritten: Buffer | null) => void, pingHead: string, listHead: string, minVersion: number, maxVersion: number): NativeLaneHandle;
  lanePublish(lane: NativeLaneHandle, snapshot: { dir: string; stamp: string; monitors: number[]; template: Buffer } | null): boolean;
  laneStats(lane: NativeLaneHandle): [answered: number, handedOver: number];
  laneStop(lane: NativeLaneHandle): void;
  listenUnix(path: string, backlog: number): number;
  renderTemplate(template: Buffer, nowMs: number): string;
  isUnixStreamListener(fd: number): boolean;
}

/** An opaque native lane. */
declare const nativeLaneBrand: unique symbol;
export type NativeLaneHandle = { readonly [nativeLaneBrand]: true };

let native: NativeSys | undefined;

/** The addon sits in `<checkout>/build/Release`; code runs from dist/sys (tests) or dist/bundle (the CLI). */
function addonPath(): string {
  for (let dir = import.meta.dirname, i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'build', 'Release', 'berth_sys.node');
    if (existsSync(candidate)) return candidate;
  }
  return resolve(import.meta.dirname, '../../builder/Release/berth_sys.node');
}
/** Loads the addon with process.dlopen: ~0.3 ms, where require() of a `.node` file costs ~2.5 ms cold. */
function sys(): NativeSys {
  if (!native) {
    const module = { exports: {} };
    process.dlopen(module, addonPath());
    native = module.exports as NativeSys;
  }
  return native;
}

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MNT_DETACH = 0x2;

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  sys().mount(source, target, fstype, flags, data);
}

export function umount2(target: string, flags = 0): void {
  sys().umount2(target, flags);
}

/** umount2(2) on a thread of libuv's pool: an overlay's unmount may flush its filesystem for long. */
export function umount2Async(target: string, flags = 0): Promise<void> {
  return sys().umount2Async(target, flags);
}

/** The value of extended attribute `name` of `path` (not following a final symlink), or null if absent. */
export function lgetxattr(path: string, name: string): Buffer | null {
  return sys().lgetxattr(path, name);
}

/** Names of the extended attributes of `path` (not following a final symlink) that this process may see. */
export function llistxattr(path: string): string[] {
  return sys().llistxattr(path);
}

/** Sets extended attribute `name` of `path` (not following a final symlink), creating or replacing it. */
export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  sys().lsetxattr(path, name, Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** Creates a device node or fifo; `mode` is a file type (S_IFCHR, S_IFBLK, S_IFIFO) or'ed with permission bits. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  sys().mknod(path, mode, major, minor);
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/**
 * flock(2) on an open file descriptor: LOCK_SH (shared), LOCK_EX (exclusive) or LOCK_UN, or'ed
 * with LOCK_NB to fail with `EAGAIN` instead of waiting. Without LOCK_NB it blocks the thread
 * until the lock is granted (EINTR is retried). The lock belongs to the open file description, so
 * it is released when the descriptor is closed or the process dies, even by SIGKILL.
 */
export function flock(fd: number, operation: number): void {
  sys().flock(fd, operation);
}

// ---- Directory-fd calls, for writing into a root another process may change (see in-root.ts) ----

export const O_PATH = 0o10000000;
export const AT_EMPTY_PATH = 0x1000;

/**
 * openat2(2) of `path` with the directory `rootFd` as `/` (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 * absolute symlinks and `..` are resolved inside it by the kernel, atomically. O_CLOEXEC is added.
 * Throws `ENOSYS` where the kernel is older than 5.6.
 */
export function openInRoot(rootFd: number, path: string, flags: number, mode = 0): number {
  return sys().openInRoot(rootFd, path, flags, mode);
}

/** mkdirat(2): creates directory `name` (one component) in the directory `dirFd`. */
export function mkdirat(dirFd: number, name: string, mode: number): void {
  sys().mkdirat(dirFd, name, mode);
}

/** fstatat(2) with AT_SYMLINK_NOFOLLOW: the st_mode of `name` in `dirFd`, or null when it does not exist. */
export function lstatAt(dirFd: number, name: string): number | null {
  return sys().lstatAt(dirFd, name);
}

/** readlinkat(2): the target of symlink `name` in `dirFd`. */
export function readlinkAt(dirFd: number, name: string): string {
  return sys().readlinkAt(dirFd, name);
}

/** symlinkat(2): creates symlink `name` in `dirFd` pointing at `target`. */
export function symlinkAt(target: string, dirFd: number, name: string): void {
  sys().symlinkAt(target, dirFd, name);
}

/** linkat(2); with AT_EMPTY_PATH and an `oldName` of '' it links the file `oldDirFd` is open on (O_PATH). */
export function linkAt(oldDirFd: number, oldName: string, newDirFd: number, newName: string, flags = 0): void {
  sys().linkAt(oldDirFd, oldName, newDirFd, newName, flags);
}

/** fchownat(2) with AT_SYMLINK_NOFOLLOW. */
export function lchownAt(dirFd: number, name: string, uid: number, gid: number): void {
  sys().lchownAt(dirFd, name, uid, gid);
}

/** utimensat(2) with AT_SYMLINK_NOFOLLOW, times in milliseconds since the epoch. */
export function lutimesAt(dirFd: number, name: string, atimeMs: number, mtimeMs: number): void {
  sys().lutimesAt(dirFd, name, atimeMs, mtimeMs);
}

/** `rm -rf name` relative to `dirFd`, walking only through fds opened with O_NOFOLLOW (a symlink is removed, not followed). */
export function removeAllAt(dirFd: number, name: string): void {
  sys().removeAllAt(dirFd, name);
}

interface Held {
  fd: number;
  exclusive: boolean;
  depth: number;
}

/** Locks this process holds, by path: a nested `withFileLock` on the same path only counts. */
const held = new Map<string, Held>();

/**
 * Runs `fn` while holding an flock(2) on `path` (created if missing): exclusive by default, shared
 * with `{ shared: true }`. Every process (and every worker thread) that locks the same path waits
 * for the others. Reentrant within a thread: a nested call on a held path runs at once (a nested
 * exclusive call inside a shared one throws, since flock cannot upgrade atomically).
 *
 * `fn` must be synchronous: a lock held across `await` would let other work of the same thread
 * in without waiting. The lock is released when `fn` returns or throws, and by the kernel when
 * the process dies, so a crash never leaves a store locked.
 */
export function withFileLock<T>(path: string, fn: () => T, options: { shared?: boolean } = {}): T {
  const exclusive = options.shared !== true;
  const current = held.get(path);
  if (current) {
    if (exclusive && !current.exclusive) throw new Error(`Cannot take an exclusive lock on "${path}" inside a shared one`);
    current.depth++;
    try {
      return checkSync(fn(), path);
    } finally {
      current.depth--;
    }
  }
  const fd = openSync(path, 'a', 0o600);
  try {
    flock(fd, exclusive ? LOCK_EX : LOCK_SH);
    held.set(path, { fd, exclusive, depth: 1 });
    return checkSync(fn(), path);
  } finally {
    held.delete(path);
    closeSync(fd);
  }
}

function checkSync<T>(value: T, path: string): T {
  if (value instanceof Promise) throw new Error(`A function run under the lock "${path}" returned a promise; it must be synchronous`);
  return value;
}
export * from './in-root.js';
export * from './api-lane.js';

// ---- Terminals of execs relayed as streams (plugins/runtime-oci exec-streams.ts) ----

/**
 * The descriptor a peer passed over the unix socket `fd` (SCM_RIGHTS), as an OCI runtime sends a
 * pseudo-terminal's master to its `--console-socket`; null while nothing has arrived (the socket
 * is non-blocking). The new descriptor is close-on-exec. ECONNRESET when the peer hung up without one.
 */
/** The native lane's functions (api-lane.ts). */
export function nativeLane(): Pick<NativeSys, 'laneStart' | 'lanePublish' | 'laneStats' | 'laneStop' | 'listenUnix' | 'renderTemplate' | 'isUnixStreamListener'> {
  return sys();
}

export function recvFd(fd: number): number | null {
  return sys().recvFd(fd);
}

/** The addon's waitpid(pid, WNOHANG) for the children its posix_spawn starts (native-children.ts). */
export function nativeReapChild(): NativeSys['reapChild'] {
  return sys().reapChild;
}

/** The addon's posix_spawn and waitpid(WNOHANG) (see spawn-piped.ts), or undefined when this build lacks them. */
export function nativeSpawn(): Required<Pick<NativeSys, 'spawnPiped' | 'reapChild'>> | undefined {
  const s = sys();
  return s.spawnPiped && s.reapChild ? { spawnPiped: s.spawnPiped, reapChild: s.reapChild } : undefined;
}

/**
 * Sets network interface `name`'s MAC address to the one it has (SIOCGIFHWADDR, SIOCSIFHWADDR), so
 * that the kernel keeps it: a bridge whose address was never set follows its ports'. Returns false
 * when this build of the addon lacks it. Throws as the ioctls do (ENODEV: no such interface).
 */
export function pinLinkAddress(name: string): boolean {
  const pin = sys().pinLinkAddress;
  if (!pin) return false;
  pin(name);
  return true;
}

/** TIOCSWINSZ: a terminal's size in rows and columns (its foreground process group gets SIGWINCH). */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  sys().setWindowSize(fd, rows, cols);
}

/**
 * A descriptor of a pseudo-terminal's other side, from its master (TIOCGPTPEER); undefined from an
 * addon without it. Held open, it keeps reads of the master from ending (EIO) while it is.
 */
export function ptyPeer(master: number): number | undefined {
  return sys().ptyPeer?.(master);
}

/** A new pseudo-terminal: [master, slave], both close-on-exec, neither this process's controlling terminal. */
export function openPty(): [master: number, slave: number] {
  return sys().openPty();
}

/**
 * A sealed memfd copy of the program at `path` (close-on-exec; see native/berth_sys.c
 * sealedCopy), for spawnPiped's `execFd`; undefined when this build of the addon lacks it.
 * Throws as open/fstat/memfd_create do.
 */
export function sealedCopy(path: string): number | undefined {
  const s = sys();
  return s.sealedCopy ? s.sealedCopy(path) : undefined;
}

/**
 * The SHA-256 of a string's UTF-8 bytes, as hex: through the addon, with the OpenSSL inside the
 * node executable, for the few small hashes of `berth run` (node:crypto costs ~2 ms to load);
 * node:crypto when the addon cannot.
 */
export function sha256Hex(text: string): string {
  return sys().sha256Hex?.(text) ?? createHash('sha256').update(text).digest('hex');
}

/** Whether sha256Hex hashes through the addon (else node:crypto). */
export function nativeSha256(): boolean {
  return typeof sys().sha256Hex?.('') === 'string';
}

export function nativeSpawnChannel(): Required<Pick<NativeSys, 'spawnChannel' | 'reapChild'>> | undefined {
  const s = sys();
  return s.spawnChannel && s.reapChild ? { spawnChannel: s.spawnChannel, reapChild: s.reapChild } : undefined;
}

// spawn-piped.ts uses nativeSpawn above (a cycle that is safe: neither runs the other at load).
export { spawnPiped, type PipedChild } from './spawn-piped.js';
export { spawnWithChannel, type ChannelChild } from './spawn-channel.js';
