import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertTransition, canTransition, initialState, validateContainerName } from './container.js';

test('the status machine allows Docker\'s lifecycle and refuses the rest', () => {
  assert.equal(canTransition('created', 'running'), true);
  assert.equal(canTransition('running', 'exited'), true);
  assert.equal(canTransition('exited', 'running'), true);
  assert.equal(canTransition('running', 'removing'), false);
  assert.equal(canTransition('removing', 'running'), false);
  assert.throws(() => assertTransition({ name: 'web', state: { ...initialState(), status: 'removing' } }, 'running'), {
    code: 'BERTH_E_CONTAINER_STATE',
    message: /"web" from removing to running/,
  });
});

test('container names follow Docker\'s pattern and lose a leading slash', () => {
  assert.equal(validateContainerName('/web-1.a_b'), 'web-1.a_b');
  for (const bad of ['', '-web', 'a b', 'a/b', '.x']) {
    assert.throws(() => validateContainerName(bad), { code: 'BERTH_E_INVALID_CONTAINER_NAME' }, bad);
  }
});
