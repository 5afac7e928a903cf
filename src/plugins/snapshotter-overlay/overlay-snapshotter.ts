import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { errnoCode, errors, ignoreErrno, listTemporary, randomHex, removeTree, unlinkIfExists, writeJsonAtomic } from '../../base/index.js';
import type { Mount } from '../../core/mount/index.js';
import type { SnapshotKind, Snapshotter } from '../../core/snapshots/index.js';
import { withFileLock } from '../../sys/index.js';
import type { SnapshotRecord } from './snapshot-records.js';
import { snapshotRecords, toInfo } from './snapshot-records.js';

/**
 * The overlayfs snapshotter. Each snapshot owns a directory `<root>/<id>` (`id`: 8 random hex
 * digits, claimed by mkdir(2), so a deep `lowerdir=` list stays short) holding `fs` (its files: a
 * layer for committed snapshots, the upper directory for active ones), `work` (overlay's work
 * directory) and `info.json` (its record). `<root>/keys/<key>` is a symlink to the id (see
 * snapshot-records.ts). Changes run under an flock of `<root>/lock`, so several processes may share
 * a root. `<root>/format` marks a complete layout.
 *
 * Crash safety: the directories and info.json are made before the key link, and the key link is
 * removed before the directories, so a crash leaves at most a directory no key points at, which
 * `orphans` lists and `cleanup` removes. `commit` links the new name first, rewrites info.json, then
 * drops the old key's link; a link whose record carries another key is ignored, so each step leaves
 * either the active snapshot or the committed one. No fsync: a power loss may cost the last
 * snapshots made (their records read as absent and their directories become orphans), as layer
 * files themselves are not synced either.
 */
