import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { RuntimeHost } from './select-runtime.js';
import { crunBlocker, selectRuntime } from './select-runtime.js';

const host = (installed: string[], blocker?: string): RuntimeHost => ({
  findBinary: (name) => (installed.includes(name) ? `/usr/bin/${name}` : undefined),
  crunBlocker: () => blocker,
});

test('crun by default, runc when asked', () => {
  assert.deepEqual(selectRuntime(undefined, host(['crun', 'runc'])), { binary: '/usr/bin/crun' });
  assert.deepEqual(selectRuntime('runc', host(['crun', 'runc'])), { binary: '/usr/bin/runc' });
  assert.deepEqual(selectRuntime('crun', host(['crun', 'runc'])), { binary: '/usr/bin/crun' });
});

test('the default falls back to runc with a warning naming why crun cannot run', () => {
  const blocked = selectRuntime(undefined, host(['crun', 'runc'], 'hybrid layout'));
  assert.equal(blocked.binary, '/usr/bin/runc');
  assert.match(blocked.warning ?? '', /hybrid layout/);
  const missing = selectRuntime(undefined, host(['runc']));
  assert.equal(missing.binary, '/usr/bin/runc');
  assert.match(missing.warning ?? '', /crun is not installed/);
});

test('an explicit --runtime crun that cannot run is an error, not a switch to runc', () => {
  assert.throws(() => selectRuntime('crun', host(['crun', 'runc'], 'hybrid layout')), { code: 'BERTH_E_RUNTIME_UNUSABLE', message: /hybrid layout/ });
  assert.throws(() => selectRuntime('crun', host(['runc'])), { code: 'BERTH_E_RUNTIME_UNUSABLE' });
});

test('no usable runtime, an uninstalled one and names that are not runtimes are errors', () => {
  assert.throws(() => selectRuntime(undefined, host([], 'x')), { code: 'BERTH_E_RUNTIME_NOT_FOUND' });
  assert.throws(() => selectRuntime('runc', host(['crun'])), { code: 'BERTH_E_RUNTIME_NOT_FOUND' });
  assert.throws(() => selectRuntime('/bin/sh', host(['crun', 'runc'])), { code: 'BERTH_E_UNKNOWN_RUNTIME' });
});

test('crunBlocker names the controllers a hybrid layout keeps on cgroup v2, and nothing otherwise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cgroups-'));
  try {
    const file = join(dir, 'cgroup.controllers');
    writeFileSync(file, 'hugetlb\n');
    assert.match(crunBlocker(file) ?? '', /"hugetlb" on cgroup v2/);
    writeFileSync(file, '\n');
    assert.equal(crunBlocker(file), undefined, 'an empty v2 hierarchy does not block crun');
    assert.equal(crunBlocker(join(dir, 'missing')), undefined, 'no unified hierarchy (pure v1 or pure v2 host)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
