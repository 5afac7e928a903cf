/**
 * `ImageEngine.hostFacts`: an image's unpacked layer directories and when it was last tagged, for
 * `inspect` (see api/container-host-facts.ts).
 */
import { dirname, join } from 'node:path';

import { isNotFound } from '../base/index.js';
import type { ImageHostFacts } from '../api/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { chainIds } from '../core/images/index.js';
import type { EngineContext } from './engine-context.js';
import { unpackedLayerSizes } from './layer-sizes.js';

export async function imageHostFacts(ctx: EngineContext, image: ResolvedImage): Promise<ImageHostFacts> {
  let graphDriver: ImageHostFacts['graphDriver'] = null;
  try {
    // Each layer is a committed snapshot named by its chain id, the top one last.
    const dirs: string[] = [];
    for (const chainId of chainIds(image.config.rootfs.diff_ids)) dirs.push(await ctx.snapshots.upperDir(chainId));
    const top = dirs.pop();
    if (top !== undefined) {
      const lower = dirs.reverse().join(':');
      graphDriver = { ...(lower ? { LowerDir: lower } : {}), MergedDir: join(dirname(top), 'merged'), UpperDir: top, WorkDir: join(dirname(top), 'work') };
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const tagged = ctx.metadata.listImages().filter((r) => r.id === image.id).map((r) => r.updatedAt);
  return {
    graphDriver,
    lastTagTime: tagged.length > 0 ? new Date(Math.max(...tagged)).toISOString() : '0001-01-01T00:00:00Z',
    layerSizes: await unpackedLayerSizes(ctx, image),
  };
}
