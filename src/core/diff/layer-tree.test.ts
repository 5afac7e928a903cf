import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeTar, streamOf } from '../../testing/index.js';
import type { TestEntry } from '../../testing/index.js';
import { foldLayer, layerTree, readLayer } from './layer-tree.js';
import type { Tree } from './layer-tree.js';
import { compareTrees } from './tree-diff.js';

async function nodes(entries: TestEntry[], keepContent = 0) {
  return readLayer(streamOf(await makeTar(entries)), { layerName: 'test', keepContent });
}

async function image(...layers: TestEntry[][]): Promise<Tree> {
  const tree: Tree = new Map();
  for (const l of layers) foldLayer(tree, await nodes(l));
  return tree;
}

const dir = (name: string, extra: Partial<TestEntry> = {}): TestEntry => ({ name, type: 'directory', mode: 0o755, ...extra });
const file = (name: string, body: string, extra: Partial<TestEntry> = {}): TestEntry => ({ name, type: 'file', mode: 0o644, body, ...extra });

test('readLayer: metadata, content digests, hard links, whiteouts, kept content and the ELF mark', async () => {
  const read = await nodes([
    dir('etc/'), file('etc/a', 'hello'), { name: 'etc/b', type: 'link', linkname: 'etc/a' },
    { name: 'etc/l', type: 'symlink', linkname: '../x' }, file('etc/.wh.gone', ''), file('var/.wh..wh..opq', ''),
    file('bin/prog', '\x7fELF...'), file('big', 'x'.repeat(100)),
  ], 64);
  const by = new Map(read.map((n) => [`${n.type}:${n.path}`, n]));
  assert.equal(by.get('file:/etc/a')?.digest, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  assert.equal(by.get('file:/etc/a')?.content?.toString(), 'hello');
  assert.equal(by.get('hardlink:/etc/b')?.digest, by.get('file:/etc/a')?.digest);
  assert.equal(by.get('hardlink:/etc/b')?.linkname, '/etc/a');
  assert.equal(by.get('symlink:/etc/l')?.linkname, '../x');
  assert.ok(by.has('whiteout:/etc/gone'));
  assert.ok(by.has('opaque whiteout:/var'));
  assert.equal(by.get('file:/bin/prog')?.elf, true);
  assert.equal(by.get('file:/big')?.content, undefined);
  assert.equal(by.get('file:/big')?.size, 100);
});

test('foldLayer applies whiteouts, opaque directories and type replacements', async () => {
  const tree = await image(
    [dir('a/'), file('a/x', '1'), file('a/y', '2'), dir('b/'), file('b/z', '3'), dir('c/'), file('c/w', '4'), file('keep', 'k')],
    [file('a/.wh.x', ''), dir('b/'), file('b/.wh..wh..opq', ''), file('b/new', 'n'), file('c', 'now a file'), { name: 'link', type: 'link', linkname: 'keep' }],
  );
  assert.deepEqual([...tree.keys()].sort(), ['/a', '/a/y', '/b', '/b/new', '/c', '/keep', '/link']);
  assert.equal(tree.get('/c')?.type, 'file');
  assert.equal(tree.get('/link')?.digest, tree.get('/keep')?.digest, 'a hard link to a lower layer takes its content');
});

test('compareTrees names added, removed and changed paths with the aspects that differ', async () => {
  const a = await image([dir('d/'), file('d/same', 's'), file('d/content', 'one'), file('d/mode', 'm'), file('d/owner', 'o'), file('d/time', 't'), file('d/gone', 'g'), { name: 'd/l', type: 'symlink', linkname: 'x' }, dir('e/')]);
  const b = await image([dir('d/'), file('d/same', 's'), file('d/content', 'two'), file('d/mode', 'm', { mode: 0o755 }), file('d/owner', 'o', { uid: 1000 }), file('d/time', 't', { mtime: new Date(0) }), file('d/new', 'n'), { name: 'd/l', type: 'symlink', linkname: 'y' }, file('e', 'file')]);
  const changes = compareTrees(a, b).map((c) => `${c.kind} ${c.path} ${c.aspects.join(',')}`);
  assert.deepEqual(changes, [
    'changed /d/content content',
    'removed /d/gone ',
    'changed /d/l link target',
    'changed /d/mode mode',
    'added /d/new ',
    'changed /d/owner owner',
    'changed /d/time mtime',
    'changed /e type,mode',
  ]);
});

test('layerTree keeps whiteouts as nodes, so two layers that delete differently differ', async () => {
  const a = layerTree(await nodes([file('x/.wh.f', ''), file('y', '1')]));
  const b = layerTree(await nodes([file('y', '1'), file('x/.wh..wh..opq', '')]));
  assert.deepEqual(compareTrees(a, b).map((c) => `${c.kind} ${c.path} ${c.b?.type ?? c.a?.type}`), ['added /x opaque whiteout', 'removed /x/f whiteout']);
});
