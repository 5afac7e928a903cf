/**
 * What a name resolves to in its registry (the Engine API's `/distribution/{name}/json`, which
 * `docker service create` and `docker manifest` style tools read): the manifest or index
 * descriptor, and the platforms it serves. Only the manifest is fetched, and for a single
 * manifest its (small) config, to tell its platform.
 */
import type { Digest, Operation } from '../base/index.js';
import { errors } from '../base/index.js';
import type { ImageConfig, ImageIndex, Manifest } from '../oci/index.js';
import { isIndexMediaType, parseReference } from '../oci/index.js';
import type { DistributionInfo, RegistryCredentials } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { client } from './distribution.js';

const maxConfigSize = 8 << 20;

function parse<T>(data: Buffer, what: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw errors.dataLoss('MANIFEST_INVALID', `Cannot read ${what}: not valid JSON`, { cause: err });
  }
}

export async function inspectDistribution(ctx: EngineContext, name: string, options: { credentials?: RegistryCredentials | null }, op: Operation): Promise<DistributionInfo> {
  const ref = parseReference(name);
  const signal = op.signal ? { signal: op.signal } : {};
  const registry = await client(ctx, ref.domain, options.credentials);
  const fetched = await registry.getManifest(ref.path, ref.digest ?? ref.tag ?? 'latest', signal);
  const descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.data.length };
  if (isIndexMediaType(fetched.mediaType)) {
    const index = parse<ImageIndex>(fetched.data, `the index of ${ref.familiar}`);
    const platforms = (Array.isArray(index.manifests) ? index.manifests : []).flatMap((m) => (m.platform ? [m.platform] : []));
    return { descriptor, platforms };
  }
  const manifest = parse<Manifest>(fetched.data, `the manifest of ${ref.familiar}`);
  const config = manifest.config as { digest?: Digest; size?: number } | undefined;
  if (!config?.digest || typeof config.size !== 'number' || config.size > maxConfigSize) return { descriptor, platforms: [] };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await registry.fetchBlob(ref.path, config.digest, signal)) {
    size += (chunk as Buffer).length;
    if (size > config.size) throw errors.dataLoss('BLOB_SIZE_MISMATCH', `The config of ${ref.familiar} is larger than the ${config.size} bytes its manifest says`);
    chunks.push(chunk as Buffer);
  }
  const image = parse<ImageConfig>(Buffer.concat(chunks), `the config of ${ref.familiar}`);
  return { descriptor, platforms: [{ architecture: image.architecture, os: image.os, ...(image.variant ? { variant: image.variant } : {}) }] };
}
