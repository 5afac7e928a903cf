import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { umount2Async } from './index.js';

test('umount2Async settles on the event loop and fails like the synchronous call (root)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-umount-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pending = umount2Async(dir);
  assert.ok(pending instanceof Promise);
  await assert.rejects(pending, { code: 'EINVAL', syscall: 'umount2' }, 'nothing is mounted there');
  await assert.rejects(umount2Async(join(dir, 'missing')), { code: 'ENOENT' });
});
