import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { Digest } from '../../base/index.js';
import {
  digestHex, errnoCode, errors, isDigest, isLongLived, isPlainName, linkExclusive, listNames, readJsonFile, readLink, replaceLink, unlinkIfExists, writeJsonAtomic,
} from '../../base/index.js';
import type { ContainerRecord } from '../../core/containers/index.js';
import type { CompressedLayer, ImageRecord } from '../../core/images/index.js';
import { mergeCompressedLayer, validateCompressedLayer } from '../../core/images/index.js';
import type { MetadataStore } from '../../core/metadata/index.js';
import { sha256Hex, withFileLock } from '../../sys/index.js';

/**
 * MetadataStore as small files under `<root>/metadata/` (the containers/storage way):
 *
 *   containers/<id>.json   one container record
 *   names/<name>           symlink → container id; symlink(2) fails with EEXIST, so a name has one owner
 *   images/<hex>.json      one image record; <hex> = sha256 of the image name (names contain `/` and `:`)
 *   layers/compressed/<hex>.json        a compressed layer record; <hex> = its compressed digest
 *   layers/by-diffid/<diff hex>/<hex>   symlink → ../../compressed/<hex>.json: the reverse index
 *   lock                   flock(2) file: every change runs under its exclusive lock
 *   format                 `{"version":1}`, written when the layout is complete
 *
 * Several processes at once: changes (and `transaction`) hold the exclusive lock, so a
 * read-modify-write never loses another process's write; the lock is reentrant within a process.
 * Reads take no lock: each record is one file replaced by rename(2), which readers see whole.
 * A name link is trusted only when the record it points to carries that name, so links left by a
 * crash (a create or rename cut short) are ignored and replaced on the next claim of the name.
 * Compressed layers likewise: the reverse link is made before the record and removed after it,
 * so every record is found from its diffID, and a link whose record is missing or names another
 * diffID counts as absent (the next delete for that diffID removes it).
 *
 * Crash safety without fsync: a rename over an existing record is atomic, and ext4 (auto_da_alloc,
 * the default) and btrfs write the new data before they commit such a rename, so a power loss
 * shows the old or the new record. A brand-new file has no such guarantee (nor does xfs for
 * replacements): a power loss may leave it empty or cut short. A record that does not parse
 * therefore counts as absent: its write never completed. So a power loss may lose the last changes
 * (Docker's and containers/storage's writers fsync instead, at ~0.3–10 ms per write, several per
 * `berth run`), but never shows a torn record; a process crash, the common case, loses nothing.
 *
 * `transaction` gives isolation, not rollback: changes `fn` made before throwing stay.
 *
 * `cacheListing` (default: in a long-lived process, the daemon) keeps the container listing
 * between calls while containers/ is unchanged (see ContainerListing).
 */
