import { readFile } from 'node:fs/promises';

import type { Digest } from '../base/index.js';
import { ignoreErrno, openFilesUnder } from '../base/index.js';
import { isMounted } from '../core/mount/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { chainIds, resolveImage } from '../core/images/index.js';
import type { Leftover, SystemEngine } from '../api/index.js';
import { supervisorAlive } from '../core/containers/index.js';
import { reconcile } from './container-monitor.js';
import type { EngineContext } from './engine-context.js';
import { removeStaleTemporaryMounts, staleTemporaryMounts } from './temporary-mounts.js';
import { networkLeftovers, reclaimNetworkLeftovers } from './network-leftovers.js';

/** The store's checks and collection; events, df and info are added by the engine (engine.ts). */
export type SystemService = Omit<SystemEngine, 'events' | 'facts' | 'df'>;


export function createSystemService(ctx: EngineContext, verifyBlob: (digest: Digest) => Promise<boolean>): SystemService {
  /** The collection itself; the caller holds the collector's lease. */
  async function collect(): Promise<string[]> {
    const removed: string[] = [];
    const { blobs, snapshots } = await reachable([]);
    // Remove leaf-first: a snapshot with children cannot go before them.
    let progress = true;
    while (progress) {
      progress = false;
      const all = await ctx.snapshots.walk();
      const parents = new Set(all.map((s) => s.parent).filter((p) => p !== undefined));
      for (const info of all) {
        if (snapshots.has(info.key) || parents.has(info.key)) continue;
        // Defence in depth for work that holds no lease: a young active snapshot may be in use.
        if (info.kind === 'active' && Date.now() - info.created < 10 * 60_000) continue;
        await ctx.snapshots.remove(info.key);
        removed.push(`snapshot ${info.key}`);
        progress = true;
      }
    }
    for await (const info of ctx.content.walk()) {
      if (!blobs.has(info.digest)) {
        await ctx.content.delete(info.digest);
        // A layer's compressed forms are worth knowing only while the layer is stored.
        ctx.metadata.deleteCompressedLayers(info.digest);
        removed.push(`blob ${info.digest}`);
      }
    }
    const dirs = await ctx.snapshots.cleanup();
    if (dirs > 0) removed.push(`${dirs} orphan snapshot directories`);
    // Writers hold the lease this collection holds exclusively; a file still held open is kept anyway.
    const open = openFilesUnder(ctx.paths.root);
    const ingests = await ctx.content.cleanIngests(0, (path) => open.has(path));
    if (ingests > 0) removed.push(`${ingests} abandoned uploads`);
    return removed;
  }

  /** Everything reachable from image names, containers and the build cache: blobs and snapshot keys. */
  async function reachable(problems: string[]) {
    const blobs = new Set<string>(ctx.builder ? await (await ctx.builder()).cacheRoots(ctx.paths.root) : []);
    const snapshots = new Set<string>();
    for (const record of ctx.metadata.listImages()) {
      let image: ResolvedImage;
      try {
        image = await resolveImage(ctx.content, record.target);
      } catch (err) {
        problems.push(`image "${record.name}": ${(err as Error).message}`);
        continue;
      }
      blobs.add(record.target.digest).add(image.manifest.config.digest);
      image.manifest.layers.forEach((l) => blobs.add(l.digest));
      chainIds(image.config.rootfs.diff_ids).forEach((c) => snapshots.add(c));
    }
    for (const container of ctx.metadata.listContainers()) snapshots.add(container.snapshotKey);
    // A snapshot's parents are reachable when it is.
    for (const info of await ctx.snapshots.walk()) {
      if (snapshots.has(info.key) && info.parent) snapshots.add(info.parent);
    }
    return { blobs, snapshots };
  }

  return {
    async check({ verifyContent = true } = {}) {
      const problems: string[] = [];
      const reclaimable: string[] = [];
      const { blobs, snapshots } = await reachable(problems);
      for (const digest of blobs) {
        if (!(await ctx.content.has(digest as Digest))) problems.push(`blob "${digest}" is referenced but missing`);
        else if (verifyContent && !(await verifyBlob(digest as Digest))) problems.push(`blob "${digest}" does not match its digest`);
      }
      const existing = new Map((await ctx.snapshots.walk()).map((s) => [s.key, s]));
      for (const key of snapshots) {
        // Image layers are unpacked lazily, so a missing layer snapshot is not a problem; a missing container root is.
        if (!existing.has(key) && key.startsWith('container-')) problems.push(`snapshot "${key}" of a container is missing`);
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
      if (!lease) return { removed: [], skipped: 'a berth process (this one or another) is importing, building or creating a container' };
      try {
        // Dead builds' work first: their step snapshots hold parents the collection would keep.
        const stale = ctx.builder ? await (await ctx.builder()).recoverStale(ctx) : [];
        // Containers whose monitor died are cleaned up as their monitor would have; then what networking is left.
        for (const c of ctx.metadata.listContainers()) if (['running', 'paused', 'restarting'].includes(c.state.status) && !supervisorAlive(c)) await reconcile(ctx, c);
        const network = await reclaimNetworkLeftovers(ctx);
        // Before the collection: a killed cp's mount holds its container's snapshot.
        const mounts = await removeStaleTemporaryMounts(ctx);
        return { removed: [...stale.map((l) => `${l.kind} ${JSON.stringify(l.name)}`), ...network, ...mounts, ...(await collect())] };
      } finally {
        lease.release();
      }
    },
  };
}
