import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { createOptionsFromBody } from './create-body.js';

/** A part of what docker 28 sent for `docker create --name x -e A=1 -l x=y --memory 64m --cpus 0.5 --restart on-failure:3 ...` (recorded against dockerd 20.10). */
const v28Body = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: ['A=1'], Cmd: ['echo', 'hi'], Healthcheck: { Test: ['CMD-SHELL', 'true'] }, Image: 'bb:1', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null,
  Labels: { x: 'y' }, StopSignal: 'USR1', StopTimeout: 3,
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'none', PortBindings: {}, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: ['CAP_NET_ADMIN'], CapDrop: null, CgroupnsMode: '', Dns: ['1.1.1.1'], DnsOptions: [],
    DnsSearch: [], ExtraHosts: ['a:1.2.3.4'], GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, Tmpfs: { '/t': 'size=1m' }, UTSMode: '', UsernsMode: '', ShmSize: 1048576, Isolation: '', CpuShares: 0, Memory: 67108864,
    NanoCpus: 500000000, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '',
    Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/nul2', CgroupPermissions: 'rwm' }], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0,
    MemorySwap: 0, MemorySwappiness: -1, OomKillDisable: false, PidsLimit: 0, Ulimits: [{ Name: 'nofile', Hard: 200, Soft: 100 }], CpuCount: 0, CpuPercent: 0,
    IOMaximumIOps: 0, IOMaximumBandwidth: 0, Mounts: [{ Type: 'tmpfs', Target: '/m' }], MaskedPaths: null, ReadonlyPaths: null, Init: true,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

