// Hostile layers: none may create, modify or delete anything outside the target directory.
// Each test unpacks into <base>/root with a sentinel directory <base>/outside beside it.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';

import { isBerthError } from '../../base/index.js';
import { applyLayer } from './apply-layer.js';
import { makeTar, streamOf, type TestEntry, tempDir } from '../../testing/index.js';

let base: string;
let root: string;
let outside: string;
let secret: string;

beforeEach(() => {
  base = tempDir();
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  secret = join(outside, 'secret');
  writeFileSync(secret, 'secret');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

async function apply(entries: TestEntry[], options: Parameters<typeof applyLayer>[2] = {}) {
  return applyLayer(streamOf(await makeTar(entries)), root, options);
}

/** The outside world is exactly as before: base holds only root and outside, outside only the untouched secret. */
function assertOutsideUntouched(): void {
  assert.deepEqual(readdirSync(base).sort(), ['outside', 'root']);
  assert.deepEqual(readdirSync(outside), ['secret']);
  assert.equal(readFileSync(secret, 'utf8'), 'secret');
  assert.equal(statSync(secret).nlink, 1);
}

async function assertRefused(entries: TestEntry[], code: string, options: Parameters<typeof applyLayer>[2] = {}): Promise<void> {
  await assert.rejects(apply(entries, options), (err: unknown) => isBerthError(err, 'InvalidArgument') && err.code === code);
  assertOutsideUntouched();
}

test('entries with ../ climbing above the root are refused', async () => {
  await assertRefused([{ name: '../escape', body: 'x' }], 'BERTH_E_LAYER_PATH_ESCAPE');
  await assertRefused([{ name: 'a/../../escape', body: 'x' }], 'BERTH_E_LAYER_PATH_ESCAPE');
  await assertRefused([{ name: '../outside/secret', body: 'pwned' }], 'BERTH_E_LAYER_PATH_ESCAPE');
});

test('.. that stays inside the root is cleaned like Docker does', async () => {
  await apply([{ name: 'a/../b', body: 'x' }]);
  assert.equal(readFileSync(join(root, 'b'), 'utf8'), 'x');
  assertOutsideUntouched();
});

test('absolute names are made relative to the root', async () => {
  await apply([{ name: '/abs', body: 'x' }, { name: secret, body: 'pwned' }]);
  assert.equal(readFileSync(join(root, 'abs'), 'utf8'), 'x');
  assert.equal(readFileSync(join(root, secret), 'utf8'), 'pwned');
  assertOutsideUntouched();
});

test('writing through a symlink that points outside stays inside the root', async () => {
  await apply([
    { name: 'evil', type: 'symlink', linkname: outside },
    { name: 'evil/file', body: 'x' },
    { name: 'evil/secret', body: 'pwned' },
    { name: 'rel', type: 'symlink', linkname: '../outside' },
    { name: 'rel/file', body: 'y' },
  ]);
  assert.equal(lstatSync(join(root, 'evil')).isSymbolicLink(), true); // the link itself is stored as is
  assert.equal(readFileSync(join(root, outside, 'file'), 'utf8'), 'x');
  assert.equal(readFileSync(join(root, 'outside', 'file'), 'utf8'), 'y');
  assertOutsideUntouched();
});

test('chains of symlinks to .. cannot climb above the root', async () => {
  await apply([
    { name: 'up', type: 'symlink', linkname: '..' },
    { name: 'up/up/up/escape', body: 'x' },
    { name: 'deep', type: 'symlink', linkname: '../../../../../../..' },
    { name: 'deep/outside/secret', body: 'pwned' },
    { name: 'hop1', type: 'symlink', linkname: 'hop2/..' },
    { name: 'hop2', type: 'symlink', linkname: 'up/../..' },
    { name: 'hop1/escape2', body: 'z' },
  ]);
  assert.equal(readFileSync(join(root, 'escape'), 'utf8'), 'x');
  assert.equal(readFileSync(join(root, 'outside/secret'), 'utf8'), 'pwned');
  assert.equal(readFileSync(join(root, 'escape2'), 'utf8'), 'z');
  assertOutsideUntouched();
});

test('symlink loops are refused', async () => {
  await assertRefused([{ name: 'loop', type: 'symlink', linkname: 'loop' }, { name: 'loop/x', body: 'x' }], 'BERTH_E_LAYER_SYMLINK_LOOP');
});

test('hard links to targets outside the root are refused or contained', async () => {
  await assertRefused([{ name: 'hl', type: 'link', linkname: '../outside/secret' }], 'BERTH_E_LAYER_PATH_ESCAPE');
  // absolute: resolved inside the root, where no such file exists
  await assertRefused([{ name: 'hl', type: 'link', linkname: secret }], 'BERTH_E_LAYER_LINK_TARGET_MISSING');
  // through a symlink: the symlink is resolved inside the root too
  await assertRefused([
    { name: 'evil', type: 'symlink', linkname: outside },
    { name: 'hl', type: 'link', linkname: 'evil/secret' },
  ], 'BERTH_E_LAYER_LINK_TARGET_MISSING');
  await assertRefused([
    { name: 'up', type: 'symlink', linkname: '..' },
    { name: 'hl', type: 'link', linkname: 'up/../outside/secret' },
  ], 'BERTH_E_LAYER_LINK_TARGET_MISSING');
});

test('a hard link to a symlink links the symlink, never what it points to', async () => {
  await apply([
    { name: 'evil', type: 'symlink', linkname: secret },
    { name: 'hl', type: 'link', linkname: 'evil' },
    { name: 'hl', body: 'pwned' }, // replacing the link must not write through it
  ]);
  assert.equal(readFileSync(join(root, 'hl'), 'utf8'), 'pwned');
  assert.equal(lstatSync(join(root, 'evil')).isSymbolicLink(), true);
  assertOutsideUntouched();
});

test('device nodes and fifos are skipped with a warning, or refused', async () => {
  const warnings: string[] = [];
  const devices: TestEntry[] = [
    { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
    { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 },
    { name: 'pipe', type: 'fifo' },
    { name: 'null2', type: 'link', linkname: 'null' },
  ];
  await apply(devices, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(readdirSync(root), []);
  assert.equal(warnings.length, 4);
  await assertRefused(devices, 'BERTH_E_LAYER_DEVICE_NODE', { devices: 'refuse' });
});

test('whiteouts cannot delete outside the root', async () => {
  await assertRefused([{ name: '../outside/.wh.secret' }], 'BERTH_E_LAYER_PATH_ESCAPE');
  await assertRefused([{ name: '.wh..' }], 'BERTH_E_LAYER_INVALID_WHITEOUT');
  await assertRefused([{ name: 'a/.wh..' }], 'BERTH_E_LAYER_INVALID_WHITEOUT');
  await apply([{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/.wh.secret' }, { name: 'evil/.wh..wh..opq' }]);
  await apply([{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/.wh.outside' }, { name: 'up/up/.wh..wh..opq' }]);
  assertOutsideUntouched();
});

test('entries replace an existing symlink instead of following it', async () => {
  symlinkSync(outside, join(root, 'dir'));
  symlinkSync(secret, join(root, 'passwd'));
  symlinkSync(outside, join(root, 'file-over-link'));
  await apply([
    { name: 'dir/', type: 'directory' },
    { name: 'dir/file', body: 'x' },
    { name: 'passwd', body: 'pwned', mode: 0o4777 },
    { name: 'file-over-link', body: 'y' },
  ]);
  assert.equal(lstatSync(join(root, 'dir')).isDirectory(), true);
  assert.equal(readFileSync(join(root, 'dir/file'), 'utf8'), 'x');
  assert.equal(lstatSync(join(root, 'passwd')).isFile(), true);
  assert.equal(readFileSync(join(root, 'passwd'), 'utf8'), 'pwned');
  assertOutsideUntouched();
  assert.equal(statSync(secret).mode & 0o7777, 0o644);
});

test('a symlink replacing a directory within one layer does not redirect later entries outside', async () => {
  await apply([
    { name: 'd/', type: 'directory' },
    { name: 'd/a', body: 'a' },
    { name: 'd', type: 'symlink', linkname: outside },
    { name: 'd/b', body: 'b' },
    { name: 'd/secret', body: 'pwned' },
  ]);
  assert.equal(existsSync(join(root, outside, 'b')), true);
  assertOutsideUntouched();
});
