import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';

import { markLongLived } from './long-lived.js';
import { processAlive, processStartTime } from './process.js';

/** This process's descriptors open on some /proc/<pid>/stat. */
const heldStats = (pid: number) => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === `/proc/${pid}/stat`;
  } catch {
    return false;
  }
}).length;

// Each test file runs in its own process: this one is long-lived, as the daemon is.
markLongLived();

test('a long-lived process checks liveness through a held /proc handle, and lets go of it when the process is gone', async () => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const pid = child.pid!;
  await new Promise((r) => setTimeout(r, 50));
  const ref = { pid, startTime: processStartTime(pid)! };
  assert.ok(ref.startTime > 0);
  assert.equal(processAlive(ref), true);
  assert.equal(processAlive(ref), true);
  assert.equal(heldStats(pid), 1, 'one handle, kept between checks');
  // Another process with this pid (a reused pid) is not this one, while the held one runs.
  assert.equal(processAlive({ pid, startTime: ref.startTime - 1 }), false);
  assert.equal(processAlive(ref), true);
  child.kill('SIGKILL');
  await exited;
  assert.equal(processAlive(ref), false);
  assert.equal(heldStats(pid), 0, 'the handle is closed once the process is gone');
  assert.equal(processAlive(ref), false);
  assert.equal(processAlive(undefined), false);
});

test('a zombie counts as gone through a held handle too', async () => {
  // sh forks sleep and execs into a process that never reaps it: sleep ends a zombie.
  const child = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = Number(await new Promise<string>((r) => child.stdout.once('data', (d: Buffer) => r(d.toString()))));
  const ref = { pid, startTime: processStartTime(pid)! };
  assert.equal(processAlive(ref), true);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(processAlive(ref), false, 'the exited, unreaped sleep');
  child.kill('SIGKILL');
});

test('the handle of a process that ended goes with a later check of another one, though no one asks about it again', async () => {
  const spawnSleep = async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 50));
    return { child, exited: new Promise((r) => child.once('exit', r)), ref: { pid: child.pid!, startTime: processStartTime(child.pid!)! } };
  };
  const a = await spawnSleep();
  const b = await spawnSleep();
  assert.equal(processAlive(a.ref), true);
  assert.equal(processAlive(b.ref), true);
  a.child.kill('SIGKILL');
  await a.exited;
  assert.equal(heldStats(a.ref.pid), 1);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(processAlive(b.ref), true);
  assert.equal(heldStats(a.ref.pid), 0);
  b.child.kill('SIGKILL');
  await b.exited;
});
