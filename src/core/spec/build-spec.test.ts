import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSpec, defaultCapabilities, type SpecInput } from './index.js';

const base: SpecInput = {
  id: 'web',
  rootfs: '/var/lib/berth/rootfs/web',
  args: ['nginx', '-g', 'daemon off;'],
  env: ['PATH=/usr/bin:/bin'],
  cwd: '/',
  user: { uid: 0, gid: 0 },
  hostname: 'web',
  network: { mode: 'none' },
  cgroupsPath: '/berth/web',
};

const spec = (over: Partial<SpecInput> = {}) => buildSpec({ ...base, ...over });
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

describe('buildSpec', () => {
  test('passes the process through unchanged, adding nothing to env', () => {
    const s = spec({ terminal: true, user: { uid: 5, gid: 6, additionalGids: [6, 7], umask: 0o22 } });
    assert.deepEqual(s.process?.args, base.args);
    assert.deepEqual(s.process?.env, ['PATH=/usr/bin:/bin']);
    assert.deepEqual(s.process?.user, { uid: 5, gid: 6, additionalGids: [6, 7], umask: 0o22 });
    assert.equal(s.process?.terminal, true);
    assert.equal(s.process?.oomScoreAdj, 0);
    assert.equal(s.process?.apparmorProfile, undefined);
    assert.equal(s.hostname, 'web');
    assert.deepEqual(s.root, { path: base.rootfs, readonly: false });
    assert.equal(spec({ readonlyRootfs: true }).root?.readonly, true);
  });

  test('creates pid, mount, uts, ipc, network and cgroup namespaces but no user namespace', () => {
    const types = spec().linux?.namespaces?.map((n) => n.type).sort();
    assert.deepEqual(types, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  });

  test('the host\'s UTS namespace has neither namespace nor names; the host\'s cgroup namespace has no namespace', () => {
    const s = spec({ uts: 'host', domainname: 'example.org', cgroupns: 'host' });
    assert.deepEqual(s.linux?.namespaces?.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid']);
    assert.equal(s.hostname, undefined);
    assert.equal(s.domainname, undefined);
  });

  test('swappiness, block I/O, extra device rules, annotations and replaced system paths reach the spec', () => {
    const s = spec({
      resources: { memorySwappiness: 0, oomKillDisable: true, blockIO: { weight: 300, throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }] } },
      deviceRules: [{ allow: true, type: 'b', major: 7, access: 'r' }],
      annotations: { 'org.example': '1' },
      maskedPaths: [],
      readonlyPaths: ['/proc/sys'],
    });
    assert.deepEqual(s.linux?.resources?.memory, { swappiness: 0, disableOOMKiller: true });
    assert.deepEqual(s.linux?.resources?.blockIO, { weight: 300, throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }] });
    assert.deepEqual(s.linux?.resources?.devices?.at(-1), { allow: true, type: 'b', major: 7, access: 'r' });
    assert.deepEqual(s.annotations, { 'org.example': '1' });
    assert.deepEqual([s.linux?.maskedPaths, s.linux?.readonlyPaths], [[], ['/proc/sys']]);
    // Privileged still has none, whatever was asked.
    assert.deepEqual(spec({ privileged: true, readonlyPaths: ['/proc/sys'] }).linux?.readonlyPaths, []);
  });

  test('host network has no network namespace; netns joins the given path', () => {
    assert.equal(spec({ network: { mode: 'host' } }).linux?.namespaces?.some((n) => n.type === 'network'), false);
    const joined = spec({ network: { mode: 'netns', path: '/run/netns/x' } }).linux?.namespaces?.find((n) => n.type === 'network');
    assert.deepEqual(joined, { type: 'network', path: '/run/netns/x' });
  });

  test("mounts Docker's kernel filesystems with Docker's options", () => {
    const byDest = new Map(spec().mounts?.map((m) => [m.destination, m]));
    assert.deepEqual([...byDest.keys()], ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
    assert.deepEqual(byDest.get('/dev/pts')?.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
    assert.deepEqual(byDest.get('/dev')?.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
    assert.ok(byDest.get('/sys')?.options?.includes('ro'));
    assert.ok(byDest.get('/sys/fs/cgroup')?.options?.includes('ro'));
    assert.ok(byDest.get('/dev/shm')?.options?.includes('size=67108864'));
    const shm = spec({ shmSize: 1024 }).mounts?.find((m) => m.destination === '/dev/shm');
    assert.ok(shm?.options?.includes('size=1024'));
  });

  test('an extra mount at a default destination replaces the default; others come after', () => {
    const s = spec({
      mounts: [
        { destination: '/dev/shm', type: 'bind', source: '/host/shm', options: ['rbind'] },
        { destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['rbind', 'ro'] },
      ],
    });
    const dests = s.mounts?.map((m) => m.destination);
    assert.deepEqual(dests, ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/hosts']);
    assert.equal(s.mounts?.find((m) => m.destination === '/dev/shm')?.source, '/host/shm');
  });

  test("masks Docker's paths and makes /proc/sys and friends read-only", () => {
    const s = spec();
    for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware', '/sys/devices/virtual/powercap']) {
      assert.ok(s.linux?.maskedPaths?.includes(p), p);
    }
    assert.deepEqual(s.linux?.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  test('root gets the 14 default capabilities as bounding, effective and permitted only', () => {
    const caps = spec().process?.capabilities;
    assert.deepEqual(caps, { bounding: [...defaultCapabilities], effective: [...defaultCapabilities], permitted: [...defaultCapabilities] });
  });

  test('a non-root user keeps the bounding set but no effective or permitted capability', () => {
    const caps = spec({ user: { uid: 1000, gid: 1000 }, capAdd: ['NET_ADMIN'] }).process?.capabilities;
    assert.ok(caps?.bounding?.includes('CAP_NET_ADMIN'));
    assert.deepEqual(caps?.effective, []);
    assert.deepEqual(caps?.permitted, []);
    assert.equal(caps?.inheritable, undefined);
    assert.equal(caps?.ambient, undefined);
  });

  test('default seccomp follows the capabilities; unconfined and privileged have none', () => {
    const allows = (s: ReturnType<typeof spec>, name: string) =>
      s.linux?.seccomp?.syscalls?.some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args && r.names.includes(name)) ?? false;
    assert.equal(allows(spec(), 'mount'), false);
    assert.equal(allows(spec({ capAdd: ['SYS_ADMIN'] }), 'mount'), true);
    assert.equal(spec({ seccomp: 'unconfined' }).linux?.seccomp, undefined);
    assert.equal(spec({ privileged: true }).linux?.seccomp, undefined);
    const custom = { defaultAction: 'SCMP_ACT_ALLOW' as const };
    assert.deepEqual(spec({ seccomp: custom }).linux?.seccomp, custom);
  });

  test('privileged: all capabilities, nothing masked, /sys writable, every device allowed', () => {
    const s = spec({ privileged: true });
    assert.equal(s.process?.capabilities?.bounding?.length, 41);
    assert.deepEqual(s.linux?.maskedPaths, []);
    assert.deepEqual(s.linux?.readonlyPaths, []);
    assert.ok(s.mounts?.find((m) => m.destination === '/sys')?.options?.includes('rw'));
    assert.deepEqual(s.linux?.resources?.devices, [{ allow: true, access: 'rwm' }]);
    const limited = spec({ privileged: true, hostCapabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] });
    assert.deepEqual(limited.process?.capabilities?.effective, ['CAP_CHOWN', 'CAP_SYS_ADMIN']);
  });

  test('device rules deny all, then allow the standard nodes', () => {
    const rules = spec().linux?.resources?.devices ?? [];
    assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
    const allowed = rules.filter((r) => r.allow && r.access === 'rwm').map((r) => `${r.major}:${r.minor ?? '*'}`);
    assert.deepEqual(allowed.sort(), ['136:*', '1:3', '1:5', '1:7', '1:8', '1:9', '5:0', '5:1', '5:2']);
  });

  test('memory limit defaults swap to twice the memory, as Docker does', () => {
    assert.deepEqual(spec({ resources: { memory: 64 * 2 ** 20 } }).linux?.resources?.memory, {
      limit: 64 * 2 ** 20,
      swap: 128 * 2 ** 20,
    });
    assert.equal(spec({ resources: { memory: 100, memorySwap: -1 } }).linux?.resources?.memory?.swap, -1);
    assert.equal(spec({ resources: { memory: 100, memorySwap: 100 } }).linux?.resources?.memory?.swap, 100);
    assert.throws(() => spec({ resources: { memory: 100, memorySwap: 50 } }), code('BERTH_E_INVALID_SPEC'));
    assert.throws(() => spec({ resources: { memorySwap: 50 } }), code('BERTH_E_INVALID_SPEC'));
    assert.equal(spec().linux?.resources?.memory, undefined);
  });

  test('cpus, shares, cpuset and pids map onto the cgroup fields', () => {
    const r = spec({ resources: { cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1', pidsLimit: 100 } }).linux?.resources;
    assert.deepEqual(r?.cpu, { quota: 150000, period: 100000, shares: 512, cpus: '0-1' });
    assert.deepEqual(r?.pids, { limit: 100 });
    assert.equal(spec({ resources: { cpus: 0.5 } }).linux?.resources?.cpu?.quota, 50000);
    assert.equal(spec({ resources: { cpus: 0.01 } }).linux?.resources?.cpu?.quota, 1000);
    assert.deepEqual(spec({ resources: { pidsLimit: -1 } }).linux?.resources?.pids, { limit: -1 });
    assert.equal(spec({ resources: { pidsLimit: 0 } }).linux?.resources?.pids, undefined);
    assert.throws(() => spec({ resources: { cpus: 0 } }), code('BERTH_E_INVALID_SPEC'));
  });

  test('ulimits become RLIMIT_* rlimits; none are added by default', () => {
    assert.deepEqual(spec().process?.rlimits, []);
    const s = spec({ ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }, { name: 'nproc', soft: 64, hard: 64 }] });
    assert.deepEqual(s.process?.rlimits, [
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
      { type: 'RLIMIT_NPROC', soft: 64, hard: 64 },
    ]);
    assert.throws(() => spec({ ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }), code('BERTH_E_INVALID_SPEC'));
  });

  test("sets Docker's network sysctls only in a private network namespace; user sysctls win", () => {
    assert.equal(spec().linux?.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '0');
    assert.deepEqual(spec({ network: { mode: 'host' } }).linux?.sysctl, {});
    const s = spec({ sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1' } });
    assert.equal(s.linux?.sysctl?.['net.ipv4.ip_unprivileged_port_start'], '1024');
    assert.equal(s.linux?.sysctl?.['kernel.shmmax'], '1');
  });

  test('noNewPrivileges, annotations and cgroupsPath are passed through', () => {
    const s = spec({ noNewPrivileges: true, annotations: { a: 'b' } });
    assert.equal(s.process?.noNewPrivileges, true);
    assert.equal(spec().process?.noNewPrivileges, false);
    assert.deepEqual(s.annotations, { a: 'b' });
    assert.equal(s.linux?.cgroupsPath, '/berth/web');
  });

  test('refuses input Docker would refuse', () => {
    assert.throws(() => spec({ args: [] }), code('BERTH_E_INVALID_SPEC'));
    assert.throws(() => spec({ cwd: 'app' }), code('BERTH_E_INVALID_SPEC'));
    assert.throws(() => spec({ rootfs: 'rootfs' }), code('BERTH_E_INVALID_SPEC'));
    assert.throws(() => spec({ capAdd: ['NET_FOO'] }), code('BERTH_E_UNKNOWN_CAPABILITY'));
  });
});

describe('buildSpec: issue-9 options', () => {
  test('--ipc/--pid: host drops the namespace, join gives its path, none drops /dev/shm, shm dirs are bind-mounted', () => {
    const ns = (over: Partial<SpecInput>) => spec(over).linux?.namespaces ?? [];
    assert.equal(ns({ ipc: { mode: 'host' }, pid: { mode: 'host' } }).some((n) => n.type === 'ipc' || n.type === 'pid'), false);
    const joined = ns({ ipc: { mode: 'join', path: '/proc/9/ns/ipc', shm: '/c/shm' }, pid: { mode: 'join', path: '/proc/9/ns/pid' } });
    assert.deepEqual(joined.filter((n) => n.type === 'ipc' || n.type === 'pid').sort((a, b) => a.type.localeCompare(b.type)), [
      { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'pid', path: '/proc/9/ns/pid' },
    ]);
    const shm = (over: Partial<SpecInput>) => spec(over).mounts?.find((m) => m.destination === '/dev/shm');
    assert.equal(shm({ ipc: { mode: 'none' } }), undefined);
    assert.deepEqual([shm({ ipc: { mode: 'host' } })?.type, shm({ ipc: { mode: 'host' } })?.source], ['bind', '/dev/shm']);
    assert.equal(shm({ ipc: { mode: 'join', path: '/proc/9/ns/ipc', shm: '/c/shm' } })?.source, '/c/shm');
    assert.equal(shm({ ipc: { mode: 'private', shm: '/d/shm' } })?.source, '/d/shm');
    assert.ok(shm({ ipc: { mode: 'private', shm: '/d/shm' } })?.options?.includes('nodev'));
  });

  test('devices become linux.devices and device cgroup rules with their permissions; init wraps the command; oomScoreAdj', () => {
    const s = spec({
      devices: [{ path: '/dev/xda', type: 'b', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 6, access: 'r' }],
      init: { path: '/usr/bin/tini-static' },
      oomScoreAdj: -500,
      resources: { cpuShares: 512, cpusetCpus: '0', cpusetMems: '0', memoryReservation: 10 << 20 },
    });
    assert.deepEqual(s.linux?.devices, [{ path: '/dev/xda', type: 'b', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 6 }]);
    assert.deepEqual(s.linux?.resources?.devices?.at(-1), { allow: true, type: 'b', major: 7, minor: 0, access: 'r' });
    assert.deepEqual(s.process?.args, ['/sbin/docker-init', '--', ...base.args]);
    assert.deepEqual(s.mounts?.find((m) => m.destination === '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro', 'nosuid', 'nodev'] });
    assert.equal(s.process?.oomScoreAdj, -500);
    assert.deepEqual(s.linux?.resources?.cpu, { shares: 512, cpus: '0', mems: '0' });
    assert.equal(s.linux?.resources?.memory?.reservation, 10 << 20);
    assert.throws(() => spec({ oomScoreAdj: 1001 }), code('BERTH_E_INVALID_SPEC'));
  });
});
