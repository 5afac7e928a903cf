import { processAlive, type ProcessRef } from '../../base/index.js';
import type { ContainerRecord, ContainerStatus } from './container.js';

/**
 * True while the process supervising this container (the foreground `berth run` that records its
 * exit) is alive. False when none is recorded or it died (SIGKILL, crash): then a record that says
 * running is stale, and the container is dead.
 */
export function supervisorAlive(record: Pick<ContainerRecord, 'state'>): boolean {
  return processAlive(record.state.supervisor);
}

/** Whether a container in `status` has a monitor supervising it (running, paused, or waiting to restart). */
export function isSupervisedStatus(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}

/**
 * The processes whose end alone would change what reconciliation (services/container-monitor.ts
 * reconcile) makes of this record: its monitor while one supervises it, none otherwise. Undefined
 * when more is in play (a start, commit or removal in progress, or a monitor not recorded), so no
 * view of the record may be kept for later (the inspect render cache, the daemon's native lane).
 */
export function reconcileWatches(record: Pick<ContainerRecord, 'state'>): ProcessRef[] | undefined {
  const s = record.state;
  if (s.starting !== undefined || s.committing !== undefined || s.removing !== undefined || s.status === 'removing') return undefined;
  if (!isSupervisedStatus(s.status)) return [];
  return s.supervisor === undefined ? undefined : [s.supervisor];
}
