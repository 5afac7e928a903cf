import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { randomBelow, randomBytesSync, randomHex } from './random.js';
import { sha256Hex } from './sha256.js';

const reference = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

test('sha256Hex: the standard vectors, and node:crypto\'s digest at every length around the block boundaries', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  for (let n = 0; n <= 200; n++) {
    const data = randomBytes(n);
    assert.equal(sha256Hex(data), reference(data), `${n} bytes`);
  }
  const big = randomBytes(100_000);
  assert.equal(sha256Hex(big), reference(big));
  // Strings are hashed as UTF-8, as createHash().update(string) does: a store path, an image name.
  for (const s of ['/var/lib/berth', 'docker.io/library/busybox:latest', 'ünïcode ✓ 𝄞']) assert.equal(sha256Hex(s), reference(s));
});

test('randomHex and randomBelow: the lengths and ranges asked, not the same twice', () => {
  assert.match(randomHex(32), /^[0-9a-f]{64}$/);
  assert.notEqual(randomHex(32), randomHex(32));
  assert.equal(randomBytesSync(4096).length, 4096);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const n = randomBelow(10);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 10);
    seen.add(n);
  }
  assert.equal(seen.size, 10);
});
