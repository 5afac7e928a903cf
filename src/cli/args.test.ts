import assert from 'node:assert/strict';
import { test } from 'node:test';

import { flagBool, flagList, flagString, parseArgs } from './args.js';

const specs = {
  rm: { kind: 'bool', description: '' },
  name: { kind: 'string', description: '' },
  env: { kind: 'list', short: 'e', description: '' },
  interactive: { kind: 'bool', short: 'i', description: '' },
  tty: { kind: 'bool', short: 't', description: '' },
} as const;

test('flags stop at the image so the command keeps its own flags', () => {
  const p = parseArgs(['--rm', '-e', 'A=1', '-eB=2', '--name=web', '-it', 'img', 'ls', '-l', '--rm'], specs, { stopAtPositional: true, command: 'run' });
  assert.equal(flagBool(p, 'rm'), true);
  assert.deepEqual(flagList(p, 'env'), ['A=1', 'B=2']);
  assert.equal(flagString(p, 'name'), 'web');
  assert.equal(flagBool(p, 'tty'), true);
  assert.deepEqual(p.positionals, ['img', 'ls', '-l', '--rm']);
});

test('unknown flags and missing values are named', () => {
  assert.throws(() => parseArgs(['--bogus'], specs, { command: 'run' }), { code: 'BERTH_E_UNKNOWN_FLAG', message: /--bogus/ });
  assert.throws(() => parseArgs(['--name'], specs, { command: 'run' }), { code: 'BERTH_E_FLAG_NEEDS_VALUE' });
});

test('a short bool flag takes =VALUE as pflag does (`history -H=false`)', () => {
  assert.equal(flagBool(parseArgs(['-i=false'], specs, { command: 'run' }), 'interactive'), false);
  assert.equal(flagBool(parseArgs(['-i=true', '-t'], specs, { command: 'run' }), 'tty'), true);
});

test('with the command\'s usage, an unknown flag carries the docker 28 CLI\'s usage lines', () => {
  assert.throws(() => parseArgs(['--bogus'], specs, { command: 'container ls', usage: 'container ls [OPTIONS]' }), {
    code: 'BERTH_E_UNKNOWN_FLAG',
    hint: "\nUsage:  berth container ls [OPTIONS]\n\nRun 'berth container ls --help' for more information",
  });
});
