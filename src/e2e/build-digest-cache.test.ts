/**
 * The build context's persistent digest cache (builder/file-digests.ts, issue 13): an unchanged
 * context is not read again by the next build (`berth` process), a file rewritten with the same
 * size and its mtime put back with `touch -d` is still seen as changed (its ctime), and a corrupt
 * cache file is ignored, not an error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('the build context\'s digest cache', { concurrency: false }, () => {
  let store: Store;
  let ctx: string;
  const files = 40;
  /** A traced build: its "file digests: R reused, H hashed" counts and how many steps were cached. */
  const build = () => {
    const r = store.berth(['build', '--network', 'none', '-t', 'digests/app:1', ctx], { env: { BERTH_TRACE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const m = /file digests: (\d+) reused, (\d+) hashed/.exec(r.stderr);
    assert.ok(m, r.stderr);
    return { reused: Number(m[1]), hashed: Number(m[2]), cached: (r.stderr.match(/^#\d+ CACHED$/gm) ?? []).length };
  };
  const touchOld = (path: string) => assert.equal(spawnSync('touch', ['-d', '2020-01-01 00:00:00', path]).status, 0);

  before(() => {
    store = createStore({ withBusybox: true });
    ctx = mkdtempSync(join(tmpdir(), 'berth-digests-ctx-'));
    mkdirSync(join(ctx, 'src'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${busyboxImage}\nCOPY src/ /src/\nRUN cat /src/f0 > /copy\n`);
    for (let i = 0; i < files; i++) {
      writeFileSync(join(ctx, 'src', `f${i}`), `file ${String(i).padStart(3, '0')}\n`);
      touchOld(join(ctx, 'src', `f${i}`));
    }
    // Older than the racy window (1 s): a file changed more recently is hashed again each time.
    spawnSync('sleep', ['1.1']);
  });
  after(() => {
    store?.dispose();
    rmSync(ctx, { recursive: true, force: true });
  });

  test('an unchanged context is hashed once: the next build reads no file of it', () => {
    assert.deepEqual(build(), { reused: 0, hashed: files, cached: 0 });
    assert.deepEqual(build(), { reused: files, hashed: 0, cached: 2 });
  });

  test('same size, mtime put back with touch -d: the COPY runs again with the new content', () => {
    writeFileSync(join(ctx, 'src', 'f0'), 'FILE 000\n');
    touchOld(join(ctx, 'src', 'f0'));
    assert.deepEqual(build(), { reused: files - 1, hashed: 1, cached: 0 });
    const r = store.berth(['run', '--rm', '--network', 'none', 'digests/app:1', 'cat', '/src/f0', '/copy']);
    assert.equal(r.stdout, 'FILE 000\nFILE 000\n', r.stderr);
    // Past the racy window again, so that the next builds may remember f0.
    spawnSync('sleep', ['1.1']);
  });

  test('a corrupt or truncated cache file is ignored, and written anew', () => {
    const cacheFile = join(store.root, 'build-cache', 'file-digests.json');
    const whole = readFileSync(cacheFile, 'utf8');
    for (const broken of [whole.slice(0, whole.length - 20), '\0garbage{']) {
      writeFileSync(cacheFile, broken);
      assert.deepEqual(build(), { reused: 0, hashed: files, cached: 2 }, 'still fully cached, its keys computed from the files');
      assert.equal((JSON.parse(readFileSync(cacheFile, 'utf8')) as { version: number }).version, 1);
      assert.deepEqual(build(), { reused: files, hashed: 0, cached: 2 });
    }
  });
});
