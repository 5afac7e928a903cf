/**
 * Rules of the device-rule, swappiness, block I/O weight and namespace options
 * (`--device-cgroup-rule`, `--memory-swappiness`, `--blkio-weight`, `--uts`, `--cgroupns`), with
 * the docker CLI's and dockerd's messages (observed with docker 20.10). Pure: whether the host's
 * cgroups can apply them is the engine's question (services/cgroup-limits.ts); the block device
 * flags are parsed in api/block-io-flags.ts.
 */
import { errors } from '../../base/index.js';

const deviceRule = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** A device cgroup rule's parts: `c 1:3 rwm`, `b 8:* r`, `a *:* rwm` (`*` is any: undefined). */
export interface DeviceRule {
  type: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

/** A device cgroup rule (`--device-cgroup-rule 'c 1:3 rwm'`, HostConfig.DeviceCgroupRules): its parts, or Docker's message. */
export function parseDeviceCgroupRule(text: string): DeviceRule {
  const m = deviceRule.exec(text);
  // Device numbers are 32-bit: a larger one is no device (and the runtime would refuse the spec).
  const tooLarge = (n: string | undefined) => n !== undefined && n !== '*' && !(Number(n) <= 0xffffffff);
  if (!m || tooLarge(m[2]) || tooLarge(m[3])) throw errors.invalidArgument('INVALID_DEVICE_CGROUP_RULE', `invalid device cgroup format '${text}'`);
  return { type: m[1] as DeviceRule['type'], ...(m[2] === '*' ? {} : { major: Number(m[2]) }), ...(m[3] === '*' ? {} : { minor: Number(m[3]) }), access: m[4]! };
}

/** `--memory-swappiness`: 0 to 100, -1 the kernel's own (unset). */
export function checkMemorySwappiness(value: number): number | undefined {
  if (value === -1) return undefined;
  if (!(Number.isInteger(value) && value >= 0 && value <= 100)) {
    throw errors.invalidArgument('INVALID_SWAPPINESS', `invalid value: ${value}. Valid memory swappiness range is 0-100`);
  }
  return value;
}

/** `--blkio-weight`: 10 to 1000, 0 unset (dockerd's message). */
export function checkBlkioWeight(value: number): number | undefined {
  if (value === 0) return undefined;
  if (!(Number.isInteger(value) && value >= 10 && value <= 1000)) throw errors.invalidArgument('INVALID_BLKIO_WEIGHT', 'Range of blkio weight is from 10 to 1000');
  return value;
}

/** `--uts`: `` (a namespace of its own) or `host`; the docker CLI's message otherwise. */
export function parseUtsMode(text: string): 'host' | undefined {
  if (text === '') return undefined;
  if (text === 'host') return 'host';
  throw errors.invalidArgument('INVALID_UTS_MODE', '--uts: invalid UTS mode');
}

/** `--cgroupns`: `private` (also ``, berth's default on cgroup v1 and v2) or `host`. */
export function parseCgroupnsMode(text: string): 'host' | undefined {
  if (text === '' || text === 'private') return undefined;
  if (text === 'host') return 'host';
  throw errors.invalidArgument('INVALID_CGROUPNS_MODE', '--cgroupns: invalid CGROUP mode');
}
