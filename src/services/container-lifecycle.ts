/**
 * A container's lifecycle as separate steps — create, prepare its bundle, mark it running,
 * tear it down, record its exit, stop it in the runtime, remove it — each a function of the
 * store and a record, so that a command, a per-container monitor or a later process can call any
 * one of them on its own. The container service (containers.ts) strings them together.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { hostname as hostHostname, release } from 'node:os';
import { join } from 'node:path';

import type { ProcessRef } from '../base/index.js';
import {
  errors, isBerthError, isNotFound, killProcess, newId, processAlive, processStartTime, randomName, readdirSyncOrEmpty, removeTree, selfProcess, trace, waitUntilGone,
} from '../base/index.js';
import type { ContainerRecord, HostConfig, MountSpec } from '../core/containers/index.js';
import { assertTransition, defaultPath, initialState, mergeEnv, mergeHealthcheck, processArgs, validateContainerName, validateHealthcheck } from '../core/containers/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { parseSecurityOptions } from '../core/spec/index.js';
import { mountAll, unmountAll, volatileMounts } from '../core/mount/index.js';
import type { NetworkMode } from '../core/network/index.js';
import { sharesHostNetwork } from '../core/network/index.js';
import type { CreateContainerOptions } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { configOptions, containerBundleOptions, releaseShm, validateContainerOptions } from './container-options.js';
import { fitToHostCgroups } from './cgroup-limits.js';
import { writeProcessBundle } from './process-bundle.js';
import { ensureUnpacked, imageLayers } from './unpack.js';
import { recordContainerEvent } from './events.js';
import { validateHostConfig } from './validate-host-config.js';
import { discardVolumes, ociMounts, planMounts, provisionVolumes, recordContainer } from './volume-mounts.js';
import type { Spec } from '../oci/index.js';
import { connectContainer, disconnectContainer, planNetwork } from './container-network.js';

/** A container's directory: its bundle (config.json, hosts files) and rootfs mount point. */
export const containerDir = (ctx: EngineContext, id: string) => join(ctx.paths.containers, id);

/**
 * Creates a container from a resolved image: its record, its bundle directory and its root
 * snapshot on the image's unpacked layers. Nothing is left behind when a step fails.
 */
