/**
 * The cgroup options a host may lack (swappiness, the OOM killer switch, block I/O weights and
 * limits): dropped at create with dockerd's warnings when this host's cgroups cannot apply them,
 * as dockerd drops them, so that a container made for another host still runs here; and turned
 * into the spec's numbers (devices by major:minor) at start.
 */
import { statSync } from 'node:fs';

import { errnoCode, errors } from '../base/index.js';
import type { HostConfig, ThrottleDevice, WeightDevice } from '../core/containers/index.js';
import type { CgroupFeatures } from '../core/runtime/index.js';
import type { ResourceLimits } from '../core/spec/index.js';
import type { LinuxBlockIO } from '../oci/index.js';

/** The settings fitToHostCgroups looks at: a container's HostConfig, or an update's changes alone. */
type CgroupSettings = Pick<Partial<HostConfig>, 'memory' | 'memorySwappiness' | 'oomKillDisable' | 'blkioWeight' | 'blkioWeightDevice' | (typeof throttles)[number][0]>;

const throttles = [
  ['blkioDeviceReadBps', 'throttleReadBpsDevice', 'BPS Block I/O read limit', 'Block I/O BPS read limit'],
  ['blkioDeviceWriteBps', 'throttleWriteBpsDevice', 'BPS Block I/O write limit', 'Block I/O BPS write limit'],
  ['blkioDeviceReadIOps', 'throttleReadIOPSDevice', 'IOPS Block read limit', 'Block I/O IOPS read limit'],
  ['blkioDeviceWriteIOps', 'throttleWriteIOPSDevice', 'IOPS Block write limit', 'Block I/O IOPS write limit'],
] as const;

/**
 * Removes from `host` what this host's cgroups cannot apply; returns dockerd's warnings, word for
 * word (the weight, weight-device and OOM ones observed with dockerd 20.10 here; the others, which
 * this cgroup v1 host never gives, as moby's verifyPlatformContainerResources words them).
 */
export function fitToHostCgroups(host: CgroupSettings, features: CgroupFeatures): string[] {
  const warnings: string[] = [];
  if (host.memorySwappiness !== undefined && !features.memorySwappiness) {
    warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    delete host.memorySwappiness;
  }
  if (host.oomKillDisable !== undefined && !features.oomKillDisable) {
    if (host.oomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    delete host.oomKillDisable;
  }
  if (host.oomKillDisable && !(host.memory && host.memory > 0)) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (host.blkioWeight !== undefined && !features.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    delete host.blkioWeight;
  }
  if (host.blkioWeightDevice?.length && !features.blkioWeightDevice) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    delete host.blkioWeightDevice;
  }
  for (const [key, , what, discarded] of throttles) {
    if (host[key]?.length && !features.blkioThrottle) {
      warnings.push(`Your kernel does not support ${what} or the cgroup is not mounted. ${discarded} discarded.`);
      delete host[key];
    }
  }
  return warnings;
}

/** Every device the block I/O options name must exist (dockerd's `stat` message) and be a block device (the kernel's "No such device" otherwise). */
export function checkBlockIoDevices(host: HostConfig): void {
  for (const d of blockIoDevices(host)) deviceNumbers(d.path);
}

function blockIoDevices(host: HostConfig): (WeightDevice | ThrottleDevice)[] {
  return [...(host.blkioWeightDevice ?? []), ...throttles.flatMap(([key]) => host[key] ?? [])];
}

/** A device's major and minor numbers; notFound `BERTH_E_DEVICE_NOT_FOUND` with dockerd's message. */
function deviceNumbers(path: string): { major: number; minor: number } {
  let rdev: bigint;
  try {
    const st = statSync(path, { bigint: true });
    if (!st.isBlockDevice()) throw errors.invalidArgument('NOT_A_BLOCK_DEVICE', `${path} is not a block device: block I/O weights and limits apply to block devices`);
    rdev = st.rdev;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw errors.notFound('DEVICE_NOT_FOUND', `stat ${path}: no such file or directory`, { cause: err });
    throw err;
  }
  return majorMinor(rdev);
}

/** The major and minor numbers of a device number (st_rdev), as glibc's major(3) and minor(3) split it. */
export function majorMinor(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** The swappiness, OOM switch and block I/O settings of `host` as the spec's resources. */
export function cgroupLimits(host: HostConfig): Pick<ResourceLimits, 'memorySwappiness' | 'oomKillDisable' | 'blockIO'> {
  const out: Pick<ResourceLimits, 'memorySwappiness' | 'oomKillDisable' | 'blockIO'> = {};
  if (host.memorySwappiness !== undefined) out.memorySwappiness = host.memorySwappiness;
  if (host.oomKillDisable) out.oomKillDisable = true;
  const io: LinuxBlockIO = {};
  if (host.blkioWeight) io.weight = host.blkioWeight;
  if (host.blkioWeightDevice?.length) io.weightDevice = host.blkioWeightDevice.map((d) => ({ ...deviceNumbers(d.path), weight: d.weight }));
  for (const [key, field] of throttles) {
    const list = host[key];
    if (list?.length) io[field] = list.map((d) => ({ ...deviceNumbers(d.path), rate: d.rate }));
  }
  if (Object.keys(io).length > 0) out.blockIO = io;
  return out;
}
