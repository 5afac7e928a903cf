/**
 * crun and runc, before they enter a container, make sure that they run from a copy of
 * themselves that the container cannot write (CVE-2019-5736: a process in the container could
 * otherwise open the host's runtime binary through /proc/PID/exe and overwrite it): each
 * invocation copies its own binary into a memfd or a bind-mounted temporary file and executes
 * itself again from there, ~4 ms of a `crun exec` of ~10 ms here. A copy sealed against any
 * change (F_SEAL_SEAL, SHRINK, GROW, WRITE: what they check for, before anything else) is taken
 * as one, so a long-lived process that starts the runtime often (the daemon's exec) makes that
 * copy once (native sealedCopy) and starts the runtime from it: the protection is the same (the
 * running binary is a sealed memfd nobody can write), without the copy and the second execve.
 *
 * The copy is made again when the binary on disk changes (its device, inode, size, mtime or
 * ctime), so an upgraded runtime is the one that runs. Other runtimes (which may not check, or be
 * scripts) run from their path as before, and so does everything when the addon lacks sealedCopy.
 */
import { closeSync, statSync } from 'node:fs';
import { basename } from 'node:path';

import { sealedCopy } from '../../sys/index.js';

/** The runtimes known to take a sealed copy as their own clone (runc's cloned_binary.c, crun's copy of it). */
const cloningRuntimes = new Set(['crun', 'runc']);

const copies = new Map<string, { key: string; fd: number }>();

/** A descriptor of a sealed copy of `binary` to run it from (spawnPiped's execFd), or undefined: run the path. */
export function sealedRuntime(binary: string): number | undefined {
  if (!cloningRuntimes.has(basename(binary))) return undefined;
  let key: string;
  try {
    const st = statSync(binary, { bigint: true });
    key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined; // the spawn from the path reports what is wrong
  }
  const known = copies.get(binary);
  if (known?.key === key) return known.fd;
  if (known) {
    copies.delete(binary);
    closeSync(known.fd);
  }
  let fd: number | undefined;
  try {
    fd = sealedCopy(binary);
  } catch {
    return undefined;
  }
  if (fd !== undefined) copies.set(binary, { key, fd });
  return fd;
}
