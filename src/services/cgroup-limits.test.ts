import assert from 'node:assert/strict';
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

test('cgroupLimits gives the spec the devices\' numbers (/dev/null is 1:3) and refuses a missing device by name', () => {
  const limits = cgroupLimits({ ...base(), memorySwappiness: 0, oomKillDisable: true, blkioWeight: 500, blkioWeightDevice: [{ path: '/dev/null', weight: 20 }], blkioDeviceReadBps: [{ path: '/dev/null', rate: 1048576 }] });
  assert.deepEqual(limits, {
    memorySwappiness: 0, oomKillDisable: true,
    blockIO: { weight: 500, weightDevice: [{ major: 1, minor: 3, weight: 20 }], throttleReadBpsDevice: [{ major: 1, minor: 3, rate: 1048576 }] },
  });
  assert.throws(() => cgroupLimits({ ...base(), blkioDeviceWriteBps: [{ path: '/dev/nope', rate: 1 }] }), { code: 'BERTH_E_DEVICE_NOT_FOUND', message: 'stat /dev/nope: no such file or directory' });
});
