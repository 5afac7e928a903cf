/**
 * runBuildProcess: runs one build step's command (a Dockerfile RUN) as an isolated container
 * process on an already mounted root filesystem, with the same bundle as `berth run`
 * (process-bundle.ts: namespaces, capabilities, seccomp, masked paths, cgroups). The builder owns
 * the snapshot and the mount; this owns the bundle, the runtime call and the cgroup clean-up.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';

import type { Operation } from '../base/index.js';
import { newId, trace } from '../base/index.js';
import type { NetworkMode } from '../core/network/index.js';
import { extraHostLines, joinsNetworks, sharesHostNetwork } from '../core/network/index.js';
import type { Stdio } from '../core/runtime/index.js';
import type { Mount as OciMount } from '../oci/index.js';
import type { BuildStepLimits } from '../api/index.js';
import type { ResourceLimits } from '../core/spec/index.js';
import type { StepNetworking } from './build-network.js';
import { connectBuildStep, disconnectBuildStep, keepBuildBridgeUp } from './build-network.js';
import type { EngineContext } from './engine-context.js';
import { findNetwork } from './network-lookup.js';
import { planStubs, removeStubs } from './mount-stubs.js';
import { writeProcessBundle } from './process-bundle.js';
import { watchSteps } from './step-watchdog.js';

export interface BuildProcessOptions {
  /** Absolute path of the mounted root filesystem (writes land in the step's snapshot). */
  rootfs: string;
  args: string[];
  env: string[];
  /** Working directory; created when missing, as Docker does. */
  cwd: string;
  /** USER as written (`name`, `uid:gid`); resolved against the rootfs's /etc/passwd and /etc/group. */
  user: string;
  /**
   * 'bridge' (the builder's default, as Docker's): a namespace of the step's own on the default
   * bridge, with outbound NAT, torn down after the step; 'host' shares the host's network; 'none'
   * has only loopback.
   */
  network: NetworkMode;
  /** Extra OCI mounts (cache, bind, tmpfs, secret). */
  mounts: OciMount[];
  /** stdout and stderr of the process. */
  stdio: Stdio;
  runtime?: string;
  /** Most processes the step may have (its cgroup's pids.max); -1 for unlimited; 0 or unset: 4096. */
  pidsLimit?: number;
  /** Memory, CPU, /dev/shm and ulimits (`build --memory`, …), as a container's. */
  limits?: BuildStepLimits;
  /** `--add-host` entries (NAME:IP, NAME:host-gateway): lines at the end of the step's /etc/hosts. */
  extraHosts?: readonly string[];
  /**
   * The snapshot's upper directory: mount points the runtime had to create (e.g. /etc/hosts, a
   * cache mount's target) are removed from it afterwards, so they never reach the layer.
   */
  upperDir?: string;
}

/** A step's memory and CPU limits in the spec's terms. */
function stepResources(limits: BuildStepLimits | undefined): ResourceLimits {
  if (!limits) return {};
  return {
    ...(limits.memory ? { memory: limits.memory } : {}),
    ...(limits.memorySwap ? { memorySwap: limits.memorySwap } : {}),
    ...(limits.nanoCpus ? { cpus: limits.nanoCpus / 1e9 } : {}),
    ...(limits.cpuShares ? { cpuShares: limits.cpuShares } : {}),
    ...(limits.cpusetCpus ? { cpusetCpus: limits.cpusetCpus } : {}),
    ...(limits.cpusetMems ? { cpusetMems: limits.cpusetMems } : {}),
  };
}

/** The pids limit of a RUN step unless the build sets one (`berth build --pids-limit`). */
export const DEFAULT_BUILD_PIDS_LIMIT = 4096;

/**
 * Runs the process to completion and returns its exit code. Engine failures throw BerthErrors.
 * The step is named `build-<owner tag>-…` after the operation (the build), so that recovery can
 * tell a dead or ended build's step containers from live ones (see base/operation.ts).
 */
export async function runBuildProcess(ctx: EngineContext, options: BuildProcessOptions, op: Operation): Promise<number> {
  const id = `build-${op.tag}-${newId().slice(0, 16)}`;
  const bundle = join(ctx.paths.root, 'build-tmp', id);
  await mkdir(bundle, { recursive: true, mode: 0o700 });
  await writeFile(join(bundle, 'runtime'), options.runtime ?? '');
  const selection = ctx.runtime(options.runtime);
  if (selection.warning) op.warn(selection.warning);
  // The step dies with this process, however it dies (see step-watchdog.ts): one watchdog per
  // process covers every operation's steps, `build-<pid>-…`.
  watchSteps(selection.driver, ctx.cgroups, join(ctx.paths.root, 'build-tmp'), `build-${op.owner.pid}-`, (m) => op.warn(m));
  let networking: StepNetworking | undefined;
  try {
    const hostname = sharesHostNetwork(options.network) ? hostHostname() : 'buildkitsandbox';
    if (joinsNetworks(options.network)) {
      await keepBuildBridgeUp(ctx, op);
      networking = await connectBuildStep(ctx, id, bundle, hostname);
    }
    const spec = writeProcessBundle(ctx, {
      id,
      bundle,
      rootfs: options.rootfs,
      args: options.args,
      env: options.env,
      cwd: options.cwd,
      user: options.user,
      hostname,
      network: options.network,
      ...(networking ? { netns: networking.netns, hostFiles: networking.hostFiles } : {}),
      mounts: options.mounts,
      hostFilesReadonly: true,
      // host-gateway is the host's address on the default bridge, as for a container.
      ...(options.extraHosts ? { extraHosts: extraHostLines(options.extraHosts, findNetwork(ctx, 'bridge').gateway) } : {}),
      // A fork bomb in a Dockerfile must not take the host down: steps get a pids limit by default
      // (Docker's builder sets none). Memory is accounted in the step's memory cgroup, unlimited.
      resources: { ...stepResources(options.limits), pidsLimit: options.pidsLimit === undefined || options.pidsLimit === 0 ? DEFAULT_BUILD_PIDS_LIMIT : options.pidsLimit },
      ...(options.limits?.shmSize ? { shmSize: options.limits.shmSize } : {}),
      ...(options.limits?.ulimits?.length ? { ulimits: options.limits.ulimits } : {}),
      // On the host's network a step could sniff or forge traffic on host interfaces with raw
      // and packet sockets; Docker's builder never shares the host network by default, so take
      // that capability away there (ping and friends work with --network none, or not at all).
      capDrop: sharesHostNetwork(options.network) ? ['NET_RAW'] : [],
      seccomp: 'default',
      // A filter the runtime compiled for a container with the same profile saves it compiling one per step.
      annotate: (spec) => void selection.driver.seccompFilters?.annotate(id, spec),
    });
    const runOptions = { stdio: options.stdio, ...(op.signal ? { signal: op.signal } : {}) };
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
    if (networking) {
      const problems = await disconnectBuildStep(ctx, id, bundle);
      if (problems.length > 0) op.warn(`removing the network of build step ${id}: ${problems.map((p) => (p as Error).message).join('; ')}`);
    }
    await rm(bundle, { recursive: true, force: true });
  }
}
