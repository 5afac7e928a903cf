import assert from 'node:assert/strict';
import { test } from 'node:test';

import { randomBelow, randomBytesSync, randomHex } from './random.js';

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
