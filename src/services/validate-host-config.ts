import { availableParallelism, release } from 'node:os';

import { errors } from '../base/index.js';
import type { HostConfig } from '../core/containers/index.js';
import { parseSecurityOptions, resolveCapabilities, seccompFromDockerProfile, seccompHost } from '../core/spec/index.js';
import type { EngineContext } from './engine-context.js';
import { hostCapabilities } from './host-capabilities.js';

/**
 * Checks at create time what depends on this host, as Docker's daemon does, so a container that
 * could never start is not recorded: `--cpus` within 0.01 and the CPUs berth may use, and the
 * runtime a configured one (the runtime plugin refuses other names: BERTH_E_UNKNOWN_RUNTIME),
 * capabilities the host can grant, and security options (a seccomp profile is translated once, as
 * a check). Throws invalidArgument `BERTH_E_INVALID_CPUS` and core/spec's errors.
 */
export function validateHostConfig(ctx: EngineContext, host: HostConfig, cpuCount = availableParallelism()): void {
  if (host.nanoCpus !== undefined && host.nanoCpus > 0 && (host.nanoCpus < 1e7 || host.nanoCpus > cpuCount * 1e9)) {
    throw errors.invalidArgument('INVALID_CPUS', `Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
  }
  if (host.runtime !== '') ctx.runtime(host.runtime);
  const caps = resolveCapabilities({ add: host.capAdd, drop: host.capDrop, privileged: host.privileged, available: hostCapabilities() });
  const security = parseSecurityOptions(host.securityOpt);
  if (security.seccomp.kind === 'profile') {
    seccompFromDockerProfile(security.seccomp.profile, seccompHost(process.arch === 'arm64' ? 'arm64' : 'x64', caps, release()));
  }
}
