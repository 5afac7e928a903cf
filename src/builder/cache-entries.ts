/**
 * The build cache's records as `system df -v`, `builder prune` and the cache limit see them: one
 * per step key under `build-cache/index/` (type `regular`: the step's layer, or no layer for a
 * step that changed nothing) and one per `RUN --mount=type=cache` directory under
 * `build-cache/mounts/` (type `exec.cachemount`), BuildKit's names for the two.
 *
 * Removal is crash-safe: an index record goes with one unlink (a build that misses it runs the
 * step again), a cache mount is first renamed to `mounts/.trash-…` (one rename: it is whole or
 * gone), then deleted; trash a killed prune left is deleted by the next removal. The layers a
 * record kept are freed by the next garbage collection (services/system.ts), which no longer
 * counts them as roots.
 */
import type { Stats } from 'node:fs';
import { readFileSync, statSync } from 'node:fs';
import { readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { errnoCode, ignoreErrno, randomHex } from '../base/index.js';
import type { BuildCacheEntry } from '../services/index.js';
import type { CacheRecord } from './build-cache.js';

const trashPrefix = '.trash-';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

const list = (dir: string) => ignoreErrno(['ENOENT', 'ENOTDIR'], () => readdir(dir), [] as string[]);

/** Every record of the build cache under `root`, oldest use first. */
export async function listCacheEntries(root: string): Promise<BuildCacheEntry[]> {
  const out: BuildCacheEntry[] = [];
  const indexDir = join(root, 'build-cache', 'index');
  for (const name of await list(indexDir)) {
    if (!name.endsWith('.json')) continue;
    const file = join(indexDir, name);
    let record: CacheRecord;
    let st: Stats | undefined;
    try {
      st = statOrUndefined(file);
      record = JSON.parse(readFileSync(file, 'utf8')) as CacheRecord;
    } catch (err) {
      // A torn record is a miss for the builder; it is still a file the cache holds, and prunable.
      if (!(err instanceof SyntaxError) && errnoCode(err) !== 'ENOENT') throw err;
      if (st === undefined) continue;
      record = { diffId: null, size: 0 };
    }
    if (st === undefined) continue;
    const created = Date.parse(record.created ?? '') || st.mtimeMs;
    out.push({
      id: name.slice(0, -'.json'.length),
      type: 'regular',
      diffId: record.diffId ?? null,
      ...(record.chainId !== undefined ? { chainId: record.chainId } : {}),
      description: record.createdBy ?? '',
      created,
      lastUsed: Date.parse(record.lastUsed ?? '') || st.mtimeMs,
      usage: record.usage ?? 1,
      paths: [file],
    });
  }
  const mountsDir = join(root, 'build-cache', 'mounts');
  for (const name of await list(mountsDir)) {
    if (name.startsWith(trashPrefix) || name.endsWith('.lock')) continue;
    const dir = join(mountsDir, name);
    const st = statOrUndefined(dir);
    if (!st?.isDirectory()) continue;
    const lock = `${dir}.lock`;
    out.push({
      id: name,
      type: 'exec.cachemount',
      diffId: null,
      description: `RUN --mount=type=cache (id hash ${name})`,
      created: st.birthtimeMs || st.ctimeMs,
      lastUsed: st.mtimeMs,
      usage: 1,
      paths: statOrUndefined(lock) ? [dir, lock] : [dir],
    });
  }
  return out.sort((a, b) => a.lastUsed - b.lastUsed || a.id.localeCompare(b.id));
}

/** Deletes what the trash holds: cache mounts a killed prune had renamed but not yet deleted. */
async function emptyTrash(mountsDir: string): Promise<void> {
  for (const name of await list(mountsDir)) {
    if (name.startsWith(trashPrefix)) await rm(join(mountsDir, name), { recursive: true, force: true });
  }
}

/**
 * Removes records; the caller holds the collector's lease (no build runs). A cache mount goes to
 * the trash by one rename before it is deleted, so a SIGKILL never leaves half a mount in use.
 */
export async function removeCacheEntries(root: string, entries: readonly BuildCacheEntry[]): Promise<void> {
  const mountsDir = join(root, 'build-cache', 'mounts');
  await emptyTrash(mountsDir);
  for (const entry of entries) {
    if (entry.type === 'regular') {
      for (const path of entry.paths) await ignoreErrno(['ENOENT'], () => unlink(path), undefined);
      continue;
    }
    const [dir, ...rest] = entry.paths;
    if (dir === undefined) continue;
    const trash = join(mountsDir, `${trashPrefix}${entry.id}-${randomHex(4)}`);
    const moved = await ignoreErrno(['ENOENT'], async () => (await rename(dir, trash), true), false);
    for (const path of rest) await ignoreErrno(['ENOENT'], () => unlink(path), undefined);
    if (moved) await rm(trash, { recursive: true, force: true });
  }
}
