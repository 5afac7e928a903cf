import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('cgroup limits', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  const inspect = (name: string) => (JSON.parse(store.berth(['inspect', name]).stdout) as {
    State: { ExitCode: number; OOMKilled: boolean };
    HostConfig: { Memory: number };
  }[])[0]!;

  test('--memory 32m: a memory hog is OOM-killed, exit 137, and the record says so', () => {
    const r = store.berth(['run', '--name', 'hog', '--memory', '32m', busyboxImage, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
    assert.equal(r.code, 137, r.stderr);
    const state = inspect('hog');
    assert.equal(state.State.ExitCode, 137);
    assert.equal(state.State.OOMKilled, true);
    assert.equal(state.HostConfig.Memory, 32 * 1024 * 1024);
    // A container that merely exits 137 by itself is not reported as OOM-killed (Mutation seen
    // red: oomKilled taken from the exit code alone). PID 1 ignores its own SIGKILL, so it exits.
    const plain = store.berth(['run', '--name', 'not-hog', '--memory', '32m', busyboxImage, 'sh', '-c', 'exit 137']);
    assert.equal(plain.code, 137, plain.stderr);
    assert.deepEqual([inspect('not-hog').State.ExitCode, inspect('not-hog').State.OOMKilled], [137, false]);
  });

  test('--pids-limit 32 contains a fork bomb and the host stays responsive', async () => {
    const child = store.spawnBerth(['run', '--rm', '--pids-limit', '32', busyboxImage, 'sh', '-c', 'trap "exit 143" TERM; bomb() { bomb | bomb & }; bomb; while :; do :; done']);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until the bomb has hit the container's pids limit (its shell says it cannot fork).
    const hitLimit = () => /can't fork|Resource temporarily unavailable/.test(stderr);
    for (let i = 0; i < 800 && !hitLimit(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(hitLimit(), `the bomb reached the limit: ${stderr}`);
    // While the bomb runs the host still starts processes promptly.
    const started = performance.now();
    for (let i = 0; i < 5; i++) assert.equal(spawnSync('/bin/true').status, 0);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `5 host processes took ${elapsed.toFixed(0)} ms`);
    const scopes = spawnSync('sh', ['-c', 'cat /sys/fs/cgroup/pids/berth/*/ctr/pids.max /sys/fs/cgroup/berth/*/ctr/pids.max 2>/dev/null']).stdout.toString();
    assert.match(scopes, /^32$/m, 'the container cgroup has pids.max 32');
    // berth passes the signal on to the container, which stops (as `docker run` proxies signals).
    const closed = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    child.kill('SIGTERM');
    assert.equal(await closed, 143, stderr);
    assert.match(stderr, /can't fork|Resource temporarily unavailable/);
  });

  test('--cpus 0.5 throttles a busy loop to about half a CPU', () => {
    const usage = (cpus: string[]) => {
      const r = store.berth(['run', '--rm', ...cpus, busyboxImage, 'sh', '-c',
        'timeout 2 sh -c "while :; do :; done"; cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || grep usage_usec /sys/fs/cgroup/cpu.stat']);
      assert.equal(r.code, 0, r.stderr);
      const text = r.stdout.trim();
      return text.startsWith('usage_usec') ? Number(text.split(' ')[1]) / 1e6 : Number(text) / 1e9;
    };
    const throttled = usage(['--cpus', '0.5']);
    assert.ok(throttled < 1.3, `with --cpus 0.5 a 2 s busy loop used ${throttled.toFixed(2)} s of CPU`);
    assert.ok(throttled > 0.4, `the loop ran at all (${throttled.toFixed(2)} s)`);
  });

  test('--cpu-quota per --cpu-period is the same limit as --cpus; Docker\'s conflicts and bounds are refused', () => {
    // The container's own view of its limit: cpu.max on cgroup v2, the CFS files on v1.
    const limit = (flags: string[]) => {
      const r = store.berth(['run', '--rm', '--network', 'none', ...flags, busyboxImage, 'sh', '-c',
        'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)']);
      assert.equal(r.code, 0, r.stderr);
      const [quota, period] = r.stdout.trim().split(' ').map(Number);
      return quota! / period!;
    };
    assert.equal(limit(['--cpu-quota', '25000', '--cpu-period', '50000']), 0.5);
    assert.equal(limit(['--cpu-quota', '150000']), 1.5, 'the default period is 100 ms');
    for (const [flags, message] of [
      [['--cpus', '1', '--cpu-quota', '50000'], /Conflicting options: Nano CPUs and CPU Period\/Quota cannot both be set/],
      [['--cpu-quota', '500'], /CPU cfs quota can not be less than 1ms/],
      [['--cpu-quota', '50000', '--cpu-period', '500'], /CPU cfs period can not be less than 1ms/],
      [['--cpu-period', '50000'], /--cpu-period is not supported by berth: a CFS period without a quota/],
      [['--cpu-quota', 'lots'], /invalid argument "lots" for "--cpu-quota" flag/],
    ] as const) {
      const r = store.berth(['run', '--rm', ...flags, busyboxImage, 'true']);
      assert.equal(r.code, 125, flags.join(' '));
      assert.match(r.stderr, message, flags.join(' '));
    }
  });
});
