import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, flock, withFileLock } from './index.js';

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-flock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lock');
}

test('an exclusive flock excludes other open files until unlocked; shared locks coexist', (t) => {
  const path = tempFile(t);
  const a = openSync(path, 'a');
  const b = openSync(path, 'a');
  try {
    flock(a, LOCK_EX);
    assert.throws(() => flock(b, LOCK_SH | LOCK_NB), { code: 'EAGAIN' });
    flock(a, LOCK_UN);
    flock(b, LOCK_SH);
    flock(a, LOCK_SH | LOCK_NB);
    assert.throws(() => flock(a, LOCK_EX | LOCK_NB), { code: 'EAGAIN' });
  } finally {
    closeSync(a);
    closeSync(b);
  }
  assert.throws(() => flock(a, LOCK_EX), { code: 'EBADF' });
});

test('withFileLock is reentrant in a process and waits for another process', async (t) => {
  const path = tempFile(t);
  assert.equal(withFileLock(path, () => withFileLock(path, () => 42)), 42);
  assert.throws(() => withFileLock(path, () => withFileLock(path, () => 1), { shared: true }), /inside a shared one/);
  assert.throws(() => withFileLock(path, () => Promise.resolve(1)), /must be synchronous/);
  // A child holds the lock for 300 ms; our exclusive lock must wait for it.
  const script = `const s=await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});s.withFileLock(${JSON.stringify(path)},()=>{process.stdout.write('locked');const end=Date.now()+300;while(Date.now()<end);});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const start = Date.now();
  withFileLock(path, () => undefined);
  assert.ok(Date.now() - start >= 150, `waited ${Date.now() - start} ms`);
  await new Promise((resolve) => child.once('exit', resolve));
});
