import assert from 'node:assert/strict';
import { test } from 'node:test';

import { goFileMode, pathStatHeader } from './path-stat-view.js';
import { statsJson } from './stats-view.js';
import type { StatsSample } from './engine.js';

test('goFileMode: st_mode as Go\'s os.FileMode (what dockerd puts in the archive stat header)', () => {
  assert.equal(goFileMode(0o040755), 2147484141); // dockerd 20.10's answer for a 0755 directory
  assert.equal(goFileMode(0o100644), 0o644);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o020666), 2 ** 26 + 2 ** 21 + 0o666);
  assert.equal(goFileMode(0o060660), 2 ** 26 + 0o660);
  assert.equal(goFileMode(0o010644), 2 ** 25 + 0o644);
  assert.equal(goFileMode(0o140755), 2 ** 24 + 0o755);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o102755), 2 ** 22 + 0o755);
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777);
  const header = JSON.parse(Buffer.from(pathStatHeader({ name: 'd', size: 4096, mode: 0o040755, mtimeMs: 1_700_000_000_123, linkTarget: '' }), 'base64').toString()) as unknown;
  assert.deepEqual(header, { name: 'd', size: 4096, mode: 2147484141, mtime: '2023-11-14T22:13:20.123Z', linkTarget: '' });
});

test('statsJson: the memory counter the docker CLI subtracts is named after the cgroup version', () => {
  const sample = (cpu: number, at: number): StatsSample => ({
    id: 'c'.repeat(64), name: 'web', running: true, readAt: at, systemCpuNs: cpu * 10, onlineCpus: 2, hostMemory: 8 << 30,
    cgroup: { cpuUsageNs: cpu, memoryUsage: 1000, memoryInactiveFile: 100, memoryLimit: undefined, pids: 3, blockRead: 5, blockWrite: 7 },
  });
  const v1 = statsJson(sample(1, 1000), sample(2, 2000), '1');
  assert.deepEqual(v1.memory_stats, { usage: 1000, stats: { total_inactive_file: 100, inactive_file: 100 }, limit: 8 << 30 });
  assert.deepEqual(v1.blkio_stats.io_service_bytes_recursive, [{ major: 0, minor: 0, op: 'Read', value: 5 }, { major: 0, minor: 0, op: 'Write', value: 7 }]);
  assert.equal(v1.preread, new Date(1000).toISOString());
  assert.equal(v1.precpu_stats.cpu_usage.total_usage, 1);
  const v2 = statsJson(undefined, sample(2, 2000), '2');
  assert.deepEqual(v2.memory_stats.stats, { inactive_file: 100 });
  assert.equal(v2.preread, '0001-01-01T00:00:00Z');
  assert.equal(v2.precpu_stats.cpu_usage.total_usage, 0);
  assert.equal('networks' in v2, false);
  const stopped = statsJson(undefined, { id: 'c'.repeat(64), name: 'web', running: false, readAt: 0, systemCpuNs: 0, onlineCpus: 2, hostMemory: 1 }, '2');
  assert.deepEqual([stopped.read, stopped.memory_stats, stopped.pids_stats, stopped.name], ['0001-01-01T00:00:00Z', {}, {}, '/web']);
});
