/**
 * The scope logic on both cgroup layouts, on directory trees shaped like them: this machine kind
 * is a cgroup v1 (hybrid) host, so without this the v2 paths (memory.events, one unified tree)
 * would run only on real v2 hosts. The real hierarchies are exercised by the end-to-end tests.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { createCgroupScopes } from './cgroup-scopes.js';

const idA = 'a'.repeat(64);
const idB = 'b'.repeat(64);

function tree(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cgroup-tree-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('cgroup v2: one tree; the scope\'s memory.events says whether the OOM killer struck; removal takes ctr and the scope', (t) => {
  const root = tree(t);
  for (const [id, kills] of [[idA, 1], [idB, 0]] as const) {
    mkdirSync(join(root, 'berth', id, 'ctr'), { recursive: true });
    writeFileSync(join(root, 'berth', id, 'memory.events'), `low 0\nhigh 0\nmax 3\noom 1\noom_kill ${kills}\noom_group_kill 0\n`);
  }
  mkdirSync(join(root, 'berth', 'not-a-container'));
  const scopes = createCgroupScopes('berth', { root, unified: true });
  assert.equal(scopes.containerPath(idA), `/berth/${idA}/ctr`);
  assert.deepEqual(scopes.list(), [join(root, 'berth', idA), join(root, 'berth', idB)]);
  assert.equal(scopes.oomKilled(idA), true);
  assert.equal(scopes.oomKilled(idB), false);
  assert.equal(scopes.oomKilled('c'.repeat(64)), false, 'no scope: no OOM record');
  rmSync(join(root, 'berth', idA, 'memory.events')); // a real cgroup directory has only virtual files
  scopes.remove(idA);
  assert.equal(existsSync(join(root, 'berth', idA)), false);
  assert.deepEqual(scopes.list(), [join(root, 'berth', idB)]);
  scopes.remove(idA); // already gone: no error
});

test('cgroup v1: a scope per controller hierarchy; memory.oom_control counts the kills', (t) => {
  const root = tree(t);
  for (const controller of ['memory', 'pids', 'cpu,cpuacct']) mkdirSync(join(root, controller, 'berth', idA, 'ctr'), { recursive: true });
  writeFileSync(join(root, 'memory', 'berth', idA, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  const scopes = createCgroupScopes('berth', { root, unified: false });
  assert.deepEqual(scopes.list(), ['cpu,cpuacct', 'memory', 'pids'].map((c) => join(root, c, 'berth', idA)));
  assert.equal(scopes.oomKilled(idA), true);
  rmSync(join(root, 'memory', 'berth', idA, 'memory.oom_control'));
  scopes.remove(idA);
  for (const controller of ['memory', 'pids', 'cpu,cpuacct']) assert.equal(existsSync(join(root, controller, 'berth', idA)), false, controller);
});
