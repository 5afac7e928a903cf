import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { parseEnvFile, parseEnvOption } from './env-file.js';

const env: Record<string, string> = { HOME: '/root', EMPTY: '' };
const lookup = (n: string) => env[n];
const parse = (text: string | Buffer) => parseEnvFile(Buffer.isBuffer(text) ? text : Buffer.from(text), 'app.env', lookup);
const refused = (code: string) => (err: unknown) => isBerthError(err) && err.code === code;

test('env files are read as Docker reads them: verbatim values, KEY alone from the environment, comments', () => {
  const text = '\uFEFFA=1\r\n  # a comment\n\nB="quoted" \nC=x=y\nHOME\nEMPTY\nUNSET\n\tD=\nNODE_OPTIONS=--require /tmp/x.js\n';
  assert.deepEqual(parse(text), ['A=1', 'B="quoted" ', 'C=x=y', 'HOME=/root', 'EMPTY=', 'D=', 'NODE_OPTIONS=--require /tmp/x.js']);
});

test('env files with an empty or spaced name, or invalid UTF-8, are refused', () => {
  assert.throws(() => parse('=value\n'), refused('BERTH_E_INVALID_ENV_FILE'));
  assert.throws(() => parse('MY VAR=1\n'), refused('BERTH_E_INVALID_ENV_FILE'));
  assert.throws(() => parse('FOO =1\n'), refused('BERTH_E_INVALID_ENV_FILE'));
  assert.throws(() => parse(Buffer.from([0x41, 0x3d, 0xff, 0x0a])), refused('BERTH_E_INVALID_ENV_FILE'));
});

test('-e refuses an empty name and takes a bare name from the environment', () => {
  assert.throws(() => parseEnvOption('=value', lookup), refused('BERTH_E_INVALID_ENV'));
  assert.throws(() => parseEnvOption('', lookup), refused('BERTH_E_INVALID_ENV'));
  assert.equal(parseEnvOption('HOME', lookup), 'HOME=/root');
  assert.equal(parseEnvOption('UNSET', lookup), 'UNSET');
  assert.equal(parseEnvOption('A==b', lookup), 'A==b');
});
