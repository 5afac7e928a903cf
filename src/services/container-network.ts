/**
 * A container's networking, around its lifecycle:
 *
 *   planNetwork (create)     the network exists, --ip is in its subnet, flags fit the mode
 *   connectContainer (start) a persistent network namespace, an address leased on the network,
 *                            host ports claimed, `netavark setup`; the record's NetworkSettings and
 *                            what the hosts files say
 *   disconnectContainer      `netavark teardown`, leases and ports released, namespace removed;
 *   (tearDown, rm)           idempotent, run by the monitor's clean-up, reconcile and rm alike
 *   connectNetwork,          `network connect/disconnect`: one network more or less, set up or
 *   disconnectNetwork        torn down in a running container's namespace, or only recorded
 *
 * `<container dir>/network.json` holds what setup was given (written before setup starts), so
 * whichever process tears down undoes exactly that, once.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { errors, errnoCode, isNotFound, pidExists, shortId, trace, unlinkIfExists, writeJsonAtomic } from '../base/index.js';
import type { ContainerNetworkSettings, ContainerRecord, EndpointConfig, EndpointSettings, HostConfig } from '../core/containers/index.js';
import { endpointConfigs } from '../core/containers/index.js';
import type { EndpointRequest, NetworkRecord, SetupRequest, SetupResult } from '../core/network/index.js';
import {
  composeResolvConf, containerOfMode, extraHostLines, joinsNetworks, macForIpv4, parseCidr, parseIpv4, pickAddress, publishAll, sharesHostNetwork, validateMac,
} from '../core/network/index.js';
import { ensureBridgeKeeper, isDefaultBridge } from './bridge-keeper.js';
import type { EngineContext } from './engine-context.js';
import { findNetwork } from './network-lookup.js';
import type { HostFilesNetwork } from './process-files.js';

const stateFile = (ctx: EngineContext, id: string) => join(ctx.paths.containers, id, 'network.json');

/**
 * Checks a new container's network flags against its mode and the store's networks, with
 * Docker's messages; returns warnings (ports published on the host network are discarded).
 */
export function planNetwork(
  ctx: EngineContext,
  host: HostConfig,
  findContainer: (ref: string) => ContainerRecord,
  asked: { hostname?: boolean; exposedPorts?: boolean } = {},
): string[] {
  const warnings: string[] = [];
  const mode = host.networkMode;
  // dockerd's rules (observed with dockerd 20.10): another container's network brings its names and ports; no MAC of one's own without a network of one's own.
  if (host.macAddress !== undefined && (containerOfMode(mode) !== undefined || sharesHostNetwork(mode))) {
    throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: mac-address and the network mode');
  }
  if (containerOfMode(mode) !== undefined) {
    if (asked.hostname) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: hostname and the network mode');
    if (asked.exposedPorts) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: port exposing and the container type network mode');
  }
  const ports = (host.portBindings ?? []).length > 0 || host.publishAllPorts === true;
  if (host.macAddress !== undefined) host.macAddress = validateMac(host.macAddress);
  const checkLinks = () => {
    for (const link of host.links ?? []) {
      const name = link.slice(0, link.indexOf(':'));
      try {
        findContainer(name);
      } catch (err) {
        if (isNotFound(err)) throw errors.notFound('LINK_NOT_FOUND', `could not get container for ${name}`);
        throw err;
      }
    }
  };
  if (joinsNetworks(mode)) {
    checkLinks();
    if (host.networks !== undefined) {
      // A repeated --network: --network-alias and --ip go with the first.
      const [first, ...rest] = host.networks;
      if (first !== undefined) {
        host.networks = [{
          ...first,
          ...(host.networkAliases && host.networkAliases.length > 0 ? { aliases: host.networkAliases } : {}),
          ...(host.ipv4Address !== undefined ? { ipv4Address: host.ipv4Address } : {}),
        }, ...rest];
      }
      host.networks = host.networks.map((e) => checkEndpoint(ctx, e));
      host.networkMode = host.networks[0]?.network ?? mode;
      return warnings;
    }
    const endpoint = checkEndpoint(ctx, endpointConfigs(host)[0] as EndpointConfig);
    // Record the network by name as the user wrote it, or by the name of the id they gave.
    host.networkMode = endpoint.network;
    return warnings;
  }
  if (host.ipv4Address !== undefined) throw errors.invalidArgument('IP_ON_DEFAULT_NETWORK', 'user specified IP address is supported on user defined networks only');
  if ((host.networkAliases ?? []).length > 0) throw errors.invalidArgument('ALIAS_ON_DEFAULT_NETWORK', 'network-scoped alias is supported only for containers in user defined networks');
  const other = containerOfMode(mode);
  if (other !== undefined) {
    if (ports) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: port publishing and the container type network mode');
    if ((host.dns ?? []).length + (host.dnsSearch ?? []).length + (host.dnsOptions ?? []).length > 0) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: dns and the network mode');
    if ((host.extraHosts ?? []).length > 0) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: custom host-to-IP mapping and the network mode');
    if ((host.links ?? []).length > 0) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: container type network can\'t be used with links. This would result in undefined behavior');
    findContainer(other);
  } else if (sharesHostNetwork(mode)) {
    if ((host.links ?? []).length > 0) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: host type networking can\'t be used with links. This would result in undefined behavior');
    if ((host.dns ?? []).length + (host.dnsSearch ?? []).length + (host.dnsOptions ?? []).length > 0) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: dns and the network mode');
    if (ports) {
      warnings.push('Published ports are discarded when using host network mode');
      delete host.portBindings;
      delete host.publishAllPorts;
    }
  }
  checkLinks();
  return warnings;
}

