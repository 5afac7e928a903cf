/**
 * `cp` through the archive endpoints (GET/HEAD/PUT /containers/{id}/archive), with the docker
 * CLI's path rules on this side: a directory goes into an existing directory as itself (or as its
 * contents with `SRC/.`) and becomes a missing destination; a file goes into a directory,
 * replaces a file, or is created at a missing destination whose parent exists.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, posix, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { errnoCode, errors, isNotFound } from '../base/index.js';
import type { Operation } from '../base/index.js';
import type { ContainerPathStat, CopyOptions } from '../api/index.js';
import type { DockerApi } from './docker-api.js';
import { fromDaemon } from './docker-api.js';
import { extractToHost, packHostFiles, walkHost } from './host-tar.js';

const endsWithSlash = (path: string) => path.endsWith('/');
const endsWithDot = (path: string) => path === '.' || path.endsWith('/.');

/** Go's filepath.Base: the last element after trailing slashes are dropped (`/a/.` is `.`). */
function goBase(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

interface PathStat {
  name: string;
  size: number;
  /** Go's FileMode: the permission bits, and bit 31 for a directory. */
  mode: number;
  mtime?: string;
  linkTarget: string;
}

const bit = (mode: number, n: number) => Math.floor(mode / 2 ** n) % 2 === 1;
const isDirMode = (mode: number) => bit(mode, 31);
const isSymlinkMode = (mode: number) => bit(mode, 27);

/** Go's os.FileMode (the header's) as st_mode: the file type, permission and special bits. */
export function stModeOf(goMode: number): number {
  let type = 0o100000;
  if (bit(goMode, 31)) type = 0o040000;
  else if (bit(goMode, 27)) type = 0o120000;
  else if (bit(goMode, 26)) type = bit(goMode, 21) ? 0o020000 : 0o060000;
  else if (bit(goMode, 25)) type = 0o010000;
  else if (bit(goMode, 24)) type = 0o140000;
  return type + (goMode % 0o1000) + (bit(goMode, 23) ? 0o4000 : 0) + (bit(goMode, 22) ? 0o2000 : 0) + (bit(goMode, 20) ? 0o1000 : 0);
}

/** `statPath`: a container path as the archive endpoint reports it (HEAD), in berth's terms. */
export async function statContainerPath(api: DockerApi, ref: string, path: string): Promise<ContainerPathStat> {
  const full = path.startsWith('/') ? path : `/${path}`;
  let res;
  try {
    res = await api.call('HEAD', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path: full } });
  } catch (err) {
    // HEAD has no body: find out whether the container or the path is missing.
    if (isNotFound(err)) {
      await api.json('GET', `/containers/${encodeURIComponent(ref)}/json`);
      throw fromDaemon(errors.notFound('CP_SOURCE_NOT_FOUND', `Could not find the file ${posix.normalize(full)} in container ${ref}`));
    }
    throw err;
  }
  const st = parseStat(res.headers['x-docker-container-path-stat']);
  if (!st) throw errors.dataLoss('DAEMON_BAD_ANSWER', `The daemon at ${api.endpoint.display} did not say what ${full} is in container ${ref}`);
  return { name: st.name, size: st.size, mode: stModeOf(st.mode), mtimeMs: Date.parse(st.mtime ?? '') || 0, linkTarget: st.linkTarget };
}

/** The daemon's stat of a container path (HEAD archive); undefined when it does not exist. */
async function statInContainer(api: DockerApi, ref: string, path: string): Promise<PathStat | undefined> {
  try {
    const res = await api.call('HEAD', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path } });
    return parseStat(res.headers['x-docker-container-path-stat']);
  } catch (err) {
    // HEAD has no body: a 404 is the path's, or the container's (then GET/PUT will say which).
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function parseStat(header: string | string[] | undefined): PathStat | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
  } catch {
    return undefined;
  }
}

function hostStat(path: string, follow = true): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

type DestKind = 'directory' | 'file' | 'missing';

function planCopy(src: { isDir: boolean; contents: boolean; base: string; shown: string }, dest: { kind: DestKind; path: string; trailingSlash: boolean; shown: string }, parentIsDir: () => boolean | Promise<boolean>): Promise<{ dir: string; name: string }> | { dir: string; name: string } {
  if (dest.kind === 'directory') return { dir: dest.path, name: src.contents ? '.' : src.base };
  if (dest.kind === 'file') {
    if (src.isDir) throw errors.invalidArgument('CP_DIR_TO_FILE', `Cannot copy directory "${src.shown}" to "${dest.shown}": it is a file`);
    return { dir: posix.dirname(dest.path), name: posix.basename(dest.path) };
  }
  if (!src.isDir && dest.trailingSlash) throw errors.notFound('CP_DEST_NOT_FOUND', `Cannot copy "${src.shown}" to "${dest.shown}": no such directory`);
  return (async () => {
    if (!(await parentIsDir())) throw errors.notFound('CP_DEST_NOT_FOUND', `Cannot copy "${src.shown}" to "${dest.shown}": no such directory "${posix.dirname(dest.path)}"`);
    return { dir: posix.dirname(dest.path), name: posix.basename(dest.path) };
  })();
}

