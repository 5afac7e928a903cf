import type { ResolvedImage } from '../core/images/index.js';

/** An image in the shape of Docker's `image inspect` output (the fields berth has). */
export function imageInspectView(image: ResolvedImage, names: readonly string[], digests: readonly string[] = []) {
  return {
    Id: image.id,
    RepoTags: [...names],
    RepoDigests: [...digests],
    Created: image.config.created,
    // Docker's image comment is its last history entry's (the `commit -m` or `import -m` message).
    Comment: image.config.history?.at(-1)?.comment ?? '',
    Author: image.config.author ?? '',
    Architecture: image.config.architecture,
    Os: image.config.os,
    Config: image.config.config,
    RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
    Size: image.manifest.layers.reduce((s, l) => s + l.size, 0),
    ManifestDigest: image.manifestDescriptor.digest,
  };
}
