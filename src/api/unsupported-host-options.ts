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

const realtime = 'real-time CPU scheduling is not supported';

export const unsupportedHostOptions: readonly UnsupportedHostOption[] = [
  { field: 'UsernsMode', flag: { name: 'userns', kind: 'string', description: 'User namespace to use' }, why: 'user namespaces are not supported', allowed: ['host'] },
  { field: 'Cgroup', why: 'joining another cgroup is not supported' },
  { field: 'CgroupParent', flag: { name: 'cgroup-parent', kind: 'string', description: 'Optional parent cgroup for the container' }, why: 'containers live in berth\'s own cgroup scopes' },
  { field: 'Isolation', flag: { name: 'isolation', kind: 'string', description: 'Container isolation technology' }, why: 'Linux has only the default isolation', allowed: ['default'] },
  { field: 'VolumeDriver', flag: { name: 'volume-driver', kind: 'string', description: 'Optional volume driver for the container' }, why: 'berth has only the local volume driver', allowed: ['local'] },
  { field: 'KernelMemory', flag: { name: 'kernel-memory', kind: 'string', description: 'Kernel memory limit' }, why: 'kernel memory limits are not supported (and deprecated)' },
  { field: 'KernelMemoryTCP', why: 'kernel memory limits are not supported (and deprecated)' },
  { field: 'CpuRealtimePeriod', flag: { name: 'cpu-rt-period', kind: 'string', description: 'Limit CPU real-time period in microseconds' }, why: realtime },
  { field: 'CpuRealtimeRuntime', flag: { name: 'cpu-rt-runtime', kind: 'string', description: 'Limit CPU real-time runtime in microseconds' }, why: realtime },
  { field: 'CpuCount', why: 'it is a Windows option' },
  { field: 'CpuPercent', why: 'it is a Windows option' },
  { field: 'IOMaximumIOps', why: 'it is a Windows option' },
  { field: 'IOMaximumBandwidth', why: 'it is a Windows option' },
  { field: 'DeviceRequests', flag: { name: 'gpus', kind: 'string', description: 'GPU devices to add to the container' }, why: 'device requests (GPUs) are not supported' },
  { field: 'StorageOpt', flag: { name: 'storage-opt', kind: 'list', description: 'Storage driver options for the container' }, why: 'storage options are not supported' },
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
