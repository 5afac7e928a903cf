import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Descriptor, ImageIndex, Platform } from './image-spec.js';
import { hostPlatform, isIndexMediaType, isManifestMediaType, layerCompression, mediaTypes } from './image-spec.js';
import { compatiblePlatforms, formatPlatform, normalizePlatform, selectManifest } from './platform-match.js';

const entry = (hexDigit: string, platform?: Platform, mediaType: string = mediaTypes.ociManifest): Descriptor => ({
  mediaType, digest: `sha256:${hexDigit.repeat(64)}`, size: 500, ...(platform ? { platform } : {}),
});
const index = (...manifests: Descriptor[]): ImageIndex => ({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests });

test('platforms are compared in containerd\'s normal form', () => {
  const cases: [Platform, string][] = [
    [{ os: 'linux', architecture: 'x86_64' }, 'linux/amd64'],
    [{ os: 'Linux', architecture: 'AMD64', variant: 'v1' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'amd64', variant: 'v3' }, 'linux/amd64/v3'],
    [{ os: 'linux', architecture: 'aarch64' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm64', variant: '8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'arm', variant: '6' }, 'linux/arm/v6'],
    [{ os: 'linux', architecture: 'armhf' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'armel' }, 'linux/arm/v6'],
    [{ os: 'linux', architecture: 'i386' }, 'linux/386'],
    [{ os: 'linux', architecture: 's390x' }, 'linux/s390x'],
  ];
  for (const [p, want] of cases) assert.equal(formatPlatform(normalizePlatform(p)), want, JSON.stringify(p));
});

test('a host runs the older variants of its architecture, closest first', () => {
  const list = (p: Platform) => compatiblePlatforms(p).map(formatPlatform);
  assert.deepEqual(list({ os: 'linux', architecture: 'amd64' }), ['linux/amd64', 'linux/386']);
  assert.deepEqual(list({ os: 'linux', architecture: 'amd64', variant: 'v3' }), ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386']);
  assert.deepEqual(list({ os: 'linux', architecture: 'arm', variant: 'v7' }), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
  assert.deepEqual(list({ os: 'linux', architecture: 'arm64' }), ['linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
});

test('selectManifest picks the host\'s manifest from an index as containerd does', () => {
  const amd64 = entry('1', { os: 'linux', architecture: 'amd64' });
  const arm64v8 = entry('2', { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const armv7 = entry('3', { os: 'linux', architecture: 'arm', variant: 'v7' });
  const armv6 = entry('4', { os: 'linux', architecture: 'arm', variant: 'v6' });
  const attestation = entry('5', { os: 'unknown', architecture: 'unknown' });
  const i386 = entry('6', { os: 'linux', architecture: '386' });
  const all = index(attestation, armv6, armv7, arm64v8, amd64, i386);

  assert.equal(selectManifest(all, { os: 'linux', architecture: 'amd64' }), amd64);
  // arm64 and arm64/v8 are one platform.
  assert.equal(selectManifest(all, { os: 'linux', architecture: 'arm64' }), arm64v8);
  assert.equal(selectManifest(index(entry('7', { os: 'linux', architecture: 'arm64' })), { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, `sha256:${'7'.repeat(64)}`);
  // arm/v7 prefers v7 over v6 whatever the order; arm/v6 cannot run v7.
  assert.equal(selectManifest(all, { os: 'linux', architecture: 'arm', variant: 'v7' }), armv7);
  assert.equal(selectManifest(all, { os: 'linux', architecture: 'arm', variant: 'v6' }), armv6);
  // arm64 falls back to 32-bit arm, amd64 to 386.
  assert.equal(selectManifest(index(armv6, armv7), { os: 'linux', architecture: 'arm64' }), armv7);
  assert.equal(selectManifest(index(attestation, i386), { os: 'linux', architecture: 'amd64' }), i386);
  // Nothing for the platform: undefined, never an attestation or another OS.
  assert.equal(selectManifest(index(attestation, entry('8', { os: 'windows', architecture: 'amd64' })), { os: 'linux', architecture: 'amd64' }), undefined);
  assert.equal(selectManifest(index(armv6, armv7), { os: 'linux', architecture: 's390x' }), undefined);
  // amd64/v3 is not run by a plain amd64 host.
  assert.equal(selectManifest(index(entry('9', { os: 'linux', architecture: 'amd64', variant: 'v3' })), { os: 'linux', architecture: 'amd64' }), undefined);
});

test('selectManifest: entries without a platform come last, ties go to the first listed, artifacts are skipped', () => {
  const bare = entry('a');
  const first = entry('b', { os: 'linux', architecture: 'amd64' });
  const second = entry('c', { os: 'linux', architecture: 'x86_64' });
  const amd64 = { os: 'linux', architecture: 'amd64' };
  assert.equal(selectManifest(index(bare, first, second), amd64), first);
  assert.equal(selectManifest(index(bare), amd64), bare);
  const nested = entry('d', amd64, mediaTypes.dockerManifestList);
  assert.equal(selectManifest(index(entry('e', amd64, 'application/vnd.example.sbom+json'), nested), amd64), nested);
  // The default is the host.
  const host = entry('f', hostPlatform());
  assert.equal(selectManifest(index(entry('0', { os: 'linux', architecture: 'mips64' }), host)), host);
});

test('media types: indexes, manifests and how layers are compressed', () => {
  assert.ok(isIndexMediaType(mediaTypes.ociIndex) && isIndexMediaType(mediaTypes.dockerManifestList));
  assert.ok(!isIndexMediaType(mediaTypes.ociManifest) && !isIndexMediaType(undefined));
  assert.ok(isManifestMediaType(mediaTypes.ociManifest) && isManifestMediaType(mediaTypes.dockerManifest));
  assert.ok(!isManifestMediaType(mediaTypes.dockerManifestSchema1Signed));
  assert.equal(layerCompression(mediaTypes.ociLayer), 'none');
  assert.equal(layerCompression(mediaTypes.dockerLayer), 'none');
  assert.equal(layerCompression(mediaTypes.ociLayerGzip), 'gzip');
  assert.equal(layerCompression(mediaTypes.dockerLayerGzip), 'gzip');
  assert.equal(layerCompression(mediaTypes.ociLayerZstd), 'zstd');
  assert.equal(layerCompression(mediaTypes.ociConfig), undefined);
});
