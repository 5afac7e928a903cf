import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { fc, fuzzParameters } from '../../testing/index.js';
import { isText, unifiedDiff } from './unified-diff.js';

/** Applies a unified diff to `a` (strictly: context and removed lines must match). */
function applyPatch(a: string, patch: string): string {
  const lines = a === '' ? [] : a.split('\n');
  const endsWithNewline = a === '' || a.endsWith('\n');
  if (endsWithNewline && a !== '') lines.pop();
  const out: string[] = [];
  let at = 0;
  let noNewline = !endsWithNewline;
  const body = patch.split('\n');
  body.pop();
  let i = 2;
  while (i < body.length) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$/.exec(body[i] as string);
    assert.ok(header, `hunk header expected: ${body[i]}`);
    const startA = Number(header[1]);
    const countA = header[2] === undefined ? 1 : Number(header[2]);
    const first = countA === 0 ? startA : startA - 1;
    while (at < first) out.push(lines[at++] as string);
    i++;
    while (i < body.length && !(body[i] as string).startsWith('@@')) {
      const line = body[i] as string;
      const text = line.slice(1);
      if (line.startsWith('\\')) {
        // applies to the line before: for '+' or ' ' lines the result lacks its newline
        const prev = body[i - 1] as string;
        if (prev.startsWith('+') || prev.startsWith(' ')) noNewline = true;
      } else if (line.startsWith(' ')) {
        assert.equal(lines[at], text);
        out.push(text);
        at++;
        noNewline = false;
      } else if (line.startsWith('-')) {
        assert.equal(lines[at], text);
        at++;
      } else if (line.startsWith('+')) {
        out.push(text);
        noNewline = false;
      } else assert.fail(`unexpected line ${line}`);
      i++;
    }
  }
  const rest = lines.slice(at);
  if (rest.length > 0) noNewline = !endsWithNewline;
  out.push(...rest);
  if (out.length === 0) return '';
  return out.join('\n') + (noNewline ? '' : '\n');
}

test('equal texts give no diff', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'a/x', 'b/x'), '');
});

test('the format is diff -u\'s: names, hunks with 3 lines of context, merged when close, missing newline marked', () => {
  const a = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve\nthirteen\nfourteen\nfifteen\nsixteen\nseventeen';
  const b = 'one\nTWO\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve\nthirteen\nfourteen\nfifteen\nsixteen\nseventeen\n';
  const dir = mkdtempSync(join(tmpdir(), 'berth-udiff-'));
  try {
    for (const [x, y] of [[a, b], ['', 'new\n'], ['gone\n', ''], ['1\n2\n3\n4\n5\n6\n7\n8\n9\n', '1\n2\nX\n4\n5\n6\n7\nY\n9\n'], ['x', 'y']]) {
      writeFileSync(join(dir, 'a'), x as string);
      writeFileSync(join(dir, 'b'), y as string);
      const gnu = spawnSync('diff', ['-u', '--label', 'a/f', '--label', 'b/f', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
      assert.equal(unifiedDiff(x as string, y as string, 'a/f', 'b/f'), gnu.stdout);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('any diff applied to the first text gives the second', () => {
  const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 40 }).chain((lines) => fc.boolean().map((nl) => (lines.length === 0 ? '' : lines.join('\n') + (nl ? '\n' : ''))));
  fc.assert(fc.property(text, text, fc.integer({ min: 1, max: 60 }), (a, b, maxEdits) => {
    const patch = unifiedDiff(a, b, 'a/f', 'b/f', { maxEdits });
    if (a === b) return assert.equal(patch, '');
    assert.equal(applyPatch(a, patch), b);
  }), fuzzParameters(300));
});

test('isText: UTF-8 without NUL', () => {
  assert.equal(isText(Buffer.from('héllo\n')), true);
  assert.equal(isText(Buffer.from([0x68, 0x00])), false);
  assert.equal(isText(Buffer.from([0xff, 0xfe, 0x41])), false);
});
