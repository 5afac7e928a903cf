import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');
let pythonTar: Buffer | undefined;

/**
 * A root filesystem tarball with a Python 3: the busybox root plus the host's Debian python3 and
 * what it loads (tools/make-python-rootfs.sh), made once per process in seconds, offline. For tests
 * that need any Python image, not a Debian one (that is `berth image bootstrap`, a minute of downloads).
 */
export function pythonRootfsTar(): Buffer {
  if (!pythonTar) {
    const made = spawnSync(join(repoRoot, 'tools', 'make-python-rootfs.sh'), { maxBuffer: 256 << 20 });
    if (made.status !== 0) throw new Error(`make-python-rootfs.sh failed: ${made.stderr.toString()}`);
    pythonTar = made.stdout;
  }
  return pythonTar;
}
