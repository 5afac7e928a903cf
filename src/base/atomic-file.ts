import { open, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

import { ignoreErrno } from './errors.js';
import { randomHex } from './random.js';

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one:
 * write a temporary file beside it, fsync, rename over. A crash leaves at most a `.tmp-*` file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number; fsync?: boolean } = {}): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${basename(path)}-${randomHex(6)}`);
  const handle = await open(tmp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (options.fsync !== false) await handle.sync();
  } catch (err) {
    await handle.close();
    await ignoreErrno(['ENOENT'], () => unlink(tmp), undefined);
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
}
