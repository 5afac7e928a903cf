// Root-only: runs configs from buildSpec under the real OCI runtimes (runc, and crun when it can
// start on this host) with a busybox rootfs, and checks what a container process observes.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { syscallProbeDir } from '../../testing/index.js';
import { allCapabilities, buildSpec, type SpecInput } from './index.js';

/** The capabilities in this host's bounding set (it may lack some, e.g. CAP_SYS_RESOURCE). */
function hostCapabilities(): string[] {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s*([0-9a-f]+)$/m)?.[1] ?? '0';
  const mask = BigInt(`0x${line}`);
  return allCapabilities.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

const repo = resolve(import.meta.dirname, '..', '..', '..');
const runtimes = ['/usr/sbin/runc', '/usr/bin/crun'];
let work = '';
let rootfs = '';

before(() => {
  assert.equal(process.getuid?.(), 0, 'this test needs root');
  work = mkdtempSync(join(tmpdir(), 'berth-spec-'));
  rootfs = join(work, 'rootfs');
  mkdirSync(rootfs);
  const tar = execFileSync('sh', [join(repo, 'tools', 'make-busybox-rootfs.sh')], { maxBuffer: 64 * 2 ** 20 });
  execFileSync('tar', ['-x', '-C', rootfs], { input: tar });
});

const cgroupParent = `berth-spec-test-${process.pid}`;

after(() => {
  rmSync(work, { recursive: true, force: true });
  // The runtimes remove each container's cgroup but not the parent they created on the way:
  // /sys/fs/cgroup/<parent> on cgroup v2, /sys/fs/cgroup/<controller>/<parent> on v1.
  const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const hierarchies = unified ? [''] : readdirSync('/sys/fs/cgroup', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const hierarchy of hierarchies) {
    try {
      rmdirSync(join('/sys/fs/cgroup', hierarchy, cgroupParent));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

let counter = 0;
/** Runs `script` in a fresh container; the rootfs is shared, so it is mounted read-only. */
function run(runtime: string, script: string, overrides: Partial<SpecInput> = {}): Result {
  const id = `berth-spec-test-${process.pid}-${++counter}`;
  const bundle = join(work, id);
  mkdirSync(bundle);
  const spec = buildSpec({
    id,
    rootfs,
    readonlyRootfs: true,
    args: ['sh', '-c', script],
    env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    user: { uid: 0, gid: 0 },
    hostname: 'spec-test',
    network: { mode: 'none' },
    cgroupsPath: `/${cgroupParent}/${id}`,
    ...overrides,
  });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  try {
    const r = spawnSync(runtime, ['run', '--bundle', bundle, id], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    spawnSync(runtime, ['delete', '-f', id], { encoding: 'utf8' });
  }
}

for (const runtime of runtimes) {
  describe(`buildSpec under ${runtime}`, () => {
    test('the command is PID 1 in its own pid namespace', () => {
      const r = run(runtime, 'echo $$; cat /proc/1/cmdline | tr "\\0" " "');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '1\nsh -c echo $$; cat /proc/1/cmdline | tr "\\0" " " ');
    });

    // Mutation seen red: buildSpec without `linux.seccomp`.
    test('the default seccomp filter is loaded and refuses calls no capability opens', () => {
      const probe = { mounts: [{ destination: '/probe', type: 'bind', source: syscallProbeDir(), options: ['rbind', 'ro'] }] };
      const script = 'grep Seccomp: /proc/self/status; /probe/syscall-probe keyctl add_key getpid';
      const filtered = run(runtime, script, probe);
      assert.equal(filtered.status, 0, filtered.stderr);
      assert.equal(filtered.stdout, 'Seccomp:\t2\nkeyctl=EPERM\nadd_key=EPERM\ngetpid=ok\n');
      const unconfined = run(runtime, script, { ...probe, seccomp: 'unconfined' });
      assert.match(unconfined.stdout, /^Seccomp:\t0\n/);
      assert.doesNotMatch(unconfined.stdout, /keyctl=EPERM/);
    });

    test('/proc/sys is read-only and /proc/timer_list masked', () => {
      const r = run(runtime, 'awk \'$5=="/proc/sys"{print $6}\' /proc/self/mountinfo; wc -c < /proc/timer_list');
      assert.equal(r.status, 0, r.stderr);
      const [opts, timerList] = r.stdout.trim().split('\n');
      assert.match(opts ?? '', /^ro,/);
      assert.equal(timerList?.trim(), '0');
    });

    test('root holds the default capabilities; uid 1000 has an empty effective set', () => {
      const root = run(runtime, 'grep -E "^Cap(Eff|Bnd)" /proc/self/status');
      assert.equal(root.stdout, 'CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n');
      const user = run(runtime, 'id -u; grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status', { user: { uid: 1000, gid: 1000 } });
      assert.equal(user.stdout, '1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n');
    });

    test('network none has only the loopback interface', () => {
      const r = run(runtime, 'ls /sys/class/net');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'lo\n');
    });

    test('memory, pids and ulimits reach the process', () => {
      const r = run(runtime, 'ulimit -n; ulimit -Hn; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max', {
        resources: { memory: 64 * 2 ** 20, pidsLimit: 50 },
        ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '1024\n2048\n50\n');
    });

    test('--cap-add SYS_ADMIN lets mount through seccomp', () => {
      const r = run(runtime, 'mount -t tmpfs x /tmp && grep -c " /tmp tmpfs" /proc/mounts', { capAdd: ['SYS_ADMIN'] });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '1\n');
    });

    test('the standard device nodes work and others are refused', () => {
      const script = [
        'echo x > /dev/null && echo null=ok',
        'head -c 4 /dev/urandom | wc -c',
        'echo x > /dev/full || echo full=refused',
        'mknod /tmp/sda b 8 0 && (head -c 1 /tmp/sda || echo sda=refused)',
      ].join('; ');
      const r = run(runtime, `mount -t tmpfs x /tmp; ${script}`, { capAdd: ['SYS_ADMIN'] });
      assert.equal(r.stdout, 'null=ok\n4\nfull=refused\nsda=refused\n');
      assert.match(r.stderr, /No space left on device/);
      assert.match(r.stderr, /sda: Operation not permitted/);
    });

    test('privileged: host capabilities, writable /sys, mount allowed, nothing masked', () => {
      const script = 'grep ^CapEff /proc/self/status; awk \'$5=="/sys"{print $6}\' /proc/self/mountinfo; mount -t tmpfs x /tmp && echo mounted; grep -c timer_list /proc/self/mountinfo';
      const r = run(runtime, script, { privileged: true, hostCapabilities: hostCapabilities() });
      const bounding = readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s*(\S+)$/m)?.[1];
      assert.equal(r.stdout.split('\n')[0], `CapEff:\t${bounding}`, r.stderr);
      assert.match(r.stdout, /\nrw,[^\n]*\nmounted\n0\n$/);
    });

    test('--cpus 0.5 becomes a CFS quota of 50ms per 100ms', () => {
      const script = 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max';
      const r = run(runtime, script, { resources: { cpus: 0.5 } });
      assert.match(r.stdout, /^(50000\n100000|50000 100000)\n$/, r.stderr);
    });
  });
}
