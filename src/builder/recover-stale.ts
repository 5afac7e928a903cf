/**
 * Clean-up after builds that died (SIGKILL, power loss): their mounts, temporary directories and
 * uncommitted snapshots carry the builder's pid (`build-<pid>-…`, `build-view-<pid>-…`,
 * `build-tmp/<pid>-…`); whatever belongs to a pid that is no longer alive is unmounted and
 * removed at the start of the next build. Committed layers are kept: they are the cache.
 */
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { ignoreErrno, isNotFound, pidExists } from '../base/index.js';
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

/** A dead build's step container (`build-<pid>-…`, its bundle directory): gone from the runtime and the cgroups. */
async function removeStepContainer(ctx: EngineContext, dir: string, id: string): Promise<void> {
  const runtime = await ignoreErrno(['ENOENT'], () => readFile(join(dir, 'runtime'), 'utf8'), '');
  try {
    await ctx.runtime(runtime === '' ? undefined : runtime).driver.delete(id, { force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  ctx.cgroups.remove(id);
}

/** Removes what dead builds left behind. Cheap when there is nothing: directory listings and a snapshot walk. */
export async function recoverStaleBuilds(ctx: EngineContext): Promise<void> {
  const list = (dir: string) => ignoreErrno(['ENOENT'], () => readdir(dir), [] as string[]);
  const mountsDir = join(ctx.paths.root, 'build-mounts');
  for (const name of await list(mountsDir)) {
    if (deadOwner(name) === undefined) continue;
    unmountAll(join(mountsDir, name));
    await rmdir(join(mountsDir, name)).catch(() => undefined);
  }
  const tmpDir = join(ctx.paths.root, 'build-tmp');
  for (const name of await list(tmpDir)) {
    if (deadOwner(name) === undefined) continue;
    // The step's container first: `delete --force` kills what still runs in it.
    if (name.startsWith('build-')) await removeStepContainer(ctx, join(tmpDir, name), name);
    for (const m of await mountsUnder(join(tmpDir, name))) unmountAll(m);
    await rm(join(tmpDir, name), { recursive: true, force: true });
  }
  // Step snapshots of dead builds, whether or not anything else of theirs was left.
  for (const info of await ctx.snapshots.walk()) {
    if (info.kind === 'committed' || !info.key.startsWith('build-') || deadOwner(info.key) === undefined) continue;
    await ctx.snapshots.remove(info.key).catch(() => undefined);
  }
}
