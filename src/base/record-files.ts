import { readFileSync, readdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { errnoCode } from './errors.js';
import { randomHex } from './random.js';

/**
 * Small synchronous helpers for stores made of one JSON file per record. Writes go to a `.tmp-*`
 * file beside the target and are renamed over it, so a reader sees the old or the new file, never
 * a mix; listings skip dot files, so a leftover temporary file is invisible.
 */

function tempPath(path: string): string {
  return join(dirname(path), `.tmp-${basename(path)}-${randomHex(4)}`);
}

/** Replaces `path` with `value` as JSON in one rename (no fsync: see the store's doc comment). */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = tempPath(path);
  try {
    writeFileSync(tmp, JSON.stringify(value), { flag: 'wx', mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    unlinkIfExists(tmp);
    throw err;
  }
}

/**
 * The parsed record at `path`, or undefined when there is none. A file that does not parse can
 * only be a new file whose data a power loss kept from the disk (see the store's doc comment):
 * its write never completed, so it counts as absent.
 */
export function readJsonFile<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Names in `dir` ending in `suffix` (without it), skipping dot files such as `.tmp-*`. */
export function listNames(dir: string, suffix = ''): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && n.endsWith(suffix))
    .map((n) => n.slice(0, n.length - suffix.length));
}

/** Names of the `.tmp-*` files in `dir` (left by a crash when no write is under way). */
export function listTemporary(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.tmp-'));
}

/** The target of symlink `path`, or undefined when there is none. */
export function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates symlink `path` → `target`; false when `path` exists (symlink(2) never replaces). */
export function linkExclusive(target: string, path: string): boolean {
  try {
    symlinkSync(target, path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw err;
  }
}

/** Points symlink `path` at `target`, replacing what is there in one rename. */
export function replaceLink(target: string, path: string): void {
  const tmp = tempPath(path);
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkIfExists(tmp);
    throw err;
  }
}

/** Removes `path`; false when it was not there. */
export function unlinkIfExists(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** True for a string usable as one file name: not empty, no `/` or NUL, no leading dot. */
export function isPlainName(s: string): boolean {
  return s.length > 0 && s.length <= 200 && !s.startsWith('.') && !s.includes('/') && !s.includes('\0');
}
