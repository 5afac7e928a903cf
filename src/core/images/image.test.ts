import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { Digest } from '../../base/index.js';
import { isBerthError } from '../../base/index.js';
import type { Descriptor } from '../../oci/index.js';
import { createLocalContentStore } from '../../plugins/content-local/index.js';
import { chainIds, resolveImage } from './image.js';

test('chain ids follow the OCI image-spec definition', () => {
  const a: Digest = `sha256:${'a'.repeat(64)}`;
  const b: Digest = `sha256:${'b'.repeat(64)}`;
  const c: Digest = `sha256:${'c'.repeat(64)}`;
  const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
  const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
  assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
  assert.deepEqual(chainIds([]), []);
});

// Found by resolve-image.fuzz.test.ts: a manifest without a config descriptor crashed
// resolveImage with a TypeError; configs were never checked.
test('broken manifests and configs are DataLoss errors naming the blob', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-image-'));
  try {
    const store = createLocalContentStore(dir);
    const put = async (value: unknown): Promise<Descriptor> => {
      const info = await store.put(Buffer.from(JSON.stringify(value)));
      return { mediaType: 'application/json', digest: info.digest, size: info.size };
    };
    for (const manifest of [{}, null, [], { schemaVersion: 2, config: null, layers: [] }]) {
      await assert.rejects(resolveImage(store, await put(manifest)), (err: unknown) => isBerthError(err, 'DataLoss') && err.code === 'BERTH_E_IMAGE_MANIFEST_INVALID');
    }
    const config = await put({ architecture: 'amd64', os: 'linux', config: { Env: 'A=1' }, rootfs: { type: 'layers', diff_ids: [] } });
    await assert.rejects(resolveImage(store, await put({ schemaVersion: 2, config, layers: [] })), (err: unknown) => isBerthError(err, 'DataLoss') && err.code === 'BERTH_E_IMAGE_CONFIG_INVALID');
    const good = await put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    assert.deepEqual((await resolveImage(store, await put({ schemaVersion: 2, config: good, layers: [] }))).config.config, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
