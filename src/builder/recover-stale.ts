/**
 * Clean-up after builds that died (SIGKILL, power loss) or failed without cleaning up: their
 * mounts, temporary directories and uncommitted snapshots carry their owner's tag (`build-<pid>-<op>-…`,
 * `build-view-<pid>-<op>-…`, `build-tmp/<pid>-<op>-…`, see base/operation.ts); whatever belongs to
 * a process that is gone, or to an operation of this process that has ended, is unmounted and
 * removed at the start of the next build. Committed layers are kept: they are the cache.
 */
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { ignoreErrno, isNotFound, ownerAlive } from '../base/index.js';
import { unmountAll } from '../core/mount/index.js';
import type { EngineContext } from '../services/index.js';

/** Work whose owner is gone: a dead process's, or an ended operation's of this process. */
const stale = (name: string) => !ownerAlive(name);

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
    if (!stale(name)) continue;
    await unmountAll(join(mountsDir, name));
    await rmdir(join(mountsDir, name)).catch(() => undefined);
  }
  const tmpDir = join(ctx.paths.root, 'build-tmp');
  for (const name of await list(tmpDir)) {
    if (!stale(name)) continue;
    // The step's container first: `delete --force` kills what still runs in it.
    if (name.startsWith('build-')) await removeStepContainer(ctx, join(tmpDir, name), name);
    for (const m of await mountsUnder(join(tmpDir, name))) await unmountAll(m);
    await rm(join(tmpDir, name), { recursive: true, force: true });
  }
  // Step snapshots of dead builds, whether or not anything else of theirs was left.
  for (const info of await ctx.snapshots.walk()) {
    if (info.kind === 'committed' || !info.key.startsWith('build-') || !stale(info.key)) continue;
    await ctx.snapshots.remove(info.key).catch(() => undefined);
  }
}
