import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';
import { cgroupV2 } from './running-container.js';

describe('a Dockerfile cannot reach the host through berth build', () => {
  let store: Store;
  let context: string;
  let sentinel: string;
  before(() => {
    store = createStore({ withBusybox: true });
    context = mkdtempSync(join(tmpdir(), 'berth-build-attack-'));
    sentinel = mkdtempSync(join(tmpdir(), 'berth-sentinel-'));
    writeFileSync(join(sentinel, 'c'), ''); // an empty host file, like a lock file
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
    rmSync(sentinel, { recursive: true, force: true });
  });

  test('replacing a mount stub\'s parent with a symlink to the host does not make berth delete host files', () => {
    // /x/c is a cache mount target the runtime must create; the step swaps /x for a symlink to a
    // host directory holding an empty file named c, which berth's stub clean-up must not remove.
    writeFileSync(join(context, 'Dockerfile'), [
      `FROM ${busyboxImage}`,
      `RUN --mount=type=cache,target=/x/c sh -c 'mv /x /y && ln -s ${sentinel} /x && echo swapped'`,
      '',
    ].join('\n'));
    const r = store.berth(['build', '--progress', 'plain', '--no-cache', context]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.match(r.stderr, /swapped/, 'the step did replace /x with a symlink');
    assert.equal(existsSync(join(sentinel, 'c')), true, 'the host file survived');
  });

  test('RUN on the host network has no raw sockets', () => {
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nRUN grep CapEff /proc/self/status\n`);
    const host = store.berth(['build', '--progress', 'plain', '--no-cache', '--network', 'host', context]);
    assert.equal(host.code, 0, host.stderr.slice(-2000));
    const capEff = /CapEff:\s+([0-9a-f]+)/.exec(host.stderr)?.[1] ?? '';
    assert.equal((BigInt(`0x${capEff}`) >> 13n) & 1n, 0n, 'CAP_NET_RAW (bit 13) is dropped');
    const none = store.berth(['build', '--progress', 'plain', '--no-cache', '--network', 'none', context]);
    const capNone = /CapEff:\s+([0-9a-f]+)/.exec(none.stderr)?.[1] ?? '';
    assert.equal((BigInt(`0x${capNone}`) >> 13n) & 1n, 1n, 'with --network none the default set is kept');
  });

  test('RUN steps have a pids limit (4096 by default, --pids-limit) and memory accounting: a fork loop fails, the host survives', () => {
    // Before: pids.max was "max" in a step's cgroup, so a fork bomb in a Dockerfile took the host down.
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nRUN echo "pids=$(cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null) mem=$(cat /sys/fs/cgroup/memory/memory.usage_in_bytes /sys/fs/cgroup/memory.current 2>/dev/null)"\n`);
    const limits = store.berth(['build', '--progress', 'plain', '--no-cache', context]);
    assert.equal(limits.code, 0, limits.stderr.slice(-2000));
    assert.match(limits.stderr, /pids=4096 mem=[1-9]\d*/);
    // A bounded fork loop (64 sleepers), not a real bomb, past a limit of 32.
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nRUN i=0; while [ $i -lt 64 ]; do sleep 30 & i=$((i+1)); done; echo forked all\n`);
    const started = performance.now();
    const forks = store.berth(['build', '--progress', 'plain', '--no-cache', '--pids-limit', '32', context]);
    assert.equal(forks.code, 1, forks.stderr.slice(-2000));
    assert.match(forks.stderr, /can't fork/);
    assert.doesNotMatch(forks.stderr, /^#2 [\d.]+ forked all$/m);
    assert.ok(performance.now() - started < 20_000, 'the step ended with its shell, not after its sleepers');
    assert.equal(spawnSync('/bin/true').status, 0, 'the host still starts processes');
    assert.equal(store.berth(['build', '--pids-limit', '0', context]).code, 1, '--pids-limit 0 is refused');
  });

  test('--memory, --memory-swap, --cpu-quota, --cpu-shares, --cpuset-cpus, --shm-size and --ulimit limit every RUN step, as run\'s flags limit a container', () => {
    const cg = (v1: string, v2: string) => `$(cat /sys/fs/cgroup/${v1} 2>/dev/null || cat /sys/fs/cgroup/${v2})`;
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}
RUN echo "mem=${cg('memory/memory.limit_in_bytes', 'memory.max')} cpu=${cg('cpu/cpu.cfs_quota_us', 'cpu.max')} shares=${cg('cpu/cpu.shares', 'cpu.weight')} cpus=${cg('cpuset/cpuset.cpus', 'cpuset.cpus')} nofile=$(ulimit -n) shm=$(df -k /dev/shm | tail -1 | tr -s ' ' | cut -d' ' -f2)"
RUN echo second
`);
    const limited = store.berth(['build', '--progress', 'plain', '--no-cache', '--network', 'none', '-m', '64m', '--memory-swap', '128m', '--cpu-quota', '50000', '-c', '512',
      '--cpuset-cpus', '0', '--shm-size', '1m', '--ulimit', 'nofile=100:200', context]);
    assert.equal(limited.code, 0, limited.stderr.slice(-2000));
    const line = /mem=\S+ cpu=.+ shares=\S+ cpus=\S+ nofile=\S+ shm=\S+/.exec(limited.stderr)?.[0];
    assert.equal(line, cgroupV2 ? 'mem=67108864 cpu=50000 100000 shares=20 cpus=0 nofile=100 shm=1024' : 'mem=67108864 cpu=50000 shares=512 cpus=0 nofile=100 shm=1024');
    // Limits are not inputs of the steps' cache keys: the same build without them is cached.
    const plain = store.berth(['build', '--progress', 'plain', '--network', 'none', context]);
    assert.equal(plain.code, 0, plain.stderr.slice(-2000));
    assert.equal((plain.stderr.match(/CACHED/g) ?? []).length, 2, plain.stderr.slice(-2000));
    // Checked as a container's before anything runs, with dockerd's messages.
    for (const [flags, message] of [
      [['--memory-swap', '1g'], /You should always set the Memory limit when using Memoryswap limit/],
      [['--cpuset-cpus', '4095'], /Requested CPUs are not available - requested 4095/],
      [['--cpu-shares', '1'], /the allowed range is 2 to 262144/],
      [['--isolation', 'hyperv'], /--isolation hyperv is not supported by berth/],
      [['--squash'], /--squash is not supported by berth's builder: images keep their layers/],
      [['--security-opt', 'seccomp=unconfined'], /--security-opt is not supported by berth's builder/],
    ] as const) {
      const bad = store.berth(['build', '--no-cache', ...flags, context]);
      assert.notEqual(bad.code, 0, flags.join(' '));
      assert.match(bad.stderr, message, flags.join(' '));
      assert.doesNotMatch(bad.stderr, /#\d+ \[/, `${flags.join(' ')}: no step ran`);
    }
  });
});

describe('build secrets', () => {
  let store: Store;
  let context: string;
  before(() => {
    store = createStore({ withBusybox: true });
    context = mkdtempSync(join(tmpdir(), 'berth-build-secret-'));
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n`);
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
  });

  test('a secret from the environment reaches RUN and leaves no file behind', () => {
    const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith('berth-secrets-') || n.startsWith('berth-secret-'));
    const before = leftovers().length;
    const r = store.berth(['build', '--progress', 'plain', '--secret', 'id=tok,env=BERTH_TEST_TOKEN', context], { env: { BERTH_TEST_TOKEN: 'hunter2' } });
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.match(r.stderr, /hunter2/);
    assert.equal(leftovers().length, before);
  });

  test('a secret id that is not a plain name is refused', () => {
    const r = store.berth(['build', '--secret', 'id=../../etc/x,env=HOME', context]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--secret "id=\.\.\/\.\.\/etc\/x,env=HOME"/);
  });
});

describe('reproducible builds and the layer cache', () => {
  test('an earlier build without SOURCE_DATE_EPOCH does not leak its times into a reproducible one', () => {
    const context = mkdtempSync(join(tmpdir(), 'berth-build-epoch-'));
    const stores = [createStore({ withBusybox: true }), createStore({ withBusybox: true })];
    try {
      writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nCOPY data.txt /data.txt\nRUN touch /made\n`);
      writeFileSync(join(context, 'data.txt'), 'data\n');
      const [warm, clean] = stores as [Store, Store];
      const epoch = { SOURCE_DATE_EPOCH: '1700000000' };
      assert.equal(warm.berth(['build', '-q', '-t', 'r:1', context]).code, 0);
      const afterNormal = warm.berth(['build', '-q', '-t', 'r:1', context], { env: epoch }).stdout.trim();
      const fresh = clean.berth(['build', '-q', '-t', 'r:1', context], { env: epoch }).stdout.trim();
      assert.match(fresh, /^sha256:/);
      assert.equal(afterNormal, fresh);
    } finally {
      stores.forEach((s) => s.dispose());
      rmSync(context, { recursive: true, force: true });
    }
  });
});
