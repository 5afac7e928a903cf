/**
 * Build steps die with their build. A RUN step's container lives in its own pid namespace under
 * `crun run`, which is started in its own process group: when berth is SIGKILLed nothing tells
 * either of them, and PR_SET_PDEATHSIG would only reach `crun run`, not the container's init.
 * So each berth process that runs steps starts one watchdog, a `/bin/sh` loop reading a pipe
 * whose only writer is berth: the read returns EOF when berth exits, however it dies, and the
 * watchdog then kills every step container of this store whose id has this process's prefix
 * (found by its bundle in build-tmp/ or its runtime state, never by the host-wide cgroup names) —
 * SIGKILL to every pid in the step's cgroups (cgroup.kill on v2) — and `<runtime> delete --force`s it. It is in its
 * own session and ignores terminal signals, so Ctrl-C reaching berth's process group does not
 * take it down first. Cost: one `sh` spawned per build (not per step), which blocks in read(2).
 * What else the dead build left (bundles, mounts, snapshots) is recovered by the next build or
 * `berth system prune` (see builder/recover-stale.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

import type { CgroupScopes, RuntimeDriver } from '../core/runtime/index.js';

const script = `
trap '' INT TERM HUP QUIT PIPE
parent=$1; prefix=$2; bundles=$3; state=$4; shift 4
while read -r _; do :; done
for round in 1 2; do
  # Only this store's steps (bundle or runtime state): cgroups are host-wide, and another pid
  # namespace sharing them may run a berth with the same pid.
  for s in "$bundles"/"$prefix"* "$state"/"$prefix"*; do
    [ -d "$s" ] || continue
    id=\${s##*/}
    for d in /sys/fs/cgroup/"$parent"/"$id" /sys/fs/cgroup/*/"$parent"/"$id"; do
      [ -d "$d" ] || continue
      [ -f "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null
      for procs in $(find "$d" -name cgroup.procs 2>/dev/null); do
        while read -r pid; do kill -9 "$pid" 2>/dev/null; done < "$procs"
      done
    done
    "$@" delete --force "$id" >/dev/null 2>&1
    [ "$round" = 2 ] && for d in /sys/fs/cgroup/"$parent"/"$id" /sys/fs/cgroup/*/"$parent"/"$id"; do
      [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  [ "$round" = 1 ] && sleep 0.2
done
exit 0
`;

const watchdogs = new Map<string, ChildProcess>();

/**
 * Makes sure a watchdog covers the step containers `<prefix>…` this process runs with `driver`.
 * Idempotent per runtime; never fails the step (a watchdog that cannot start is a warning).
 */
export function watchSteps(driver: RuntimeDriver, cgroups: CgroupScopes, bundles: string, prefix: string, warn: (message: string) => void): void {
  const key = `${driver.commandLine.join('\0')}\0${bundles}\0${prefix}`;
  if (watchdogs.has(key)) return;
  // The scope of a step is /<parent>/<id>: pass the parent so the script can name exact ids.
  const parent = cgroups.scopePath('').replace(/^\/|\/$/g, '');
  const child = spawn('/bin/sh', ['-c', script, 'berth-step-watchdog', parent, prefix, bundles, driver.stateDir, ...driver.commandLine], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdogs.set(key, child);
  child.on('error', (err) => warn(`build steps will not be stopped if berth is killed: cannot start the step watchdog: ${err.message}`));
  // Neither the process nor its pipe may keep berth alive: the pipe closes when berth exits.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
}
