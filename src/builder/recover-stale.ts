/**
 * What builds left behind, and the clean-up after builds that died (SIGKILL, power loss) or
 * failed without cleaning up. Their mounts, temporary directories, step containers (runtime
 * state, cgroup scopes), step networks (a veth, firewall rules, a lease, a namespace) and uncommitted snapshots carry their owner's tag (`build-<pid>-<op>-…`,
 * `build-view-<pid>-<op>-…`, `build-tmp/<pid>-<op>-…`, parsed only by base/operation.ts's
 * `ownerOfName`/`ownerAlive`); `berth system check` lists all of it with its owner, and whatever
 * belongs to a process that is gone, or to an operation of this process that has ended, is
 * removed at the start of the next build and by `berth system prune`. Committed layers are kept:
 * they are the cache. A dead build's step processes are already gone, killed by its step
 * watchdog (services/step-watchdog.ts); `delete --force` here is the second line.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { Leftover } from '../api/index.js';
import { errnoCode, ignoreErrno, isNotFound, ownerAlive, ownerOfName } from '../base/index.js';
import { unmountAll } from '../core/mount/index.js';
import type { EngineContext } from '../services/index.js';
import { disconnectBuildStep } from '../services/index.js';

/** The owner of a build's leftover, from its name; undefined for names that carry none. */
function ownerOf(name: string): Leftover['owner'] {
  const owner = ownerOfName(name);
  return owner === undefined ? undefined : { pid: owner.pid, alive: ownerAlive(name) };
}

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`)).sort().reverse();
}

/** A directory's names; none when it is missing. Synchronous: a few small directories, read by every build. */
const list = async (dir: string): Promise<string[]> => {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
};

/** The state directories of the runtimes this store may have used (per store: /run/berth/<hash>/…). */
function runtimeStateDirs(ctx: EngineContext): string[] {
  const dirs = new Set<string>();
  for (const name of [undefined, 'crun', 'runc']) {
    try {
      dirs.add(ctx.runtime(name).driver.stateDir);
    } catch {
      continue; // not installed
    }
  }
  return [...dirs];
}

/** Every leftover of builds in this store, with the process it belongs to. */
export async function buildLeftovers(ctx: EngineContext): Promise<Leftover[]> {
  const out: Leftover[] = [];
  const add = (kind: Leftover['kind'], name: string, ownerName = basename(name)) => {
    const owner = ownerOf(ownerName);
    if (owner !== undefined) out.push({ kind, name, owner });
  };
  const steps = new Set<string>();
  const tmpDir = join(ctx.paths.root, 'build-tmp');
  for (const name of await list(tmpDir)) {
    if (name.startsWith('build-')) {
      steps.add(name);
      add('step container', name);
    } else add('build directory', join(tmpDir, name));
    for (const m of await mountsUnder(join(tmpDir, name))) add('mount', m, name);
  }
  for (const stateDir of runtimeStateDirs(ctx)) {
    for (const name of await list(stateDir)) {
      if (name.startsWith('build-') && !steps.has(name)) {
        steps.add(name);
        add('step container', name);
      }
    }
  }
  // A step's network on the bridge (services/build-network.ts): its bundle's network.json names
  // the veth, firewall rules and lease; its namespace or lease alone if a clean-up died half-way.
  const netnsDir = dirname(ctx.networkDriver.namespacePath('step'));
  const leased = ctx.networks.list().flatMap((n) => Object.values(ctx.networks.leases(n.id)));
  const described = [...steps].filter((name) => existsSync(join(tmpDir, name, 'network.json')));
  for (const name of new Set([...described, ...(await list(netnsDir)), ...leased])) {
    if (name.startsWith('build-')) add('step network', name);
  }
  // Cgroups are host-wide (other stores, other pid namespaces have theirs): only this store's steps
  // (none: no hierarchy to read, which every build, cached or not, would pay for).
  const scopes = steps.size === 0 ? [] : ctx.cgroups.list().map((s) => basename(s)).filter((n) => steps.has(n));
  for (const name of new Set(scopes)) add('cgroup scope', ctx.cgroups.scopePath(name), name);
  const mountsDir = join(ctx.paths.root, 'build-mounts');
  for (const name of await list(mountsDir)) {
    const mounted = await mountsUnder(join(mountsDir, name));
    for (const m of mounted) add('mount', m, name);
    if (mounted.length === 0) add('build directory', join(mountsDir, name));
  }
  for (const info of await ctx.snapshots.walk({ keyPrefix: 'build-' })) {
    if (info.kind !== 'committed' && info.key.startsWith('build-')) add('snapshot', info.key);
  }
  return out;
}

/** Removes a step's cgroup scope; one that still holds processes (EBUSY) stays, for a later prune. */
function removeScope(ctx: EngineContext, id: string): boolean {
  try {
    ctx.cgroups.remove(id);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EBUSY') return false;
    throw err;
  }
}

/** A dead build's step container: gone from the runtime (which kills what still runs in it) and the cgroups. */
async function removeStepContainer(ctx: EngineContext, id: string): Promise<void> {
  const runtime = await ignoreErrno(['ENOENT'], () => readFile(join(ctx.paths.root, 'build-tmp', id, 'runtime'), 'utf8'), '');
  for (const name of runtime === '' ? [undefined, 'crun', 'runc'] : [runtime]) {
    try {
      await ctx.runtime(name).driver.delete(id, { force: true });
    } catch (err) {
      if (!isNotFound(err) && runtime !== '') throw err;
    }
  }
  removeScope(ctx, id);
}

/**
 * Removes what dead builds left behind and returns it. Cheap when there is nothing: directory
 * listings, the cgroup scopes and a snapshot walk.
 */
export async function recoverStaleBuilds(ctx: EngineContext): Promise<Leftover[]> {
  const dead = (await buildLeftovers(ctx)).filter((l) => l.owner?.alive === false);
  const of = (kind: Leftover['kind']) => dead.filter((l) => l.kind === kind);
  const removed: Leftover[] = [];
  const mountsDir = join(ctx.paths.root, 'build-mounts');
  // Step containers first: `delete --force` kills what still runs in them.
  for (const l of of('step container')) {
    await removeStepContainer(ctx, l.name);
    removed.push(l);
  }
  // Then their networks (veth, firewall rules, lease, namespace), before their bundles go.
  for (const l of of('step network')) {
    const problems = await disconnectBuildStep(ctx, l.name, join(ctx.paths.root, 'build-tmp', l.name));
    if (problems.length > 0) ctx.warn(`removing the network of build step ${l.name}: ${problems.map((p) => (p as Error).message).join('; ')}`);
    else removed.push(l);
  }
  for (const l of of('mount')) {
    await unmountAll(l.name);
    if (l.name.startsWith(`${mountsDir}/`)) await rmdir(l.name).catch(() => undefined);
    removed.push(l);
  }
  for (const l of of('step container')) await rm(join(ctx.paths.root, 'build-tmp', l.name), { recursive: true, force: true });
  for (const l of of('build directory')) {
    if (l.name.startsWith(`${mountsDir}/`)) await rmdir(l.name).catch(() => undefined);
    else await rm(l.name, { recursive: true, force: true });
    removed.push(l);
  }
  for (const l of of('cgroup scope')) if (removeScope(ctx, basename(l.name))) removed.push(l);
  // Step snapshots of dead builds, whether or not anything else of theirs was left.
  for (const l of of('snapshot')) {
    await ctx.snapshots.remove(l.name).catch(() => undefined);
    removed.push(l);
  }
  return removed;
}
