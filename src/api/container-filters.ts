/**
 * `ps --filter` (and the Engine API's `filters` for container lists): Docker's container filters
 * over records. Values of one key are alternatives; different keys must all match. Messages are
 * dockerd's (observed with 20.10): `Invalid filter 'KEY'`, `Invalid filter 'status=VALUE'`, ...
 */
import { errors } from '../base/index.js';
import type { ContainerRecord, ContainerStatus } from '../core/containers/index.js';

const statuses: readonly ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const healthStates = ['starting', 'healthy', 'unhealthy', 'none'];
const keys = ['id', 'name', 'label', 'status', 'exited', 'health', 'ancestor', 'before', 'since', 'volume', 'network', 'publish', 'expose', 'is-task'];

/** `KEY=VALUE` strings parsed into alternatives per key; a bad one is InvalidArgument. */
export function parseFilters(filters: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw errors.invalidArgument('INVALID_FLAG_FORMAT', `invalid argument "${f}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).toLowerCase();
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

export interface FilterContext {
  /** Image ids an `ancestor=` value names (the image and, as Docker does, what was built on it is not tracked: the image itself). */
  resolveImage(ref: string): string | undefined;
  /** The record a `before=`/`since=` value names. */
  findContainer(ref: string): ContainerRecord;
}

/** The records that match every filter, in the order given. */
export function filterContainers(records: readonly ContainerRecord[], filters: readonly string[], context: FilterContext): ContainerRecord[] {
  const parsed = parseFilters(filters);
  if (parsed.size === 0) return [...records];
  const tests: ((c: ContainerRecord) => boolean)[] = [];
  for (const [key, values] of parsed) {
    if (!keys.includes(key)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter '${key}'`);
    tests.push(filterFor(key, values, context));
  }
  return records.filter((c) => tests.every((t) => t(c)));
}

function filterFor(key: string, values: string[], context: FilterContext): (c: ContainerRecord) => boolean {
  const any = (match: (c: ContainerRecord, v: string) => boolean) => (c: ContainerRecord) => values.some((v) => match(c, v));
  switch (key) {
    case 'id':
      return any((c, v) => c.id.startsWith(v));
    case 'name': {
      // Docker matches names as regular expressions against "/name".
      const patterns = values.map((v) => {
        try {
          return new RegExp(v);
        } catch {
          throw errors.invalidArgument('INVALID_FILTER', `Invalid filter 'name=${v}': not a regular expression`);
        }
      });
      return (c) => patterns.some((p) => p.test(`/${c.name}`));
    }
    case 'label':
      return (c) => values.every((v) => {
        const eq = v.indexOf('=');
        const labels = c.config.Labels ?? {};
        return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
      });
    case 'status':
      for (const v of values) if (!statuses.includes(v as ContainerStatus)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter 'status=${v}'`);
      return any((c, v) => c.state.status === v);
    case 'exited': {
      const codes = values.map((v) => {
        if (!/^-?\d+$/.test(v)) throw errors.invalidArgument('INVALID_FILTER', `strconv.Atoi: parsing "${v}": invalid syntax`);
        return Number(v);
      });
      return (c) => c.state.status === 'exited' && codes.includes(c.state.exitCode);
    }
    case 'health':
      for (const v of values) if (!healthStates.includes(v)) throw errors.invalidArgument('INVALID_FILTER', `Unrecognised filter value for health: ${v}`);
      return any((c, v) => (c.state.health?.status ?? 'none') === v);
    case 'ancestor': {
      const ids = values.map((v) => context.resolveImage(v));
      return (c) => values.some((v, i) => c.image === v || (ids[i] !== undefined && c.imageId === ids[i]));
    }
    case 'before':
    case 'since': {
      const pivots = values.map((v) => {
        try {
          return context.findContainer(v).createdAt;
        } catch {
          throw errors.notFound('CONTAINER_NOT_FOUND', `no such container ${v}`);
        }
      });
      return (c) => pivots.every((t) => (key === 'before' ? c.createdAt < t : c.createdAt > t));
    }
    case 'volume':
      return any((c, v) => c.hostConfig.binds.some((m) => m.source === v || m.target === v));
    case 'network':
      return any((c, v) => c.hostConfig.networkMode === v || Object.keys(c.networkSettings?.networks ?? {}).includes(v));
    case 'publish':
    case 'expose':
      return any((c, v) => {
        const [port = '', proto = 'tcp'] = v.split('/');
        if (key === 'expose') return `${port}/${proto}` in (c.config.ExposedPorts ?? {});
        return (c.networkSettings?.ports ?? []).some((p) => String(p.hostPort) === port && p.protocol === proto);
      });
    default:
      // is-task: swarm tasks; berth has none.
      return () => values.every((v) => v !== 'true');
  }
}
