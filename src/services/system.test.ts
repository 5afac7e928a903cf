import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { errors, sha256 } from '../base/index.js';
import type { CompressedLayer } from '../core/images/index.js';
import { createLocalContentStore, verifyBlob } from '../plugins/content-local/index.js';
import { createFsLeases, createFsMetadataStore } from '../plugins/metadata-fs/index.js';
import { createLocalNetworkStore } from '../plugins/networks-local/index.js';
import { createNetavarkDriver } from '../plugins/network-netavark/index.js';
import { createOverlaySnapshotter } from '../plugins/snapshotter-overlay/index.js';
import type { EngineContext } from './engine-context.js';
import { createSystemService } from './system.js';

/** A store of real plugins in a temporary root; garbage collection needs no runtime. */
function store(t: { after(fn: () => void): void }): EngineContext {
  const root = mkdtempSync(join(tmpdir(), 'berth-system-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return {
    paths: { root, containers: join(root, 'containers') },
    content: createLocalContentStore(join(root, 'content')),
    snapshots: createOverlaySnapshotter(join(root, 'snapshots')),
    metadata: createFsMetadataStore(root),
    leases: createFsLeases(root),
    // Networking on the store's own paths: nothing of this store is connected, so nothing to reclaim.
    networks: createLocalNetworkStore(root, join(root, 'network-claims')),
    networkDriver: createNetavarkDriver({ netnsDir: join(root, 'netns'), configDir: join(root, 'netavark') }),
    warn: (message: string) => assert.fail(`unexpected warning: ${message}`),
  } as Partial<EngineContext> as EngineContext;
}

test('garbage collection and a lease acquisition in one process do not deadlock', async (t) => {
  // On the old code the lease was a blocking flock(LOCK_SH) taken while the collection held
  // LOCK_EX in the same process: the process hung here for good.
  const ctx = store(t);
  const system = createSystemService(ctx, (d) => verifyBlob(ctx.content, d));
  await ctx.content.put(Buffer.from('garbage'));
  const collecting = system.gc();
  const leasing = ctx.leases.acquire();
  const [result, lease] = await Promise.all([collecting, leasing]);
  assert.equal(result.skipped, undefined, 'the collection started first and ran');
  assert.deepEqual(result.removed, [`blob ${sha256('garbage')}`]);

  // While this process holds a lease, its own collection skips and leaves the new content alone.
  await ctx.content.put(Buffer.from('being made'));
  const skipped = await system.gc();
  assert.ok(skipped.skipped, 'collection skips while a lease is held in this process');
  assert.equal(await ctx.content.has(sha256('being made')), true);
  lease.release();
  assert.deepEqual((await system.gc()).removed, [`blob ${sha256('being made')}`]);
});

test('garbage collection forgets the compressed forms of the layers it removes, and only those', async (t) => {
  const notNeeded = errors.unavailable('NOT_NEEDED', 'Not needed by this test');
  const base = store(t);
  const kept = await base.content.put(Buffer.from('a layer the build cache keeps'));
  const dropped = await base.content.put(Buffer.from('a layer nothing refers to'));
  const ctx: EngineContext = {
    ...base,
    // Only the build cache's records (and, by gc, dead builds' work: none) are asked for; the rest of a builder is not this test's.
    builder: () => Promise.resolve({
      leftovers: () => Promise.resolve([]),
      recoverStale: () => Promise.resolve([]),
      build: () => Promise.reject(notNeeded),
      bootstrap: () => Promise.reject(notNeeded),
      checkReproducible: () => Promise.reject(notNeeded),
      applyChanges: () => { throw notNeeded; },
      cacheRoots: () => Promise.reject(notNeeded),
      cacheEntries: () => Promise.resolve([{ id: 'k', type: 'regular', diffId: kept.digest, description: '', created: 0, lastUsed: 0, usage: 1, paths: [] }]),
      removeCacheEntries: () => Promise.reject(notNeeded),
    }),
  };
  const gzipOf = (diffId: typeof kept.digest, hexDigit: string): CompressedLayer => ({
    compressed: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${hexDigit.repeat(64)}`, size: 10 },
    diffId,
    sources: ['docker.io/library/busybox'],
  });
  ctx.metadata.putCompressedLayer(gzipOf(kept.digest, 'a'));
  ctx.metadata.putCompressedLayer(gzipOf(dropped.digest, 'b'));
  ctx.metadata.putCompressedLayer(gzipOf(dropped.digest, 'c'));

  const result = await createSystemService(ctx, (d) => verifyBlob(ctx.content, d)).gc();
  assert.ok(result.removed.includes(`blob ${dropped.digest}`), JSON.stringify(result));
  assert.deepEqual(ctx.metadata.listCompressedLayers(dropped.digest), []);
  assert.equal(ctx.metadata.getCompressedLayer(`sha256:${'b'.repeat(64)}`), undefined);
  assert.deepEqual(ctx.metadata.listCompressedLayers(kept.digest), [gzipOf(kept.digest, 'a')]);
});
