/**
 * Tars of host files, both ways, for what a remote engine moves between this machine and a
 * daemon: `cp` (a host path packed for the container, a container's archive extracted here) and
 * `build` (the context). Extraction stays inside its directory: entry names with `..` or a
 * leading `/` are refused, nothing is written through a symlink (O_NOFOLLOW, and every parent
 * checked), and links may not point out of the directory.
 */
import { constants, createReadStream } from 'node:fs';
import { chmod, chown, lchown, link, lstat, mkdir, open, readdir, readlink, rm, stat, symlink, utimes } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Header, Pack } from 'tar-stream';

import { errnoCode, errors } from '../base/index.js';

/** One file of a tar being made: its name in the tar and where it is on the host. */
export interface HostEntry {
  name: string;
  path: string;
}

/** A file of a tar being made that is not on the host (a Dockerfile read from stdin). */
export interface DataEntry {
  name: string;
  data: Buffer;
}

export interface PackOptions {
  /** Owner written for every entry (the build context: 0:0); default the files' own. */
  owner?: { uid: number; gid: number };
  /** Follow a symlink named as an entry itself (`cp -L`): its target is packed under the name. */
  followFirst?: boolean;
}

/** A tar of the host files `entries` gives, in that order, as a stream. */
export async function packHostFiles(entries: AsyncIterable<HostEntry | DataEntry> | Iterable<HostEntry | DataEntry>, options: PackOptions = {}): Promise<Readable> {
  const tar = (await import('tar-stream')).default;
  const pack = tar.pack();
  const write = async () => {
    let first = true;
    for await (const entry of entries) {
      if ('data' in entry) {
        const owner = options.owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
        await new Promise<void>((resolve, reject) => pack.entry({ name: entry.name, mode: 0o644, mtime: new Date(), ...owner }, entry.data, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      const st = first && options.followFirst ? await stat(entry.path) : await lstat(entry.path);
      first = false;
      const header = {
        name: entry.name, mode: st.mode & 0o7777, mtime: st.mtime,
        uid: options.owner?.uid ?? st.uid, gid: options.owner?.gid ?? st.gid,
      };
      if (st.isDirectory()) await addEntry(pack, { ...header, type: 'directory' });
      else if (st.isSymbolicLink()) await addEntry(pack, { ...header, type: 'symlink', linkname: await readlink(entry.path) });
      else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...header, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          const source = createReadStream(entry.path);
          source.on('error', reject);
          source.pipe(sink);
        });
      }
      // sockets, fifos and devices are left out, as the docker CLI leaves them out of a context
    }
    pack.finalize();
  };
  write().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}

