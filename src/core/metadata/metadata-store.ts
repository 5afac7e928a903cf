import type { ContainerRecord } from '../containers/index.js';
import type { Digest } from '../../base/index.js';
import type { CompressedLayer, ImageRecord } from '../images/index.js';

/**
 * MetadataStore: berth's store of record for image names, containers and the compressed forms
 * of layers, shared by every berth
 * process on a host (CLI invocations and the daemon) at the same time. Every method is atomic;
 * a crash leaves each record either as it was or as it was written, never half-written.
 *
 * Errors: `NotFound` (BERTH_E_IMAGE_NOT_FOUND, BERTH_E_CONTAINER_NOT_FOUND),
 * `AlreadyExists` (BERTH_E_CONTAINER_NAME_IN_USE), `InvalidArgument` for an ambiguous id prefix
 * or an invalid record, `FailedPrecondition` (BERTH_E_COMPRESSED_LAYER_CONFLICT).
 */
export interface MetadataStore {
  getImage(name: string): ImageRecord | undefined;
  listImages(): ImageRecord[];
  /** Creates or moves the name to a new target. */
  putImage(record: ImageRecord): void;
  deleteImage(name: string): boolean;

  /** Finds a container by full id, unique id prefix or name (with or without leading `/`). */
  findContainer(ref: string): ContainerRecord;
  listContainers(): ContainerRecord[];
  createContainer(record: ContainerRecord): void;
  /** Reads, changes and writes one container atomically; `change` must be synchronous. */
  updateContainer(id: string, change: (record: ContainerRecord) => void): ContainerRecord;
  deleteContainer(id: string): void;
  /**
   * What another reader can watch to know the container records are unchanged: a directory whose
   * stat(2) changes with every record change, and its stamp now, as "ino:mtimeNs:ctimeNs:size".
   * Undefined when the store has none, or when its times are too recent for a later change to
   * be sure to show (see plugins/metadata-fs listingKeepable). Absent from stores without one.
   */
  containersStamp?(): { path: string; stamp: string } | undefined;

  /**
   * Records that `record.compressed` is the compressed form of layer `record.diffId` (see
   * core/images CompressedLayer), adding its sources to those already known; returns what is now
   * stored. InvalidArgument (BERTH_E_INVALID_COMPRESSED_LAYER) for a record that is not a
   * compressed layer; FailedPrecondition (BERTH_E_COMPRESSED_LAYER_CONFLICT) when the digest is
   * recorded as another layer, size or compression. A crash leaves the record as it was or as
   * written, and a stored record is always found by both lookups.
   */
  putCompressedLayer(record: CompressedLayer): CompressedLayer;
  /** The record of a compressed blob, by its digest (pull: is this layer here already?). */
  getCompressedLayer(digest: Digest): CompressedLayer | undefined;
  /** Every compressed form recorded for a layer, by diffID, sorted by digest (push: which blob to offer). */
  listCompressedLayers(diffId: Digest): CompressedLayer[];
  /** Forgets every compressed form of a layer (its blob was collected); returns how many. */
  deleteCompressedLayers(diffId: Digest): number;

  /** Runs `fn` in one transaction (synchronous). */
  transaction<T>(fn: () => T): T;
  close(): void;
}
