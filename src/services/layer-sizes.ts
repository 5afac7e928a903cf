/**
 * Docker's image and layer sizes: the bytes of a layer's unpacked files, as dockerd's overlay2
 * counts its diff directory (directory.Size: every entry but directories, a symlink by its
 * target's length, a hard-linked file once), not the bytes of the layer's tar. Summed from the
 * layer's tar headers, which say the same without unpacking it, and kept per layer (by diff id)
 * under `<root>/layer-sizes/`, so that `images` reads a small file per layer after the first time.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import tar from 'tar-stream';

import type { Digest } from '../base/index.js';
import { errnoCode, writeFileAtomic } from '../base/index.js';
import { decompress } from '../core/diff/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import type { EngineContext } from './engine-context.js';

const sizesDir = (ctx: EngineContext) => join(ctx.paths.root, 'layer-sizes');

/** The unpacked bytes of one layer (its blob `blob`, its diff id `diffId`). */
export async function unpackedLayerSize(ctx: EngineContext, blob: Digest, diffId: Digest): Promise<number> {
  const file = join(sizesDir(ctx), diffId.replace(/^sha256:/, ''));
  try {
    const known = Number((await readFile(file, 'utf8')).trim());
    if (Number.isSafeInteger(known) && known >= 0) return known;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const { stream } = await decompress(ctx.content.createReadStream(blob), blob);
  let size = 0;
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    if (header.type === 'file' || header.type === 'contiguous-file') size += header.size ?? 0;
    else if (header.type === 'symlink') size += Buffer.byteLength(header.linkname ?? '');
    body.on('end', next);
    body.resume();
  });
  await pipeline(stream, extract);
  await mkdir(sizesDir(ctx), { recursive: true });
  await writeFileAtomic(file, `${size}\n`);
  return size;
}

/** Each layer's unpacked bytes, bottom first (`history`); a layer whose blob is gone counts its blob's size. */
export async function unpackedLayerSizes(ctx: EngineContext, image: Pick<ResolvedImage, 'manifest' | 'config'>): Promise<number[]> {
  const diffIds = image.config.rootfs.diff_ids;
  return Promise.all(image.manifest.layers.map(async (layer, i) => {
    const diffId = diffIds[i];
    if (diffId === undefined) return layer.size;
    try {
      return await unpackedLayerSize(ctx, layer.digest, diffId);
    } catch {
      // A missing or unreadable blob (see `system check`) must not hide the image.
      return layer.size;
    }
  }));
}

/** Docker's image Size: its layers' unpacked bytes. */
export async function unpackedImageSize(ctx: EngineContext, image: Pick<ResolvedImage, 'manifest' | 'config'>): Promise<number> {
  return (await unpackedLayerSizes(ctx, image)).reduce((a, b) => a + b, 0);
}
