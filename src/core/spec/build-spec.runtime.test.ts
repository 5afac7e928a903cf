// Root-only: runs configs from buildSpec under the real OCI runtimes (runc, and crun when it can
// start on this host) with a busybox rootfs, and checks what a container process observes.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildSpec, type SpecInput } from './index.js';

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

after(() => rmSync(work, { recursive: true, force: true }));

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
    cgroupsPath: `/berth-test/${id}`,
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

    test('mount and unshare are refused with EPERM', () => {
      const r = run(runtime, 'mount -t tmpfs x /tmp; echo "mount=$?"; unshare -n true; echo "unshare=$?"');
      assert.match(r.stdout, /mount=[1-9]/);
      assert.match(r.stdout, /unshare=[1-9]/);
      // busybox words EPERM from mount(2) this way (and only EPERM).
      assert.match(r.stderr, /mount: permission denied \(are you root\?\)/);
      assert.match(r.stderr, /unshare: unshare\(0x40000000\): Operation not permitted/);
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
  });
}
