import type { LinuxDeviceCgroup, Mount } from '../../oci/index.js';

/** Docker's default /dev/shm size: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 2 ** 20;

/** The kernel filesystems every container gets, in Docker's order and with Docker's options. */
export function defaultMounts(opts: { shmSize: number; privileged: boolean }): Mount[] {
  // Privileged containers see /sys and the cgroup tree writable, as with Docker.
  const sysMode = opts.privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', sysMode] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', sysMode] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${opts.shmSize}`],
    },
  ];
}

/** Paths hidden from unprivileged containers (Docker 28's list, minus per-CPU thermal_throttle). */
export const defaultMaskedPaths: readonly string[] = Object.freeze([
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
]);

/** Paths made read-only in unprivileged containers (Docker's list). */
export const defaultReadonlyPaths: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

const char = (major: number, minor?: number): LinuxDeviceCgroup =>
  minor === undefined ? { allow: true, type: 'c', major, access: 'rwm' } : { allow: true, type: 'c', major, minor, access: 'rwm' };

/**
 * The device cgroup rules of an unprivileged container: deny everything, then allow mknod of any
 * node (opening one still needs a rule) and the standard nodes runtimes create in /dev: null,
 * zero, full, random, urandom, tty, console, ptmx and the pts slaves. Docker lists part of these
 * and relies on runc appending the rest; listing all keeps crun and runc alike.
 */
export function defaultDeviceRules(): LinuxDeviceCgroup[] {
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    char(1, 3),
    char(1, 5),
    char(1, 7),
    char(1, 8),
    char(1, 9),
    char(5, 0),
    char(5, 1),
    char(5, 2),
    char(136),
  ];
}

/** Sysctls Docker sets in a container's own network namespace: unprivileged ports and ping. */
export const defaultNetworkSysctls: Readonly<Record<string, string>> = Object.freeze({
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
});
