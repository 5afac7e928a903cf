import { createHash } from 'node:crypto';

import type { Digest } from '../../base/index.js';
import type { Descriptor, ImageConfig, Manifest } from '../../oci/index.js';
import type { ContentStore } from '../content/index.js';
import { readJson } from '../content/index.js';
import { validateConfig, validateManifest } from './validate-image.js';

/**
 * An image record: a name pointing at a manifest in the content store. Several names may point
 * at one manifest. The image id shown to users is the config digest, as Docker shows it.
 */
export interface ImageRecord {
  /** Full normalised reference, `docker.io/library/busybox:latest`. */
  name: string;
  target: Descriptor;
  /** The config digest (Docker's image id). */
  id: Digest;
  createdAt: number;
  updatedAt: number;
}

/** A resolved image: its manifest and config read from the content store. */
export interface ResolvedImage {
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  config: ImageConfig;
  id: Digest;
}

/** Errors: dataLoss BLOB_NOT_JSON, IMAGE_MANIFEST_INVALID, IMAGE_CONFIG_INVALID; the content store's notFound. */
export async function resolveImage(content: ContentStore, target: Descriptor): Promise<ResolvedImage> {
  const manifest: Manifest = validateManifest(await readJson<unknown>(content, target.digest), target.digest);
  const config: ImageConfig = validateConfig(await readJson<unknown>(content, manifest.config.digest), manifest.config.digest, manifest);
  return { manifestDescriptor: target, manifest, config, id: manifest.config.digest };
}

/**
 * Chain ids name a stack of layers: chain(L1) = diffId(L1), chain(L1..Ln) =
 * sha256(chain(L1..Ln-1) + " " + diffId(Ln)). They key the unpacked layer snapshots, so a layer
 * stack shared by two images is unpacked once.
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const previous = out[out.length - 1];
    out.push(previous === undefined ? diffId : `sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}`);
  }
  return out;
}