/** One network a container is to join: a bridge network, --ip in its subnet, --ip and aliases on user networks only. */
function checkEndpoint(ctx: EngineContext, endpoint: EndpointConfig): EndpointConfig {
  const network = findNetwork(ctx, endpoint.network);
  if (network.driver !== 'bridge') throw errors.invalidArgument('NETWORK_MODE', `container cannot be connected to network ${network.name} of driver ${network.driver}`);
  const userDefined = !network.predefined;
  if (!userDefined && endpoint.ipv4Address !== undefined) throw errors.invalidArgument('IP_ON_DEFAULT_NETWORK', 'user specified IP address is supported on user defined networks only');
  if (!userDefined && (endpoint.aliases ?? []).length > 0) throw errors.invalidArgument('ALIAS_ON_DEFAULT_NETWORK', 'network-scoped alias is supported only for containers in user defined networks');
  if (endpoint.ipv4Address !== undefined) {
    if (parseIpv4(endpoint.ipv4Address) === undefined) throw errors.invalidArgument('INVALID_IP_ADDRESS', `invalid IPv4 address: ${endpoint.ipv4Address}`);
    // In the subnet (taken or not is decided at start, as Docker does).
    pickAddress({ ...network, subnet: network.subnet as string, gateway: network.gateway as string }, new Set(), endpoint.ipv4Address);
  }
  return { ...endpoint, network: network.name };
}

export interface ContainerNetworking {
  /** The namespace to join; absent: the runtime makes one (`none`) or the host's is shared. */
  netns?: string;
  hostFiles?: HostFilesNetwork;
  /** `container:NAME`: that container's host and domain names, and the directory of its hosts files (shared, as Docker shares them). */
  sharedFrom?: { hostname: string; domainname?: string; filesDir: string };
  /**
   * With `defer`: settles when netavark's setup has finished, with its error if it failed (the
   * container's networking is then torn down); the container must not start before.
   */
  ready?: Promise<Error | undefined>;
}

/** Setups still running in this process (deferred ones), by container: a teardown waits for them. */
const pendingSetups = new Map<string, Promise<Error | undefined>>();

/** What netavark will report for endpoints on networks without DNS: the static addresses and MACs given, the gateways. */
function predictedResult(endpoints: EndpointRequest[]): SetupResult {
  const result: SetupResult = { endpoints: {}, dnsServers: [], dnsSearch: [] };
  for (const e of endpoints) {
    result.endpoints[e.network.name] = { ip: e.ip, prefixLen: parseCidr(e.network.subnet ?? '')?.prefix ?? 0, gateway: e.network.gateway ?? '', mac: e.mac };
  }
  return result;
}

interface NetworkState {
  netns: string;
  request: SetupRequest;
}

/**
 * Connects the container before its process starts. Returns the namespace to join and the hosts
 * files' contents; undefined for `none` and `host` without --add-host or --dns flags. Nothing is
 * left behind when a step fails.
 */
