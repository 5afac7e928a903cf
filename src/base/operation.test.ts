import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { beginOperation, ownerAlive, ownerOfName, withOperation } from './operation.js';
import { pidExists } from './process.js';

test('an operation owns the names tagged with it while it runs, and only then', () => {
  const op = beginOperation();
  const name = `build-${op.tag}-0123456789abcdef`;
  assert.deepEqual(ownerOfName(name), { pid: process.pid, op: op.owner.op });
  assert.equal(ownerAlive(name), true);
  op.end();
  assert.equal(ownerAlive(name), false, 'ended in this process: stale');
});

test('names of a process that is gone are stale; names without an owner are kept', () => {
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  assert.equal(ownerAlive(`build-${gone}-0badcafe-x`), false);
  assert.equal(ownerAlive(`${process.ppid}-0badcafe-context-x`), true, 'another live process');
  assert.equal(ownerAlive('container-abc'), true);
  assert.equal(ownerOfName('build-12-zz-x'), undefined);
});

test('warnings are kept per operation and passed on as they come', async () => {
  const seen: string[] = [];
  const op = beginOperation({ onWarning: (m) => seen.push(m) });
  op.warn('one');
  op.warn('two');
  assert.deepEqual([...op.warnings], ['one', 'two']);
  assert.deepEqual(seen, ['one', 'two']);
  op.end();
  let inner = '';
  await withOperation(undefined, async (own) => void (inner = own.tag));
  assert.equal(ownerAlive(`x-${inner}-y`), false, 'an operation of its own ends with the call');
});

test('names of an exited process its parent has not reaped (a zombie) are stale', async () => {
  const { spawn } = await import('node:child_process');
  // The child exits once its parent has become `sleep 30`, which never waits: a zombie with a pid.
  // (A child that exited at once could be reaped by the shell before its exec: seen under load in CI.)
  const child = `sh -c 'while [ "$(cat /proc/$PPID/comm)" != sleep ]; do sleep 0.01; done'`;
  const parent = spawn('sh', ['-c', `${child} & echo $!; exec sleep 30`], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((resolve) => parent.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()))));
    let state = '';
    for (let i = 0; i < 500 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
    }
    assert.equal(state, 'Z', 'the child is a zombie');
    assert.equal(pidExists(pid), true, 'its pid still exists');
    assert.equal(ownerAlive(`build-${pid}-0badcafe-x`), false);
  } finally {
    parent.kill('SIGKILL');
  }
});