/** `cp CONTAINER:SRC DEST|-`. */
export async function copyFromContainer(api: DockerApi, ref: string, srcPath: string, dest: { path: string } | { stream: Writable }, options: CopyOptions, op?: Operation): Promise<void> {
  const src = srcPath.startsWith('/') ? srcPath : `/${srcPath}`;
  const shown = `${ref}:${srcPath}`;
  const contents = endsWithDot(src);
  const mustBeDir = contents || endsWithSlash(src);
  // The daemon follows the last symlink when the path ends with `/` or `/.`; with -L the link's
  // target is asked for, and named as the link (the docker CLI's rebase).
  let requested = src;
  if (options.followLink && !mustBeDir) {
    const link = await statInContainer(api, ref, src);
    if (link && isSymlinkMode(link.mode) && link.linkTarget !== '') {
      requested = link.linkTarget.startsWith('/') ? link.linkTarget : posix.join(posix.dirname(src), link.linkTarget);
    }
  }
  let res;
  try {
    res = await api.request('GET', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path: requested }, ...(op?.signal ? { signal: op.signal } : {}) });
  } catch (err) {
    if (isNotFound(err) && !/no such container/i.test((err as Error).message)) {
      throw fromDaemon(errors.notFound('CP_SOURCE_NOT_FOUND', `Could not find the file ${posix.normalize(src)} in container ${ref}`));
    }
    throw err;
  }
  const st = parseStat(res.headers['x-docker-container-path-stat']);
  const isDir = st !== undefined && isDirMode(st.mode);
  if (mustBeDir && !isDir) {
    res.resume();
    throw errors.invalidArgument('CP_NOT_A_DIRECTORY', `Cannot copy "${shown}": not a directory`);
  }
  if ('stream' in dest) {
    await pipeline(res, dest.stream, { end: false });
    return;
  }
  const destPath = resolve(dest.path);
  const destSt = hostStat(destPath);
  let plan;
  try {
    plan = await planCopy(
      { isDir, contents, base: goBase(src), shown },
      { kind: destSt === undefined ? 'missing' : destSt.isDirectory() ? 'directory' : 'file', path: destPath, trailingSlash: endsWithSlash(dest.path), shown: dest.path },
      () => hostStat(dirname(destPath))?.isDirectory() === true,
    );
  } catch (err) {
    res.destroy();
    throw err;
  }
  await extractToHost(res, plan.dir, { rename: { from: goBase(requested), to: plan.name }, keepOwners: options.archive === true, what: `the archive of "${shown}"` });
}

/** `cp SRC|- CONTAINER:DEST`. */
export async function copyToContainer(api: DockerApi, ref: string, src: { path: string } | { stream: Readable }, destPath: string, options: CopyOptions, op?: Operation): Promise<void> {
  const dest = posix.normalize(destPath.startsWith('/') ? destPath : `/${destPath}`);
  const shownDest = `${ref}:${destPath}`;
  const put = (dir: string, body: Readable) => api.call('PUT', `/containers/${encodeURIComponent(ref)}/archive`, {
    query: { path: dir, noOverwriteDirNonDir: options.overwriteDirNonDir !== true, copyUIDGID: options.archive === true },
    body, headers: { 'Content-Type': 'application/x-tar' }, ...(op?.signal ? { signal: op.signal } : {}),
  });
  // The container must exist before anything is read or stat'ed (the docker CLI's first call).
  await api.json('GET', `/containers/${encodeURIComponent(ref)}/json`);
  const destSt = await statInContainer(api, ref, dest);
  if ('stream' in src) {
    if (!destSt || !isDirMode(destSt.mode)) throw errors.invalidArgument('CP_DEST_NOT_DIRECTORY', `Destination "${shownDest}" must be a directory`);
    await put(dest, src.stream);
    return;
  }
  const contents = endsWithDot(src.path);
  const mustBeDir = contents || endsWithSlash(src.path);
  const follow = options.followLink === true || mustBeDir;
  const st = hostStat(src.path, follow);
  if (!st) {
    if (mustBeDir && hostStat(src.path.replace(/\/\.?$/, '')) !== undefined) throw errors.invalidArgument('CP_NOT_A_DIRECTORY', `Cannot copy "${src.path}": not a directory`);
    throw errors.notFound('CP_SOURCE_NOT_FOUND', `Cannot copy "${src.path}": no such file or directory`);
  }
  if (mustBeDir && !st.isDirectory()) throw errors.invalidArgument('CP_NOT_A_DIRECTORY', `Cannot copy "${src.path}": not a directory`);
  const named = resolve(src.path);
  const real = follow ? realpathSync(named) : named;
  const plan = await planCopy(
    { isDir: st.isDirectory(), contents, base: basename(named) || '/', shown: src.path },
    { kind: destSt === undefined ? 'missing' : isDirMode(destSt.mode) ? 'directory' : 'file', path: dest, trailingSlash: endsWithSlash(destPath), shown: shownDest },
    async () => {
      const parent = await statInContainer(api, ref, posix.dirname(dest));
      return parent !== undefined && isDirMode(parent.mode);
    },
  );
  const body = await packHostFiles(walkHost(real, plan.name, { follow }), { followFirst: follow });
  await put(plan.dir, body);
}
