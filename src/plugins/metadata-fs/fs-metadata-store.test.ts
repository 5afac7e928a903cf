import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { containerRecord, idOf, metadataStoreSuite } from '../../core/metadata/testsuite/index.js';
import { createFsMetadataStore } from './fs-metadata-store.js';

metadataStoreSuite('metadata-fs', {
  create: createFsMetadataStore,
  module: new URL('./fs-metadata-store.js', import.meta.url).href,
  factory: 'createFsMetadataStore',
});

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-metadata-fs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('leftovers of a crash are invisible: temporary files, torn new records, stale name links', (t) => {
  const root = tempRoot(t);
  const store = createFsMetadataStore(root);
  store.createContainer(containerRecord(idOf('a1'), 'web'));
  const dir = join(root, 'metadata');
  writeFileSync(join(dir, 'containers', `.tmp-${idOf('b1')}.json-1234`), '{"id":');
  writeFileSync(join(dir, 'images', '.tmp-x.json-1234'), '');
  // A power loss right after creating c1's record: the file exists but its data never reached the disk.
  writeFileSync(join(dir, 'containers', `${idOf('c1')}.json`), '');
  symlinkSync(idOf('c1'), join(dir, 'names', 'db'));
  // A crash between claiming a name and writing the record.
  symlinkSync(idOf('d1'), join(dir, 'names', 'cache'));
  assert.deepEqual(store.listContainers().map((c) => c.name), ['web']);
  assert.deepEqual(store.listImages(), []);
  assert.throws(() => store.findContainer('db'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
  store.createContainer(containerRecord(idOf('e1'), 'db'));
  store.createContainer(containerRecord(idOf('f1'), 'cache'));
  assert.equal(store.findContainer('db').id, idOf('e1'));
  assert.equal(store.findContainer('cache').id, idOf('f1'));
});

test('a name link left by an interrupted rename does not keep the old name taken', (t) => {
  const root = tempRoot(t);
  const store = createFsMetadataStore(root);
  store.createContainer(containerRecord(idOf('a1'), 'web'));
  store.updateContainer(idOf('a1'), (r) => void (r.name = 'frontend'));
  // As if the process died before removing the old link.
  symlinkSync(idOf('a1'), join(root, 'metadata', 'names', 'web'));
  assert.throws(() => store.findContainer('web'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
  store.createContainer(containerRecord(idOf('b1'), 'web'));
  assert.equal(store.findContainer('web').id, idOf('b1'));
  assert.equal(store.findContainer('frontend').id, idOf('a1'));
});
