import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { removeTree } from './fs-helpers.js';

describe('removeTree', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-remove-tree-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a small tree is gone when the call returns (no thread-pool round trips); symbolic links are removed, not followed', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'x');
    const tree = join(dir, 'small');
    mkdirSync(join(tree, 'a', 'b'), { recursive: true });
    writeFileSync(join(tree, 'a', 'b', 'f'), 'x');
    writeFileSync(join(tree, 'g'), 'x');
    symlinkSync(outside, join(tree, 'link-to-dir'));
    symlinkSync(join(outside, 'keep'), join(tree, 'a', 'link-to-file'));
    symlinkSync('/nonexistent', join(tree, 'dangling'));
    const done = removeTree(tree);
    assert.equal(existsSync(tree), false);
    await done;
    assert.deepEqual(readdirSync(outside), ['keep']);
  });

  test('a tree past the inline budget, a plain file, a symbolic link given as the path, a missing path', async () => {
    const big = join(dir, 'big');
    for (let d = 0; d < 5; d++) {
      mkdirSync(join(big, `d${d}`), { recursive: true });
      for (let f = 0; f < 40; f++) writeFileSync(join(big, `d${d}`, `f${f}`), 'x');
    }
    await removeTree(big);
    assert.equal(existsSync(big), false);

    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    await removeTree(file);
    assert.equal(existsSync(file), false);

    const target = join(dir, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    symlinkSync(target, join(dir, 'link'));
    await removeTree(join(dir, 'link'));
    assert.deepEqual(readdirSync(target), ['keep']);
    assert.equal(readdirSync(dir).includes('link'), false);

    await removeTree(join(dir, 'missing'));
    await removeTree(join(dir, 'file', 'under-a-file'));
  });
});
