/**
 * The in-process engine as a long-running process (the coming daemon) uses it: one process,
 * several operations, real plugins on a temporary store. Needs root (overlayfs, runtimes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';

import { beginOperation, randomNameCount } from '../base/index.js';
import { busyboxRootfsTar } from '../testing/index.js';
import { createOverlaySnapshotter } from '../plugins/snapshotter-overlay/index.js';
import { openEngine } from './open-engine.js';

describe('openEngine in one long-running process', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-inproc-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a second build in the same process recovers what an ended (failed) first one left, and keeps a running one\'s', async () => {
    const engine = openEngine(root);
    const snapshots = createOverlaySnapshotter(join(root, 'snapshots', 'overlay'));
    try {
      await engine.images.import(Readable.from([busyboxRootfsTar()]), 'busybox:inproc');
      // What a build that failed without cleaning up leaves: its temporary folder and a step snapshot.
      const failed = beginOperation();
      const running = beginOperation();
      for (const op of [failed, running]) {
        mkdirSync(join(root, 'build-tmp', `${op.tag}-leftover`), { recursive: true });
        await snapshots.prepare(`build-${op.tag}-0123456789abcdef`, undefined);
      }
      failed.end();
      const context = mkdtempSync(join(tmpdir(), 'berth-inproc-ctx-'));
      writeFileSync(join(context, 'Dockerfile'), 'FROM busybox:inproc\nRUN echo built > /built\n');
      try {
        const result = await engine.images.build({ context, tags: ['inproc:1'] });
        assert.deepEqual(result.names, ['docker.io/library/inproc:1']);
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
      assert.equal(existsSync(join(root, 'build-tmp', `${failed.tag}-leftover`)), false, 'the ended build\'s folder is recovered');
      assert.equal(await snapshots.exists(`build-${failed.tag}-0123456789abcdef`), false, 'the ended build\'s snapshot is recovered');
      assert.equal(existsSync(join(root, 'build-tmp', `${running.tag}-leftover`)), true, 'a running build\'s folder is kept');
      assert.equal(await snapshots.exists(`build-${running.tag}-0123456789abcdef`), true, 'a running build\'s snapshot is kept');
      running.end();
    } finally {
      snapshots.close();
      engine.close();
    }
  });

  test('300 unnamed containers in one store all get a name, drawn again on a conflict', async () => {
    // Before: 288 possible names and no retry, so this failed at the latest by the 289th create.
    const engine = openEngine(root);
    try {
      await engine.images.import(Readable.from([busyboxRootfsTar()]), 'busybox:names', { changes: ['CMD ["sh"]'] });
      const names = new Set<string>();
      for (let i = 0; i < 300; i++) names.add((await engine.containers.create({ image: 'busybox:names' })).name);
      assert.equal(names.size, 300);
      assert.ok(randomNameCount >= 25_000, `only ${randomNameCount} names`);
      for (const c of await engine.containers.list({ all: true })) await engine.containers.remove(c.id);
    } finally {
      engine.close();
    }
  });

  test('a create that fails to prepare its snapshot (a full disk) leaves no bundle directory', async () => {
    const small = mkdtempSync(join(tmpdir(), 'berth-full-'));
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', small]).status, 0, 'mount a small tmpfs');
    const engine = openEngine(small);
    try {
      await engine.images.import(Readable.from([busyboxRootfsTar()]), 'busybox:full', { changes: ['CMD ["sh"]'] });
      await engine.containers.create({ image: 'busybox:full' }); // unpacked: only the new root is left to make
      const before = readdirSync(join(small, 'containers')).sort();
      // Fill what is left of the disk.
      spawnSync('dd', ['if=/dev/zero', `of=${join(small, 'filler')}`, 'bs=64k']);
      await assert.rejects(engine.containers.create({ image: 'busybox:full' }), (err: { code?: string; message?: string }) => {
        assert.match(err.message ?? '', /ENOSPC|space/i);
        return true;
      });
      assert.deepEqual(readdirSync(join(small, 'containers')).sort(), before, 'no bundle directory left behind');
      assert.equal((await engine.containers.list({ all: true })).length, 1, 'no record left behind');
    } finally {
      engine.close();
      spawnSync('umount', ['-l', small]);
      rmSync(small, { recursive: true, force: true });
    }
  });

  test('warnings of an operation are returned to its caller, not printed by the engine', async () => {
    const engine = openEngine(root, { warn: (m) => assert.fail(`engine-wide warning: ${m}`) });
    try {
      const op = beginOperation();
      // A device node in an imported tarball is skipped with a warning (layers need no devices).
      const tar = await import('../testing/index.js').then((t) => t.makeTar([{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }]));
      await engine.images.import(Readable.from([tar]), 'warned:1', {}, op);
      op.end();
      assert.equal(op.warnings.length, 1);
      assert.match(op.warnings[0] ?? '', /dev\/null/);
    } finally {
      engine.close();
    }
  });
});
