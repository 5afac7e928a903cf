import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { isPlainName, linkExclusive, listNames, readJsonFile, readLink, replaceLink, unlinkIfExists, writeJsonAtomic } from '../../base/index.js';
import type { SnapshotInfo, SnapshotKind } from '../../core/snapshots/index.js';

/** A snapshot as `<root>/<id>/info.json` holds it, plus its directory id. */
export interface SnapshotRecord {
  id: string;
  key: string;
  kind: SnapshotKind;
  parent?: string;
  /** The parent's directory id, so that a `lowerdir=` chain needs no key lookups. */
  parentId?: string;
  created: number;
  labels: Record<string, string>;
  /** A committed snapshot's directory size (`du -sb`, this record included), once measured (Snapshotter.rememberUsage). */
  usage?: number;
}

const plainKey = /^[A-Za-z0-9_:@+=,-][A-Za-z0-9._:@+=,-]{0,199}$/;

/** The file name of `key` in `keys/`: the key itself when it is a safe name, else `%` + sha256 hex. */
export function keyFileName(key: string): string {
  return plainKey.test(key) ? key : `%${createHash('sha256').update(key).digest('hex')}`;
}

export function toInfo(r: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { key: r.key, kind: r.kind, created: r.created, labels: r.labels };
  if (r.parent !== undefined) info.parent = r.parent;
  return info;
}

/**
 * The records of an overlay snapshotter root: `keys/<key file name>` is a symlink to the snapshot's
 * directory id and `<id>/info.json` its record. A key exists when its link points at a record that
 * carries the same key; any other link is a leftover of a crash and counts as absent.
 * Callers hold the snapshotter's lock around changes.
 */
export function snapshotRecords(root: string) {
  const keysDir = join(root, 'keys');
  const keyPath = (key: string) => join(keysDir, keyFileName(key));

  function byId(id: string): SnapshotRecord | undefined {
    if (!isPlainName(id)) return undefined;
    const info = readJsonFile<Omit<SnapshotRecord, 'id'>>(join(root, id, 'info.json'));
    return info && { ...info, id };
  }

  function lookup(key: string): SnapshotRecord | undefined {
    const id = readLink(keyPath(key));
    const record = id === undefined ? undefined : byId(id);
    return record?.key === key ? record : undefined;
  }

  return {
    keysDir,
    byId,
    lookup,
    /**
     * Every snapshot, oldest first; with `keyPrefix`, those whose key starts with it. A plain key is
     * its own file name, so only the names that start with the prefix (and the hashed ones, `%…`)
     * have their records read.
     */
    all(keyPrefix?: string): SnapshotRecord[] {
      const records: SnapshotRecord[] = [];
      for (const name of listNames(keysDir)) {
        if (keyPrefix !== undefined && !name.startsWith(keyPrefix) && !name.startsWith('%')) continue;
        const id = readLink(join(keysDir, name));
        const record = id === undefined ? undefined : byId(id);
        if (record && keyFileName(record.key) === name && (keyPrefix === undefined || record.key.startsWith(keyPrefix))) records.push(record);
      }
      return records.sort((a, b) => a.created - b.created || (a.key < b.key ? -1 : 1));
    },
    write(record: SnapshotRecord): void {
      const { id, ...info } = record;
      writeJsonAtomic(join(root, id, 'info.json'), info);
    },
    /** Points `key` at `id`; false when another snapshot holds the key. */
    link(key: string, id: string): boolean {
      if (linkExclusive(id, keyPath(key))) return true;
      if (lookup(key) !== undefined) return false;
      replaceLink(id, keyPath(key));
      return true;
    },
    /** The key's link and the records it leads to, down its parent chain: what its mounts are made of. */
    recordFiles(key: string): string[] {
      const files = [keyPath(key)];
      const seen = new Set<string>();
      for (let id = readLink(keyPath(key)); id !== undefined && isPlainName(id) && !seen.has(id); id = byId(id)?.parentId) {
        seen.add(id);
        files.push(join(root, id, 'info.json'));
      }
      return files;
    },
    /** Removes the link of `key` if it still points at `id`. */
    unlink(key: string, id: string): void {
      if (readLink(keyPath(key)) === id) unlinkIfExists(keyPath(key));
    },
  };
}

export type SnapshotRecords = ReturnType<typeof snapshotRecords>;
