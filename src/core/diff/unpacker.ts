import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, open, openSync, readdirSync, symlinkSync, unlinkSync, writeSync, writev,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { cleanEntryPath, errnoCode, errors, RootResolver } from '../../base/index.js';
import { lsetxattr, mknod, S_IFCHR } from '../../sys/index.js';

/** One tar entry, after PAX records are applied. Times are in seconds. */
export interface LayerEntry {
  name: string;
  type: string | null | undefined;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string;
  mtime: number;
  atime: number;
  xattrs: ReadonlyArray<readonly [string, Buffer]>;
}

export interface UnpackerOptions {
  devices: 'skip' | 'refuse';
  whiteouts: 'delete' | 'overlay';
  sameOwner: boolean;
  warn: (message: string) => void;
}

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';
const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Files up to this size are written in this thread; larger ones in the thread pool (see Unpacker). */
const syncWriteLimit = 64 << 10;
/** Bytes of a large file gathered before they are written (one writev in the thread pool per batch). */
const writeBatch = 1 << 20;

/** Writes `chunks` at `position` (writev in the thread pool), short writes continued. */
async function writeAllAt(fd: number, chunks: Buffer[], position: number): Promise<void> {
  let rest = chunks;
  let at = position;
  while (rest.length > 0) {
    const n = await new Promise<number>((resolve, reject) => writev(fd, rest, at, (err, written) => (err ? reject(err) : resolve(written))));
    at += n;
    let skip = n;
    while (rest.length > 0 && skip >= (rest[0] as Buffer).length) skip -= (rest.shift() as Buffer).length;
    if (skip > 0) rest = [(rest[0] as Buffer).subarray(skip), ...rest.slice(1)];
    if (n === 0) throw new Error('write returned 0 bytes');
  }
}

