import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Digest } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { INLINE_CACHE_FIELD, inlineCacheOf, wantsInlineCache } from './inline-cache.js';

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;
const key = (c: string) => c.repeat(64);

function image(records: unknown, layers: { diffId: Digest; digest: Digest }[]): ResolvedImage {
  return {
    id: d('f'),
    manifestDescriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('e'), size: 1 },
    manifest: { schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('f'), size: 1 }, layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: 7 })) },
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, [INLINE_CACHE_FIELD]: records } as unknown as ResolvedImage['config'],
  };
}

test('inlineCacheOf takes only well-formed records naming the image\'s own layers (a pulled, compressed one by its blob)', () => {
  const records = inlineCacheOf(image([
    { key: key('1'), diffId: d('a'), size: 99, created: '2026-01-01T00:00:00Z', createdBy: 'RUN x' },
    { key: key('2'), diffId: null, size: 0 },
    { key: key('3'), diffId: d('9'), size: 1 }, // another image's layer: never
    { key: 'short', diffId: d('a'), size: 1 },
    { key: key('4'), diffId: 'sha256:nope', size: 1 },
    'garbage', null,
  ], [{ diffId: d('a'), digest: d('b') }]));
  assert.deepEqual([...records.keys()], [key('1'), key('2')]);
  assert.deepEqual(records.get(key('1')), {
    diffId: d('a'), size: 99, created: '2026-01-01T00:00:00Z', createdBy: 'RUN x',
    layer: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 7 },
  });
  assert.deepEqual(records.get(key('2')), { diffId: null, size: 0 });
  assert.equal(inlineCacheOf(image({ not: 'a list' }, [])).size, 0);
  assert.equal(inlineCacheOf(image(undefined, [])).size, 0);
});

test('BUILDKIT_INLINE_CACHE asks for an inline cache with 1 or true', () => {
  assert.equal(wantsInlineCache({ BUILDKIT_INLINE_CACHE: '1' }), true);
  assert.equal(wantsInlineCache({ BUILDKIT_INLINE_CACHE: 'TRUE' }), true);
  assert.equal(wantsInlineCache({ BUILDKIT_INLINE_CACHE: '0' }), false);
  assert.equal(wantsInlineCache({}), false);
});