export async function createContainer(ctx: EngineContext, image: ResolvedImage, options: CreateContainerOptions, warn: (message: string) => void = ctx.warn): Promise<ContainerRecord> {
  const id = newId();
  const name = options.name === undefined ? randomName() : validateContainerName(options.name);
  const imageConfig = image.config.config;
  const env = mergeEnv(imageConfig.Env ?? [defaultPath], options.env ?? []);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(defaultPath);
  const config: ContainerRecord['config'] = {
    ...imageConfig,
    Hostname: options.hostname ?? defaultHostname(id, options.host?.networkMode ?? 'bridge'),
    ...(options.domainname !== undefined ? { Domainname: options.domainname } : {}),
    Image: options.image,
    Env: env,
    Entrypoint: options.entrypoint ?? imageConfig.Entrypoint ?? null,
    Cmd: options.cmd && options.cmd.length > 0 ? options.cmd : options.entrypoint !== undefined ? null : imageConfig.Cmd ?? null,
    WorkingDir: options.workingDir ?? imageConfig.WorkingDir ?? '',
    User: options.user ?? imageConfig.User ?? '',
    Tty: options.tty === true,
    OpenStdin: options.openStdin === true,
    StdinOnce: options.stdinOnce === true,
    ...(options.attach ? { AttachStdin: options.attach.stdin, AttachStdout: options.attach.stdout, AttachStderr: options.attach.stderr } : {}),
    ...configOptions(imageConfig, options),
  };
  const healthcheck = mergeHealthcheck(imageConfig.Healthcheck, options.healthcheck);
  validateHealthcheck(healthcheck);
  if (healthcheck) config.Healthcheck = healthcheck;
  if (options.exposedPorts && options.exposedPorts.length > 0) {
    config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(options.exposedPorts.map((p) => [p, {}])) };
  }
  if (processArgs(config).length === 0) {
    throw errors.invalidArgument('NO_COMMAND', `Cannot create container from image "${options.image}": no command specified`);
  }
  const host: HostConfig = {
    autoRemove: false, binds: [], networkMode: 'bridge', readonlyRootfs: false, privileged: false, capAdd: [], capDrop: [],
    securityOpt: [], ulimits: [], runtime: '', ...options.host,
  };
  for (const t of options.tmpfs ?? []) host.binds.push(parseTmpfs(t));
  validateHostConfig(ctx, host);
  validateContainerOptions(ctx, host, config, options.hostname !== undefined);
  for (const warning of fitToHostCgroups(host, ctx.cgroups.features())) warn(warning);
  const asked = { hostname: options.hostname !== undefined, exposedPorts: (options.exposedPorts ?? []).length > 0 };
  for (const warning of planNetwork(ctx, host, (ref) => ctx.metadata.findContainer(ref), asked)) warn(warning);
  host.binds = planMounts(ctx, imageConfig, host);
  const record: ContainerRecord = {
    id, name, image: options.image, imageId: image.id, createdAt: new Date().toISOString(), config, hostConfig: host,
    snapshotKey: `container-${id}`, state: initialState(),
  };
  // Unpacked layers and the new root are unreferenced until the record exists: no collection meanwhile.
  const lease = await ctx.leases.acquire();
  let prepared = false;
  let volumes: string[] = [];
  try {
    const top = await ensureUnpacked(ctx, imageLayers(image));
    trace('create: unpacked');
    mkdirSync(join(containerDir(ctx, id), 'rootfs'), { recursive: true });
    await ctx.snapshots.prepare(record.snapshotKey, top, { labels: { 'berth.container': id } });
    prepared = true;
    volumes = await provisionVolumes(ctx, record, containerDir(ctx, id));
    // A drawn name may be taken: draw again with a digit appended, and after a few tries use
    // the short id, as Docker does. A name the user gave stays a conflict.
    for (let retry = 1; ; retry++) {
      try {
        recordContainer(ctx, record);
        break;
      } catch (err) {
        if (options.name !== undefined || !isBerthError(err) || err.code !== 'BERTH_E_CONTAINER_NAME_IN_USE' || retry > 6) throw err;
        record.name = retry < 6 ? randomName(retry) : id.slice(0, 12);
      }
    }
    trace('create: recorded');
  } catch (err) {
    // Whatever step failed, leave no bundle directory or snapshot behind.
    if (prepared) await ctx.snapshots.remove(record.snapshotKey);
    discardVolumes(ctx, volumes);
    await removeTree(containerDir(ctx, id));
    throw err;
  } finally {
    lease.release();
  }
  recordContainerEvent(ctx, record, 'create');
  return record;
}

/**
 * Mounts the container's root and writes its OCI bundle; returns the bundle directory, the spec
 * written to its config.json, and when
 * the network's setup still runs (services/container-network.ts, `defer`) what settles when it has
 * finished: the container may be created meanwhile, but not started.
 */
export async function prepareBundle(ctx: EngineContext, record: ContainerRecord): Promise<{ bundle: string; spec: Spec; networkReady?: Promise<Error | undefined> }> {
  const bundle = containerDir(ctx, record.id);
  const rootfs = join(bundle, 'rootfs');
  // First, so that netavark's setup (when deferred) runs while the root is mounted and the bundle written.
  const networking = await connectContainer(ctx, record, { defer: true });
  let spec: Spec;
  try {
    const mounts = await ctx.snapshots.mounts(record.snapshotKey);
    // A --rm container's writes are thrown away: no need to flush them to disk.
    mountAll(record.hostConfig.autoRemove ? volatileMounts(mounts) : mounts, rootfs);
    trace('start: mounted');
    const host = record.hostConfig;
    const security = parseSecurityOptions(host.securityOpt);
    const { resources: moreResources, ...more } = await containerBundleOptions(ctx, record);
    // Another container's network comes with its names and hosts files (Docker's `container:NAME`).
    const names: { hostname: string; domainname?: string } = networking?.sharedFrom ?? { hostname: record.config.Hostname, ...(record.config.Domainname ? { domainname: record.config.Domainname } : {}) };
    spec = writeProcessBundle(ctx, {
      ...more,
      id: record.id,
      bundle,
      rootfs,
      // A filter the runtime compiled for this profile before; else it keeps the one it compiles now (container-monitor.ts).
      annotate: (spec) => void ctx.runtime(host.runtime || undefined).driver.seccompFilters?.annotate(record.id, spec, { learn: true }),
      readonlyRootfs: host.readonlyRootfs,
      args: processArgs(record.config),
      env: record.config.Env ?? [],
      cwd: record.config.WorkingDir || '/',
      user: record.config.User ?? '',
      hostname: names.hostname,
      ...(names.domainname ? { domainname: names.domainname } : {}),
      ...(networking?.sharedFrom ? { hostFilesFrom: networking.sharedFrom.filesDir } : {}),
      terminal: record.config.Tty === true,
      network: host.networkMode,
      mounts: ociMounts(ctx, host.binds),
      resources: {
        ...(host.memory !== undefined ? { memory: host.memory } : {}),
        ...(host.memorySwap !== undefined ? { memorySwap: host.memorySwap } : {}),
        ...(host.nanoCpus !== undefined ? { cpus: host.nanoCpus / 1e9 } : {}),
        ...(host.pidsLimit !== undefined ? { pidsLimit: host.pidsLimit } : {}),
        ...moreResources,
      },
      capAdd: host.capAdd,
      capDrop: host.capDrop,
      privileged: host.privileged,
      noNewPrivileges: security.noNewPrivileges,
      ulimits: host.ulimits,
      seccomp: security.seccomp.kind === 'profile' ? { dockerProfile: security.seccomp.profile } : security.seccomp.kind,
      kernel: release(),
      ...(networking?.netns !== undefined ? { netns: networking.netns } : {}),
      ...(networking?.hostFiles ? { hostFiles: networking.hostFiles } : {}),
    });
  } catch (err) {
    await disconnectContainer(ctx, record.id);
    throw err;
  }
  return { bundle, spec, ...(networking?.ready ? { networkReady: networking.ready } : {}) };
}

