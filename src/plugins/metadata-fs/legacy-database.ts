import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';

import { openDatabase } from '../../base/index.js';
import type { ContainerRecord } from '../../core/containers/index.js';
import type { ImageRecord } from '../../core/images/index.js';

export interface LegacyTarget {
  putImage(record: ImageRecord): void;
  /** Writes the container record and points its name at it, replacing what is there. */
  putContainer(record: ContainerRecord): void;
}

/**
 * Copies the records of metadata-sqlite's `<root>/metadata.db` into the file store, then renames
 * the database to `metadata.db.imported`. Runs under the store's lock before the store is marked
 * complete, so a crash midway repeats the whole import (every write replaces) on the next open.
 */
export function importLegacyDatabase(root: string, target: LegacyTarget): void {
  const path = join(root, 'metadata.db');
  if (!existsSync(path)) return;
  const db = openDatabase(path, 'SELECT 1');
  try {
    for (const row of db.prepare('SELECT record FROM images').all() as { record: string }[]) {
      target.putImage(JSON.parse(row.record) as ImageRecord);
    }
    for (const row of db.prepare('SELECT record FROM containers').all() as { record: string }[]) {
      target.putContainer(JSON.parse(row.record) as ContainerRecord);
    }
  } finally {
    db.close();
  }
  renameSync(path, `${path}.imported`);
}
