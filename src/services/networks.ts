/**
 * The network service: Docker's `network create/ls/inspect/rm/prune` over the NetworkStore, the
 * predefined networks (`bridge`, `host`, `none`, made on first use), and the one question the
 * store cannot answer: which running containers are attached to a network (Docker's "active
 * endpoints"; a stopped container does not hold its network).
 */
import { errors } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import type { NetworkRecord } from '../core/network/index.js';
import { bridgeNameOption } from '../core/network/index.js';
import type { CreateNetworkRequest, NetworkEngine, NetworkInfo } from '../api/index.js';
import { releaseBridgeKeeper } from './bridge-keeper.js';
import { isActive, reconcile } from './container-monitor.js';
import { connectNetwork, disconnectNetwork } from './container-network.js';
import type { EngineContext } from './engine-context.js';
import { ensurePredefined, findNetwork } from './network-lookup.js';

export type NetworkService = NetworkEngine;

/** Running containers attached to the network (records whose monitor died are reconciled first). */
async function attached(ctx: EngineContext, network: NetworkRecord): Promise<ContainerRecord[]> {
  const out: ContainerRecord[] = [];
  for (const stale of ctx.metadata.listContainers()) {
    if (stale.networkSettings === undefined && stale.hostConfig.networkMode !== network.name) continue;
    const record = await reconcile(ctx, stale);
    const on = Object.values(record.networkSettings?.networks ?? {}).some((e) => e.networkId === network.id);
    if (on && (isActive(record) || record.state.status === 'restarting')) out.push(record);
  }
  return out;
}

const knownOptions = new Set([bridgeNameOption]);

export function createNetworkService(ctx: EngineContext): NetworkService {
  const info = async (network: NetworkRecord): Promise<NetworkInfo> => ({ ...network, containers: network.driver === 'bridge' ? await attached(ctx, network) : [] });
  return {
    async create(request: CreateNetworkRequest) {
      ensurePredefined(ctx);
      const driver = request.driver ?? 'bridge';
      if (driver === 'host' || driver === 'null') throw errors.failedPrecondition('NETWORK_EXISTS', `only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge') throw errors.notFound('NETWORK_DRIVER_NOT_FOUND', `plugin "${driver}" not found`);
      if (request.ipv6) throw errors.notImplemented('IPV6_UNSUPPORTED', 'berth\'s networks are IPv4 only: --ipv6 is not supported');
      const options = request.options ?? {};
      for (const key of Object.keys(options)) {
        if (!knownOptions.has(key)) throw errors.invalidArgument('INVALID_NETWORK_OPTION', `network option "${key}" is not supported by berth's bridge driver (it takes ${[...knownOptions].join(', ')})`);
      }
      const bridge = options[bridgeNameOption];
      if (bridge !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/.test(bridge)) {
        throw errors.invalidArgument('INVALID_NETWORK_OPTION', `invalid bridge name "${bridge}": 1 to 15 letters, digits, '_', '.', '-'`);
      }
      const host = ctx.networkDriver.hostState();
      return ctx.networks.create({
        name: request.name, driver: 'bridge', internal: request.internal === true, dnsEnabled: true, labels: request.labels ?? {}, options, predefined: false,
        hostSubnets: host.subnets, hostLinks: host.links,
        ...(request.subnet !== undefined ? { subnet: request.subnet } : {}),
        ...(request.gateway !== undefined ? { gateway: request.gateway } : {}),
        ...(request.ipRange !== undefined ? { ipRange: request.ipRange } : {}),
        ...(request.auxAddresses && Object.keys(request.auxAddresses).length > 0 ? { auxAddresses: request.auxAddresses } : {}),
        ...(request.attachable ? { attachable: true } : {}),
        ...(bridge !== undefined ? { bridge } : {}),
      });
    },
    inspect: async (ref) => info(findNetwork(ctx, ref)),
    async list() {
      ensurePredefined(ctx);
      return Promise.all(ctx.networks.list().map(info));
    },
    async remove(ref) {
      const network = findNetwork(ctx, ref);
      if (network.predefined) throw errors.failedPrecondition('NETWORK_PREDEFINED', `${network.name} is a pre-defined network and cannot be removed`);
      if ((await attached(ctx, network)).length > 0) {
        throw errors.failedPrecondition('NETWORK_IN_USE', `error while removing network: network ${network.name} id ${network.id} has active endpoints`);
      }
      ctx.networks.remove(network.id);
      return network.name;
    },
    async connect(ref, container, options = {}) {
      const record = await reconcile(ctx, ctx.metadata.findContainer(container));
      await connectNetwork(ctx, record, ref, options);
    },
    async disconnect(ref, container, options = {}) {
      const record = await reconcile(ctx, ctx.metadata.findContainer(container));
      await disconnectNetwork(ctx, record, ref, options.force === true);
    },
    async prune() {
      ensurePredefined(ctx);
      const removed: string[] = [];
      for (const network of ctx.networks.list()) {
        if (network.predefined || (await attached(ctx, network)).length > 0) continue;
        ctx.networks.remove(network.id);
        removed.push(network.name);
      }
      // The default bridge's keeper goes too (the bridge with it once no container is on it); the next container makes it again.
      const problems = await releaseBridgeKeeper(ctx);
      if (problems.length > 0) ctx.warn(`taking the default bridge's keeper down: ${problems.map((p) => (p as Error).message).join('; ')}`);
      return removed;
    },
  };
}
