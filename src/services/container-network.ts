/**
 * A container's networking, around its lifecycle:
 *
 *   planNetwork (create)     the network exists, --ip is in its subnet, flags fit the mode
 *   connectContainer (start) a persistent network namespace, an address leased on the network,
 *                            host ports claimed, `netavark setup`; the record's NetworkSettings and
 *                            what the hosts files say
 *   disconnectContainer      `netavark teardown`, leases and ports released, namespace removed;
 *   (tearDown, rm)           idempotent, run by the monitor's clean-up, reconcile and rm alike
 *
 * `<container dir>/network.json` holds what setup was given (written before setup starts), so
 * whichever process tears down undoes exactly that, once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { errors, errnoCode, isNotFound, shortId, writeJsonAtomic } from '../base/index.js';
import type { ContainerRecord, HostConfig } from '../core/containers/index.js';
import type { SetupRequest } from '../core/network/index.js';
import { containerOfMode, joinsNetworks, macForIpv4, parseIpv4, pickAddress, publishAll, sharesHostNetwork, validateMac } from '../core/network/index.js';
import type { EngineContext } from './engine-context.js';
import { findNetwork } from './network-lookup.js';
import type { HostFilesNetwork } from './process-files.js';

const stateFile = (ctx: EngineContext, id: string) => join(ctx.paths.containers, id, 'network.json');

/**
 * Checks a new container's network flags against its mode and the store's networks, with
 * Docker's messages; returns warnings (ports published on the host network are discarded).
 */
export function planNetwork(ctx: EngineContext, host: HostConfig, findContainer: (ref: string) => ContainerRecord): string[] {
  const warnings: string[] = [];
  const mode = host.networkMode;
  const ports = (host.portBindings ?? []).length > 0 || host.publishAllPorts === true;
  if (host.macAddress !== undefined) host.macAddress = validateMac(host.macAddress);
  if (joinsNetworks(mode)) {
    const network = findNetwork(ctx, mode);
    if (network.driver !== 'bridge') throw errors.invalidArgument('NETWORK_MODE', `container cannot be connected to network ${network.name} of driver ${network.driver}`);
    const userDefined = !network.predefined;
    if (!userDefined && host.ipv4Address !== undefined) throw errors.invalidArgument('IP_ON_DEFAULT_NETWORK', 'user specified IP address is supported on user defined networks only');
    if (!userDefined && (host.networkAliases ?? []).length > 0) throw errors.invalidArgument('ALIAS_ON_DEFAULT_NETWORK', 'network-scoped alias is supported only for containers in user defined networks');
    if (host.ipv4Address !== undefined) {
      if (parseIpv4(host.ipv4Address) === undefined) throw errors.invalidArgument('INVALID_IP_ADDRESS', `invalid IPv4 address: ${host.ipv4Address}`);
      // In the subnet (taken or not is decided at start, as Docker does).
      pickAddress({ subnet: network.subnet as string, gateway: network.gateway as string }, new Set(), host.ipv4Address);
    }
    // Record the network by name as the user wrote it, or by the name of the id they gave.
    host.networkMode = network.name;
    return warnings;
  }
  if (host.ipv4Address !== undefined) throw errors.invalidArgument('IP_ON_DEFAULT_NETWORK', 'user specified IP address is supported on user defined networks only');
  if ((host.networkAliases ?? []).length > 0) throw errors.invalidArgument('ALIAS_ON_DEFAULT_NETWORK', 'network-scoped alias is supported only for containers in user defined networks');
  const other = containerOfMode(mode);
  if (other !== undefined) {
    if (ports) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: port publishing and the container type network mode');
    findContainer(other);
  } else if (sharesHostNetwork(mode) && ports) {
    warnings.push('Published ports are discarded when using host network mode');
    delete host.portBindings;
    delete host.publishAllPorts;
  }
  return warnings;
}

export interface ContainerNetworking {
  netns: string;
  hostFiles?: HostFilesNetwork;
}

/**
 * Connects the container before its process starts. Returns the namespace to join and the hosts
 * files' contents; undefined for `none` and `host`. Nothing is left behind when a step fails.
 */
