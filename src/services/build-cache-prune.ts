/**
 * `builder prune` and the build cache limit: which records go, least recently used first, and
 * the collection that frees what they kept.
 *
 * As BuildKit prunes: without `all`, only records whose layer no image holds (the "dangling"
 * cache: intermediate stages, images since removed) and cache mounts; with `all`, every record.
 * `until=DURATION` (or `unused-for=`) keeps records used within that time; `keepStorage` stops
 * once what the records hold is at most that many bytes. Runs only under the collector's lease:
 * no build is running, so no record, layer or cache mount in use is ever removed.
 */
import { errors, parseGoDuration } from '../base/index.js';
import type { BuildCachePruneOptions, BuildCachePruneResult } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { busy, collectUnreferenced } from './collect.js';
import type { SizedCacheEntry, StoreUsage } from './system-df.js';
import { storeUsage } from './system-df.js';

export interface CacheSelection {
  all: boolean;
  /** 0: no floor. */
  keepStorage: number;
  /** Records used at or after this time (ms) are kept. */
  usedSince?: number;
  types?: Set<string>;
  ids?: string[];
}

/** `builder prune --filter`: `until=` / `unused-for=` (Go durations), `type=`, `id=`; anything else is refused as dockerd refuses it. */
export function parseCacheFilters(filters: readonly string[], now = Date.now()): Omit<CacheSelection, 'all' | 'keepStorage'> {
  const out: Omit<CacheSelection, 'all' | 'keepStorage'> = {};
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    const value = eq < 0 ? '' : filter.slice(eq + 1);
    if (key === 'until' || key === 'unused-for') {
      const ns = parseGoDuration(value);
      if (ns === undefined || ns < 0) throw errors.invalidArgument('INVALID_FILTER', `"${key}" filter expects a duration (e.g., '24h'): time: invalid duration "${value}"`);
      out.usedSince = now - ns / 1e6;
    } else if (key === 'type') {
      if (!['regular', 'exec.cachemount'].includes(value)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter "type=${value}": the build cache's types are regular and exec.cachemount`);
      (out.types ??= new Set()).add(value);
    } else if (key === 'id') {
      if (value === '') throw errors.invalidArgument('INVALID_FILTER', 'Invalid filter "id=": expected a record id or its prefix');
      (out.ids ??= []).push(value);
    } else throw errors.invalidArgument('INVALID_FILTER', `Invalid filter '${key}'`);
  }
  return out;
}

/** Bytes the records hold: their own files and the layers no image holds, each once. */
export function recordsSize(usage: Pick<StoreUsage, 'entries' | 'holders' | 'partSize'>): number {
  const parts = new Set(usage.entries.flatMap((e) => e.parts));
  const imageHeld = (p: string) => [...(usage.holders.get(p) ?? [])].some((h) => h.startsWith('image:'));
  return usage.entries.reduce((t, e) => t + e.own, 0) + [...parts].filter((p) => !imageHeld(p)).reduce((t, p) => t + usage.partSize(p), 0);
}

/**
 * The records to remove, least recently used first (entries come in that order). With a
 * `keepStorage` floor, only as many as it takes to bring what the records hold down to it.
 */
export function selectCacheRecords(usage: Pick<StoreUsage, 'entries' | 'holders' | 'partSize'>, selection: CacheSelection): SizedCacheEntry[] {
  const holders = new Map([...usage.holders].map(([p, h]) => [p, new Set(h)]));
  const imageHeld = (p: string) => [...(holders.get(p) ?? [])].some((h) => h.startsWith('image:'));
  const candidates = usage.entries.filter(({ entry, parts }) => (selection.all || entry.type === 'exec.cachemount' || !parts.some(imageHeld))
    && (selection.usedSince === undefined || entry.lastUsed < selection.usedSince)
    && (selection.types === undefined || selection.types.has(entry.type))
    && (selection.ids === undefined || selection.ids.some((id) => entry.id.startsWith(id))));
  if (selection.keepStorage <= 0) return candidates;
  let held = recordsSize(usage);
  const chosen: SizedCacheEntry[] = [];
  for (const candidate of candidates) {
    if (held <= selection.keepStorage) break;
    let freed = candidate.own;
    for (const part of candidate.parts) {
      const who = holders.get(part);
      who?.delete(`cache:${candidate.entry.id}`);
      if (who?.size === 0) freed += usage.partSize(part);
    }
    held -= freed;
    chosen.push(candidate);
  }
  return chosen;
}

/** Removes the selected records and collects; the caller holds the collector's lease. */
async function removeAndCollect(ctx: EngineContext, selection: CacheSelection): Promise<BuildCachePruneResult> {
  if (!ctx.builder) return { deleted: [], spaceReclaimed: 0 };
  const builder = await ctx.builder();
  const chosen = selectCacheRecords(await storeUsage(ctx), selection);
  await builder.removeCacheEntries(ctx.paths.root, chosen.map((c) => c.entry));
  const collected = await collectUnreferenced(ctx);
  return { deleted: chosen.map((c) => c.entry.id), spaceReclaimed: chosen.reduce((t, c) => t + c.own, 0) + collected.bytes };
}

/** `builder prune`. InvalidArgument BERTH_E_INVALID_FILTER for a filter it does not know. */
export async function pruneBuildCache(ctx: EngineContext, options: BuildCachePruneOptions = {}): Promise<BuildCachePruneResult> {
  const filters = parseCacheFilters(options.filters ?? []);
  const keepStorage = options.keepStorage ?? 0;
  if (!Number.isSafeInteger(keepStorage) || keepStorage < 0) throw errors.invalidArgument('INVALID_SIZE', `Invalid keep-storage ${keepStorage}: expected a number of bytes`);
  const lease = ctx.leases.tryCollect();
  if (!lease) return { deleted: [], spaceReclaimed: 0, skipped: busy };
  try {
    return await removeAndCollect(ctx, { all: options.all ?? false, keepStorage, ...filters });
  } finally {
    lease.release();
  }
}

/**
 * After a build, with a build cache limit set (store-settings.ts): evicts records no image
 * shares, least recently used first, until what the records hold is within the limit. Skipped
 * (quietly: the next build tries again) while another berth process holds a lease.
 */
export async function enforceBuildCacheLimit(ctx: EngineContext, limit: number): Promise<BuildCachePruneResult | undefined> {
  const usage = await storeUsage(ctx);
  if (recordsSize(usage) <= limit) return undefined;
  const lease = ctx.leases.tryCollect();
  if (!lease) return undefined;
  try {
    return await removeAndCollect(ctx, { all: false, keepStorage: limit });
  } finally {
    lease.release();
  }
}
