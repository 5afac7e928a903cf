import assert from 'node:assert/strict';
import { test } from 'node:test';

import tar from 'tar-stream';

import { makeTar, streamOf } from '../testing/index.js';
import { completeTar } from './complete-tar.js';

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The entries tar-stream reads from `data` (name → body), or its error. */
async function entries(data: Buffer): Promise<Record<string, string>> {
  const extract = tar.extract();
  const out: Record<string, string> = {};
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('error', reject);
      body.on('end', () => {
        out[header.name] = Buffer.concat(chunks).toString();
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(data);
  await done;
  return out;
}

const files = [{ name: 'Dockerfile', body: 'FROM scratch\n' }, { name: 'big', body: 'x'.repeat(1500) }, { name: '.dockerfile.abc', body: 'FROM busybox\nRUN true\n' }];

test('a complete tar passes through unchanged', async () => {
  const whole = await makeTar(files);
  assert.deepEqual(await collect(completeTar(streamOf(whole, 100))), whole);
});

test('a tar cut after the last entry\'s data (the docker CLI\'s -f -) gets its padding and end blocks', async () => {
  const whole = await makeTar(files);
  // header and data of the last entry: data end at 3 headers + 1 + 3 + (padding) ... measured from the tar itself
  const lastData = Buffer.from('FROM busybox\nRUN true\n');
  const end = whole.lastIndexOf(lastData) + lastData.length;
  const cut = whole.subarray(0, end);
  await assert.rejects(entries(cut));
  const fixed = await collect(completeTar(streamOf(cut, 7)));
  assert.deepEqual(await entries(fixed), { Dockerfile: 'FROM scratch\n', big: 'x'.repeat(1500), '.dockerfile.abc': 'FROM busybox\nRUN true\n' });
  // cut between entries (no end blocks at all)
  const between = whole.subarray(0, whole.indexOf(Buffer.from('x'.repeat(1500))) + 1536);
  assert.deepEqual(Object.keys(await entries(await collect(completeTar(streamOf(between, 512))))), ['Dockerfile', 'big']);
});

test('a tar cut inside an entry\'s data or inside a header stays short: the reader refuses it', async () => {
  const whole = await makeTar(files);
  const inData = whole.subarray(0, whole.indexOf(Buffer.from('x'.repeat(1500))) + 1000);
  await assert.rejects(entries(await collect(completeTar(streamOf(inData, 300)))));
  const inHeader = whole.subarray(0, 512 + 512 + 100);
  await assert.rejects(entries(await collect(completeTar(streamOf(inHeader, 300)))));
});
