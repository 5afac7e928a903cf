import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { writeOutputFile } from './output-file.js';

const failing = async () => {
  throw new Error('the archive could not be made');
};

test('a failed -o removes the file it created, and never a path that was there before (-o /dev/null once deleted the device)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-output-'));
  try {
    const fresh = join(dir, 'new.tar');
    await assert.rejects(writeOutputFile(fresh, failing), /could not be made/);
    assert.equal(existsSync(fresh), false);
    const before = join(dir, 'old.tar');
    writeFileSync(before, 'earlier\n');
    await assert.rejects(writeOutputFile(before, failing), /could not be made/);
    assert.equal(existsSync(before), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
