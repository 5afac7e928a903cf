import type { Readable } from 'node:stream';

import type { Digest } from '../../base/index.js';

/** A manifest or index as a registry served it: the bytes, byte for byte, and what they are. */
export interface FetchedManifest {
  mediaType: string;
  digest: Digest;
  data: Buffer;
}

/** The largest manifest or index berth accepts from a registry (the distribution spec's suggested limit). */
export const maxManifestSize = 4 << 20;

/**
 * RegistryClient: one registry (a host, `docker.io` meaning Docker Hub) spoken to over the OCI
 * distribution spec / Docker registry v2 API, authenticated as the implementation decides
 * (anonymous, basic, bearer tokens scoped per repository). `repository` is the path within the
 * registry (`library/busybox`).
 *
 * Errors (BerthErrors): NotFound `BERTH_E_MANIFEST_UNKNOWN` / `BERTH_E_BLOB_UNKNOWN` for what
 * the registry does not have; PermissionDenied `BERTH_E_REGISTRY_UNAUTHORIZED` for refused or
 * missing credentials; DataLoss `BERTH_E_MANIFEST_DIGEST_MISMATCH` when a manifest fetched by
 * digest is not that digest, `BERTH_E_MANIFEST_TOO_LARGE` over `maxManifestSize`; Unavailable
 * `BERTH_E_REGISTRY_UNAVAILABLE` for connection errors and 5xx answers.
 */
export interface RegistryClient {
  /** The manifest or index `reference` (a tag or a digest) names, with the media types berth reads. */
  getManifest(repository: string, reference: string, options?: { signal?: AbortSignal }): Promise<FetchedManifest>;
  /** The repository's tags (GET /v2/NAME/tags/list, every page). NotFound `BERTH_E_REPOSITORY_UNKNOWN`. */
  listTags(repository: string, options?: { signal?: AbortSignal }): Promise<string[]>;
  /** A blob's bytes as they arrive; the caller verifies them (the content store does at commit). */
  fetchBlob(repository: string, digest: Digest, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Whether the registry has the blob in `repository` (HEAD). */
  hasBlob(repository: string, digest: Digest, options?: { signal?: AbortSignal }): Promise<boolean>;
  /**
   * Uploads a blob in one request (POST then PUT ?digest=), or, larger than the client's chunk
   * size, in chunks (POST, a PATCH with Content-Range per chunk, PUT ?digest=); `open` gives its bytes. With
   * `mountFrom` (another repository of this registry said to hold the blob) the POST first asks
   * for a cross-repository mount; when the registry mounts it nothing is uploaded. Returns which.
   */
  pushBlob(repository: string, blob: { digest: Digest; size: number }, open: () => Readable, options?: { signal?: AbortSignal; mountFrom?: string }): Promise<'pushed' | 'mounted'>;
  /**
   * Uploads a blob whose digest is known only once its bytes have been read (a layer being
   * compressed as it goes up): POST, PATCH streaming `body`, then PUT ?digest= with `digest()`,
   * asked for after `body` ended. A blob that may be larger than the client's chunk size
   * (`sizeHint`, e.g. the uncompressed size; unknown: may be) goes up in chunks, as `pushBlob`'s do.
   */
  pushStream(repository: string, body: Readable, digest: () => Digest, options?: { signal?: AbortSignal; sizeHint?: number }): Promise<void>;
  /**
   * Checks the client's credentials against the registry (`login`): GET /v2/, its challenge
   * answered with them. PermissionDenied `BERTH_E_REGISTRY_UNAUTHORIZED` when refused.
   */
  checkLogin(options?: { signal?: AbortSignal }): Promise<void>;
  /** Stores a manifest under `reference` (a tag or its digest); returns the digest the registry gives it. */
  putManifest(repository: string, reference: string, manifest: { mediaType: string; data: Buffer }, options?: { signal?: AbortSignal }): Promise<Digest>;
}

/** Opens a client for a registry host as image references name it (`docker.io`, `localhost:5000`). */
export type RegistryClientFactory = (domain: string, options?: RegistryClientOptions) => RegistryClient;

export interface RegistryClientOptions {
  /** Use these instead of the stored ones (`login` checks them before storing); `null`: none at all (anonymous), whatever is stored. */
  credentials?: { username: string; password: string } | null;
}
