/** plugins/events-local: the store's append-only event log (core/events EventLog). */
export { createLocalEventLog, defaultMaxLogBytes } from './event-log.js';
export type { LocalEventLogOptions } from './event-log.js';
