import type { ContainerRecord } from '../containers/index.js';
import type { ImageRecord } from '../images/index.js';

/**
 * MetadataStore: berth's store of record for image names and containers, shared by every berth
 * process on a host (CLI invocations and the daemon) at the same time. Every method is atomic;
 * a crash leaves each record either as it was or as it was written, never half-written.
 *
 * Errors: `NotFound` (BERTH_E_IMAGE_NOT_FOUND, BERTH_E_CONTAINER_NOT_FOUND),
 * `AlreadyExists` (BERTH_E_CONTAINER_NAME_IN_USE), `InvalidArgument` for an ambiguous id prefix.
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

  /** Runs `fn` in one transaction (synchronous). */
  transaction<T>(fn: () => T): T;
  close(): void;
}
