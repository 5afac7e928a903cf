import { createWriteStream, lstatSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

/**
 * `-o FILE` for commands that stream an archive (`save`, `export`): `write` fills the file; when it
 * fails, no partial file it made is left behind. Only a file this call created is removed: `-o
 * /dev/null` (or any path that was there before) is never unlinked — a failed `save -o /dev/null`
 * once deleted the host's /dev/null.
 */
export async function writeOutputFile(path: string, write: (file: WriteStream) => Promise<unknown>): Promise<void> {
  let existed = true;
  try {
    lstatSync(path);
  } catch {
    existed = false;
  }
  const file = createWriteStream(path);
  try {
    await write(file);
    file.end();
    await finished(file);
  } catch (err) {
    // Closed (its open may still be under way) before the file it made is removed.
    file.destroy();
    await finished(file).catch(() => undefined);
    if (!existed) await rm(path, { force: true });
    throw err;
  }
}
