import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkSysctls, parseCpuset, parseDeviceMapping, parseIpcMode, parsePidMode, parseRestartPolicy, parseSysctl, signalNumber } from './index.js';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === `BERTH_E_${c}`;

test('--restart: Docker\'s policies and messages', () => {
  assert.deepEqual(parseRestartPolicy(''), { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('always'), { name: 'always', maximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure'), { name: 'on-failure', maximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure:5'), { name: 'on-failure', maximumRetryCount: 5 });
  assert.throws(() => parseRestartPolicy('sometimes'), /invalid restart policy 'sometimes'/);
  assert.throws(() => parseRestartPolicy('always:2'), /cannot be used with restart policy 'always'/);
  assert.throws(() => parseRestartPolicy('on-failure:x'), /must be an integer/);
  assert.throws(() => parseRestartPolicy('on-failure:-1'), /cannot be negative/);
  assert.throws(() => parseRestartPolicy('on-failure:1:2'), code('INVALID_RESTART_POLICY'));
});

test('--device: HOST[:CONTAINER][:PERMS] as docker\'s CLI splits it', () => {
  assert.deepEqual(parseDeviceMapping('/dev/fuse'), { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'rwm' });
  assert.deepEqual(parseDeviceMapping('/dev/fuse:r'), { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'r' });
  assert.deepEqual(parseDeviceMapping('/dev/sda:/dev/xvda'), { pathOnHost: '/dev/sda', pathInContainer: '/dev/xvda', cgroupPermissions: 'rwm' });
  assert.deepEqual(parseDeviceMapping('/dev/sda:/dev/xvda:rw'), { pathOnHost: '/dev/sda', pathInContainer: '/dev/xvda', cgroupPermissions: 'rw' });
  assert.throws(() => parseDeviceMapping('/dev/sda:/dev/x:rwq'), /bad mode specified: rwq/);
  assert.throws(() => parseDeviceMapping('/dev/sda:/dev/x:rr'), /bad mode specified: rr/);
  assert.throws(() => parseDeviceMapping('/dev/sda:rel'), /rel is not an absolute path/);
  assert.throws(() => parseDeviceMapping('a:b:c:d'), /invalid device specification/);
});

test('--sysctl: only namespaced ones; the host\'s namespaces refuse theirs', () => {
  assert.deepEqual(parseSysctl('net.core.somaxconn=1024'), ['net.core.somaxconn', '1024']);
  assert.deepEqual(parseSysctl('kernel.shm_rmid_forced=1'), ['kernel.shm_rmid_forced', '1']);
  assert.deepEqual(parseSysctl('fs.mqueue.msg_max=20'), ['fs.mqueue.msg_max', '20']);
  for (const bad of ['kernel.hostname=x', 'vm.swappiness=1', 'net.ipv4.ip_forward', 'kernel.shmmaxx=1']) assert.throws(() => parseSysctl(bad), /is not allowed/, bad);
  checkSysctls({ 'net.ipv4.ip_forward': '1', 'kernel.sem': '1 2 3 4' }, { network: 'none', ipc: 'private' });
  assert.throws(() => checkSysctls({ 'net.ipv4.ip_forward': '1' }, { network: 'host', ipc: 'private' }), /not allowed in host network namespace/);
  assert.throws(() => checkSysctls({ 'kernel.msgmax': '1' }, { network: 'none', ipc: 'host' }), /not allowed in the hosts ipc namespace/);
  checkSysctls({ 'kernel.msgmax': '1' }, { network: 'none', ipc: 'container:db' });
});

test('--ipc, --pid, signals and cpusets', () => {
  assert.equal(parseIpcMode(''), 'private');
  for (const m of ['private', 'shareable', 'host', 'none', 'container:db']) assert.equal(parseIpcMode(m), m);
  assert.throws(() => parseIpcMode('container:'), /Invalid IPC mode: container:/);
  for (const m of ['', 'host', 'container:db']) assert.equal(parsePidMode(m), m);
  assert.throws(() => parsePidMode('private'), code('INVALID_PID_MODE'));
  assert.deepEqual(['SIGTERM', 'TERM', 'term', '15', 'SIGKILL', 'SIGRTMIN+3', 'RTMAX'].map(signalNumber), [15, 15, 15, 15, 9, 37, 64]);
  for (const bad of ['FOO', '0', '65', 'SIG', 'SIGRTMAX+1', '']) assert.throws(() => signalNumber(bad), /Invalid signal/, bad);
  assert.deepEqual(parseCpuset('0-2,5,1', 'cpus'), [0, 1, 2, 5]);
  assert.throws(() => parseCpuset('abc', 'cpus'), /Invalid value abc for cpuset cpus: invalid format: abc/);
  assert.throws(() => parseCpuset('3-1', 'mems'), /for cpuset mems/);
});