export async function connectContainer(ctx: EngineContext, record: ContainerRecord, options: { defer?: boolean } = {}): Promise<ContainerNetworking | undefined> {
  const host = record.hostConfig;
  const mode = host.networkMode;
  const other = containerOfMode(mode);
  if (other !== undefined) {
    // Docker's: the names and hosts files of the container whose network it joins.
    const donor = ctx.metadata.findContainer(other);
    return {
      netns: joinedNamespace(ctx, other),
      sharedFrom: { hostname: donor.config.Hostname, ...(donor.config.Domainname ? { domainname: donor.config.Domainname } : {}), filesDir: join(ctx.paths.containers, donor.id) },
    };
  }
  const configs = endpointConfigs(host);
  if (configs.length === 0) {
    // `none`, `host`, or every network disconnected: only what the flags add to the hosts files.
    const flagged = (host.extraHosts ?? []).length + (host.dns ?? []).length + (host.dnsSearch ?? []).length + (host.dnsOptions ?? []).length > 0;
    if (!flagged) return undefined;
    const base = sharesHostNetwork(mode) ? [] : [`127.0.1.1\t${record.config.Hostname}`];
    let hostResolv = '';
    try {
      hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      // none: an empty one
    }
    return { hostFiles: { hosts: [...base, ...extraHostLines(host.extraHosts ?? [], defaultGateway(ctx))], resolvConf: resolvConf(ctx, record, hostResolv) } };
  }
  const driver = ctx.networkDriver;
  const id = record.id;
  try {
    const networks = configs.map((c) => findNetwork(ctx, c.network));
    // The default bridge stays up between containers, as docker0 does (services/bridge-keeper.ts).
    if (networks.some(isDefaultBridge)) await ensureBridgeKeeper(ctx);
    trace('network: keeper checked');
    const netns = await driver.createNamespace(id);
    trace('network: namespace made');
    const exposed = Object.keys(record.config.ExposedPorts ?? {});
    const bindings = [...(host.portBindings ?? [])];
    if (host.publishAllPorts) bindings.push(...publishAll(exposed, bindings));
    const ports = ctx.networks.claimPorts({ containerId: id, netns }, bindings, (p) => driver.listeningPorts(p));
    const endpoints = configs.map((c, i) => endpointRequest(ctx, record, networks[i] as NetworkRecord, c, `eth${i}`, i === 0));
    const request: SetupRequest = {
      containerId: id, containerName: record.name, ports, endpoints,
      ...((host.dns ?? []).length > 0 ? { dnsServers: host.dns } : {}),
    };
    writeJsonAtomic(stateFile(ctx, id), { netns, request } satisfies NetworkState);
    trace('network: leased and recorded');
    const recordSettings = (result: SetupResult) => {
      const settings: ContainerNetworkSettings = { sandboxKey: netns, ports, networks: {} };
      for (const e of endpoints) settings.networks[e.network.name] = endpointSettings(id, e, result);
      ctx.metadata.updateContainer(id, (r) => void (r.networkSettings = settings));
      return settings;
    };
    // Without DNS (whose server addresses netavark reports) and published ports, what setup will
    // configure is known now — the leased addresses, the networks' gateways — so setup can run
    // while the runtime creates the container; the caller awaits `ready` before starting it.
    const deferred = options.defer === true && ports.length === 0 && networks.every((n) => !n.dnsEnabled);
    let ready: Promise<Error | undefined> | undefined;
    let result: SetupResult;
    if (deferred) {
      result = predictedResult(endpoints);
      const settled = driver.setup(netns, request).then((actual) => void recordSettings(actual))
        .then(() => undefined, (err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      trace('network: setup launched');
      pendingSetups.set(id, settled);
      ready = settled.then(async (error) => {
        pendingSetups.delete(id);
        if (error) {
          const problems = await disconnectContainer(ctx, id);
          if (problems.length > 0) ctx.warn(`cleaning up the network of container ${record.name} after a failed start: ${problems.map((p) => (p as Error).message).join('; ')}`);
        }
        return error;
      });
    } else {
      result = await driver.setup(netns, request);
    }
    const settings = recordSettings(result);
    const first = settings.networks[endpoints[0]?.network.name ?? ''] as EndpointSettings;
    const search = resolvLines(driver.hostResolvConf()).filter((l) => !/^\s*nameserver\s/.test(l));
    const base = result.dnsServers.length > 0
      ? `${result.dnsServers.map((s) => `nameserver ${s}`).join('\n')}\n${search.join('\n')}${search.length ? '\n' : ''}`
      : driver.hostResolvConf();
    const hosts = [
      `${first.ipAddress}\t${record.config.Hostname}`,
      ...linkLines(ctx, record, settings),
      ...extraHostLines(host.extraHosts ?? [], first.gateway || defaultGateway(ctx)),
    ];
    // On a network with DNS, --dns names aardvark-dns's upstream servers; elsewhere the container's.
    return { netns, hostFiles: { hosts, resolvConf: resolvConf(ctx, record, base, result.dnsServers.length > 0) }, ...(ready ? { ready } : {}) };
  } catch (err) {
    const problems = await disconnectContainer(ctx, id);
    if (problems.length > 0) ctx.warn(`cleaning up the network of container ${record.name} after a failed start: ${problems.map((p) => (p as Error).message).join('; ')}`);
    throw err;
  }
}

/** An endpoint to set up: the address leased, the MAC (--mac-address on the first), the DNS names. */
function endpointRequest(ctx: EngineContext, record: ContainerRecord, network: NetworkRecord, config: EndpointConfig, interfaceName: string, first: boolean): EndpointRequest {
  const ip = ctx.networks.lease(network.id, record.id, config.ipv4Address);
  const aliases = network.dnsEnabled ? [...new Set([...(config.aliases ?? []), shortId(record.id)])] : [];
  const mac = first && record.hostConfig.macAddress !== undefined ? record.hostConfig.macAddress : macForIpv4(parseIpv4(ip) as number);
  return { network, interfaceName, ip, mac, aliases };
}

function endpointSettings(id: string, e: EndpointRequest, result: SetupResult): EndpointSettings {
  const got = result.endpoints[e.network.name] ?? { ip: e.ip, prefixLen: 0, gateway: e.network.gateway ?? '', mac: e.mac };
  return {
    networkId: e.network.id, endpointId: endpointId(id, e.network.id), ipAddress: got.ip, prefixLen: got.prefixLen,
    gateway: got.gateway, macAddress: got.mac, aliases: e.aliases,
  };
}

/** resolv.conf with --dns (unless the network's DNS forwards to them), --dns-search and --dns-option. */
function resolvConf(_ctx: EngineContext, record: ContainerRecord, base: string, networkDns = false): string {
  const host = record.hostConfig;
  return composeResolvConf(base, {
    ...(!networkDns && host.dns ? { nameservers: host.dns } : {}),
    ...(host.dnsSearch ? { search: host.dnsSearch } : {}),
    ...(host.dnsOptions ? { options: host.dnsOptions } : {}),
  });
}

/** The host's address on the default bridge: host-gateway where a container has no network of its own. */
function defaultGateway(ctx: EngineContext): string | undefined {
  return findNetwork(ctx, 'bridge').gateway;
}

/**
 * `--link NAME:ALIAS`: `ADDRESS\tALIAS NAME` for each linked container, at its address on a
 * network this container is on (Docker's legacy links, on the default bridge).
 */
function linkLines(ctx: EngineContext, record: ContainerRecord, settings: ContainerNetworkSettings): string[] {
  const lines: string[] = [];
  for (const link of record.hostConfig.links ?? []) {
    const name = link.slice(0, link.indexOf(':'));
    const alias = link.slice(link.indexOf(':') + 1);
    let target: ContainerRecord;
    try {
      target = ctx.metadata.findContainer(name);
    } catch (err) {
      if (isNotFound(err)) throw errors.notFound('LINK_NOT_FOUND', `could not get container for ${name}`);
      throw err;
    }
    if (target.state.status !== 'running' || target.networkSettings === undefined) {
      throw errors.failedPrecondition('LINK_NOT_RUNNING', `Cannot link to a non running container: /${target.name} AS /${record.name}/${alias}`);
    }
    const shared = Object.keys(settings.networks).find((n) => target.networkSettings?.networks[n] !== undefined);
    const address = shared === undefined ? undefined : target.networkSettings.networks[shared]?.ipAddress;
    if (address === undefined) throw errors.failedPrecondition('LINK_OTHER_NETWORK', `Cannot link to /${target.name}, as it does not belong to the default network`);
    const names = [...new Set([alias, target.config.Hostname, target.name])];
    lines.push(`${address}\t${names.join(' ')}`);
  }
  return lines;
}

/** A running container's network namespace, or a FailedPrecondition naming why it has none to connect in. */
function runningNamespace(ctx: EngineContext, record: ContainerRecord): NetworkState {
  const state = readState(ctx, record.id);
  if (state === undefined) {
    throw errors.failedPrecondition('NO_NETWORK_NAMESPACE', `container ${record.name} runs without a network namespace of berth's (it was started with no network): stop it, connect it, start it again`);
  }
  return state;
}

function readState(ctx: EngineContext, id: string): NetworkState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(ctx, id), 'utf8')) as NetworkState;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether a container in this mode can join (other) networks; Docker's messages. */
function assertConnectable(record: ContainerRecord): void {
  const mode = record.hostConfig.networkMode;
  if (sharesHostNetwork(mode)) throw errors.failedPrecondition('CONNECT_HOST_NETWORK', 'container cannot be disconnected from host network or connected to host network');
  if (containerOfMode(mode) !== undefined) throw errors.failedPrecondition('CONNECT_SHARED_NETWORK', 'container sharing network namespace with another container or host cannot be connected to any other network');
  if (mode === 'none') throw errors.failedPrecondition('CONNECT_NONE_NETWORK', 'container cannot be connected to multiple networks with one of the networks in private (none) mode');
}

