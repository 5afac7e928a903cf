import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');
let busyboxTar: Buffer | undefined;

/** A small, reproducible root filesystem tarball of Debian's busybox-static (tools/make-busybox-rootfs.sh), made once per process. */
export function busyboxRootfsTar(): Buffer {
  if (!busyboxTar) {
    const made = spawnSync(join(repoRoot, 'tools', 'make-busybox-rootfs.sh'), { maxBuffer: 64 << 20 });
    if (made.status !== 0) throw new Error(`make-busybox-rootfs.sh failed: ${made.stderr.toString()}`);
    busyboxTar = made.stdout;
  }
  return busyboxTar;
}
