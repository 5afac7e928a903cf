import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { cgroupScopes } from './harness.js';

/** The leftover-cgroup check must look where berth's scopes are on each kind of host. */
test('cgroupScopes finds scopes on cgroup v2 (one tree) and on v1 (per controller), and refuses an unknown layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cgroup-layout-'));
  try {
    const v2 = join(dir, 'v2');
    mkdirSync(join(v2, 'berth', 'abc'), { recursive: true });
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    assert.deepEqual(cgroupScopes(v2), ['unified/abc']);
    const v1 = join(dir, 'v1');
    mkdirSync(join(v1, 'memory', 'berth', 'abc'), { recursive: true });
    mkdirSync(join(v1, 'pids', 'berth', 'abc'), { recursive: true });
    mkdirSync(join(v1, 'cpu'), { recursive: true });
    assert.deepEqual(cgroupScopes(v1).sort(), ['memory/abc', 'pids/abc']);
    const none = join(dir, 'none');
    mkdirSync(none);
    assert.throws(() => cgroupScopes(none), /no berth cgroup parent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