/**
 * `network connect`: records the network in the container's configuration and, when it runs,
 * sets that one network up in its namespace (the next free ethN), with its published ports.
 */
export async function connectNetwork(ctx: EngineContext, record: ContainerRecord, ref: string, options: { aliases?: string[]; ipv4Address?: string }): Promise<void> {
  const network = findNetwork(ctx, ref);
  assertConnectable(record);
  if (network.driver !== 'bridge') {
    throw errors.failedPrecondition('CONNECT_HOST_NETWORK', 'container cannot be disconnected from host network or connected to host network');
  }
  const configs = endpointConfigs(record.hostConfig);
  if (configs.some((c) => c.network === network.name)) throw errors.alreadyExists('ENDPOINT_EXISTS', `endpoint with name ${record.name} already exists in network ${network.name}`);
  const config = checkEndpoint(ctx, {
    network: network.name, ...(options.aliases && options.aliases.length > 0 ? { aliases: options.aliases } : {}),
    ...(options.ipv4Address !== undefined ? { ipv4Address: options.ipv4Address } : {}),
  });
  const running = ['running', 'paused'].includes(record.state.status);
  if (running) {
    const state = runningNamespace(ctx, record);
    const used = new Set(state.request.endpoints.map((e) => e.interfaceName));
    let n = 0;
    while (used.has(`eth${n}`)) n++;
    const endpoint = endpointRequest(ctx, record, network, config, `eth${n}`, false);
    const single: SetupRequest = { ...state.request, endpoints: [endpoint] };
    // Recorded first, so that whichever process tears the container down undoes this too.
    writeJsonAtomic(stateFile(ctx, record.id), { ...state, request: { ...state.request, endpoints: [...state.request.endpoints, endpoint] } } satisfies NetworkState);
    let result: SetupResult;
    try {
      result = await ctx.networkDriver.setup(state.netns, single);
    } catch (err) {
      const now = readState(ctx, record.id);
      if (now) writeJsonAtomic(stateFile(ctx, record.id), { ...now, request: { ...now.request, endpoints: now.request.endpoints.filter((e) => e.network.id !== network.id) } });
      ctx.networks.releaseLease(network.id, record.id);
      throw err;
    }
    ctx.metadata.updateContainer(record.id, (r) => {
      if (r.networkSettings) r.networkSettings.networks[network.name] = endpointSettings(record.id, endpoint, result);
      r.hostConfig.networks = [...endpointConfigs(r.hostConfig), config];
    });
    return;
  }
  ctx.metadata.updateContainer(record.id, (r) => void (r.hostConfig.networks = [...endpointConfigs(r.hostConfig), config]));
}

