/**
 * `container prune`: removes every stopped container (created, exited, dead) that matches all
 * filters, as Docker does: `until=<timestamp or duration>` (created before it), `label=KEY`,
 * `label=KEY=VALUE`, `label!=KEY[=VALUE]` (on the container's labels). The space reclaimed is
 * what leaves the disk as `du -sb` counts it: each container's writable layer (its snapshot
 * directory) and its own directory (bundle, logs), where Docker counts the writable layer's files.
 */
import type { Stats } from 'node:fs';
import { lstatSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { errnoCode, errors } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import type { PruneResult } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { DiskCounter } from './system-df.js';

const goDurationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Docker's `until` value as a time in ms since the epoch: a Go duration before now (`10m`,
 * `1h30m`), Unix seconds (`1700000000`, `1700000000.5`), or an RFC 3339 / ISO date.
 */
export function parseUntil(value: string, now = Date.now()): number {
  const duration = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value);
  if (duration) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (goDurationUnits[m[2] as string] as number);
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter "until=${value}": failed to parse value as time or duration`);
  return t;
}

type Filter = (record: ContainerRecord) => boolean;

function labelFilter(spec: string, negate: boolean): Filter {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  const value = eq < 0 ? undefined : spec.slice(eq + 1);
  return (record) => {
    const labels = record.config.Labels ?? {};
    const match = Object.hasOwn(labels, key) && (value === undefined || labels[key] === value);
    return negate ? !match : match;
  };
}

/** The filters `container prune` takes; anything else is refused naming it, as Docker does. */
export function parsePruneFilters(filters: readonly string[], now = Date.now()): Filter[] {
  return filters.map((filter) => {
    const neq = filter.indexOf('!=');
    const eq = filter.indexOf('=');
    if (neq > 0 && neq < eq) {
      const key = filter.slice(0, neq);
      if (key !== 'label') throw errors.invalidArgument('INVALID_FILTER', `Invalid filter "${key}"`);
      return labelFilter(filter.slice(neq + 2), true);
    }
    const key = eq < 0 ? filter : filter.slice(0, eq);
    const value = eq < 0 ? '' : filter.slice(eq + 1);
    if (eq < 0) throw errors.invalidArgument('INVALID_FILTER', `Bad format of filter "${filter}": expected name=value`);
    if (key === 'until') {
      const until = parseUntil(value, now);
      return (record: ContainerRecord) => Date.parse(record.createdAt) < until;
    }
    if (key === 'label') return labelFilter(value, false);
    throw errors.invalidArgument('INVALID_FILTER', `Invalid filter "${key}"`);
  });
}

/** Bytes a directory tree holds as Docker's directory.Size counts them. */
export function treeSize(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw err;
    }
    for (const name of names) {
      let st: Stats;
      try {
        st = lstatSync(join(path, name));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      if (st.isDirectory()) {
        pending.push(join(path, name));
        continue;
      }
      if (st.nlink > 1) {
        const inode = `${st.dev}:${st.ino}`;
        if (seen.has(inode)) continue;
        seen.add(inode);
      }
      total += st.size;
    }
  }
  return total;
}

const stopped = new Set(['created', 'exited', 'dead']);

/**
 * Removes the stopped containers matching every filter with `remove` (the container service's
 * removal: a dead container's runtime leftovers go too); one that fails to go is reported as a
 * warning and the others still go.
 */
export async function pruneContainers(
  ctx: EngineContext,
  filters: readonly string[],
  remove: (id: string) => Promise<void>,
  list: () => Promise<ContainerRecord[]>,
  warn: (message: string) => void,
): Promise<PruneResult> {
  const checks = parsePruneFilters(filters);
  const result: PruneResult = { deleted: [], spaceReclaimed: 0 };
  for (const record of await list()) {
    if (!stopped.has(record.state.status) || !checks.every((check) => check(record))) continue;
    // What leaves the disk, as du -sb counts it: the writable layer's snapshot and the container's directory (bundle, logs).
    const counter = new DiskCounter();
    let size = counter.du(join(ctx.paths.containers, record.id));
    try {
      size += counter.du(dirname(await ctx.snapshots.upperDir(record.snapshotKey)));
    } catch {
      // A container whose snapshot is gone holds no more than its directory: it is removed all the same.
    }
    try {
      await remove(record.id);
    } catch (err) {
      warn(`Cannot remove container "${record.name}": ${(err as Error).message}`);
      continue;
    }
    result.deleted.push(record.id);
    result.spaceReclaimed += size;
  }
  return result;
}
