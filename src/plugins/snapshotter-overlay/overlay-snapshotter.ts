import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { Database } from '../../base/index.js';
import { errors, ignoreErrno, openDatabase } from '../../base/index.js';
import type { Mount } from '../../core/mount/index.js';
import type { SnapshotInfo, SnapshotKind, Snapshotter } from '../../core/snapshots/index.js';

interface Row {
  key: string;
  id: number;
  kind: SnapshotKind;
  parent: string | null;
  created: number;
  labels: string;
}

const schema = `CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  parent TEXT REFERENCES snapshots(key) ON UPDATE CASCADE,
  created INTEGER NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}'
)`;

/**
 * The overlayfs snapshotter. Each snapshot owns `<root>/<id>/fs` (its files: a layer for
 * committed snapshots, the upper directory for active ones) and `<root>/<id>/work` (overlay's
 * work directory). Directories are numbered so that a deep `lowerdir=` list stays short.
 * Records live in `<root>/metadata.db`; directories are created before their record and
 * removed after it, so a crash leaves at most an orphan directory that `cleanup` removes.
 */
export function createOverlaySnapshotter(root: string): Snapshotter {
  let db: Database | undefined;
  const open = async (): Promise<Database> => {
    if (!db) {
      await mkdir(root, { recursive: true });
      db = openDatabase(join(root, 'metadata.db'), schema);
    }
    return db;
  };
  const fsDir = (id: number) => join(root, String(id), 'fs');
  const notFound = (key: string) => errors.notFound('SNAPSHOT_NOT_FOUND', `Snapshot "${key}" not found`);

  async function row(key: string): Promise<Row> {
    const r = (await open()).prepare('SELECT * FROM snapshots WHERE key = ?').get(key) as Row | undefined;
    if (!r) throw notFound(key);
    return r;
  }

  /** fs directories from `key` down to the base layer. */
  async function chain(key: string): Promise<string[]> {
    const database = await open();
    const dirs: string[] = [];
    let current: string | null = key;
    while (current !== null) {
      const r = database.prepare('SELECT id, parent FROM snapshots WHERE key = ?').get(current) as Pick<Row, 'id' | 'parent'> | undefined;
      if (!r) throw notFound(current);
      dirs.push(fsDir(r.id));
      current = r.parent;
    }
    return dirs;
  }

  async function mountsOf(r: Row): Promise<Mount[]> {
    if (r.kind === 'committed' || r.kind === 'view') {
      const lowers = await chain(r.key);
      if (r.kind === 'view' && r.parent !== null) lowers.shift();
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0] ?? '', options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }];
    }
    if (r.parent === null) return [{ type: 'bind', source: fsDir(r.id), options: ['rw', 'rbind'] }];
    const lowers = await chain(r.parent);
    return [{
      type: 'overlay',
      source: 'overlay',
      options: ['index=off', `workdir=${join(root, String(r.id), 'work')}`, `upperdir=${fsDir(r.id)}`, `lowerdir=${lowers.join(':')}`],
    }];
  }

  async function create(key: string, parent: string | undefined, kind: SnapshotKind, labels: Record<string, string>): Promise<Mount[]> {
    const database = await open();
    if (parent !== undefined) {
      const p = await row(parent);
      if (p.kind !== 'committed') throw errors.failedPrecondition('SNAPSHOT_PARENT_NOT_COMMITTED', `Cannot use snapshot "${parent}" as a parent: it is not committed`);
    }
    // Reserve the id first so the directory name is known, then make the directories.
    let id: number;
    try {
      id = Number(database.prepare('INSERT INTO snapshots (key, kind, parent, created, labels) VALUES (?, ?, ?, ?, ?)')
        .run(`.creating-${key}`, kind, parent ?? null, Date.now(), JSON.stringify(labels)).lastInsertRowid);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw errors.alreadyExists('SNAPSHOT_EXISTS', `Snapshot "${key}" already exists`);
      throw err;
    }
    await mkdir(fsDir(id), { recursive: true });
    if (kind === 'active' && parent !== undefined) await mkdir(join(root, String(id), 'work'));
    try {
      database.prepare('UPDATE snapshots SET key = ? WHERE id = ?').run(key, id);
    } catch (err) {
      database.prepare('DELETE FROM snapshots WHERE id = ?').run(id);
      await rm(join(root, String(id)), { recursive: true, force: true });
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw errors.alreadyExists('SNAPSHOT_EXISTS', `Snapshot "${key}" already exists`);
      throw err;
    }
    return mountsOf(await row(key));
  }

  return {
    prepare: (key, parent, options = {}) => create(key, parent, 'active', options.labels ?? {}),
    view: (key, parent) => create(key, parent, 'view', {}),
    async mounts(key) {
      return mountsOf(await row(key));
    },
    async commit(name, key) {
      const database = await open();
      const r = await row(key);
      if (r.kind !== 'active') throw errors.failedPrecondition('SNAPSHOT_NOT_ACTIVE', `Cannot commit snapshot "${key}": it is not active`);
      try {
        database.prepare("UPDATE snapshots SET key = ?, kind = 'committed' WHERE id = ?").run(name, r.id);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw errors.alreadyExists('SNAPSHOT_EXISTS', `Snapshot "${name}" already exists`);
        throw err;
      }
      await rm(join(root, String(r.id), 'work'), { recursive: true, force: true });
    },
    async remove(key) {
      const database = await open();
      const r = await row(key);
      const child = database.prepare('SELECT key FROM snapshots WHERE parent = ? LIMIT 1').get(key) as { key: string } | undefined;
      if (child) throw errors.failedPrecondition('SNAPSHOT_IN_USE', `Cannot remove snapshot "${key}": snapshot "${child.key}" is built on it`);
      database.prepare('DELETE FROM snapshots WHERE id = ?').run(r.id);
      await rm(join(root, String(r.id)), { recursive: true, force: true });
    },
    async stat(key) {
      return toInfo(await row(key));
    },
    async exists(key) {
      return (await open()).prepare('SELECT 1 FROM snapshots WHERE key = ?').get(key) !== undefined;
    },
    async walk() {
      return ((await open()).prepare('SELECT * FROM snapshots ORDER BY id').all() as Row[]).map(toInfo);
    },
    async upperDir(key) {
      return fsDir((await row(key)).id);
    },
    async usage(key) {
      return diskUsage(fsDir((await row(key)).id));
    },
    async orphans() {
      const database = await open();
      const ids = new Set((database.prepare('SELECT id FROM snapshots').all() as { id: number }[]).map((r) => String(r.id)));
      const names = await ignoreErrno(['ENOENT'], () => readdir(root), [] as string[]);
      return names.filter((n) => /^\d+$/.test(n) && !ids.has(n)).map((n) => join(root, n));
    },
    async cleanup() {
      const database = await open();
      // Records of creations that never finished (the process died between insert and rename).
      const stale = database.prepare("SELECT id FROM snapshots WHERE key LIKE '.creating-%' AND created < ?").all(Date.now() - 60_000) as { id: number }[];
      for (const s of stale) database.prepare('DELETE FROM snapshots WHERE id = ?').run(s.id);
      const dirs = await this.orphans();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      return dirs.length;
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}

function toInfo(r: Row): SnapshotInfo {
  const info: SnapshotInfo = { key: r.key, kind: r.kind, created: r.created, labels: JSON.parse(r.labels) as Record<string, string> };
  if (r.parent !== null) info.parent = r.parent;
  return info;
}

async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const entries = await ignoreErrno(['ENOENT'], () => readdir(dir, { withFileTypes: true, recursive: true }), []);
  for (const entry of entries) {
    if (entry.isFile()) {
      const st = await ignoreErrno(['ENOENT'], () => stat(join(entry.parentPath, entry.name)), undefined);
      total += st?.blocks !== undefined ? st.blocks * 512 : 0;
    }
  }
  return total;
}
