/**
 * Volume routes: list, inspect, create, remove, prune (Docker's local driver). Messages are
 * dockerd's: `get NAME: no such volume` (404), `remove NAME: volume is in use - [ID]` (409).
 * Prune follows the API version asked for: before 1.42 (docker 20.10) every unused volume goes;
 * from 1.42 only anonymous ones, unless the filter `all=true`.
 */
import { errors, isNotFound } from '../../base/index.js';
import type { VolumeInfo } from '../../api/index.js';
import { splitFilters, volumeInspectView } from '../../api/index.js';
import type { Router } from '../router.js';

interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  ClusterVolumeSpec?: unknown;
}

/** dockerd's 404 for a volume it cannot find. */
function noSuchVolume(name: string) {
  return errors.notFound('VOLUME_NOT_FOUND', `get ${name}: no such volume`);
}

async function orNoSuchVolume<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) throw noSuchVolume(name);
    throw err;
  }
}

export function addVolumeRoutes(router: Router): void {
  router.add('GET', '/volumes', async (call) => {
    const volumes = await call.engine.volumes.list({ filters: call.filters() });
    call.send(200, { Volumes: volumes.map(volumeInspectView), Warnings: null });
  });

  router.add('POST', '/volumes/create', async (call) => {
    const body = await call.json<VolumeCreateBody>({});
    if (body.ClusterVolumeSpec !== undefined && body.ClusterVolumeSpec !== null) {
      throw errors.invalidArgument('CLUSTER_VOLUME_UNSUPPORTED', 'ClusterVolumeSpec is not supported by berth: cluster volumes are for swarm');
    }
    const volume: VolumeInfo = await call.engine.volumes.create({
      ...(body.Name ? { name: body.Name } : {}),
      ...(body.Driver ? { driver: body.Driver } : {}),
      labels: body.Labels ?? {},
      options: body.DriverOpts ?? {},
    });
    call.send(201, volumeInspectView(volume));
  });

  router.add('POST', '/volumes/prune', async (call) => {
    const filters = splitFilters(call.filters(), ['label', 'label!', 'all']);
    let all = call.version < 142;
    const rest: string[] = [];
    for (const f of filters) {
      if (f.key === 'all') {
        if (call.version < 142) throw errors.invalidArgument('INVALID_FILTER', "Invalid filter 'all'");
        all = ['true', '1'].includes(f.value.toLowerCase());
      } else rest.push(`${f.key}${f.negated ? '!=' : '='}${f.value}`);
    }
    const { removed, reclaimedBytes } = await call.engine.volumes.prune({ all, filters: rest });
    call.send(200, { VolumesDeleted: removed.length > 0 ? removed : null, SpaceReclaimed: reclaimedBytes });
  });

  router.add('GET', '/volumes/{name}', async (call) => {
    const name = call.params.name!;
    call.send(200, volumeInspectView(await orNoSuchVolume(name, () => call.engine.volumes.inspect(name))));
  });

  router.add('DELETE', '/volumes/{name}', async (call) => {
    const name = call.params.name!;
    await orNoSuchVolume(name, () => call.engine.volumes.remove(name, { force: call.bool('force') }));
    call.empty(204);
  });
}
