/**
 * The remote engine: berth's Engine interface over the Docker Engine API, so that `berth --host
 * unix:///run/berth/berth.sock ps` (or BERTH_HOST) runs the CLI's commands against a berth daemon
 * (or any dockerd) with the same views as against a local store. What only a local store has
 * (`system check`, `system prune`, `image bootstrap`, the monitors' hidden commands) is a
 * NotImplemented BERTH_E_REMOTE_UNSUPPORTED naming the command.
 */
import type { Engine } from '../api/index.js';
import { DockerApi } from './docker-api.js';
import { remoteContainers } from './remote-containers.js';
import { remoteImages } from './remote-images.js';
import { remoteNetworks, remoteVolumes } from './remote-objects.js';
import { remoteSystem } from './remote-system.js';
import type { RemoteOptions } from './remote-target.js';
import { resolveEndpoint } from './remote-target.js';
import { unsupportedFor } from './unsupported.js';
import type { RemoteDeletions } from './remote-images.js';

/** Opens nothing yet: the first call connects (and negotiates the API version). */
export function openRemoteEngine(options: RemoteOptions): Engine {
  const endpoint = resolveEndpoint(options);
  const api = new DockerApi(endpoint);
  const unsupported = unsupportedFor(endpoint.display);
  /**
   * Image ids a removal deleted, reported by the next `gc` (what `rmi` prints as `Deleted:`), and
   * the bytes an image prune said it reclaimed (`image prune`'s and `system prune`'s total).
   */
  const deleted: RemoteDeletions = { ids: [], bytes: 0 };
  let memTotal: Promise<number> | undefined;
  const hostMemory = () => (memTotal ??= api.json<{ MemTotal: number }>('GET', '/info').then((i) => i.MemTotal));
  return {
    containers: remoteContainers(api, unsupported, hostMemory),
    images: remoteImages(api, unsupported, deleted),
    volumes: remoteVolumes(api),
    networks: remoteNetworks(api),
    system: remoteSystem(api, unsupported, deleted),
    close: () => api.close(),
  };
}