/** open(2) of a new file (createFlags) in the thread pool. */
function openInPool(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, createFlags, 0o600, (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** xattrs a layer may carry: file capabilities, ACLs and user.* (never trusted.* / overlay's own). */
export function isLayerXattr(name: string): boolean {
  if (name.startsWith('user.')) return !name.startsWith('user.overlay.');
  return name === 'security.capability' || name === 'system.posix_acl_access' || name === 'system.posix_acl_default';
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function escape(entry: string, what = 'path'): Error {
  return errors.invalidArgument('LAYER_PATH_ESCAPE', `Cannot apply layer entry "${entry}": its ${what} leads outside the layer directory`);
}

/**
 * Writes tar entries into a layer directory, one at a time, in tar order.
 *
 * Safety model: every entry name is cleaned lexically (`..` above the root is refused); its parent
 * is resolved component by component with lstat, symlinks expanded as if the root were `/`
 * (RootResolver), so the parent is a real directory inside the root; the final component is
 * never followed (O_EXCL|O_NOFOLLOW creation, lstat before replacing, l* calls). Assumption:
 * nothing else modifies the directory while it is being unpacked (berth keeps it private until
 * committed), so the checks cannot be raced. Metadata calls are synchronous: each is a
 * page-cache operation of microseconds, and the event loop runs between tar entries. The data of
 * files over 64 KiB is written in the thread pool, as are removals of whole trees: a write may
 * wait for the kernel's dirty-page writeback and a tree may be large, and neither must stall the
 * event loop of a process serving other requests; small files stay synchronous, where a trip
 * through the pool per file would cost more than the write.
 */
export class Unpacker {
  readonly #resolver: RootResolver;
  readonly #options: UnpackerOptions;
  /** real paths (relative to the root) this layer created, and their ancestors: kept by opaque dirs */
  readonly #unpacked = new Set<string>();
  readonly #skipped = new Set<string>();
  readonly #dirTimes: { parts: string[]; abs: string; atime: number; mtime: number }[] = [];

  constructor(root: string, options: UnpackerOptions) {
    this.#resolver = new RootResolver(root);
    this.#options = options;
  }

  async entry(entry: LayerEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = cleanEntryPath(entry.name);
    if (parts === undefined) throw escape(entry.name);
    const base = parts.at(-1);
    if (base === undefined) return this.#root(entry);
    if (base.startsWith(whiteoutPrefix)) return await this.#whiteout(entry, parts.slice(0, -1), base.slice(whiteoutPrefix.length));
    const device = entry.type === 'character-device' || entry.type === 'block-device' || entry.type === 'fifo';
    if (device) return this.#device(entry, parts);
    const path = join(this.#resolver.directory(parts.slice(0, -1), entry.name), base);
    switch (entry.type) {
      case 'file':
      case 'contiguous-file':
        await this.#file(entry, path, body);
        break;
      case 'directory':
        await this.#directory(entry, parts, path);
        break;
      case 'symlink':
        await this.#symlink(entry, path);
        break;
      case 'link':
        if (!(await this.#hardlink(entry, path))) return;
        break;
      default:
        throw errors.notImplemented('LAYER_UNSUPPORTED_ENTRY', `Cannot apply layer entry "${entry.name}": tar entry type "${entry.type ?? 'unknown'}" is not supported`);
    }
    this.#markUnpacked(path);
  }

  /** Sets directory times last, so entries written into a directory do not change its mtime. */
  finish(): void {
    for (const { parts, abs, atime, mtime } of this.#dirTimes) {
      const base = parts.at(-1);
      const parent = base === undefined ? undefined : this.#resolver.existingDirectory(parts.slice(0, -1), parts.join('/'));
      const now = base === undefined ? this.#resolver.root : parent === undefined ? undefined : join(parent, base);
      // the directory may have been replaced or moved behind a symlink later in the layer
      if (now === abs && lstatOrUndefined(abs)?.isDirectory() === true) lutimesSync(abs, atime, mtime);
    }
  }

  async #file(entry: LayerEntry, path: string, body: AsyncIterable<Buffer>): Promise<void> {
    // a large file is opened in the thread pool too: creating a file may wait for the journal,
    // and the event loop meanwhile feeds the layers unpacking beside this one
    const fd = await this.#create(path, () => (entry.size <= syncWriteLimit ? openSync(path, createFlags, 0o600) : openInPool(path)));
    try {
      if (entry.size <= syncWriteLimit) {
        for await (const chunk of body) {
          for (let offset = 0; offset < chunk.length;) offset += writeSync(fd, chunk, offset);
        }
      } else {
        // Large files: chunks gathered into batches, each written in the thread pool while the
        // next batch is parsed (one write in flight; a failed one fails the entry).
        let batch: Buffer[] = [];
        let batchBytes = 0;
        let position = 0;
        let inFlight: Promise<void> = Promise.resolve();
        const send = async () => {
          await inFlight;
          const chunks = batch;
          inFlight = writeAllAt(fd, chunks, position);
          inFlight.catch(() => undefined); // awaited before the next batch and at the end
          position += batchBytes;
          batch = [];
          batchBytes = 0;
        };
        for await (const chunk of body) {
          batch.push(chunk);
          batchBytes += chunk.length;
          if (batchBytes >= writeBatch) await send();
        }
        if (batchBytes > 0) await send();
        await inFlight;
      }
      if (this.#options.sameOwner) fchownSync(fd, entry.uid, entry.gid);
      fchmodSync(fd, entry.mode); // after chown, which clears setuid/setgid
      this.#xattrs(entry, path); // after chown, which clears security.capability
      futimesSync(fd, entry.atime, entry.mtime);
    } finally {
      closeSync(fd);
    }
  }

  async #directory(entry: LayerEntry, parts: string[], path: string): Promise<void> {
    try {
      mkdirSync(path, 0o700);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      // a directory over a directory merges; anything else (a symlink to a directory too) is replaced
      if (lstatSync(path).isDirectory() === false) await this.#create(path, () => mkdirSync(path, 0o700));
    }
    this.#metadata(entry, path);
    this.#dirTimes.push({ parts, abs: path, atime: entry.atime, mtime: entry.mtime });
  }

  #root(entry: LayerEntry): void {
    if (entry.type !== 'directory') {
      throw errors.invalidArgument('LAYER_INVALID_ENTRY', `Cannot apply layer entry "${entry.name}": the layer root can only be a directory`);
    }
    this.#metadata(entry, this.#resolver.root);
    this.#dirTimes.push({ parts: [], abs: this.#resolver.root, atime: entry.atime, mtime: entry.mtime });
  }

  #metadata(entry: LayerEntry, dir: string): void {
    if (this.#options.sameOwner) lchownSync(dir, entry.uid, entry.gid);
    chmodSync(dir, entry.mode); // dir was just lstat-verified as a directory, not a symlink
    this.#xattrs(entry, dir);
  }

  async #symlink(entry: LayerEntry, path: string): Promise<void> {
    if (entry.linkname === '') {
      throw errors.invalidArgument('LAYER_INVALID_ENTRY', `Cannot apply layer entry "${entry.name}": symlink has no target`);
    }
    // the target is stored as it is: it may point anywhere, only writing through it is contained
    await this.#create(path, () => symlinkSync(entry.linkname, path));
    if (this.#options.sameOwner) lchownSync(path, entry.uid, entry.gid);
    this.#xattrs(entry, path);
    lutimesSync(path, entry.atime, entry.mtime);
  }

  /** Returns false when the link was skipped because its target was a skipped device. */
  async #hardlink(entry: LayerEntry, path: string): Promise<boolean> {
    const parts = cleanEntryPath(entry.linkname);
    const base = parts?.at(-1);
    if (parts === undefined || base === undefined) throw escape(entry.name, `hard link target "${entry.linkname}"`);
    const dir = this.#resolver.existingDirectory(parts.slice(0, -1), entry.name);
    const target = dir === undefined ? undefined : join(dir, base);
    const st = target === undefined ? undefined : lstatOrUndefined(target);
    if (target === undefined || st === undefined) {
      if (target !== undefined && this.#skipped.has(this.#resolver.relative(target))) {
        this.#options.warn(`Skipped hard link "${entry.name}": its target "${entry.linkname}" is a skipped device node`);
        return false;
      }
      throw errors.invalidArgument('LAYER_LINK_TARGET_MISSING', `Cannot apply layer entry "${entry.name}": hard link target "${entry.linkname}" does not exist`);
    }
    if (st.isDirectory()) {
      throw errors.invalidArgument('LAYER_LINK_TO_DIRECTORY', `Cannot apply layer entry "${entry.name}": hard link target "${entry.linkname}" is a directory`);
    }
    if (target !== path) await this.#create(path, () => linkSync(target, path)); // link(2) never follows a final symlink
    return true;
  }

  #device(entry: LayerEntry, parts: string[]): void {
    if (this.#options.devices === 'refuse') {
      throw errors.invalidArgument('LAYER_DEVICE_NODE', `Cannot apply layer entry "${entry.name}": device nodes and fifos are not allowed in layers`);
    }
    this.#options.warn(`Skipped ${entry.type ?? 'device'} "${entry.name}": layers need no device nodes`);
    const dir = this.#resolver.existingDirectory(parts.slice(0, -1), entry.name);
    if (dir !== undefined) this.#skipped.add(this.#resolver.relative(join(dir, parts.at(-1) ?? '')));
  }

  async #whiteout(entry: LayerEntry, parentParts: string[], name: string): Promise<void> {
    if (`${whiteoutPrefix}${name}` === opaqueMarker) return this.#opaque(entry, parentParts);
    if (name.startsWith(whiteoutPrefix)) {
      this.#options.warn(`Skipped "${entry.name}": aufs metadata is not supported`);
      return;
    }
    if (name === '' || name === '.' || name === '..') {
      throw errors.invalidArgument('LAYER_INVALID_WHITEOUT', `Cannot apply layer entry "${entry.name}": it is not a valid whiteout`);
    }
    if (this.#options.whiteouts === 'overlay') {
      const path = join(this.#resolver.directory(parentParts, entry.name), name);
      await this.#create(path, () => mknod(path, S_IFCHR, 0, 0));
      if (this.#options.sameOwner) lchownSync(path, entry.uid, entry.gid);
      this.#markUnpacked(path);
      return;
    }
    const dir = this.#resolver.existingDirectory(parentParts, entry.name);
    if (dir !== undefined) await this.#remove(join(dir, name));
  }

  async #opaque(entry: LayerEntry, parentParts: string[]): Promise<void> {
    if (this.#options.whiteouts === 'overlay') {
      const dir = this.#resolver.directory(parentParts, entry.name);
      lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
      this.#markUnpacked(dir);
      return;
    }
    const dir = this.#resolver.existingDirectory(parentParts, entry.name);
    if (dir !== undefined) await this.#hideLower(dir);
  }

  /** Removes what lower layers put under `dir`, keeping what this layer unpacked (in any order). */
  async #hideLower(dir: string): Promise<void> {
    for (const name of readdirSync(dir)) {
      const child = join(dir, name);
      if (!this.#unpacked.has(this.#resolver.relative(child))) await this.#remove(child);
      else if (lstatSync(child).isDirectory()) await this.#hideLower(child);
    }
  }

  /** Runs `make`; when the path exists, removes it (without following it) and runs `make` again. */
  async #create<T>(path: string, make: () => T | Promise<T>): Promise<T> {
    try {
      return await make();
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    await this.#remove(path);
    return make();
  }

  async #remove(path: string): Promise<void> {
    const st = lstatOrUndefined(path);
    if (st === undefined) return;
    if (st.isDirectory()) await rm(path, { recursive: true, force: true }); // rm never follows symlinks
    else unlinkSync(path);
    if (st.isDirectory() || st.isSymbolicLink()) this.#resolver.invalidate();
  }

  #xattrs(entry: LayerEntry, path: string): void {
    for (const [name, value] of entry.xattrs) {
      if (!isLayerXattr(name)) {
        this.#options.warn(`Skipped xattr "${name}" of "${entry.name}": only security.capability, ACLs and user.* are applied`);
        continue;
      }
      try {
        lsetxattr(path, name, value);
      } catch (err) {
        const code = errnoCode(err);
        if (code !== 'ENOTSUP' && code !== 'EPERM') throw err;
        this.#options.warn(`Could not set xattr "${name}" on "${entry.name}": ${code}`);
      }
    }
  }

  #markUnpacked(abs: string): void {
    for (let rel = this.#resolver.relative(abs); rel !== '' && !this.#unpacked.has(rel); rel = rel.slice(0, Math.max(0, rel.lastIndexOf('/')))) {
      this.#unpacked.add(rel);
    }
  }
}
