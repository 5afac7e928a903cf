import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import type { HostConfig } from '../core/containers/index.js';
import type { CgroupFeatures } from '../core/runtime/index.js';
import { cgroupLimits, fitToHostCgroups } from './cgroup-limits.js';

const base = (): HostConfig => ({ autoRemove: false, binds: [], networkMode: 'none', readonlyRootfs: false, privileged: false, capAdd: [], capDrop: [], securityOpt: [], ulimits: [], runtime: '' });
const all: CgroupFeatures = { version: 1, memorySwappiness: true, oomKillDisable: true, blkioWeight: true, blkioWeightDevice: true, blkioThrottle: true };
const none: CgroupFeatures = { version: 2, memorySwappiness: false, oomKillDisable: false, blkioWeight: false, blkioWeightDevice: false, blkioThrottle: false };

test('fitToHostCgroups drops what the host cannot apply, with dockerd 20.10\'s warnings, and keeps the rest', () => {
  const asked = (): HostConfig => ({
    ...base(), memory: 64 << 20, oomKillDisable: true, memorySwappiness: 10, blkioWeight: 300, blkioWeightDevice: [{ path: '/dev/null', weight: 200 }],
    blkioDeviceReadBps: [{ path: '/dev/null', rate: 1 }], blkioDeviceWriteIOps: [{ path: '/dev/null', rate: 2 }],
  });
  const kept = asked();
  assert.deepEqual(fitToHostCgroups(kept, all), []);
  assert.deepEqual(kept, asked());

  const dropped = asked();
  assert.deepEqual(fitToHostCgroups(dropped, none), [
    'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
    'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
    'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
    'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
  ]);
  assert.deepEqual(dropped, { ...base(), memory: 64 << 20 });
  assert.deepEqual(cgroupLimits(dropped), {});

  // The OOM killer off without a memory limit: kept, with dockerd's warning.
  const unlimited = { ...base(), oomKillDisable: true };
  assert.deepEqual(fitToHostCgroups(unlimited, all), ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.']);
  assert.equal(unlimited.oomKillDisable, true);
});

test('cgroupLimits gives the spec a block device\'s numbers, and refuses a missing device or one that is not a block device by name', () => {
  // A block device of this host, and its numbers as the kernel lists them.
  const disk = readdirSync('/sys/block').find((d) => existsSync(`/dev/${d}`));
  assert.ok(disk, 'a block device');
  const [major, minor] = readFileSync(`/sys/block/${disk}/dev`, 'utf8').trim().split(':').map(Number) as [number, number];
  const path = `/dev/${disk}`;
  const limits = cgroupLimits({ ...base(), memorySwappiness: 0, oomKillDisable: true, blkioWeight: 500, blkioWeightDevice: [{ path, weight: 20 }], blkioDeviceReadBps: [{ path, rate: 1048576 }] });
  assert.deepEqual(limits, {
    memorySwappiness: 0, oomKillDisable: true,
    blockIO: { weight: 500, weightDevice: [{ major, minor, weight: 20 }], throttleReadBpsDevice: [{ major, minor, rate: 1048576 }] },
  });
  assert.throws(() => cgroupLimits({ ...base(), blkioDeviceWriteBps: [{ path: '/dev/nope', rate: 1 }] }), { code: 'BERTH_E_DEVICE_NOT_FOUND', message: 'stat /dev/nope: no such file or directory' });
  assert.throws(() => cgroupLimits({ ...base(), blkioDeviceWriteBps: [{ path: '/dev/null', rate: 1 }] }), { code: 'BERTH_E_NOT_A_BLOCK_DEVICE' });
});
