import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('a container is an isolated process', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());
  const run = (args: string[], ...cmd: string[]) => store.berth(['run', '--rm', ...args, busyboxImage, ...cmd]);

  test('PID 1 is the user command and host processes are invisible', () => {
    const r = run([], 'sh', '-c', 'echo "pid=$$"; ps -o pid,comm | tail -n +2 | wc -l');
    assert.equal(r.code, 0, r.stderr);
    const [pidLine, count] = r.stdout.trim().split('\n');
    assert.equal(pidLine, 'pid=1');
    // Only sh and ps (and wc, tail) exist: none of the host's hundreds of processes.
    assert.ok(Number(count) <= 4, `saw ${count} processes`);
  });

  test('the hostname is the container\'s own', () => {
    const r = run(['--hostname', 'harbor-7'], 'hostname');
    assert.equal(r.stdout.trim(), 'harbor-7');
    const dflt = run([], 'hostname');
    assert.match(dflt.stdout.trim(), /^[a-f0-9]{12}$/);
  });

  test('mount, unshare and module loading fail with EPERM', () => {
    const r = run([], 'sh', '-c', 'mkdir -p /mnt; mount -t tmpfs none /mnt; echo "mount=$?"; unshare -m true; echo "unshare=$?"; insmod /nonexistent.ko; echo "insmod=$?"');
    assert.match(r.stdout, /mount=[1-9]/);
    assert.match(r.stdout, /unshare=[1-9]/);
    assert.match(r.stdout, /insmod=[1-9]/);
    assert.match(r.stderr, /unshare: unshare\(0x20000\): Operation not permitted/);
    assert.match(r.stderr, /mount: permission denied|Operation not permitted/);
  });

  test('/proc/sys is read-only and the host filesystem is unreachable', () => {
    const r = run([], 'sh', '-c', 'echo 1 > /proc/sys/kernel/panic 2>&1; echo "write=$?"; ls /; test -e /work && echo HOST-VISIBLE; cat /proc/1/mountinfo | head -n 1');
    assert.match(r.stdout, /write=1/);
    assert.doesNotMatch(r.stdout, /HOST-VISIBLE/);
    assert.match(r.stdout, /^bin$/m);
    assert.match(r.stdout, / \/ \/ rw?.*- overlay overlay /);
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

  test('--cap-drop, --cap-add, --privileged and --read-only change what the process may do', () => {
    const noChown = run(['--cap-drop', 'CHOWN'], 'chown', '1000', '/tmp');
    assert.notEqual(noChown.code, 0);
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
    const vol = run(['-v', `${store.root}:/host-dir:ro`], 'sh', '-c', 'ls /host-dir >/dev/null && touch /host-dir/x');
    assert.notEqual(vol.code, 0, 'a read-only bind mount refuses writes');
  });

  test('no-new-privileges is set when asked', () => {
    const r = run(['--security-opt', 'no-new-privileges'], 'grep', 'NoNewPrivs', '/proc/self/status');
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
  });
});
