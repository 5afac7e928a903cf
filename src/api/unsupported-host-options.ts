/**
 * Docker's container options berth does not have, with why: one table for the daemon (the
 * HostConfig field of `POST /containers/create`, daemon/create-body.ts) and for `run`/`create`
 * (the docker CLI's flag, cli/container-flags.ts), so that both refuse the same options with the
 * same reason instead of the CLI's "unknown flag" — and neither ignores one. An option set to
 * its zero value, or to a value listed in `allowed` (what berth does anyway), is accepted.
 */
export interface UnsupportedHostOption {
  /** The Engine API's HostConfig field. */
  field: string;
  /** The docker CLI's `run`/`create` flag, where it has one, with its kind and its help text. */
  flag?: { name: string; kind: 'bool' | 'string' | 'list'; description: string };
  why: string;
  /** Values that ask for what berth does: the API's values (the CLI's flags take the same text). */
  allowed?: readonly (string | number)[];
}

const blockIo = 'block I/O limits are not supported';
const realtime = 'real-time CPU scheduling is not supported';

export const unsupportedHostOptions: readonly UnsupportedHostOption[] = [
  { field: 'UTSMode', flag: { name: 'uts', kind: 'string', description: 'UTS namespace to use' }, why: 'containers always get a UTS namespace of their own' },
  { field: 'CgroupnsMode', flag: { name: 'cgroupns', kind: 'string', description: 'Cgroup namespace to use' }, why: 'containers always get a cgroup namespace of their own', allowed: ['private'] },
  { field: 'UsernsMode', flag: { name: 'userns', kind: 'string', description: 'User namespace to use' }, why: 'user namespaces are not supported', allowed: ['host'] },
  { field: 'Cgroup', why: 'joining another cgroup is not supported' },
  { field: 'CgroupParent', flag: { name: 'cgroup-parent', kind: 'string', description: 'Optional parent cgroup for the container' }, why: 'containers live in berth\'s own cgroup scopes' },
  { field: 'Isolation', flag: { name: 'isolation', kind: 'string', description: 'Container isolation technology' }, why: 'Linux has only the default isolation', allowed: ['default'] },
  { field: 'VolumeDriver', flag: { name: 'volume-driver', kind: 'string', description: 'Optional volume driver for the container' }, why: 'berth has only the local volume driver', allowed: ['local'] },
  { field: 'OomKillDisable', flag: { name: 'oom-kill-disable', kind: 'bool', description: 'Disable OOM Killer' }, why: 'the OOM killer cannot be disabled under cgroup v2' },
  { field: 'MemorySwappiness', flag: { name: 'memory-swappiness', kind: 'string', description: 'Tune container memory swappiness' }, why: 'swappiness is not supported', allowed: [-1] },
  { field: 'KernelMemory', flag: { name: 'kernel-memory', kind: 'string', description: 'Kernel memory limit' }, why: 'kernel memory limits are not supported (and deprecated)' },
  { field: 'KernelMemoryTCP', why: 'kernel memory limits are not supported (and deprecated)' },
  { field: 'BlkioWeight', flag: { name: 'blkio-weight', kind: 'string', description: 'Block IO (relative weight)' }, why: blockIo },
  { field: 'BlkioWeightDevice', flag: { name: 'blkio-weight-device', kind: 'list', description: 'Block IO weight (relative device weight)' }, why: blockIo },
  { field: 'BlkioDeviceReadBps', flag: { name: 'device-read-bps', kind: 'list', description: 'Limit read rate (bytes per second) from a device' }, why: blockIo },
  { field: 'BlkioDeviceWriteBps', flag: { name: 'device-write-bps', kind: 'list', description: 'Limit write rate (bytes per second) to a device' }, why: blockIo },
  { field: 'BlkioDeviceReadIOps', flag: { name: 'device-read-iops', kind: 'list', description: 'Limit read rate (IO per second) from a device' }, why: blockIo },
  { field: 'BlkioDeviceWriteIOps', flag: { name: 'device-write-iops', kind: 'list', description: 'Limit write rate (IO per second) to a device' }, why: blockIo },
  { field: 'CpuRealtimePeriod', flag: { name: 'cpu-rt-period', kind: 'string', description: 'Limit CPU real-time period in microseconds' }, why: realtime },
  { field: 'CpuRealtimeRuntime', flag: { name: 'cpu-rt-runtime', kind: 'string', description: 'Limit CPU real-time runtime in microseconds' }, why: realtime },
  { field: 'CpuCount', why: 'it is a Windows option' },
  { field: 'CpuPercent', why: 'it is a Windows option' },
  { field: 'IOMaximumIOps', why: 'it is a Windows option' },
  { field: 'IOMaximumBandwidth', why: 'it is a Windows option' },
  { field: 'DeviceCgroupRules', flag: { name: 'device-cgroup-rule', kind: 'list', description: 'Add a rule to the cgroup allowed devices list' }, why: 'device cgroup rules are not supported' },
  { field: 'DeviceRequests', flag: { name: 'gpus', kind: 'string', description: 'GPU devices to add to the container' }, why: 'device requests (GPUs) are not supported' },
  { field: 'MaskedPaths', why: 'berth masks Docker\'s default paths' },
  { field: 'ReadonlyPaths', why: 'berth makes Docker\'s default paths read-only' },
  { field: 'StorageOpt', flag: { name: 'storage-opt', kind: 'list', description: 'Storage driver options for the container' }, why: 'storage options are not supported' },
  { field: 'Annotations', flag: { name: 'annotation', kind: 'list', description: 'Add an annotation to the container (passed through to the OCI runtime)' }, why: 'OCI annotations are not supported' },
  { field: 'Capabilities', why: 'use CapAdd and CapDrop' },
];

/**
 * Whether a flag's value (its text; true for a bool flag) asks for something other than what
 * berth does: a bool flag given as true, or a value neither empty nor allowed.
 */
export function flagValueUnsupported(option: UnsupportedHostOption, value: string | boolean | string[]): boolean {
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.length > 0;
  const text = value.trim();
  return text !== '' && !(option.allowed ?? []).some((a) => String(a) === text);
}
