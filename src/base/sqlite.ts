import { createRequire } from 'node:module';

import type BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

/**
 * Opens (creating if needed) an SQLite database set up for several berth processes at once:
 * WAL journal (readers never block the writer), a busy timeout instead of SQLITE_BUSY errors,
 * and `synchronous=NORMAL`, which in WAL mode never corrupts the database on a crash.
 * `schema` runs once per open inside a transaction; write it with IF NOT EXISTS.
 */
export function openDatabase(path: string, schema: string): Database {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const db = new Sqlite(path, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(`BEGIN IMMEDIATE; ${schema}; COMMIT;`);
  return db;
}
