/**
 * Recording events (`berth events`) at the state changes the services make. Every helper is a
 * no-op when the engine has no event log, and never throws: a change is never undone because its
 * event could not be written (the log warns instead).
 */
import type { ContainerRecord } from '../core/containers/index.js';
import type { EventMessage, EventType } from '../core/events/index.js';
import { makeEvent, matchesEventFilters, parseEventFilters } from '../core/events/index.js';
import type { EventsOptions } from '../api/index.js';
import type { EngineContext } from './engine-context.js';

/** Signal numbers of the names `kill` takes, for the event's `signal` attribute (Docker records the number). */
const signalNumbers: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
  STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** `SIGTERM`, `TERM`, `15`, `RTMIN+1` → the number as text (the name itself when unknown). */
export function signalNumberText(signal: string): string {
  const name = signal.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(name)) return name;
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return String(name.startsWith('RTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0));
  return String(signalNumbers[name] ?? signal);
}

export function recordEvent(ctx: EngineContext, type: EventType, action: string, id: string, attributes: Record<string, string>): void {
  try {
    ctx.events?.append(makeEvent(type, action, id, attributes));
  } catch (err) {
    ctx.warn(`cannot record the ${type} ${action} event: ${(err as Error).message}`);
  }
}

/** A container event: the container's labels, `image` and `name` (Docker's attributes), plus `extra`. */
export function recordContainerEvent(ctx: EngineContext, record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
  if (!ctx.events) return;
  recordEvent(ctx, 'container', action, record.id, { ...(record.config.Labels ?? {}), image: record.image, name: record.name.replace(/^\//, ''), ...extra });
}

/** `events`: the log's events in the range, then new ones, that match the filters. */
export async function* streamEvents(ctx: EngineContext, options: EventsOptions): AsyncIterable<EventMessage> {
  const filters = parseEventFilters(options.filters ?? []);
  if (!ctx.events) return;
  const { since, until, follow, signal } = options;
  for await (const event of ctx.events.stream({ follow, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(signal ? { signal } : {}) })) {
    if (matchesEventFilters(event, filters)) yield event;
  }
}
