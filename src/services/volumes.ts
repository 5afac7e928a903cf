/**
 * The volume service: Docker's `volume create/ls/inspect/rm/prune` over the VolumeStore, with the
 * one question the store cannot answer, whether a container uses a volume. That question and
 * every removal are asked and done under the metadata store's lock, and a container's record is
 * written under the same lock once its volumes are checked (volume-mounts.ts recordContainer), so
 * a volume can never be removed from under a container being created.
 */
import { errors, newId } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { matchesVolumeFilters, parseVolumeFilters } from '../core/volumes/index.js';
import type { VolumeEngine } from '../api/index.js';
import type { EngineContext } from './engine-context.js';

export type VolumeService = VolumeEngine;

/** Volume name → ids of the containers (any state) whose mounts name it. */
export function volumeUsers(containers: readonly ContainerRecord[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const c of containers) {
    for (const m of c.hostConfig.binds) {
      if (m.type !== 'volume') continue;
      const list = users.get(m.source) ?? [];
      if (!list.includes(c.id)) list.push(c.id);
      users.set(m.source, list);
    }
  }
  return users;
}

/** Removes a volume no container uses; call under the metadata lock. */
export function removeUnusedVolume(ctx: EngineContext, name: string): void {
  const users = volumeUsers(ctx.metadata.listContainers()).get(name) ?? [];
  if (users.length > 0) throw errors.failedPrecondition('VOLUME_IN_USE', `remove ${name}: volume is in use - [${users.join(' ')}]`);
  ctx.volumes.remove(name);
}

export function createVolumeService(ctx: EngineContext): VolumeService {
  return {
    async create({ name, driver = 'local', labels = {}, options = {} } = {}) {
      const volumeName = name === undefined || name === '' ? newId() : name;
      if (driver !== 'local') {
        throw errors.notFound('VOLUME_DRIVER_NOT_FOUND', `create ${volumeName}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      }
      return ctx.volumes.create(volumeName, { labels, options }).volume;
    },
    async inspect(name) {
      const volume = ctx.volumes.get(name);
      if (!volume) throw errors.notFound('VOLUME_NOT_FOUND', `No such volume: ${name}`);
      return volume;
    },
    async list({ filters = [] } = {}) {
      const parsed = parseVolumeFilters(filters, ['name', 'label', 'dangling', 'driver']);
      const users = parsed.dangling === undefined ? new Map<string, string[]>() : volumeUsers(ctx.metadata.listContainers());
      return ctx.volumes.list().filter((v) => matchesVolumeFilters(v, parsed, users.has(v.name)));
    },
    async remove(name, { force = false } = {}) {
      ctx.metadata.transaction(() => {
        if (!ctx.volumes.get(name)) {
          if (force) return;
          throw errors.notFound('VOLUME_NOT_FOUND', `No such volume: ${name}`);
        }
        removeUnusedVolume(ctx, name);
      });
    },
    async prune({ all = false, filters = [] } = {}) {
      const parsed = parseVolumeFilters(filters, ['label', 'label!']);
      return ctx.metadata.transaction(() => {
        const users = volumeUsers(ctx.metadata.listContainers());
        const removed: string[] = [];
        let reclaimedBytes = 0;
        for (const volume of ctx.volumes.list()) {
          if (users.has(volume.name) || (!all && !volume.anonymous) || !matchesVolumeFilters(volume, parsed, false)) continue;
          const size = ctx.volumes.size(volume.name);
          ctx.volumes.remove(volume.name);
          removed.push(volume.name);
          reclaimedBytes += size;
        }
        return { removed, reclaimedBytes };
      });
    },
    async usedBy(name) {
      return volumeUsers(ctx.metadata.listContainers()).get(name) ?? [];
    },
  };
}
