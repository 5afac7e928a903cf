import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { createFsLeases } from './fs-leases.js';

test('collection waits for no lease: it is refused while one is held, anywhere', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-leases-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const leases = createFsLeases(root);
  const held = leases.acquire();
  const second = leases.acquire();
  assert.equal(leases.tryCollect(), undefined, 'a lease in this process blocks collection');
  held.release();
  assert.equal(leases.tryCollect(), undefined, 'one lease still held');
  second.release();
  const collector = leases.tryCollect();
  assert.ok(collector, 'no lease: collection may run');
  collector.release();

  // Another process's lease counts too, and dies with it.
  const lockPath = join(root, 'metadata', 'gc.lock');
  const child = spawn('flock', ['--shared', '--close', lockPath, 'sleep', '30'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(leases.tryCollect(), undefined, 'a lease held by another process blocks collection');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const after = leases.tryCollect();
  assert.ok(after, 'the killed holder left no lease behind');
  after.release();
});
