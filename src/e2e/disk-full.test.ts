/**
 * A full disk (ENOSPC) is a condition, not a crash: a RUN step that fills the store's filesystem,
 * a COPY and an import larger than the free space each fail with BERTH_E_NO_SPACE naming what
 * was being written, print no stack, and leave the store as it was (no ingest, no build-tmp, no
 * step snapshot, the space given back). The store root is a 12 MiB tmpfs.
 * On the code before this test, RUN crashed with an unhandled 'error' event on a tar entry
 * stream (leaving the disk full) and COPY/import printed `internal error: ENOSPC` and a stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, busyboxRootfsTar, createStore } from './harness.js';

describe('a full disk', () => {
  let store: Store;
  let work: string;
  let baseline: number;
  const used = () => {
    const st = statfsSync(store.root);
    return (st.blocks - st.bfree) * st.bsize;
  };
  const listing = (dir: string) => {
    try {
      return readdirSync(join(store.root, dir));
    } catch {
      return [];
    }
  };

  before(() => {
    store = createStore({ timeoutMs: 120_000 });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', store.root]);
    assert.equal(mounted.status, 0, mounted.stderr.toString());
    const r = store.berth(['import', '-', busyboxImage], { input: busyboxRootfsTar() });
    assert.equal(r.code, 0, r.stderr);
    work = mkdtempSync(join(tmpdir(), 'berth-enospc-'));
    // Unpack the base once so that the baseline holds its snapshot.
    writeFileSync(join(work, 'Dockerfile'), `FROM ${busyboxImage}\nRUN true\n`);
    assert.equal(store.berth(['build', '-q', work]).code, 0);
    baseline = used();
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  function assertCleanFailure(r: { code: number; stderr: string }): void {
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at |Emitted 'error'/);
    assert.deepEqual(listing('content/ingest'), []);
    assert.deepEqual(listing('build-tmp'), []);
    assert.deepEqual(listing('build-mounts'), []);
    // tmpfs frees pages at once: what the failed work wrote is gone.
    assert.ok(used() <= baseline + 64 * 1024, `used ${used()} > baseline ${baseline}`);
  }

  test('a RUN step that fills it fails with NO_SPACE and gives the space back', () => {
    writeFileSync(join(work, 'Dockerfile'), `FROM ${busyboxImage}\nRUN dd if=/dev/zero of=/big bs=1M count=5 2>/dev/null; true\n`);
    const r = store.berth(['build', work], { env: { BERTH_DEBUG: '1' } });
    assert.match(r.stderr, /BERTH_E_NO_SPACE/);
    assertCleanFailure(store.berth(['build', work]));
  });

  test('a COPY larger than the free space fails with NO_SPACE', () => {
    writeFileSync(join(work, 'big'), Buffer.alloc(10 << 20, 7));
    writeFileSync(join(work, 'Dockerfile'), `FROM ${busyboxImage}\nCOPY big /d/\n`);
    const r = store.berth(['build', work], { env: { BERTH_DEBUG: '1' } });
    assert.match(r.stderr, /BERTH_E_NO_SPACE/);
    assertCleanFailure(store.berth(['build', work]));
    rmSync(join(work, 'big'));
  });

  test('an import larger than the free space fails with NO_SPACE', () => {
    const dir = join(work, 'imp');
    mkdirSync(dir);
    writeFileSync(join(dir, 'blob'), Buffer.alloc(10 << 20, 9));
    const tarball = spawnSync('tar', ['-C', dir, '-c', 'blob'], { maxBuffer: 64 << 20 }).stdout;
    const r = store.berth(['import', '-', 'big:1'], { input: tarball, env: { BERTH_DEBUG: '1' } });
    assert.match(r.stderr, /BERTH_E_NO_SPACE/);
    assertCleanFailure(store.berth(['import', '-', 'big:1'], { input: tarball }));
  });
});
