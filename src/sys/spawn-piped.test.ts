import assert from 'node:assert/strict';
import { appendFileSync, closeSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { test } from 'node:test';

import { nativeSpawn, sealedCopy } from './index.js';
import { spawnPiped } from './spawn-piped.js';

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

test('the addon has posix_spawn (the daemon would fall back to fork without it)', () => {
  assert.ok(nativeSpawn(), 'build/Release/berth_sys.node lacks spawnPiped/reapChild: run npm run install');
});

test('spawnPiped: stdout and stderr apart, the exit status, stdin /dev/null unless piped', async () => {
  const child = spawnPiped('/bin/sh', ['-c', 'echo out; echo err >&2; cat; exit 3'], false);
  const [out, err, status] = await Promise.all([text(child.stdout), text(child.stderr), child.status]);
  assert.equal(out, 'out\n');
  assert.equal(err, 'err\n');
  assert.equal(status, 3);
  assert.equal(child.stdin, undefined);
});

test('spawnPiped: piped stdin and its end; a killed child is 128 + its signal', async () => {
  const cat = spawnPiped('/bin/cat', [], true);
  cat.stdin!.end('hello');
  assert.equal(await text(cat.stdout), 'hello');
  assert.equal(await cat.status, 0);
  const sleeper = spawnPiped('/bin/sleep', ['100'], false);
  process.kill(sleeper.pid, 'SIGKILL');
  assert.equal(await sleeper.status, 128 + 9);
});

test('spawnPiped: its own session, default signal dispositions, no descriptor of the parent but 0-2', async () => {
  // Node ignores SIGPIPE; a child must not inherit that (libuv resets it too).
  const child = spawnPiped('/bin/sh', ['-c', 'cat /proc/self/stat; grep SigIgn /proc/self/status; ls /proc/self/fd'], false);
  const [out, status] = await Promise.all([text(child.stdout), child.status]);
  assert.equal(status, 0);
  const fields = out.split('\n')[0]!.replace(/^.*\) /, '').split(' ');
  assert.equal(Number(fields[3]), child.pid, 'session id = its own pid');
  // Node ignores SIGPIPE and SIGXFSZ; as libuv's children, this one ignores none of signals 1-31
  // (glibc's internal 32 and 33 cannot be reset by posix_spawn: a parent may have passed them on).
  const ignored = BigInt(`0x${/SigIgn:\s+([0-9a-f]+)/.exec(out)![1]}`);
  assert.equal(ignored & 0x7fffffffn, 0n, `ignored signals: ${ignored.toString(16)}`);
  // ls's own descriptor for the directory (3) is the only one past stdio.
  const fds = out.split('\n').slice(2).filter(Boolean).map(Number);
  assert.ok(fds.every((fd) => fd <= 3), `descriptors: ${fds.join(' ')}`);
});

test('spawnPiped: a missing program throws ENOENT; fifty children at once are all reaped', async () => {
  assert.throws(() => spawnPiped('/nonexistent/program', [], false), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  const children = Array.from({ length: 50 }, (_, i) => spawnPiped('/bin/sh', ['-c', `exit ${i % 7}`], false));
  for (const c of children) {
    c.stdout.resume();
    c.stderr.resume();
  }
  const statuses = await Promise.all(children.map((c) => c.status));
  assert.deepEqual(statuses, children.map((_, i) => i % 7));
});

test('sealedCopy: a sealed memfd of a program (same bytes, no write, close-on-exec); spawnPiped runs it with execFd, argv[0] unchanged, the copy as fd 3 only', async () => {
  const fd = sealedCopy('/bin/sh');
  assert.ok(fd !== undefined, 'build/Release/berth_sys.node lacks sealedCopy: run npm run install');
  try {
    assert.ok(readFileSync(`/proc/self/fd/${fd}`).equals(readFileSync('/bin/sh')));
    assert.match(readlinkSync(`/proc/self/fd/${fd}`), /^\/memfd:berth-sealed:sh /);
    // sealed: neither written nor grown, even by its owner
    assert.throws(() => writeFileSync(`/proc/self/fd/${fd}`, 'x'), (err: NodeJS.ErrnoException) => err.code === 'EPERM');
    assert.throws(() => appendFileSync(`/proc/self/fd/${fd}`, 'x'), (err: NodeJS.ErrnoException) => err.code === 'EPERM');
    assert.match(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'), /flags:\s+\d*[1357]\d{5}\n/, 'O_CLOEXEC (02000000) set');
    const child = spawnPiped('/bin/sh', ['-c', 'echo "$0"; readlink /proc/$$/exe; ls /proc/$$/fd; exit 5'], false, fd);
    const [out, status] = await Promise.all([text(child.stdout), child.status]);
    assert.equal(status, 5);
    const [argv0, exe, ...fds] = out.trim().split('\n');
    assert.equal(argv0, '/bin/sh');
    assert.match(exe ?? '', /^\/memfd:berth-sealed:sh \(deleted\)$/);
    assert.deepEqual(fds.map(Number).filter((n) => n > 2), [3], `descriptors: ${fds.join(' ')}`);
  } finally {
    closeSync(fd);
  }
  assert.throws(() => sealedCopy('/nonexistent/program'), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  assert.throws(() => sealedCopy('/tmp'), (err: NodeJS.ErrnoException) => err.code === 'EINVAL');
});
