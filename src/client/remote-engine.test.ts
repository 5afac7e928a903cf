import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { ago, containerListRow, containerStatusText, goFileMode, parsePublish, parseVolumeFlag } from '../api/index.js';
import { stModeOf } from './archive.js';
import { createBody } from './create-body.js';
import { recordFromInspect, recordFromSummary, durationSeconds } from './container-records.js';
import type { DockerContainerSummary } from './container-records.js';
import { filtersParam, queryString } from './docker-api.js';
import { resolveEndpoint } from './remote-target.js';
import { openRemoteEngine } from './remote-engine.js';

test('durations read back from Docker\'s words give the same words', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  for (const seconds of [0, 1, 2, 59, 60, 89, 119, 150, 3599, 3600, 5400, 7200, 86400 * 3, 86400 * 20, 86400 * 90, 86400 * 800]) {
    const words = ago(new Date(now - seconds * 1000).toISOString(), now).replace(/ ago$/, '');
    const back = durationSeconds(words);
    assert.notEqual(back, undefined, words);
    assert.equal(ago(new Date(now - (back as number) * 1000).toISOString(), now + 30), `${words} ago`, `${seconds}s: ${words}`);
  }
});

test('a list summary gives the status text, command, ports and labels it came with', () => {
  const summary = (Status: string, State: string): DockerContainerSummary => ({
    Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox:1', ImageID: `sha256:${'b'.repeat(64)}`, Command: "sh -c 'exit 3'", Created: 1_700_000_000,
    Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }],
    Labels: { b: '2', a: '1' }, State, Status, HostConfig: { NetworkMode: 'default' }, Mounts: [{ Type: 'volume', Name: 'data', Source: '/var/lib/x/_data', Destination: '/data' }],
  });
  for (const [status, state] of [['Exited (3) 2 hours ago', 'exited'], ['Up 5 minutes', 'running'], ['Up About a minute (healthy)', 'running'], ['Up 3 seconds (health: starting)', 'running'], ['Up 2 days (Paused)', 'paused'], ['Created', 'created'], ['Restarting (1) Less than a second ago', 'restarting']] as const) {
    const record = recordFromSummary(summary(status, state));
    assert.equal(containerStatusText(record), status);
    const row = containerListRow(record, { trunc: true });
    assert.equal(row.Command, '"sh -c \'exit 3\'"');
    assert.equal(row.Names, 'web');
    assert.equal(row.Ports, '0.0.0.0:8080->80/tcp, 443/tcp');
    assert.equal(row.Labels, 'a=1,b=2');
    assert.equal(row.Mounts, 'data');
    assert.equal(row.Networks, 'bridge');
    assert.equal(row.CreatedAt, '2023-11-14 22:13:20 +0000 UTC');
  }
});

test('an inspect body becomes a record whose fields the views show as they were', () => {
  const record = recordFromInspect({
    Id: 'c'.repeat(64), Created: '2026-01-01T00:00:00.5Z', Name: '/db', Image: `sha256:${'d'.repeat(64)}`, RestartCount: 2,
    State: { Status: 'running', Pid: 42, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: '2026-01-01T00:00:01Z', FinishedAt: '0001-01-01T00:00:00Z' },
    Config: { Hostname: 'cccccccccccc', Image: 'postgres:16', Cmd: ['postgres'], Tty: true, Labels: null },
    HostConfig: { NetworkMode: 'default', Memory: 64 << 20, MemorySwap: 128 << 20, RestartPolicy: { Name: 'always', MaximumRetryCount: 0 }, PortBindings: { '5432/tcp': [{ HostIp: '', HostPort: '5432' }] }, Links: ['/other:/db/alias'] },
    Mounts: [{ Type: 'bind', Source: '/srv', Destination: '/srv', RW: false }],
    NetworkSettings: { SandboxKey: '/var/run/docker/netns/x', Ports: { '5432/tcp': [{ HostIp: '0.0.0.0', HostPort: '5432' }] }, Networks: { bridge: { NetworkID: 'n'.repeat(64), EndpointID: 'e'.repeat(64), Gateway: '172.17.0.1', IPAddress: '172.17.0.2', IPPrefixLen: 16, MacAddress: '02:42:ac:11:00:02' } } },
  });
  assert.equal(record.name, 'db');
  assert.equal(record.image, 'postgres:16');
  assert.equal(record.config.Tty, true);
  assert.equal(record.state.restartCount, 2);
  assert.equal(record.hostConfig.networkMode, 'bridge');
  assert.equal(record.hostConfig.memory, 64 << 20);
  // twice Memory is Docker's default swap: not a value the user gave
  assert.equal(record.hostConfig.memorySwap, undefined);
  assert.deepEqual(record.hostConfig.restartPolicy, { name: 'always', maximumRetryCount: 0 });
  assert.deepEqual(record.hostConfig.links, ['other:alias']);
  assert.deepEqual(record.hostConfig.binds, [{ type: 'bind', source: '/srv', target: '/srv', readonly: true }]);
  assert.deepEqual(record.networkSettings?.ports, [{ containerPort: 5432, protocol: 'tcp', hostIp: '', hostPort: 5432 }]);
  assert.equal(record.networkSettings?.networks['bridge']?.ipAddress, '172.17.0.2');
});

