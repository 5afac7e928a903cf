/**
 * `--blkio-weight-device` and `--device-{read,write}-{bps,iops}` as the docker CLI parses them,
 * with its messages (observed with docker 20.10): `/dev/PATH:VALUE`; and their lists as Docker's
 * HostConfig names and shapes them, for inspect, the daemon and the remote client.
 */
import { errors } from '../base/index.js';
import type { HostConfig, ThrottleDevice, WeightDevice } from '../core/containers/index.js';
import { parseBytes } from '../core/spec/index.js';

const flagError = (flag: string, text: string, why: string) => errors.invalidArgument('INVALID_FLAG_VALUE', `invalid argument "${text}" for "--${flag}" flag: ${why}`);

/** `PATH:VALUE` with an absolute PATH: Docker's checks of the two halves, in its order. */
function pathAndValue(flag: string, text: string): [string, string] {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw flagError(flag, text, `bad format: ${text}`);
  const path = text.slice(0, colon);
  if (!path.startsWith('/dev/')) throw flagError(flag, text, `bad format for device path: ${text}`);
  return [path, text.slice(colon + 1)];
}

/** `--blkio-weight-device /dev/sda:300` (a weight of 10 to 1000). */
export function parseWeightDevice(text: string): WeightDevice {
  const [path, value] = pathAndValue('blkio-weight-device', text);
  const weight = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(weight >= 10 && weight <= 1000)) throw flagError('blkio-weight-device', text, `invalid weight for device: ${text}`);
  return { path, weight };
}

/** `--device-read-bps /dev/sda:1mb` (a rate with kb, mb or gb) or `--device-read-iops /dev/sda:100` (a count). */
export function parseThrottleDevice(flag: string, text: string, unit: 'bytes' | 'iops'): ThrottleDevice {
  const [path, value] = pathAndValue(flag, text);
  const invalid = () => flagError(flag, text, unit === 'bytes'
    ? `invalid rate for device: ${text}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`
    : `invalid rate for device: ${text}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  if (unit === 'iops') {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw invalid();
    return { path, rate: Number(value) };
  }
  if (!/^\d/.test(value)) throw invalid();
  try {
    return { path, rate: parseBytes(value) };
  } catch {
    throw invalid();
  }
}

/** The limit lists: Docker's HostConfig field and berth's, in dockerd's order. */
export const blkioThrottleFields = [
  ['BlkioDeviceReadBps', 'blkioDeviceReadBps'], ['BlkioDeviceWriteBps', 'blkioDeviceWriteBps'],
  ['BlkioDeviceReadIOps', 'blkioDeviceReadIOps'], ['BlkioDeviceWriteIOps', 'blkioDeviceWriteIOps'],
] as const;

/**
 * BlkioWeightDevice and the limit lists as dockerd's HostConfig has them (`{Path, Weight}`,
 * `{Path, Rate}`), in its order; empty when unset (dockerd keeps what the client sent: an empty
 * list from the CLI that recorded the inspect shapes).
 */
export function blkioDevicesView(h: Partial<Pick<HostConfig, 'blkioWeightDevice' | (typeof blkioThrottleFields)[number][1]>>) {
  const throttle = (list: readonly ThrottleDevice[] | undefined) => (list ?? []).map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    BlkioWeightDevice: (h.blkioWeightDevice ?? []).map((d) => ({ Path: d.path, Weight: d.weight })),
    ...Object.fromEntries(blkioThrottleFields.map(([field, key]) => [field, throttle(h[key])])) as Record<(typeof blkioThrottleFields)[number][0], { Path: string; Rate: number }[]>,
  };
}