export async function connectContainer(ctx: EngineContext, record: ContainerRecord): Promise<ContainerNetworking | undefined> {
  const mode = record.hostConfig.networkMode;
  const other = containerOfMode(mode);
  if (other !== undefined) return { netns: joinedNamespace(ctx, other) };
  if (!joinsNetworks(mode)) return undefined;
  const driver = ctx.networkDriver;
  const id = record.id;
  try {
    const network = findNetwork(ctx, mode);
    const netns = await driver.createNamespace(id);
    const ip = ctx.networks.lease(network.id, id, record.hostConfig.ipv4Address);
    const exposed = Object.keys(record.config.ExposedPorts ?? {});
    const bindings = [...(record.hostConfig.portBindings ?? [])];
    if (record.hostConfig.publishAllPorts) bindings.push(...publishAll(exposed, bindings));
    const ports = ctx.networks.claimPorts({ containerId: id, netns }, bindings, (p) => driver.listeningPorts(p));
    const aliases = network.dnsEnabled ? [...new Set([...(record.hostConfig.networkAliases ?? []), shortId(id)])] : [];
    const request: SetupRequest = {
      containerId: id, containerName: record.name, ports,
      endpoints: [{ network, interfaceName: 'eth0', ip, mac: record.hostConfig.macAddress ?? macForIpv4(parseIpv4(ip) as number), aliases }],
    };
    writeJsonAtomic(stateFile(ctx, id), { netns, request });
    const result = await driver.setup(netns, request);
    const endpoint = result.endpoints[network.name] ?? { ip, prefixLen: 0, gateway: network.gateway ?? '', mac: request.endpoints[0]?.mac ?? '' };
    ctx.metadata.updateContainer(id, (r) => {
      r.networkSettings = {
        sandboxKey: netns, ports,
        networks: {
          [network.name]: {
            networkId: network.id, endpointId: endpointId(id, network.id), ipAddress: endpoint.ip, prefixLen: endpoint.prefixLen,
            gateway: endpoint.gateway, macAddress: endpoint.mac, aliases,
          },
        },
      };
    });
    const search = resolvLines(driver.hostResolvConf()).filter((l) => !/^\s*nameserver\s/.test(l));
    const resolvConf = result.dnsServers.length > 0
      ? `${result.dnsServers.map((s) => `nameserver ${s}`).join('\n')}\n${search.join('\n')}${search.length ? '\n' : ''}`
      : driver.hostResolvConf();
    return { netns, hostFiles: { hosts: [`${endpoint.ip}\t${record.config.Hostname}`], resolvConf } };
  } catch (err) {
    const problems = await disconnectContainer(ctx, id);
    if (problems.length > 0) ctx.warn(`cleaning up the network of container ${record.name} after a failed start: ${problems.map((p) => (p as Error).message).join('; ')}`);
    throw err;
  }
}

/** Undoes connectContainer; safe to run any number of times, from any process. Returns what failed. */
export async function disconnectContainer(ctx: EngineContext, id: string): Promise<unknown[]> {
  const problems: unknown[] = [];
  const driver = ctx.networkDriver;
  let state: { netns: string; request: SetupRequest } | undefined;
  try {
    state = JSON.parse(readFileSync(stateFile(ctx, id), 'utf8')) as { netns: string; request: SetupRequest };
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') problems.push(err);
  }
  if (state) {
    try {
      await driver.teardown(state.netns, state.request);
    } catch (err) {
      problems.push(err);
    }
  }
  // Whether or not setup ran (or the state file was written), nothing of the container may stay.
  for (const step of [async () => ctx.networks.release(id), () => driver.removeNamespace(id), async () => rmSync(stateFile(ctx, id), { force: true })]) {
    try {
      await step();
    } catch (err) {
      problems.push(err);
    }
  }
  try {
    ctx.metadata.updateContainer(id, (r) => void delete r.networkSettings);
  } catch (err) {
    if (!isNotFound(err)) problems.push(err);
  }
  return problems;
}

/** `container:NAME`: the running container's namespace. */
function joinedNamespace(ctx: EngineContext, ref: string): string {
  const other = ctx.metadata.findContainer(ref);
  if (other.state.status !== 'running' || other.state.pid === 0) {
    throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `cannot join network of a non running container: ${other.id}`);
  }
  return other.networkSettings?.sandboxKey ?? `/proc/${other.state.pid}/ns/net`;
}

/** A stable endpoint id for a container on a network. */
function endpointId(containerId: string, networkId: string): string {
  return createHash('sha256').update(`${containerId}/${networkId}`).digest('hex');
}

function resolvLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
