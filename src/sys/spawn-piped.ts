/**
 * A child process with its stdio on sockets, for a long-lived process that spawns often (the
 * daemon's `exec`). child_process.spawn forks: libuv's fork() copies the caller's page tables and
 * blocks the event loop meanwhile, ~1 ms per 20 MiB of heap (2.6 ms per `docker exec` measured in
 * a 60 MiB daemon, in a request sequence of ~20 ms). The addon's posix_spawn (clone with
 * CLONE_VM|CLONE_VFORK) costs the same whatever the heap. Its children are not libuv's: they are
 * reaped by native-children.ts.
 * Without the addon's functions (an older build), child_process.spawn does the same job.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

import { nativeSpawn } from './index.js';
import { childExitStatus, holdUntilSettled, listenForChildExits, nativeSpawnFailed } from './native-children.js';

export interface PipedChild {
  pid: number;
  /** Present when asked for; otherwise the child's stdin is /dev/null. */
  stdin?: Writable;
  stdout: Readable;
  stderr: Readable;
  /** The exit status as a shell reports it (128 + the signal's number for a killed child). */
  status: Promise<number>;
}

/**
 * Runs `file` with `args` (argv[0] is `file`) in a session of its own (as `detached: true`):
 * stdout and stderr piped, stdin piped when `pipeStdin`, else /dev/null. Throws (ENOENT, EACCES...)
 * when the program cannot be run. `execFd`: a sealedCopy of `file` to run instead of the path
 * (the child gets it as fd 3 and runs /proc/self/fd/3; argv[0] stays `file`).
 */
export function spawnPiped(file: string, args: string[], pipeStdin: boolean, execFd?: number): PipedChild {
  const native = nativeSpawn();
  if (!native) return viaChildProcess(file, args, pipeStdin);
  listenForChildExits();
  let fds: [number, number, number, number];
  try {
    fds = execFd === undefined ? native.spawnPiped(file, [file, ...args], pipeStdin) : native.spawnPiped(file, [file, ...args], pipeStdin, execFd);
  } catch (err) {
    nativeSpawnFailed();
    throw err;
  }
  const [pid, stdinFd, stdoutFd, stderrFd] = fds;
  // The process stays alive while its children run, as with child_process.
  const status = holdUntilSettled(childExitStatus(pid), 1000);
  const stdout = new Socket({ fd: stdoutFd, readable: true, writable: false });
  const stderr = new Socket({ fd: stderrFd, readable: true, writable: false });
  const stdin = stdinFd >= 0 ? new Socket({ fd: stdinFd, readable: false, writable: true }) : undefined;
  return { pid, ...(stdin ? { stdin } : {}), stdout, stderr, status };
}

function viaChildProcess(file: string, args: string[], pipeStdin: boolean): PipedChild {
  const child = spawn(file, args, { stdio: [pipeStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const status = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
  return { pid: child.pid ?? 0, ...(child.stdin ? { stdin: child.stdin } : {}), stdout: child.stdout!, stderr: child.stderr!, status };
}
