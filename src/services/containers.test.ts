import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { errors, randomNameCount } from '../base/index.js';
import { createFsMetadataStore } from '../plugins/metadata-fs/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import type { Snapshotter } from '../core/snapshots/index.js';
import { createContainerService } from './containers.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';

/** An engine context whose snapshotter fails to prepare, for an image with no layers. */
function failingContext(containers: string): { ctx: EngineContext; images: ImageService } {
  const image = {
    id: 'sha256:00', manifestDescriptor: {}, manifest: { layers: [] },
    config: { config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] } },
  } as unknown as ResolvedImage;
  const snapshots = {
    prepare: () => Promise.reject(errors.unavailable('DISK_FULL', 'no space')),
    remove: () => Promise.resolve(),
  } as unknown as Snapshotter;
  const leases = { acquire: async () => ({ release: () => undefined }), tryCollect: () => undefined };
  const ctx = { paths: { root: containers, containers }, snapshots, leases } as unknown as EngineContext;
  return { ctx, images: { resolve: () => Promise.resolve(image) } as unknown as ImageService };
}

test('a create that fails to prepare its snapshot leaves no bundle directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-containers-'));
  try {
    const { ctx, images } = failingContext(dir);
    await assert.rejects(createContainerService(ctx, images).create({ image: 'x' }), { code: 'BERTH_E_DISK_FULL' });
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('300 unnamed containers in one store all get a name, drawn again on a conflict', async () => {
  // A real metadata store (where names are reserved) with a snapshotter that needs no mounts.
  // Before: 288 possible names and no retry, so this failed at the latest by the 289th create.
  const root = mkdtempSync(join(tmpdir(), 'berth-names-'));
  try {
    const { ctx, images } = failingContext(join(root, 'containers'));
    const snapshots = { prepare: () => Promise.resolve([]), remove: () => Promise.resolve() } as unknown as Snapshotter;
    const real = { ...ctx, snapshots, metadata: createFsMetadataStore(root), runtime: () => ({}), cgroups: {} } as unknown as EngineContext;
    const service = createContainerService(real, images);
    const names = new Set<string>();
    for (let i = 0; i < 300; i++) names.add((await service.create({ image: 'x' })).name);
    assert.equal(names.size, 300);
    assert.ok(randomNameCount >= 25_000, `only ${randomNameCount} names`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
