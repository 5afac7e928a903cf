import { joinsNetworks } from '../network/index.js';
import type { EndpointConfig, HostConfig } from './container.js';

/**
 * The networks a container joins, in order (the first one's interface is eth0): its `networks`
 * when set (a repeated `--network`, `network connect`/`disconnect`), else the one network of its
 * mode with `--network-alias` and `--ip`; none for `none`, `host` and `container:NAME`.
 */
export function endpointConfigs(host: Pick<HostConfig, 'networkMode' | 'networks' | 'networkAliases' | 'ipv4Address'>): EndpointConfig[] {
  if (host.networks !== undefined) return host.networks;
  if (!joinsNetworks(host.networkMode)) return [];
  return [{
    network: host.networkMode,
    ...(host.networkAliases && host.networkAliases.length > 0 ? { aliases: host.networkAliases } : {}),
    ...(host.ipv4Address !== undefined ? { ipv4Address: host.ipv4Address } : {}),
  }];
}
