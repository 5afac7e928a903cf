/**
 * The inspect render cache: what the native `berth inspect` fast path (native/berth_inspect.c)
 * prints without Node. Each time the Node CLI inspects a container it also writes
 * `containers/<id>/inspect-cache`: the exact text `berth inspect` prints for that container (one
 * element of its JSON array), headed by the conditions under which that text is still the
 * answer. The fast path prints the text only while every condition holds; anything else (a
 * missing, stale or unreadable cache) is Node's to answer, and Node writes a fresh cache.
 *
 * The conditions are every input of the view (api/container-view.ts with services/
 * container-host-facts.ts), checked without reading them:
 *   - `file DEV INO MODE SIZE MTIME_NS CTIME_NS PATH`: lstat(2) of PATH gives exactly these: the
 *     container's record, its volumes' records, its snapshot's key link and records (its record
 *     files are all replaced by rename, so any change is a new inode and ctime), and the file of
 *     the code that rendered it (dist/bundle/berth.cjs: a rebuilt berth may render otherwise);
 *   - `absent PATH`: lstat(2) fails with ENOENT (a volume or snapshot record that was missing);
 *   - `exists PATH` / `absent PATH` for the files whose existence only is shown (ResolvConfPath,
 *     HostnamePath, HostsPath, LogPath: a growing log must not make the cache stale);
 *   - `alive PID START`: the record says running, paused or restarting, which holds only while
 *     its monitor lives (`reconcile` rewrites the record otherwise): /proc/PID/stat's start time;
 *   - `name NAME`: the container's name, for the fast path's name lookup (Node's byName checks
 *     that the record still carries the name its link gives);
 *   - for a container that names no runtime (never started, no --runtime), HostConfig.Runtime is
 *     the host's default, chosen from PATH and the cgroup layout: `path-env VALUE` (PATH), `exec
 *     FILE` / `noexec FILE` (access X_OK of each candidate looked at), `blank FILE` / `absent FILE`
 *     (the cgroup controllers file crunBlocker reads); see defaultRuntimeConditions.
 * Then `body LENGTH` and the text, LENGTH bytes to the end of the file.
 *
 * No cache is written when an input is not such a file: a record in the middle of a start, a
 * commit or a removal (`reconcile` acts on those), a default runtime chosen from anything else, a
 * path with a newline. The stamps are taken
 * before the inputs are read and again after: a change during rendering leaves no cache, and a
 * change after it makes the cache stale, never wrong. Writes go to a temporary file renamed over
 * the cache, so two inspects at once leave one whole cache. Writing it never fails an inspect.
 */
