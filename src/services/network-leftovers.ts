/**
 * What containers' networking left behind when a process died at the wrong moment: a namespace,
 * an address lease, aardvark-dns records or netavark's state (`network.json`, and the veth, routes
 * and firewall rules it names) of a container that no longer exists or no longer runs. A
 * container whose monitor died is reconciled first (its clean-up runs as the monitor's would);
 * what is left then is reported by `berth system check` and removed by `berth system prune`.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { ContainerRecord } from '../core/containers/index.js';
import { isSupervisedStatus } from '../core/containers/index.js';
import type { EndpointRequest, SetupRequest } from '../core/network/index.js';
import { macForIpv4, parseIpv4 } from '../core/network/index.js';
import { isBridgeKeeperId } from './bridge-keeper.js';
import { isBuildStepId } from './build-network.js';
import { disconnectContainer } from './container-network.js';
import type { EngineContext } from './engine-context.js';

interface Leftover {
  containerId: string;
  /** The container's record, when it still has one (stopped). */
  record?: ContainerRecord;
  what: string[];
}

/** How long a stopped container's fresh namespace may be a start in progress. */
const youngMs = 30_000;

const live = (r: ContainerRecord) => isSupervisedStatus(r.state.status);

/** Leftovers by container; containers that run (by their record) are not looked at. */
function collect(ctx: EngineContext): Leftover[] {
  const records = new Map(ctx.metadata.listContainers().map((r) => [r.id, r]));
  const found = new Map<string, Leftover>();
  const note = (id: string, what: string) => {
    // A build step's network is its build's, recovered with the rest of a dead build (builder/recover-stale.ts).
    if (isBuildStepId(id)) return;
    // The default bridge's keeper is no leftover (services/bridge-keeper.ts).
    if (isBridgeKeeperId(id)) return;
    const record = records.get(id);
    if (record && live(record)) return;
    let entry = found.get(id);
    if (!entry) found.set(id, (entry = { containerId: id, ...(record ? { record } : {}), what: [] }));
    entry.what.push(what);
  };
  for (const id of ctx.networkDriver.namespaces()) note(id, `network namespace ${ctx.networkDriver.namespacePath(id)}`);
  for (const network of ctx.networks.list()) {
    for (const [ip, id] of Object.entries(ctx.networks.leases(network.id))) note(id, `address ${ip} leased on network ${network.name}`);
  }
  // aardvark-dns names its files after what netavark was given: the network's id.
  const byId = new Map(ctx.networks.list().map((n) => [n.id, n.name]));
  for (const { network, containerId } of ctx.networkDriver.dnsRecords()) note(containerId, `aardvark-dns record on network ${byId.get(network) ?? network}`);
  for (const record of records.values()) {
    if (existsSync(join(ctx.paths.containers, record.id, 'network.json'))) note(record.id, 'netavark state (network.json: its interfaces and firewall rules)');
  }
  // A container being started right now is connected before it runs: leave young ones alone.
  const young = (id: string) => [ctx.networkDriver.namespacePath(id), join(ctx.paths.containers, id, 'network.json')]
    .some((p) => {
      try {
        return Date.now() - statSync(p).mtimeMs < youngMs;
      } catch {
        return false;
      }
    });
  return [...found.values()].filter((l) => l.record === undefined || !young(l.containerId));
}

/** `system check`: one line per container with leftovers. */
export function networkLeftovers(ctx: EngineContext): string[] {
  return collect(ctx).map((l) => {
    const who = l.record ? `stopped container "${l.record.name}"` : `container ${l.containerId.slice(0, 12)}, which no longer exists`;
    return `networking of ${who}: ${l.what.join(', ')}`;
  });
}

/** `system prune`: tears each leftover down; returns what it removed. Problems are warnings. */
export async function reclaimNetworkLeftovers(ctx: EngineContext): Promise<string[]> {
  const removed: string[] = [];
  for (const leftover of collect(ctx)) {
    const id = leftover.containerId;
    const problems: unknown[] = [];
    if (!existsSync(join(ctx.paths.containers, id, 'network.json'))) {
      // No record of what setup was given: rebuilt from the leases (addresses, networks).
      const request = rebuiltRequest(ctx, id);
      if (request.endpoints.length > 0 && ctx.networkDriver.namespaceMounted(id)) {
        try {
          await ctx.networkDriver.teardown(ctx.networkDriver.namespacePath(id), request);
        } catch (err) {
          problems.push(err);
        }
      }
    }
    problems.push(...(await disconnectContainer(ctx, id)));
    if (problems.length > 0) ctx.warn(`removing the networking of container ${id.slice(0, 12)}: ${problems.map((p) => (p as Error).message).join('; ')}`);
    removed.push(`networking of container ${id.slice(0, 12)} (${leftover.what.join(', ')})`);
  }
  return removed;
}

function rebuiltRequest(ctx: EngineContext, id: string): SetupRequest {
  const endpoints: EndpointRequest[] = [];
  for (const network of ctx.networks.list()) {
    for (const [ip, owner] of Object.entries(ctx.networks.leases(network.id))) {
      if (owner !== id) continue;
      endpoints.push({ network, interfaceName: `eth${endpoints.length}`, ip, mac: macForIpv4(parseIpv4(ip) as number), aliases: [] });
    }
  }
  return { containerId: id, containerName: id.slice(0, 12), endpoints, ports: ctx.networks.publishedPorts(id) };
}
