/**
 * OCI image-spec (and Docker v2 manifest) types and media types: the formats images move in
 * between berth, Docker, Podman, registries and Kubernetes.
 */
import type { Digest } from '../base/index.js';

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Docker's schema 2 (image manifest v2, schema 2), which registries and `docker push` still use. */
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** A layer the registry does not serve (Windows base layers): fetched from its `urls`, if at all. */
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** Schema 1 (signed): long deprecated; named only so that it can be refused by name. */
  dockerManifestSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** True for an index of manifests: an OCI image index or a Docker manifest list. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === mediaTypes.ociIndex || mediaType === mediaTypes.dockerManifestList;
}

/** True for one image's manifest: OCI or Docker schema 2. */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === mediaTypes.ociManifest || mediaType === mediaTypes.dockerManifest;
}

/**
 * How a layer blob of this media type is compressed (`none` for a plain tar), or undefined for
 * a media type that is not a layer berth knows. The layer's diffID is the digest of its
 * uncompressed tar, so it equals the blob's digest only for `none`.
 */
export function layerCompression(mediaType: string): 'none' | 'gzip' | 'zstd' | undefined {
  switch (mediaType) {
    case mediaTypes.ociLayer:
    case mediaTypes.dockerLayer:
      return 'none';
    case mediaTypes.ociLayerGzip:
    case mediaTypes.dockerLayerGzip:
    case mediaTypes.dockerForeignLayerGzip:
      return 'gzip';
    case mediaTypes.ociLayerZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  /** Where else the blob can be fetched (foreign layers). */
  urls?: string[];
  /** In an index: the platform of the manifest this descriptor points at. */
  platform?: Platform;
  artifactType?: string;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/**
 * An index of manifests, one per platform (or attestations beside them): the OCI image index
 * and Docker's manifest list share this shape. A multi-platform image's name points at one.
 */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime part of an image config, with Docker's field names (which OCI kept). */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Shell?: string[];
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

/** The platform berth runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
  return arch === 'arm' ? { architecture: arch, os: 'linux', variant: 'v7' } : { architecture: arch, os: 'linux' };
}

/** The host's platform as `--platform` names it, without a variant (`linux/amd64`). */
export function hostPlatformName(): string {
  const host = hostPlatform();
  return `${host.os}/${host.architecture}`;
}

/** Whether a `--platform` value names the host's platform: `os/arch`, or `os/arch/variant` with the host's variant. */
export function isHostPlatform(text: string): boolean {
  const variant = hostPlatform().variant;
  return text === hostPlatformName() || (variant !== undefined && text === `${hostPlatformName()}/${variant}`);
}
