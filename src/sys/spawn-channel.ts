/**
 * A child with one socket to its parent on fd 3, for berth-monitor (its owner's connection):
 * posix_spawn through the addon, where child_process.spawn forks the whole CLI (~60 MiB of page
 * tables copied, and node:child_process loaded, a few ms of every `berth run`). What the parent
 * has to say first (the monitor's hello) is in the socket before the child starts, so the child
 * does not wait for it. The child is not libuv's: native-children.ts reaps it while this process
 * runs; a child that outlives it is reparented, as a detached child_process would be.
 * Undefined when the addon predates spawnChannel: the caller uses child_process.
 */
import { nativeSpawnChannel } from './index.js';
import { childExitStatus, holdUntilSettled, listenForChildExits, nativeSpawnFailed } from './native-children.js';

export interface ChannelChild {
  pid: number;
  /** The parent's end of the socket (close-on-exec): the child's fd 3. */
  fd: number;
  /** Settles once the child has exited and been reaped (not when it execs); keeps this process alive meanwhile. */
  exited: () => Promise<void>;
}

/**
 * Runs `file` with `args` (argv[0] is `file`) in a session of its own: stdin and stdout on
 * /dev/null, stderr on `stderrFd`, fd 3 on a socket whose other end is returned, `preamble`
 * already written to it. Throws (ENOENT, EACCES...) when the program cannot be run.
 */
export function spawnWithChannel(file: string, args: string[], stderrFd: number, preamble: Buffer): ChannelChild | undefined {
  const native = nativeSpawnChannel();
  if (!native) return undefined;
  listenForChildExits();
  let pid: number;
  let fd: number;
  try {
    [pid, fd] = native.spawnChannel(file, [file, ...args], stderrFd, preamble);
  } catch (err) {
    nativeSpawnFailed();
    throw err;
  }
  const gone = childExitStatus(pid);
  // Only waiting keeps this process alive until the exit comes: a monitor that outlives `run -d` must not hold it.
  const exited = async () => void (await holdUntilSettled(gone, 20));
  return { pid, fd, exited };
}
