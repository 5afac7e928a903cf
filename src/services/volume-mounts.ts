/**
 * A container's mounts at create and start: binds, tmpfs and volumes as dockerd 20.10 sets them
 * up. At create (container-lifecycle.ts createContainer):
 *
 *   planMounts        the user's mounts (`-v`, `--mount`, `--tmpfs`; a duplicate target is
 *                     Docker's "Duplicate mount point"), then those of `--volumes-from`
 *                     containers, then an anonymous volume for each image VOLUME no mount covers;
 *                     bind sources checked (or made, for `-v`), anonymous volumes named
 *   provisionVolumes  creates the volumes and seeds each empty one from the image's content at
 *                     its target (Docker's copy-up; not for nocopy or --volumes-from mounts)
 *   recordContainer   writes the record under the metadata lock after checking every volume is
 *                     still there, so `volume rm`/`prune` (same lock) cannot remove one meanwhile
 *
 * and at start (prepareBundle) `ociMounts` turns them into the runtime's mounts, parents first.
 * `rm -v` and `run --rm` call removeAnonymousVolumes.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

import { errors, isNotFound, newId } from '../base/index.js';
import type { ContainerRecord, HostConfig, MountSpec } from '../core/containers/index.js';
import { mountAll, unmountAll } from '../core/mount/index.js';
import { cleanTarget, parseVolumesFrom, validateVolumeName, validateVolumeOptions } from '../core/volumes/index.js';
import type { ImageRuntimeConfig, Mount as OciMount } from '../oci/index.js';
import type { EngineContext } from './engine-context.js';
import { volumeUsers } from './volumes.js';

const invalid = (message: string) => errors.invalidArgument('INVALID_MOUNT', message);

/** The container's mounts, complete and checked (see the file comment); throws before anything is made. */
export function planMounts(ctx: EngineContext, imageConfig: ImageRuntimeConfig, host: HostConfig): MountSpec[] {
  const byTarget = new Map<string, MountSpec>();
  const out: MountSpec[] = [];
  for (const m of host.binds) {
    const key = cleanTarget(m.target);
    const earlier = byTarget.get(key);
    if (earlier !== undefined) {
      if (JSON.stringify(earlier) === JSON.stringify(m)) continue; // `-v a:/x -v a:/x` is one mount, as in dockerd
      throw invalid(`Duplicate mount point: ${key}`);
    }
    byTarget.set(key, m);
    out.push({ ...m });
  }
  for (const m of out) {
    if (m.type === 'bind') checkBindSource(m);
    if (m.type === 'volume' && m.source !== '') {
      validateVolumeName(m.source);
      validateVolumeOptions(m.source, m.volumeOptions ?? {});
    }
  }
  for (const spec of host.volumesFrom ?? []) {
    const { container, readonly } = parseVolumesFrom(spec);
    const from = ctx.metadata.findContainer(container);
    for (const m of from.hostConfig.binds) {
      const key = cleanTarget(m.target);
      if (m.type === 'tmpfs' || byTarget.has(key)) continue;
      const shared: MountSpec = { ...m, readonly: readonly ?? m.readonly };
      delete shared.createHostPath;
      delete shared.volumeLabels;
      delete shared.volumeOptions;
      if (shared.type === 'volume') shared.noCopy = true; // dockerd copies no image content into a shared volume
      byTarget.set(key, shared);
      out.push(shared);
    }
  }
  for (const path of Object.keys(imageConfig.Volumes ?? {})) {
    const key = cleanTarget(path);
    if (byTarget.has(key) || key === '/') continue;
    const m: MountSpec = { type: 'volume', source: '', target: key, readonly: false, anonymous: true };
    byTarget.set(key, m);
    out.push(m);
  }
  for (const m of out) if (m.type === 'volume' && m.source === '') m.source = newId();
  return out;
}

/** A bind's source: made when `-v` names a missing directory, else it must exist; propagation checked against the host's mount. */
function checkBindSource(m: MountSpec): void {
  if (m.createHostPath) mkdirSync(m.source, { recursive: true });
  else if (!existsSync(m.source)) throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
  const propagation = m.propagation ?? '';
  if (!['shared', 'rshared', 'slave', 'rslave'].includes(propagation)) return;
  const { mountPoint, optional } = hostMountOf(realpathSync(m.source));
  const shared = optional.some((o) => o.startsWith('shared:'));
  const slave = optional.some((o) => o.startsWith('master:'));
  if (propagation.endsWith('shared') && !shared) {
    throw invalid(`path ${m.source} is mounted on ${mountPoint} but it is not a shared mount`);
  }
  if (propagation.endsWith('slave') && !shared && !slave) {
    throw invalid(`path ${m.source} is mounted on ${mountPoint} but it is not a shared or slave mount`);
  }
}

