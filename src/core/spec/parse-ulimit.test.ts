import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUlimit } from './index.js';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

test('parseUlimit reads name=soft[:hard]', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=64'), { name: 'nproc', soft: 64, hard: 64 });
  for (const bad of ['nofile', 'bogus=1', 'nofile=2048:1024', 'nofile=x', 'nofile=1:2:3', 'nofile=-1', 'constructor=1']) {
    assert.throws(() => parseUlimit(bad), code('BERTH_E_INVALID_ULIMIT'), bad);
  }
});
