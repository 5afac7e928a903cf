/**
 * Docker's events (`docker events`, the Engine API's /events): one message per state change of a
 * container, image, volume or network, in the shape dockerd 20.10 sends (observed:
 * `docker events --format '{{json .}}'`; see src/e2e/events.test.ts). Containers and images also
 * carry the legacy `status`, `id` and `from` fields, as Docker still sends them.
 */
export type EventType = 'container' | 'image' | 'volume' | 'network';

export interface EventMessage {
  /** Legacy fields: the action, the actor's id, and (containers) the image name. */
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds, as a bigint-free number would lose precision: kept as text in the log and parsed to bigint on read. */
  timeNano: bigint;
}

/** Where events are appended and read back (the local log: plugins/events-local). */
export interface EventLog {
  /** Appends one event; never throws (an event that cannot be written is reported through the log's warn). */
  append(event: EventMessage): void;
  /**
   * Events oldest first: those already logged with `timeNano` in [since, until] when `since` or
   * `until` is given (none otherwise, as Docker), then, when `follow`, those appended from now on
   * as they come, until `signal` aborts or `until` passes.
   */
  stream(options: { since?: bigint; until?: bigint; follow: boolean; signal?: AbortSignal; pollMs?: number }): AsyncIterable<EventMessage>;
}

/** Attributes are sorted by key, as Go's map encoding (and `docker events`) prints them. */
function sorted(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

let lastNano = 0n;

/** The current time in nanoseconds, strictly increasing within this process (so events of one process keep their order). */
export function nowNano(): bigint {
  const ms = BigInt(Date.now()) * 1_000_000n;
  const sub = process.hrtime.bigint() % 1_000_000n;
  let t = ms + sub;
  if (t <= lastNano) t = lastNano + 1n;
  lastNano = t;
  return t;
}

/** An event of `type`; containers and images get the legacy fields (`from` only for containers). */
export function makeEvent(type: EventType, action: string, id: string, attributes: Record<string, string>, timeNano: bigint = nowNano()): EventMessage {
  const legacy = type === 'container' || type === 'image'
    ? { status: action, id, ...(type === 'container' && attributes.image !== undefined ? { from: attributes.image } : {}) }
    : {};
  return {
    ...legacy,
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: sorted(attributes) },
    scope: 'local',
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  };
}

/** One line of the log: Docker's JSON (timeNano as a JSON number, exactly). */
export function encodeEvent(event: EventMessage): string {
  return JSON.stringify(event, (key, value: unknown) => (key === 'timeNano' ? `@@${String(value)}@@` : value))
    .replace(/"@@(\d+)@@"/, '$1');
}

/** Parses one line of the log; undefined for a line that is not an event (a torn or foreign line). */
export function decodeEvent(line: string): EventMessage | undefined {
  const quoted = line.replace(/"timeNano":(\d+)/, '"timeNano":"$1"');
  try {
    const parsed = JSON.parse(quoted) as Omit<EventMessage, 'timeNano'> & { timeNano: string };
    if (typeof parsed.Type !== 'string' || typeof parsed.Action !== 'string' || typeof parsed.timeNano !== 'string') return undefined;
    return { ...parsed, timeNano: BigInt(parsed.timeNano) };
  } catch {
    return undefined;
  }
}
