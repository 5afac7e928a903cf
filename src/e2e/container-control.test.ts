import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';
import { cgroupV2, cgroupValue, runInBackground } from './running-container.js';

interface Inspected {
  Id: string;
  Name: string;
  State: { Status: string; Paused: boolean; Running: boolean };
  HostConfig: Record<string, unknown>;
}

const statsHeader = /^CONTAINER ID {3}NAME {6,}CPU % {5}MEM USAGE \/ LIMIT {3}MEM % {5}NET I\/O {3,}BLOCK I\/O {3}PIDS$/;

// Commands on running containers (issue 9): pause/unpause, rename, update, top, stats — against a
// real container run by a foreground `berth run` in the background.
describe('container control', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  const inspect = (ref: string) => (JSON.parse(store.berth(['inspect', ref]).stdout) as Inspected[])[0]!;
  const cpuPercent = (ref: string) => {
    const r = store.berth(['stats', '--no-stream', '--format', '{{.CPUPerc}}', ref]);
    assert.equal(r.code, 0, r.stderr);
    return Number(r.stdout.trim().replace('%', ''));
  };
  const frozen = (id: string) => (cgroupV2 ? cgroupValue(id, ['', ''], 'cgroup.freeze') === '1' : cgroupValue(id, ['freezer', 'freezer.state'], '') === 'FROZEN');

  test('pause freezes the processes (no CPU used, ps says Paused), unpause thaws them; wrong states are refused', async () => {
    const busy = await runInBackground(store, 'busy', ['--cpus', '0.5', busyboxImage, 'sh', '-c', 'while :; do :; done']);
    try {
      assert.ok(cpuPercent('busy') > 20, 'the loop runs');
      assert.equal(store.berth(['pause', 'busy']).stdout, 'busy\n');
      assert.equal(frozen(busy.id), true, cgroupValue(busy.id, ['freezer', 'freezer.state'], 'cgroup.freeze'));
      assert.equal(cpuPercent('busy'), 0);
      assert.match(store.berth(['ps', '--format', '{{.Names}} {{.Status}}']).stdout, /^busy Up \d+ seconds? \(Paused\)$/m);
      const paused = inspect('busy').State;
      assert.deepEqual([paused.Status, paused.Paused, paused.Running], ['paused', true, false]);
      const again = store.berth(['pause', 'busy']);
      assert.equal(again.code, 1);
      assert.equal(again.stderr, `Error response from daemon: Container ${busy.id} is already paused\n`);
      // top still lists a paused container's processes (Docker too).
      assert.match(store.berth(['top', 'busy']).stdout, /while :; do :; done/);

      assert.equal(store.berth(['container', 'unpause', 'busy']).stdout, 'busy\n');
      assert.equal(frozen(busy.id), false);
      assert.equal(inspect('busy').State.Status, 'running');
      assert.ok(cpuPercent('busy') > 20, 'the loop runs again');
      const notPaused = store.berth(['unpause', 'busy']);
      assert.equal(notPaused.code, 1);
      assert.equal(notPaused.stderr, `Error response from daemon: Container ${busy.id} is not paused\n`);

      // rm -f of a paused container works (the runtime thaws it to kill it).
      store.berth(['pause', 'busy']);
      assert.equal(store.berth(['rm', '-f', 'busy']).code, 0);
      assert.equal(await busy.exited, 137);
    } finally {
      store.berth(['rm', '-f', 'busy']);
    }
    store.berth(['run', '--name', 'done', busyboxImage, 'true']);
    const stopped = store.berth(['pause', 'done', 'nope']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /^Error response from daemon: Container [0-9a-f]{64} is not running\nError response from daemon: No such container: nope\n$/);
  });

  test('update changes a running container\'s cgroup limits and its record; rename moves the name', async () => {
    const ctl = await runInBackground(store, 'ctl', ['-m', '20m', busyboxImage, 'sleep', '60']);
    try {
      const r = store.berth(['update', '--memory', '30m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '10', '--restart', 'on-failure:2', 'ctl']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ctl\n');
      assert.equal(cgroupValue(ctl.id, ['memory', 'memory.limit_in_bytes'], 'memory.max'), String(30 * 2 ** 20));
      assert.equal(cgroupValue(ctl.id, ['cpu', 'cpu.cfs_quota_us'], 'cpu.max'), cgroupV2 ? '50000 100000' : '50000');
      assert.equal(cgroupValue(ctl.id, ['cpu', 'cpu.shares'], 'cpu.weight'), cgroupV2 ? '20' : '512');
      assert.equal(cgroupValue(ctl.id, ['pids', 'pids.max'], 'pids.max'), '10');
      const host = inspect('ctl').HostConfig;
      assert.deepEqual(
        [host['Memory'], host['MemorySwap'], host['NanoCpus'], host['CpuShares'], host['PidsLimit'], host['RestartPolicy']],
        [30 * 2 ** 20, 40 * 2 ** 20, 5e8, 512, 10, { Name: 'on-failure', MaximumRetryCount: 2 }],
      );
      // Docker's rules: memory above the memory+swap limit needs --memory-swap too; bad policies refused; nothing changes.
      const over = store.berth(['update', '--memory', '50m', 'ctl']);
      assert.equal(over.code, 1);
      assert.match(over.stderr, /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
      const policy = store.berth(['update', '--restart', 'sometimes', 'ctl']);
      assert.equal(policy.code, 1);
      assert.match(policy.stderr, /invalid restart policy 'sometimes'/);
      assert.equal(cgroupValue(ctl.id, ['memory', 'memory.limit_in_bytes'], 'memory.max'), String(30 * 2 ** 20));
      const both = store.berth(['update', '--memory', '50m', '--memory-swap', '100m', '--pids-limit', '-1', 'ctl']);
      assert.equal(both.code, 0, both.stderr);
      assert.equal(cgroupValue(ctl.id, ['memory', 'memory.limit_in_bytes'], 'memory.max'), String(50 * 2 ** 20));
      assert.ok(['max', '4194304'].includes(cgroupValue(ctl.id, ['pids', 'pids.max'], 'pids.max')), 'pids unlimited');
      assert.equal(inspect('ctl').HostConfig['PidsLimit'], null);
      // A block I/O weight: set where the host's cgroups have one, else dropped with dockerd's warning.
      const weighted = existsSync('/sys/fs/cgroup/cgroup.controllers') || existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
      const blkio = store.berth(['update', '--blkio-weight', '300', 'ctl']);
      assert.equal(blkio.code, 0, blkio.stderr);
      if (!weighted) assert.match(blkio.stderr, /Weight discarded\./);
      assert.equal(inspect('ctl').HostConfig['BlkioWeight'], weighted ? 300 : 0);
      assert.match(store.berth(['update', '--blkio-weight', '5', 'ctl']).stderr, /Range of blkio weight is from 10 to 1000/);
      // Only the update's own setting is checked: a container's OOM switch said its warning at create.
      assert.equal(store.berth(['create', '--name', 'oomless', '--oom-kill-disable', busyboxImage, 'true']).code, 0);
      const quiet = store.berth(['update', '--blkio-weight', '300', 'oomless']);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.doesNotMatch(quiet.stderr, /OOM killer/);
      store.berth(['rm', 'oomless']);

      // A stopped container's record changes; the limits apply when it starts.
      store.berth(['run', '--name', 'idle', busyboxImage, 'true']);
      assert.equal(store.berth(['update', '--memory', '40m', '--restart', 'always', 'idle']).code, 0);
      assert.deepEqual([inspect('idle').HostConfig['Memory'], inspect('idle').HostConfig['RestartPolicy']], [40 * 2 ** 20, { Name: 'always', MaximumRetryCount: 0 }]);

      assert.equal(store.berth(['rename', 'ctl', 'ctl2']).code, 0);
      assert.equal(inspect('ctl2').Id, ctl.id);
      assert.equal(inspect(ctl.id).Name, '/ctl2');
      assert.match(store.berth(['inspect', 'ctl']).stderr, /No such object: ctl/);
      assert.match(store.berth(['ps', '--format', '{{.Names}}']).stdout, /^ctl2$/m);
      const same = store.berth(['rename', 'ctl2', 'ctl2']);
      assert.equal(same.code, 1);
      assert.equal(same.stderr, 'Error response from daemon: Renaming a container with the same name as its current name\nError: failed to rename container named ctl2\n');
      const taken = store.berth(['container', 'rename', 'ctl2', 'idle']);
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, new RegExp(`Conflict. The container name "/idle" is already in use by container "${inspect('idle').Id}". You have to remove \\(or rename\\) that container to be able to reuse that name.`));
      assert.match(store.berth(['rename', 'ctl2', 'bad name']).stderr, /Invalid container name/);
      // The old name is free again.
      assert.equal(store.berth(['run', '--rm', '--name', 'ctl', busyboxImage, 'true']).code, 0);
    } finally {
      store.berth(['rm', '-f', ctl.id]);
      await ctl.exited;
    }
  });

  test('a commit --pause SIGKILLed while the container is frozen: the next command thaws it', async () => {
    // 300 MB of random bytes in the container's layer: the commit reads (and compresses) them while frozen.
    const r = store.berth(['run', '-d', '--name', 'froze', '--network', 'none', busyboxImage, 'sh', '-c', 'head -c 300000000 /dev/urandom > /big && sleep 1000']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    try {
      for (let i = 0; i < 600 && store.berth(['exec', 'froze', 'sh', '-c', 'pgrep sleep']).code !== 0; i++) await new Promise((res) => setTimeout(res, 50));
      const commit = store.spawnBerth(['commit', 'froze', 'files-test/froze:1']);
      let sawFrozen = false;
      for (let i = 0; i < 1000 && !sawFrozen && commit.exitCode === null; i++) {
        sawFrozen = frozen(id);
        if (!sawFrozen) await new Promise((res) => setTimeout(res, 10));
      }
      assert.ok(sawFrozen, 'the commit froze the container');
      commit.kill('SIGKILL');
      await new Promise((res) => commit.on('close', res));
      assert.equal(frozen(id), true, 'still frozen: nobody thawed it yet');
      assert.match(store.berth(['ps', '--format', '{{.Names}} {{.Status}}']).stdout, /^froze Up /m);
      assert.equal(frozen(id), false, 'ps (any command that looks at it) thawed it');
      assert.equal(store.berth(['exec', 'froze', 'true']).code, 0);
    } finally {
      store.berth(['rm', '-f', 'froze']);
    }
  });

  test('top lists the container\'s processes only, through ps options; stats shows Docker\'s table once or streaming', async () => {
    const tree = await runInBackground(store, 'tree', ['-m', '64m', busyboxImage, 'sh', '-c', 'sleep 61 & sleep 62 & wait']);
    try {
      const top = store.berth(['top', 'tree']);
      assert.equal(top.code, 0, top.stderr);
      const lines = top.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
      assert.deepEqual(lines.slice(1).map((l) => l.split(/ {3,}/).at(-1)).sort(), ['sh -c sleep 61 & sleep 62 & wait', 'sleep 61', 'sleep 62']);
      const custom = store.berth(['top', 'tree', '-o', 'pid,comm']);
      assert.deepEqual(custom.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)[1] ?? l.split(/\s+/)[0]).slice(1).sort(), ['sh', 'sleep', 'sleep']);
      assert.match(custom.stdout, /^PID {17}COMMAND$/m);
      const noPid = store.berth(['top', 'tree', '-o', 'comm']);
      assert.equal(noPid.code, 1);
      assert.match(noPid.stderr, /Couldn't find PID field in ps output/);

      const once = store.berth(['stats', '--no-stream']);
      assert.equal(once.code, 0, once.stderr);
      const [header, row, ...rest] = once.stdout.trimEnd().split('\n');
      assert.match(header ?? '', statsHeader);
      assert.deepEqual(rest, [], 'only the running container');
      assert.match(row ?? '', new RegExp(`^${tree.id.slice(0, 12)} {3}tree {6,}\\d+\\.\\d\\d% {2,}[\\d.]+[KM]iB / 64MiB {2,}\\d+\\.\\d\\d% {2,}[\\d.]+k?B / [\\d.]+k?B {2,}\\S+ / \\S+ {2,}3$`));
      store.berth(['run', '--name', 'stopped', busyboxImage, 'true']);
      const all = store.berth(['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}']);
      const allLines = all.stdout.trim().split('\n');
      assert.ok(allLines.includes('stopped 0B / 0B 0'), all.stdout);
      assert.deepEqual(allLines.filter((l) => !/^\S+ 0B \/ 0B 0$/.test(l)), [expect(/^tree \S+ \/ 64MiB 3$/, all.stdout)], 'stopped ones show zeros');
      const json = JSON.parse(store.berth(['stats', '--no-stream', '--format', 'json', 'tree']).stdout) as Record<string, string>;
      assert.deepEqual(Object.keys(json).sort(), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
      // NET I/O: the bridge's neighbour discovery already counts (networks-connect tests the numbers).
      assert.deepEqual([json['Container'], json['Name'], json['PIDs']], ['tree', 'tree', '3']);
      assert.match(json['NetIO'] ?? '', /^[\d.]+k?B \/ [\d.]+k?B$/);
      const missing = store.berth(['stats', '--no-stream', 'nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such container: nope/);

      // Streaming: the screen is cleared and the table drawn again every second.
      const stream = store.spawnBerth(['stats', 'tree']);
      let out = '';
      stream.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      // Two frames take about two seconds; a loaded machine may need longer.
      for (let i = 0; i < 300 && out.split('\x1b[2J\x1b[H').filter(Boolean).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      stream.kill('SIGINT');
      const frames = out.split('\x1b[2J\x1b[H').filter(Boolean);
      assert.ok(frames.length >= 2, `at least two frames: ${JSON.stringify(out)}`);
      for (const frame of frames) assert.match(frame.split('\n')[0] ?? '', statsHeader);
    } finally {
      store.berth(['rm', '-f', 'tree']);
      await tree.exited;
    }
    const stopped = store.berth(['top', 'stopped']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /Container [0-9a-f]{64} is not running/);
  });
});

/** The line of `text` matching `pattern` (so that a sorted comparison shows what differs). */
function expect(pattern: RegExp, text: string): string {
  return text.split('\n').find((l) => pattern.test(l)) ?? `<no line matching ${pattern}>`;
}
