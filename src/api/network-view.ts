/**
 * Networks as Docker shows them: `docker network inspect` objects, `docker network ls` rows (the
 * CLI's networkContext, by the names `--format` templates use), and a container's
 * `NetworkSettings` in `docker inspect`.
 */
import { shortId } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { endpointConfigs } from '../core/containers/index.js';
import { portMap } from '../core/network/index.js';
import type { NetworkInfo } from './engine.js';
import { dockerDate } from './list-views.js';
import { goMap } from './go-map.js';

/** `docker network inspect`: dockerd 20.10's fields, in its order. */
export function networkInspectView(n: NetworkInfo) {
  const containers: Record<string, unknown> = {};
  for (const c of n.containers) {
    const e = Object.values(c.networkSettings?.networks ?? {}).find((x) => x.networkId === n.id);
    if (!e) continue;
    containers[c.id] = { Name: c.name, EndpointID: e.endpointId, MacAddress: e.macAddress, IPv4Address: `${e.ipAddress}/${e.prefixLen}`, IPv6Address: '' };
  }
  // dockerd echoes the IPAM config as given: `--subnet` alone has no Gateway (berth's default gateway,
  // the subnet's first address, stands for that); a subnet it chose itself comes with its gateway.
  // (Networks made before gatewayGiven was recorded: a gateway other than the first address was given.)
  const gatewayGiven = !n.subnetGiven || n.gatewayGiven === true || n.gateway !== firstAddress(n.subnet);
  const config = n.subnet === undefined ? [] : [{
    Subnet: n.subnet, ...(n.ipRange !== undefined ? { IPRange: n.ipRange } : {}), ...(gatewayGiven ? { Gateway: n.gateway } : {}),
    ...(n.auxAddresses ? { AuxiliaryAddresses: goMap(n.auxAddresses) } : {}),
  }];
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: n.driver === 'bridge' ? {} : null, Config: config },
    Internal: n.internal,
    Attachable: n.attachable === true,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: goMap({ ...(n.bridge !== undefined && n.predefined ? { [`com.docker.network.bridge.name`]: n.bridge } : {}), ...n.options }),
    Labels: goMap(n.labels),
  };
}

/** A `docker network ls` row, fields in the docker CLI's JSON order. */
export function networkListRow(n: NetworkInfo, options: { trunc: boolean }) {
  return {
    CreatedAt: dockerDate(n.created),
    Driver: n.driver,
    ID: options.trunc ? shortId(n.id) : n.id,
    IPv4: 'false',
    IPv6: 'false',
    Internal: String(n.internal),
    Labels: Object.keys(n.labels).sort().map((k) => `${k}=${n.labels[k]}`).join(','),
    Name: n.name,
    Scope: 'local',
    Label: (key: string) => n.labels[key] ?? '',
  };
}

/** `NetworkSettings` of `docker inspect CONTAINER`: the addresses while it runs, empty otherwise. */
export function containerNetworkSettingsView(c: ContainerRecord) {
  const s = c.networkSettings;
  const exposed = Object.keys(c.config.ExposedPorts ?? {}).sort();
  const networks: Record<string, unknown> = {};
  // Not running: the networks it joins (`none`, `host` too), with empty endpoints, as dockerd shows them.
  if (!s) {
    const mode = c.hostConfig.networkMode;
    const names = endpointConfigs(c.hostConfig).map((e) => (e.network === 'default' ? 'bridge' : e.network));
    for (const name of names.length > 0 ? names : mode === 'none' || mode === 'host' ? [mode] : []) {
      networks[name] = {
        IPAMConfig: ipamConfig(c, name), Links: null, Aliases: endpointConfigs(c.hostConfig).find((e) => e.network === name)?.aliases ?? null,
        NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
      };
    }
  }
  for (const [name, e] of Object.entries(s?.networks ?? {})) {
    networks[name] = {
      IPAMConfig: ipamConfig(c, name),
      Links: null,
      Aliases: e.aliases.length > 0 ? e.aliases : null,
      NetworkID: e.networkId,
      EndpointID: e.endpointId,
      Gateway: e.gateway,
      IPAddress: e.ipAddress,
      IPPrefixLen: e.prefixLen,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: e.macAddress,
      DriverOpts: null,
    };
  }
  // Docker fills the top-level address fields from the default bridge only.
  const bridge = s?.networks['bridge'];
  return {
    Bridge: '',
    SandboxID: s ? c.id : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: s ? portMap(s.ports, exposed) : {},
    SandboxKey: s?.sandboxKey ?? '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.endpointId ?? '',
    Gateway: bridge?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.ipAddress ?? '',
    IPPrefixLen: bridge?.prefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.macAddress ?? '',
    Networks: goMap(networks),
  };
}

/** The address the container asked for on a network (`--ip`, `network connect --ip`). */
function ipamConfig(c: ContainerRecord, network: string) {
  const ip = endpointConfigs(c.hostConfig).find((e) => e.network === network)?.ipv4Address;
  return ip !== undefined ? { IPv4Address: ip } : null;
}

/** The first host address of an IPv4 subnet (`10.0.0.0/24` → `10.0.0.1`). */
function firstAddress(subnet: string | undefined): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet ?? '');
  if (!m) return undefined;
  const bits = Number(m[5]);
  const base = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const first = ((base & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((sh) => (first >>> sh) & 255).join('.');
}
