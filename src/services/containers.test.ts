import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { errors } from '../base/index.js';
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
