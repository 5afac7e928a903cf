/**
 * The CVE-2018-15664 class for COPY: a process in the root swaps the destination directory for a
 * symlink to a host directory in a tight loop while berth writes into it. Nothing may ever land
 * in the host directory; each write either lands inside the root or fails with a BerthError.
 *
 * Seen red: with the old writer (secureJoin, then mkdir/open by path; mutation: `git show
 * 9f118f5:src/builder/copy-files.ts > src/builder/copy-files.ts`), both tests failed in each of
 * four runs: files landed in the host directory within 1 to 5 writes, or a lost race surfaced as a
 * plain ENOENT (an internal error). The swapper uses renames only, so `d` is always either the
 * real directory, the symlink, or briefly absent. BERTH_RACE_MS lengthens the race on demand.
 * A second mutation, RESOLVE_IN_ROOT dropped from openInRoot (native/berth_sys.c), made the
 * inline-file test red within one write (the tree test walks components and stayed green).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BerthError } from '../base/index.js';
import type { SourceRoot } from './context-sources.js';
import type { CopyTarget } from './copy-files.js';
import { copyEntry, writeInlineFile } from './copy-files.js';

/** How long each test races: long enough that the old writer leaked every time (it leaked within ~0.3 s). */
const raceMs = Number(process.env.BERTH_RACE_MS ?? 3000);

/** Swaps `root/d` between a real directory and a symlink to `host`, with renames, until killed. */
const swapper = `
const { renameSync, symlinkSync } = require('node:fs');
const [root, host] = process.argv.slice(1);
const d = root + '/d', real = root + '/real', link = root + '/link';
symlinkSync(host, link);
process.stdout.write('ready\\n');
for (;;) {
  try { renameSync(d, real); } catch {}
  try { renameSync(link, d); } catch {}
  try { renameSync(d, link); } catch {}
  try { renameSync(real, d); } catch {}
}`;

function startSwapper(root: string, host: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', swapper, root, host], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', () => resolve(child));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Regular files anywhere under `dir`, not following symlinks. */
function countFiles(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) n += countFiles(join(dir, name));
    else if (st.isFile()) n++;
  }
  return n;
}

describe('COPY onto a symlink', () => {
  test('a final symlink is resolved inside the root, as the old path-based writer did', async () => {
    const base = mkdtempSync(join(tmpdir(), 'berth-copy-link-'));
    try {
      const root = join(base, 'root');
      mkdirSync(join(root, 'etc'), { recursive: true });
      symlinkSync('/etc/x', join(root, 'ln'));
      await Promise.resolve(writeInlineFile('unused', 'inline\n', { rootfs: root, dest: '/ln', destIsDir: false, uid: 0, gid: 0 }));
      assert.equal(readFileSync(join(root, 'etc', 'x'), 'utf8'), 'inline\n');
      assert.equal(lstatSync(join(root, 'ln')).isSymbolicLink(), true);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('COPY into a directory another process swaps for a symlink', { concurrency: false }, () => {
  let work: string;
  let n = 0;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-copy-race-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A fresh root with /d, and an empty host directory outside it. */
  function setup(): { root: string; host: string } {
    const base = join(work, `t${n++}`);
    const root = join(base, 'root');
    const host = join(base, 'host');
    mkdirSync(join(root, 'd'), { recursive: true });
    mkdirSync(host);
    return { root, host };
  }

  /** Runs `write` in a loop while the swapper runs; returns how many writes succeeded. */
  async function race(root: string, host: string, write: (i: number) => Promise<void>): Promise<number> {
    const child = await startSwapper(root, host);
    let ok = 0;
    const failures = new Map<string, number>();
    const internal: unknown[] = [];
    try {
      const end = Date.now() + raceMs;
      for (let i = 0; Date.now() < end; i++) {
        try {
          await write(i);
          ok++;
        } catch (err) {
          // Losing the race is allowed as a BerthError; an internal error (a plain Node error) is not.
          if (err instanceof BerthError) failures.set(err.code, (failures.get(err.code) ?? 0) + 1);
          else internal.push(err);
        }
        assert.deepEqual(readdirSync(host), [], `a write landed in the host directory (after ${i + 1} writes)`);
      }
    } finally {
      await stop(child);
    }
    assert.deepEqual(readdirSync(host), []);
    assert.deepEqual(internal, [], 'a lost race must be a BerthError');
    assert.ok(ok > 0, `no write succeeded: ${JSON.stringify([...failures])}`);
    return ok;
  }

  test('inline files (COPY <<EOF /d/) never land outside the root', async () => {
    const { root, host } = setup();
    const ok = await race(root, host, async (i) => {
      const target: CopyTarget = { rootfs: root, dest: '/d/', destIsDir: true, uid: 0, gid: 0 };
      await Promise.resolve(writeInlineFile(`f${i}`, 'data\n', target));
    });
    // What succeeded is inside the root: in the real directory or where the symlink resolves inside it.
    assert.ok(countFiles(root) >= ok);
  });

  test('a copied directory tree never lands outside the root', async () => {
    const { root, host } = setup();
    const ctx = join(work, `ctx${n++}`);
    mkdirSync(join(ctx, 'src', 'sub'), { recursive: true });
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(ctx, 'src', `a${i}`), 'a');
      writeFileSync(join(ctx, 'src', 'sub', `b${i}`), 'b');
    }
    const source: SourceRoot = { dir: ctx, isContext: true, description: 'build context' };
    const entry = { rel: 'src', abs: join(ctx, 'src'), st: lstatSync(join(ctx, 'src')) };
    await race(root, host, async (i) => {
      await copyEntry(source, entry, { rootfs: root, dest: `/d/c${i}`, destIsDir: true, uid: 0, gid: 0 });
    });
  });
});
