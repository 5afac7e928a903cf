/**
 * Processes named so that a reused pid is never taken for them: a pid plus its start time
 * (field 22 of /proc/<pid>/stat). Records name their supervisors and runtimes this way.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

import { errnoCode } from './errors.js';
import { isLongLived } from './long-lived.js';

/** One process: its pid and its start time in clock ticks after boot. */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

/** True while a process with this pid exists (signal 0 probes without signalling). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

/**
 * A process's start time, field 22 of /proc/<pid>/stat (clock ticks after boot); `undefined`
 * when there is no such process or it is a zombie. Together with the pid it names one process:
 * a pid reused later has a later start time.
 */
export function processStartTime(pid: number | 'self'): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
  return startTimeOf(stat);
}

const isGone = (err: unknown) => errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ESRCH';

/** Field 22 of a /proc/<pid>/stat text; undefined for a zombie. */
function startTimeOf(stat: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

/**
 * In a long-lived process (the daemon), /proc/<pid>/stat stays open for each live process a
 * liveness check has seen: a read through that descriptor answers for that very process (ESRCH
 * once it is reaped, even after its pid is reused), one pread instead of a path lookup, an open
 * and a close. `docker ps` checks the monitor of every running container. The handle of a process
 * that ended goes at its next check, or at the first check a second later (sweepHeld).
 */
const heldStats = new Map<number, { startTime: number; fd: number }>();
/** Beyond this many, checks open and close as a CLI does (a descriptor each stays well under the limit). */
const maxHeldStats = 4096;
const statBuffer = Buffer.alloc(4096);

/** The start time read through a held descriptor; undefined once the process is gone or a zombie. */
function readHeld(fd: number): number | undefined {
  try {
    return startTimeOf(statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0)));
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

function dropHeld(pid: number, fd: number): void {
  heldStats.delete(pid);
  closeSync(fd);
}

/** How often a check also lets go of the handles of processes that ended since (no one may ask about them again). */
const sweepEveryMs = 1000;
let lastSweep = 0;

function sweepHeld(): void {
  for (const [pid, held] of heldStats) if (readHeld(held.fd) === undefined) dropHeld(pid, held.fd);
}

/** processAlive through held descriptors (long-lived processes). */
function heldAlive(ref: ProcessRef): boolean {
  const now = Date.now();
  if (now - lastSweep >= sweepEveryMs) {
    lastSweep = now;
    sweepHeld();
  }
  const held = heldStats.get(ref.pid);
  if (held !== undefined) {
    if (readHeld(held.fd) === undefined) dropHeld(ref.pid, held.fd);
    // The held process still has the pid: it is ref's process, or ref's process is gone.
    else return held.startTime === ref.startTime;
  }
  let fd: number;
  try {
    fd = openSync(`/proc/${ref.pid}/stat`, 'r');
  } catch (err) {
    if (isGone(err)) return false;
    throw err;
  }
  const startTime = readHeld(fd);
  if (startTime === ref.startTime && heldStats.size < maxHeldStats) heldStats.set(ref.pid, { startTime, fd });
  else closeSync(fd);
  return startTime === ref.startTime;
}

let self: ProcessRef | undefined;

/** This process, read once. */
export function selfProcess(): ProcessRef {
  return (self ??= { pid: process.pid, startTime: processStartTime('self') ?? 0 });
}

/** True while the process recorded in `ref` runs (the same process, not a reuse of its pid). */
export function processAlive(ref: ProcessRef | undefined): boolean {
  if (ref === undefined) return false;
  return isLongLived() ? heldAlive(ref) : processStartTime(ref.pid) === ref.startTime;
}

/** SIGKILL to a process that may already be gone. */
export function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') throw err;
  }
}

/** Waits (up to 5 s) until a process that is not ours to reap has exited. */
export async function waitUntilGone(ref: ProcessRef): Promise<void> {
  for (let i = 0; i < 500 && processAlive(ref); i++) await new Promise((r) => setTimeout(r, 10));
}

/**
 * The files under `dir` that some process holds open, with one such pid each (from
 * /proc/<pid>/fd, as lsof finds them). A process that exits or closes the file meanwhile may
 * still be listed: callers use this to keep things, never to prove they are abandoned alone.
 */
export function openFilesUnder(dir: string): Map<string, number> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const found = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(prefix) && !found.has(target)) found.set(target, Number(pid));
      } catch {
        continue;
      }
    }
  }
  return found;
}
