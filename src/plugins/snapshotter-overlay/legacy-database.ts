import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';

import { openDatabase } from '../../base/index.js';
import type { SnapshotKind } from '../../core/snapshots/index.js';
import type { SnapshotRecord, SnapshotRecords } from './snapshot-records.js';

interface Row {
  id: number;
  key: string;
  kind: SnapshotKind;
  parent: string | null;
  created: number;
  labels: string;
}

/**
 * Moves the records of a root made by the SQLite-based snapshotter (`<root>/metadata.db`, numbered
 * directories) into info.json files and key links, keeping the directories where they are, then
 * renames the database to `metadata.db.imported`. Runs under the snapshotter's lock; a crash midway
 * repeats the import on the next open (each step overwrites or skips what is already there).
 */
export function importLegacyDatabase(root: string, records: SnapshotRecords): void {
  const path = join(root, 'metadata.db');
  if (!existsSync(path)) return;
  const db = openDatabase(path, 'SELECT 1');
  const rows = db.prepare('SELECT id, key, kind, parent, created, labels FROM snapshots ORDER BY id').all() as Row[];
  db.close();
  const idOfKey = new Map(rows.map((r) => [r.key, String(r.id)]));
  for (const row of rows) {
    // A creation the old snapshotter never finished: its directory is left as an orphan.
    if (row.key.startsWith('.creating-') || !existsSync(join(root, String(row.id), 'fs'))) continue;
    const record: SnapshotRecord = { id: String(row.id), key: row.key, kind: row.kind, created: row.created, labels: JSON.parse(row.labels) as Record<string, string> };
    const parentId = row.parent === null ? undefined : idOfKey.get(row.parent);
    if (row.parent !== null && parentId !== undefined) Object.assign(record, { parent: row.parent, parentId });
    records.write(record);
    records.link(record.key, record.id);
  }
  renameSync(path, `${path}.imported`);
}
