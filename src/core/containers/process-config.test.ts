import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mergeEnv, processArgs, withHostname } from './process-config.js';

test('user environment overrides the image\'s by name and keeps the order', () => {
  assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1', 'B=2'], ['A=9', 'C=3']), ['PATH=/bin', 'A=9', 'B=2', 'C=3']);
});

test('the process is Entrypoint followed by Cmd', () => {
  assert.deepEqual(processArgs({ Entrypoint: ['/entry'], Cmd: ['a', 'b'] }), ['/entry', 'a', 'b']);
  assert.deepEqual(processArgs({ Entrypoint: null, Cmd: ['sh'] }), ['sh']);
});

test('HOSTNAME goes right after PATH unless the user set it', () => {
  assert.deepEqual(withHostname(['A=1', 'PATH=/bin', 'B=2'], 'h'), ['A=1', 'PATH=/bin', 'HOSTNAME=h', 'B=2']);
  assert.deepEqual(withHostname(['HOSTNAME=mine', 'PATH=/bin'], 'h'), ['HOSTNAME=mine', 'PATH=/bin']);
});
