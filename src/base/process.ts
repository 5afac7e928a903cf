/**
 * Processes named so that a reused pid is never taken for them: a pid plus its start time
 * (field 22 of /proc/<pid>/stat). Records name their supervisors and runtimes this way.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

import { errnoCode } from './errors.js';

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
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ESRCH') return undefined;
    throw err;
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

let self: ProcessRef | undefined;

/** This process, read once. */
export function selfProcess(): ProcessRef {
  return (self ??= { pid: process.pid, startTime: processStartTime('self') ?? 0 });
}

/** True while the process recorded in `ref` runs (the same process, not a reuse of its pid). */
export function processAlive(ref: ProcessRef | undefined): boolean {
  return ref !== undefined && processStartTime(ref.pid) === ref.startTime;
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
