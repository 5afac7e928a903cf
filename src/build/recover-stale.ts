/**
 * Clean-up after builds that died (SIGKILL, power loss): their mounts, temporary directories and
 * uncommitted snapshots carry the builder's pid (`build-<pid>-…`, `build-view-<pid>-…`,
 * `build-tmp/<pid>-…`); whatever belongs to a pid that is no longer alive is unmounted and
 * removed at the start of the next build. Committed layers are kept: they are the cache.
 */
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { ignoreErrno, pidExists } from '../base/index.js';
import { unmountAll } from '../core/mount/index.js';
import type { EngineContext } from '../services/index.js';

const ownerPattern = /^(?:build-(?:view-)?|bundle-)?(\d+)-/;


function deadOwner(name: string): number | undefined {
  const pid = Number(ownerPattern.exec(name)?.[1] ?? Number.NaN);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidExists(pid) ? pid : undefined;
}

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`)).sort().reverse();
}

/** Removes what dead builds left behind. Cheap when there is nothing: two directory listings. */
export async function recoverStaleBuilds(ctx: EngineContext): Promise<void> {
  const list = (dir: string) => ignoreErrno(['ENOENT'], () => readdir(dir), [] as string[]);
  const dead = new Set<number>();
  const mountsDir = join(ctx.paths.root, 'build-mounts');
  for (const name of await list(mountsDir)) {
    const pid = deadOwner(name);
    if (pid === undefined) continue;
    dead.add(pid);
    unmountAll(join(mountsDir, name));
    await rmdir(join(mountsDir, name)).catch(() => undefined);
  }
  const tmpDir = join(ctx.paths.root, 'build-tmp');
  for (const name of await list(tmpDir)) {
    const pid = deadOwner(name);
    if (pid === undefined) continue;
    dead.add(pid);
    for (const m of await mountsUnder(join(tmpDir, name))) unmountAll(m);
    await rm(join(tmpDir, name), { recursive: true, force: true });
  }
  if (dead.size === 0) return;
  for (const info of await ctx.snapshots.walk()) {
    if (info.kind === 'committed') continue;
    const pid = Number(ownerPattern.exec(info.key)?.[1] ?? Number.NaN);
    if (dead.has(pid)) await ctx.snapshots.remove(info.key).catch(() => undefined);
  }
}