/** The host mount holding `path` (the longest mount point that is a prefix) and its optional fields. */
function hostMountOf(path: string): { mountPoint: string; optional: string[] } {
  let best = { mountPoint: '/', optional: [] as string[] };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const mountPoint = (fields[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (!mountPoint || !(path === mountPoint || path.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`))) continue;
    if (mountPoint.length >= best.mountPoint.length) {
      const end = fields.indexOf('-');
      best = { mountPoint, optional: fields.slice(6, end < 0 ? undefined : end) };
    }
  }
  return best;
}

/**
 * Creates the record's volumes and seeds the empty ones from the image (the container's root,
 * mounted for the copy at `<container dir>/rootfs`). Returns the anonymous volumes it created,
 * which `discardVolumes` removes when the create fails later; on its own failure it removes them.
 */
export async function provisionVolumes(ctx: EngineContext, record: ContainerRecord, containerDir: string): Promise<string[]> {
  const volumes = record.hostConfig.binds.filter((m) => m.type === 'volume');
  if (volumes.length === 0) return [];
  const created: string[] = [];
  try {
    for (const m of volumes) {
      const result = ctx.volumes.create(m.source, {
        anonymous: m.anonymous === true, ...(m.volumeLabels ? { labels: m.volumeLabels } : {}), ...(m.volumeOptions ? { options: m.volumeOptions } : {}),
      });
      if (result.created && m.anonymous) created.push(m.source);
    }
    const seeding = volumes.filter((m) => !m.noCopy);
    if (seeding.length > 0) {
      const rootfs = join(containerDir, 'rootfs');
      mkdirSync(rootfs, { recursive: true });
      mountAll(await ctx.snapshots.mounts(record.snapshotKey), rootfs);
      try {
        for (const m of seeding) ctx.volumes.populate(m.source, rootfs, m.target);
      } finally {
        await unmountAll(rootfs);
      }
    }
  } catch (err) {
    discardVolumes(ctx, created);
    throw err;
  }
  return created;
}

/** Writes a new container's record once its volumes are known to exist, under the metadata lock. */
export function recordContainer(ctx: EngineContext, record: ContainerRecord): void {
  const volumes = record.hostConfig.binds.filter((m) => m.type === 'volume');
  if (volumes.length === 0) {
    ctx.metadata.createContainer(record);
    return;
  }
  ctx.metadata.transaction(() => {
    for (const m of volumes) {
      if (!ctx.volumes.get(m.source)) {
        throw errors.aborted('VOLUME_REMOVED', `Cannot create container "${record.name}": volume "${m.source}" was removed while the container was being created`);
      }
    }
    ctx.metadata.createContainer(record);
  });
}

/** Removes volumes a failed create made (they were never in a record). */
export function discardVolumes(ctx: EngineContext, names: readonly string[]): void {
  for (const name of names) {
    try {
      ctx.volumes.remove(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/**
 * `rm -v`, `run --rm`: removes the container's anonymous volumes that no other container uses
 * (one shared through --volumes-from stays, without an error, as in dockerd). Call after the
 * container's record is gone.
 */
export function removeAnonymousVolumes(ctx: EngineContext, record: ContainerRecord): void {
  const anonymous = record.hostConfig.binds.filter((m) => m.type === 'volume' && m.anonymous);
  if (anonymous.length === 0) return;
  ctx.metadata.transaction(() => {
    const users = volumeUsers(ctx.metadata.listContainers());
    for (const m of anonymous) {
      if ((users.get(m.source) ?? []).some((id) => id !== record.id)) continue;
      try {
        ctx.volumes.remove(m.source);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  });
}

/** The runtime's mounts for the container's binds, tmpfs and volumes, parents before children. */
export function ociMounts(ctx: EngineContext, binds: readonly MountSpec[]): OciMount[] {
  const depth = (m: MountSpec) => cleanTarget(m.target).split('/').length;
  return [...binds].sort((a, b) => depth(a) - depth(b)).map((m) => {
    if (m.type === 'tmpfs') {
      return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.options?.length ? m.options : ['mode=1777'])] };
    }
    const source = m.type === 'volume' ? ctx.volumes.source(m.source) : m.source;
    return { destination: m.target, type: 'bind', source, options: ['rbind', m.readonly ? 'ro' : 'rw', m.propagation ?? 'rprivate'] };
  });
}
