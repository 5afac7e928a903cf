import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { SourceRoot } from './context-sources.js';
import { resolveSources, segmentRegExp } from './context-sources.js';
import { hashEntries } from './copy-files.js';
import { DockerignoreMatcher } from './dockerignore/index.js';

describe('context sources', () => {
  let dir: string;
  let root: SourceRoot;
  const names = async (path: string) => (await resolveSources(root, path)).map((e) => e.rel);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-sources-'));
    mkdirSync(join(dir, 'ctx', 'sub'), { recursive: true });
    for (const f of ['a.txt', 'b.txt', 'c.md', 'skip.log', 'sub/x.txt', 'sub/y.log']) writeFileSync(join(dir, 'ctx', f), f);
    writeFileSync(join(dir, 'outside.txt'), 'outside');
    symlinkSync('a.txt', join(dir, 'ctx', 'inside-link'));
    symlinkSync('../outside.txt', join(dir, 'ctx', 'escape'));
    symlinkSync('/etc', join(dir, 'ctx', 'absolute'));
    root = { dir: join(dir, 'ctx'), isContext: true, ignore: new DockerignoreMatcher(['**/*.log']), description: 'build context' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('segment globs follow Go filepath.Match', () => {
    assert.ok(segmentRegExp('*.txt').test('a.txt'));
    assert.ok(!segmentRegExp('*.txt').test('a/b.txt'));
    assert.ok(segmentRegExp('file?.md').test('file1.md'));
    assert.ok(segmentRegExp('[ab].conf').test('b.conf'));
    assert.ok(!segmentRegExp('[^ab].conf').test('a.conf'));
    assert.ok(segmentRegExp('a\\*').test('a*'));
  });

  test('globs match in name order and skip ignored files', async () => {
    assert.deepEqual(await names('*.txt'), ['a.txt', 'b.txt']);
    assert.deepEqual(await names('?.*'), ['a.txt', 'b.txt', 'c.md']);
    // A glob that matches a symlink leaving the context is refused like the link itself.
    await assert.rejects(resolveSources(root, '*'), { code: 'BERTH_E_COPY_OUTSIDE_CONTEXT' });
    assert.deepEqual(await names('sub/*'), ['sub/x.txt']);
  });

  test('an ignored or missing file is NotFound, naming it', async () => {
    await assert.rejects(resolveSources(root, 'skip.log'), { code: 'BERTH_E_COPY_SOURCE_NOT_FOUND', message: /"skip\.log"/ });
    await assert.rejects(resolveSources(root, 'nope/*.txt'), { code: 'BERTH_E_COPY_SOURCE_NOT_FOUND' });
  });

  test('paths and symlinks leaving the context are refused; links inside are followed', async () => {
    await assert.rejects(resolveSources(root, '../outside.txt'), { code: 'BERTH_E_COPY_OUTSIDE_CONTEXT' });
    await assert.rejects(resolveSources(root, 'escape'), { code: 'BERTH_E_COPY_OUTSIDE_CONTEXT' });
    await assert.rejects(resolveSources(root, 'absolute/passwd'), { code: 'BERTH_E_COPY_OUTSIDE_CONTEXT' });
    const [link] = await resolveSources(root, 'inside-link');
    assert.equal(link?.abs, join(dir, 'ctx', 'a.txt'));
    assert.deepEqual(await names('/sub/../a.txt'), ['a.txt']);
  });

  test('in a --from root, symlinks resolve as if the root were /', async () => {
    const stage: SourceRoot = { dir: join(dir, 'ctx'), isContext: false, description: 'stage "x"' };
    // ../outside.txt from the root is /outside.txt inside it: not there, and never the host's file.
    await assert.rejects(resolveSources(stage, 'escape'), { code: 'BERTH_E_COPY_SOURCE_NOT_FOUND' });
    const [inside] = await resolveSources(stage, 'inside-link');
    assert.equal(inside?.abs, join(dir, 'ctx', 'a.txt'));
  });

  test('the content hash ignores mtimes and ignored files, and sees content changes', async () => {
    const hash = async () => hashEntries(root, await resolveSources(root, 'sub'));
    const first = await hash();
    writeFileSync(join(dir, 'ctx', 'sub', 'y.log'), 'ignored change');
    writeFileSync(join(dir, 'ctx', 'sub', 'x.txt'), 'sub/x.txt'); // same content, new mtime
    assert.equal(await hash(), first);
    writeFileSync(join(dir, 'ctx', 'sub', 'x.txt'), 'changed');
    assert.notEqual(await hash(), first);
  });
});
