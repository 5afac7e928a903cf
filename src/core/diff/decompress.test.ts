import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { isBerthError } from '../../base/index.js';
import { makeTar, streamOf, tempDir } from '../../testing/index.js';
import { applyLayer } from './apply-layer.js';
import { decompress, drainDecompressed, findProgram } from './decompress.js';

let root: string;
beforeEach(() => {
  root = tempDir();
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  delete process.env.BERTH_UNPIGZ;
});

const zstd = (data: Buffer) => {
  const r = spawnSync('zstd', ['-c', '-q', '-3'], { input: data, maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
};
const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The pids of running processes whose command is `name` (to see that a program was started or killed). */
function pidsOf(name: string): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === name && readFileSync(`/proc/${p}/stat`, 'utf8').split(' ')[3] === String(process.pid);
    } catch {
      return false;
    }
  });
}

test('the zstd and unpigz programs are installed (scripts/setup.sh)', () => {
  assert.ok(findProgram('zstd'));
  assert.ok(findProgram('unpigz'));
});

test('applies a zstd layer through the zstd program, with the diffID of the uncompressed tar', async () => {
  const tarBytes = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hostname', body: 'zstd box\n' }, { name: 'big', body: randomBytes(3 << 20) }]);
  assert.deepEqual(await applyLayer(streamOf(zstd(tarBytes), 4096), root), { diffId: sha(tarBytes), size: tarBytes.length });
  assert.equal(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'zstd box\n');
});

test('gzip decompresses the same through unpigz and through zlib', async () => {
  const data = Buffer.concat([randomBytes(2 << 20), Buffer.alloc(2 << 20, 'text ')]);
  for (const unpigz of ['1', '0']) {
    process.env.BERTH_UNPIGZ = unpigz;
    const chunks: Buffer[] = [];
    assert.equal(await drainDecompressed(streamOf(gzipSync(data), 65536), 'test', (c) => chunks.push(c)), 'gzip');
    assert.ok(Buffer.concat(chunks).equals(data), `unpigz ${unpigz}`);
  }
  const plain: Buffer[] = [];
  assert.equal(await drainDecompressed(streamOf(data, 65536), 'test', (c) => plain.push(c)), 'none');
  assert.ok(Buffer.concat(plain).equals(data));
});

test('truncated or corrupt zstd and gzip are refused as LAYER_CORRUPT, through the programs and zlib', async () => {
  const tarBytes = await makeTar([{ name: 'file', body: randomBytes(1 << 20) }]);
  const z = zstd(tarBytes);
  const corrupt = Buffer.from(z);
  corrupt.fill(0x55, 100, 400);
  const gz = gzipSync(tarBytes);
  const cases: [string, Buffer, string][] = [
    ['truncated zstd', z.subarray(0, z.length >> 1), '1'], ['corrupt zstd', corrupt, '1'],
    ['truncated gzip (unpigz)', gz.subarray(0, gz.length - 100), '1'], ['truncated gzip (zlib)', gz.subarray(0, gz.length - 100), '0'],
  ];
  for (const [what, blob, unpigz] of cases) {
    process.env.BERTH_UNPIGZ = unpigz;
    const dir = join(root, what.replace(/\W+/g, '-'));
    mkdirSync(dir);
    await assert.rejects(applyLayer(streamOf(blob, 8192), dir), (err: unknown) => isBerthError(err, 'DataLoss') && /LAYER_CORRUPT/.test(err.code), what);
  }
});

test('xz layers are refused as unsupported', async () => {
  await assert.rejects(applyLayer(streamOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 0, 1, 2]), 10), root), (err: unknown) => isBerthError(err, 'NotImplemented') && /xz/.test(err.message));
});

test('a consumer that gives up kills the program; a failed input fails the stream', async () => {
  const data = zstd(randomBytes(8 << 20));
  const { stream } = await decompress(streamOf(data, 65536), 'test');
  for await (const _ of stream) break; // destroys the stream after one chunk
  for (let i = 0; i < 50 && pidsOf('zstd').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(pidsOf('zstd'), []);

  const failing = streamOf(data.subarray(0, 1 << 20), 65536);
  const { stream: out } = await decompress(failing, 'test');
  setImmediate(() => failing.destroy(new Error('the disk went away')));
  await assert.rejects((async () => {
    for await (const _ of out) { /* read */ }
  })(), /the disk went away/);
  for (let i = 0; i < 50 && pidsOf('zstd').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(pidsOf('zstd'), []);
});

test('an unpack failing at the first entry of a large compressed layer fails at once (the feed stops, the program is killed)', async () => {
  const tarBytes = await makeTar([{ name: 'file', body: randomBytes(4 << 20) }, { name: 'more', body: randomBytes(4 << 20) }]);
  for (const [what, blob] of [['zstd', zstd(tarBytes)], ['gzip', gzipSync(tarBytes)]] as const) {
    const started = Date.now();
    // a directory that is not there: the first entry's write fails while most of the layer is still to come
    await assert.rejects(applyLayer(streamOf(blob, 8192), join(root, 'missing', 'dir')), /LAYER_APPLY_FAILED|ENOENT/, what);
    assert.ok(Date.now() - started < 10_000, what);
  }
  for (let i = 0; i < 50 && (pidsOf('zstd').length > 0 || pidsOf('unpigz').length > 0 || pidsOf('pigz').length > 0); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([...pidsOf('zstd'), ...pidsOf('unpigz'), ...pidsOf('pigz')], []);
});
