/**
 * Resolving COPY/ADD sources: a path or glob, relative to a source root (the build context, or a
 * stage's / image's root filesystem for `--from`), to the files it names.
 *
 * In the build context, paths that leave it (`../x`, or a symlink on the way that points outside)
 * are refused, and files the .dockerignore excludes do not exist. In a `--from` root, symlinks
 * are resolved as if the root were `/` (as inside a container).
 */
import type { BigIntStats, Stats } from 'node:fs';
import { lstatSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

import { errnoCode, errors, lstatSyncOrUndefined, readdirUtf8, readdirUtf8Sync } from '../base/index.js';
import type { DockerignoreMatcher } from './dockerignore/index.js';
import { cleanPath } from './dockerignore/index.js';

export interface SourceRoot {
  /** Absolute host path of the root. */
  dir: string;
  /** True for the build context: escapes are errors, not clamped. */
  isContext: boolean;
  ignore?: DockerignoreMatcher | undefined;
  /** How errors name the root, e.g. `build context` or `stage "build"`. */
  description: string;
}

export interface SourceEntry {
  /** Path inside the root, no leading slash ("." for the root itself). */
  rel: string;
  /** Absolute host path (symlinks resolved). */
  abs: string;
  st: Stats;
}

const globChars = /[*?[]/;

/** Go filepath.Match for one path segment. */
export function segmentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] as string);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw errors.invalidArgument('COPY_BAD_PATTERN', `Invalid source pattern "${pattern}"`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function notFound(root: SourceRoot, path: string): Error {
  return errors.notFound('COPY_SOURCE_NOT_FOUND', `Cannot copy "${path}": not found in the ${root.description}`);
}

function outside(path: string): Error {
  return errors.invalidArgument('COPY_OUTSIDE_CONTEXT', `Cannot copy "${path}": path is outside the build context`);
}

/**
 * Resolves `parts` (a cleaned relative path) under the root, following symlinks. Returns the
 * resolved relative path, or undefined when something on the way is missing.
 */
async function resolveInRoot(root: SourceRoot, parts: string[], shown: string, depth = 0): Promise<string | undefined> {
  if (depth > 40) throw errors.invalidArgument('COPY_SYMLINK_LOOP', `Cannot copy "${shown}": too many levels of symbolic links`);
  const done: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    done.push(parts[i] as string);
    const rel = done.join('/');
    if (root.ignore?.matches(rel)) return undefined;
    // Synchronously, as walkSource: one lstat per path component, where the thread pool costs more than the call.
    const st = lstatSyncOrUndefined(join(root.dir, rel));
    if (!st) return undefined;
    if (!st.isSymbolicLink()) continue;
    const target = readlinkSync(join(root.dir, rel));
    const base = posix.isAbsolute(target) ? '/' : `/${done.slice(0, -1).join('/')}`;
    const joined = posix.join(base, target, ...parts.slice(i + 1));
    const escapes = posix.isAbsolute(target) || posix.normalize(posix.join(done.slice(0, -1).join('/') || '.', target)).split('/')[0] === '..';
    if (root.isContext && escapes) throw outside(shown);
    const next = cleanPath(joined).slice(1);
    return resolveInRoot(root, next === '' ? [] : next.split('/'), shown, depth + 1);
  }
  return done.join('/') || '.';
}

/** Cleans a source path and refuses (in the context) one that climbs out with `..`. */
function cleanSource(root: SourceRoot, path: string): string[] {
  const clean = cleanPath(path.startsWith('/') ? path : `./${path}`);
  if (clean === '..' || clean.startsWith('../')) {
    if (root.isContext) throw outside(path);
  }
  const rooted = cleanPath(`/${clean}`).slice(1);
  return rooted === '' ? [] : rooted.split('/');
}

async function expandGlob(root: SourceRoot, parts: string[], shown: string): Promise<string[]> {
  let current: string[] = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of current) {
      if (!globChars.test(part)) {
        next.push(dir === '' ? part : `${dir}/${part}`);
        continue;
      }
      const re = segmentRegExp(part);
      let names: string[];
      try {
        names = await readdirUtf8(join(root.dir, dir), root.isContext ? dir : `/${dir}`);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') continue;
        throw err;
      }
      for (const name of names.sort()) if (re.test(name)) next.push(dir === '' ? name : `${dir}/${name}`);
    }
    current = next;
  }
  const out: string[] = [];
  for (const rel of current) {
    if (root.ignore?.matches(rel)) continue;
    const resolved = await resolveInRoot(root, rel.split('/'), shown);
    if (resolved !== undefined) out.push(rel);
  }
  return out;
}

/** The entries a COPY source names, in order. Throws NotFound naming the path when nothing matches. */
export async function resolveSources(root: SourceRoot, path: string): Promise<SourceEntry[]> {
  const parts = cleanSource(root, path);
  const names = parts.some((p) => globChars.test(p)) ? await expandGlob(root, parts, path) : [parts.join('/')];
  const out: SourceEntry[] = [];
  for (const name of names) {
    const resolved = await resolveInRoot(root, name === '' ? [] : name.split('/'), path);
    if (resolved === undefined) continue;
    const abs = resolved === '.' ? root.dir : join(root.dir, resolved);
    const st = lstatSync(abs);
    out.push({ rel: name === '' ? '.' : name, abs, st });
  }
  if (out.length === 0) throw notFound(root, path);
  return out;
}

/**
 * Visits a source tree depth-first in name order (the root entry first), skipping what the
 * ignore matcher excludes. `rel` is the path below the source entry ("" for the entry itself).
 * Synchronous, as its visitors are: a COPY of 20,000 small files spent most of its time waiting
 * on the thread pool for one lstat or readdir at a time.
 */
export function walkSource(root: SourceRoot, entry: SourceEntry, visit: (rel: string, abs: string, st: Stats) => void): void;
/** The same walk with nanosecond stats (BigIntStats) below the entry, for visitors that need them (the file digest cache). */
export function walkSource(root: SourceRoot, entry: SourceEntry, visit: (rel: string, abs: string, st: Stats | BigIntStats) => void, options: { bigint: boolean }): void;
export function walkSource(root: SourceRoot, entry: SourceEntry, visit: (rel: string, abs: string, st: never) => void, options: { bigint?: boolean } = {}): void {
  const bigint = options.bigint === true;
  const walk = (rel: string, abs: string, st: Stats | BigIntStats): void => {
    visit(rel, abs, st as never);
    if (!st.isDirectory()) return;
    const dirRel = entry.rel === '.' ? rel : rel === '' ? entry.rel : `${entry.rel}/${rel}`;
    const shown = root.isContext || dirRel === '' ? dirRel : `/${dirRel}`;
    for (const name of readdirUtf8Sync(abs, shown).sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const ctxRel = entry.rel === '.' ? childRel : `${entry.rel}/${childRel}`;
      const childAbs = join(abs, name);
      const childSt = bigint ? lstatSync(childAbs, { bigint: true }) : lstatSync(childAbs);
      if (root.ignore) {
        if (childSt.isDirectory() ? root.ignore.canSkipDir(ctxRel) : root.ignore.matches(ctxRel)) continue;
      }
      // An excluded directory may still hold re-included files: walk it but skip the directory's own entry.
      walk(childRel, childAbs, childSt);
    }
  };
  walk('', entry.abs, entry.st);
}
