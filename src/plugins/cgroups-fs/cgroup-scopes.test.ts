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

test('cgroup v2: processes (nested cgroups included), stats from cpu.stat/memory/io.stat/pids, frozen from cgroup.events', (t) => {
  const root = tree(t);
  const ctr = join(root, 'berth', idA, 'ctr');
  mkdirSync(join(ctr, 'sub'), { recursive: true });
  writeFileSync(join(ctr, 'cgroup.procs'), '42\n7\n');
  writeFileSync(join(ctr, 'sub', 'cgroup.procs'), '99\n');
  writeFileSync(join(ctr, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
  writeFileSync(join(ctr, 'memory.current'), '1048576\n');
  writeFileSync(join(ctr, 'memory.max'), 'max\n');
  writeFileSync(join(ctr, 'memory.stat'), 'anon 100\nfile 200\ninactive_file 4096\nactive_file 0\n');
  writeFileSync(join(ctr, 'pids.current'), '3\n');
  writeFileSync(join(ctr, 'io.stat'), '8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n');
  writeFileSync(join(ctr, 'cgroup.events'), 'populated 1\nfrozen 1\n');
  const scopes = createCgroupScopes('berth', { root, unified: true });
  assert.deepEqual(scopes.processes(idA), [7, 42, 99]);
  assert.deepEqual(scopes.processes(idB), [], 'no cgroup: no processes');
  assert.deepEqual(scopes.stats(idA), {
    cpuUsageNs: 1_500_000, memoryUsage: 1048576, memoryInactiveFile: 4096, memoryLimit: undefined, pids: 3, blockRead: 101, blockWrite: 202,
  });
  assert.equal(scopes.stats(idB), undefined);
  assert.equal(scopes.frozen(idA), true);
  writeFileSync(join(ctr, 'memory.max'), '67108864\n');
  writeFileSync(join(ctr, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  assert.equal(scopes.stats(idA)?.memoryLimit, 67108864);
  assert.equal(scopes.frozen(idA), false);
});

test('cgroup v1: processes from the pids hierarchy, stats from each controller\'s files, frozen from freezer.state', (t) => {
  const root = tree(t);
  const dir = (c: string) => join(root, c, 'berth', idA, 'ctr');
  for (const c of ['pids', 'memory', 'cpuacct', 'blkio', 'freezer']) mkdirSync(dir(c), { recursive: true });
  writeFileSync(join(dir('pids'), 'cgroup.procs'), '5\n');
  writeFileSync(join(dir('pids'), 'pids.current'), '1\n');
  writeFileSync(join(dir('cpuacct'), 'cpuacct.usage'), '123456789\n');
  writeFileSync(join(dir('memory'), 'memory.usage_in_bytes'), '8192\n');
  writeFileSync(join(dir('memory'), 'memory.limit_in_bytes'), '9223372036854771712\n');
  writeFileSync(join(dir('memory'), 'memory.stat'), 'cache 0\ninactive_file 10\ntotal_inactive_file 4096\n');
  writeFileSync(join(dir('blkio'), 'blkio.throttle.io_service_bytes_recursive'), '8:0 Read 512\n8:0 Write 1024\n8:0 Sync 0\n8:0 Total 1536\nTotal 1536\n');
  writeFileSync(join(dir('freezer'), 'freezer.state'), 'FREEZING\n');
  const scopes = createCgroupScopes('berth', { root, unified: false });
  assert.deepEqual(scopes.processes(idA), [5]);
  assert.deepEqual(scopes.stats(idA), {
    cpuUsageNs: 123456789, memoryUsage: 8192, memoryInactiveFile: 4096, memoryLimit: undefined, pids: 1, blockRead: 512, blockWrite: 1024,
  });
  assert.equal(scopes.frozen(idA), false, 'FREEZING is not frozen yet');
  writeFileSync(join(dir('freezer'), 'freezer.state'), 'FROZEN\n');
  assert.equal(scopes.frozen(idA), true);
});

test('features: v2 has block I/O with the io controller and never swappiness or the OOM switch; v1 has what its files say', (t) => {
  const v2 = tree(t);
  writeFileSync(join(v2, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  assert.deepEqual(createCgroupScopes('berth', { root: v2, unified: true }).features(), {
    version: 2, memorySwappiness: false, oomKillDisable: false, blkioWeight: true, blkioWeightDevice: true, blkioThrottle: true,
  });
  const noIo = tree(t);
  writeFileSync(join(noIo, 'cgroup.controllers'), 'cpu memory pids\n');
  assert.equal(createCgroupScopes('berth', { root: noIo, unified: true }).features().blkioThrottle, false);

  // This machine kind's v1 layout: throttling, no CFQ weight files; then BFQ's weight files.
  const v1 = tree(t);
  mkdirSync(join(v1, 'memory'));
  mkdirSync(join(v1, 'blkio'));
  for (const f of ['memory/memory.swappiness', 'memory/memory.oom_control', 'blkio/blkio.throttle.read_bps_device']) writeFileSync(join(v1, f), '');
  assert.deepEqual(createCgroupScopes('berth', { root: v1, unified: false }).features(), {
    version: 1, memorySwappiness: true, oomKillDisable: true, blkioWeight: false, blkioWeightDevice: false, blkioThrottle: true,
  });
  for (const f of ['blkio/blkio.bfq.weight', 'blkio/blkio.bfq.weight_device']) writeFileSync(join(v1, f), '');
  const bfq = createCgroupScopes('berth', { root: v1, unified: false }).features();
  assert.deepEqual([bfq.blkioWeight, bfq.blkioWeightDevice], [true, true]);
});
