import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';

import { gzipLayer, looksIncompressible } from './gzip-layer.js';

async function gzipOf(input: Buffer, pieceSize: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += pieceSize) pieces.push(input.subarray(i, i + pieceSize));
  const gzip = gzipLayer();
  const out = buffer(gzip);
  await pipeline(Readable.from(pieces), gzip);
  return out;
}

test('gzipLayer: the same bytes give the same blob however they arrive; it gunzips back; random blocks are stored, text deflated', async () => {
  const text = Buffer.from('a layer of text, much like a tar of source files\n'.repeat(60_000));
  const random = randomBytes(3 << 20);
  const input = Buffer.concat([text, random, text.subarray(0, 100_000)]);
  const a = await gzipOf(input, 65_536);
  const b = await gzipOf(input, 1_000_003);
  const c = await gzipOf(input, input.length);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.deepEqual(gunzipSync(a), input);
  // The random part is stored (a few bytes per block over its size), the text compressed.
  assert.ok(a.length > random.length && a.length < random.length + text.length / 10, `${a.length}`);
  assert.ok(looksIncompressible(random.subarray(0, 1 << 20)));
  assert.ok(!looksIncompressible(text.subarray(0, 1 << 20)));
  assert.deepEqual(gunzipSync(await gzipOf(Buffer.alloc(0), 1)), Buffer.alloc(0));
  // Where nothing is stored, the blob is the one zlib's gzip at level 6 gives (earlier berth's).
  assert.deepEqual(await gzipOf(text, 70_000), gzipSync(text, { level: 6 }));
  // Random blocks are stored: zlib adds 5 bytes per 64 KiB stored block (0.008%); deflate adds 0.03%.
  const stored = await gzipOf(random, 1 << 20);
  assert.ok(stored.length <= random.length * 1.0002 + 64, `${stored.length} for ${random.length}`);
  assert.deepEqual(gunzipSync(stored), random);
});
