import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { sha256 } from '../../base/index.js';
import { createLocalContentStore } from './local-content-store.js';

async function tempStore(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-content-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, store: createLocalContentStore(dir) };
}

test('a committed blob is readable by its digest', async (t) => {
  const { store } = await tempStore(t);
  const info = await store.put(Buffer.from('hello'));
  assert.equal(info.digest, sha256('hello'));
  assert.equal((await store.read(info.digest)).toString(), 'hello');
  assert.deepEqual(await store.info(info.digest), { digest: sha256('hello'), size: 5 });
});

test('a blob is invisible until commit and a mismatch leaves nothing behind', async (t) => {
  const { dir, store } = await tempStore(t);
  const w = await store.writer();
  await w.write(Buffer.from('partial'));
  assert.equal(await store.has(sha256('partial')), false);
  await assert.rejects(w.commit({ digest: sha256('other') }), { code: 'BERTH_E_BLOB_DIGEST_MISMATCH' });
  assert.equal(await store.has(sha256('partial')), false);
  assert.deepEqual(await readdir(join(dir, 'ingest')), []);
  await assert.rejects(store.put(Buffer.from('abc'), { size: 4 }), { code: 'BERTH_E_BLOB_SIZE_MISMATCH' });
});

test('missing blobs are NotFound and walk lists committed blobs', async (t) => {
  const { store } = await tempStore(t);
  await assert.rejects(store.read(sha256('nope')), { kind: 'NotFound', code: 'BERTH_E_BLOB_NOT_FOUND' });
  await store.put(Buffer.from('a'));
  await store.put(Buffer.from('a'));
  const all = [];
  for await (const info of store.walk()) all.push(info.digest);
  assert.deepEqual(all, [sha256('a')]);
});
