/**
 * Network routes: list (with filters), inspect, create, remove, connect, disconnect, prune, on
 * berth's bridge driver. Docker's request fields that berth's networks cannot honour (swarm's,
 * IPv6, several subnets, IPAM drivers and their options) are refused with a 400 naming them, never ignored.
 */
import { errors } from '../../base/index.js';
import type { CreateNetworkRequest, NetworkInfo } from '../../api/index.js';
import { networkFilter, networkInspectView, pruneNetworksFiltered } from '../../api/index.js';
import type { ApiCall } from '../api-call.js';
import type { Router } from '../router.js';

interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string> | null;
}

interface NetworkCreateBody {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfig[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

interface EndpointConfig {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null;
  Links?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
}

const unsupported = (field: string, why: string) => errors.invalidArgument('NETWORK_OPTION_UNSUPPORTED', `${field} is not supported by berth's networks: ${why}`);
const nonEmpty = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** Docker's create body → berth's request; what berth cannot do is a 400 naming the field. */
function createRequest(body: NetworkCreateBody): CreateNetworkRequest {
  const name = body.Name ?? '';
  if (name === '') throw errors.invalidArgument('INVALID_NETWORK_NAME', 'a network needs a name (Name)');
  if (body.Scope !== undefined && body.Scope !== '' && body.Scope !== 'local') throw unsupported(`Scope "${body.Scope}"`, 'they are local');
  // Attachable (docker-compose 1.29 sends it for every project network) lets containers other than
  // a swarm's join: a local network always lets them, so dockerd records it there, and so does berth.
  if (body.Ingress === true) throw unsupported('Ingress', 'it is a swarm routing-mesh network');
  if (body.ConfigOnly === true || nonEmpty(body.ConfigFrom?.Network)) throw unsupported('ConfigOnly/ConfigFrom', 'config-only networks are for swarm');
  const ipam = body.IPAM ?? {};
  if (ipam.Driver !== undefined && ipam.Driver !== '' && ipam.Driver !== 'default') throw unsupported(`IPAM driver "${ipam.Driver}"`, 'only the default IPAM driver is');
  if (nonEmpty(ipam.Options)) throw unsupported('IPAM.Options', 'the default IPAM driver takes none');
  const configs = ipam.Config ?? [];
  if (configs.length > 1) throw unsupported('More than one IPAM.Config', 'a network has one IPv4 subnet');
  const config = configs[0] ?? {};
  return {
    name,
    ...(body.Driver !== undefined && body.Driver !== '' ? { driver: body.Driver } : {}),
    ...(config.Subnet ? { subnet: config.Subnet } : {}),
    ...(config.Gateway ? { gateway: config.Gateway } : {}),
    ...(config.IPRange ? { ipRange: config.IPRange } : {}),
    ...(nonEmpty(config.AuxiliaryAddresses) ? { auxAddresses: config.AuxiliaryAddresses as Record<string, string> } : {}),
    ...(body.Attachable === true ? { attachable: true } : {}),
    internal: body.Internal === true,
    ipv6: body.EnableIPv6 === true,
    labels: body.Labels ?? {},
    options: body.Options ?? {},
  };
}

/** `GET /networks`' shape: inspect's without the containers (dockerd lists none since API 1.28). */
function listItem(n: NetworkInfo) {
  return { ...networkInspectView(n), Containers: {} };
}

async function containerParam(call: ApiCall): Promise<{ container: string; body: Record<string, unknown> }> {
  const body = await call.json<Record<string, unknown>>({});
  const container = typeof body.Container === 'string' ? body.Container : '';
  if (container === '') throw errors.invalidArgument('MISSING_CONTAINER', 'a container is required (Container)');
  return { container, body };
}

export function addNetworkRoutes(router: Router): void {
  router.add('GET', '/networks', async (call) => {
    const filter = networkFilter(call.filters());
    call.send(200, (await call.engine.networks.list()).filter(filter).map(listItem));
  });

  router.add('POST', '/networks/create', async (call) => {
    const request = createRequest(await call.json<NetworkCreateBody>());
    const network = await call.engine.networks.create(request);
    call.send(201, { Id: network.id, Warning: '' });
  });

  router.add('POST', '/networks/prune', async (call) => {
    call.send(200, { NetworksDeleted: await pruneNetworksFiltered(call.engine, call.filters()) });
  });

  router.add('GET', '/networks/{id}', async (call) => {
    call.send(200, networkInspectView(await call.engine.networks.inspect(call.params.id!)));
  });

  router.add('DELETE', '/networks/{id}', async (call) => {
    await call.engine.networks.remove(call.params.id!);
    call.empty(204);
  });

  router.add('POST', '/networks/{id}/connect', async (call) => {
    const { container, body } = await containerParam(call);
    const endpoint = (body.EndpointConfig ?? {}) as EndpointConfig;
    const ipam = endpoint.IPAMConfig ?? {};
    if (nonEmpty(ipam.IPv6Address)) throw unsupported('IPAMConfig.IPv6Address', 'they are IPv4 only');
    if (nonEmpty(ipam.LinkLocalIPs)) throw unsupported('IPAMConfig.LinkLocalIPs', 'no link-local addresses are assigned');
    if (nonEmpty(endpoint.Links)) throw unsupported('EndpointConfig.Links', 'use aliases and the network\'s DNS');
    if (nonEmpty(endpoint.MacAddress)) throw unsupported('EndpointConfig.MacAddress', 'addresses are assigned by the driver');
    if (nonEmpty(endpoint.DriverOpts)) throw unsupported('EndpointConfig.DriverOpts', 'the bridge driver takes no endpoint options');
    const aliases = (endpoint.Aliases ?? []).filter((a) => a !== '');
    await call.engine.networks.connect(call.params.id!, container, {
      ...(aliases.length > 0 ? { aliases } : {}),
      ...(ipam.IPv4Address ? { ipv4Address: ipam.IPv4Address } : {}),
    });
    call.empty(200);
  });

  router.add('POST', '/networks/{id}/disconnect', async (call) => {
    const { container, body } = await containerParam(call);
    await call.engine.networks.disconnect(call.params.id!, container, { force: body.Force === true });
    call.empty(200);
  });
}

