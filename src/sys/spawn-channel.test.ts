import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { nativeSpawnChannel } from './index.js';
import { spawnWithChannel } from './spawn-channel.js';

function zombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('the addon has spawnChannel (berth-monitor would be started by a fork of the CLI without it)', () => {
  assert.ok(nativeSpawnChannel(), 'build/Release/berth_sys.node lacks spawnChannel: run npm run install');
});

test('spawnWithChannel: the preamble waits on fd 3 before the child runs; stderr to the file; stdin and stdout /dev/null; its own session; reaped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-spawn-channel-'));
  try {
    const errFd = openSync(join(dir, 'err'), 'a');
    // The child sends the preamble back, then becomes a sleep with the descriptors it was given.
    let child;
    try {
      child = spawnWithChannel('/bin/sh', ['-c', 'head -c 5 <&3 >&3; echo oops >&2; exec sleep 30'], errFd, Buffer.from('hello'));
    } finally {
      closeSync(errFd);
    }
    assert.ok(child);
    const socket = new Socket({ fd: child.fd, readable: true, writable: true });
    const [first] = (await once(socket, 'data')) as [Buffer];
    assert.equal(String(first), 'hello');
    // Once it is the sleep: the shell itself keeps copies of descriptors (fd 10 and up) while it
    // runs `echo oops >&2`, so a look before the exec can see them (it did, under load).
    // And sleep's own start-up opens files for a moment (its locale, as fd 4: seen under CI load),
    // so its descriptors are read until they are its four; one of the parent's would stay for good.
    const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
    let fds: number[] = [];
    for (let i = 0; i < 500; i++) {
      if (readlinkSync(`/proc/${child.pid}/exe`).endsWith('/sleep') && (fds = fdsOf(child.pid)).length === 4) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(fds, [0, 1, 2, 3], 'nothing of the parent but what it was given');
    assert.equal(readlinkSync(`/proc/${child.pid}/fd/0`), '/dev/null');
    assert.equal(readlinkSync(`/proc/${child.pid}/fd/1`), '/dev/null');
    assert.match(readlinkSync(`/proc/${child.pid}/fd/3`), /^socket:/);
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    assert.equal(Number(stat[3]), child.pid, 'session id = its own pid');
    process.kill(child.pid, 'SIGTERM');
    await child.exited();
    socket.destroy();
    assert.equal(readFileSync(join(dir, 'err'), 'utf8'), 'oops\n');
    assert.throws(() => process.kill(child.pid, 0), (err: NodeJS.ErrnoException) => err.code === 'ESRCH', 'reaped, no zombie left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spawnWithChannel: a child that exits unawaited is reaped all the same; a missing program throws ENOENT', async () => {
  const errFd = openSync('/dev/null', 'w');
  try {
    assert.throws(() => spawnWithChannel('/nonexistent/program', [], errFd, Buffer.alloc(0)), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    const children = Array.from({ length: 20 }, () => spawnWithChannel('/bin/true', [], errFd, Buffer.alloc(0))!);
    for (const c of children) closeSync(c.fd);
    await Promise.all(children.map((c) => c.exited()));
    assert.deepEqual(children.filter((c) => zombie(c.pid)).map((c) => c.pid), []);
  } finally {
    closeSync(errFd);
  }
});