/**
 * Records, once the runtime has spawned, that the container runs, who supervises it and the
 * runtime's process: when the supervisor dies, others can tell the record is stale.
 */
export function markRunning(ctx: EngineContext, id: string, runtime: { name: string; pid: number }, supervisor: ProcessRef): void {
  const runtimeRef = { pid: runtime.pid, startTime: processStartTime(runtime.pid) ?? 0 };
  ctx.metadata.updateContainer(id, (r) => {
    assertTransition(r, 'running');
    r.state = { ...r.state, status: 'running', startedAt: new Date().toISOString(), error: '', supervisor, runtime: runtimeRef };
    r.hostConfig.runtime = runtime.name;
  });
}

export interface TeardownResult {
  /** The kernel's OOM killer ended the container (read before its cgroup scope went). */
  oomKilled: boolean;
  /** Steps that failed; every step was attempted. */
  problems: unknown[];
}

/**
 * After the container's process exited: read the OOM record, remove the cgroup scope, unmount
 * the root. Each step is attempted even when an earlier one failed, so a failure leaves as little
 * behind as possible and is still reported.
 */
export async function tearDown(ctx: EngineContext, record: ContainerRecord, exitCode: number, options: { network?: Promise<unknown[]> } = {}): Promise<TeardownResult> {
  const problems: unknown[] = [];
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch (err) {
      problems.push(err);
    }
  };
  let oomKilled = false;
  // The kernel's OOM killer ends a process with SIGKILL, so only an exit of 137 needs a look.
  await attempt(() => void (oomKilled = exitCode === 137 && ctx.cgroups.oomKilled(record.id)));
  // The network's teardown (netavark, tens of ms) runs alongside the other steps: they share nothing.
  const network = options.network ?? beginDisconnect(ctx, record.id);
  await attempt(() => ctx.cgroups.remove(record.id));
  await attempt(() => unmountAll(join(containerDir(ctx, record.id), 'rootfs')));
  await attempt(() => releaseShm(ctx, record));
  await attempt(() => removeExecLeftovers(ctx, record));
  problems.push(...(await network));
  trace('start: cleaned up');
  return { oomKilled, problems };
}

/**
 * What execs killed before their own clean-up left behind (a SIGKILLed `exec -t`): their process
 * files and the runtime's logs of them. Every exec ends with its container, so none is in use.
 */
function removeExecLeftovers(ctx: EngineContext, record: ContainerRecord): void {
  const dir = containerDir(ctx, record.id);
  for (const name of readdirSyncOrEmpty(dir)) if (/^exec-[0-9a-f]+\.json$/.test(name)) rmSync(join(dir, name), { force: true });
  const { logDir } = ctx.runtime(record.hostConfig.runtime || undefined).driver;
  for (const name of readdirSyncOrEmpty(logDir)) if (name.startsWith(`${record.id}.exec-`)) rmSync(join(logDir, name), { force: true });
}

