import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { hostname as hostHostname, constants as osConstants } from 'node:os';
import { join } from 'node:path';

import { errors, isBerthError, isNotFound, newId, randomName, secureJoin, trace } from '../base/index.js';
import type { ContainerRecord, HostConfig, MountSpec } from '../core/containers/index.js';
import { assertTransition, initialState, killProcess, processAlive, processStartTime, supervisorAlive, validateContainerName, waitUntilGone } from '../core/containers/index.js';
import { mountAll, unmountAll, volatileMounts } from '../core/mount/index.js';
import { sharesHostNetwork } from '../core/network/index.js';
import type { Stdio } from '../core/runtime/index.js';
import type { SpecInput } from '../core/spec/index.js';
import { buildSpec, resolveUser } from '../core/spec/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';
import { exitCodeFor } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';
import { readUserDatabase, writeHostFiles } from './process-files.js';
import { ensureUnpacked } from './unpack.js';

export interface CreateContainerOptions {
  image: string;
  name?: string;
  /** Replaces the image's Cmd when non-empty. */
  cmd?: string[];
  /** Replaces the image's Entrypoint (`[]` clears it, like `--entrypoint ''`). */
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  host?: Partial<HostConfig>;
  tmpfs?: string[];
}

export interface AttachOptions {
  stdio: Stdio;
  /**
   * Aborting before the container has started keeps it from starting: the run then returns
   * 128 + the signal's number when the reason is a signal name (`SIGINT`), else 137. Aborting
   * later kills it (SIGKILL).
   */
  signal?: AbortSignal;
  /** Called once the runtime has spawned and the record says running: `kill` works from then on. */
  onSpawn?: () => void;
}

export interface ContainerService {
  create(options: CreateContainerOptions): Promise<ContainerRecord>;
  /**
   * Starts a created container and waits for it to exit, its standard streams wired to `stdio`.
   * Returns the exit code. With `autoRemove` the container is gone when this returns.
   * Pass the record `create` returned to save reading it again.
   */
  runAttached(ref: string | ContainerRecord, options: AttachOptions): Promise<number>;
  /**
   * Sends a signal (`SIGTERM`, `TERM`, `15`) to the container's main process; right after the
   * runtime has spawned, waits (briefly) until the runtime has created the container.
   */
  kill(ref: string, signal: string): Promise<void>;
  inspect(ref: string): ContainerRecord;
  list(options?: { all?: boolean }): ContainerRecord[];
  remove(ref: string, options?: { force?: boolean }): Promise<string>;
}

