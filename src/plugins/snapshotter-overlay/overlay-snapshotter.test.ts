import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { snapshotterSuite } from '../../core/snapshots/testsuite/index.js';
import { createOverlaySnapshotter } from './overlay-snapshotter.js';

snapshotterSuite('overlay', createOverlaySnapshotter);

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-overlay-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('leftovers of crashes are orphans that cleanup removes, and never hide live snapshots', async (t) => {
  const root = tempRoot(t);
  const snapshots = createOverlaySnapshotter(root);
  await snapshots.prepare('extract', undefined);
  await snapshots.commit('layer', 'extract');
  await snapshots.prepare('container', 'layer');
  // Crashes: before the record was written, after it but before the key link, during a removal.
  mkdirSync(join(root, 'abcd0001', 'fs'), { recursive: true });
  mkdirSync(join(root, 'abcd0002', 'fs'), { recursive: true });
  writeFileSync(join(root, 'abcd0002', 'info.json'), JSON.stringify({ key: 'half', kind: 'active', created: 1, labels: {} }));
  mkdirSync(join(root, '.removing-abcd0003', 'fs'), { recursive: true });
  writeFileSync(join(root, 'keys', '.tmp-x-1234'), '');
  // A crash in commit after linking the new name: the link points at a record with another key.
  symlinkSync((await snapshots.upperDir('container')).split('/').at(-2) ?? '', join(root, 'keys', 'committed-name'));
  const expected = ['.removing-abcd0003', 'abcd0001', 'abcd0002'].map((n) => join(root, n));
  assert.deepEqual((await snapshots.orphans()).sort(), expected);
  assert.equal(await snapshots.exists('committed-name'), false);
  assert.deepEqual((await snapshots.walk()).map((s) => s.key).sort(), ['container', 'layer']);
  assert.equal(await snapshots.cleanup(), 3);
  assert.deepEqual(await snapshots.orphans(), []);
  assert.equal(existsSync(join(root, 'keys', '.tmp-x-1234')), false, 'cleanup removes temporary files');
  await snapshots.commit('committed-name', 'container');
  assert.equal((await snapshots.stat('committed-name')).kind, 'committed');
  assert.ok(existsSync(await snapshots.upperDir('layer')));
});

test('directory ids are short, so a deep lowerdir list stays short', async (t) => {
  const root = tempRoot(t);
  const snapshots = createOverlaySnapshotter(root);
  await snapshots.prepare('extract', undefined);
  await snapshots.commit(`sha256:${'a'.repeat(64)}`, 'extract');
  const id = (await snapshots.upperDir(`sha256:${'a'.repeat(64)}`)).slice(root.length + 1, -'/fs'.length);
  assert.match(id, /^[0-9a-f]{8}$/);
  assert.deepEqual(readdirSync(root).sort(), [id, 'format', 'keys', 'lock'].sort());
});

