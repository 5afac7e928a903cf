import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, cgroupScopes, createStore, mountsUnder } from './harness.js';

describe('--rm leaves nothing behind', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  const count = () => ({
    mounts: mountsUnder(store.root).length,
    bundles: readdirSync(join(store.root, 'containers')).length,
    records: store.berth(['ps', '-aq']).stdout.split('\n').filter(Boolean).length,
    snapshots: readdirSync(join(store.root, 'snapshots', 'overlay')).filter((n) => /^[0-9a-f]+$/.test(n)).length,
  });

  test('the cgroup check sees a running container\'s scope (so its empty answer below means something)', async () => {
    const child = store.spawnBerth(['run', '--rm', busyboxImage, 'sh', '-c', 'hostname; exec sleep 30']);
    const id = await new Promise<string>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())));
    try {
      assert.match(id, /^[a-f0-9]{12}$/);
      assert.ok(cgroupScopes().some((scope) => scope.split('/')[1]?.startsWith(id)), `scope of ${id} found in ${cgroupScopes().join(' ')}`);
    } finally {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
  });

  // Mutation seen red: tearDown skipping the cgroup scope's removal.
  test('no mount, cgroup, bundle directory or store record remains', () => {
    store.berth(['run', '--rm', busyboxImage, 'true']); // unpack once so counts are stable
    const before = count();
    const ids: string[] = [];
    for (const args of [['true'], ['sh', '-c', 'exit 7'], ['no-such-command'], ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1']]) {
      const r = store.berth(['run', '--rm', '--memory', '32m', busyboxImage, 'sh', '-c', `hostname >&2; exec "$@"`, '--', ...args]);
      const id = r.stderr.split('\n')[0] ?? '';
      assert.match(id, /^[a-f0-9]{12}$/, r.stderr);
      ids.push(id);
    }
    assert.deepEqual(count(), before);
    const leftovers = cgroupScopes().filter((scope) => ids.some((id) => scope.split('/')[1]?.startsWith(id)));
    assert.deepEqual(leftovers, []);
    assert.match(store.berth(['system', 'check']).stdout, /is consistent/);
  });

  test('rm removes a stopped container and its writable layer', () => {
    store.berth(['run', '--name', 'kept', busyboxImage, 'sh', '-c', 'echo data > /data']);
    const before = count();
    assert.equal(store.berth(['ps', '-a']).stdout.includes('kept'), true);
    const r = store.berth(['rm', 'kept']);
    assert.equal(r.code, 0, r.stderr);
    const now = count();
    assert.equal(now.records, before.records - 1);
    assert.equal(now.bundles, before.bundles - 1);
    assert.equal(now.snapshots, before.snapshots - 1);
    const missing = store.berth(['rm', 'kept']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: kept/);
  });
});
