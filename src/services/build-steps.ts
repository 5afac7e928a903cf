/**
 * runBuildProcess: runs one build step's command (a Dockerfile RUN) as an isolated container
 * process on an already mounted root filesystem, with the same spec generation as `berth run`
 * (namespaces, capabilities, seccomp, masked paths, cgroups). The builder owns the snapshot and
 * the mount; this owns the bundle, the runtime call and the cgroup clean-up.
 */
import type { Stats } from 'node:fs';
import { mkdirSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join, posix } from 'node:path';

import { lstatSyncOrUndefined, newId, secureJoin, trace } from '../base/index.js';
import type { Stdio } from '../core/runtime/index.js';
import type { NetworkMode } from '../core/network/index.js';
import { sharesHostNetwork } from '../core/network/index.js';
import { buildSpec, resolveUser } from '../core/spec/index.js';
import type { Mount as OciMount } from '../oci/index.js';
import type { EngineContext } from './engine-context.js';
import { readUserDatabase, writeHostFiles } from './process-files.js';

export interface BuildProcessOptions {
  /** Absolute path of the mounted root filesystem (writes land in the step's snapshot). */
  rootfs: string;
  args: string[];
  env: string[];
  /** Working directory; created when missing, as Docker does. */
  cwd: string;
  /** USER as written (`name`, `uid:gid`); resolved against the rootfs's /etc/passwd and /etc/group. */
  user: string;
  /** 'host' shares the host's network (outbound access, the builder's default); 'none' isolates it. */
  network: NetworkMode;
  /** Extra OCI mounts (cache, bind, tmpfs, secret). */
  mounts: OciMount[];
  /** stdout and stderr of the process. */
  stdio: Stdio;
  runtime?: string;
  signal?: AbortSignal;
  /**
   * The snapshot's upper directory: mount points the runtime had to create (e.g. /etc/hosts, a
   * cache mount's target) are removed from it afterwards, so they never reach the layer.
   */
  upperDir?: string;
}

/** Runs the process to completion and returns its exit code. Engine failures throw BerthErrors. */
export async function runBuildProcess(ctx: EngineContext, options: BuildProcessOptions): Promise<number> {
  // The id carries our pid and names the bundle directory, so the next build can find what a
  // killed one left in the runtime and the cgroups (see recoverStaleBuilds in the builder).
  const id = `build-${process.pid}-${newId().slice(0, 16)}`;
  const bundle = join(ctx.paths.root, 'build-tmp', id);
  await mkdir(bundle, { recursive: true, mode: 0o700 });
  await writeFile(join(bundle, 'runtime'), options.runtime ?? '');
  const selection = ctx.runtime(options.runtime);
  if (selection.warning) ctx.warn(selection.warning);
  try {
    const user = resolveUser(options.user || undefined, readUserDatabase(options.rootfs));
    mkdirSync(secureJoin(options.rootfs, options.cwd), { recursive: true });
    const hostname = sharesHostNetwork(options.network) ? hostHostname() : 'buildkitsandbox';
    const files = writeHostFiles(bundle, { hostname, network: options.network, readonly: true });
    const env = options.env.some((e) => e.startsWith('HOSTNAME=')) ? options.env : [...options.env, `HOSTNAME=${hostname}`];
    const spec = buildSpec({
      id,
      rootfs: options.rootfs,
      args: options.args,
      env,
      cwd: options.cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      hostname,
      mounts: [...files, ...options.mounts],
      network: { mode: options.network },
      // On the host's network a step could sniff or forge traffic on host interfaces with raw
      // and packet sockets; Docker's builder never shares the host network by default, so take
      // that capability away there (ping and friends work with --network none, or not at all).
      capDrop: sharesHostNetwork(options.network) ? ['NET_RAW'] : [],
      cgroupsPath: ctx.cgroups.containerPath(id),
      seccomp: 'default',
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    trace('build: bundle written');
    const runOptions = { stdio: options.stdio, ...(options.signal ? { signal: options.signal } : {}) };
    const destinations = (spec.mounts ?? []).map((m) => m.destination);
    const stubs = options.upperDir === undefined ? undefined : planStubs(options.rootfs, options.upperDir, destinations);
    try {
      const code = (await selection.driver.run(id, bundle, runOptions)).exitCode;
      trace('build: process exited');
      return code;
    } finally {
      if (options.upperDir !== undefined && stubs) removeStubs(options.rootfs, options.upperDir, stubs);
    }
  } finally {
    ctx.cgroups.remove(id);
    await rm(bundle, { recursive: true, force: true });
  }
}

interface StubPlan {
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
function planStubs(rootfs: string, upper: string, destinations: string[]): StubPlan {
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
function removeStubs(rootfs: string, upper: string, plan: StubPlan): void {
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
