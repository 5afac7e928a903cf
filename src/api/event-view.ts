/**
 * How `events` shows an event: Docker's default line and the view its `--format` templates see
 * (the fields of Go's events.Message; `{{json .}}` prints the message as the Engine API sends it).
 */
import type { EventMessage } from '../core/events/index.js';

/** Go's `time.Unix(0, ns).Format("2006-01-02T15:04:05.000000000Z07:00")` in the local zone, as the docker CLI prints. */
export function rfc3339NanoFixed(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const offsetMin = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  const frac = String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, '0');
  const abs = Math.abs(offsetMin);
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${String(Math.trunc(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}.${frac}${zone}`;
}

/** Docker's default line: `TIME TYPE ACTION ID (k=v, ...)`, attributes sorted by key. */
export function eventLine(event: EventMessage): string {
  const attrs = Object.keys(event.Actor.Attributes).sort().map((k) => `${k}=${event.Actor.Attributes[k] ?? ''}`);
  return `${rfc3339NanoFixed(event.timeNano)} ${event.Type} ${event.Action} ${event.Actor.ID}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}`;
}

/** The fields a template sees (events.Message's Go names); `json` prints the message itself. */
export function eventTemplateView(event: EventMessage): Record<string, unknown> {
  const view: Record<string, unknown> = {
    Status: event.status ?? '',
    ID: event.id ?? '',
    From: event.from ?? '',
    Type: event.Type,
    Action: event.Action,
    Actor: event.Actor,
    Scope: event.scope,
    Time: event.time,
    TimeNano: event.timeNano,
  };
  Object.defineProperty(view, 'toJSON', { value: () => event, enumerable: false });
  return view;
}

/**
 * Docker's time arguments in nanoseconds: Unix seconds with up to 9 decimals exactly, otherwise
 * `parse` (durations, RFC 3339) in seconds.
 */
export function timestampNanos(value: string, parse: (value: string) => number): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) return BigInt(m[1] as string) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(Math.round(parse(value) * 1e6)) * 1000n;
}