/** Runs `body` in a new node process with `snapshots` open on `root`, all starting at `startAt`. */
function child(root: string, startAt: number, body: string): Promise<string> {
  const script = `const { createOverlaySnapshotter } = await import(${JSON.stringify(new URL('./overlay-snapshotter.js', import.meta.url).href)});
    const snapshots = createOverlaySnapshotter(${JSON.stringify(root)});
    while (Date.now() < ${startAt});
    ${body}`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => proc.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`)))));
}

test('two processes preparing, committing and removing on one root: each key has one winner, nothing leaks', async (t) => {
  const root = tempRoot(t);
  const snapshots = createOverlaySnapshotter(root);
  await snapshots.prepare('extract', undefined);
  await snapshots.commit('base', 'extract');
  const body = `const won = [];
    for (let i = 0; i < 30; i++) {
      try { await snapshots.prepare('shared-' + i, 'base'); won.push(true); }
      catch (err) { if (err.code !== 'BERTH_E_SNAPSHOT_EXISTS') throw err; won.push(false); }
      await snapshots.prepare('own-' + process.pid + '-' + i, 'base');
      await snapshots.commit('layer-' + process.pid + '-' + i, 'own-' + process.pid + '-' + i);
      await snapshots.remove('layer-' + process.pid + '-' + i);
    }
    process.stdout.write(JSON.stringify(won));`;
  const startAt = Date.now() + 500;
  const [a, b] = (await Promise.all([child(root, startAt, body), child(root, startAt, body)])).map((out) => JSON.parse(out) as boolean[]);
  for (let i = 0; i < 30; i++) assert.notEqual(a?.[i], b?.[i], `shared-${i} has exactly one winner`);
  assert.equal((await snapshots.walk()).length, 31);
  assert.deepEqual(await snapshots.orphans(), []);
});

test('processes killed in the middle of changes leave a consistent root that cleanup tidies', async (t) => {
  const root = tempRoot(t);
  const snapshots = createOverlaySnapshotter(root);
  await snapshots.prepare('extract', undefined);
  await snapshots.commit('base', 'extract');
  for (let round = 0; round < 4; round++) {
    const body = `for (let i = 0; ; i++) {
      if (i === 8) process.stdout.write('working\\n');
      const k = 'r${round}-' + (i % 6);
      if (await snapshots.exists('layer-' + k)) await snapshots.remove('layer-' + k);
      else { await snapshots.prepare(k, 'base'); await snapshots.commit('layer-' + k, k); }
    }`;
    const proc = spawn(process.execPath, ['--input-type=module', '-e', `const { createOverlaySnapshotter } = await import(${JSON.stringify(new URL('./overlay-snapshotter.js', import.meta.url).href)});
      const snapshots = createOverlaySnapshotter(${JSON.stringify(root)}); ${body}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    // Killed once it is in the middle of its work (it says so), at a different point each round.
    await new Promise<void>((resolve, reject) => {
      proc.stdout.once('data', () => resolve());
      proc.once('exit', (code) => reject(new Error(`the snapshotter child exited (${code ?? 'signal'})`)));
    });
    await new Promise((resolve) => setTimeout(resolve, round * 7));
    assert.equal(proc.exitCode, null, 'the child was still working when killed');
    proc.kill('SIGKILL');
    await exited;
  }
  await snapshots.cleanup();
  assert.deepEqual(await snapshots.orphans(), []);
  for (const info of await snapshots.walk()) {
    assert.ok(existsSync(await snapshots.upperDir(info.key)), `"${info.key}" has its directory`);
    if (info.parent !== undefined) assert.equal(await snapshots.exists(info.parent), true);
    await snapshots.mounts(info.key);
    if (info.kind === 'active') await snapshots.commit(`after-${info.key}`, info.key);
  }
  await snapshots.prepare('r0-0', 'base');
});

test('directories: every snapshot\'s directory and the orphans; a committed one remembers its du -sb size, record included', async (t) => {
  const root = tempRoot(t);
  const snapshots = createOverlaySnapshotter(root);
  await snapshots.prepare('extract', undefined);
  writeFileSync(join(await snapshots.upperDir('extract'), 'file'), 'x'.repeat(5000));
  await snapshots.commit('layer', 'extract');
  await snapshots.prepare('container', 'layer');
  mkdirSync(join(root, 'abcd0001', 'fs'), { recursive: true });
  const { snapshots: dirs, orphans } = await snapshots.directories();
  assert.deepEqual([...dirs.keys()].sort(), ['container', 'layer']);
  assert.deepEqual(orphans, [join(root, 'abcd0001')]);
  const layer = dirs.get('layer');
  assert.equal(layer?.kind, 'committed');
  assert.equal(layer.usage, undefined);
  // du -sb of the directory, as system df measures it: the record grows by the size it holds, and that is counted.
  const du = (dir: string) => Number(spawnSync('du', ['-sb', dir]).stdout.toString().split('\t')[0]);
  await snapshots.rememberUsage('layer', du(layer.dir));
  await snapshots.rememberUsage('container', 123);
  const again = (await snapshots.directories()).snapshots;
  assert.equal(again.get('layer')?.usage, du(layer.dir));
  assert.equal(again.get('container')?.usage, undefined, 'an active snapshot changes: nothing is remembered');
  await snapshots.rememberUsage('layer', 1);
  assert.equal((await snapshots.directories()).snapshots.get('layer')?.usage, du(layer.dir), 'measured once');
  await snapshots.rememberUsage('gone', 1);
});
