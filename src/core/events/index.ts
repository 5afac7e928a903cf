/**
 * core/events: Docker's event messages, the EventLog interface (the local append-only log is
 * plugins/events-local) and the matching of `events --filter`.
 */
export { decodeEvent, encodeEvent, makeEvent, nowNano } from './event.js';
export type { EventLog, EventMessage, EventType } from './event.js';
export { matchesEventFilters, parseEventFilters } from './event-filters.js';
export type { EventFilters } from './event-filters.js';