export function createFsMetadataStore(root: string, options: { cacheListing?: boolean } = {}): MetadataStore {
  const dir = join(root, 'metadata');
  const containersDir = join(dir, 'containers');
  const namesDir = join(dir, 'names');
  const imagesDir = join(dir, 'images');
  const lockPath = join(dir, 'lock');
  const locked = <T>(fn: () => T): T => withFileLock(lockPath, fn);
  const containerPath = (id: string) => join(containersDir, `${id}.json`);
  const imagePath = (name: string) => join(imagesDir, `${sha256Hex(name)}.json`);
  // Made on first use: stores created before compressed layers were recorded lack them.
  const compressedDir = join(dir, 'layers', 'compressed');
  const byDiffIdDir = join(dir, 'layers', 'by-diffid');
  const compressedPath = (hex: string) => join(compressedDir, `${hex}.json`);
  const readCompressed = (digest: Digest) => (isDigest(digest) ? readJsonFile<CompressedLayer>(compressedPath(digestHex(digest))) : undefined);
  /** Names (compressed digest hex) in a diffID's reverse-index directory, whether or not their record holds. */
  const reverseNames = (diffId: Digest) => {
    try {
      return listNames(join(byDiffIdDir, digestHex(diffId)));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
  };

  // `format` is written once the layout is complete: one syscall on every later open.
  const formatPath = join(dir, 'format');
  if (!existsSync(formatPath)) {
    mkdirSync(dir, { recursive: true });
    locked(() => {
      if (existsSync(formatPath)) return;
      for (const d of [containersDir, namesDir, imagesDir]) mkdirSync(d, { recursive: true });
      writeJsonAtomic(formatPath, { version: 1 });
    });
  }
  const notFound = (ref: string) => errors.notFound('CONTAINER_NOT_FOUND', `No such container: ${ref}`);

  const readContainer = (id: string) => (isPlainName(id) ? readJsonFile<ContainerRecord>(containerPath(id)) : undefined);
  const readListing = () => listNames(containersDir, '.json')
    .map(readContainer)
    .filter((r) => r !== undefined)
    // createdAt is always Date#toISOString (fixed width, UTC), so code-unit order is time order;
    // localeCompare gave the same order but cost ~17 ms for 500 containers (ICU collation).
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const listing = (options.cacheListing ?? isLongLived()) ? new ContainerListing(containersDir, readListing) : undefined;

  /** The container that owns `name`, ignoring links a crash left behind. */
  function byName(name: string): ContainerRecord | undefined {
    const id = isPlainName(name) ? readLink(join(namesDir, name)) : undefined;
    const record = id === undefined ? undefined : readContainer(id);
    return record?.name === name ? record : undefined;
  }

  /** Makes `name` point at `id`; call under the lock. */
  function claimName(name: string, id: string): void {
    if (!isPlainName(name)) throw errors.invalidArgument('INVALID_CONTAINER_NAME', `Invalid container name "${name}"`);
    const path = join(namesDir, name);
    if (linkExclusive(id, path)) return;
    const holder = byName(name);
    if (holder !== undefined) {
      throw errors.alreadyExists('CONTAINER_NAME_IN_USE', `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    replaceLink(id, path);
  }

  function releaseName(name: string, id: string): void {
    if (isPlainName(name) && readLink(join(namesDir, name)) === id) unlinkIfExists(join(namesDir, name));
  }

  function findContainer(ref: string): ContainerRecord {
    const bare = ref.startsWith('/') ? ref.slice(1) : ref;
    const exact = readContainer(bare) ?? byName(bare);
    if (exact) return exact;
    if (/^[a-f0-9]+$/.test(bare)) {
      const ids = listNames(containersDir, '.json').filter((id) => id.startsWith(bare));
      if (ids.length > 1) throw errors.invalidArgument('AMBIGUOUS_CONTAINER', `Container id prefix "${bare}" matches more than one container`);
      const found = ids[0] === undefined ? undefined : readContainer(ids[0]);
      if (found) return found;
    }
    throw notFound(bare);
  }

  return {
    getImage: (name) => readJsonFile<ImageRecord>(imagePath(name)),
    listImages: () => listNames(imagesDir, '.json')
      .map((n) => readJsonFile<ImageRecord>(join(imagesDir, `${n}.json`)))
      .filter((r) => r !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    putImage: (record) => locked(() => writeJsonAtomic(imagePath(record.name), record)),
    deleteImage: (name) => locked(() => unlinkIfExists(imagePath(name))),
    findContainer,
    listContainers: () => (listing ? listing.get() : readListing()),
    containersStamp: () => {
      const { stamp, keepable } = stampNow(containersDir);
      return keepable ? { path: containersDir, stamp } : undefined;
    },
    createContainer: (record) => locked(() => {
      if (!isPlainName(record.id)) throw errors.invalidArgument('INVALID_CONTAINER_ID', `Invalid container id "${record.id}"`);
      if (readContainer(record.id)) throw errors.alreadyExists('CONTAINER_EXISTS', `Container "${record.id}" already exists`);
      claimName(record.name, record.id);
      writeJsonAtomic(containerPath(record.id), record);
    }),
    updateContainer: (id, change) => locked(() => {
      const record = readContainer(id);
      if (!record) throw notFound(id);
      const oldName = record.name;
      change(record);
      if (record.name !== oldName) claimName(record.name, id);
      writeJsonAtomic(containerPath(id), record);
      if (record.name !== oldName) releaseName(oldName, id);
      return record;
    }),
    deleteContainer: (id) => locked(() => {
      const record = readContainer(id);
      if (!isPlainName(id) || !unlinkIfExists(containerPath(id)) || !record) return;
      releaseName(record.name, id);
    }),
    putCompressedLayer: (record) => locked(() => {
      validateCompressedLayer(record);
      const merged = mergeCompressedLayer(readCompressed(record.compressed.digest), record);
      const hex = digestHex(record.compressed.digest);
      const reverseDir = join(byDiffIdDir, digestHex(record.diffId));
      mkdirSync(reverseDir, { recursive: true });
      mkdirSync(compressedDir, { recursive: true });
      // Link first: a record is never without its reverse link.
      linkExclusive(`../../compressed/${hex}.json`, join(reverseDir, hex));
      writeJsonAtomic(compressedPath(hex), merged);
      return merged;
    }),
    getCompressedLayer: (digest) => readCompressed(digest),
    listCompressedLayers: (diffId) => {
      if (!isDigest(diffId)) return [];
      return reverseNames(diffId)
        .sort()
        .map((hex) => readCompressed(`sha256:${hex}`))
        .filter((r): r is CompressedLayer => r !== undefined && r.diffId === diffId);
    },
    deleteCompressedLayers: (diffId) => locked(() => {
      if (!isDigest(diffId)) return 0;
      let count = 0;
      const reverseDir = join(byDiffIdDir, digestHex(diffId));
      for (const hex of reverseNames(diffId)) {
        // The record goes before its link (see above); a link whose record names another diffID is stale.
        if (readCompressed(`sha256:${hex}`)?.diffId === diffId && unlinkIfExists(compressedPath(hex))) count++;
        unlinkIfExists(join(reverseDir, hex));
      }
      try {
        rmdirSync(reverseDir);
      } catch (err) {
        // ENOTEMPTY: something berth did not put there; leave it.
        if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTEMPTY') throw err;
      }
      return count;
    }),
    transaction: locked,
    close: () => undefined,
  };
}

/**
 * The container records as last read, kept while containers/ is unchanged: every change to a
 * record (create, update, rename, delete: writeJsonAtomic's rename or an unlink, by any process)
 * changes the directory, so one stat of it stands for reading every record again. `docker ps`
 * through the daemon reads the listing on each call.
 *
 * A directory's mtime comes from a clock that ticks every few milliseconds: a change in the same
 * tick as the one the stamp saw would leave the stamp as it was. So, as git does with its index, a
 * listing is kept only when the directory's times were already that old when it was read
 * (listingKeepable). Records handed out are frozen, since every caller shares them.
 */
class ContainerListing {
  private stamp: string | undefined;
  private records: readonly ContainerRecord[] = [];

  constructor(private readonly dir: string, private readonly read: () => ContainerRecord[]) {}

  get(): ContainerRecord[] {
    const { stamp, keepable } = stampNow(this.dir);
    if (stamp === this.stamp) return [...this.records];
    const records = this.read();
    for (const r of records) deepFreeze(r);
    // A change after the stat shows in the next stamp, so what was read is at least as new as the stamp.
    this.stamp = keepable ? stamp : undefined;
    this.records = records;
    return [...records];
  }
}

/**
 * A directory's stamp now, which changes with every entry made, renamed or removed in it
 * (native/api_lane.c writes it alike), and whether it may stand for what is read after it
 * (listingKeepable, with the clock read before the stat).
 */
function stampNow(dir: string): { stamp: string; keepable: boolean } {
  const now = BigInt(Date.now()) * 1_000_000n;
  const st = statSync(dir, { bigint: true });
  return { stamp: `${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}`, keepable: listingKeepable(st, now) };
}

/**
 * Whether a listing read at `nowNs` (before the stat) may be kept under the directory's stamp: its
 * times must be older than a clock tick, so that a later change cannot leave them as they are.
 * Linux's file times tick every few milliseconds (100 ms is ample); a time in whole seconds is
 * taken to come from a file system that keeps no more (ext3, FAT's 2 s, some NFS servers).
 */
export function listingKeepable(times: { mtimeNs: bigint; ctimeNs: bigint }, nowNs: bigint): boolean {
  return [times.mtimeNs, times.ctimeNs].every((t) => nowNs - t > (t % 1_000_000_000n === 0n ? 2_100_000_000n : 100_000_000n));
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
