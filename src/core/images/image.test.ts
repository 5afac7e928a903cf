import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import type { Digest } from '../../base/index.js';
import { chainIds } from './image.js';

test('chain ids follow the OCI image-spec definition', () => {
  const a: Digest = `sha256:${'a'.repeat(64)}`;
  const b: Digest = `sha256:${'b'.repeat(64)}`;
  const c: Digest = `sha256:${'c'.repeat(64)}`;
  const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
  const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
  assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
  assert.deepEqual(chainIds([]), []);
});
