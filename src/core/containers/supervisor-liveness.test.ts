import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { initialState } from './container.js';
import { processStartTime } from '../../base/index.js';
import { supervisorAlive } from './supervisor-liveness.js';

const withSupervisor = (pid: number, startTime: number) => ({ state: { ...initialState(), status: 'running' as const, supervisor: { pid, startTime } } });

test('a live supervisor is alive; a reused pid or an exited process is not', async () => {
  const mine = processStartTime(process.pid);
  assert.equal(typeof mine, 'number');
  assert.equal(processStartTime('self'), mine);
  assert.equal(supervisorAlive(withSupervisor(process.pid, mine ?? 0)), true);
  assert.equal(supervisorAlive(withSupervisor(process.pid, (mine ?? 0) - 1)), false);
  assert.equal(supervisorAlive({ state: initialState() }), false);

  const child = spawn('sleep', ['10']);
  const pid = child.pid ?? 0;
  const started = processStartTime(pid) ?? -1;
  assert.equal(supervisorAlive(withSupervisor(pid, started)), true);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(supervisorAlive(withSupervisor(pid, started)), false);
});

test('a command name with spaces and parentheses does not shift the fields', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-comm-'));
  const odd = join(dir, 'a) (b c');
  symlinkSync('/bin/sleep', odd);
  const child = spawn(odd, ['10']);
  await new Promise((r) => child.once('spawn', r));
  try {
    assert.match(readFileSync(`/proc/${child.pid}/stat`, 'latin1'), /\(a\) \(b c\)/);
    const start = processStartTime(child.pid ?? 0);
    assert.ok(start !== undefined && start >= (processStartTime('self') ?? 0), String(start));
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