import type { BigIntStats } from 'node:fs';
import { lstatSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { errnoCode } from '../base/index.js';
import { containerInspectView, inspectElementText } from '../api/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { reconcileWatches } from '../core/containers/index.js';
import { containerHostFacts } from './container-host-facts.js';
import { containerDir } from './container-lifecycle.js';
import { logPath } from './container-monitor.js';
import type { EngineContext } from './engine-context.js';

export const inspectCacheMagic = 'berth-inspect-cache 1';
export const inspectCacheFile = 'inspect-cache';

export type ContainerInspectView = ReturnType<typeof containerInspectView>;

const renderer = fileURLToPath(import.meta.url);

/** The inputs of a container's inspect view: files whose content counts, and files whose existence does. */
function inputs(ctx: EngineContext, record: ContainerRecord): { files: string[]; existence: string[] } | undefined {
  const snapshotFiles = ctx.snapshots.recordFiles?.(record.snapshotKey);
  if (snapshotFiles === undefined) return undefined;
  const volumes: string[] = [];
  for (const b of record.hostConfig.binds) {
    if (b.type !== 'volume' || b.source === '') continue;
    const file = ctx.volumes.recordFile?.(b.source);
    if (file === undefined) return undefined;
    volumes.push(file);
  }
  const dir = containerDir(ctx, record.id);
  return {
    // This code's own file too (the bundle, in the CLI): a berth built anew may render otherwise.
    files: [join(ctx.paths.root, 'metadata', 'containers', `${record.id}.json`), ...snapshotFiles, ...volumes, renderer],
    existence: [join(dir, 'resolv.conf'), join(dir, 'hostname'), join(dir, 'hosts'), logPath(ctx, record)],
  };
}

/** The stamp lines of `inputs`, or undefined when one is neither a plain file nor absent. */
function stamps(deps: { files: string[]; existence: string[] }): string[] | undefined {
  const lines: string[] = [];
  for (const path of deps.files) {
    let st: BigIntStats;
    try {
      st = lstatSync(path, { bigint: true });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') return undefined;
      lines.push(`absent ${path}`);
      continue;
    }
    lines.push(`file ${st.dev} ${st.ino} ${st.mode} ${st.size} ${st.mtimeNs} ${st.ctimeNs} ${path}`);
  }
  for (const path of deps.existence) {
    // existsSync's answer, told apart from what it hides (a dangling link, EACCES).
    try {
      statSync(path);
      lines.push(`exists ${path}`);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') return undefined;
      try {
        lstatSync(path);
        return undefined;
      } catch {
        lines.push(`absent ${path}`);
      }
    }
  }
  return lines;
}

/** What `reconcile` leaves as it is, and the condition under which it does; undefined: no cache. */
function liveness(record: ContainerRecord): string[] | undefined {
  const watched = reconcileWatches(record);
  if (watched === undefined || watched.some((p) => !Number.isSafeInteger(p.pid) || !Number.isSafeInteger(p.startTime))) return undefined;
  return watched.map((p) => `alive ${p.pid} ${p.startTime}`);
}

/** For a container that names no runtime (never started, no --runtime): the default's name and the host facts it follows from. */
function defaultRuntime(ctx: EngineContext, record: ContainerRecord): { name: string; conditions: string[] } | undefined {
  if (record.hostConfig.runtime) return { name: record.hostConfig.runtime, conditions: [] };
  try {
    return ctx.runtime(undefined).conditions?.();
  } catch {
    return undefined;
  }
}

let sequence = 0;

/**
 * The inspect view of the container `found` (a reconciled record), computed from a fresh read
 * of its inputs, and the render cache written for it when it can be.
 */
export async function inspectViewCached(ctx: EngineContext, found: ContainerRecord): Promise<ContainerInspectView> {
  const deps = inputs(ctx, found);
  const runtimeBefore = defaultRuntime(ctx, found);
  const before = deps && stamps(deps);
  let record: ContainerRecord;
  try {
    record = ctx.metadata.findContainer(found.id);
  } catch {
    record = found;
  }
  const view = containerInspectView(record, await containerHostFacts(ctx, record));
  if (deps === undefined || before === undefined || runtimeBefore === undefined || JSON.stringify(inputs(ctx, record)) !== JSON.stringify(deps)) return view;
  try {
    const live = liveness(record);
    const after = stamps(deps);
    const runtimeAfter = defaultRuntime(ctx, record);
    if (live === undefined || after === undefined || after.join('\n') !== before.join('\n')) return view;
    // The runtime shown is the one the conditions name, and they held before and after.
    if (view.HostConfig.Runtime !== runtimeBefore.name || JSON.stringify(runtimeAfter) !== JSON.stringify(runtimeBefore)) return view;
    if ([...deps.files, ...deps.existence].some((p) => p.includes('\n')) || record.name.includes('\n')) return view;
    const body = inspectElementText(view);
    const text = `${inspectCacheMagic}\nname ${record.name}\n${[...live, ...runtimeBefore.conditions, ...before].join('\n')}\nbody ${Buffer.byteLength(body)}\n${body}`;
    const target = join(containerDir(ctx, record.id), inspectCacheFile);
    const tmp = `${target}.${process.pid}-${sequence++}.tmp`;
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, target);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // never written
      }
    }
  } catch {
    // A cache is an optimisation: inspect answers whatever happens to it.
  }
  return view;
}
