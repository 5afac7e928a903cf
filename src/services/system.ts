import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Digest } from '../base/index.js';
import { ignoreErrno, openFilesUnder } from '../base/index.js';
import { isMounted } from '../core/mount/index.js';
import type { Leftover, SystemEngine } from '../api/index.js';
import { isSupervisedStatus, supervisorAlive } from '../core/containers/index.js';
import { reconcile } from './container-monitor.js';
import type { EngineContext } from './engine-context.js';
import { removeStaleTemporaryMounts, staleTemporaryMounts } from './temporary-mounts.js';
import { networkLeftovers, reclaimNetworkLeftovers } from './network-leftovers.js';
import { pruneBuildCache } from './build-cache-prune.js';
import { busy, collectUnreferenced, reachable } from './collect.js';
import { DiskCounter } from './system-df.js';

/** The store's checks and collection; events, df and info are added by the engine (engine.ts). */
export type SystemService = Omit<SystemEngine, 'events' | 'facts' | 'df'>;


/** Bytes under the directories a build's leftovers live in (measured around their removal). */
function buildWorkBytes(ctx: EngineContext): number {
  const counter = new DiskCounter();
  return ['build-tmp', 'build-mounts', 'container-mounts'].reduce((t, d) => t + counter.du(join(ctx.paths.root, d)), 0);
}

export function createSystemService(ctx: EngineContext, verifyBlob: (digest: Digest) => Promise<boolean>): SystemService {
  return {
    async check({ verifyContent = true } = {}) {
      const problems: string[] = [];
      const reclaimable: string[] = [];
      const { blobs, snapshots } = await reachable(ctx, problems);
      for (const digest of blobs) {
        if (!(await ctx.content.has(digest as Digest))) problems.push(`blob "${digest}" is referenced but missing`);
        else if (verifyContent && !(await verifyBlob(digest as Digest))) problems.push(`blob "${digest}" does not match its digest`);
      }
      const existing = new Map((await ctx.snapshots.walk()).map((s) => [s.key, s]));
      // A container whose removal was interrupted (`removing`, or `dead` once reconciled) may have lost its root already: rm or prune finishes it.
      const removing = new Map(ctx.metadata.listContainers().filter((c) => c.state.status === 'removing' || c.state.status === 'dead').map((c) => [c.snapshotKey, c]));
      for (const key of snapshots) {
        // Image layers are unpacked lazily, so a missing layer snapshot is not a problem; a missing container root is.
        if (existing.has(key) || !key.startsWith('container-')) continue;
        const half = removing.get(key);
        if (half) reclaimable.push(`container "${half.name}" whose removal was interrupted (berth rm or berth system prune finishes it)`);
        else problems.push(`snapshot "${key}" of a container is missing`);
      }
      for (const [key, info] of existing) {
        // A build's step snapshot is reported with its owner by the builder (builder/recover-stale.ts).
        if (!snapshots.has(key) && !(info.kind === 'active' && key.startsWith('build-'))) reclaimable.push(`snapshot "${key}"`);
      }
      for await (const info of ctx.content.walk()) if (!blobs.has(info.digest)) reclaimable.push(`blob "${info.digest}"`);
      for (const dir of await ctx.snapshots.orphans()) reclaimable.push(`directory "${dir}"`);
      const mountinfo = await ignoreErrno(['ENOENT'], () => readFile('/proc/self/mountinfo', 'utf8'), '');
      const containers = ctx.metadata.listContainers();
      for (const c of containers) {
        if (c.state.status === 'running' && !supervisorAlive(c)) {
          reclaimable.push(`container "${c.name}" whose berth run was killed (remove it with berth rm -f)`);
        }
        if (c.state.status !== 'running' && isMounted(`${ctx.paths.containers}/${c.id}/rootfs`, mountinfo)) {
          reclaimable.push(`mount of stopped container "${c.name}"`);
        }
      }
      // Scopes are host-wide (other stores have theirs): look only at this store's containers.
      const stopped = new Set(containers.filter((c) => !(c.state.status === 'running' || c.state.status === 'paused') || !supervisorAlive(c)).map((c) => c.id));
      for (const scope of ctx.cgroups.list()) {
        if (stopped.has(scope.split('/').pop() ?? '')) reclaimable.push(`cgroup scope "${scope}" of a stopped container`);
      }
      reclaimable.push(...networkLeftovers(ctx));
      reclaimable.push(...staleTemporaryMounts(ctx).map((dir) => `temporary mount "${dir}" of a killed cp, export, diff or commit`));
      const leftovers: Leftover[] = [];
      const open = openFilesUnder(ctx.paths.root);
      for (const ingest of await ctx.content.ingests()) {
        const pid = open.get(ingest.path);
        leftovers.push({ kind: 'ingest', name: ingest.path, ...(pid !== undefined ? { owner: { pid, alive: true } } : {}) });
      }
      if (ctx.builder) leftovers.push(...(await (await ctx.builder()).leftovers(ctx)));
      return { consistent: problems.length === 0, problems, reclaimable, leftovers };
    },
    async gc() {
      const lease = ctx.leases.tryCollect();
      if (!lease) return { removed: [], leftovers: [], spaceReclaimed: 0, skipped: busy };
      try {
        const workBefore = buildWorkBytes(ctx);
        // Dead builds' work first: their step snapshots hold parents the collection would keep.
        const stale = ctx.builder ? await (await ctx.builder()).recoverStale(ctx) : [];
        // Containers whose monitor died are cleaned up as their monitor would have; then what networking is left.
        for (const c of ctx.metadata.listContainers()) if (isSupervisedStatus(c.state.status) && !supervisorAlive(c)) await reconcile(ctx, c);
        const network = await reclaimNetworkLeftovers(ctx);
        // Before the collection: a killed cp's mount holds its container's snapshot.
        const mounts = await removeStaleTemporaryMounts(ctx);
        const work = Math.max(0, workBefore - buildWorkBytes(ctx));
        const collected = await collectUnreferenced(ctx);
        const leftovers = [...stale.map((l) => `${l.kind} ${JSON.stringify(l.name)}`), ...network, ...mounts];
        return { removed: [...leftovers, ...collected.removed], leftovers, spaceReclaimed: work + collected.bytes };
      } finally {
        lease.release();
      }
    },
    pruneBuildCache: (options) => pruneBuildCache(ctx, options),
  };
}
