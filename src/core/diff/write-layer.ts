import type { Stats } from 'node:fs';
import { closeSync, constants, lstatSync, openSync, readSync } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import type { Header, Pack } from 'tar-stream';
import tar from 'tar-stream';

import { errors, readdirUtf8Sync } from '../../base/index.js';
import { lgetxattr, llistxattr } from '../../sys/index.js';
import { paxHeaderBlocks } from './tar-pax.js';
import { isLayerXattr } from './unpacker.js';
import { writableReady } from '../../base/index.js';

export interface WriteLayerOptions {
  /** 'plain': a directory as it is. 'overlay-upper': an overlayfs upper dir, whose whiteouts become OCI whiteouts. */
  source: 'plain' | 'overlay-upper';
  /** clamp every mtime to at most this (seconds since the epoch), as SOURCE_DATE_EPOCH does */
  sourceDateEpoch?: number;
  /** told about skipped sockets */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

type Kind = 'directory' | 'file' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo' | 'whiteout';

interface Planned {
  /** path relative to the layer root, no trailing slash; also the sort key */
  path: string;
  kind: Kind;
  abs: string;
  st: Stats;
  xattrs: [string, Buffer][];
  linkname?: string;
}

const maxOctal7 = 0o7777777;
const maxMtime = 0o77777777777;
const smallFile = 1 << 20;
const typeBits: Record<Kind, number> = {
  directory: 0o040000, file: 0o100000, symlink: 0o120000, link: 0o100000, 'character-device': 0o020000,
  'block-device': 0o060000, fifo: 0o010000, whiteout: 0o100000,
};

function kindOf(st: Stats): Kind | undefined {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets: Docker skips them too
}

/** The xattrs worth carrying (sorted by name), and overlay's own that matter. */
function readXattrs(abs: string): { layer: [string, Buffer][]; overlay: Set<string> } {
  const layer: [string, Buffer][] = [];
  const overlay = new Set<string>();
  for (const name of llistxattr(abs).sort()) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) overlay.add(name.replace(/^[a-z]+\.overlay\./, ''));
    if (!isLayerXattr(name)) continue;
    const value = lgetxattr(abs, name);
    if (value !== null) layer.push([name, value]);
  }
  return { layer, overlay };
}

function isOpaque(abs: string): boolean {
  for (const name of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    if (lgetxattr(abs, name)?.toString('latin1') === 'y') return true;
  }
  return false;
}

function plan(path: string, abs: string, st: Stats, options: WriteLayerOptions): Planned[] {
  const kind = kindOf(st);
  if (kind === undefined) {
    options.onWarning?.(`Skipped socket "${path}": sockets cannot be stored in a layer`);
    return [];
  }
  const { layer, overlay } = readXattrs(abs);
  if (options.source !== 'overlay-upper') return [{ path, kind, abs, st, xattrs: layer }];
  if (overlay.has('metacopy') || overlay.has('redirect')) {
    throw errors.notImplemented('LAYER_OVERLAY_FEATURE', `Cannot write a layer from "${abs}": overlayfs metacopy and redirect_dir are not supported`);
  }
  if (kind === 'character-device' && st.rdev === 0) {
    const slash = path.lastIndexOf('/');
    return [{ path: `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`, kind: 'whiteout', abs, st, xattrs: [] }];
  }
  const entry: Planned = { path, kind, abs, st, xattrs: layer };
  if (kind !== 'directory' || !isOpaque(abs)) return [entry];
  return [entry, { path: `${path}/.wh..wh..opq`, kind: 'whiteout', abs, st, xattrs: [] }];
}

