import { errnoCode, errors } from '../../base/index.js';
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, mount, umount2 } from '../../sys/index.js';

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

/** Mounts every mount at `target`, in order (later ones stack on earlier ones). */
export function mountAll(mounts: readonly Mount[], target: string): void {
  for (const m of mounts) {
    const readonly = m.options.includes('ro');
    try {
      if (m.type === 'bind') {
        const recursive = m.options.includes('rbind');
        mount(m.source, target, null, MS_BIND | (recursive ? MS_REC : 0), null);
        if (readonly) mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
      } else {
        const data = m.options.filter((o) => o !== 'ro' && o !== 'rw').join(',');
        mount(m.source, target, m.type, readonly ? MS_RDONLY : 0, data);
      }
    } catch (err) {
      throw errors.unavailable('MOUNT_FAILED', `Cannot mount ${m.type} "${m.source}" at "${target}": ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Unmounts everything mounted at `target`; a path with nothing mounted is not an error. */
export function unmountAll(target: string): void {
  for (let i = 0; i < 32; i++) {
    try {
      umount2(target, 0);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINVAL' || code === 'ENOENT') return;
      if (code === 'EBUSY') {
        umount2(target, MNT_DETACH);
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
