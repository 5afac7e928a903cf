// Fuzz target: env-file parsing (`run --env-file`). On any bytes parseEnvFile returns a list of
// `NAME=value` entries or throws an InvalidArgument BerthError, never another exception; each
// entry's name is one the file named, without whitespace; a file written from entries reads back
// as those entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { fc, fuzzParameters, fuzzTimeout, withinMs } from '../testing/index.js';
import { parseEnvFile } from './env-file.js';

const lookup = (name: string) => (name.startsWith('SET') ? `from-env-${name}` : undefined);
const line = fc.oneof(
  fc.constantFrom('', '#', '# comment', 'A=1', 'A=', '=x', 'SETX', 'UNSET', ' \tB=2 ', 'C=a=b', 'D="q"', 'E=\'s\'', 'F G=1', '\uFEFFH=1', 'I=x\r', '\\=1'),
  fc.string({ maxLength: 12 }),
  fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/), fc.string({ maxLength: 10 })).map(([k, v]) => `${k}=${v.replace(/\n/g, '')}`),
);
const file = fc.oneof(
  { weight: 4, arbitrary: fc.array(line, { maxLength: 8 }).map((lines) => Buffer.from(lines.join('\n'))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
);

test('env files of any bytes give NAME=value entries or an InvalidArgument BerthError', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(file, (bytes) => {
    let entries: string[];
    try {
      entries = withinMs(2000, 'parseEnvFile', () => parseEnvFile(bytes, 'app.env', lookup));
    } catch (err) {
      if (isBerthError(err, 'InvalidArgument')) return;
      throw err;
    }
    for (const entry of entries) {
      const name = entry.slice(0, entry.indexOf('='));
      assert.ok(entry.includes('='), `an entry has a value: ${JSON.stringify(entry)}`);
      assert.ok(name !== '' && !/\s/.test(name), `a name without whitespace: ${JSON.stringify(entry)}`);
    }
  }), fuzzParameters(300));
});

test('entries written to a file read back as themselves', { timeout: fuzzTimeout() }, () => {
  const entry = fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), fc.string({ maxLength: 16 }).filter((v) => !/[\n\r]/.test(v)))
    .map(([k, v]) => `${k}=${v}`);
  fc.assert(fc.property(fc.array(entry, { maxLength: 10 }), (entries) => {
    assert.deepEqual(parseEnvFile(Buffer.from(entries.join('\n')), 'app.env', lookup), entries);
  }), fuzzParameters(300));
});