/**
 * `network disconnect`: drops the network from the container's configuration and, when it runs,
 * tears that one network down in its namespace and releases its address. `force` goes on when
 * the teardown fails (what it left is for `berth system prune`).
 */
export async function disconnectNetwork(ctx: EngineContext, record: ContainerRecord, ref: string, force: boolean): Promise<void> {
  if (sharesHostNetwork(record.hostConfig.networkMode) && (ref === 'host' || ctx.networks.find(ref)?.name === 'host')) {
    throw errors.failedPrecondition('CONNECT_HOST_NETWORK', 'container cannot be disconnected from host network or connected to host network');
  }
  const network = findNetwork(ctx, ref);
  const configs = endpointConfigs(record.hostConfig);
  if (!configs.some((c) => c.network === network.name)) {
    throw errors.failedPrecondition('NOT_CONNECTED', `container ${record.id} is not connected to network ${network.name}`);
  }
  const state = ['running', 'paused'].includes(record.state.status) ? readState(ctx, record.id) : undefined;
  const endpoint = state?.request.endpoints.find((e) => e.network.id === network.id);
  if (state && endpoint) {
    try {
      await ctx.networkDriver.teardown(state.netns, { ...state.request, endpoints: [endpoint] });
    } catch (err) {
      if (!force) throw err;
      ctx.warn(`disconnecting ${record.name} from ${network.name}: ${(err as Error).message}`);
    }
    const now = readState(ctx, record.id);
    if (now) writeJsonAtomic(stateFile(ctx, record.id), { ...now, request: { ...now.request, endpoints: now.request.endpoints.filter((e) => e.network.id !== network.id) } });
    ctx.networks.releaseLease(network.id, record.id);
  }
  ctx.metadata.updateContainer(record.id, (r) => {
    r.hostConfig.networks = endpointConfigs(r.hostConfig).filter((c) => c.network !== network.name);
    if (r.networkSettings) delete r.networkSettings.networks[network.name];
  });
}

