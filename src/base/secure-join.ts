import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { errnoCode, errors } from './errors.js';

/** Linux gives up after 40 nested symlinks; securejoin after 255. Either is far beyond real trees. */
const maxSymlinks = 255;

/**
 * Lexically cleans a tar entry name into path components relative to the layer root: leading `/`
 * and `./` are dropped (absolute names are relative to the root, like Docker), `a/../b` becomes
 * `b`. Returns undefined when a `..` would climb above the root ("breakout"): callers refuse that.
 */
export function cleanEntryPath(name: string): string[] | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.pop() === undefined) return undefined;
      continue;
    }
    parts.push(part);
  }
  return parts;
}

interface WalkOptions {
  /** create missing components as 0755 directories (every component must end up a directory) */
  create: boolean;
  /** only used in messages */
  entry: string;
}

/**
 * Resolves `path` under `root` the way the kernel would if `root` were `/`: `..` never climbs
 * above root and symlinks (absolute or relative) are expanded inside root. Returns the resolved
 * components. Components that do not exist are kept as they are (or created with `create`).
 */
function walkInRoot(root: string, path: string, options: WalkOptions): string[] {
  const current: string[] = [];
  let remaining = path.split('/');
  let links = 0;
  while (remaining.length > 0) {
    const part = remaining[0] as string;
    remaining = remaining.slice(1);
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current.pop();
      continue;
    }
    const abs = join(root, ...current, part);
    const st = lstatOrUndefined(abs);
    if (st?.isSymbolicLink()) {
      if (++links > maxSymlinks) {
        throw errors.invalidArgument('LAYER_SYMLINK_LOOP', `Cannot resolve "${options.entry}": too many levels of symbolic links`);
      }
      const target = readlinkSync(abs);
      if (target.startsWith('/')) current.length = 0;
      remaining = [...target.split('/'), ...remaining];
      continue;
    }
    if (options.create) {
      if (st === undefined) mkdirSync(abs, 0o755);
      else if (!st.isDirectory()) {
        throw errors.invalidArgument('LAYER_NOT_A_DIRECTORY', `Cannot apply "${options.entry}": "${join(...current, part)}" is not a directory`);
      }
    }
    current.push(part);
  }
  return current;
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    // ENOTDIR: a component under a non-directory; ENAMETOOLONG: a name no file can have (a
    // symlink's target may hold one); like a missing one, it cannot be a symlink
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR' || errnoCode(err) === 'ENAMETOOLONG') return undefined;
    throw err;
  }
}

/**
 * Joins `path` under `root`, resolving symlinks as if `root` were `/` (like Go's
 * filepath-securejoin): the result is always `root` or a path inside it, whatever symlinks the
 * tree holds. The final component is resolved too. Missing components are kept lexically.
 * As with securejoin, the answer is only as good as the tree is stable: use it on trees no
 * untrusted process modifies concurrently.
 */
export function secureJoin(root: string, path: string): string {
  const absRoot = resolve(root);
  return join(absRoot, ...walkInRoot(absRoot, path, { create: false, entry: path }));
}

/**
 * Resolves parent directories of tar entries inside a layer root, creating missing ones, with a
 * cache of directories already verified in this unpack. The cache is only valid while nothing
 * but this unpacker changes the tree, and it must be cleared whenever a directory or symlink is
 * removed or replaced (`invalidate`).
 */
export class RootResolver {
  readonly root: string;
  readonly #dirs = new Map<string, string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The real absolute directory for entry path components `parts` (created if missing). */
  directory(parts: readonly string[], entry: string): string {
    const key = parts.join('/');
    let dir = this.#dirs.get(key);
    if (dir === undefined) {
      dir = join(this.root, ...walkInRoot(this.root, key, { create: true, entry }));
      this.#dirs.set(key, dir);
    }
    return dir;
  }

  /** Like `directory` but creates nothing: undefined when a component is missing or not a directory. */
  existingDirectory(parts: readonly string[], entry: string): string | undefined {
    const key = parts.join('/');
    const cached = this.#dirs.get(key);
    if (cached !== undefined) return cached;
    const dir = join(this.root, ...walkInRoot(this.root, key, { create: false, entry }));
    return lstatOrUndefined(dir)?.isDirectory() === true ? dir : undefined;
  }

  /** The real path relative to the root, for bookkeeping of what this layer unpacked. */
  relative(abs: string): string {
    return abs === this.root ? '' : abs.slice(this.root.length + 1);
  }

  invalidate(): void {
    this.#dirs.clear();
  }
}
