import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBytes } from './index.js';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

test("parseBytes reads Docker's binary sizes", () => {
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes('512k'), 512 * 1024);
  assert.equal(parseBytes('32m'), 32 * 2 ** 20);
  assert.equal(parseBytes('32M'), 32 * 2 ** 20);
  assert.equal(parseBytes('1g'), 2 ** 30);
  assert.equal(parseBytes('1.5g'), 1.5 * 2 ** 30);
  assert.equal(parseBytes('64MiB'), 64 * 2 ** 20);
  assert.equal(parseBytes('10b'), 10);
  assert.equal(parseBytes('2 gb'), 2 * 2 ** 30);
  for (const bad of ['', 'm', '-1', '1x', '1.2.3g', '10mm']) assert.throws(() => parseBytes(bad), code('BERTH_E_INVALID_SIZE'), bad);
});
