/**
 * The filters the prune endpoints share (`until`, `label`, `label!`), read as dockerd reads them;
 * a key the endpoint does not take is a 400 naming it (`Invalid filter 'x'`).
 */
import { errors, parseGoDuration } from '../base/index.js';

/** Docker's `until`: a Go duration before now (`24h`, `1h30m`), Unix seconds, or an RFC 3339 date; ms since the epoch. */
export function parseUntil(value: string, now = Date.now()): number {
  const ns = /^\d+(\.\d+)?$/.test(value) ? undefined : parseGoDuration(value);
  if (ns !== undefined) return now - ns / 1e6;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter 'until=${value}': failed to parse value as time or duration`);
  return t;
}

export interface PruneFilter {
  key: string;
  value: string;
  /** `label!=`. */
  negated: boolean;
}

/** Splits `key=value` / `key!=value` filters, refusing keys outside `allowed`. */
export function splitFilters(filters: readonly string[], allowed: readonly string[]): PruneFilter[] {
  return filters.map((filter) => {
    const neq = filter.indexOf('!=');
    const eq = filter.indexOf('=');
    const negated = neq > 0 && neq < eq;
    const key = filter.slice(0, negated ? neq : eq);
    if (!allowed.includes(negated ? `${key}!` : key)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter '${key}'`);
    return { key, value: filter.slice(negated ? neq + 2 : eq + 1), negated };
  });
}

/** `label=KEY[=VALUE]` (or its negation) over a label map. */
export function labelTest(spec: string, negated: boolean): (labels: Record<string, string> | null | undefined) => boolean {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  return (labels) => {
    const map = labels ?? {};
    const match = Object.hasOwn(map, key) && (eq < 0 || map[key] === spec.slice(eq + 1));
    return negated ? !match : match;
  };
}
