// Fuzz target: the .dockerignore matcher. On generated patterns of literal names, `*`, `?` and
// whole-segment `**`, with `!` exceptions, it agrees with a small reference written straight from
// the documented rules (last matching pattern wins, a match of a parent directory covers what is
// below it, `**` spans any number of directories, at least one when it ends the pattern); on arbitrary text it never throws anything but
// a BerthError and stays fast. Mutation check: making `?` match any number of characters in
// pattern.ts fails the first property within a few cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../../base/index.js';
import { DockerignoreMatcher, parseDockerignore } from './index.js';
import { fc, fuzzParameters, fuzzTimeout, withinMs } from '../../testing/index.js';

function segmentGlob(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  const [p, rest] = [pattern[0] as string, pattern.slice(1)];
  if (p === '*') return segmentGlob(rest, name) || (name !== '' && segmentGlob(pattern, name.slice(1)));
  if (name === '') return false;
  return (p === '?' || p === name[0]) && segmentGlob(rest, name.slice(1));
}

function segmentsMatch(p: readonly string[], f: readonly string[]): boolean {
  if (p.length === 0) return f.length === 0;
  // a trailing `**` (moby: `/.*`) needs something below: `a/**` does not match `a` itself
  if (p[0] === '**' && p.length === 1) return f.length > 0;
  if (p[0] === '**') return segmentsMatch(p.slice(1), f) || (f.length > 0 && segmentsMatch(p, f.slice(1)));
  return f.length > 0 && segmentGlob(p[0] as string, f[0] as string) && segmentsMatch(p.slice(1), f.slice(1));
}

/** The reference: the documented rules, by brute force over the path and its parents. */
function referenceExcludes(patterns: readonly string[], path: string): boolean {
  const parts = path.split('/');
  let excluded = false;
  for (const raw of patterns) {
    const exception = raw.startsWith('!');
    const p = (exception ? raw.slice(1) : raw).split('/');
    for (let n = 1; n <= parts.length; n++) {
      if (segmentsMatch(p, parts.slice(0, n))) {
        excluded = !exception;
        break;
      }
    }
  }
  return excluded;
}

const patternSegment = fc.constantFrom('a', 'b', 'ab', '.x', '*', '?', 'a*', '*b', '?b', 'a?', '**');
const pattern = fc.tuple(fc.boolean(), fc.array(patternSegment, { minLength: 1, maxLength: 3 }))
  .filter(([, segs]) => segs.some((s) => s !== '**')) // a pattern of only ** is a corner case of its own
  .map(([not, segs]) => `${not ? '!' : ''}${segs.join('/')}`);
const path = fc.array(fc.constantFrom('a', 'b', 'ab', 'ba', '.x', 'abb'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

test('the .dockerignore matcher agrees with the documented rules', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(fc.array(pattern, { minLength: 1, maxLength: 5 }), fc.array(path, { minLength: 1, maxLength: 8 }), (patterns, paths) => {
    const matcher = new DockerignoreMatcher(patterns);
    for (const p of paths) assert.equal(matcher.matches(p), referenceExcludes(patterns, p), `${p} against ${JSON.stringify(patterns)}`);
  }), fuzzParameters(2000));
});

test('.dockerignore files of any text parse and match without throwing anything but a BerthError', { timeout: fuzzTimeout() }, () => {
  const text = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('!', '!!a', '[', '[]', '[^', '[a-', '\\', 'a\\', '**', '***', '/**/', '../..', '#c', '\ufeff')), { maxLength: 8 }).map((l) => l.join('\n'));
  fc.assert(fc.property(text, fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }), (t, paths) => {
    try {
      withinMs(2000, 'dockerignore', () => {
        const matcher = new DockerignoreMatcher(parseDockerignore(t));
        for (const p of paths) {
          matcher.matches(p);
          matcher.canSkipDir(p);
        }
      });
    } catch (err) {
      if (!isBerthError(err, 'InvalidArgument')) throw err;
    }
  }), fuzzParameters(2000));
});
