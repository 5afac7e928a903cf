/**
 * The default bridge's keeper: Docker makes docker0 once, when the daemon starts, and never removes
 * it; netavark 1.4 makes a bridge and its NAT chains when the first endpoint joins and deletes them
 * when the last one leaves (about 100 ms each way, more on a busy machine). So that a `run` on an
 * idle default bridge does not pay for both, berth keeps one endpoint of its own on `bridge`: a
 * network namespace with a veth and the highest address of the subnet, and no process. The first
 * container on the default bridge makes it (after a reboot or a `system prune` too); it stays until
 * `berth network prune` or `system prune` takes it down (the next container on the bridge makes it
 * again).
 *
 * It is no container: `ps`, `inspect` and `network inspect bridge` do not show it, and `system
 * check` does not report its namespace or lease as a leftover. Its netavark state is
 * `<root>/bridge-keeper/network.json`, written before setup runs (then once more with
 * `ready: true`), so a process killed while making it leaves what the next one tears down first.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode, pidExists, trace, writeJsonAtomic } from '../base/index.js';
import type { NetworkRecord, SetupRequest } from '../core/network/index.js';
import { formatIpv4, leasableRange, macForIpv4, parseCidr, parseIpv4 } from '../core/network/index.js';
import { disconnectContainer } from './container-network.js';
import type { EngineContext } from './engine-context.js';
import { findNetwork } from './network-lookup.js';

/** The keeper's owner id for its lease and namespace (not 64 hex digits: never taken for a container's). */
export const bridgeKeeperId = 'bridge-keeper';

export const isBridgeKeeperId = (id: string): boolean => id === bridgeKeeperId;

const keeperDir = (ctx: EngineContext) => join(ctx.paths.root, 'bridge-keeper');
const stateFile = (ctx: EngineContext) => join(keeperDir(ctx), 'network.json');
const makingFile = (ctx: EngineContext) => join(keeperDir(ctx), 'making');

/** Whether `network` is the store's default bridge (the only network the keeper holds up). */
export const isDefaultBridge = (network: NetworkRecord): boolean => network.predefined && network.name === 'bridge';

/** Whether the keeper is up: its setup finished and its namespace is mounted (not after a reboot). */
export function bridgeKeeperUp(ctx: EngineContext): boolean {
  try {
    const state = JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as { ready?: boolean };
    return state.ready === true && ctx.networkDriver.namespaceMounted(bridgeKeeperId);
  } catch {
    return false;
  }
}

/**
 * Makes the keeper unless it is up or another process is making it. Only an optimisation: a
 * failure is a warning, and containers set the bridge up themselves.
 */
export async function ensureBridgeKeeper(ctx: EngineContext): Promise<void> {
  if (bridgeKeeperUp(ctx)) return;
  mkdirSync(keeperDir(ctx), { recursive: true, mode: 0o700 });
  // One maker at a time: `making` is created exclusively and names its process; one whose process died is taken over.
  let fd: number;
  try {
    fd = openSync(makingFile(ctx), 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    let owner = 0;
    try {
      owner = Number(readFileSync(makingFile(ctx), 'utf8'));
    } catch {
      // gone meanwhile: its maker finished
    }
    if (owner > 0 && pidExists(owner)) return;
    rmSync(makingFile(ctx), { force: true });
    try {
      fd = openSync(makingFile(ctx), 'wx', 0o600);
    } catch {
      return; // another process took it over first
    }
  }
  try {
    writeSync(fd, String(process.pid));
    closeSync(fd);
    // What a killed maker, a reboot or a half-done setup left goes first (an idempotent teardown).
    const problems = await disconnectContainer(ctx, bridgeKeeperId, stateFile(ctx));
    if (problems.length > 0) throw problems[0] as Error;
    const network = findNetwork(ctx, 'bridge');
    const ip = ctx.networks.lease(network.id, bridgeKeeperId, highestAddress(ctx, network));
    const request: SetupRequest = {
      containerId: bridgeKeeperId, containerName: bridgeKeeperId, ports: [],
      endpoints: [{ network, interfaceName: 'eth0', ip, mac: macForIpv4(parseIpv4(ip) as number), aliases: [] }],
    };
    const netns = ctx.networkDriver.namespacePath(bridgeKeeperId);
    writeJsonAtomic(stateFile(ctx), { netns, request });
    await ctx.networkDriver.createNamespace(bridgeKeeperId);
    await ctx.networkDriver.setup(netns, request);
    writeJsonAtomic(stateFile(ctx), { netns, request, ready: true });
    trace('bridge keeper: up');
  } catch (err) {
    const problems = await disconnectContainer(ctx, bridgeKeeperId, stateFile(ctx));
    ctx.warn(`could not keep the default bridge up between containers: ${(err as Error).message}${problems.length > 0 ? ` (and cleaning up: ${problems.map((p) => (p as Error).message).join('; ')})` : ''}`);
  } finally {
    rmSync(makingFile(ctx), { force: true });
  }
}

/**
 * The highest address containers are leased from (10.89.0.254 on a /24), so that containers get
 * the low ones in order, as on docker0; undefined (any free one) when a container holds it.
 */
function highestAddress(ctx: EngineContext, network: NetworkRecord): string | undefined {
  const subnet = parseCidr(network.subnet ?? '');
  if (!subnet) return undefined;
  const range = network.ipRange !== undefined ? parseCidr(network.ipRange) : undefined;
  const ip = formatIpv4(leasableRange(subnet, range).last);
  const owner = ctx.networks.leases(network.id)[ip];
  return owner === undefined || owner === bridgeKeeperId ? ip : undefined;
}

/** `network prune` (and `system prune`): takes the keeper down, with its namespace and lease; returns what failed. */
export async function releaseBridgeKeeper(ctx: EngineContext): Promise<unknown[]> {
  try {
    return await disconnectContainer(ctx, bridgeKeeperId, stateFile(ctx));
  } finally {
    rmSync(keeperDir(ctx), { recursive: true, force: true });
  }
}
