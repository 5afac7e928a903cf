import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { errnoCode, errors } from '../../base/index.js';
import type { Lease, LeaseManager } from '../../core/metadata/index.js';
import { flock, LOCK_EX, LOCK_NB, LOCK_SH } from '../../sys/index.js';

/** Waits between tries for the shared lock while another process collects: short, collections are rare. */
const firstRetryMs = 5;
const maxRetryMs = 100;

/**
 * Leases as flock(2) on `<root>/metadata/gc.lock`. Inside a process the leases are counted over
 * one shared lock: the first lease takes it, the last release drops it. The collector takes an
 * exclusive lock with LOCK_NB. No call ever blocks on flock: while a collection holds the lock
 * (here or in another process) `acquire` retries without waiting in the kernel, so a process
 * that collects cannot stall or deadlock its own event loop on a lease, and a waiting lease
 * never ties up a thread. The kernel drops the locks of a process that dies, so a killed import
 * or build never blocks collection for good.
 */
export function createFsLeases(root: string): LeaseManager {
  const path = join(root, 'metadata', 'gc.lock');
  const open = (): number => {
    try {
      return openSync(path, 'a', 0o600);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirSync(join(root, 'metadata'), { recursive: true });
      return openSync(path, 'a', 0o600);
    }
  };
  /** A try-lock on a fresh descriptor: the descriptor, or undefined when the lock is taken. */
  const tryLock = (operation: number): number | undefined => {
    const fd = open();
    try {
      flock(fd, operation | LOCK_NB);
      return fd;
    } catch (err) {
      closeSync(fd);
      if (errnoCode(err) === 'EAGAIN' || errnoCode(err) === 'EWOULDBLOCK') return undefined;
      throw err;
    }
  };

  /** The shared lock of this process's leases, while any is held (or being taken). */
  let shared: number | undefined;
  let holders = 0;
  /** The first acquisition, while it waits for the shared lock: later ones wait for it too. */
  let taking: Promise<void> | undefined;
  /** This process's collection: released when it ends. */
  let collecting: { done: Promise<void>; end: () => void } | undefined;

  const dropOne = () => {
    holders--;
    if (holders === 0 && shared !== undefined) {
      closeSync(shared);
      shared = undefined;
    }
  };
  const lease = (): Lease => {
    let held = true;
    return {
      release() {
        if (held) dropOne();
        held = false;
      },
    };
  };

  /**
   * Takes the shared lock for this process's leases. One attempt runs at a time and every waiter
   * shares it; it gives up once nobody waits any more (all aborted).
   */
  async function takeShared(): Promise<void> {
    for (let delay = firstRetryMs; holders > 0; delay = Math.min(delay * 2, maxRetryMs)) {
      // This process's own collection ends with a release: wait for it, not for a timer.
      if (collecting) {
        await collecting.done;
        continue;
      }
      const fd = tryLock(LOCK_SH);
      if (fd !== undefined) {
        if (holders > 0) shared = fd;
        else closeSync(fd);
        return;
      }
      await sleep(delay);
    }
  }

  return {
    async acquire(options = {}) {
      // Counted before any wait, so a collection starting meanwhile in this process skips.
      holders++;
      try {
        while (shared === undefined) {
          taking ??= takeShared().finally(() => (taking = undefined));
          await raceAbort(taking, options.signal);
        }
      } catch (err) {
        dropOne();
        throw err;
      }
      return lease();
    },
    tryCollect() {
      if (holders > 0 || collecting) return undefined;
      const fd = tryLock(LOCK_EX);
      if (fd === undefined) return undefined;
      let end = () => undefined as void;
      const done = new Promise<void>((resolve) => (end = resolve));
      collecting = { done, end };
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          closeSync(fd);
          collecting = undefined;
          end();
        },
      };
    },
  };
}

function abortedError(signal: AbortSignal): Error {
  return errors.aborted('LEASE_ABORTED', 'Waiting for a lease was aborted while a garbage collection ran', { cause: signal.reason });
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself goes on). */
async function raceAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) throw abortedError(signal);
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
