/**
 * core/spec: pure translation of a container's settings into the OCI runtime `config.json`
 * that crun/runc run, with Docker's defaults (namespaces, kernel filesystems, masked paths,
 * capabilities, seccomp allow-list, device rules, resource limits), plus the parsers of the
 * Docker options that feed it (`--user`, `--memory`, `--ulimit`). Nothing here touches the host.
 *
 * Errors: invalidArgument (`BERTH_E_INVALID_SPEC`, `BERTH_E_UNKNOWN_CAPABILITY`,
 * `BERTH_E_CAPABILITY_UNAVAILABLE`, `BERTH_E_INVALID_SIZE`, `BERTH_E_INVALID_ULIMIT`,
 * `BERTH_E_INVALID_USER`, `BERTH_E_INVALID_SECURITY_OPT`, `BERTH_E_INVALID_SECCOMP_PROFILE`),
 * notImplemented (`BERTH_E_SECURITY_OPT_UNSUPPORTED`) and notFound (`BERTH_E_USER_NOT_FOUND`,
 * `BERTH_E_GROUP_NOT_FOUND`).
 */
export {
  buildSpec, INIT_PATH, resourceUpdate, type DeviceNode, type IpcNamespace, type NetworkNamespace, type PidNamespace, type ResourceLimits, type SpecInput,
} from './build-spec.js';
export { allCapabilities, capabilitiesFromMask, defaultCapabilities, resolveCapabilities, type CapabilityOptions } from './capabilities.js';
export { defaultSeccompProfile, type SeccompArchName, type SeccompProfileOptions } from './seccomp-profile.js';
export { resolveGroups, resolveUser, type ResolvedUser } from './resolve-user.js';
export { seccompFromDockerProfile, seccompHost, type SeccompHost } from './docker-seccomp.js';
export { parseSecurityOptions, type SecurityOptions } from './security-options.js';
export { parseBytes } from './parse-bytes.js';
export { parseUlimit, ulimitTypes, type Ulimit } from './parse-ulimit.js';
export { DEFAULT_SHM_SIZE, defaultMaskedPaths, defaultReadonlyPaths } from './defaults.js';
