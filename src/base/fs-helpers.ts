/** Small file-system look-ups shared across modules. */
import type { Stats } from 'node:fs';
import { lstatSync, readdirSync, rm, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { lstat, readdir } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';

import { errnoCode, errors } from './errors.js';

const isMissing = (err: unknown) => errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';

/** lstat(2), or undefined when the path (or a directory on the way) does not exist. */
export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** The synchronous lstatOrUndefined. */
export function lstatSyncOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** How many entries removeTree deletes on the event loop before it hands the rest to the thread pool. */
const inlineRemovals = 64;

/**
 * `rm -rf path`. A small tree (a container's directory, the snapshot of a container that wrote
 * little: a dozen entries each) goes at once, synchronously: fs.rm's callback form takes a round
 * trip through the thread pool per step and per directory level, and loads Node's rimraf (`run
 * --rm`'s removal took 4-5 ms that way, ~1 ms of it syscalls). Past `inlineRemovals` entries, or on
 * any error, the rest goes off the event loop through fs.rm's callback (node:fs/promises' rm does
 * the same, but loading that module costs ~1 ms), which also reports an error that persists.
 * Symbolic links are removed, never followed.
 */
export function removeTree(path: string): Promise<void> {
  try {
    if (removeInline(path, { left: inlineRemovals })) return Promise.resolve();
  } catch {
    // fs.rm below finishes the job, or reports what stops it
  }
  return new Promise((resolve, reject) => rm(path, { recursive: true, force: true }, (err) => (err ? reject(err) : resolve())));
}

/** Removes `path` and what is under it; false (some of it left) once more than budget.left entries were met. */
function removeInline(path: string, budget: { left: number }, known?: 'directory'): boolean {
  if (known === undefined) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) return true;
    if (!st.isDirectory()) {
      unlinkSync(path);
      return true;
    }
  }
  // d_type, or an lstat where the file system gives none: a symbolic link is never a directory here.
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (--budget.left < 0) return false;
    const child = join(path, entry.name);
    if (!entry.isDirectory()) unlinkSync(child);
    else if (!removeInline(child, budget, 'directory')) return false;
  }
  rmdirSync(path);
  return true;
}

/** The names in a directory; none when the directory does not exist (yet). */
export function readdirSyncOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

/** A byte name for messages: valid UTF-8 as is, other bytes as \xNN. */
export function showBytes(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length; ) {
    let n = 1;
    while (n <= 4 && i + n <= name.length && !isUtf8(name.subarray(i, i + n))) n++;
    if (n <= 4 && i + n <= name.length) {
      out += name.subarray(i, i + n).toString('utf8');
      i += n;
    } else out += `\\x${(name[i++] as number).toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * readdir(3) names as strings, refusing (NotImplemented FILE_NAME_NOT_UTF8, naming the file as
 * `shown/<name>` with its bytes escaped) a name that is not valid UTF-8: as a JS string it would
 * be decoded lossily and name another file. Only a directory holding U+FFFD is read twice.
 */
export async function readdirUtf8(dir: string, shown: string, action = 'copy'): Promise<string[]> {
  const names = await readdir(dir);
  if (!names.some((n) => n.includes('\uFFFD'))) return names;
  for (const raw of await readdir(dir, { encoding: 'buffer' })) {
    if (!isUtf8(raw)) {
      const path = shown === '' ? showBytes(raw) : `${shown}/${showBytes(raw)}`;
      throw errors.notImplemented('FILE_NAME_NOT_UTF8', `Cannot ${action} "${path}": its name is not valid UTF-8, which berth does not support yet`);
    }
  }
  return names;
}

/** The synchronous readdirUtf8: COPY's walk of a context of many small files runs without the thread pool. */
export function readdirUtf8Sync(dir: string, shown: string, action = 'copy'): string[] {
  const names = readdirSync(dir);
  if (!names.some((n) => n.includes('\uFFFD'))) return names;
  for (const raw of readdirSync(dir, { encoding: 'buffer' })) {
    if (!isUtf8(raw)) {
      const path = shown === '' ? showBytes(raw) : `${shown}/${showBytes(raw)}`;
      throw errors.notImplemented('FILE_NAME_NOT_UTF8', `Cannot ${action} "${path}": its name is not valid UTF-8, which berth does not support yet`);
    }
  }
  return names;
}
