import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { mountAll, unmountAll } from '../../mount/index.js';
import type { Mount } from '../../mount/index.js';
import type { Snapshotter } from '../index.js';

interface Context {
  after(fn: () => void): void;
}

/**
 * Conformance tests every Snapshotter runs: the prepare/view/commit/remove lifecycle, the errors
 * of the interface, parents and real mounts (root only: writes land in the active snapshot and
 * never in its parents), persistence across opens and `orphans`/`cleanup` on a healthy root.
 */
export function snapshotterSuite(name: string, create: (root: string) => Snapshotter): void {
  const open = (t: Context) => {
    const root = mkdtempSync(join(tmpdir(), 'berth-snapshots-'));
    const snapshots = create(join(root, 'store'));
    t.after(() => {
      snapshots.close();
      rmSync(root, { recursive: true, force: true });
    });
    return { root, snapshots, store: join(root, 'store') };
  };

  /** Mounts `mounts` on a fresh directory for the length of `fn`. */
  const withMounted = async <T>(root: string, mounts: Mount[], fn: (dir: string) => T): Promise<T> => {
    const dir = mkdtempSync(join(root, 'mnt-'));
    mountAll(mounts, dir);
    try {
      return fn(dir);
    } finally {
      await unmountAll(dir);
    }
  };

  describe(`Snapshotter: ${name}`, () => {
    test('prepare, commit and remove: an active snapshot becomes a committed one under a new name', async (t) => {
      const { snapshots } = open(t);
      const mounts = await snapshots.prepare('extract-1', undefined, { labels: { 'berth.test': 'yes' } });
      assert.equal(mounts.length, 1);
      assert.ok(!mounts[0]?.options.includes('ro'), 'an active snapshot is writable');
      assert.deepEqual(await snapshots.stat('extract-1'), { key: 'extract-1', kind: 'active', created: (await snapshots.stat('extract-1')).created, labels: { 'berth.test': 'yes' } });
      writeFileSync(join(await snapshots.upperDir('extract-1'), 'hello.txt'), 'x'.repeat(10_000));
      assert.ok(await snapshots.usage('extract-1') >= 10_000);
      await snapshots.commit('sha256:layer1', 'extract-1');
      assert.equal(await snapshots.exists('extract-1'), false);
      const info = await snapshots.stat('sha256:layer1');
      assert.equal(info.kind, 'committed');
      assert.deepEqual(info.labels, { 'berth.test': 'yes' });
      assert.ok((await snapshots.mounts('sha256:layer1')).every((m) => m.options.includes('ro')), 'a committed snapshot mounts read-only');
      assert.deepEqual((await snapshots.walk()).map((s) => s.key), ['sha256:layer1']);
      await snapshots.remove('sha256:layer1');
      assert.equal(await snapshots.exists('sha256:layer1'), false);
      assert.deepEqual(await snapshots.walk(), []);
    });

    test('errors: NotFound, AlreadyExists and FailedPrecondition', async (t) => {
      const { snapshots } = open(t);
      await snapshots.prepare('active', undefined);
      await snapshots.prepare('base-extract', undefined);
      await snapshots.commit('base', 'base-extract');
      await snapshots.prepare('child', 'base');
      const notFound = { kind: 'NotFound', code: 'BERTH_E_SNAPSHOT_NOT_FOUND' };
      await assert.rejects(snapshots.prepare('x', 'missing'), notFound);
      for (const op of ['stat', 'mounts', 'upperDir', 'usage', 'remove'] as const) await assert.rejects(snapshots[op]('missing'), notFound, op);
      await assert.rejects(snapshots.commit('y', 'missing'), notFound);
      await assert.rejects(snapshots.prepare('active', undefined), { kind: 'AlreadyExists' });
      await assert.rejects(snapshots.view('base', undefined), { kind: 'AlreadyExists' });
      await assert.rejects(snapshots.commit('base', 'active'), { kind: 'AlreadyExists' });
      assert.equal((await snapshots.stat('active')).kind, 'active', 'a failed commit leaves the snapshot active');
      await assert.rejects(snapshots.prepare('x', 'active'), { kind: 'FailedPrecondition' });
      await assert.rejects(snapshots.commit('z', 'base'), { kind: 'FailedPrecondition' });
      await assert.rejects(snapshots.remove('base'), { kind: 'FailedPrecondition' });
      await snapshots.remove('child');
      await snapshots.remove('base');
      assert.deepEqual((await snapshots.walk()).map((s) => s.key), ['active']);
    });

    test('walk with a key prefix: only the keys that start with it, hashed long keys included', async (t) => {
      const { snapshots } = open(t);
      const keys = ['build-1-a', 'builder', 'other', `build-${'l'.repeat(300)}`, `x${'l'.repeat(300)}`, 'build-2/b'];
      for (const key of keys) await snapshots.prepare(key, undefined);
      await snapshots.commit('build-3-committed', 'other');
      const keyed = async (keyPrefix: string) => (await snapshots.walk({ keyPrefix })).map((s) => s.key).sort();
      assert.deepEqual(await keyed('build-'), ['build-1-a', 'build-2/b', 'build-3-committed', `build-${'l'.repeat(300)}`].sort());
      assert.deepEqual(await keyed('nothing'), []);
      assert.equal((await snapshots.walk()).length, keys.length);
    });

    test('keys with slashes, colons, dots and any length work', async (t) => {
      const { root, snapshots } = open(t);
      const keys = ['a/b/../c', `extract-sha256:${'f'.repeat(64)}`, 'k'.repeat(300), '.hidden', '..', 'x%2F'];
      for (const key of keys) await snapshots.prepare(key, undefined);
      await snapshots.commit(`${'n'.repeat(250)}/committed`, 'a/b/../c');
      const reopened = create(join(root, 'store'));
      assert.deepEqual((await reopened.walk()).map((s) => s.key).sort(), [...keys.slice(1), `${'n'.repeat(250)}/committed`].sort());
      for (const key of keys.slice(1)) assert.equal((await reopened.stat(key)).key, key);
      reopened.close();
    });

    test('parents: walk reports them, views and actives stack on the committed chain', async (t) => {
      const { snapshots } = open(t);
      let parent: string | undefined;
      for (const layer of ['l1', 'l2', 'l3']) {
        await snapshots.prepare(`extract-${layer}`, parent);
        await snapshots.commit(layer, `extract-${layer}`);
        parent = layer;
      }
      await snapshots.view('view', 'l3');
      await snapshots.prepare('container', 'l3');
      const byKey = new Map((await snapshots.walk()).map((s) => [s.key, s]));
      assert.deepEqual([...byKey.keys()].sort(), ['container', 'l1', 'l2', 'l3', 'view']);
      assert.equal(byKey.get('l1')?.parent, undefined);
      assert.equal(byKey.get('l2')?.parent, 'l1');
      assert.equal(byKey.get('container')?.parent, 'l3');
      assert.equal(byKey.get('view')?.kind, 'view');
      const lowerdir = (m: Mount[]) => m[0]?.options.find((o) => o.startsWith('lowerdir='))?.split('=')[1]?.split(':') ?? [];
      assert.equal(lowerdir(await snapshots.mounts('container')).length, 3);
      assert.equal(lowerdir(await snapshots.mounts('view')).length, 3);
      assert.equal(lowerdir(await snapshots.mounts('l3')).length, 3);
      assert.equal(await snapshots.upperDir('container') !== await snapshots.upperDir('l3'), true);
    });

    test('a parent given at commit: layers prepared side by side without one are stacked in chain order', async (t) => {
      const { snapshots } = open(t);
      for (const layer of ['l1', 'l2', 'l3']) await snapshots.prepare(`extract-${layer}`, undefined);
      await assert.rejects(snapshots.commit('l2', 'extract-l2', { parent: 'l1' }), { kind: 'NotFound' }, 'the parent must be there');
      await assert.rejects(snapshots.commit('l2', 'extract-l2', { parent: 'extract-l1' }), { kind: 'FailedPrecondition' }, 'and committed');
      assert.equal((await snapshots.stat('extract-l2')).kind, 'active', 'a refused commit leaves the snapshot active');
      await snapshots.commit('l1', 'extract-l1');
      await snapshots.commit('l2', 'extract-l2', { parent: 'l1' });
      await snapshots.commit('l3', 'extract-l3', { parent: 'l2' });
      const byKey = new Map((await snapshots.walk()).map((s) => [s.key, s]));
      assert.deepEqual([...byKey.keys()].sort(), ['l1', 'l2', 'l3']);
      assert.equal(byKey.get('l2')?.parent, 'l1');
      assert.equal(byKey.get('l3')?.parent, 'l2');
      const lowerdir = (m: Mount[]) => m[0]?.options.find((o) => o.startsWith('lowerdir='))?.split('=')[1]?.split(':') ?? [];
      assert.deepEqual(lowerdir(await snapshots.mounts('l3')), [await snapshots.upperDir('l3'), await snapshots.upperDir('l2'), await snapshots.upperDir('l1')]);
      await snapshots.prepare('container', 'l3');
      assert.equal(lowerdir(await snapshots.mounts('container')).length, 3);
      await assert.rejects(snapshots.remove('l2'), { kind: 'FailedPrecondition' }, 'a parent given at commit holds like one given at prepare');
      await snapshots.prepare('stacked', 'l1');
      await assert.rejects(snapshots.commit('x', 'stacked', { parent: 'l2' }), { kind: 'FailedPrecondition' }, 'a snapshot with a parent takes no other');
    });

    test('mounted: writes land in the active snapshot, committed parents never change (root)', async (t) => {
      const { root, snapshots } = open(t);
      await withMounted(root, await snapshots.prepare('extract-a', undefined), (dir) => {
        writeFileSync(join(dir, 'a.txt'), 'A');
        writeFileSync(join(dir, 'shared.txt'), 'from a');
      });
      await snapshots.commit('layer-a', 'extract-a');
      await withMounted(root, await snapshots.prepare('extract-b', 'layer-a'), (dir) => {
        assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'A');
        writeFileSync(join(dir, 'shared.txt'), 'from b');
        writeFileSync(join(dir, 'b.txt'), 'B');
        unlinkSync(join(dir, 'a.txt'));
        mkdirSync(join(dir, 'dir'));
      });
      await snapshots.commit('layer-b', 'extract-b');
      await withMounted(root, await snapshots.prepare('container', 'layer-b'), (dir) => {
        assert.deepEqual(readdirSync(dir).sort(), ['b.txt', 'dir', 'shared.txt']);
        assert.equal(readFileSync(join(dir, 'shared.txt'), 'utf8'), 'from b');
        writeFileSync(join(dir, 'c.txt'), 'C');
      });
      await withMounted(root, await snapshots.view('view', 'layer-b'), (dir) => {
        assert.deepEqual(readdirSync(dir).sort(), ['b.txt', 'dir', 'shared.txt'], 'the container wrote only into its own snapshot');
        assert.throws(() => writeFileSync(join(dir, 'v.txt'), 'V'), { code: 'EROFS' });
      });
      await withMounted(root, await snapshots.mounts('layer-a'), (dir) => {
        assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'shared.txt']);
        assert.equal(readFileSync(join(dir, 'shared.txt'), 'utf8'), 'from a');
        assert.throws(() => writeFileSync(join(dir, 'x.txt'), 'X'), { code: 'EROFS' });
      });
    });

    test('records persist across opens; a healthy root has no orphans', async (t) => {
      const { snapshots, store } = open(t);
      await snapshots.prepare('extract', undefined);
      await snapshots.commit('layer', 'extract');
      await snapshots.prepare('container', 'layer');
      await snapshots.prepare('gone', 'layer');
      await snapshots.remove('gone');
      assert.deepEqual(await snapshots.orphans(), []);
      assert.equal(await snapshots.cleanup(), 0);
      const reopened = create(store);
      assert.deepEqual((await reopened.walk()).map((s) => [s.key, s.kind, s.parent]).sort(), [['container', 'active', 'layer'], ['layer', 'committed', undefined]]);
      assert.deepEqual(await reopened.mounts('container'), await snapshots.mounts('container'));
      reopened.close();
    });
  });
}
