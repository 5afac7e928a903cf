/**
 * `network ls --filter` (and the Engine API's `GET /networks?filters=`): name (a substring, as
 * dockerd matches it), id (a prefix), driver, label, type (custom|builtin), scope (local|swarm|
 * global: berth's networks are local), dangling (no container attached, predefined ones aside).
 * Values of one key are alternatives; different keys must all match.
 */
import { errors } from '../base/index.js';
import type { NetworkInfo } from './engine.js';

export function networkFilter(filters: readonly string[]): (n: NetworkInfo) => boolean {
  const byKey = new Map<string, ((n: NetworkInfo) => boolean)[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw errors.invalidArgument('INVALID_FILTER', `bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq).toLowerCase();
    const value = f.slice(eq + 1);
    let test: (n: NetworkInfo) => boolean;
    if (key === 'name') test = (n) => n.name.includes(value);
    else if (key === 'id') test = (n) => n.id.startsWith(value);
    else if (key === 'driver') test = (n) => n.driver === value;
    else if (key === 'label') {
      const le = value.indexOf('=');
      test = le < 0 ? (n) => Object.hasOwn(n.labels, value) : (n) => n.labels[value.slice(0, le)] === value.slice(le + 1);
    } else if (key === 'type') {
      if (value !== 'custom' && value !== 'builtin') throw errors.invalidArgument('INVALID_FILTER', `invalid filter: 'type'='${value}'`);
      test = (n) => n.predefined === (value === 'builtin');
    } else if (key === 'scope') {
      if (!['local', 'swarm', 'global'].includes(value)) throw errors.invalidArgument('INVALID_FILTER', `invalid filter: 'scope'='${value}'`);
      test = () => value === 'local';
    } else if (key === 'dangling') {
      const v = value.toLowerCase();
      if (!['true', 'false', '1', '0'].includes(v)) throw errors.invalidArgument('INVALID_FILTER', `invalid filter: 'dangling'='${value}'`);
      const dangling = v === 'true' || v === '1';
      test = (n) => (!n.predefined && n.containers.length === 0) === dangling;
    } else throw errors.invalidArgument('INVALID_FILTER', `Invalid filter '${key}'`);
    const list = byKey.get(key) ?? [];
    list.push(test);
    byKey.set(key, list);
  }
  const tests = [...byKey.values()];
  return (n) => tests.every((any) => any.some((t) => t(n)));
}
