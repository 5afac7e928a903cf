import assert from 'node:assert/strict';
import { chownSync, lutimesSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';

import tar from 'tar-stream';

import { lsetxattr, mknod, S_IFCHR } from '../../sys/index.js';
import { applyLayer } from './apply-layer.js';
import { gzipLayer } from './gzip-layer.js';
import { secureJoin } from '../../base/index.js';
import { snapshotTree, streamOf, tempDir } from '../../testing/index.js';
import { writeLayer } from './write-layer.js';

let base: string;
beforeEach(() => {
  base = tempDir();
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const capability = Buffer.from('0100000280200000000000000000000000000000', 'hex');

/** A tree with every kind of thing a layer carries; all mtimes set to `mtime`. */
function makeTree(dir: string, mtime: number): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'a-b'));
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'bin/su'), 'su');
  chmodSync(join(dir, 'bin/su'), 0o4755);
  writeFileSync(join(dir, 'bin/ping'), 'ping');
  lsetxattr(join(dir, 'bin/ping'), 'security.capability', capability);
  linkSync(join(dir, 'bin/su'), join(dir, 'bin/su-link'));
  symlinkSync('/bin/su', join(dir, 'bin/sh'));
  writeFileSync(join(dir, 'a-b/secret'), 's', { mode: 0o600 });
  chownSync(join(dir, 'a-b/secret'), 1000, 4000000);
  writeFileSync(join(dir, `${'n'.repeat(200)}-é`), 'long');
  for (const p of ['a-b/secret', 'bin/su', 'bin/ping', `${'n'.repeat(200)}-é`, 'bin', 'a-b', 'tmp', '.']) utimesSync(join(dir, p), mtime, mtime);
  lutimesSync(join(dir, 'bin/sh'), mtime, mtime);
}

async function entriesOf(tarBytes: Buffer): Promise<{ name: string; type: string; uname: string; linkname: string }[]> {
  const names: { name: string; type: string; uname: string; linkname: string }[] = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      names.push({ name: entry.header.name, type: entry.header.type, uname: entry.header.uname, linkname: entry.header.linkname ?? '' });
      entry.resume();
    }
  })();
  extract.end(tarBytes);
  await done;
  return names;
}

test('the same tree gives byte-identical layers; sorted, links by inode, empty user names', async () => {
  const dir = join(base, 'tree');
  makeTree(dir, 1_700_000_000);
  const first = await buffer(writeLayer(dir, { source: 'plain' }));
  const second = await buffer(writeLayer(dir, { source: 'plain' }));
  assert.ok(first.equals(second));
  const entries = await entriesOf(first);
  assert.deepEqual(entries.map((e) => e.name), ['a-b/', 'a-b/secret', 'bin/', 'bin/ping', 'bin/sh', 'bin/su', 'bin/su-link', `${'n'.repeat(200)}-é`, 'tmp/']);
  assert.deepEqual(entries.find((e) => e.name === 'bin/su-link'), { name: 'bin/su-link', type: 'link', uname: '', linkname: 'bin/su' });
  assert.ok(entries.every((e) => e.uname === ''));
});

test('with sourceDateEpoch, trees differing only in newer mtimes give identical layers', async () => {
  makeTree(join(base, 'one'), 1_700_000_000);
  makeTree(join(base, 'two'), 1_800_000_000);
  const one = await buffer(writeLayer(join(base, 'one'), { source: 'plain', sourceDateEpoch: 1_600_000_000 }));
  const two = await buffer(writeLayer(join(base, 'two'), { source: 'plain', sourceDateEpoch: 1_600_000_000 }));
  assert.ok(one.equals(two));
  const plainOne = await buffer(writeLayer(join(base, 'one'), { source: 'plain' }));
  assert.ok(!plainOne.equals(one));
});

test('round trip: writeLayer then applyLayer gives the same tree', async () => {
  const src = join(base, 'src');
  const dst = join(base, 'dst');
  makeTree(src, 1_700_000_000);
  mkdirSync(dst);
  await applyLayer(writeLayer(src, { source: 'plain' }).pipe(gzipLayer()), dst);
  const { '.': _ignored, ...expected } = snapshotTree(src);
  assert.deepEqual(snapshotTree(dst), expected);
});

test('overlay upper dirs: 0/0 devices become .wh. entries, opaque dirs get .wh..wh..opq', async () => {
  const upper = join(base, 'upper');
  mkdirSync(join(upper, 'etc'), { recursive: true });
  mkdirSync(join(upper, 'var'));
  mknod(join(upper, 'etc/motd'), S_IFCHR, 0, 0);
  lsetxattr(join(upper, 'var'), 'trusted.overlay.opaque', Buffer.from('y'));
  writeFileSync(join(upper, 'var/new'), 'n');
  const layer = await buffer(writeLayer(upper, { source: 'overlay-upper' }));
  assert.deepEqual((await entriesOf(layer)).map((e) => `${e.type} ${e.name}`),
    ['directory etc/', 'file etc/.wh.motd', 'directory var/', 'file var/.wh..wh..opq', 'file var/new']);
  // and back: applied as a stacked lower layer it is the same overlay tree
  const lower = join(base, 'lower');
  mkdirSync(lower);
  await applyLayer(streamOf(layer), lower, { whiteouts: 'overlay' });
  assert.deepEqual(snapshotTree(lower), snapshotTree(upper));
});

test('gzipLayer gives the same blob however the tar is chunked', async () => {
  const dir = join(base, 'tree');
  makeTree(dir, 1_700_000_000);
  const tarBytes = await buffer(writeLayer(dir, { source: 'plain' }));
  const a = await buffer(streamOf(tarBytes, 1000).pipe(gzipLayer()));
  const b = await buffer(Readable.from([tarBytes], { objectMode: false }).pipe(gzipLayer()));
  assert.ok(a.equals(b));
  assert.equal(a.readUInt32LE(4), 0); // gzip mtime
  assert.equal(a[3], 0); // no flags: no file name
  assert.ok(gunzipSync(a).equals(tarBytes));
});

test('secureJoin resolves symlinks as if root were /', async () => {
  const root = join(base, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  symlinkSync('/etc', join(root, 'abs'));
  symlinkSync('../../..', join(root, 'etc/up'));
  symlinkSync('loop', join(root, 'loop'));
  assert.equal(secureJoin(root, 'abs/passwd'), join(root, 'etc/passwd'));
  assert.equal(secureJoin(root, '../../etc/up/etc/up/x'), join(root, 'x'));
  assert.equal(secureJoin(root, '/missing/../etc'), join(root, 'etc'));
  assert.throws(() => secureJoin(root, 'loop/x'), { code: 'BERTH_E_LAYER_SYMLINK_LOOP' });
});
