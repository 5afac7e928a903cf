/**
 * runBuildProcess: runs one build step's command (a Dockerfile RUN) as an isolated container
 * process on an already mounted root filesystem, with the same spec generation as `berth run`
 * (namespaces, capabilities, seccomp, masked paths, cgroups). The builder owns the snapshot and
 * the mount; this owns the bundle, the runtime call and the cgroup clean-up.
 */
import { mkdirSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join, posix } from 'node:path';

import { ignoreErrno, newId, secureJoin, trace } from '../base/index.js';
import type { Stdio } from '../core/runtime/index.js';
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
  network: 'host' | 'none';
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
  const id = `build-${newId().slice(0, 24)}`;
  await mkdir(join(ctx.paths.root, 'build-tmp'), { recursive: true });
  const bundle = await mkdtemp(join(ctx.paths.root, 'build-tmp', `bundle-${process.pid}-`));
  const selection = ctx.runtime(options.runtime);
  if (selection.warning) ctx.warn(selection.warning);
  try {
    const user = resolveUser(options.user || undefined, readUserDatabase(options.rootfs));
    mkdirSync(secureJoin(options.rootfs, options.cwd), { recursive: true });
    const hostname = options.network === 'host' ? hostHostname() : 'buildkitsandbox';
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
      cgroupsPath: ctx.cgroups.containerPath(id),
      seccomp: 'default',
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    trace('build: bundle written');
    const runOptions = { stdio: options.stdio, ...(options.signal ? { signal: options.signal } : {}) };
    const destinations = (spec.mounts ?? []).map((m) => m.destination);
    const stubs = options.upperDir === undefined ? undefined : await planStubs(options.rootfs, options.upperDir, destinations);
    try {
      const code = (await selection.driver.run(id, bundle, runOptions)).exitCode;
      trace('build: process exited');
      return code;
    } finally {
      if (options.upperDir !== undefined && stubs) await removeStubs(options.rootfs, options.upperDir, stubs);
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

/** What the runtime will create for the mounts, to undo afterwards (see removeStubs). */
async function planStubs(rootfs: string, upper: string, destinations: string[]): Promise<StubPlan> {
  const missing = new Set<string>();
  const parents = new Map<string, StubPlan['parents'][number]>();
  const lstatOrUndefined = (path: string) => ignoreErrno(['ENOENT', 'ENOTDIR'], () => lstat(path), undefined);
  for (const dest of destinations) {
    const parts = posix.normalize(dest).split('/').filter((p) => p !== '');
    for (let i = 1; i <= parts.length; i++) {
      const path = `/${parts.slice(0, i).join('/')}`;
      if (missing.has(path) || parents.has(path)) continue;
      const st = await lstatOrUndefined(join(rootfs, path));
      if (!st) {
        missing.add(path);
        continue;
      }
      if (i < parts.length && st.isDirectory() && !(await lstatOrUndefined(join(upper, path)))) {
        const names = (await readdir(join(rootfs, path))).sort().join('/');
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
 * emptied and recreated, which overlayfs marks opaque, is kept).
 */
async function removeStubs(rootfs: string, upper: string, plan: StubPlan): Promise<void> {
  const lstatOrUndefined = (path: string) => ignoreErrno(['ENOENT', 'ENOTDIR'], () => lstat(path), undefined);
  for (const path of [...plan.missing].reverse()) {
    const host = join(upper, path);
    const st = await lstatOrUndefined(host);
    if (!st) continue;
    if (st.isFile() && st.size === 0) await rm(host);
    else if (st.isDirectory() && (await readdir(host)).length === 0) await rmdir(host);
  }
  for (const before of [...plan.parents].sort((a, b) => b.path.length - a.path.length)) {
    const host = join(upper, before.path);
    const st = await lstatOrUndefined(host);
    if (!st?.isDirectory() || st.mode !== before.mode || st.uid !== before.uid || st.gid !== before.gid) continue;
    if ((await readdir(host)).length > 0) continue;
    if ((await readdir(join(rootfs, before.path))).sort().join('/') !== before.names) continue;
    await rmdir(host);
  }
}
