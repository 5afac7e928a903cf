/**
 * A head start for an OCI runtime's cgroup join. Every write to a cgroup.procs file (the runtime
 * moving a container's or an exec's process into the container's cgroups) takes the kernel's
 * global cgroup_threadgroup_rwsem for writing, and a first writer after a quiet spell waits for
 * an RCU grace period before it has it (rcu_sync_enter): 5-15 ms on this host, more under load,
 * measured alone as the first of spaced writes; writes that follow within a grace period of one
 * another take microseconds. dockerd's runc pays the same wait on every exec; the kernel's
 * `favordynmods` cgroup mount option is the host's own fix.
 *
 * A caller that knows the runtime will write a cgroup.procs in a few milliseconds starts the wait
 * early (`warmCgroupMigration`): the daemon when an exec is created (`POST /containers/{id}/exec`:
 * the CLI's round trips, the start request and the runtime's own start-up come before the
 * runtime's write), and every container start as it begins to prepare the bundle (the mount, the
 * bundle, the monitor's and the runtime's start-ups, 15-25 ms, come before the runtime's write),
 * renewed right before the monitor is spawned. Not much earlier: the lock goes cold again one
 * grace period after the last write (measured: a second write 10 ms after the first took 0.1 ms,
 * 20 ms after it 7.7 ms), so a warm-up when `run` begins, ~50 ms before the runtime's write,
 * gained nothing; the renewal, a quick write while the lock is still warm, keeps it warm for
 * another grace period when the bundle took long, and starts the wait afresh when it took longer.
 * Same-run A/B of `berth run --rm`: 8 ms faster with the warm-up at the spawn alone, 5-8 ms more
 * (the span from the mount to the runtime's create) when it begins with the bundle.
 *
 * The writer holds the kernel's cgroup_mutex through that wait: the runtime's own cgroup set-up
 * (mkdir) waits for the warm-up's write to end, and then finds the lock warm. A call while a
 * warm-up's write is still under way does nothing.
 *
 * It writes this process's pid to its own cgroup's cgroup.procs (a move to
 * where it already is: nothing changes) from the thread pool, not blocking the event loop. The
 * runtime's write, arriving while that grace period runs or just after it, waits only for what
 * is left of it, or not at all.
 *
 * Best effort: a host where that file cannot be found or written just goes without (the first
 * failure that proves it useless turns it off; EBUSY, which cgroup v2 answers for a cgroup with
 * controllers enabled below it, comes after the lock was taken, so it still serves).
 */
import { closeSync, openSync, readFileSync, write } from 'node:fs';

/** The cgroup.procs found for this process's cgroups as /proc/self/cgroup last read (null: none). */
let known: { cgroup: string; file: string | null } | undefined;
/** Set by the first failure that shows the warm-up cannot work here. */
let disabled = false;
let inFlight = false;

/** The cgroup.procs of this process's own cgroup: in the unified (v2) hierarchy when it is mounted, else the first v1 one. */
export function ownCgroupProcsFile(cgroupText = readFileSync('/proc/self/cgroup', 'utf8'), mountinfoText = readFileSync('/proc/self/mountinfo', 'utf8')): string | null {
  const mounts: { root: string; point: string; type: string; superOptions: string[] }[] = [];
  for (const line of mountinfoText.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const fields = line.slice(0, dash).split(' ');
    const [type = '', , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    mounts.push({ root: unescape(fields[3] ?? ''), point: unescape(fields[4] ?? ''), type, superOptions: superOptions.split(',') });
  }
  const entries = cgroupText.split('\n').filter(Boolean).map((line) => {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    return { id: line.slice(0, first), controllers: line.slice(first + 1, second), path: line.slice(second + 1) };
  });
  // unified first (it holds no v1 controllers: the cheapest no-op), then the v1 hierarchies
  entries.sort((a, b) => Number(b.id === '0') - Number(a.id === '0'));
  for (const e of entries) {
    const mount = e.id === '0'
      ? mounts.find((m) => m.type === 'cgroup2')
      : mounts.find((m) => m.type === 'cgroup' && e.controllers.split(',').filter(Boolean).every((c) => m.superOptions.includes(c)));
    if (!mount || !e.path.startsWith('/')) continue;
    // the mount shows the hierarchy from `root` down (a cgroup namespace, a bind mount)
    const rel = mount.root === '/' ? e.path : e.path === mount.root || e.path.startsWith(`${mount.root}/`) ? e.path.slice(mount.root.length) || '/' : undefined;
    if (rel === undefined) continue;
    return `${mount.point}${rel === '/' ? '' : rel}/cgroup.procs`;
  }
  return null;
}

/** mountinfo's octal escapes (`\040` for a space). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Starts the kernel's wait for the cgroup migration lock (see above); returns at once. */
export function warmCgroupMigration(): void {
  if (inFlight || disabled) return;
  let file: string | null;
  try {
    // Read again at every call: a long-lived process (the daemon) that was moved meanwhile (by a
    // service manager, an administrator) is written to its new cgroup, never moved back to the old.
    const cgroup = readFileSync('/proc/self/cgroup', 'utf8');
    if (known?.cgroup !== cgroup) known = { cgroup, file: ownCgroupProcsFile(cgroup) };
    file = known.file;
  } catch {
    file = null;
  }
  if (file === null) {
    disabled = true;
    return;
  }
  let fd: number;
  try {
    // Opened here, so that the thread pool's one job is the write itself, under way at once even
    // while this thread is busy (a posix_spawn); node:fs's callback form, not node:fs/promises:
    // that module costs `berth run` its load.
    fd = openSync(file, 'w');
  } catch {
    disabled = true;
    return;
  }
  inFlight = true;
  write(fd, String(process.pid), (err) => {
    inFlight = false;
    closeSync(fd);
    if (err && err.code !== 'EBUSY') disabled = true;
  });
}