/**
 * Undoes connectContainer; safe to run any number of times, from any process. Returns what failed.
 * `statePath`: where setup's state was written (a build step's is in its bundle, build-network.ts).
 */
export async function disconnectContainer(ctx: EngineContext, id: string, statePath = stateFile(ctx, id)): Promise<unknown[]> {
  // A deferred setup of this process finishes first: netavark would otherwise set up what was just torn down.
  await pendingSetups.get(id);
  const problems: unknown[] = [];
  const driver = ctx.networkDriver;
  let state: { netns: string; request: SetupRequest } | undefined;
  // Claimed by renaming, so that of two processes cleaning up at once (a monitor's clean-up and a
  // `ps` reconciling, `rm -f`) only one tears down: a second netavark teardown fails on the veth
  // the first removed.
  const claimed = `${statePath}.teardown-${process.pid}`;
  // A claim whose process died before finishing is taken over.
  const sources = [statePath, ...abandonedClaims(statePath)];
  for (const source of sources) {
    try {
      renameSync(source, claimed);
      state = JSON.parse(readFileSync(claimed, 'utf8')) as { netns: string; request: SetupRequest };
      break;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') problems.push(err);
    }
  }
  if (state && state.request.endpoints.length > 0) {
    try {
      await driver.teardown(state.netns, state.request);
    } catch (err) {
      problems.push(err);
    }
  }
  // Whether or not setup ran (or the state file was written), nothing of the container may stay.
  for (const step of [async () => ctx.networks.release(id), () => driver.removeNamespace(id), async () => void unlinkIfExists(claimed)]) {
    try {
      await step();
    } catch (err) {
      problems.push(err);
    }
  }
  try {
    // A container that had no settings (`--network none`, host) needs no record write.
    const current = ctx.metadata.findContainer(id);
    if (current.id !== id || current.networkSettings !== undefined) ctx.metadata.updateContainer(id, (r) => void delete r.networkSettings);
  } catch (err) {
    if (!isNotFound(err)) problems.push(err);
  }
  return problems;
}

/** `network.json.teardown-<pid>` files of processes that are gone. */
function abandonedClaims(statePath: string): string[] {
  const dir = dirname(statePath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    const m = /^network\.json\.teardown-(\d+)$/.exec(n);
    return m !== null && Number(m[1]) !== process.pid && !pidExists(Number(m[1]));
  }).map((n) => join(dir, n));
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
