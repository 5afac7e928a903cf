import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { createFsLeases } from './fs-leases.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-leases-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** Whether another process could take gc.lock exclusively right now (what a collector in another berth does). */
function lockFreeForOthers(root: string): boolean {
  return spawnSync('flock', ['--exclusive', '--nonblock', join(root, 'metadata', 'gc.lock'), 'true']).status === 0;
}

/**
 * `flock MODE lockPath` held by another process until it is killed; resolves once the lock is held
 * (the child says so), so no test depends on how fast a process starts.
 */
async function holdLockElsewhere(lockPath: string, mode: '--shared' | '--exclusive') {
  const child = spawn('flock', [mode, '--close', lockPath, 'sh', '-c', 'echo held; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`flock exited (${code ?? 'signal'}) before holding ${lockPath}`)));
  });
  // The command (sleep) keeps the pipe open after flock dies: let go of it, so that neither this
  // process's event loop nor a wait for 'close' depends on when sleep ends.
  child.stdout.destroy();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    /** Kills the holder, which releases the lock (--close: the command does not hold it); resolves once it is gone. */
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Whether `promise` has settled after the event loop has had `ms` to run. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  await sleep(ms);
  return settled;
}

test('collection waits for no lease: it is refused while one is held, anywhere', async (t) => {
  const root = tempRoot(t);
  const leases = createFsLeases(root);
  const held = await leases.acquire();
  const second = await leases.acquire();
  assert.equal(leases.tryCollect(), undefined, 'a lease in this process blocks collection');
  held.release();
  held.release(); // a second release of the same lease must not drop the other one
  assert.equal(leases.tryCollect(), undefined, 'one lease still held');
  second.release();
  const collector = leases.tryCollect();
  assert.ok(collector, 'no lease: collection may run');
  collector.release();

  // Another process's lease counts too, and dies with it.
  const lockPath = join(root, 'metadata', 'gc.lock');
  const child = await holdLockElsewhere(lockPath, '--shared');
  assert.equal(leases.tryCollect(), undefined, 'a lease held by another process blocks collection');
  await child.kill();
  const after = leases.tryCollect();
  assert.ok(after, 'the killed holder left no lease behind');
  after.release();
});

test('the leases of a process share one flock: the first takes it, the last release drops it', async (t) => {
  const root = tempRoot(t);
  const leases = createFsLeases(root);
  const a = await leases.acquire();
  assert.equal(lockFreeForOthers(root), false, 'a held lease keeps other processes from collecting');
  const b = await leases.acquire();
  a.release();
  assert.equal(lockFreeForOthers(root), false, 'the lock stays while a lease is left');
  b.release();
  assert.equal(lockFreeForOthers(root), true, 'the last release drops the lock');
});

test('a lease waits for a collection in the same process without blocking the event loop', async (t) => {
  // On the old code acquire() was a blocking flock(LOCK_SH) while this process held LOCK_EX:
  // the process hung for good here (the deadlock a long-running daemon would hit).
  const root = tempRoot(t);
  const leases = createFsLeases(root);
  const collector = leases.tryCollect();
  assert.ok(collector);
  const waiting = leases.acquire();
  const another = leases.acquire();
  assert.equal(await settledWithin(waiting, 50), false, 'no lease while the collection runs');
  assert.equal(leases.tryCollect(), undefined, 'a waiting lease already keeps a second collection out');
  collector.release();
  const [first, second] = await Promise.all([waiting, another]);
  assert.equal(leases.tryCollect(), undefined);
  first.release();
  second.release();
  const next = leases.tryCollect();
  assert.ok(next, 'the waiting leases left nothing held');
  next.release();
});

test('a lease waits for another process\'s collection, and an abort ends the wait', async (t) => {
  const root = tempRoot(t);
  const leases = createFsLeases(root);
  leases.tryCollect()?.release(); // creates metadata/gc.lock
  const lockPath = join(root, 'metadata', 'gc.lock');
  const child = await holdLockElsewhere(lockPath, '--exclusive');
  t.after(() => child.kill());
  const controller = new AbortController();
  const aborted = leases.acquire({ signal: controller.signal });
  const waiting = leases.acquire();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  assert.equal(await settledWithin(waiting, 200), false, 'no lease while another process collects');
  clearInterval(timer);
  assert.ok(ticks >= 10, `the event loop kept running while the lease waited (${ticks} ticks)`);
  controller.abort();
  await assert.rejects(aborted, { kind: 'Aborted', code: 'BERTH_E_LEASE_ABORTED' });
  await child.kill();
  const lease = await waiting;
  assert.equal(lockFreeForOthers(root), false);
  lease.release();
  assert.equal(lockFreeForOthers(root), true, 'the aborted wait left no lease behind');
});
