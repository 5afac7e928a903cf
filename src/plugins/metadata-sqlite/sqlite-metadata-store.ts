import { join } from 'node:path';

import { errors, openDatabase } from '../../base/index.js';
import type { ContainerRecord } from '../../core/containers/index.js';
import type { ImageRecord } from '../../core/images/index.js';
import type { MetadataStore } from '../../core/metadata/index.js';

const schema = `
CREATE TABLE IF NOT EXISTS images (name TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, record TEXT NOT NULL)`;

/** MetadataStore in `<root>/metadata.db` (SQLite, WAL): safe for several processes at once. */
export function createSqliteMetadataStore(root: string): MetadataStore {
  const db = openDatabase(join(root, 'metadata.db'), schema);
  const parse = <T>(row: { record: string } | undefined): T | undefined => (row ? (JSON.parse(row.record) as T) : undefined);
  const stmt = {
    getImage: db.prepare('SELECT record FROM images WHERE name = ?'),
    listImages: db.prepare('SELECT record FROM images ORDER BY name'),
    putImage: db.prepare('INSERT INTO images (name, record) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET record = excluded.record'),
    deleteImage: db.prepare('DELETE FROM images WHERE name = ?'),
    byId: db.prepare('SELECT record FROM containers WHERE id = ?'),
    byName: db.prepare('SELECT record FROM containers WHERE name = ?'),
    byPrefix: db.prepare("SELECT record FROM containers WHERE id LIKE ? || '%' LIMIT 2"),
    listContainers: db.prepare('SELECT record FROM containers'),
    insertContainer: db.prepare('INSERT INTO containers (id, name, record) VALUES (?, ?, ?)'),
    updateContainer: db.prepare('UPDATE containers SET name = ?, record = ? WHERE id = ?'),
    deleteContainer: db.prepare('DELETE FROM containers WHERE id = ?'),
  };

  function findContainer(ref: string): ContainerRecord {
    const bare = ref.startsWith('/') ? ref.slice(1) : ref;
    const exact = parse<ContainerRecord>(stmt.byId.get(bare) as { record: string } | undefined)
      ?? parse<ContainerRecord>(stmt.byName.get(bare) as { record: string } | undefined);
    if (exact) return exact;
    if (/^[a-f0-9]+$/.test(bare)) {
      const rows = stmt.byPrefix.all(bare) as { record: string }[];
      if (rows.length > 1) throw errors.invalidArgument('AMBIGUOUS_CONTAINER', `Container id prefix "${bare}" matches more than one container`);
      const found = parse<ContainerRecord>(rows[0]);
      if (found) return found;
    }
    throw errors.notFound('CONTAINER_NOT_FOUND', `No such container: ${bare}`);
  }

  return {
    getImage: (name) => parse<ImageRecord>(stmt.getImage.get(name) as { record: string } | undefined),
    listImages: () => (stmt.listImages.all() as { record: string }[]).map((r) => JSON.parse(r.record) as ImageRecord),
    putImage: (record) => void stmt.putImage.run(record.name, JSON.stringify(record)),
    deleteImage: (name) => stmt.deleteImage.run(name).changes > 0,
    findContainer,
    listContainers: () => (stmt.listContainers.all() as { record: string }[])
      .map((r) => JSON.parse(r.record) as ContainerRecord)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    createContainer(record) {
      try {
        stmt.insertContainer.run(record.id, record.name, JSON.stringify(record));
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw errors.alreadyExists('CONTAINER_NAME_IN_USE', `Conflict. The container name "/${record.name}" is already in use`);
        }
        throw err;
      }
    },
    updateContainer(id, change) {
      return db.transaction(() => {
        const record = parse<ContainerRecord>(stmt.byId.get(id) as { record: string } | undefined);
        if (!record) throw errors.notFound('CONTAINER_NOT_FOUND', `No such container: ${id}`);
        change(record);
        stmt.updateContainer.run(record.name, JSON.stringify(record), id);
        return record;
      }).immediate();
    },
    deleteContainer: (id) => void stmt.deleteContainer.run(id),
    transaction: (fn) => db.transaction(fn).immediate(),
    close: () => db.close(),
  };
}
