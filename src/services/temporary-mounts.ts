/**
 * The temporary mounts of `cp`, `export`, `diff` and `commit` on a stopped container:
 * `<root>/container-mounts/<container id>-<pid>-<op>[-image]`, named after the operation that made
 * them (base/operation.ts), so that one left by a killed berth can be told from one in use.
 * `system check` lists those whose process is gone; `system prune` unmounts and removes them.
 */
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';

import { processStartTime, readdirSyncOrEmpty } from '../base/index.js';
import { unmountAll } from '../core/mount/index.js';
import type { EngineContext } from './engine-context.js';

const namePattern = /^[0-9a-f]{64}-(\d+)-[0-9a-f]+(-image)?$/;

/** The directories under container-mounts whose owning process is gone. */
export function staleTemporaryMounts(ctx: EngineContext): string[] {
  const base = join(ctx.paths.root, 'container-mounts');
  return readdirSyncOrEmpty(base).filter((name) => {
    const pid = namePattern.exec(name)?.[1];
    // A pid with no live process (gone, or a zombie): its owner is dead.
    return pid !== undefined && Number(pid) !== process.pid && processStartTime(Number(pid)) === undefined;
  }).map((name) => join(base, name));
}

export async function removeStaleTemporaryMounts(ctx: EngineContext): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of staleTemporaryMounts(ctx)) {
    await unmountAll(dir);
    try {
      rmdirSync(dir);
    } catch {
      continue; // something is still under it: left for the next prune, and reported by check
    }
    removed.push(`temporary mount ${JSON.stringify(dir)}`);
  }
  return removed;
}
