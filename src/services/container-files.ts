/**
 * A container's files: `cp` both ways, `export`, `diff`. They work on the container's root
 * filesystem as it is mounted: a running container's own mount, else the snapshot mounted for
 * the call at a private directory (`container-mounts/`) and unmounted after.
 *
 * Every read and write inside the container's root goes through core/diff's in-root archive and
 * extractor (openat2 RESOLVE_IN_ROOT, O_NOFOLLOW, directory fds): a symlink in the container,
 * `/x -> /etc` say, resolves to the container's /etc, never to the host's, for paths the user
 * names and for everything under them.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { mkdir, realpath, rmdir } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Operation } from '../base/index.js';
import { errnoCode, errors, ignoreErrno, withOperation } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { isMounted, mountAll, unmountAll } from '../core/mount/index.js';
import { resolveUser } from '../core/spec/index.js';
import type { ContainerPathStat, CopyOptions } from '../api/index.js';
import { containerDir } from './container-lifecycle.js';
import type { EngineContext } from './engine-context.js';
import { loadDiff } from './lazy.js';
import { readUserDatabase } from './process-files.js';

/**
 * Runs `fn` with the container's root filesystem mounted: its own mount while it runs, else its
 * snapshot mounted for the call (under a lease) and unmounted after. A container started while
 * the call holds its snapshot mounted shares the upper directory with that mount (overlayfs
 * allows it with index=off); Docker serialises the two with a container lock.
 */
export async function withContainerRoot<T>(ctx: EngineContext, record: ContainerRecord, op: Operation, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const own = join(containerDir(ctx, record.id), 'rootfs');
  const mountinfo = await ignoreErrno(['ENOENT'], async () => readFileSync('/proc/self/mountinfo', 'utf8'), '');
  if (isMounted(own, mountinfo)) return fn(own);
  const lease = await ctx.leases.acquire(op.signal ? { signal: op.signal } : {});
  const dir = join(ctx.paths.root, 'container-mounts', `${record.id}-${op.tag}`);
  try {
    await mkdir(dir, { recursive: true });
    mountAll(await ctx.snapshots.mounts(record.snapshotKey), dir);
    try {
      return await fn(dir);
    } finally {
      await unmountAll(dir);
    }
  } finally {
    await rmdir(dir).catch(() => undefined);
    lease.release();
  }
}

