import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { openDatabase } from '../../base/index.js';
import { containerRecord, idOf, imageRecord } from '../../core/metadata/testsuite/index.js';
import { createFsMetadataStore } from './fs-metadata-store.js';

const legacySchema = `
CREATE TABLE IF NOT EXISTS images (name TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, record TEXT NOT NULL)`;

test('the records of an old metadata.db are imported on first open', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-metadata-legacy-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const db = openDatabase(join(root, 'metadata.db'), legacySchema);
  const images = [imageRecord('docker.io/library/alpine:3', 'a'), imageRecord('docker.io/library/busybox:latest', 'b')];
  const containers = [containerRecord(idOf('a1'), 'web', 2), containerRecord(idOf('b1'), 'db', 1)];
  for (const i of images) db.prepare('INSERT INTO images (name, record) VALUES (?, ?)').run(i.name, JSON.stringify(i));
  for (const c of containers) db.prepare('INSERT INTO containers (id, name, record) VALUES (?, ?, ?)').run(c.id, c.name, JSON.stringify(c));
  db.close();

  const store = createFsMetadataStore(root);
  assert.deepEqual(store.listImages(), images);
  assert.deepEqual(store.listContainers(), containers);
  assert.equal(store.findContainer('db').id, idOf('b1'));
  assert.throws(() => store.createContainer(containerRecord(idOf('c1'), 'web')), { code: 'BERTH_E_CONTAINER_NAME_IN_USE' });
  assert.equal(existsSync(join(root, 'metadata.db')), false);
  assert.equal(existsSync(join(root, 'metadata.db.imported')), true);
  assert.deepEqual(createFsMetadataStore(root).listImages(), images);
});
