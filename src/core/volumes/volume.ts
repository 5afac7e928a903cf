import { errors } from '../../base/index.js';

/**
 * A volume: a directory berth keeps for containers' data, apart from any container's root, so
 * that it outlives them (Docker's local volume driver). Named by the user (`volume create NAME`,
 * `-v NAME:/path`) or anonymous (`-v /path`, an image's `VOLUME`), then named by a 64-hex id and
 * labelled `com.docker.volume.anonymous` as Docker 23+ labels them.
 */
export interface VolumeRecord {
  name: string;
  /** Always `local`: the only driver berth has. */
  driver: 'local';
  labels: Record<string, string>;
  /** The local driver's options (`type`, `device`, `o`), as given; empty for none. */
  options: Record<string, string>;
  /** RFC 3339, seconds: Docker's CreatedAt. */
  createdAt: string;
  anonymous: boolean;
}

/** A volume as the engine reports it: the record and where its data is on the host. */
export interface VolumeInfo extends VolumeRecord {
  /** `<root>/volumes/<name>/_data`. */
  mountpoint: string;
}

/** Docker 23+'s label on anonymous volumes; `volume prune` without `--all` removes only these. */
export const anonymousVolumeLabel = 'com.docker.volume.anonymous';

export interface CreateVolumeOptions {
  labels?: Record<string, string>;
  options?: Record<string, string>;
  anonymous?: boolean;
}

/**
 * VolumeStore: the volumes of one berth store, shared by every berth process at once. Creating is
 * idempotent (a name that exists is returned as it is, as Docker does); every change is atomic
 * and a crash leaves a volume either absent or complete.
 *
 * The store knows nothing of containers: whether a volume is in use is the service's question
 * (services/volumes.ts), asked under the metadata store's lock.
 *
 * Errors: NotFound BERTH_E_VOLUME_NOT_FOUND; InvalidArgument BERTH_E_INVALID_VOLUME_NAME,
 * BERTH_E_INVALID_VOLUME_OPTION; FailedPrecondition BERTH_E_VOLUME_MOUNTED (a tmpfs volume that
 * cannot be unmounted).
 */
export interface VolumeStore {
  create(name: string, options?: CreateVolumeOptions): { volume: VolumeInfo; created: boolean };
  get(name: string): VolumeInfo | undefined;
  /** The file whose content decides what `get(name)` answers, for a cache that must notice a change (services/inspect-cache.ts). */
  recordFile?(name: string): string;
  /** Every volume, sorted by name. */
  list(): VolumeInfo[];
  /** Removes the volume and its data (a tmpfs volume is unmounted first). NotFound when absent. */
  remove(name: string): void;
  /**
   * The host directory to bind into a container: the volume's `_data`, the device of a
   * `type=none,o=bind` volume, or the tmpfs of a `type=tmpfs` volume, mounted on first use.
   */
  source(name: string): string;
  /**
   * Docker's copy-up: when the volume is empty, copies the directory `path` of the mounted root
   * `rootfs` (resolved inside it) into the volume with modes, owners, times, links and special
   * files, and gives the volume's top directory the owner and mode of `path`. Returns whether it
   * copied. Nothing is copied when `path` is missing or not a directory.
   */
  populate(name: string, rootfs: string, path: string): boolean;
  /** Bytes the volume's data takes (each inode once). */
  size(name: string): number;
}

const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's rule for local volume names (two characters at least); the message is Docker's. */
export function validateVolumeName(name: string): void {
  if (!namePattern.test(name)) {
    throw errors.invalidArgument('INVALID_VOLUME_NAME', `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

const tmpfsFlags = new Set(['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'noatime', 'atime', 'nodiratime', 'relatime', 'strictatime']);
const tmpfsKeys = new Set(['size', 'nr_blocks', 'nr_inodes', 'mode', 'uid', 'gid']);

/**
 * Checks the local driver's options as Docker does (`type`, `device`, `o`; both `type` and
 * `device` once any is given), then what berth can do with them: `type=tmpfs` (o: tmpfs sizes,
 * modes, owners and mount flags) and `type=none` with `o=bind` (device: an absolute path).
 * Other filesystem types and `size` (an xfs quota) are refused rather than ignored.
 */
export function validateVolumeOptions(name: string, options: Record<string, string>): void {
  const keys = Object.keys(options);
  if (keys.length === 0) return;
  const bad = (message: string) => errors.invalidArgument('INVALID_VOLUME_OPTION', `create ${name}: ${message}`);
  for (const key of keys) if (!['type', 'device', 'o', 'size'].includes(key)) throw bad(`invalid option: "${key}"`);
  for (const key of ['device', 'type']) if (!(key in options)) throw bad(`missing required option: "${key}"`);
  if ('size' in options) throw bad('option "size" needs an xfs quota, which berth does not support');
  const type = options['type'] ?? '';
  const device = options['device'] ?? '';
  const o = (options['o'] ?? '').split(',').filter((x) => x !== '');
  if (type === 'tmpfs') {
    for (const opt of o) {
      const [key = '', value] = opt.split(/=(.*)/s);
      if (value === undefined ? !tmpfsFlags.has(key) : !tmpfsKeys.has(key) || !/^[0-9]+[kmgKMG%]?$/.test(value)) {
        throw bad(`unsupported tmpfs option "${opt}" in o= (berth takes size=, nr_inodes=, nr_blocks=, mode=, uid=, gid= and mount flags such as ro, noexec)`);
      }
    }
    return;
  }
  if (type === 'none') {
    if (!o.includes('bind') && !o.includes('rbind')) throw bad('type "none" needs o=bind (berth\'s local driver binds a host directory; no other mount without a filesystem type)');
    const rest = o.filter((x) => !['bind', 'rbind', 'ro', 'rw'].includes(x));
    if (rest.length > 0) throw bad(`unsupported bind option "${rest[0]}" in o= (berth takes bind, rbind, ro and rw)`);
    if (!device.startsWith('/')) throw bad(`device "${device}" of a bind volume must be an absolute host path`);
    return;
  }
  throw bad(`volume type "${type}" is not supported by berth's local driver: use type=tmpfs, or type=none with o=bind and device=/host/path`);
}
