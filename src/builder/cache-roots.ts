import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { errnoCode } from '../base/index.js';
import type { CacheRecord } from './build-cache.js';

/**
 * The layer blobs the build cache refers to (`<root>/build-cache/index/*.json`), which garbage
 * collection keeps like those of named images: an intermediate stage's layers (a compiler stage)
 * are in no image, yet a rebuild must find them. Docker's `rmi` leaves the build cache alone too.
 */
export async function buildCacheRoots(root: string): Promise<string[]> {
  const dir = join(root, 'build-cache', 'index');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const roots: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as CacheRecord;
      if (record.diffId) roots.push(record.diffId);
    } catch (err) {
      // A torn or vanished entry is a cache miss for the builder; it protects nothing here.
      if (!(err instanceof SyntaxError) && errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  return roots;
}
