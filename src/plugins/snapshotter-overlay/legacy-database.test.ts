import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { openDatabase } from '../../base/index.js';
import { createOverlaySnapshotter } from './overlay-snapshotter.js';

const legacySchema = `CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  parent TEXT REFERENCES snapshots(key) ON UPDATE CASCADE, created INTEGER NOT NULL, labels TEXT NOT NULL DEFAULT '{}')`;

test('a root of the SQLite-based snapshotter is imported in place on first use', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-overlay-legacy-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const db = openDatabase(join(root, 'metadata.db'), legacySchema);
  const insert = db.prepare('INSERT INTO snapshots (id, key, kind, parent, created, labels) VALUES (?, ?, ?, ?, ?, ?)');
  insert.run(1, 'sha256:l1', 'committed', null, 1, '{}');
  insert.run(2, 'sha256:l2', 'committed', 'sha256:l1', 2, '{"a":"b"}');
  insert.run(3, 'container-x', 'active', 'sha256:l2', 3, '{}');
  insert.run(4, '.creating-y', 'active', null, 4, '{}');
  db.close();
  for (const dir of ['1/fs', '2/fs', '3/fs', '3/work', '4/fs']) mkdirSync(join(root, dir), { recursive: true });

  const snapshots = createOverlaySnapshotter(root);
  assert.deepEqual((await snapshots.walk()).map((s) => [s.key, s.kind, s.parent ?? null, s.labels]), [
    ['sha256:l1', 'committed', null, {}],
    ['sha256:l2', 'committed', 'sha256:l1', { a: 'b' }],
    ['container-x', 'active', 'sha256:l2', {}],
  ]);
  const options = (await snapshots.mounts('container-x'))[0]?.options ?? [];
  assert.ok(options.includes(`upperdir=${join(root, '3', 'fs')}`));
  assert.ok(options.includes(`lowerdir=${join(root, '2', 'fs')}:${join(root, '1', 'fs')}`));
  assert.deepEqual(await snapshots.orphans(), [join(root, '4')]);
  assert.equal(existsSync(join(root, 'metadata.db')), false);
  assert.equal(existsSync(join(root, 'metadata.db.imported')), true);
  await snapshots.prepare('new', 'sha256:l2');
  await snapshots.remove('container-x');
  assert.equal(existsSync(join(root, '3')), false);
});
