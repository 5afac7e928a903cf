import type { Digest } from '../../../base/index.js';
import { initialState } from '../../containers/index.js';
import type { ContainerRecord } from '../../containers/index.js';
import type { CompressedLayer, ImageRecord } from '../../images/index.js';

/** A container record as `berth create` writes it; `seq` orders createdAt. */
export function containerRecord(id: string, name: string, seq = 0): ContainerRecord {
  return {
    id,
    name,
    image: 'busybox',
    imageId: `sha256:${'b'.repeat(64)}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    config: { Hostname: id.slice(0, 12), Image: 'busybox', Cmd: ['true'], Env: ['PATH=/usr/bin:/bin'] },
    hostConfig: {
      autoRemove: false, binds: [], networkMode: 'none', readonlyRootfs: false, privileged: false,
      capAdd: [], capDrop: [], securityOpt: [], ulimits: [], runtime: 'crun',
    },
    snapshotKey: `container-${id}`,
    state: initialState(),
  };
}

export function imageRecord(name: string, digit: string): ImageRecord {
  const digest: Digest = `sha256:${digit.repeat(64)}`;
  return { name, target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 100 }, id: digest, createdAt: 1, updatedAt: 2 };
}

/** A 64-hex id starting with `prefix`. */
export function idOf(prefix: string): string {
  return prefix.padEnd(64, '0');
}

/** A gzip layer record: blob `sha256:<compressed…>` is the compressed form of layer `sha256:<diff…>` (each a hex prefix). */
export function compressedLayer(compressed: string, diff: string, sources: string[] = []): CompressedLayer {
  return {
    compressed: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${compressed.padEnd(64, '0')}`, size: 1000 + compressed.length },
    diffId: `sha256:${diff.padEnd(64, '0')}`,
    sources,
  };
}
