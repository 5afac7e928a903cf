import { processAlive } from '../../base/index.js';
import type { ContainerRecord } from './container.js';

/**
 * True while the process supervising this container (the foreground `berth run` that records its
 * exit) is alive. False when none is recorded or it died (SIGKILL, crash): then a record that says
 * running is stale, and the container is dead.
 */
export function supervisorAlive(record: Pick<ContainerRecord, 'state'>): boolean {
  return processAlive(record.state.supervisor);
}
