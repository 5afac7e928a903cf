/**
 * A child with one socket to its parent on fd 3, for berth-monitor (its owner's connection):
 * posix_spawn through the addon, where child_process.spawn forks the whole CLI (~60 MiB of page
 * tables copied, and node:child_process loaded, a few ms of every `berth run`). What the parent
 * has to say first (the monitor's hello) is in the socket before the child starts, so the child
 * does not wait for it. The child is not libuv's: it is reaped here, on SIGCHLD, while this
 * process runs; a child that outlives it is reparented, as a detached child_process would be.
 * Undefined when the addon predates spawnChannel: the caller uses child_process.
 */
import { nativeSpawnChannel } from './index.js';

export interface ChannelChild {
  pid: number;
  /** The parent's end of the socket (close-on-exec): the child's fd 3. */
  fd: number;
  /** Settles once the child has exited and been reaped (not when it execs); keeps this process alive meanwhile. */
  exited: () => Promise<void>;
}

const waiting = new Map<number, () => void>();
let listening = false;
/** Held while someone awaits an exit. */
let keepAlive: NodeJS.Timeout | undefined;
let awaited = 0;

function reapWaiting(): void {
  const native = nativeSpawnChannel();
  if (!native) return;
  for (const [pid, done] of waiting) {
    let result: [number, number] | null;
    try {
      result = native.reapChild(pid);
    } catch {
      // ECHILD: reaped elsewhere; it is gone all the same.
      result = [255, -1];
    }
    if (result === null) continue;
    waiting.delete(pid);
    done();
  }
  if (waiting.size === 0 && listening) {
    process.off('SIGCHLD', reapWaiting);
    listening = false;
  }
}

/**
 * Runs `file` with `args` (argv[0] is `file`) in a session of its own: stdin and stdout on
 * /dev/null, stderr on `stderrFd`, fd 3 on a socket whose other end is returned, `preamble`
 * already written to it. Throws (ENOENT, EACCES...) when the program cannot be run.
 */
export function spawnWithChannel(file: string, args: string[], stderrFd: number, preamble: Buffer): ChannelChild | undefined {
  const native = nativeSpawnChannel();
  if (!native) return undefined;
  // Listening before the spawn: a child that exits at once must not find no listener.
  if (!listening) {
    process.on('SIGCHLD', reapWaiting);
    listening = true;
  }
  let pid: number;
  let fd: number;
  try {
    [pid, fd] = native.spawnChannel(file, [file, ...args], stderrFd, preamble);
  } catch (err) {
    if (waiting.size === 0) reapWaiting();
    throw err;
  }
  const gone = new Promise<void>((resolve) => waiting.set(pid, resolve));
  // Waiting keeps this process alive until the exit comes (a signal listener does not), and asks
  // again now and then, in case a SIGCHLD went by unseen.
  const exited = async () => {
    if (awaited++ === 0) keepAlive = setInterval(reapWaiting, 20);
    try {
      await gone;
    } finally {
      if (--awaited === 0) clearInterval(keepAlive);
    }
  };
  return { pid, fd, exited };
}
