import assert from 'node:assert/strict';
import { test } from 'node:test';

import { errors } from '../base/index.js';
import { exitCodeFor } from './exit-codes.js';

test('engine failures map to docker run\'s exit codes', () => {
  assert.equal(exitCodeFor(errors.notFound('COMMAND_NOT_FOUND', 'x')), 127);
  assert.equal(exitCodeFor(errors.permissionDenied('COMMAND_NOT_EXECUTABLE', 'x')), 126);
  assert.equal(exitCodeFor(errors.notFound('IMAGE_NOT_FOUND', 'x')), 125);
});