export function createOverlaySnapshotter(root: string): Snapshotter {
  const records = snapshotRecords(root);
  const lockPath = join(root, 'lock');
  let ready = false;
  // `format` is written once the layout is complete: one syscall for every later process.
  const formatPath = join(root, 'format');
  const prepareRoot = () => {
    if (ready || existsSync(formatPath)) {
      ready = true;
      return;
    }
    mkdirSync(root, { recursive: true });
    withFileLock(lockPath, () => {
      if (existsSync(formatPath)) return;
      mkdirSync(records.keysDir, { recursive: true });
      writeJsonAtomic(formatPath, { version: 1 });
    });
    ready = true;
  };
  const locked = <T>(fn: () => T, shared = false): T => {
    prepareRoot();
    return withFileLock(lockPath, fn, { shared });
  };
  const fsDir = (id: string) => join(root, id, 'fs');
  const notFound = (key: string) => errors.notFound('SNAPSHOT_NOT_FOUND', `Snapshot "${key}" not found`);

  function get(key: string): SnapshotRecord {
    prepareRoot();
    const r = records.lookup(key);
    if (!r) throw notFound(key);
    return r;
  }

  /** fs directories from snapshot `r` down to its base layer. */
  function chain(r: SnapshotRecord): string[] {
    const dirs = [fsDir(r.id)];
    for (let current = r; current.parentId !== undefined;) {
      const parent = records.byId(current.parentId);
      if (!parent) throw notFound(current.parent ?? current.parentId);
      dirs.push(fsDir(parent.id));
      current = parent;
    }
    return dirs;
  }

  function mountsOf(r: SnapshotRecord): Mount[] {
    if (r.kind === 'committed' || r.kind === 'view') {
      const lowers = chain(r);
      if (r.kind === 'view' && r.parentId !== undefined) lowers.shift();
      if (lowers.length === 1) return [{ type: 'bind', source: lowers[0] ?? '', options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }];
    }
    if (r.parentId === undefined) return [{ type: 'bind', source: fsDir(r.id), options: ['rw', 'rbind'] }];
    const lowers = chain(r).slice(1);
    return [{
      type: 'overlay',
      source: 'overlay',
      options: ['index=off', `workdir=${join(root, r.id, 'work')}`, `upperdir=${fsDir(r.id)}`, `lowerdir=${lowers.join(':')}`],
    }];
  }

  /** Claims a new directory by mkdir(2), which fails when another process took the same id. */
  function newDirectory(): string {
    for (;;) {
      const id = randomHex(4);
      try {
        mkdirSync(join(root, id));
        return id;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
    }
  }

  function create(key: string, parent: string | undefined, kind: SnapshotKind, labels: Record<string, string>): Mount[] {
    return locked(() => {
      const p = parent === undefined ? undefined : get(parent);
      if (p && p.kind !== 'committed') throw errors.failedPrecondition('SNAPSHOT_PARENT_NOT_COMMITTED', `Cannot use snapshot "${parent}" as a parent: it is not committed`);
      if (records.lookup(key)) throw errors.alreadyExists('SNAPSHOT_EXISTS', `Snapshot "${key}" already exists`);
      const id = newDirectory();
      mkdirSync(fsDir(id));
      if (kind === 'active' && p) mkdirSync(join(root, id, 'work'));
      const record: SnapshotRecord = { id, key, kind, created: Date.now(), labels };
      if (p) Object.assign(record, { parent: p.key, parentId: p.id });
      records.write(record);
      if (!records.link(key, id)) throw errors.alreadyExists('SNAPSHOT_EXISTS', `Snapshot "${key}" already exists`);
      return mountsOf(record);
    });
  }

  /** Renames directory `name` of the root out of every listing; the name is unique. */
  function doom(name: string): string {
    const path = join(root, `.removing-${name}-${randomHex(4)}`);
    renameSync(join(root, name), path);
    return path;
  }

  /** Directories no record owns, given every record (the caller holds the lock). */
  function unowned(all: readonly SnapshotRecord[]): string[] {
    const owned = new Set(all.map((r) => r.id));
    return readdirSync(root)
      .filter((n) => (/^[0-9a-f]+$/.test(n) && !owned.has(n)) || n.startsWith('.removing-'))
      .map((n) => join(root, n));
  }

  function orphans(): string[] {
    return locked(() => unowned(records.all()), true);
  }

  return {
    prepare: async (key, parent, options = {}) => create(key, parent, 'active', options.labels ?? {}),
    view: async (key, parent) => create(key, parent, 'view', {}),
    mounts: async (key) => mountsOf(get(key)),
    recordFiles: (key) => records.recordFiles(key),
    async commit(name, key, options = {}) {
      const id = locked(() => {
        const r = get(key);
        if (r.kind !== 'active') throw errors.failedPrecondition('SNAPSHOT_NOT_ACTIVE', `Cannot commit snapshot "${key}": it is not active`);
        const parent = options.parent === undefined ? undefined : get(options.parent);
        if (parent && r.parentId !== undefined) throw errors.failedPrecondition('SNAPSHOT_HAS_PARENT', `Cannot commit snapshot "${key}" onto "${options.parent}": it has a parent already`);
        if (parent && parent.kind !== 'committed') throw errors.failedPrecondition('SNAPSHOT_PARENT_NOT_COMMITTED', `Cannot use snapshot "${options.parent}" as a parent: it is not committed`);
        if (!records.link(name, r.id)) throw errors.alreadyExists('SNAPSHOT_EXISTS', `Snapshot "${name}" already exists`);
        // A parent given now is only a record: the fs directory is the same layer either way.
        records.write({ ...r, key: name, kind: 'committed', ...(parent ? { parent: parent.key, parentId: parent.id } : {}) });
        records.unlink(key, r.id);
        return r.id;
      });
      // A committed snapshot mounts read-only, without a work directory: drop it, out of the lock.
      await rm(join(root, id, 'work'), { recursive: true, force: true });
    },
    async remove(key) {
      const doomed = locked(() => {
        const r = get(key);
        // Only committed snapshots can be parents, so only they need the walk for children.
        const child = r.kind === 'committed' ? records.all().find((c) => c.parentId === r.id) : undefined;
        if (child) throw errors.failedPrecondition('SNAPSHOT_IN_USE', `Cannot remove snapshot "${key}": snapshot "${child.key}" is built on it`);
        records.unlink(key, r.id);
        // Deleted out of the lock, under a name only `orphans` looks at.
        return doom(r.id);
      });
      // Out of the lock and off the event loop: a layer, or what a container wrote, may be large.
      await removeTree(doomed);
    },
    stat: async (key) => toInfo(get(key)),
    async exists(key) {
      prepareRoot();
      return records.lookup(key) !== undefined;
    },
    async walk(options = {}) {
      prepareRoot();
      return records.all(options.keyPrefix).map(toInfo);
    },
    upperDir: async (key) => fsDir(get(key).id),
    async directories() {
      // Under the shared lock, as orphans(): a directory being prepared has its record before anyone reads the two.
      return locked(() => {
        const all = records.all();
        return { snapshots: new Map(all.map((r) => [r.key, { dir: join(root, r.id), kind: r.kind, ...(r.usage !== undefined ? { usage: r.usage } : {}) }])), orphans: unowned(all) };
      }, true);
    },
    async rememberUsage(key, bytes) {
      locked(() => {
        const r = records.lookup(key);
        if (!r || r.kind !== 'committed' || r.usage !== undefined) return;
        // The record grows by the size it holds: count that too, so the remembered size is the directory's after the write.
        const before = statSync(join(root, r.id, 'info.json')).size;
        const { id: _id, ...info } = r;
        let usage = bytes;
        for (let i = 0; i < 3; i++) usage = bytes - before + Buffer.byteLength(JSON.stringify({ ...info, usage }));
        records.write({ ...r, usage });
      });
    },
    usage: async (key) => diskUsage(fsDir(get(key).id)),
    orphans: async () => orphans(),
    async cleanup() {
      // Under the lock, only rename orphans out of the way; deleting them may take long. No one
      // writes in keys/ without the lock, so its temporary files are leftovers too.
      const doomed = locked(() => {
        listTemporary(records.keysDir).forEach((n) => unlinkIfExists(join(records.keysDir, n)));
        return orphans().map((dir) => (basename(dir).startsWith('.removing-') ? dir : doom(basename(dir))));
      });
      // Another process may be deleting the same `.removing-*` directory: rm tolerates that.
      for (const dir of doomed) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      return doomed.length;
    },
    close: () => undefined,
  };
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