/** Every entry of the tree under `dir`, sorted bytewise by path (so parents come first), links marked. */
async function collect(dir: string, options: WriteLayerOptions): Promise<Planned[]> {
  const planned: Planned[] = [];
  const pending: string[] = [''];
  for (let rel = pending.pop(); rel !== undefined; rel = pending.pop()) {
    options.signal?.throwIfAborted();
    // Synchronous: one lstat is microseconds, an async one a thread-pool round trip (20,000-file layers).
    const names = readdirUtf8Sync(join(dir, rel), rel === '' ? '' : `/${rel}`, 'store in a layer');
    const stats = names.map((name) => lstatSync(join(dir, rel, name)));
    names.forEach((name, i) => {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = stats[i] as Stats;
      planned.push(...plan(path, join(dir, path), st, options));
      if (st.isDirectory()) pending.push(path);
    });
  }
  const keyed = planned.map((p) => ({ p, key: Buffer.from(p.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const firstPaths = new Map<string, string>();
  return keyed.map(({ p }) => {
    if (p.kind === 'directory' || p.kind === 'whiteout' || p.st.nlink < 2) return p;
    const inode = `${p.st.dev}:${p.st.ino}`;
    const first = firstPaths.get(inode);
    if (first === undefined) firstPaths.set(inode, p.path);
    return first === undefined ? p : { ...p, kind: 'link', linkname: first };
  });
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);
/** A ustar-safe stand-in for a name carried in PAX; readers without PAX support see this. */
const ustarName = (s: string) => s.replace(/[^\x20-\x7e]/g, '_').slice(-100);

function header(p: Planned, target: string | undefined, options: WriteLayerOptions): { header: Header; pax: [string, Buffer][] } {
  const name = p.kind === 'directory' ? `${p.path}/` : p.path;
  let seconds = Math.min(Math.max(Math.floor(p.st.mtimeMs / 1000), 0), maxMtime);
  if (options.sourceDateEpoch !== undefined) seconds = Math.min(seconds, options.sourceDateEpoch);
  const device = p.kind === 'character-device' || p.kind === 'block-device';
  const linkname = p.linkname ?? target ?? '';
  const pax: [string, Buffer][] = [];
  if (name.length > 100 || !isAscii(name)) pax.push(['path', Buffer.from(name)]);
  if (linkname.length > 100 || !isAscii(linkname)) pax.push(['linkpath', Buffer.from(linkname)]);
  if (p.st.uid > maxOctal7) pax.push(['uid', Buffer.from(String(p.st.uid))]);
  if (p.st.gid > maxOctal7) pax.push(['gid', Buffer.from(String(p.st.gid))]);
  for (const [key, value] of p.xattrs) pax.push([`SCHILY.xattr.${key}`, value]);
  const type = p.kind === 'whiteout' ? 'file' : p.kind;
  const perm = p.kind === 'whiteout' ? p.st.mode & 0o777 : p.st.mode & 0o7777;
  return {
    pax,
    header: {
      name: pax.length > 0 ? ustarName(name) : name,
      type,
      mode: typeBits[p.kind] | perm, // the type bits keep tar-stream from replacing mode 0 by a default
      uid: Math.min(p.st.uid, maxOctal7),
      gid: Math.min(p.st.gid, maxOctal7),
      size: p.kind === 'file' ? p.st.size : 0,
      mtime: new Date(seconds * 1000),
      linkname: pax.length > 0 ? ustarName(linkname) : linkname,
      uname: '',
      gname: '',
      devmajor: device ? Math.floor(p.st.rdev / 256) & 0xfff : 0,
      devminor: device ? (p.st.rdev & 0xff) | ((Math.floor(p.st.rdev / 4096) & 0xfff00)) : 0,
    },
  };
}

function entryDone(pack: Pack, h: Header, body?: Buffer): { sink: ReturnType<Pack['entry']>; done: Promise<void> } {
  let sink: ReturnType<Pack['entry']> | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const callback = (err?: Error | null) => (err ? reject(err) : resolve());
    sink = body === undefined ? pack.entry(h, callback) : pack.entry(h, body, callback);
  });
  // The callback reports the entry's failure; without a listener, a pack destroyed by its
  // consumer (a full disk downstream) would crash the process with an unhandled 'error'.
  sink?.on('error', () => undefined);
  // Awaited by the caller once it has written the body; until then a failure must not count as unhandled.
  done.catch(() => undefined);
  return { sink: sink as ReturnType<Pack['entry']>, done };
}

async function fileEntry(pack: Pack, p: Planned, h: Header): Promise<void> {
  if (p.st.size <= smallFile) {
    // Small files are read synchronously, for the same reason as collect's look-ups.
    const fd = openSync(p.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    let buf: Buffer;
    try {
      buf = Buffer.allocUnsafe(p.st.size);
      if (readSync(fd, buf, 0, buf.length, 0) !== buf.length) throw changed(p);
    } finally {
      closeSync(fd);
    }
    await entryDone(pack, h, buf).done;
    return;
  }
  const file = await open(p.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { sink, done } = entryDone(pack, h);
    for await (const chunk of file.createReadStream({ start: 0, end: p.st.size - 1, autoClose: false })) {
      if (sink.destroyed) break; // the pack failed: `done` says why
      if (!sink.write(chunk)) {
        await writableReady(sink);
      }
    }
    sink.end(null);
    await done.catch((err: unknown) => {
      throw changed(p, err);
    });
  } finally {
    await file.close();
  }
}

function changed(p: Planned, cause?: unknown): Error {
  return errors.failedPrecondition('LAYER_SOURCE_CHANGED', `Cannot write a layer entry for "${p.path}": the file changed while it was read`, { cause });
}

async function produce(dir: string, pack: Pack, options: WriteLayerOptions): Promise<void> {
  for (const p of await collect(dir, options)) {
    options.signal?.throwIfAborted();
    const target = p.kind === 'symlink' ? await readlink(p.abs) : undefined;
    const { header: h, pax } = header(p, target, options);
    if (pax.length > 0) pack.push(paxHeaderBlocks(pax)); // see tar-pax.ts: binary-safe PAX records
    if (p.kind === 'file') await fileEntry(pack, p, h);
    else await entryDone(pack, h, Buffer.alloc(0)).done; // whiteouts are empty files: give the body
  }
}

/**
 * Streams a layer tar of `dir`: entries sorted by path bytewise (parents before children), ustar
 * headers with PAX records only where needed (long or non-ASCII names, big ids, xattrs), uname and
 * gname empty, devmajor/minor 0 except for devices, mtimes in whole seconds, no atime/ctime.
 * Kept: mode (setuid/sticky too), uid, gid, symlink targets, hard links (by inode: the first path
 * holds the data, later ones link to it), xattrs security.capability, ACLs and user.*.
 * 'overlay-upper': a 0/0 character device becomes `.wh.<name>`, a directory with
 * trusted.overlay.opaque=y (or user.overlay.opaque) is followed by `<dir>/.wh..wh..opq`;
 * overlayfs metacopy/redirect files are refused (berth mounts without them).
 * The same tree always gives the same bytes; with `sourceDateEpoch` so do trees differing only in
 * mtimes newer than it. The tree must not change while it is read (LAYER_SOURCE_CHANGED).
 */
export function writeLayer(dir: string, options: WriteLayerOptions): Readable {
  const pack = tar.pack();
  const onAbort = () => pack.destroy(errors.aborted('LAYER_WRITE_ABORTED', `Writing a layer of "${dir}" was aborted`));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  produce(dir, pack, options).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  ).finally(() => options.signal?.removeEventListener('abort', onAbort));
  return Readable.from(pack, { objectMode: false });
}
