/**
 * The filters the prunes share (`until`, `label`, `label!`), read as dockerd reads them; a key a
 * prune does not take is an invalid argument naming it (`Invalid filter 'x'`). The daemon's prune
 * endpoints and the CLI's `--filter` both use them; image and network prunes with filters are
 * made of the Engine's list and remove, as dockerd makes them.
 */
import { errors, isBerthError, parseGoDuration } from '../base/index.js';
import type { Engine, ImageSummary, NetworkInfo } from './engine.js';

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

/** `dangling` (default true), `until`, `label`, `label!` of an image prune. */
function imagePruneFilters(filters: readonly string[]): { dangling: boolean; tests: ((i: ImageSummary) => boolean)[] } {
  let dangling = true;
  const tests: ((i: ImageSummary) => boolean)[] = [];
  for (const { key, value, negated } of splitFilters(filters, ['dangling', 'until', 'label', 'label!'])) {
    if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(value.toLowerCase())) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter 'dangling=[${value}]'`);
      dangling = ['true', '1'].includes(value.toLowerCase());
    } else if (key === 'until') {
      const until = parseUntil(value);
      tests.push((i) => (Date.parse(i.created) || 0) < until);
    } else {
      const test = labelTest(value, negated);
      tests.push((i) => test(i.labels));
    }
  }
  return { dangling, tests };
}

/**
 * `image prune` with filters (`dangling=false` is `-a`): the unused images that pass every test,
 * removed one by one; without `until` or `label` the Engine's own pruneImages. Returns the names
 * untagged and the ids removed.
 */
export async function pruneImagesFiltered(engine: Engine, filters: readonly string[]): Promise<{ untagged: string[]; deleted: string[] }> {
  const { dangling, tests } = imagePruneFilters(filters);
  if (tests.length === 0) return engine.images.pruneImages({ all: !dangling });
  const used = new Set((await engine.containers.list({ all: true })).map((c) => c.imageId));
  const untagged: string[] = [];
  const deleted: string[] = [];
  for (const image of await engine.images.list()) {
    if (used.has(image.id) || (dangling && image.names.length > 0) || !tests.every((t) => t(image))) continue;
    try {
      untagged.push(...await engine.images.remove(image.id));
      deleted.push(image.id);
    } catch (err) {
      // a container came to use it meanwhile: not unused any more
      if (!isBerthError(err) || err.code !== 'BERTH_E_IMAGE_IN_USE') throw err;
    }
  }
  return { untagged, deleted };
}

/** `network prune` with filters (`until`, `label`, `label!`): the unused user networks that pass every test; returns their names. */
export async function pruneNetworksFiltered(engine: Engine, filters: readonly string[]): Promise<string[]> {
  if (filters.length === 0) return engine.networks.prune();
  const tests = splitFilters(filters, ['until', 'label', 'label!']).map(({ key, value, negated }) => {
    if (key === 'until') {
      const until = parseUntil(value);
      return (n: NetworkInfo) => (Date.parse(n.created) || 0) < until;
    }
    const test = labelTest(value, negated);
    return (n: NetworkInfo) => test(n.labels);
  });
  const deleted: string[] = [];
  for (const n of await engine.networks.list()) {
    if (n.predefined || n.containers.length > 0 || !tests.every((t) => t(n))) continue;
    try {
      deleted.push(await engine.networks.remove(n.id));
    } catch (err) {
      // a container came to use it meanwhile
      if (!isBerthError(err) || err.code !== 'BERTH_E_NETWORK_IN_USE') throw err;
    }
  }
  return deleted;
}
