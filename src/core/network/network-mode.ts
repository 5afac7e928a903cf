import { errors } from '../../base/index.js';

/**
 * How a container or a build step is connected, as Docker's `--network` names it (and its
 * HostConfig.NetworkMode keeps it): `none` gives it a network namespace of its own with only
 * loopback, `host` shares the host's, `container:NAME` joins another container's, and `bridge`
 * (Docker's default network) or any other name joins that network through the network driver.
 */
export type NetworkMode = string;

/** The modes that are no network of the store. */
export const networkModes: readonly NetworkMode[] = ['none', 'host'];

/** `--network` as typed (`--net` too); `default` is `bridge`, as Docker reads it. */
export function parseNetworkMode(value: string): NetworkMode {
  if (value === '') throw errors.invalidArgument('NETWORK_MODE', 'Invalid network mode "": name a network (bridge, host, none, container:NAME or a network\'s name)');
  if (value === 'default') return 'bridge';
  if (value.startsWith('container:') && value.length === 'container:'.length) {
    throw errors.invalidArgument('NETWORK_MODE', `Invalid network mode "${value}": name the container whose network to join`);
  }
  return value;
}

/** Whether the mode shares the host's network namespace (no namespace of its own, the host's /etc/hosts). */
export function sharesHostNetwork(mode: NetworkMode): boolean {
  return mode === 'host';
}

/** The container whose namespace `container:NAME` joins, if the mode is that. */
export function containerOfMode(mode: NetworkMode): string | undefined {
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

/** Whether the mode joins networks of the store (`bridge` or a user network), through the driver. */
export function joinsNetworks(mode: NetworkMode): boolean {
  return mode !== 'none' && mode !== 'host' && containerOfMode(mode) === undefined;
}
