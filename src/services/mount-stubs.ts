/**
 * Mount stubs: the empty files and directories an OCI runtime creates in a build step's root for
 * mount points that do not exist (/etc/hosts, a cache mount's target). They must not reach the
 * step's layer, and removing them must never follow a symlink the step planted (CVE-2024-23652).
 */
import type { Stats } from 'node:fs';
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

import { lstatSyncOrUndefined } from '../base/index.js';

export interface StubPlan {
  /** Mount destinations (and parents) that do not exist yet: the runtime creates them. */
  missing: string[];
  /** Existing directories on the way to a missing one, not yet in the upper dir, with their state before the run. */
  parents: { path: string; mode: number; uid: number; gid: number; names: string }[];
}

/**
 * `path` (absolute in the container) under `root`, looked up without following any symlink: a
 * symlink or non-directory on the way makes it `unsafe`, so nothing is read or removed through
 * it. The step's processes have all exited when this runs (its pid namespace died with its init),
 * so nothing changes the tree between the check and the use.
 */
function lookupInRoot(root: string, path: string): { kind: 'missing' } | { kind: 'unsafe' } | { kind: 'found'; stat: Stats } {
  const parts = posix.normalize(path).split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { kind: 'unsafe' };
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i] as string);
    const st = lstatSyncOrUndefined(current);
    if (!st) return { kind: 'missing' };
    if (i === parts.length - 1) return { kind: 'found', stat: st };
    if (!st.isDirectory()) return { kind: 'unsafe' };
  }
  return { kind: 'unsafe' }; // the root itself is never a stub
}

/** What the runtime will create for the mounts, to undo afterwards (see removeStubs). */
export function planStubs(rootfs: string, upper: string, destinations: string[]): StubPlan {
  const missing = new Set<string>();
  const parents = new Map<string, StubPlan['parents'][number]>();
  for (const dest of destinations) {
    const parts = posix.normalize(dest).split('/').filter((p) => p !== '');
    for (let i = 1; i <= parts.length; i++) {
      const path = `/${parts.slice(0, i).join('/')}`;
      if (missing.has(path) || parents.has(path)) continue;
      const found = lookupInRoot(rootfs, path);
      if (found.kind === 'unsafe') break; // a symlink in the image: leave whatever the runtime makes there
      if (found.kind === 'missing') {
        missing.add(path);
        continue;
      }
      const st = found.stat;
      if (i < parts.length && st.isDirectory() && lookupInRoot(upper, path).kind === 'missing') {
        const names = readdirSync(join(rootfs, path)).sort().join('/');
        parents.set(path, { path, mode: st.mode, uid: st.uid, gid: st.gid, names });
      }
    }
  }
  return { missing: [...missing].sort(), parents: [...parents.values()] };
}

/**
 * Removes mount stubs from the upper dir (empty files and empty directories the runtime made),
 * deepest first, then directories that were only copied up to hold them: empty in the upper dir,
 * same mode and owner, and listing the same names as before the run (so a directory the step
 * emptied and recreated, which overlayfs marks opaque, is kept). Every path is looked up without
 * following symlinks: a step that replaced a stub's parent with a symlink (`ln -s /etc /x`) must
 * not make berth remove files on the host.
 */
export function removeStubs(rootfs: string, upper: string, plan: StubPlan): void {
  for (const path of [...plan.missing].reverse()) {
    const found = lookupInRoot(upper, path);
    if (found.kind !== 'found') continue;
    const host = join(upper, path);
    if (found.stat.isFile() && found.stat.size === 0) unlinkSync(host);
    else if (found.stat.isDirectory() && readdirSync(host).length === 0) rmdirSync(host);
  }
  for (const before of [...plan.parents].sort((a, b) => b.path.length - a.path.length)) {
    const found = lookupInRoot(upper, before.path);
    if (found.kind !== 'found') continue;
    const st = found.stat;
    if (!st.isDirectory() || st.mode !== before.mode || st.uid !== before.uid || st.gid !== before.gid) continue;
    const host = join(upper, before.path);
    if (readdirSync(host).length > 0) continue;
    if (lookupInRoot(rootfs, before.path).kind !== 'found') continue;
    if (readdirSync(join(rootfs, before.path)).sort().join('/') !== before.names) continue;
    rmdirSync(host);
  }
}
