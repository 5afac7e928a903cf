/**
 * The children the addon's posix_spawn starts (spawn-piped.ts, spawn-channel.ts) are not libuv's:
 * they are reaped here. libuv passes SIGCHLD to every listener and reaps only its own children, by
 * pid; on each SIGCHLD every pending child of ours is asked with waitpid(pid, WNOHANG). One
 * listener and one table for all of them, whoever spawned them.
 */
import { nativeReapChild } from './index.js';

const pending = new Map<number, (status: number) => void>();
let listening = false;

function reapPending(): void {
  const reapChild = nativeReapChild();
  if (!reapChild) return;
  for (const [pid, done] of pending) {
    let result: [number, number] | null;
    try {
      result = reapChild(pid);
    } catch {
      // ECHILD: someone else reaped it; its status is lost, but it is gone all the same.
      result = [255, -1];
    }
    if (result === null) continue;
    pending.delete(pid);
    const [code, signal] = result;
    done(code >= 0 ? code : 128 + Math.max(signal, 0));
  }
  if (pending.size === 0 && listening) {
    process.off('SIGCHLD', reapPending);
    listening = false;
  }
}

/** Call before a native spawn: a child that exits at once must not find no listener. */
export function listenForChildExits(): void {
  if (listening) return;
  process.on('SIGCHLD', reapPending);
  listening = true;
}

/** Call when a native spawn failed: the listener goes when no child is pending. */
export function nativeSpawnFailed(): void {
  if (pending.size === 0) reapPending();
}

/**
 * The exit status of the child `pid` (just spawned natively), as a shell reports it (128 + the
 * signal's number for a killed child), once it is reaped. This alone does not keep the process
 * alive: see holdUntilSettled.
 */
export function childExitStatus(pid: number): Promise<number> {
  const status = new Promise<number>((resolve) => pending.set(pid, resolve));
  // A SIGCHLD handled before the child was in `pending` reaped nothing: look once more.
  setImmediate(reapPending);
  return status;
}

/**
 * Keeps this process alive until `promise` settles (a signal listener does not: a process whose
 * only work left is a child that closed its output would end before the child's exit), asking
 * every `intervalMs` too, in case a SIGCHLD went by unseen.
 */
export async function holdUntilSettled<T>(promise: Promise<T>, intervalMs: number): Promise<T> {
  const timer = setInterval(reapPending, intervalMs);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}
