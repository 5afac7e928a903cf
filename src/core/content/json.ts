import type { Digest } from '../../base/index.js';
import { errors, sha256 } from '../../base/index.js';
import type { Descriptor } from '../../oci/index.js';
import type { ContentStore } from './content-store.js';

/** Reads a JSON blob (manifest, config), naming the digest when it is not valid JSON. */
export async function readJson<T>(store: ContentStore, digest: Digest): Promise<T> {
  const data = await store.read(digest);
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw errors.dataLoss('BLOB_NOT_JSON', `Cannot parse blob "${digest}": not valid JSON`, { cause: err });
  }
}

/** Stores a JSON document canonically (no whitespace, as written) and returns its descriptor. */
export async function putJson(store: ContentStore, mediaType: string, value: unknown): Promise<Descriptor> {
  const data = Buffer.from(JSON.stringify(value));
  // Already stored (a fully cached rebuild's config and manifest): not written, and fsynced, again.
  // Content-addressed, so the stored blob is these bytes; the caller's lease keeps it from collection.
  const digest = sha256(data);
  if (await store.has(digest)) return { mediaType, digest, size: data.length };
  const info = await store.put(data);
  return { mediaType, digest: info.digest, size: info.size };
}
