import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { syscallProbeDir } from '../testing/index.js';
import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('a container is an isolated process', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());
  const run = (args: string[], ...cmd: string[]) => store.berth(['run', '--rm', ...args, busyboxImage, ...cmd]);

  test('PID 1 is the user command and host processes are invisible', () => {
    const r = run([], 'sh', '-c', 'echo "pid=$$"; for p in /proc/[0-9]*; do echo "$(basename $p) $(cat $p/comm)"; done');
    assert.equal(r.code, 0, r.stderr);
    const [pidLine, ...procs] = r.stdout.trim().split('\n');
    assert.equal(pidLine, 'pid=1');
    // Only the container's own shell (pid 1), and at most the subshell and cat of the loop:
    // none of the host's hundreds of processes (this test process among them).
    assert.ok(procs.includes('1 sh'), `pid 1 is the shell: ${procs.join(', ')}`);
    assert.ok(procs.length <= 3, `saw ${procs.length} processes: ${procs.join(', ')}`);
    assert.ok(procs.every((p) => /^\d+ (sh|cat|basename)$/.test(p)), procs.join(', '));
  });

  test('the hostname is the container\'s own', () => {
    const r = run(['--hostname', 'harbor-7'], 'hostname');
    assert.equal(r.stdout.trim(), 'harbor-7');
    const dflt = run([], 'hostname');
    assert.match(dflt.stdout.trim(), /^[a-f0-9]{12}$/);
  });

  // Mutation seen red: buildSpec without `linux.seccomp` (Seccomp: 0, keyctl and add_key succeed,
  // unshare(CLONE_NEWUSER) succeeds).
  test('the seccomp filter is loaded and refuses calls no capability opens', () => {
    const probe = ['-v', `${syscallProbeDir()}:/probe:ro`];
    const calls = (args: string[]) => {
      const r = run([...probe, ...args], 'sh', '-c', 'grep Seccomp: /proc/self/status; /probe/syscall-probe keyctl add_key unshare-user unshare-uts');
      assert.equal(r.code, 0, r.stderr);
      return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.replace(/:\s+/, '=').split('=') as [string, string]));
    };
    // keyctl and add_key need no capability: only the filter stops them; unshare needs SYS_ADMIN.
    assert.deepEqual(calls([]), { Seccomp: '2', keyctl: 'EPERM', add_key: 'EPERM', 'unshare-user': 'EPERM', 'unshare-uts': 'EPERM' });
    // SYS_ADMIN opens the calls gated on it (unshare), not the ones the profile never allows.
    assert.deepEqual(calls(['--cap-add', 'SYS_ADMIN']), { Seccomp: '2', keyctl: 'EPERM', add_key: 'EPERM', 'unshare-user': 'ok', 'unshare-uts': 'ok' });
    // Without the filter the same calls get through to the kernel.
    const open = calls(['--security-opt', 'seccomp=unconfined']);
    assert.equal(open['Seccomp'], '0');
    assert.notEqual(open['keyctl'], 'EPERM');
    assert.notEqual(open['add_key'], 'EPERM');
    assert.equal(open['unshare-user'], 'ok');
  });

  // crun compiles a profile once; later containers get its filter back precompiled
  // (plugins/runtime-oci/seccomp-filters.ts). Mutation seen red: learn() keeping an empty
  // program (the second container's config carries no filter).
  test('a profile crun compiled once is handed to it precompiled, and filters the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
    try {
      // A profile no other container has used (filters are kept per store and berth build): an argument
      // rule on a value drawn now.
      const nonce = Math.floor(Math.random() * 2 ** 30) + 1;
      const profile = join(dir, 'profile.json');
      writeFileSync(profile, JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['keyctl', 'add_key'], action: 'SCMP_ACT_ERRNO' },
          { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: nonce, op: 'SCMP_CMP_EQ' }] },
        ],
      }));
      const probe = ['-v', `${syscallProbeDir()}:/probe:ro`, '--security-opt', `seccomp=${profile}`];
      const config = (name: string) => {
        const id = store.berth(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
        return JSON.parse(readFileSync(join(store.root, 'containers', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
      };
      const outputs: string[] = [];
      for (const name of ['seccomp-first', 'seccomp-second']) {
        const r = store.berth(['run', '--name', name, ...probe, busyboxImage, 'sh', '-c', 'grep Seccomp: /proc/self/status; /probe/syscall-probe keyctl add_key unshare-uts']);
        assert.equal(r.code, 0, r.stderr);
        outputs.push(r.stdout.replace(/\s+/g, ' ').trim());
      }
      assert.equal(config('seccomp-first').annotations?.['run.oci.seccomp_bpf_data'], undefined, 'the first container has crun compile the profile');
      const bpf = Buffer.from(config('seccomp-second').annotations?.['run.oci.seccomp_bpf_data'] ?? '', 'base64');
      assert.ok(bpf.length > 0 && bpf.length % 8 === 0, `the second container hands crun a compiled filter (${bpf.length} bytes)`);
      // keyctl and add_key refused by the filter (no capability involved), unshare by the missing SYS_ADMIN only.
      assert.deepEqual(outputs, ['Seccomp: 2 keyctl=EPERM add_key=EPERM unshare-uts=EPERM', 'Seccomp: 2 keyctl=EPERM add_key=EPERM unshare-uts=EPERM']);
      store.berth(['rm', 'seccomp-first', 'seccomp-second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('/proc/sys is read-only and the host filesystem is unreachable', () => {
    // A path this test makes on the host, so the check cannot pass because the host lacks it.
    const marker = mkdtempSync('/berth-host-marker-');
    try {
      const r = run([], 'sh', '-c', `echo 1 > /proc/sys/kernel/panic 2>&1; echo "write=$?"; ls /; test -e ${marker} && echo HOST-VISIBLE; cat /proc/1/mountinfo | head -n 1`);
      assert.match(r.stdout, /write=1/);
      assert.doesNotMatch(r.stdout, /HOST-VISIBLE/);
      assert.match(r.stdout, /^bin$/m);
      assert.match(r.stdout, / \/ \/ rw?.*- overlay overlay /);
      // The same check sees the path when it is mounted in: it can fail.
      const seen = run(['-v', `${marker}:${marker}`], 'sh', '-c', `test -e ${marker} && echo HOST-VISIBLE`);
      assert.match(seen.stdout, /HOST-VISIBLE/);
    } finally {
      rmSync(marker, { recursive: true, force: true });
    }
  });

  test('a second container from the same image does not see the first one\'s writes', () => {
    const first = store.berth(['run', '--name', 'writer', busyboxImage, 'sh', '-c', 'echo secret > /etc/written; cat /etc/written']);
    assert.equal(first.stdout.trim(), 'secret');
    const second = run([], 'cat', '/etc/written');
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /No such file or directory/);
    store.berth(['rm', 'writer']);
  });

  test('--network none shows only lo', () => {
    const r = run(['--network', 'none'], 'ls', '/sys/class/net');
    assert.equal(r.stdout.trim(), 'lo');
  });

  test('-u 1000 runs as uid 1000 with an empty effective capability set', () => {
    const r = run(['-u', '1000'], 'sh', '-c', 'id -u; grep -E "^Cap(Eff|Prm)" /proc/self/status');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '1000');
    assert.match(r.stdout, /CapEff:\s+0000000000000000/);
    assert.match(r.stdout, /CapPrm:\s+0000000000000000/);
    const root = run([], 'grep', 'CapEff', '/proc/self/status');
    assert.match(root.stdout, /CapEff:\s+00000000a80425fb/, 'root gets Docker\'s default capability set');
  });

  test('--cap-drop, --cap-add and --read-only change what the process may do', () => {
    // Mutation seen red: capabilities.ts ignoring capDrop (the chown succeeds).
    const chown = run([], 'chown', '1000', '/tmp');
    assert.equal(chown.code, 0, `root may chown by default: ${chown.stderr}`);
    const noChown = run(['--cap-drop', 'CHOWN'], 'chown', '1000', '/tmp');
    assert.notEqual(noChown.code, 0);
    assert.match(noChown.stderr, /Operation not permitted/);
    const noAdmin = run([], 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted');
    assert.doesNotMatch(noAdmin.stdout, /mounted/);
    const admin = run(['--cap-add', 'SYS_ADMIN'], 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted');
    assert.match(admin.stdout, /mounted/);
    const ro = run(['--read-only'], 'touch', '/etc/x');
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const rw = run(['--read-only', '--tmpfs', '/scratch'], 'sh', '-c', 'touch /scratch/ok && echo ok');
    assert.equal(rw.stdout.trim(), 'ok');
  });

  test('environment, working directory, user by name, volumes and ulimits reach the process', () => {
    const r = run(['-e', 'GREETING=ahoy', '-w', '/home/app', '-u', 'app', '--ulimit', 'nofile=512:1024'], 'sh', '-c', 'echo $GREETING; pwd; id -un; ulimit -n; echo $HOME');
    assert.deepEqual(r.stdout.trim().split('\n'), ['ahoy', '/home/app', 'app', '512', '/home/app']);
  });

  // Mutation seen red: toOciMount ignoring `readonly` (the write reaches the host).
  test('-v shows host files, rw writes reach the host, :ro refuses them while the mount is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-volume-'));
    try {
      writeFileSync(join(dir, 'from-host'), 'hello from the host\n');
      const rw = run(['-v', `${dir}:/data`], 'sh', '-c', 'cat /data/from-host && echo written > /data/from-container');
      assert.equal(rw.code, 0, rw.stderr);
      assert.equal(rw.stdout, 'hello from the host\n');
      assert.equal(readFileSync(join(dir, 'from-container'), 'utf8'), 'written\n');
      const ro = run(['-v', `${dir}:/data:ro`], 'sh', '-c', 'cat /data/from-host; echo again > /data/from-container; echo "write=$?"; grep " /data " /proc/self/mountinfo');
      assert.match(ro.stdout, /^hello from the host$/m, 'the mount is there');
      assert.match(ro.stdout, /^write=1$/m);
      assert.match(ro.stderr, /Read-only file system/);
      assert.match(ro.stdout, / \/data ro[, ]/, 'mounted read-only');
      assert.equal(readFileSync(join(dir, 'from-container'), 'utf8'), 'written\n', 'the host file is unchanged');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no-new-privileges is set when asked', () => {
    const r = run(['--security-opt', 'no-new-privileges'], 'grep', 'NoNewPrivs', '/proc/self/status');
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
  });
});
