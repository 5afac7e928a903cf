import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

/**
 * `-o FILE` for commands that stream an archive (`save`, `export`): `write` fills the file; when it
 * fails, no partial file is left behind.
 */
export async function writeOutputFile(path: string, write: (file: WriteStream) => Promise<unknown>): Promise<void> {
  const file = createWriteStream(path);
  try {
    await write(file);
    file.end();
    await finished(file);
  } catch (err) {
    file.destroy();
    await rm(path, { force: true });
    throw err;
  }
}
