import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { createLocalContentStore } from '../plugins/content-local/index.js';
import { createFsLeases, createFsMetadataStore } from '../plugins/metadata-fs/index.js';
import { createOverlaySnapshotter } from '../plugins/snapshotter-overlay/index.js';
import { chainIds } from '../core/images/index.js';
import type { Digest } from '../base/index.js';
import type { Snapshotter } from '../core/snapshots/index.js';
import { makeTar } from '../testing/index.js';
import type { EngineContext } from './engine-context.js';
import type { StackLayer } from './unpack.js';
import { commitStaged, ensureUnpacked, stageLayer } from './unpack.js';

/**
 * A store of real plugins in a temporary root. The snapshotter is the real overlay one; the
 * only addition is a count of the unpacks it is asked to prepare (`extract-*` snapshots).
 */
function store(t: { after(fn: () => void): void }): { ctx: EngineContext; unpacks: () => number } {
  const root = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const real = createOverlaySnapshotter(join(root, 'snapshots'));
  let unpacks = 0;
  const snapshots: Snapshotter = {
    ...real,
    prepare(key, parent, options) {
      if (key.startsWith('extract-')) unpacks++;
      return real.prepare(key, parent, options);
    },
  };
  const ctx = {
    paths: { root, containers: join(root, 'containers') },
    content: createLocalContentStore(join(root, 'content')),
    snapshots,
    metadata: createFsMetadataStore(root),
    leases: createFsLeases(root),
    warn: (message: string) => assert.fail(`unexpected warning: ${message}`),
  } as Partial<EngineContext> as EngineContext;
  return { ctx, unpacks: () => unpacks };
}

async function layer(ctx: EngineContext, file: string, body: string): Promise<StackLayer> {
  const info = await ctx.content.put(await makeTar([{ name: file, type: 'file', mode: 0o644, body }]));
  return { diffId: info.digest, blob: info.digest };
}

test('two concurrent requests for the same layers unpack each layer once', async (t) => {
  // Without the in-flight map in ensureUnpacked (mutation tried: always unpacking when the
  // snapshot does not exist yet) both requests unpack both layers: 4 unpacks, not 2.
  const { ctx, unpacks } = store(t);
  const image = [await layer(ctx, 'base.txt', 'base'), await layer(ctx, 'top.txt', 'top')];
  const [a, b] = await Promise.all([ensureUnpacked(ctx, image), ensureUnpacked(ctx, image)]);
  const top = chainIds(image.map((l) => l.diffId)).at(-1);
  assert.equal(a, top);
  assert.equal(b, top);
  assert.equal(unpacks(), 2, 'one unpack per layer');
  const snapshots = await ctx.snapshots.walk();
  assert.deepEqual(snapshots.map((s) => s.key).sort(), chainIds(image.map((l) => l.diffId)).sort(), 'no extraction left behind');
  assert.equal(readFileSync(join(await ctx.snapshots.upperDir(top as string), 'top.txt'), 'utf8'), 'top');

  // A third image on the same base, next to a repeat of the first: only its own layer is new.
  const other = [image[0] as StackLayer, await layer(ctx, 'other.txt', 'other')];
  await Promise.all([ensureUnpacked(ctx, other), ensureUnpacked(ctx, image)]);
  assert.equal(unpacks(), 3);
});

test('a request that finds another one\'s unpack aborted unpacks the layer itself', async (t) => {
  const { ctx, unpacks } = store(t);
  const image = [await layer(ctx, 'a.txt', 'a')];
  const controller = new AbortController();
  const first = ensureUnpacked(ctx, image, { signal: controller.signal });
  const second = ensureUnpacked(ctx, image);
  controller.abort();
  await assert.rejects(first, { kind: 'Aborted' });
  assert.equal(await second, chainIds(image.map((l) => l.diffId)).at(-1));
  assert.equal(unpacks(), 2);
  assert.equal((await ctx.snapshots.walk()).length, 1);
});

test('layers staged out of order (the top one first) commit in chain order onto their parents; a layer that does not match its diffID leaves nothing', async (t) => {
  const { ctx } = store(t);
  const image = [await layer(ctx, 'base.txt', 'base'), await layer(ctx, 'top.txt', 'top')];
  const chain = chainIds(image.map((l) => l.diffId));
  const topKey = await stageLayer(ctx, image[1] as StackLayer, chain[1] as Digest);
  const baseKey = await stageLayer(ctx, image[0] as StackLayer, chain[0] as Digest);
  assert.equal((await ctx.snapshots.stat(topKey)).parent, undefined, 'staged without a parent');
  await assert.rejects(commitStaged(ctx, chain[1] as Digest, topKey, chain[0]), { kind: 'NotFound' }, 'not before its parent');
  await commitStaged(ctx, chain[0] as Digest, baseKey, undefined);
  await commitStaged(ctx, chain[1] as Digest, topKey, chain[0]);
  const byKey = new Map((await ctx.snapshots.walk()).map((s) => [s.key, s]));
  assert.deepEqual([...byKey.keys()].sort(), [...chain].sort());
  assert.equal(byKey.get(chain[1] as string)?.parent, chain[0]);
  // ensureUnpacked sees the stack as unpacked
  assert.equal(await ensureUnpacked(ctx, image), chain[1]);

  const lying: StackLayer = { diffId: `sha256:${'0'.repeat(64)}`, blob: (await layer(ctx, 'x.txt', 'x')).blob };
  await assert.rejects(stageLayer(ctx, lying, `sha256:${'1'.repeat(64)}`), { code: 'BERTH_E_LAYER_DIFFID_MISMATCH' });
  assert.equal((await ctx.snapshots.walk()).length, 2, 'the failed unpack removed its snapshot');
  assert.deepEqual(await ctx.snapshots.orphans(), []);
});