test('create options become the body the docker CLI sends for the same flags', () => {
  const body = createBody({
    image: 'busybox:1', name: 'x', cmd: ['sh'], env: ['A=1'], tty: true, openStdin: true, stdinOnce: true, labels: { k: 'v' }, tmpfs: ['/run:size=1m'], exposedPorts: ['9000'],
    host: {
      autoRemove: true, networkMode: 'net1', networks: [{ network: 'net1', aliases: ['web'] }, { network: 'net2' }],
      binds: [parseVolumeFlag('/host:/in:ro'), parseVolumeFlag('vol:/data'), parseVolumeFlag('/anon')],
      portBindings: parsePublish('127.0.0.1:8080:80'), restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, memory: 1 << 20, macAddress: '02:00:00:00:00:01',
    },
  }, { stdin: true, stdout: true, stderr: true });
  const h = body['HostConfig'] as Record<string, unknown>;
  assert.deepEqual(h['Binds'], ['/host:/in:ro', 'vol:/data', '/anon']);
  assert.deepEqual(h['PortBindings'], { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.deepEqual(body['ExposedPorts'], { '9000/tcp': {}, '80/tcp': {} });
  assert.deepEqual(h['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(h['Tmpfs'], { '/run': 'size=1m' });
  assert.equal(h['AutoRemove'], true);
  assert.equal(h['NetworkMode'], 'net1');
  assert.equal(body['MacAddress'], '02:00:00:00:00:01');
  // API 1.41 takes one network at create: the first, with its aliases.
  assert.deepEqual(body['NetworkingConfig'], { EndpointsConfig: { net1: { Aliases: ['web'] } } });
  assert.deepEqual([body['Tty'], body['OpenStdin'], body['StdinOnce'], body['Cmd'], body['Env']], [true, true, true, ['sh'], ['A=1']]);
});

test('filters and queries in the API\'s forms', () => {
  assert.equal(filtersParam(['label=a=b', 'status=exited', 'label=c']), '{"label":{"a=b":true,"c":true},"status":{"exited":true}}');
  assert.equal(filtersParam([]), undefined);
  assert.throws(() => filtersParam(['nope']), (err: unknown) => isBerthError(err, 'InvalidArgument'));
  assert.equal(queryString({ t: ['a:1', 'b'], q: true, rm: false, skip: undefined, n: 3 }), '?t=a%3A1&t=b&q=1&rm=0&n=3');
});

test('hosts: unix sockets, tcp only with TLS, and what is wrong named', () => {
  assert.deepEqual(resolveEndpoint({ host: 'unix:///run/berth/berth.sock', env: {} }), { kind: 'unix', path: '/run/berth/berth.sock', display: 'unix:///run/berth/berth.sock' });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return isBerthError(err) ? err.code : 'not a BerthError';
    }
    return 'no error';
  };
  assert.equal(code(() => resolveEndpoint({ host: 'tcp://127.0.0.1:2376', env: {} })), 'BERTH_E_TLS_REQUIRED');
  assert.equal(code(() => resolveEndpoint({ host: 'unix://relative.sock', env: {} })), 'BERTH_E_INVALID_HOST');
  assert.equal(code(() => resolveEndpoint({ host: 'tcp://host', env: {} })), 'BERTH_E_INVALID_HOST');
  assert.equal(code(() => resolveEndpoint({ host: 'unix:///x.sock', tlsverify: true, env: {} })), 'BERTH_E_TLS_ON_UNIX');
  assert.equal(code(() => resolveEndpoint({ host: 'tcp://127.0.0.1:2376', env: { BERTH_TLS_VERIFY: '1', BERTH_CERT_PATH: '/nonexistent' } })), 'BERTH_E_TLS_FILE_NOT_FOUND');
});

test('the archive stat header\'s Go FileMode reads back as the st_mode the daemon stat\'ed', () => {
  for (const mode of [0o100644, 0o040755, 0o120777, 0o020666, 0o060660, 0o010600, 0o140755, 0o104755, 0o102755, 0o041777]) {
    assert.equal(stModeOf(goFileMode(mode)).toString(8), mode.toString(8));
  }
});

test('what only a local store has rejects with the unsupported error, naming the command', async () => {
  const engine = openRemoteEngine({ host: 'unix:///run/berth/none.sock', env: {} });
  await assert.rejects(engine.system.check(), (err: unknown) => isBerthError(err, 'NotImplemented') && err.code === 'BERTH_E_REMOTE_UNSUPPORTED' && /"berth system check" is not available with --host/.test(err.message));
  await assert.rejects(engine.images.bootstrap('debian:bookworm'), (err: unknown) => isBerthError(err, 'NotImplemented') && /"berth image bootstrap"/.test(err.message));
  engine.close();
});