/** Starts undoing the container's networking (disconnectContainer); settles with what failed, never rejects. */
export function beginDisconnect(ctx: EngineContext, id: string): Promise<unknown[]> {
  return disconnectContainer(ctx, id).catch((err: unknown) => [err]);
}

/** Records that the container exited. A container removed meanwhile (`rm -f` elsewhere) is not an error. */
export function recordExit(ctx: EngineContext, id: string, exit: { exitCode: number; oomKilled: boolean; error: string }): void {
  try {
    ctx.metadata.updateContainer(id, (r) => {
      r.state = { ...r.state, status: 'exited', pid: 0, ...exit, finishedAt: new Date().toISOString() };
      // Docker marks a stopped container's health unhealthy ("for compatibility reasons").
      if (r.state.health) r.state.health = { ...r.state.health, status: 'unhealthy' };
      delete r.state.supervisor;
      delete r.state.runtime;
      delete r.state.starting;
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Stops a running (or dead) container in the runtime. A supervised one is killed (and thawed
 * when paused: a frozen process cannot die) and its monitor cleans up; without a supervisor, the
 * runtime process is killed first so it cannot go on creating it, then the container is deleted
 * in the runtime and its cgroup scope removed.
 */
export async function stopInRuntime(ctx: EngineContext, record: ContainerRecord, supervised: boolean): Promise<void> {
  if (supervised) {
    // Its monitor sees it die and cleans up (deleting it in the runtime under a `run` would make
    // the runtime report the missing state as its own failure).
    try {
      const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
      await driver.kill(record.id, 'KILL', { all: true });
      if (record.state.status === 'paused') await resumeKilled(driver, record);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return;
  }
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

/**
 * Thaws a paused container just sent SIGKILL (a frozen process acts on no signal until thawed).
 * Its process may already be gone (the kernel lets the kill through, or the monitor reaped it
 * first), and the runtime then refuses to resume it: that is the outcome wanted, as for dockerd,
 * which only logs a failed unpause after a kill. A resume refused while the process still lives
 * is an error.
 */
export async function resumeKilled(driver: { resume(id: string): Promise<void> }, record: ContainerRecord): Promise<void> {
  try {
    await driver.resume(record.id);
  } catch (err) {
    const runtime = record.state.runtime;
    if (isNotFound(err) || (runtime !== undefined && !processAlive(runtime))) return;
    throw err;
  }
}

/**
 * Removes a container's mount, snapshot, bundle and record; `announce` marks it removing first.
 * `tornDown`: tearDown has just undone its network, mount and /dev/shm without a problem (an
 * `--rm` container after its exit), so they are not undone a second time.
 */
export async function removeContainer(ctx: EngineContext, record: ContainerRecord, { announce = true, tornDown = false } = {}): Promise<void> {
  // The remover is named, so that a removal killed half-way is finished by the next command (reconcile: `dead`, then rm or prune).
  if (announce) {
    ctx.metadata.updateContainer(record.id, (r) => {
      r.state.status = 'removing';
      r.state.removing = selfProcess();
    });
  }
  if (!tornDown) {
    const netProblems = await disconnectContainer(ctx, record.id);
    if (netProblems.length > 0) throw netProblems[0];
    await unmountAll(join(containerDir(ctx, record.id), 'rootfs'));
    await releaseShm(ctx, record);
  }
  // The snapshot and the container's directory go side by side: each removal waits on Node's
  // thread pool, and neither needs the other gone first.
  const [snapshot, dir] = await Promise.allSettled([ctx.snapshots.remove(record.snapshotKey), removeTree(containerDir(ctx, record.id))]);
  if (snapshot.status === 'rejected' && !isNotFound(snapshot.reason)) throw snapshot.reason;
  if (dir.status === 'rejected') throw dir.reason;
  ctx.metadata.deleteContainer(record.id);
  recordContainerEvent(ctx, record, 'destroy');
  trace('removed');
}

/** Docker's default host name: the host's own on the host network, else the short container id. */
function defaultHostname(id: string, network: NetworkMode): string {
  return sharesHostNetwork(network) ? hostHostname() : id.slice(0, 12);
}

function parseTmpfs(spec: string): MountSpec {
  const [target = '', opts = ''] = spec.split(/:(.*)/s);
  if (!target.startsWith('/')) throw errors.invalidArgument('INVALID_TMPFS', `Invalid --tmpfs "${spec}": the path must be absolute`);
  return { type: 'tmpfs', source: 'tmpfs', target, readonly: false, options: opts ? opts.split(',') : [] };
}
