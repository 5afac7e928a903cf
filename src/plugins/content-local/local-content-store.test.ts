import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { sha256 } from '../../base/index.js';
import { contentStoreSuite } from '../../core/content/testsuite/index.js';
import { createLocalContentStore } from './local-content-store.js';

contentStoreSuite('local', createLocalContentStore);

test('blobs live in blobs/sha256/<hex>; a refused write leaves ingest/ empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-content-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = createLocalContentStore(dir);
  await store.put(Buffer.from('hello'));
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), [sha256('hello').slice('sha256:'.length)]);
  await assert.rejects(store.put(Buffer.from('abc'), { size: 4 }), { code: 'BERTH_E_BLOB_SIZE_MISMATCH' });
  assert.deepEqual(await readdir(join(dir, 'ingest')), []);
});
