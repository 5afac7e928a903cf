/**
 * `RUN --mount=...`: turning parsed mounts into OCI mounts for the step's container.
 * cache: a persistent directory under `<root>/build-cache/mounts/` (never in a layer; `sharing=locked`
 * serialises users across processes); bind: from the context or a stage, read-only unless `rw`
 * (then writes go to a throwaway overlay); tmpfs; secret: the `--secret` file, read-only at
 * /run/secrets/<id> (never in a layer or the history).
 */
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';

import { errnoCode, errors, sha256 } from '../base/index.js';
import { mountAll, unmountAll, volatileMounts } from '../core/mount/index.js';
import type { Mount as OciMount } from '../oci/index.js';
import type { BuildCache } from './build-cache.js';
import { acquireCacheLock } from './cache-lock.js';
import type { SourceRoot } from './context-sources.js';
import { resolveSources } from './context-sources.js';
import { makeFilteredView } from './filtered-view.js';
import type { RunMount } from './dockerfile/index.js';

/** Something mounted for a step, to undo afterwards. */
export interface PreparedMounts {
  mounts: OciMount[];
  /** Secret values to add to the environment (`env=`), never part of the cache key. */
  env: string[];
  release: () => Promise<void>;
}

export interface MountSources {
  cache: BuildCache;
  /** The build's temporary directory, made on first use (a fully cached build makes none). */
  tmpDir: () => string;
  secrets: Record<string, string>;
  context: SourceRoot;
  /** A mounted root of a stage or image for `from=`. */
  openRoot(from: string): Promise<{ root: SourceRoot; release: () => Promise<void> }>;
}

function target(m: RunMount, cwd: string): string {
  if (m.target === undefined) {
    if (m.type === 'secret') return `/run/secrets/${m.id ?? ''}`;
    throw errors.invalidArgument('DOCKERFILE_MOUNT', `Mount of type "${m.type}" needs a target`);
  }
  return posix.isAbsolute(m.target) ? posix.normalize(m.target) : posix.join(cwd, m.target);
}

/** Prepares every mount of a RUN step. On failure, what was already prepared is released. */
export async function prepareRunMounts(list: readonly RunMount[], cwd: string, src: MountSources): Promise<PreparedMounts> {
  const out: PreparedMounts = { mounts: [], env: [], release: async () => undefined };
  const undo: Undo = [];
  out.release = async () => {
    for (const fn of undo.reverse()) await fn();
  };
  try {
    for (const m of list) await prepareOne(m, cwd, src, out, undo);
  } catch (err) {
    await out.release();
    throw err;
  }
  return out;
}

type Undo = (() => Promise<void>)[];

async function prepareOne(m: RunMount, cwd: string, src: MountSources, out: PreparedMounts, undo: Undo): Promise<void> {
  if (m.type === 'ssh') throw errors.notImplemented('MOUNT_SSH', 'RUN --mount=type=ssh is not supported');
  if (m.type === 'tmpfs') {
    const size = m.sizeLimit === undefined ? [] : [`size=${m.sizeLimit}`];
    out.mounts.push({ destination: target(m, cwd), type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...size] });
  } else if (m.type === 'secret') await secretMount(m, cwd, src, out);
  else if (m.type === 'cache') out.mounts.push(await cacheMount(m, cwd, src, undo));
  else out.mounts.push(await bindMount(m, cwd, src, undo));
}

async function secretMount(m: RunMount, cwd: string, src: MountSources, out: PreparedMounts): Promise<void> {
  const id = m.id ?? posix.basename(m.target ?? '');
  const file = src.secrets[id];
  if (file === undefined) {
    if (m.required) throw errors.notFound('SECRET_NOT_FOUND', `Secret "${id}" is required but was not given (use --secret id=${id},src=FILE)`);
    return;
  }
  if (m.env !== undefined) out.env.push(`${m.env}=${await readFile(file, 'utf8')}`);
  if (m.env === undefined || m.target !== undefined) out.mounts.push({ destination: target({ ...m, id }, cwd), type: 'bind', source: file, options: ['rbind', 'ro', 'rprivate'] });
}

async function ownedDir(dir: string, m: RunMount): Promise<void> {
  await chmod(dir, m.mode ?? 0o755);
  await chown(dir, m.uid ?? 0, m.gid ?? 0);
}

async function cacheMount(m: RunMount, cwd: string, src: MountSources, undo: Undo): Promise<OciMount> {
  const dest = target(m, cwd);
  const dir = src.cache.cacheMountDir(sha256(m.id ?? dest).slice(7, 39));
  try {
    await stat(dir);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    await mkdir(dir, { recursive: true, mode: m.mode ?? 0o755 });
    await ownedDir(dir, m);
  }
  // Its place in the build cache's LRU order (builder prune, the cache limit).
  await src.cache.touchMount(dir);
  let source = dir;
  // locked: wait for the other user; private: another user gets a fresh, throwaway directory; shared: no lock.
  if (m.sharing === 'locked' || m.sharing === 'private') {
    const release = await acquireCacheLock(`${dir}.lock`, { wait: m.sharing === 'locked' });
    if (release) undo.push(release);
    else {
      source = await mkdtemp(join(src.tmpDir(), 'cache-private-'));
      await ownedDir(source, m);
    }
  }
  return { destination: dest, type: 'bind', source, options: ['rbind', 'rw', 'rprivate'] };
}

async function bindMount(m: RunMount, cwd: string, src: MountSources, undo: Undo): Promise<OciMount> {
  let root = src.context;
  if (m.from !== undefined) {
    const opened = await src.openRoot(m.from);
    undo.push(opened.release);
    root = opened.root;
  }
  const [entry] = await resolveSources(root, m.source ?? '.');
  if (!entry) throw errors.notFound('MOUNT_SOURCE_NOT_FOUND', `Cannot mount "${m.source ?? '.'}": not found`);
  let source = entry.abs;
  if (root.isContext && root.ignore && entry.st.isDirectory()) {
    // What the .dockerignore excludes is not in the cache key, so the step must not see it either.
    const tmp = await mkdtemp(join(src.tmpDir(), 'bind-view-'));
    undo.push(() => rm(tmp, { recursive: true, force: true }));
    source = join(tmp, 'v');
    await makeFilteredView(root, entry, source);
  }
  if (!m.readOnly && entry.st.isDirectory()) {
    // Writes to a rw bind are thrown away, as in BuildKit: an overlay with a temporary upper dir.
    const tmp = await mkdtemp(join(src.tmpDir(), 'bind-'));
    await Promise.all(['u', 'w', 'm'].map((d) => mkdir(join(tmp, d))));
    mountAll(volatileMounts([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${source}`, `upperdir=${tmp}/u`, `workdir=${tmp}/w`] }]), join(tmp, 'm'));
    undo.push(async () => {
      await unmountAll(join(tmp, 'm'));
      await rm(tmp, { recursive: true, force: true });
    });
    source = join(tmp, 'm');
  } else if (!m.readOnly && entry.st.isFile()) {
    // A rw file: bind a copy, so the step's writes never reach the user's source tree (BuildKit discards them).
    const tmp = await mkdtemp(join(src.tmpDir(), 'bind-file-'));
    undo.push(() => rm(tmp, { recursive: true, force: true }));
    source = join(tmp, posix.basename(entry.abs));
    await copyFile(entry.abs, source);
    await chmod(source, entry.st.mode & 0o7777);
  }
  return { destination: target(m, cwd), type: 'bind', source, options: ['rbind', m.readOnly ? 'ro' : 'rw', 'rprivate'] };
}
