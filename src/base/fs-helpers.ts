/** Small file-system look-ups shared across modules. */
import type { Stats } from 'node:fs';
import { lstatSync } from 'node:fs';
import { lstat } from 'node:fs/promises';

import { errnoCode } from './errors.js';

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
