import type { ResolvedImage } from '../core/images/index.js';
import type { ImageHostFacts } from './container-host-facts.js';
import { dockerConfigView } from './docker-config-view.js';

/**
 * An image in the shape of dockerd's `image inspect` (Engine API 1.41, as dockerd 20.10 serves it):
 * every key in its order, Config and ContainerConfig with Docker's nulls (an imported image has
 * an empty ContainerConfig), Size and VirtualSize alike (`size`: the engine's image size). Berth
 * adds ManifestDigest, the digest of the manifest it stores. `facts` are the engine's (its
 * unpacked layers, its last tag time); without them GraphDriver.Data is null.
 */
export function imageInspectView(image: ResolvedImage, names: readonly string[], digests: readonly string[] = [], size?: number, facts?: ImageHostFacts) {
  const c = image.config as typeof image.config & { parent?: string; container?: string; container_config?: Parameters<typeof dockerConfigView>[0]; docker_version?: string };
  const bytes = size ?? image.manifest.layers.reduce((s, l) => s + l.size, 0);
  return {
    Id: image.id,
    RepoTags: [...names],
    RepoDigests: [...digests],
    Parent: c.parent ?? '',
    // Docker's image comment is its last history entry's (the `commit -m` or `import -m` message).
    Comment: image.config.history?.at(-1)?.comment ?? '',
    Created: image.config.created,
    Container: c.container ?? '',
    ContainerConfig: dockerConfigView(c.container_config),
    DockerVersion: c.docker_version ?? '',
    Author: image.config.author ?? '',
    Config: dockerConfigView(image.config.config),
    Architecture: image.config.architecture,
    ...(image.config.variant ? { Variant: image.config.variant } : {}),
    Os: image.config.os,
    Size: bytes,
    VirtualSize: bytes,
    GraphDriver: { Data: facts?.graphDriver ?? null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
    Metadata: { LastTagTime: facts?.lastTagTime ?? '0001-01-01T00:00:00Z' },
    ManifestDigest: image.manifestDescriptor.digest,
  };
}
