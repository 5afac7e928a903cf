import { readFileSync } from 'node:fs';

import { errnoCode } from '../../base/index.js';
import type { ContainerRecord, ProcessRef } from './container.js';

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

/** True while the process recorded in `ref` runs (the same process, not a reuse of its pid). */
export function processAlive(ref: ProcessRef | undefined): boolean {
  return ref !== undefined && processStartTime(ref.pid) === ref.startTime;
}

/**
 * True while the berth process supervising this container (the foreground `berth run` that
 * records its exit) is alive. False when none is recorded or it died (SIGKILL, crash): then a
 * record that says running is stale, and the container is dead.
 */
export function supervisorAlive(record: Pick<ContainerRecord, 'state'>): boolean {
  return processAlive(record.state.supervisor);
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
