import type { HostConfig } from '../api/index.js';
import { joinsNetworks } from '../api/index.js';

export interface EndpointWish {
  network: string;
  aliases?: string[];
  ipv4Address?: string;
}

/** The networks a new container joins, first one first (its eth0), with what it asked for there. */
export function endpointWishes(h: Partial<HostConfig>): EndpointWish[] {
  if (h.networks !== undefined) return h.networks;
  const mode = h.networkMode ?? 'bridge';
  if (!joinsNetworks(mode)) return [];
  return [{
    network: mode,
    ...(h.networkAliases && h.networkAliases.length > 0 ? { aliases: h.networkAliases } : {}),
    ...(h.ipv4Address !== undefined ? { ipv4Address: h.ipv4Address } : {}),
  }];
}

/** An endpoint's settings as Docker's EndpointSettings (create's NetworkingConfig, network connect). */
export function endpointConfig(wish: EndpointWish): Record<string, unknown> {
  return {
    ...(wish.aliases ? { Aliases: wish.aliases } : {}),
    ...(wish.ipv4Address !== undefined ? { IPAMConfig: { IPv4Address: wish.ipv4Address } } : {}),
  };
}

/**
 * NetworkingConfig.EndpointsConfig of a create: the first network only, as API 1.41 takes one
 * (the others are connected after the create, as the docker CLI did before API 1.44).
 */
export function endpointsOf(h: Partial<HostConfig>): Record<string, unknown> {
  const first = endpointWishes(h)[0];
  if (!first) return {};
  return { [first.network]: endpointConfig(first) };
}