/** A container path as `cp` takes it: relative paths are relative to `/`. */
function containerPath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** `a/b/` and `a/b/.`: the path must be a directory (Docker's trailing separator rules). */
const endsWithSlash = (path: string) => path.endsWith('/');
const endsWithDot = (path: string) => path === '.' || path.endsWith('/.');

/** What the destination of a copy is now. */
type DestKind = 'directory' | 'file' | 'missing';

/** Where a copy goes: extracted into `dir`, its top entry named `name` (`.`: the source's contents). */
interface CopyPlan {
  dir: string;
  name: string;
}

/**
 * Docker's `cp` rules (docs/reference `docker cp`, checked against dockerd 20.10; the e2e test
 * container-files.test.ts records each case): a directory goes into an existing directory as
 * itself, or as its contents with `SRC/.`, and becomes a missing destination; a file goes into an
 * existing directory, replaces an existing file, or is created at a missing destination (which
 * must not end with `/`); the destination's parent must exist.
 */
function planCopy(src: { isDir: boolean; contents: boolean; base: string; shown: string }, dest: { kind: DestKind; path: string; trailingSlash: boolean; shown: string }, parentIsDir: () => boolean): CopyPlan {
  if (dest.kind === 'directory') return { dir: dest.path, name: src.contents ? '.' : src.base };
  if (dest.kind === 'file') {
    if (src.isDir) throw errors.invalidArgument('CP_DIR_TO_FILE', `Cannot copy directory "${src.shown}" to "${dest.shown}": it is a file`);
    return { dir: posix.dirname(dest.path), name: posix.basename(dest.path) };
  }
  if (!src.isDir && dest.trailingSlash) throw errors.notFound('CP_DEST_NOT_FOUND', `Cannot copy "${src.shown}" to "${dest.shown}": no such directory`);
  if (!parentIsDir()) throw errors.notFound('CP_DEST_NOT_FOUND', `Cannot copy "${src.shown}" to "${dest.shown}": no such directory "${posix.dirname(dest.path)}"`);
  return { dir: posix.dirname(dest.path), name: posix.basename(dest.path) };
}

/** The host's stat of `path` (following its last symlink with `follow`), undefined when it does not exist. */
function hostStat(path: string, follow = true): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The owner `cp -a` gives what it copies into a container: the container's user, as Docker does. */
function containerOwner(rootfs: string, record: ContainerRecord): { uid: number; gid: number } {
  const user = record.config.User ?? '';
  if (user === '') return { uid: 0, gid: 0 };
  const { uid, gid } = resolveUser(user, readUserDatabase(rootfs));
  return { uid, gid };
}

/** The copy service's part of the ContainerEngine. */
export function createContainerFiles(ctx: EngineContext) {
  async function copyFrom(ref: string, srcPath: string, dest: { path: string } | { stream: Writable }, options: CopyOptions, op: Operation): Promise<void> {
    const record = ctx.metadata.findContainer(ref);
    const src = containerPath(srcPath);
    const shown = `${ref}:${srcPath}`;
    await withContainerRoot(ctx, record, op, async (rootfs) => {
      const diff = await loadDiff();
      const contents = endsWithDot(src);
      const mustBeDir = contents || endsWithSlash(src);
      const follow = options.followLink === true || mustBeDir;
      const st = diff.statInRoot(rootfs, src, { followLink: follow });
      if (!st) throw errors.notFound('CP_SOURCE_NOT_FOUND', `Could not find the file ${posix.normalize(src)} in container ${ref}`);
      if (mustBeDir && !st.isDirectory) throw errors.invalidArgument('CP_NOT_A_DIRECTORY', `Cannot copy "${shown}": not a directory`);
      const base = posix.basename(posix.normalize(src)) || '/';
      const archive = (name: string) => diff.archiveInRoot(rootfs, src, { name, followLink: follow, ...(op.signal ? { signal: op.signal } : {}) });
      if ('stream' in dest) {
        await pipeline(archive(contents ? '.' : base), dest.stream, { end: false });
        return;
      }
      const destPath = resolve(dest.path);
      const destSt = hostStat(destPath);
      const plan = planCopy(
        { isDir: st.isDirectory, contents, base, shown },
        { kind: destSt === undefined ? 'missing' : destSt.isDirectory() ? 'directory' : 'file', path: destPath, trailingSlash: endsWithSlash(dest.path), shown: dest.path },
        () => hostStat(dirname(destPath))?.isDirectory() === true,
      );
      // The host side is written like the container side: everything stays under the directory `plan.dir`.
      const owner: 'keep' | { uid: number; gid: number } = options.archive === true ? 'keep' : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
      await diff.extractInRoot(archive(plan.name), plan.dir, '/', { owner, name: `the archive of "${shown}"`, onWarning: (m) => op.warn(m), ...(op.signal ? { signal: op.signal } : {}) });
    });
  }

  async function statPath(ref: string, path: string, op: Operation): Promise<ContainerPathStat> {
    const record = ctx.metadata.findContainer(ref);
    const p = containerPath(path);
    return withContainerRoot(ctx, record, op, async (rootfs) => {
      const diff = await loadDiff();
      const st = diff.statInRoot(rootfs, p, { followLink: endsWithDot(p) || endsWithSlash(p) });
      if (!st) throw errors.notFound('CP_SOURCE_NOT_FOUND', `Could not find the file ${posix.normalize(p)} in container ${ref}`);
      return { name: st.name, size: st.size, mode: st.mode, mtimeMs: st.mtimeMs, linkTarget: st.linkTarget };
    });
  }

  async function copyTo(ref: string, src: { path: string } | { stream: Readable }, destPath: string, options: CopyOptions, op: Operation): Promise<void> {
    const record = ctx.metadata.findContainer(ref);
    if (record.hostConfig.readonlyRootfs) {
      throw errors.failedPrecondition('CONTAINER_ROOTFS_READONLY', `Cannot copy to container ${ref}: its root filesystem is marked read-only`);
    }
    const dest = containerPath(destPath);
    const shownDest = `${ref}:${destPath}`;
    await withContainerRoot(ctx, record, op, async (rootfs) => {
      const diff = await loadDiff();
      const owner: 'keep' | { uid: number; gid: number } = options.archive === true ? containerOwner(rootfs, record) : 'keep';
      const extractOptions = {
        owner, onWarning: (m: string) => op.warn(m), ...(op.signal ? { signal: op.signal } : {}),
        ...('stream' in src && options.overwriteDirNonDir === true ? { overwriteDirNonDir: true } : {}),
      };
      const destSt = diff.statInRoot(rootfs, dest, { followLink: true });
      if ('stream' in src) {
        if (destSt?.isDirectory !== true) throw errors.invalidArgument('CP_DEST_NOT_DIRECTORY', `Destination "${shownDest}" must be a directory`);
        await diff.extractInRoot(src.stream, rootfs, dest, { ...extractOptions, name: 'the archive from standard input' });
        return;
      }
      const contents = endsWithDot(src.path);
      const mustBeDir = contents || endsWithSlash(src.path);
      const follow = options.followLink === true || mustBeDir;
      const st = hostStat(src.path, follow);
      if (!st) {
        // `file/`: the file exists, but is no directory.
        if (mustBeDir && hostStat(src.path.replace(/\/\.?$/, '')) !== undefined) throw errors.invalidArgument('CP_NOT_A_DIRECTORY', `Cannot copy "${src.path}": not a directory`);
        throw errors.notFound('CP_SOURCE_NOT_FOUND', `Cannot copy "${src.path}": no such file or directory`);
      }
      if (mustBeDir && !st.isDirectory()) throw errors.invalidArgument('CP_NOT_A_DIRECTORY', `Cannot copy "${src.path}": not a directory`);
      const named = resolve(src.path);
      const real = follow ? await realpath(named) : named;
      const plan = planCopy(
        { isDir: st.isDirectory(), contents, base: basename(named) || '/', shown: src.path },
        { kind: destSt === undefined ? 'missing' : destSt.isDirectory ? 'directory' : 'file', path: posix.normalize(dest), trailingSlash: endsWithSlash(dest), shown: shownDest },
        () => diff.statInRoot(rootfs, posix.dirname(posix.normalize(dest)), { followLink: true })?.isDirectory === true,
      );
      // The host source is read as the container's files are: its parent is the root of the walk.
      const archive = contents || real === '/'
        ? diff.archiveInRoot(real, '/', { name: plan.name })
        : diff.archiveInRoot(dirname(real), basename(real), { name: plan.name });
      await diff.extractInRoot(archive, rootfs, plan.dir, { ...extractOptions, name: `the archive of "${src.path}"` });
    });
  }

  return {
    copyFrom: (ref: string, src: string, dest: { path: string } | { stream: Writable }, options: CopyOptions = {}, op?: Operation) =>
      withOperation(op, (own) => copyFrom(ref, src, dest, options, own)),
    statPath: (ref: string, path: string, op?: Operation) => withOperation(op, (own) => statPath(ref, path, own)),
    copyTo: (ref: string, src: { path: string } | { stream: Readable }, dest: string, options: CopyOptions = {}, op?: Operation) =>
      withOperation(op, (own) => copyTo(ref, src, dest, options, own)),
    /** The container's whole filesystem as a tar, written to `out` (which is not ended). */
    export: (ref: string, out: Writable, op?: Operation) =>
      withOperation(op, async (own) => {
        const record = ctx.metadata.findContainer(ref);
        await withContainerRoot(ctx, record, own, async (rootfs) => {
          const diff = await loadDiff();
          await pipeline(diff.archiveInRoot(rootfs, '/', { name: '', ...(own.signal ? { signal: own.signal } : {}) }), out, { end: false });
        });
      }),
  };
}