/** The PATH a container gets when its image sets none (Docker's default). */
export const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function createContainerService(ctx: EngineContext, images: ImageService): ContainerService {
  const dirOf = (id: string) => join(ctx.paths.containers, id);

  async function create(options: CreateContainerOptions): Promise<ContainerRecord> {
    trace('create: start');
    const image = await images.resolve(options.image);
    trace('create: image resolved');
    const id = newId();
    const name = options.name === undefined ? randomName() : validateContainerName(options.name);
    const imageConfig = image.config.config;
    const env = mergeEnv(imageConfig.Env ?? [defaultPath], options.env ?? []);
    if (!env.some((e) => e.startsWith('PATH='))) env.unshift(defaultPath);
    const config: ContainerRecord['config'] = {
      ...imageConfig,
      Hostname: options.hostname ?? defaultHostname(id, options.host?.networkMode ?? 'none'),
      Image: options.image,
      Env: env,
      Entrypoint: options.entrypoint ?? imageConfig.Entrypoint ?? null,
      Cmd: options.cmd && options.cmd.length > 0 ? options.cmd : options.entrypoint !== undefined ? null : imageConfig.Cmd ?? null,
      WorkingDir: options.workingDir ?? imageConfig.WorkingDir ?? '',
      User: options.user ?? imageConfig.User ?? '',
    };
    if (processArgs(config).length === 0) {
      throw errors.invalidArgument('NO_COMMAND', `Cannot create container from image "${options.image}": no command specified`);
    }
    const host: HostConfig = {
      autoRemove: false, binds: [], networkMode: 'none', readonlyRootfs: false, privileged: false, capAdd: [], capDrop: [],
      securityOpt: [], ulimits: [], runtime: '', ...options.host,
    };
    for (const t of options.tmpfs ?? []) host.binds.push(parseTmpfs(t));
    const record: ContainerRecord = {
      id, name, image: options.image, imageId: image.id, createdAt: new Date().toISOString(), config, hostConfig: host,
      snapshotKey: `container-${id}`, state: initialState(),
    };
    // Unpacked layers and the new root are unreferenced until the record exists: no collection meanwhile.
    const lease = ctx.leases.acquire();
    let prepared = false;
    try {
      const top = await ensureUnpacked(ctx, image);
      trace('create: unpacked');
      await mkdir(join(dirOf(id), 'rootfs'), { recursive: true });
      await ctx.snapshots.prepare(record.snapshotKey, top, { labels: { 'berth.container': id } });
      prepared = true;
      ctx.metadata.createContainer(record);
      trace('create: recorded');
    } catch (err) {
      // Whatever step failed, leave no bundle directory or snapshot behind.
      if (prepared) await ctx.snapshots.remove(record.snapshotKey);
      await rm(dirOf(id), { recursive: true, force: true });
      throw err;
    } finally {
      lease.release();
    }
    return record;
  }

  async function prepareBundle(record: ContainerRecord): Promise<{ bundle: string; rootfs: string }> {
    const bundle = dirOf(record.id);
    const rootfs = join(bundle, 'rootfs');
    const mounts = await ctx.snapshots.mounts(record.snapshotKey);
    // A --rm container's writes are thrown away: no need to flush them to disk.
    mountAll(record.hostConfig.autoRemove ? volatileMounts(mounts) : mounts, rootfs);
    trace('start: mounted');
    const user = resolveUser(record.config.User || undefined, readUserDatabase(rootfs));
    const cwd = record.config.WorkingDir || '/';
    mkdirSync(secureJoin(rootfs, cwd), { recursive: true });
    const files = writeHostFiles(bundle, { hostname: record.config.Hostname, network: record.hostConfig.networkMode, readonly: record.hostConfig.readonlyRootfs });
    const host = record.hostConfig;
    const input: SpecInput = {
      id: record.id,
      rootfs,
      readonlyRootfs: host.readonlyRootfs,
      args: processArgs(record.config),
      env: withHostname(record.config.Env ?? [], record.config.Hostname),
      cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      hostname: record.config.Hostname,
      mounts: [...files, ...host.binds.map(toOciMount)],
      network: { mode: host.networkMode },
      resources: {
        ...(host.memory !== undefined ? { memory: host.memory } : {}),
        ...(host.memorySwap !== undefined ? { memorySwap: host.memorySwap } : {}),
        ...(host.nanoCpus !== undefined ? { cpus: host.nanoCpus / 1e9 } : {}),
        ...(host.pidsLimit !== undefined ? { pidsLimit: host.pidsLimit } : {}),
      },
      capAdd: host.capAdd,
      capDrop: host.capDrop,
      privileged: host.privileged,
      noNewPrivileges: host.securityOpt.some((o) => /^no-new-privileges(:true|=true)?$/.test(o)),
      ulimits: host.ulimits,
      cgroupsPath: ctx.cgroups.containerPath(record.id),
      seccomp: host.securityOpt.includes('seccomp=unconfined') || host.securityOpt.includes('seccomp:unconfined') ? 'unconfined' : 'default',
    };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(buildSpec(input)));
    trace('start: config written');
    return { bundle, rootfs };
  }

  async function runAttached(ref: string | ContainerRecord, options: AttachOptions): Promise<number> {
    // A record passed in may be stale: markRunning checks the transition again under the lock.
    const record = typeof ref === 'string' ? ctx.metadata.findContainer(ref) : ref;
    assertTransition(record, 'running');
    const selection = ctx.runtime(record.hostConfig.runtime || undefined);
    if (selection.warning) ctx.warn(selection.warning);
    // Aborted when the record cannot say "running": an unrecorded container must not run on.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let exitCode: number;
    let failure: unknown;
    try {
      if (options.signal?.aborted) throw errors.aborted('RUN_ABORTED', `Container "${record.name}" was not started: the run was aborted`);
      const { bundle } = await prepareBundle(record);
      const onSpawn = (pid: number) => {
        try {
          markRunning(record.id, selection.driver.name, pid);
        } catch (err) {
          failure = err;
          stop.abort();
          return;
        }
        options.onSpawn?.();
      };
      trace('start: running');
      exitCode = (await selection.driver.run(record.id, bundle, { stdio: options.stdio, signal, onSpawn })).exitCode;
      trace('start: exited');
    } catch (err) {
      failure ??= err;
      exitCode = exitCodeFor(err);
      // Stopped before it started, as asked (Ctrl-C early): exit as if killed by that signal.
      if (failure === err && isBerthError(err, 'Aborted') && options.signal?.aborted) {
        exitCode = 128 + (signalNumber(options.signal.reason) ?? 9);
        failure = undefined;
      }
    }
    return finishRun(record, { exitCode, failure });
  }

  /**
   * After the run: tear down in order, each step attempted even when an earlier one failed, so
   * that a failure leaves as little behind as possible and is still reported; then record the
   * exit, or with --rm remove the container.
   */
  async function finishRun(record: ContainerRecord, { exitCode, failure }: { exitCode: number; failure: unknown }): Promise<number> {
    const teardown: unknown[] = [];
    const attempt = (step: () => void) => {
      try {
        step();
      } catch (err) {
        teardown.push(err);
      }
    };
    let oomKilled = false;
    // The kernel's OOM killer ends a process with SIGKILL, so only an exit of 137 needs a look.
    attempt(() => void (oomKilled = exitCode === 137 && ctx.cgroups.oomKilled(record.id)));
    attempt(() => ctx.cgroups.remove(record.id));
    attempt(() => unmountAll(join(dirOf(record.id), 'rootfs')));
    trace('start: cleaned up');
    // A foreground --rm container goes right away: nobody needs to see it exited or removing.
    let removal: unknown;
    if (record.hostConfig.autoRemove && teardown.length === 0) {
      try {
        await removeRecord(record, { announce: false });
        trace('removed');
        if (failure !== undefined) throw failure;
        return exitCode;
      } catch (err) {
        if (err === failure) throw err;
        removal = err;
      }
    }
    const problem = failure ?? teardown[0] ?? removal;
    const error = problem instanceof Error ? problem.message : '';
    try {
      ctx.metadata.updateContainer(record.id, (r) => {
        r.state = { ...r.state, status: 'exited', pid: 0, exitCode, oomKilled, error, finishedAt: new Date().toISOString() };
        delete r.state.supervisor;
        delete r.state.runtime;
      });
    } catch (err) {
      // `rm -f` from another process removed the container (killing it): its exit is still ours to report.
      if (!isNotFound(err)) throw err;
    }
    if (problem !== undefined) throw problem;
    return exitCode;
  }

  /**
   * Records, once the runtime has spawned, that the container runs, who supervises it (this
   * process) and the runtime's pid: if this process dies, others can tell the record is stale.
   */
  function markRunning(id: string, runtime: string, runtimePid: number): void {
    const supervisor = { pid: process.pid, startTime: (ownStartTime ??= processStartTime('self') ?? 0) };
    const runtimeRef = { pid: runtimePid, startTime: processStartTime(runtimePid) ?? 0 };
    ctx.metadata.updateContainer(id, (r) => {
      assertTransition(r, 'running');
      r.state = { ...r.state, status: 'running', startedAt: new Date().toISOString(), error: '', supervisor, runtime: runtimeRef };
      r.hostConfig.runtime = runtime;
    });
  }

  /** Removes a container's mount, snapshot, bundle and record; `announce` marks it removing first. */
  async function removeRecord(record: ContainerRecord, { announce = true } = {}): Promise<void> {
    if (announce) ctx.metadata.updateContainer(record.id, (r) => void (r.state.status = 'removing'));
    unmountAll(join(dirOf(record.id), 'rootfs'));
    try {
      await ctx.snapshots.remove(record.snapshotKey);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    rmSync(dirOf(record.id), { recursive: true, force: true });
    ctx.metadata.deleteContainer(record.id);
  }

  /**
   * Stops a running (or dead) container in the runtime and removes its cgroup scope. When its
   * supervisor is gone, the runtime process is killed first so it cannot go on creating it.
   */
  async function stopInRuntime(record: ContainerRecord, supervised: boolean): Promise<void> {
    const runtime = record.state.runtime;
    if (!supervised && runtime !== undefined && processAlive(runtime)) {
      killProcess(runtime.pid);
      await waitUntilGone(runtime);
    }
    try {
      // --force kills the container; a container the runtime no longer has was deleted by its own run.
      await ctx.runtime(record.hostConfig.runtime || undefined).driver.delete(record.id, { force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    ctx.cgroups.remove(record.id);
  }

  return {
    create,
    runAttached,
    async kill(ref, signal) {
      const record = ctx.metadata.findContainer(ref);
      if (!isActive(record) || !supervisorAlive(record)) {
        throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Cannot kill container "${record.name}": container is not running`);
      }
      const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
      for (let attempt = 0; ; attempt++) {
        try {
          return await driver.kill(record.id, signal);
        } catch (err) {
          // Between its spawn and its create (a few ms) the runtime does not know the container yet.
          if (!isNotFound(err) || attempt >= 300 || !isActive(ctx.metadata.findContainer(record.id))) throw err;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    },
    inspect: (ref) => withLiveness(ctx.metadata.findContainer(ref)),
    list: ({ all = false } = {}) => ctx.metadata.listContainers().map(withLiveness).filter((c) => all || isActive(c)),
    async remove(ref, { force = false } = {}) {
      const record = ctx.metadata.findContainer(ref);
      const supervised = isActive(record) && supervisorAlive(record);
      if (supervised && !force) {
        throw errors.failedPrecondition('CONTAINER_RUNNING', `Cannot remove container "${record.name}": container is running, stop it first or use --force`);
      }
      if (isActive(record)) await stopInRuntime(record, supervised);
      await removeRecord(record);
      return record.name;
    },
  };
}

let ownStartTime: number | undefined;


const isActive = (record: ContainerRecord) => record.state.status === 'running' || record.state.status === 'paused';

/** A record as others should see it: "running" with its supervisor gone is dead (Docker's status). */
function withLiveness(record: ContainerRecord): ContainerRecord {
  if (!isActive(record) || supervisorAlive(record)) return record;
  return { ...record, state: { ...record.state, status: 'dead' } };
}

/** The number of a signal named like `SIGINT`, if it is one. */
function signalNumber(name: unknown): number | undefined {
  return typeof name === 'string' ? (osConstants.signals as Record<string, number | undefined>)[name] : undefined;
}

export { supervisorAlive };

/** Entrypoint followed by Cmd, as Docker combines them. */
export function processArgs(config: ImageRuntimeConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

/** Image env overridden by user env, by variable name, keeping the image's order. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const entry of overrides) {
    const key = entry.split('=')[0];
    const index = out.findIndex((e) => e.split('=')[0] === key);
    if (index >= 0) out[index] = entry;
    else out.push(entry);
  }
  return out;
}

/** Docker's default host name: the host's own on the host network, else the short container id. */
function defaultHostname(id: string, network: HostConfig['networkMode']): string {
  return sharesHostNetwork(network) ? hostHostname() : id.slice(0, 12);
}

/** Docker puts HOSTNAME right after PATH unless the user set it. */
function withHostname(env: readonly string[], hostname: string): string[] {
  if (env.some((e) => e.startsWith('HOSTNAME='))) return [...env];
  const out = [...env];
  out.splice(out.findIndex((e) => e.startsWith('PATH=')) + 1, 0, `HOSTNAME=${hostname}`);
  return out;
}

function parseTmpfs(spec: string): MountSpec {
  const [target = '', opts = ''] = spec.split(/:(.*)/s);
  if (!target.startsWith('/')) throw errors.invalidArgument('INVALID_TMPFS', `Invalid --tmpfs "${spec}": the path must be absolute`);
  return { type: 'tmpfs', source: 'tmpfs', target, readonly: false, options: opts ? opts.split(',') : [] };
}

function toOciMount(m: MountSpec) {
  if (m.type === 'tmpfs') {
    return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.options?.length ? m.options : ['mode=1777'])] };
  }
  return { destination: m.target, type: 'bind', source: m.source, options: ['rbind', m.readonly ? 'ro' : 'rw', 'rprivate'] };
}


