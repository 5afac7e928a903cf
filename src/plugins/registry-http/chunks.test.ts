import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { chunksOf } from './chunks.js';

async function collect(pieces: Buffer[], size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunksOf((async function* () {
    yield* pieces;
  })(), size)) out.push(Buffer.from(c)); // copied: a chunk may be a view of the source's buffer
  return out;
}

test('cuts a stream into chunks of the size, the last one shorter, whatever the pieces it arrives in', async () => {
  const data = randomBytes(10_000);
  for (const pieceSize of [1, 7, 999, 1000, 1001, 4096, 10_000]) {
    const pieces: Buffer[] = [];
    for (let i = 0; i < data.length; i += pieceSize) pieces.push(data.subarray(i, i + pieceSize));
    const chunks = await collect(pieces, 1000);
    assert.deepEqual(chunks.map((c) => c.length), Array(10).fill(1000), `pieces of ${pieceSize}`);
    assert.ok(Buffer.concat(chunks).equals(data));
    const uneven = await collect(pieces, 3000);
    assert.deepEqual(uneven.map((c) => c.length), [3000, 3000, 3000, 1000]);
    assert.ok(Buffer.concat(uneven).equals(data));
  }
});

test('an empty source gives no chunk; a source shorter than the size gives one', async () => {
  assert.deepEqual(await collect([], 10), []);
  assert.deepEqual((await collect([Buffer.from('abc')], 10)).map(String), ['abc']);
  await assert.rejects(collect([Buffer.from('a')], 0), RangeError);
});
