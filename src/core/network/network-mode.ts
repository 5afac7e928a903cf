import { errors } from '../../base/index.js';

/**
 * How a container or a build step is connected, as Docker's `--network` names it: `none` gives
 * it a network namespace of its own with only loopback, `host` shares the host's. Bridge, user
 * networks and `container:NAME` arrive with the network driver (see docs/ARCHITECTURE.md); the
 * modes are strings, as Docker's HostConfig.NetworkMode is, so records keep that shape.
 */
export type NetworkMode = 'none' | 'host';

export const networkModes: readonly NetworkMode[] = ['none', 'host'];

/** `--network` as typed (`--net` too); unknown or not yet supported modes are named in the error. */
export function parseNetworkMode(value: string): NetworkMode {
  if ((networkModes as readonly string[]).includes(value)) return value as NetworkMode;
  if (value === '') throw errors.invalidArgument('NETWORK_MODE', 'Invalid network mode "": name a network (none, host)');
  throw errors.notImplemented('NETWORK_UNSUPPORTED', `Cannot connect to network "${value}": only "none" and "host" exist so far`);
}

/** Whether the mode shares the host's network namespace (no namespace of its own, the host's /etc/hosts). */
export function sharesHostNetwork(mode: NetworkMode): boolean {
  return mode === 'host';
}
