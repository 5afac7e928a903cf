import assert from 'node:assert/strict';
import { test } from 'node:test';

import { errors } from '../base/index.js';
import { exitCodeFor, mergeEnv, processArgs } from './containers.js';

test('user environment overrides the image\'s by name and keeps the order', () => {
  assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1', 'B=2'], ['A=9', 'C=3']), ['PATH=/bin', 'A=9', 'B=2', 'C=3']);
});

test('the process is Entrypoint followed by Cmd', () => {
  assert.deepEqual(processArgs({ Entrypoint: ['/entry'], Cmd: ['a', 'b'] }), ['/entry', 'a', 'b']);
  assert.deepEqual(processArgs({ Entrypoint: null, Cmd: ['sh'] }), ['sh']);
});

test('engine failures map to docker run\'s exit codes', () => {
  assert.equal(exitCodeFor(errors.notFound('COMMAND_NOT_FOUND', 'x')), 127);
  assert.equal(exitCodeFor(errors.permissionDenied('COMMAND_NOT_EXECUTABLE', 'x')), 126);
  assert.equal(exitCodeFor(errors.notFound('IMAGE_NOT_FOUND', 'x')), 125);
});
