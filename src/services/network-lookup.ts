/** Finding networks by name, id or id prefix, with the predefined ones made on first use. */
import { errors, isAlreadyExists } from '../base/index.js';
import type { NetworkRecord } from '../core/network/index.js';
import { predefinedNetworks } from '../core/network/index.js';
import type { EngineContext } from './engine-context.js';

/** Makes `bridge`, `host` and `none` when the store lacks them. */
export function ensurePredefined(ctx: EngineContext): void {
  const have = new Set(ctx.networks.list().filter((n) => n.predefined).map((n) => n.name));
  if (predefinedNetworks.every((n) => have.has(n))) return;
  for (const name of predefinedNetworks) {
    if (have.has(name)) continue;
    const bridge = name === 'bridge';
    const host = bridge ? ctx.networkDriver.hostState() : { subnets: [], links: [] };
    try {
      ctx.networks.create({
        name, driver: bridge ? 'bridge' : name === 'host' ? 'host' : 'null', internal: false, dnsEnabled: false, labels: {},
        options: bridge ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}, predefined: true, hostSubnets: host.subnets, hostLinks: host.links,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err; // another process made it meanwhile
    }
  }
}

/** A network by name, id or id prefix; NotFound with Docker's message. */
export function findNetwork(ctx: EngineContext, ref: string): NetworkRecord {
  ensurePredefined(ctx);
  const network = ctx.networks.find(ref);
  if (!network) throw errors.notFound('NETWORK_NOT_FOUND', `network ${ref} not found`);
  return network;
}

