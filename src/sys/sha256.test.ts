import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { nativeSha256, sha256Hex } from './index.js';

const reference = (text: string) => createHash('sha256').update(text).digest('hex');

test('the addon hashes with the node executable\'s SHA256() (else `berth run` loads node:crypto)', () => {
  assert.ok(nativeSha256(), 'build/Release/berth_sys.node lacks sha256Hex, or node exports no SHA256: run npm run install');
});

test('sha256Hex: the standard vectors, and node:crypto\'s digest of strings of every length around the block boundaries, as UTF-8', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (let n = 0; n <= 200; n++) {
    const text = randomBytes(n).toString('latin1');
    assert.equal(sha256Hex(text), reference(text), `${n} characters`);
  }
  // A store path (the runtime state directory's name), an image name, a seccomp profile's JSON.
  for (const text of ['/var/lib/berth', 'docker.io/library/busybox:latest', 'ünïcode ✓ 𝄞', JSON.stringify({ names: Array(500).fill('x') })]) {
    assert.equal(sha256Hex(text), reference(text));
  }
});
