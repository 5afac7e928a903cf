/**
 * The lock of a `RUN --mount=type=cache,sharing=locked|private` directory: flock(2) on
 * `<dir>.lock`, so two builds (two processes) never use one cache directory at once. The kernel
 * releases it when its holder closes the file or dies (even by SIGKILL), so there is no stale
 * lock to break and no race between builds taking over a dead holder's lock, which the pid file
 * this replaces had (CVE-2024-23651 is this class of bug in BuildKit). The file is never removed:
 * unlinking a lock file lets a waiter lock a file that is no longer the lock.
 */
import { open } from 'node:fs/promises';

import { errnoCode, errors } from '../base/index.js';
import { flock, LOCK_EX, LOCK_NB } from '../sys/index.js';

/**
 * Takes the lock. `wait: false` returns undefined when another holds it; `wait: true` polls
 * (LOCK_NB) until it is free, so that waiting never blocks the event loop of a build running
 * stages in parallel. Returns the release function.
 */
export async function acquireCacheLock(path: string, options: { wait: boolean; signal?: AbortSignal }): Promise<(() => Promise<void>) | undefined> {
  const handle = await open(path, 'a', 0o600);
  try {
    for (;;) {
      try {
        flock(handle.fd, LOCK_EX | LOCK_NB);
        return () => handle.close(); // closing the file releases the lock
      } catch (err) {
        if (errnoCode(err) !== 'EAGAIN' && errnoCode(err) !== 'EWOULDBLOCK') throw err;
      }
      if (!options.wait) {
        await handle.close();
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 20));
      if (options.signal?.aborted === true) throw errors.aborted('BUILD_ABORTED', 'The build was aborted');
    }
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}
