import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';

const stateDir = (root: string) => join('/run/berth', createHash('sha256').update(root).digest('hex').slice(0, 12));

describe('the store root however it is spelled', () => {
  let store: Store;
  let links: string;
  before(() => {
    store = createStore({ withBusybox: true });
    links = mkdtempSync(join(tmpdir(), 'berth-links-'));
  });
  after(() => {
    store.dispose();
    rmSync(links, { recursive: true, force: true });
  });

  const berthIn = (cwd: string, args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(berthBin, args, { cwd, env: { ...process.env, BERTH_ROOT: '', ...env }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stderr: r.stderr };
  };

  test('a relative --root or BERTH_ROOT runs containers', () => {
    const rel = `./${basename(store.root)}`;
    let r = berthIn(dirname(store.root), ['--root', rel, 'run', '--rm', busyboxImage, 'true']);
    assert.equal(r.code, 0, r.stderr);
    r = berthIn(dirname(store.root), ['run', '--rm', busyboxImage, 'true'], { BERTH_ROOT: `${basename(store.root)}/` });
    assert.equal(r.code, 0, r.stderr);
  });

  test('a symlink to the root uses the same runtime state directory', () => {
    const link = join(links, 'store');
    symlinkSync(store.root, link);
    const r = berthIn(links, ['--root', link, 'run', '--rm', '--runtime', 'crun', busyboxImage, 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(stateDir(store.root)), true);
    assert.equal(existsSync(stateDir(link)), false);
  });
});
