// sharing=locked cache mounts across builds (CVE-2024-23651 class): the lock is flock(2), so two
// processes never hold it at once, and a holder's death hands it to exactly one waiter. Each
// process below is a separate `node` running acquireCacheLock; they are synchronised by their
// output lines and by killing, never by sleeping. The pid-file lock this replaced fails the last
// test (checked by putting it back), and the third at times: its takeover race (two waiters both
// breaking a dead holder's lock) is a window of microseconds that no test can hit every time.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, test } from 'node:test';

import { tempDir } from '../testing/index.js';

const module = join(import.meta.dirname, 'cache-lock.js');
// hold: take the lock (waiting), say so, release on a line of stdin. try: say whether it is free.
// loop: N times take it, create a marker that must not exist, yield, remove it, release.
const script = `
import { acquireCacheLock } from ${JSON.stringify(module)};
import { openSync, closeSync, unlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
const [mode, lock, marker, n] = process.argv.slice(1);
if (mode === 'hold') {
  const release = await acquireCacheLock(lock, { wait: true });
  openSync(marker, 'wx');
  console.log('held');
  for await (const _ of createInterface({ input: process.stdin })) break;
  unlinkSync(marker);
  await release();
  console.log('released');
} else if (mode === 'try') {
  const release = await acquireCacheLock(lock, { wait: false });
  console.log(release ? 'free' : 'busy');
  await release?.();
} else {
  for (let i = 0; i < Number(n); i++) {
    const release = await acquireCacheLock(lock, { wait: true });
    closeSync(openSync(marker, 'wx')); // EEXIST: another process is inside
    for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r));
    unlinkSync(marker);
    await release();
  }
  console.log('done');
}
process.exit(0);
`;

let dir: string;
let children: ChildProcessWithoutNullStreams[] = [];
beforeEach(() => {
  dir = tempDir('berth-cache-lock-');
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children = [];
  rmSync(dir, { recursive: true, force: true });
});

function start(mode: string, n = 0, marker = join(dir, 'inside')): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, mode, join(dir, 'cache.lock'), marker, String(n)], { stdio: 'pipe' });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exit.then((code) => code !== 0 && code !== null && process.stderr.write(stderr));
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), exit };
}

async function line(lines: AsyncIterator<string>): Promise<string | undefined> {
  const next = await lines.next();
  return next.done === true ? undefined : next.value;
}

test('a held cache lock is refused to another process until its holder releases it', async () => {
  const a = start('hold');
  assert.equal(await line(a.lines), 'held');
  const b = start('try');
  assert.equal(await line(b.lines), 'busy');
  a.child.stdin.write('release\n');
  assert.equal(await line(a.lines), 'released');
  const c = start('try');
  assert.equal(await line(c.lines), 'free');
});

test('many processes taking the lock in turn are never inside at once', async () => {
  const runs = Array.from({ length: 4 }, () => start('loop', 25));
  const codes = await Promise.all(runs.map((r) => r.exit));
  assert.deepEqual(codes, [0, 0, 0, 0]);
});

test('a killed holder hands the lock to exactly one waiter', async () => {
  for (let round = 0; round < 3; round++) {
    const marker = join(dir, `inside-${round}`);
    const holder = start('hold', 0, marker);
    assert.equal(await line(holder.lines), 'held');
    const waiters = Array.from({ length: 6 }, () => start('hold', 0, marker));
    holder.child.kill('SIGKILL'); // the kernel drops its lock; its marker stays, as a crash leaves it
    await holder.exit;
    rmSync(marker);
    // exactly one waiter gets in: the first to say "held"; the others must still be waiting, and
    // any second one inside would die on the marker (EEXIST) instead of saying "held"
    const first = await Promise.race(waiters.map((w, i) => line(w.lines).then((l) => ({ i, l }))));
    assert.equal(first.l, 'held');
    // a process started now still finds it busy (and the time it takes to start gives a racing
    // second waiter every chance to get in, which would make it exit on the marker)
    assert.equal(await line(start('try').lines), 'busy');
    for (const [i, w] of waiters.entries()) if (i !== first.i) assert.equal(w.child.exitCode, null, `waiter ${i} exited: two holders at once`);
    // hand the lock along: each release lets exactly one more in
    waiters[first.i]?.child.stdin.write('release\n');
    for (const w of waiters) w.child.kill('SIGKILL');
    await Promise.all(waiters.map((w) => w.exit));
  }
});

test('a lock file left by a dead build whose pid was reused does not block the cache', async () => {
  // the pid-file lock read "1" as a live holder and waited forever; flock ignores what the file says
  writeFileSync(join(dir, 'cache.lock'), '1');
  assert.equal(await line(start('try').lines), 'free');
});
