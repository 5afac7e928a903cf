import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../base/index.js';
import { cleanPath } from './clean-path.js';
import { parseDockerignore } from './parse-dockerignore.js';
import { DockerignoreMatcher } from './pattern-matcher.js';

const matcher = (text: string) => new DockerignoreMatcher(parseDockerignore(text));

test('cleanPath is Go filepath.Clean', () => {
  assert.equal(cleanPath(''), '.');
  assert.equal(cleanPath('./a/../b/'), 'b');
  assert.equal(cleanPath('a//b/./c/..'), 'a/b');
  assert.equal(cleanPath('../../x'), '../../x');
  assert.equal(cleanPath('/../x'), '/x');
});

test('parseDockerignore: comments, blank lines, trimming, cleaning, leading slash, exceptions', () => {
  assert.deepEqual(
    parseDockerignore('\ufeff# comment\n\n  node_modules/  \r\n/dist\n! ./keep/../keep.txt\n./a//b/\n #not a comment\n/\n'),
    ['node_modules', 'dist', '!keep.txt', 'a/b', '#not a comment', '/'],
  );
});

test('exact, *, ? and [..] never cross directories', () => {
  const m = matcher('*.md\nsrc/?.ts\nbin/[ab]*\n');
  assert.equal(m.matches('README.md'), true);
  assert.equal(m.matches('docs/README.md'), false);
  assert.equal(m.matches('src/a.ts'), true);
  assert.equal(m.matches('src/ab.ts'), false);
  assert.equal(m.matches('bin/alpha'), true);
  assert.equal(m.matches('bin/charlie'), false);
});

test('** spans any number of directories', () => {
  const m = matcher('**/*.log\nbuild/**\n**/tmp\na/**/z');
  assert.equal(m.matches('x.log'), true);
  assert.equal(m.matches('a/b/c/x.log'), true);
  assert.equal(m.matches('build/x/y'), true);
  assert.equal(m.matches('tmp'), true);
  assert.equal(m.matches('deep/er/tmp'), true);
  assert.equal(m.matches('a/z'), true);
  assert.equal(m.matches('a/b/c/z'), true);
  assert.equal(m.matches('ab/z'), false);
});

test('a matched directory excludes its contents; paths are cleaned and a leading / ignored', () => {
  const m = matcher('node_modules\n');
  assert.equal(m.matches('node_modules'), true);
  assert.equal(m.matches('node_modules/x/y.js'), true);
  assert.equal(m.matches('/node_modules/x'), true);
  assert.equal(m.matches('./a/../node_modules/'), true);
  assert.equal(m.matches('src/node_modules'), false);
  assert.equal(m.matches('.'), false);
});

test('exceptions: later patterns win', () => {
  const m = matcher('*.md\n!README.md\nREADME.md\n!docs\n');
  assert.equal(m.matches('README.md'), true);
  const m2 = matcher('*.md\n!README*.md\nREADME-secret.md');
  assert.equal(m2.matches('CHANGES.md'), true);
  assert.equal(m2.matches('README.md'), false);
  assert.equal(m2.matches('README-secret.md'), true);
  const m3 = matcher('docs\n!docs/keep.txt');
  assert.equal(m3.matches('docs/drop.txt'), true);
  assert.equal(m3.matches('docs/keep.txt'), false);
});

test('canSkipDir prunes only when no exception can reach inside', () => {
  const m = matcher('vendor\ndocs\n!docs/*/keep.md\nsecret\n!**/public');
  assert.equal(m.canSkipDir('vendor'), false, 'an exception with ** may match anywhere');
  const m2 = matcher('vendor\ndocs\n!docs/*/keep.md\n');
  assert.equal(m2.canSkipDir('vendor'), true);
  assert.equal(m2.canSkipDir('docs'), false);
  assert.equal(m2.canSkipDir('docs/a'), false);
  assert.equal(m2.canSkipDir('src'), false, 'not excluded at all');
  const m3 = matcher('*\n!src');
  assert.equal(m3.canSkipDir('lib'), true);
  assert.equal(m3.canSkipDir('src'), false);
});

test('bad patterns are rejected', () => {
  for (const bad of ['!', 'a[b', 'x\\']) {
    assert.throws(() => new DockerignoreMatcher([bad]), (err: unknown) => isBerthError(err, 'InvalidArgument') && err.code === 'BERTH_E_DOCKERIGNORE_PATTERN', bad);
  }
});