describe('createOptionsFromBody', () => {
  test('docker 28\'s body becomes the options its flags give; zero values ask for nothing', () => {
    const o = createOptionsFromBody(v28Body, 'x');
    assert.equal(o.name, 'x');
    assert.equal(o.image, 'bb:1');
    assert.deepEqual(o.cmd, ['echo', 'hi']);
    assert.equal(o.entrypoint, undefined);
    assert.deepEqual(o.env, ['A=1']);
    assert.deepEqual(o.labels, { x: 'y' });
    assert.deepEqual([o.stopSignal, o.stopTimeout], ['USR1', 3]);
    assert.deepEqual(o.healthcheck, { Test: ['CMD-SHELL', 'true'] });
    assert.deepEqual(o.tmpfs, ['/t:size=1m']);
    const h = o.host!;
    assert.equal(h.networkMode, 'none');
    assert.deepEqual(h.restartPolicy, { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual([h.memory, h.nanoCpus, h.shmSize, h.init], [67108864, 500000000, 1048576, true]);
    assert.equal(h.pidsLimit, undefined);
    assert.deepEqual(h.capAdd, ['CAP_NET_ADMIN']);
    assert.deepEqual([h.dns, h.extraHosts], [['1.1.1.1'], ['a:1.2.3.4']]);
    assert.deepEqual(h.ulimits, [{ name: 'nofile', soft: 100, hard: 200 }]);
    assert.deepEqual(h.devices, [{ pathOnHost: '/dev/null', pathInContainer: '/dev/nul2', cgroupPermissions: 'rwm' }]);
    assert.deepEqual(h.logConfig, { type: 'json-file', config: {} });
    assert.deepEqual(h.binds, [{ type: 'tmpfs', source: 'tmpfs', target: '/m', readonly: false, options: ['noexec', 'mode=1777'] }]);
    assert.equal(o.tty, undefined);
    assert.equal(h.autoRemove, undefined);
  });

  test('NetworkMode default is bridge; docker 28\'s `default` endpoint and compose\'s aliases', () => {
    const v28 = createOptionsFromBody({ Image: 'i', HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { default: { IPAMConfig: null, Aliases: null, MacAddress: '' } } } }, undefined);
    assert.equal(v28.host!.networkMode, 'bridge');
    assert.equal(v28.host!.networkAliases, undefined);
    assert.equal(v28.host!.networks, undefined);
    const compose = createOptionsFromBody({ Image: 'i', HostConfig: { NetworkMode: 'proj_default' }, NetworkingConfig: { EndpointsConfig: { proj_default: { Aliases: ['web'], IPAMConfig: {} } } } }, undefined);
    assert.equal(compose.host!.networkMode, 'proj_default');
    assert.deepEqual(compose.host!.networkAliases, ['web']);
    const two = createOptionsFromBody({ Image: 'i', HostConfig: { NetworkMode: 'a' }, NetworkingConfig: { EndpointsConfig: { b: { Aliases: ['x'] }, a: { IPAMConfig: { IPv4Address: '10.9.0.5' } } } } }, undefined);
    assert.deepEqual(two.host!.networks, [{ network: 'a', ipv4Address: '10.9.0.5' }, { network: 'b', aliases: ['x'] }]);
  });

  test('PortBindings through -p\'s parser (and exposed), CPU quota as CPUs, Volumes besides Binds, --entrypoint \'\'', () => {
    const o = createOptionsFromBody({
      Image: 'i', Entrypoint: [''], Volumes: { '/data': {}, '/anon': {} },
      HostConfig: { Binds: ['vol:/data'], PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, CpuQuota: 150000, CpuPeriod: 100000 },
    }, undefined);
    assert.deepEqual(o.entrypoint, []);
    assert.deepEqual(o.host!.portBindings, [
      { containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 8080 },
      { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0 },
    ]);
    assert.deepEqual(o.exposedPorts, ['80/tcp', '53/udp']);
    assert.equal(o.host!.nanoCpus, 1_500_000_000);
    assert.deepEqual(o.host!.binds!.map((b) => [b.type, b.source, b.target, b.anonymous === true]), [['volume', 'vol', '/data', false], ['volume', '', '/anon', true]]);
  });

  test('what berth cannot honour is refused by name; wrong types and bad values are 400s', () => {
    const refused = (body: object, field: string) => assert.throws(() => createOptionsFromBody({ Image: 'i', ...body }, undefined), (err: Error) => err.message.startsWith(`${field} is not supported by berth`));
    refused({ HostConfig: { UsernsMode: 'remap' } }, 'HostConfig.UsernsMode');
    refused({ HostConfig: { CpuRealtimeRuntime: 9500 } }, 'HostConfig.CpuRealtimeRuntime');
    refused({ HostConfig: { Isolation: 'hyperv' } }, 'HostConfig.Isolation');
    refused({ HostConfig: { KernelMemory: 1 << 20 } }, 'HostConfig.KernelMemory');
    refused({ HostConfig: { Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'nfs' } } }] } }, 'HostConfig.Mounts[0].VolumeOptions.DriverConfig.Name');
    refused({ Shell: ['/bin/bash', '-c'] }, 'Shell');
    // Their zero values, and the defaults clients send, are fine.
    createOptionsFromBody({ Image: 'i', HostConfig: { CgroupnsMode: 'private', Isolation: 'default', VolumeDriver: 'local', MemorySwappiness: -1, KernelMemory: 0 } }, undefined);
    const bad = (body: unknown, message: RegExp) => assert.throws(() => createOptionsFromBody(body, undefined), (err: Error) => message.test(err.message));
    bad({ Image: 'i', HostConfig: { Memory: '1g' } }, /^HostConfig\.Memory must be an integer$/);
    bad({ Image: 'i', Env: 'A=1' }, /Env must be a list of strings/);
    bad({ Cmd: ['true'] }, /Config\.Image is required/);
    bad({ Image: 'i', WorkingDir: 'rel' }, /needs to be an absolute path/);
    bad({ Image: 'i', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, /AutoRemove/);
    bad({ Image: 'i', HostConfig: { NanoCpus: 1e9, CpuQuota: 50000 } }, /Conflicting options/);
    bad({ Image: 'i', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } }, /maximum retry count cannot be used with restart policy 'always'/);
    bad({ Image: 'i', HostConfig: { LogConfig: { Type: 'syslog' } } }, /no log driver named 'syslog'/);
    bad({ Image: 'i', HostConfig: { Mounts: [{ Type: 'bind', Source: 'rel', Target: '/t' }] } }, /mount path must be absolute/);
    bad([], /must be a JSON object/);
    bad({ Image: 'i', HostConfig: { UTSMode: 'container:x' } }, /^invalid UTS mode: container:x$/);
    bad({ Image: 'i', HostConfig: { CgroupnsMode: 'shared' } }, /^invalid cgroup namespace mode: shared$/);
    bad({ Image: 'i', HostConfig: { MemorySwappiness: 101 } }, /Valid memory swappiness range is 0-100/);
    bad({ Image: 'i', HostConfig: { BlkioWeight: 2000 } }, /Range of blkio weight is from 10 to 1000/);
    bad({ Image: 'i', HostConfig: { BlkioWeightDevice: [{ Path: '/dev/vda', Weight: 1 }] } }, /BlkioWeightDevice\[0\]\.Weight: invalid weight for device/);
    bad({ Image: 'i', HostConfig: { BlkioDeviceReadBps: [{ Rate: 1 }] } }, /HostConfig\.BlkioDeviceReadBps\[0\]\.Path must name a device/);
    bad({ Image: 'i', HostConfig: { BlkioDeviceWriteIOps: [{ Path: '/dev/vda', Rate: -1 }] } }, /BlkioDeviceWriteIOps\[0\]\.Rate can not be negative/);
    bad({ Image: 'i', HostConfig: { DeviceCgroupRules: ['q'] } }, /invalid device cgroup format 'q'/);
  });

  test('namespace modes, the OOM switch, swappiness, block I/O, device rules, annotations and system paths as berth\'s HostConfig', () => {
    const o = createOptionsFromBody({
      Image: 'i',
      HostConfig: {
        UTSMode: 'host', CgroupnsMode: 'host', OomKillDisable: true, MemorySwappiness: 0, BlkioWeight: 300,
        BlkioWeightDevice: [{ Path: '/dev/vda', Weight: 200 }], BlkioDeviceReadBps: [{ Path: '/dev/vda', Rate: 1048576 }], BlkioDeviceWriteIOps: [{ Path: '/dev/vda', Rate: 100 }],
        DeviceCgroupRules: ['c 1:3 rwm'], Annotations: { a: 'b' }, MaskedPaths: [], ReadonlyPaths: ['/proc/sys'],
      },
    }, undefined);
    const h = o.host!;
    assert.deepEqual(
      [h.utsMode, h.cgroupnsMode, h.oomKillDisable, h.memorySwappiness, h.blkioWeight, h.blkioWeightDevice, h.blkioDeviceReadBps, h.blkioDeviceWriteBps, h.blkioDeviceWriteIOps, h.deviceCgroupRules, h.annotations, h.maskedPaths, h.readonlyPaths],
      ['host', 'host', true, 0, 300, [{ path: '/dev/vda', weight: 200 }], [{ path: '/dev/vda', rate: 1048576 }], undefined, [{ path: '/dev/vda', rate: 100 }], ['c 1:3 rwm'], { a: 'b' }, [], ['/proc/sys']],
    );
    // What the docker CLI sends by default sets none of them.
    const plain = createOptionsFromBody({ Image: 'i', HostConfig: { UTSMode: '', CgroupnsMode: 'private', OomKillDisable: false, MemorySwappiness: -1, BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: null, DeviceCgroupRules: null, MaskedPaths: null } }, undefined).host!;
    assert.deepEqual(Object.keys(plain).filter((k) => /uts|cgroupns|oom|swappiness|blkio|deviceCgroup|annotations|Paths/i.test(k)), []);
  });
});
