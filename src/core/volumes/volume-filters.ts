/**
 * `volume ls --filter` and `volume prune --filter`, as dockerd 20.10 applies them: `name` (a
 * regular expression, matched anywhere), `label` (`key` or `key=value`), `label!` (prune),
 * `dangling` (true|false|1|0), `driver`. An unknown key is `Invalid filter 'KEY'`.
 */
import { errors } from '../../base/index.js';
import type { VolumeRecord } from './volume.js';

export interface VolumeFilters {
  name: RegExp[];
  label: string[];
  notLabel: string[];
  driver: string[];
  dangling?: boolean;
}

const invalidFilter = (text: string) => errors.invalidArgument('INVALID_FILTER', `Invalid filter '${text}'`);

/** Parses `key=value` filters; `allowed` are the keys the command takes. */
export function parseVolumeFilters(filters: readonly string[], allowed: readonly string[]): VolumeFilters {
  const out: VolumeFilters = { name: [], label: [], notLabel: [], driver: [] };
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    if (eq <= 0) throw errors.invalidArgument('INVALID_FILTER', `bad format of filter (expected name=value): ${filter}`);
    const key = filter.slice(0, eq).trim().toLowerCase();
    const value = filter.slice(eq + 1);
    if (!allowed.includes(key)) throw invalidFilter(key);
    if (key === 'name') {
      try {
        out.name.push(new RegExp(value));
      } catch {
        out.name.push(/(?!)/); // Docker's Match skips a pattern that does not compile: it matches nothing
      }
    } else if (key === 'label') out.label.push(value);
    else if (key === 'label!') out.notLabel.push(value);
    else if (key === 'driver') out.driver.push(value);
    else if (key === 'dangling') {
      const v = value.toLowerCase();
      if (!['true', 'false', '1', '0'].includes(v)) throw invalidFilter(`dangling=[${value}]`);
      const dangling = v === 'true' || v === '1';
      if (out.dangling !== undefined && out.dangling !== dangling) throw invalidFilter(`dangling=[${value}]`);
      out.dangling = dangling;
    }
  }
  return out;
}

function hasLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  const key = filter.slice(0, eq);
  return Object.hasOwn(labels, key) && labels[key] === filter.slice(eq + 1);
}

/** Whether a volume passes the filters: any of a key's values, every key. */
export function matchesVolumeFilters(volume: VolumeRecord, filters: VolumeFilters, inUse: boolean): boolean {
  if (filters.name.length > 0 && !filters.name.some((re) => re.test(volume.name))) return false;
  if (filters.driver.length > 0 && !filters.driver.includes(volume.driver)) return false;
  if (!filters.label.every((l) => hasLabel(volume.labels, l))) return false;
  if (filters.notLabel.some((l) => hasLabel(volume.labels, l))) return false;
  if (filters.dangling !== undefined && filters.dangling === inUse) return false;
  return true;
}
