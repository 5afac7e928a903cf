import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import type { Digest } from '../../../base/index.js';
import { sha256 } from '../../../base/index.js';
import type { ContentStore } from '../index.js';

interface Context {
  after(fn: () => void): void;
}

async function all(store: ContentStore): Promise<Digest[]> {
  const digests: Digest[] = [];
  for await (const info of store.walk()) digests.push(info.digest);
  return digests.sort();
}

async function streamed(store: ContentStore, digest: Digest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.createReadStream(digest)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Conformance tests every ContentStore runs: write, verify digest and size, commit (nothing is
 * visible before), the errors of the interface, concurrent writers of one blob, read and stream,
 * info, delete, walk, and that an aborted or failed write leaves nothing behind (not even an
 * ingest for `cleanIngests` to find), while an abandoned one is what `cleanIngests` removes.
 */
export function contentStoreSuite(name: string, create: (root: string) => ContentStore): void {
  const open = (t: Context) => {
    const root = mkdtempSync(join(tmpdir(), 'berth-content-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    return create(root);
  };

  describe(`ContentStore: ${name}`, () => {
    test('a blob written in chunks is committed under its digest, with its size', async (t) => {
      const store = open(t);
      const data = randomBytes(300_000);
      const w = await store.writer();
      for (let i = 0; i < data.length; i += 65_536) await w.write(data.subarray(i, i + 65_536));
      assert.equal(w.size, data.length);
      const info = await w.commit({ digest: sha256(data), size: data.length });
      assert.equal(info.digest, sha256(data));
      assert.equal(info.size, data.length);
      assert.equal((await store.info(info.digest)).size, data.length);
      assert.equal((await store.info(info.digest)).digest, info.digest);
      assert.equal(await store.has(info.digest), true);
      assert.ok((await store.read(info.digest)).equals(data));
      assert.ok((await streamed(store, info.digest)).equals(data));
      assert.deepEqual(await all(store), [info.digest]);
    });

    test('nothing is visible before commit', async (t) => {
      const store = open(t);
      const w = await store.writer();
      await w.write(Buffer.from('pending'));
      assert.equal(await store.has(sha256('pending')), false);
      await assert.rejects(store.read(sha256('pending')), { kind: 'NotFound', code: 'BERTH_E_BLOB_NOT_FOUND' });
      assert.deepEqual(await all(store), []);
      await w.commit();
      assert.deepEqual(await all(store), [sha256('pending')]);
    });

    test('a wrong digest or size is refused and leaves nothing', async (t) => {
      const store = open(t);
      const w = await store.writer();
      await w.write(Buffer.from('content'));
      await assert.rejects(w.commit({ digest: sha256('other') }), { kind: 'DataLoss', code: 'BERTH_E_BLOB_DIGEST_MISMATCH' });
      await assert.rejects(store.put(Buffer.from('abc'), { size: 4 }), { kind: 'DataLoss', code: 'BERTH_E_BLOB_SIZE_MISMATCH' });
      await assert.rejects(store.put(Buffer.from('abc'), { digest: sha256('abd'), size: 3 }), { kind: 'DataLoss', code: 'BERTH_E_BLOB_DIGEST_MISMATCH' });
      assert.equal(await store.has(sha256('content')), false);
      assert.equal(await store.has(sha256('abc')), false);
      assert.deepEqual(await all(store), []);
      assert.equal(await store.cleanIngests(0), 0, 'a refused write leaves no ingest behind');
    });

    test('an aborted write leaves nothing; an abandoned one is what cleanIngests removes', async (t) => {
      const store = open(t);
      const aborted = await store.writer();
      await aborted.write(Buffer.from('aborted'));
      await aborted.abort();
      assert.equal(await store.has(sha256('aborted')), false);
      assert.deepEqual(await all(store), []);
      assert.equal(await store.cleanIngests(0), 0, 'an aborted write leaves no ingest behind');

      const abandoned = await store.writer(); // as a crashed process leaves it
      await abandoned.write(Buffer.from('abandoned'));
      assert.equal(await store.cleanIngests(60_000), 0, 'a recent write is left alone');
      assert.equal(await store.cleanIngests(0), 1);
      assert.equal(await store.cleanIngests(0), 0);
      assert.deepEqual(await all(store), []);
    });

    test('writing a blob that exists succeeds and keeps it', async (t) => {
      const store = open(t);
      const first = await store.put(Buffer.from('same'));
      const second = await store.put(Buffer.from('same'), { digest: sha256('same'), size: 4 });
      assert.deepEqual({ digest: second.digest, size: second.size }, { digest: first.digest, size: 4 });
      assert.equal((await store.read(first.digest)).toString(), 'same');
      assert.deepEqual(await all(store), [sha256('same')]);
    });

    test('concurrent writers of the same blob all commit it, and it is whole', async (t) => {
      const store = open(t);
      const data = randomBytes(200_000);
      const writers = await Promise.all([1, 2, 3, 4].map(() => store.writer()));
      // Interleaved writes: every writer has a part of the blob when the first commits.
      for (let i = 0; i < data.length; i += 50_000) {
        await Promise.all(writers.map((w) => w.write(data.subarray(i, i + 50_000))));
      }
      const infos = await Promise.all(writers.map((w) => w.commit({ digest: sha256(data), size: data.length })));
      assert.ok(infos.every((i) => i.digest === sha256(data) && i.size === data.length));
      assert.ok((await store.read(sha256(data))).equals(data));
      assert.deepEqual(await all(store), [sha256(data)]);
      assert.equal(await store.cleanIngests(0), 0, 'no writer left an ingest behind');
    });

    test('delete removes a blob; missing blobs are NotFound everywhere', async (t) => {
      const store = open(t);
      const missing = sha256('missing');
      await assert.rejects(store.info(missing), { kind: 'NotFound', code: 'BERTH_E_BLOB_NOT_FOUND' });
      await assert.rejects(store.read(missing), { kind: 'NotFound', code: 'BERTH_E_BLOB_NOT_FOUND' });
      await assert.rejects(store.delete(missing), { kind: 'NotFound', code: 'BERTH_E_BLOB_NOT_FOUND' });
      assert.equal(await store.has(missing), false);
      const kept = await store.put(Buffer.from('kept'));
      const gone = await store.put(Buffer.from('gone'));
      await store.delete(gone.digest);
      assert.equal(await store.has(gone.digest), false);
      await assert.rejects(store.read(gone.digest), { kind: 'NotFound' });
      assert.deepEqual(await all(store), [kept.digest]);
    });

    test('walk lists every committed blob once, with its size and commit time', async (t) => {
      const store = open(t);
      const before = Date.now();
      const blobs = ['a', 'bb', 'ccc', ''].map((s) => Buffer.from(s));
      for (const b of blobs) await store.put(b);
      await store.put(Buffer.from('a'));
      const seen = new Map<Digest, { size: number; committedAt?: number }>();
      for await (const info of store.walk()) {
        assert.equal(seen.has(info.digest), false, `"${info.digest}" is listed once`);
        seen.set(info.digest, info);
      }
      assert.deepEqual([...seen.keys()].sort(), blobs.map((b) => sha256(b)).sort());
      for (const b of blobs) {
        const info = seen.get(sha256(b));
        assert.equal(info?.size, b.length);
        assert.ok(info?.committedAt !== undefined && info.committedAt >= before - 2_000, 'walk gives the commit time');
      }
    });

    test('a store opened again on the same root sees the same blobs', async (t) => {
      const root = mkdtempSync(join(tmpdir(), 'berth-content-'));
      t.after(() => rmSync(root, { recursive: true, force: true }));
      const info = await create(root).put(Buffer.from('persistent'));
      const again = create(root);
      assert.equal((await again.read(info.digest)).toString(), 'persistent');
      assert.deepEqual(await all(again), [info.digest]);
    });
  });
}