/** A directory or a symlink: entries without a body (tar-stream finishes them itself). */
function addEntry(pack: Pack, header: Partial<Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => void pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

/**
 * Every file under `root` (depth first, parents before their contents), named `name` and
 * `name/...` in the tar; `skip(relativePath, isDir)` leaves a path (and a directory's contents) out.
 */
export async function* walkHost(root: string, name: string, options: { skip?: (rel: string, isDir: boolean) => boolean; follow?: boolean } = {}): AsyncGenerator<HostEntry> {
  const st = options.follow ? await stat(root) : await lstat(root);
  if (name !== '' && name !== '.') yield { name, path: root };
  if (!st.isDirectory()) return;
  const visit = async function* (dir: string): AsyncGenerator<HostEntry> {
    const names = (await readdir(dir)).sort();
    for (const child of names) {
      const path = join(dir, child);
      const rel = relative(root, path).split(sep).join('/');
      const childSt = await lstat(path);
      if (options.skip?.(rel, childSt.isDirectory())) continue;
      yield { name: name === '' || name === '.' ? rel : `${name}/${rel}`, path };
      if (childSt.isDirectory()) yield* visit(path);
    }
  };
  yield* visit(root);
}

export interface ExtractOptions {
  /** Rename the tar's top entry (`from`, and `from/...`) to `to` (`.`: its contents go straight into the directory). */
  rename?: { from: string; to: string };
  /** Keep the tar's owners (`cp -a`); otherwise files belong to this process's user. */
  keepOwners?: boolean;
  /** What the tar is, for messages. */
  what: string;
}

/** Extracts a tar into the host directory `dir`. */
export async function extractToHost(source: Readable, dir: string, options: ExtractOptions): Promise<void> {
  const tar = (await import('tar-stream')).default;
  const extract = tar.extract();
  const dirTimes: { path: string; mtime: Date }[] = [];
  const consume = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const name = rebase(header.name, options.rename);
      if (name === undefined) {
        entry.resume();
        continue;
      }
      const target = safeTarget(dir, name, options.what);
      await checkParents(dir, target, options.what);
      const mode = header.mode & 0o7777;
      if (header.type === 'directory') {
        if (target !== dir) {
          try {
            await mkdir(target);
          } catch (err) {
            if (errnoCode(err) !== 'EEXIST' || !(await lstat(target)).isDirectory()) throw err;
          }
        }
        await chmod(target, mode);
        dirTimes.push({ path: target, mtime: header.mtime });
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        await removeNonDir(target);
        const fd = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
        try {
          // Read as an async iterable: Node's pipeline() would destroy tar-stream's entry, and the extraction with it.
          for await (const chunk of entry) await fd.write(chunk as Buffer);
          await fd.chmod(mode);
        } finally {
          await fd.close();
        }
        await utimes(target, header.mtime, header.mtime);
      } else if (header.type === 'symlink') {
        await removeNonDir(target);
        await symlink(header.linkname, target);
      } else if (header.type === 'link') {
        const from = safeTarget(dir, rebase(header.linkname, options.rename) ?? header.linkname, options.what);
        await removeNonDir(target);
        await link(from, target);
      }
      // devices and fifos are not made on the host
      entry.resume();
      if (options.keepOwners && process.getuid?.() === 0) {
        await (header.type === 'symlink' ? lchown : chown)(target, header.uid, header.gid).catch(() => undefined);
      }
    }
  })();
  await Promise.all([pipeline(source, extract), consume]);
  // Directories last: writing into them changed their times.
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
}

function rebase(name: string, rename: ExtractOptions['rename']): string | undefined {
  const clean = posix.normalize(name).replace(/\/$/, '');
  if (!rename) return clean;
  const from = posix.normalize(rename.from);
  if (from === '.') return clean === '.' ? rename.to : posix.join(rename.to, clean);
  if (clean === from) return rename.to;
  if (clean.startsWith(`${from}/`)) return posix.join(rename.to, clean.slice(from.length + 1));
  return undefined;
}

function safeTarget(dir: string, name: string, what: string): string {
  if (name.startsWith('/') || name === '..' || name.startsWith('../') || name.includes('\0')) {
    throw errors.invalidArgument('ARCHIVE_PATH_ESCAPE', `Refusing to extract ${what}: the entry "${name}" leads outside the destination`);
  }
  return name === '.' ? dir : join(dir, name);
}

/** No parent of `target` below `dir` may be a symlink: a write must not leave the directory through one. */
async function checkParents(dir: string, target: string, what: string): Promise<void> {
  const parts = relative(dir, target).split(sep).slice(0, -1);
  let current = dir;
  for (const part of parts) {
    current = join(current, part);
    try {
      if ((await lstat(current)).isSymbolicLink()) {
        throw errors.invalidArgument('ARCHIVE_PATH_ESCAPE', `Refusing to extract ${what}: "${relative(dir, target)}" would be written through the symlink "${relative(dir, current)}"`);
      }
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
  }
}

async function removeNonDir(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isDirectory()) throw errors.invalidArgument('CP_DIR_TO_FILE', `Cannot overwrite directory "${path}" with a non-directory`);
    await rm(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}
