/**
 * A build step's network on the default bridge (`berth build`'s default, Docker's too): the same
 * netavark path as a container's (services/container-network.ts) — a persistent namespace named
 * after the step, an address leased on `bridge`, `netavark setup` — and torn down after the step,
 * whether it succeeded, failed or was interrupted. What setup was given is written to
 * `<step bundle>/network.json` first, so that a build SIGKILLed mid-step leaves something the
 * next build and `berth system prune` can undo exactly (builder/recover-stale.ts), and that
 * `berth system check` reports as the dead build's step container.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Operation } from '../base/index.js';
import { trace, writeJsonAtomic } from '../base/index.js';
import type { SetupRequest } from '../core/network/index.js';
import { macForIpv4, parseIpv4 } from '../core/network/index.js';
import { disconnectContainer } from './container-network.js';
import type { EngineContext } from './engine-context.js';
import { findNetwork } from './network-lookup.js';
import type { HostFilesNetwork } from './process-files.js';

export interface StepNetworking {
  netns: string;
  hostFiles: HostFilesNetwork;
}

const stepStateFile = (bundle: string) => join(bundle, 'network.json');

/** Whether a lease, namespace or DNS record owner is a build step (`build-<owner tag>-…`), not a container. */
export const isBuildStepId = (id: string): boolean => id.startsWith('build-');

/**
 * Connects build step `id` (its bundle directory already made) to the default bridge. Nothing is
 * left behind when this fails.
 */
export async function connectBuildStep(ctx: EngineContext, id: string, bundle: string, hostname: string): Promise<StepNetworking> {
  const driver = ctx.networkDriver;
  try {
    const network = findNetwork(ctx, 'bridge');
    const ip = ctx.networks.lease(network.id, id);
    const request: SetupRequest = {
      containerId: id, containerName: id, ports: [],
      endpoints: [{ network, interfaceName: 'eth0', ip, mac: macForIpv4(parseIpv4(ip) as number), aliases: [] }],
    };
    const netns = driver.namespacePath(id);
    // Written before anything is made, so that whoever cleans up after a SIGKILL undoes all of it.
    writeJsonAtomic(stepStateFile(bundle), { netns, request });
    await driver.createNamespace(id);
    trace('build step: namespace made');
    await driver.setup(netns, request);
    trace('build step: network set up');
    // As with --network none: the step's name on loopback; the host's resolvers without loopback ones.
    return { netns, hostFiles: { hosts: [`127.0.1.1\t${hostname}`], resolvConf: driver.hostResolvConf() } };
  } catch (err) {
    const problems = await disconnectBuildStep(ctx, id, bundle);
    if (problems.length > 0) ctx.warn(`cleaning up the network of build step ${id} after a failed setup: ${problems.map((p) => (p as Error).message).join('; ')}`);
    throw err;
  }
}

/** Undoes connectBuildStep; idempotent, from any process. Returns what failed. */
export async function disconnectBuildStep(ctx: EngineContext, id: string, bundle: string): Promise<unknown[]> {
  const problems = await disconnectContainer(ctx, id, stepStateFile(bundle));
  trace('build step: network torn down');
  return problems;
}

/**
 * netavark 1.4 makes the bridge and its NAT chains when the first endpoint joins and removes them
 * when the last one leaves: ~250 ms each way, which every RUN step of a build would pay on an idle
 * bridge. So a build keeps the bridge up while it runs: an endpoint of its own (no process, just a
 * namespace and a lease), made before its first step on the bridge and removed when the build
 * ends (releaseBuildBridge). It is named like a step of the build (`build-<op tag>-bridge`), so a
 * build killed meanwhile leaves something recovery and `system check` already handle.
 */
const keepers = new Map<string, Promise<string | undefined>>();

export function keepBuildBridgeUp(ctx: EngineContext, op: Operation): Promise<string | undefined> {
  let keeper = keepers.get(op.tag);
  if (!keeper) {
    const id = `build-${op.tag}-bridge`;
    const bundle = join(ctx.paths.root, 'build-tmp', id);
    keeper = (async () => {
      try {
        await mkdir(bundle, { recursive: true, mode: 0o700 });
        await connectBuildStep(ctx, id, bundle, 'buildkitsandbox');
        return id;
      } catch (err) {
        // Only an optimisation: the steps set the bridge up themselves.
        op.warn(`could not keep the bridge up for the build: ${(err as Error).message}`);
        await rm(bundle, { recursive: true, force: true });
        return undefined;
      }
    })();
    keepers.set(op.tag, keeper);
  }
  return keeper;
}

/** Ends what keepBuildBridgeUp made for `op`, if anything. */
export async function releaseBuildBridge(ctx: EngineContext, op: Operation): Promise<void> {
  const keeper = keepers.get(op.tag);
  if (!keeper) return;
  keepers.delete(op.tag);
  const id = await keeper;
  if (id === undefined) return;
  const bundle = join(ctx.paths.root, 'build-tmp', id);
  const problems = await disconnectBuildStep(ctx, id, bundle);
  if (problems.length > 0) op.warn(`removing the build's bridge endpoint: ${problems.map((p) => (p as Error).message).join('; ')}`);
  await rm(bundle, { recursive: true, force: true });
}
