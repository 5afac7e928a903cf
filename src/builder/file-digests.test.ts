import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { FileDigests } from './file-digests.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-digests-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A clock 10 s ahead: every file's last change is older than the racy window. */
const later = () => Date.now() + 10_000;

test('an unchanged file is hashed once, across processes (the cache file)', async (t) => {
  const d = dir(t);
  const file = join(d, 'a.c');
  writeFileSync(file, 'int main(void) { return 0; }\n');
  const cacheFile = join(d, 'cache', 'file-digests.json');
  const first = new FileDigests(cacheFile, { now: later });
  assert.equal(first.digest(file), sha('int main(void) { return 0; }\n'));
  assert.equal(first.digest(file), sha('int main(void) { return 0; }\n'));
  assert.deepEqual(first.stats, { hashed: 1, reused: 1 });
  await first.save();
  const second = new FileDigests(cacheFile, { now: later });
  assert.equal(second.digest(file), sha('int main(void) { return 0; }\n'));
  assert.deepEqual(second.stats, { hashed: 0, reused: 1 });
});

test('same size, mtime put back (touch -d): the new ctime still tells the change', async (t) => {
  const d = dir(t);
  const file = join(d, 'config.h');
  writeFileSync(file, '#define A 1\n');
  utimesSync(file, 1_600_000_000, 1_600_000_000);
  const cacheFile = join(d, 'file-digests.json');
  const before = new FileDigests(cacheFile, { now: later });
  assert.equal(before.digest(file), sha('#define A 1\n'));
  await before.save();
  // Past the kernel's coarse timestamp tick, the same number of bytes, the same mtime to the nanosecond.
  await sleep(50);
  writeFileSync(file, '#define A 2\n');
  utimesSync(file, 1_600_000_000, 1_600_000_000);
  const after = new FileDigests(cacheFile, { now: later });
  assert.equal(after.digest(file), sha('#define A 2\n'), 'a cache keyed without ctime would give the old content\'s digest');
  assert.deepEqual(after.stats, { hashed: 1, reused: 0 });
});

test('a file changed within the racy window is hashed again every time, never remembered', async (t) => {
  const d = dir(t);
  const file = join(d, 'fresh');
  writeFileSync(file, 'just written');
  const digests = new FileDigests(join(d, 'file-digests.json'));
  assert.equal(digests.digest(file), sha('just written'));
  assert.equal(digests.digest(file), sha('just written'));
  assert.deepEqual(digests.stats, { hashed: 2, reused: 0 });
  await digests.save();
  assert.throws(() => readFileSync(join(d, 'file-digests.json')), { code: 'ENOENT' }, 'nothing worth writing');
});

test('a corrupt or truncated cache file is ignored, not an error, and written anew', async (t) => {
  const d = dir(t);
  const file = join(d, 'x');
  writeFileSync(file, 'content');
  const cacheFile = join(d, 'file-digests.json');
  const good = new FileDigests(cacheFile, { now: later });
  good.digest(file);
  await good.save();
  const whole = readFileSync(cacheFile, 'utf8');
  for (const broken of [whole.slice(0, whole.length / 2), '\0\0garbage', '[]', '{"version":1,"entries":{"1:2":["1","2","3","nothex",0]}}', `{"version":2,"entries":{}}`]) {
    writeFileSync(cacheFile, broken);
    const digests = new FileDigests(cacheFile, { now: later });
    assert.equal(digests.digest(file), sha('content'), JSON.stringify(broken));
    assert.deepEqual(digests.stats, { hashed: 1, reused: 0 });
    await digests.save();
    assert.equal(new FileDigests(cacheFile, { now: later }).digest(file), sha('content'));
  }
  assert.equal((JSON.parse(readFileSync(cacheFile, 'utf8')) as { version: number }).version, 1);
});

test('at most maxEntries files are kept, the least recently used dropped first', async (t) => {
  const d = dir(t);
  const cacheFile = join(d, 'file-digests.json');
  let clock = later();
  const files = ['a', 'b', 'c'].map((n) => join(d, n));
  for (const f of files) writeFileSync(f, f);
  const digests = new FileDigests(cacheFile, { now: () => clock, maxEntries: 2 });
  for (const f of files) {
    clock += 86_400_000;
    digests.digest(f);
  }
  await digests.save();
  const kept = new FileDigests(cacheFile, { now: () => clock });
  for (const f of files) kept.digest(f);
  assert.deepEqual(kept.stats, { hashed: 1, reused: 2 }, 'a, the oldest, was dropped');
});
