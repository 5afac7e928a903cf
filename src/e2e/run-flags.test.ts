import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore, mountsUnder } from './harness.js';
import { cgroupV2, runInBackground } from './running-container.js';

interface Inspected {
  Id: string;
  State: { Status: string; ExitCode: number; Error: string };
  Config: { Labels?: Record<string, string>; StopSignal?: string; StopTimeout?: number };
  HostConfig: Record<string, unknown>;
}

// The run/create flags of issue 9: each one's effect seen inside a real container, its record in
// inspect, and bad values refused with Docker's message and exit 125 before anything is created.
describe('run flags', () => {
  let store: Store;
  let tmp: string;
  before(() => {
    store = createStore({ withBusybox: true });
    tmp = mkdtempSync(join(tmpdir(), 'berth-flags-'));
  });
  after(() => {
    store.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  const inspect = (ref: string) => (JSON.parse(store.berth(['inspect', ref]).stdout) as Inspected[])[0]!;
  /** Reads a cgroup file inside the container: v1 path (per controller) or the v2 name. */
  const cg = (v1: string, v2: string) => `{ cat /sys/fs/cgroup/${v1} 2>/dev/null || cat /sys/fs/cgroup/${v2}; }`;
  const probe = [
    `echo shares=$(${cg('cpu/cpu.shares', 'cpu.weight')})`,
    `echo cpus=$(${cg('cpuset/cpuset.cpus', 'cpuset.cpus')})`,
    `echo mems=$(${cg('cpuset/cpuset.mems', 'cpuset.mems')})`,
    `echo reservation=$(${cg('memory/memory.soft_limit_in_bytes', 'memory.low')})`,
    'echo oom=$(cat /proc/self/oom_score_adj)',
    'echo shm=$(df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2)',
    'echo shmmax=$(cat /proc/sys/kernel/shmmax)',
    'echo forward=$(cat /proc/sys/net/ipv4/ip_forward)',
    'echo groups=$(id -G)',
  ].join('; ');
  const values = (stdout: string) => Object.fromEntries(stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));

  test('resource, sysctl, shm, OOM score and group flags reach the container, and inspect shows them', () => {
    const plain = store.berth(['run', '--rm', busyboxImage, 'sh', '-c', probe]);
    assert.equal(plain.code, 0, plain.stderr);
    const defaults = values(plain.stdout);
    assert.equal(defaults['oom'], '0');
    assert.equal(defaults['shm'], '65536', "Docker's 64m /dev/shm");
    assert.equal(defaults['groups'], '0');
    assert.notEqual(defaults['shmmax'], '65536');

    const r = store.berth([
      'run', '--name', 'limits', '--cpu-shares', '512', '--cpuset-cpus', '0', '--cpuset-mems', '0', '--memory-reservation', '10m',
      '--oom-score-adj', '123', '--shm-size', '1m', '--sysctl', 'kernel.shmmax=65536', '--sysctl', 'net.ipv4.ip_forward=1',
      '--group-add', '1234', '--group-add', 'nogroup', busyboxImage, 'sh', '-c', probe,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = values(r.stdout);
    // cgroup v2: crun turns 512 shares into weight 20 and the reservation into memory.low.
    assert.equal(got['shares'], cgroupV2 ? '20' : '512');
    assert.equal(got['cpus'], '0');
    assert.equal(got['mems'], '0');
    assert.equal(got['reservation'], String(10 * 2 ** 20));
    assert.equal(got['oom'], '123');
    assert.equal(got['shm'], '1024');
    assert.equal(got['shmmax'], '65536');
    assert.equal(got['forward'], '1');
    assert.equal(got['groups'], '0 1234 65534');
    const host = inspect('limits').HostConfig;
    assert.deepEqual(
      [host['CpuShares'], host['CpusetCpus'], host['CpusetMems'], host['MemoryReservation'], host['OomScoreAdj'], host['ShmSize'], host['Sysctls'], host['GroupAdd']],
      [512, '0', '0', 10 * 2 ** 20, 123, 2 ** 20, { 'kernel.shmmax': '65536', 'net.ipv4.ip_forward': '1' }, ['1234', 'nogroup']],
    );
    // A group the image does not know fails the start with Docker's message.
    const bad = store.berth(['run', '--rm', '--group-add', 'nosuchgroup', busyboxImage, 'id']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /Unable to find group nosuchgroup: no matching entries in group file/);
  });

  test('labels, stop signal and timeout, restart policy are recorded as Docker does; --init runs tini as PID 1', async () => {
    const labelFile = join(tmp, 'labels');
    writeFileSync(labelFile, '# comment\nfrom.file=yes\nbare\na=overridden\n');
    const r = store.berth([
      'run', '--name', 'cfg', '--label-file', labelFile, '--label', 'a=b', '-l', 'c', '--stop-signal', 'SIGUSR1', '--stop-timeout', '7',
      '--restart', 'on-failure:3', '--init', busyboxImage, 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; exit 3',
    ]);
    // tini passes the command's exit status on.
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), '/sbin/docker-init -- sh -c tr "\\0" " " < /proc/1/cmdline; exit 3');
    const c = inspect('cfg');
    assert.deepEqual(c.Config.Labels, { 'from.file': 'yes', bare: '', a: 'b', c: '' });
    assert.equal(c.Config.StopSignal, 'SIGUSR1');
    assert.equal(c.Config.StopTimeout, 7);
    assert.deepEqual(c.HostConfig['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(c.HostConfig['Init'], true);
    assert.equal(store.berth(['run', '--name', 'plain-cfg', busyboxImage, 'true']).code, 0);
    const plain = inspect('plain-cfg');
    // dockerd: a container's Labels are {} without labels; Init (omitempty) is absent unless --init was given.
    assert.deepEqual([plain.Config.Labels, plain.Config.StopSignal, plain.HostConfig['RestartPolicy'], plain.HostConfig['Init']], [{}, undefined, { Name: 'no', MaximumRetryCount: 0 }, undefined]);

    // PID 1 ignores SIGTERM unless it installs a handler; tini forwards it to the command, which dies.
    for (const [init, expected] of [[true, 143], [false, 'running']] as const) {
      const name = `term-${init}`;
      const running = await runInBackground(store, name, [...(init ? ['--init'] : []), busyboxImage, 'sleep', '30']);
      running.child.kill('SIGTERM');
      const outcome = await Promise.race([running.exited, new Promise((r) => setTimeout(() => r('running'), 1500))]);
      assert.equal(outcome, expected, `${name}: ${running.output()}`);
      if (outcome === 'running') {
        store.berth(['rm', '-f', name]);
        await running.exited;
      }
    }
  });

  test('--ipc and --pid: host, none, a shareable container joined by name; non-shareable and stopped ones refused', async () => {
    const hostNs = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);
    const host = store.berth(['run', '--rm', '--ipc', 'host', '--pid', 'host', busyboxImage, 'sh', '-c', 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; grep -c " /dev/shm " /proc/self/mountinfo']);
    assert.equal(host.code, 0, host.stderr);
    assert.deepEqual(host.stdout.trim().split('\n'), [hostNs('ipc'), hostNs('pid'), '1']);
    const none = store.berth(['run', '--rm', '--ipc', 'none', busyboxImage, 'sh', '-c', 'readlink /proc/self/ns/ipc; ls /dev/shm']);
    assert.equal(none.code, 1);
    assert.notEqual(none.stdout.trim(), hostNs('ipc'));
    assert.match(none.stderr, /\/dev\/shm: No such file or directory/);

    const donor = await runInBackground(store, 'donor', ['--ipc', 'shareable', '--shm-size', '2m', busyboxImage, 'sh', '-c', 'echo shared > /dev/shm/x; exec sleep 60']);
    const priv = await runInBackground(store, 'priv', [busyboxImage, 'sleep', '60']);
    try {
      const donorPid = store.berth(['top', 'donor', '-o', 'pid']).stdout.trim().split('\n')[1]?.trim();
      assert.match(donorPid ?? '', /^\d+$/);
      const joined = store.berth(['run', '--rm', '--ipc', 'container:donor', busyboxImage, 'sh', '-c', 'cat /dev/shm/x; readlink /proc/self/ns/ipc; df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2']);
      assert.equal(joined.code, 0, joined.stderr);
      assert.deepEqual(joined.stdout.trim().split('\n'), ['shared', readlinkSync(`/proc/${donorPid}/ns/ipc`), '2048']);
      const pids = store.berth(['run', '--rm', '--pid', `container:${donor.id.slice(0, 12)}`, busyboxImage, 'ps', '-o', 'pid,comm']);
      assert.equal(pids.code, 0, pids.stderr);
      assert.match(pids.stdout, /^\s*1 sleep$/m, 'the donor\'s PID 1 is seen');
      assert.match(pids.stdout, /^\s*\d+ ps$/m);

      const refused = store.berth(['run', '--rm', '--ipc', 'container:priv', busyboxImage, 'true']);
      assert.equal(refused.code, 125);
      assert.match(refused.stderr, /can't join IPC of container [0-9a-f]{64}: non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
      store.berth(['run', '--name', 'stopped', busyboxImage, 'true']);
      const stopped = store.berth(['run', '--rm', '--pid', 'container:stopped', busyboxImage, 'true']);
      assert.equal(stopped.code, 125);
      assert.match(stopped.stderr, /cannot join PID of a non running container: [0-9a-f]{64}/);
    } finally {
      store.berth(['rm', '-f', 'donor', 'priv']);
      await Promise.all([donor.exited, priv.exited]);
    }
    // The shareable container's /dev/shm lived on the host; it went with the container.
    assert.deepEqual(mountsUnder(store.root).filter((m) => m.endsWith('/shm')), []);
    assert.equal(existsSync(join(store.root, 'containers', donor.id)), false);
  });

  test('--device HOST:CONTAINER:PERMS makes the node and allows only PERMS; a directory gives its nodes', () => {
    const devDir = join(tmp, 'devs');
    spawnSync('mkdir', ['-p', devDir]);
    // A loop device (block 7:0): reading an unbound one returns nothing, harmless either way.
    assert.equal(spawnSync('mknod', [join(devDir, 'blk'), 'b', '7', '0']).status, 0);
    assert.equal(spawnSync('mknod', [join(devDir, 'chr'), 'c', '1', '3']).status, 0);
    const script = 'ls -l /dev/xda | cut -c1; dd if=/dev/xda of=/dev/null count=1 2>/dev/null && echo read-ok; (echo x > /dev/xda) 2>&1 | grep -q \'Operation not permitted\' && echo write-refused';
    const r = store.berth(['run', '--rm', '--device', `${join(devDir, 'blk')}:/dev/xda:r`, busyboxImage, 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['b', 'read-ok', 'write-refused']);
    // Without --device the container may make the node but not open it (the device cgroup).
    const without = store.berth(['run', '--rm', busyboxImage, 'sh', '-c', 'mknod /dev/xda b 7 0 && dd if=/dev/xda of=/dev/null count=1']);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /Operation not permitted/);
    const dir = store.berth(['run', '--name', 'devdir', '--device', `${devDir}:/dev/mine`, busyboxImage, 'sh', '-c', 'ls /dev/mine | tr "\\n" " "']);
    assert.equal(dir.code, 0, dir.stderr);
    assert.equal(dir.stdout.trim(), 'blk chr');
    assert.deepEqual(inspect('devdir').HostConfig['Devices'], [{ PathOnHost: devDir, PathInContainer: '/dev/mine', CgroupPermissions: 'rwm' }]);
  });

  test('--uts and --cgroupns host, the OOM, swappiness and block I/O limits, device cgroup rules, annotations and systempaths', () => {
    // --uts host: the host's hostname, while /etc/hostname keeps the container's (as dockerd 20.10 does).
    const uts = store.berth(['run', '--name', 'uts', '--uts', 'host', busyboxImage, 'sh', '-c', 'hostname; cat /etc/hostname']);
    assert.equal(uts.code, 0, uts.stderr);
    const [name, file] = uts.stdout.trim().split('\n');
    assert.equal(name, hostname());
    assert.equal(file, inspect('uts').Id.slice(0, 12));
    assert.equal(inspect('uts').HostConfig['UTSMode'], 'host');
    assert.notEqual(store.berth(['run', '--rm', busyboxImage, 'hostname']).stdout.trim(), hostname());
    const conflict = store.berth(['run', '--rm', '--uts', 'host', '-h', 'x', busyboxImage, 'true']);
    assert.equal(conflict.code, 125);
    assert.match(conflict.stderr, /conflicting options: hostname and the UTS mode/);

    // --cgroupns host: the container sees its cgroup's whole path, not `/`.
    const ns = store.berth(['run', '--rm', '--cgroupns', 'host', busyboxImage, 'cat', '/proc/self/cgroup']);
    assert.match(ns.stdout, /:\/berth\/[0-9a-f]{64}\/ctr$/m);
    assert.doesNotMatch(store.berth(['run', '--rm', busyboxImage, 'cat', '/proc/self/cgroup']).stdout, /\/berth\//);

    // The OOM switch and swappiness exist on cgroup v1 only: elsewhere dropped with dockerd's warnings.
    const oom = store.berth(['run', '--name', 'oom', '-m', '64m', '--oom-kill-disable', '--memory-swappiness', '10', busyboxImage, 'sh', '-c',
      'grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control; cat /sys/fs/cgroup/memory/memory.swappiness']);
    assert.equal(oom.code, 0, oom.stderr);
    if (cgroupV2) {
      assert.match(oom.stderr, /Your kernel does not support OomKillDisable\. OomKillDisable discarded\./);
      assert.match(oom.stderr, /Memory swappiness discarded\./);
    } else {
      assert.deepEqual(oom.stdout.trim().split('\n'), ['oom_kill_disable 1', '10']);
      assert.equal(inspect('oom').HostConfig['OomKillDisable'], true);
      assert.equal(inspect('oom').HostConfig['MemorySwappiness'], 10);
    }
    const unlimited = store.berth(['create', '--oom-kill-disable', busyboxImage, 'true']);
    assert.match(unlimited.stderr, /OOM killer is disabled for the container, but no memory limit is set|does not support OomKillDisable/);

    // A block device's read limit, by its major:minor; a weight where the scheduler has one, else dropped with a warning.
    const disk = readdirSync('/sys/block').sort((a, b) => Number(a.startsWith('loop')) - Number(b.startsWith('loop'))).find((d) => existsSync(`/dev/${d}`));
    assert.ok(disk, 'a block device to limit');
    const [major, minor] = readFileSync(`/sys/block/${disk}/dev`, 'utf8').trim().split(':');
    const io = store.berth(['run', '--name', 'io', '--device-read-bps', `/dev/${disk}:1mb`, '--device-write-iops', `/dev/${disk}:100`, '--blkio-weight', '300', busyboxImage, 'sh', '-c',
      cgroupV2 ? 'cat /sys/fs/cgroup/io.max' : 'cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device']);
    assert.equal(io.code, 0, io.stderr);
    if (cgroupV2) assert.match(io.stdout, new RegExp(`^${major}:${minor} rbps=1048576 wbps=max riops=max wiops=100$`, 'm'));
    else assert.deepEqual(io.stdout.trim().split('\n'), [`${major}:${minor} 1048576`, `${major}:${minor} 100`]);
    assert.deepEqual(inspect('io').HostConfig['BlkioDeviceReadBps'], [{ Path: `/dev/${disk}`, Rate: 1048576 }]);
    const weighted = cgroupV2 || existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
    if (weighted) assert.equal(inspect('io').HostConfig['BlkioWeight'], 300);
    else {
      assert.match(io.stderr, /Your kernel does not support Block I\/O weight or the cgroup is not mounted\. Weight discarded\./);
      assert.equal(inspect('io').HostConfig['BlkioWeight'], 0);
    }
    const missing = store.berth(['run', '--rm', '--device-read-bps', '/dev/nope:1mb', busyboxImage, 'true']);
    assert.match(missing.stderr, /stat \/dev\/nope: no such file or directory/);

    // A device cgroup rule lets the container open what it makes (a loop device, block 7:*), only as the rule says.
    const rw = 'mknod /dev/xda b 7 0 && dd if=/dev/xda of=/dev/null count=1 2>/dev/null && echo read-ok; (echo x > /dev/xda) 2>&1 | grep -q "Operation not permitted" && echo write-refused';
    const rule = store.berth(['run', '--name', 'rule', '--device-cgroup-rule', 'b 7:* r', busyboxImage, 'sh', '-c', rw]);
    assert.equal(rule.code, 0, rule.stderr);
    assert.deepEqual(rule.stdout.trim().split('\n'), ['read-ok', 'write-refused']);
    assert.deepEqual(inspect('rule').HostConfig['DeviceCgroupRules'], ['b 7:* r']);
    assert.doesNotMatch(store.berth(['run', '--rm', busyboxImage, 'sh', '-c', rw]).stdout, /read-ok/);

    // Annotations reach the runtime's spec; systempaths=unconfined unmasks /proc (a masked file reads empty).
    const annotated = store.berth(['create', '--annotation', 'org.example.team=infra', busyboxImage, 'true']);
    assert.equal(annotated.code, 0, annotated.stderr);
    const id = annotated.stdout.trim();
    assert.equal(store.berth(['start', id]).code, 0);
    const spec = JSON.parse(readFileSync(join(store.root, 'containers', id, 'config.json'), 'utf8')) as { annotations: Record<string, string> };
    assert.equal(spec.annotations['org.example.team'], 'infra');
    const timerList = 'head -c 16 /proc/timer_list | wc -c';
    assert.equal(store.berth(['run', '--rm', busyboxImage, 'sh', '-c', timerList]).stdout.trim(), '0');
    const unmasked = store.berth(['run', '--name', 'unmasked', '--security-opt', 'systempaths=unconfined', busyboxImage, 'sh', '-c', timerList]);
    assert.equal(unmasked.stdout.trim(), '16', unmasked.stderr);
    assert.deepEqual([inspect('unmasked').HostConfig['MaskedPaths'], inspect('unmasked').HostConfig['ReadonlyPaths']], [[], []]);
  });

  test('create and run record the streams they attach as Docker does (Config.AttachStdin/Stdout/Stderr, observed with docker 20.10)', () => {
    const attached = (id: string) => store.berth(['inspect', '-f', '{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}', id]).stdout.trim();
    for (const [flags, expected] of [[[], 'false true true'], [['-i'], 'true true true'], [['-a', 'stdout'], 'false true false'], [['-a', 'STDERR', '-a', 'stdin'], 'true false true']] as const) {
      const made = store.berth(['create', ...flags, busyboxImage, 'true']);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(attached(made.stdout.trim()), expected, `create ${flags.join(' ')}`);
      store.berth(['rm', made.stdout.trim()]);
    }
    const detached = store.berth(['run', '-d', busyboxImage, 'true']).stdout.trim();
    assert.equal(attached(detached), 'false false false');
    assert.equal(store.berth(['run', '--name', 'fg', busyboxImage, 'true']).code, 0);
    assert.equal(attached('fg'), 'false true true');
    const bad = store.berth(['create', '-a', 'bogus', busyboxImage, 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid argument "bogus" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR/);
  });

  test('--cidfile writes the id and refuses an existing file; bad values exit 125 with Docker\'s message and create nothing', () => {
    const cidfile = join(tmp, 'cid');
    // The host's platform, and Docker's default of no content trust, spelled out as scripts do.
    const host = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`;
    assert.deepEqual(store.berth(['run', '--rm', '--platform', host, '--disable-content-trust', busyboxImage, 'echo', 'taken']), { code: 0, stdout: 'taken\n', stderr: '' });
    const r = store.berth(['run', '--rm', '--cidfile', cidfile, busyboxImage, 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(cidfile, 'utf8'), /^[0-9a-f]{64}$/);
    const before = store.berth(['ps', '-aq']).stdout;
    const cases: [string[], RegExp][] = [
      [['--cidfile', cidfile], /container ID file found, make sure the other container isn't running or delete /],
      [['--sysctl', 'kernel.hostname=x'], /sysctl 'kernel.hostname=x' is not allowed/],
      [['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1'], /sysctl "net.ipv4.ip_forward" not allowed in host network namespace/],
      [['--ipc', 'host', '--sysctl', 'kernel.shmmax=1'], /sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace/],
      [['--restart', 'sometimes'], /invalid restart policy 'sometimes'/],
      [['--restart', 'always:3'], /maximum retry count cannot be used with restart policy 'always'/],
      [['--restart', 'on-failure:x'], /maximum retry count must be an integer/],
      [['--restart', 'on-failure:-1'], /maximum retry count cannot be negative/],
      [['--restart', 'always', '--rm'], /conflicting options: cannot specify both --restart and --rm/],
      [['--stop-signal', 'FOO'], /Invalid signal: FOO/],
      [['--stop-timeout', 'x'], /invalid argument "x" for "--stop-timeout"/],
      [['--oom-score-adj', '2000'], /Invalid value 2000, range for oom score adj is \[-1000, 1000\]/],
      [['--cpuset-cpus', '0-4095'], /Requested CPUs are not available - requested 0-4095, available: /],
      [['--cpuset-cpus', 'abc'], /Invalid value abc for cpuset cpus: invalid format: abc/],
      [['--cpuset-mems', '4095'], /Requested memory nodes are not available - requested 4095, available: /],
      [['--memory-reservation', '1k'], /Minimum memory reservation allowed is 6MB/],
      [['-m', '10m', '--memory-reservation', '20m'], /Minimum memory limit can not be less than memory reservation limit/],
      [['--cpu-shares', '1'], /--cpu-shares 1: the allowed range is 2 to 262144/],
      [['--shm-size', 'abc'], /invalid size: 'abc'/],
      [['--shm-size', '-1'], /invalid size: '-1'/],
      [['--ipc', 'sometimes'], /Invalid IPC mode: sometimes/],
      [['--pid', 'sometimes'], /invalid PID mode/],
      [['--ipc', 'container:nope'], /No such container: nope/],
      [['--pid', 'container:nope'], /No such container: nope/],
      [['--device', '/dev/nope'], /error gathering device information while adding custom device "\/dev\/nope": no such file or directory/],
      [['--device', `${cidfile}:/dev/x`], /not a device node/],
      [['--device', '/dev/null:rel'], /rel is not an absolute path/],
      [['--device', '/dev/null:/dev/x:rwq'], /bad mode specified: rwq/],
      // No emulation and no Docker Content Trust: what they would need is refused, not ignored.
      [['--platform', 'linux/arm64'], /Cannot run a container for platform "linux\/arm64": only the host platform linux\/\w+ is supported/],
      [['--disable-content-trust=false'], /does not verify Docker Content Trust signatures: --disable-content-trust=false cannot be honoured/],
      // The docker CLI's messages (observed with docker 20.10).
      [['--uts', 'container:x'], /^berth: --uts: invalid UTS mode$/m],
      [['--cgroupns', 'bogus'], /--cgroupns: invalid CGROUP mode/],
      [['--memory-swappiness', '101'], /invalid value: 101\. Valid memory swappiness range is 0-100/],
      [['--blkio-weight', '5'], /Range of blkio weight is from 10 to 1000/],
      [['--blkio-weight-device', '/dev/null:5'], /invalid argument "\/dev\/null:5" for "--blkio-weight-device" flag: invalid weight for device: \/dev\/null:5/],
      [['--device-read-bps', 'vda'], /for "--device-read-bps" flag: bad format: vda/],
      [['--device-write-bps', 'dev/vda:1m'], /bad format for device path: dev\/vda:1m/],
      [['--device-read-iops', '/dev/vda:1.5'], /invalid rate for device: \/dev\/vda:1\.5\. The correct format is <device-path>:<number>\. Number must be a positive integer/],
      [['--device-cgroup-rule', 'x 1:3 rwm'], /for "--device-cgroup-rule" flag: invalid device cgroup format 'x 1:3 rwm'/],
      [['--device-cgroup-rule', 'c 99999999999:1 rwm'], /invalid device cgroup format 'c 99999999999:1 rwm'/],
      [['--device-read-bps', '/dev/null:1mb'], /\/dev\/null is not a block device/],
      [['--security-opt', 'systempaths=confined'], /systempaths takes only unconfined/],
      // Docker's options berth does not have: the daemon's reason (api/unsupported-host-options.ts), not "unknown flag".
      [['--userns', 'remap'], /--userns is not supported by berth: user namespaces are not supported/],
      [['--cpu-rt-runtime', '9500'], /--cpu-rt-runtime is not supported by berth: real-time CPU scheduling is not supported/],
      [['--gpus', 'all'], /--gpus is not supported by berth: device requests \(GPUs\) are not supported/],
      [['--storage-opt', 'size=1G'], /--storage-opt is not supported by berth: storage options are not supported/],
    ];
    for (const [flags, message] of cases) {
      const bad = store.berth(['run', ...flags, busyboxImage, 'true']);
      assert.equal(bad.code, 125, `${flags.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, message, flags.join(' '));
      assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    }
    // What berth does anyway is accepted: the docker CLI's defaults, and the values that ask for it.
    const same = store.berth(['run', '--rm', '--cgroupns', 'private', '--userns', 'host', '--memory-swappiness', '-1', '--oom-kill-disable=false', '--isolation', 'default', busyboxImage, 'true']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(store.berth(['ps', '-aq']).stdout, before, 'nothing was created');
    assert.match(readFileSync(cidfile, 'utf8'), /^[0-9a-f]{64}$/, 'the existing cidfile is untouched');
  });
});
