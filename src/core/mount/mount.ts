import { errnoCode, errors } from '../../base/index.js';
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, mount, umount2Async } from '../../sys/index.js';

/**
 * Mount: how to make a snapshot's filesystem appear at a path. Snapshotters only describe mounts;
 * whoever needs the filesystem (the container service, the builder) performs them. It is the
 * only thing snapshotters and the runtime share.
 */
export interface Mount {
  /** `overlay`, `bind`, `tmpfs`, ... */
  type: string;
  source: string;
  /** fstab-style options: `ro`, `lowerdir=...`, `rbind`. */
  options: string[];
}

/**
 * The same mounts, with writable overlays made `volatile`: overlayfs then skips syncing its
 * upper filesystem, most of all the sync(2)-like flush of the *whole* underlying filesystem it
 * does on unmount, which on a busy host took 300 ms for a container that wrote nothing. Only for
 * throwaway writes (`--rm` containers, a build's scratch overlays): after a
 * host crash a volatile upper directory is refused and must be discarded. Needs Linux 5.10;
 * `mountAll` drops the option on kernels that refuse it.
 */
export function volatileMounts(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m) => (m.type === 'overlay' && m.options.some((o) => o.startsWith('upperdir=')) ? { ...m, options: [...m.options, 'volatile'] } : m));
}

/** Mounts every mount at `target`, in order (later ones stack on earlier ones). */
export function mountAll(mounts: readonly Mount[], target: string): void {
  for (const m of mounts) {
    try {
      mountOne(m, target);
    } catch (err) {
      // A kernel older than 5.10 does not know `volatile`: mount without it.
      if (!m.options.includes('volatile') || errnoCode(err) !== 'EINVAL') {
        throw errors.unavailable('MOUNT_FAILED', `Cannot mount ${m.type} "${m.source}" at "${target}": ${(err as Error).message}`, { cause: err });
      }
      mountOne({ ...m, options: m.options.filter((o) => o !== 'volatile') }, target);
    }
  }
}

function mountOne(m: Mount, target: string): void {
  const readonly = m.options.includes('ro');
  if (m.type === 'bind') {
    mount(m.source, target, null, MS_BIND | (m.options.includes('rbind') ? MS_REC : 0), null);
    if (readonly) mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
  } else {
    const data = m.options.filter((o) => o !== 'ro' && o !== 'rw').join(',');
    mount(m.source, target, m.type, readonly ? MS_RDONLY : 0, data);
  }
}

/**
 * Unmounts everything mounted at `target`; a path with nothing mounted is not an error. Each
 * umount2(2) runs off the event loop: unmounting a non-volatile overlay flushes the filesystem
 * under it, which on a busy host takes hundreds of milliseconds.
 */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 32; i++) {
    try {
      await umount2Async(target, 0);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINVAL' || code === 'ENOENT') return;
      if (code === 'EBUSY') {
        await umount2Async(target, MNT_DETACH);
        continue;
      }
      throw errors.unavailable('UNMOUNT_FAILED', `Cannot unmount "${target}": ${(err as Error).message}`, { cause: err });
    }
  }
}

/** True when `target` is a mount point (listed in /proc/self/mountinfo). */
export function isMounted(target: string, mountinfo: string): boolean {
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === target);
}
