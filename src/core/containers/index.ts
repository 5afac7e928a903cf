export { assertTransition, canTransition, initialState, validateContainerName, zeroTime } from './container.js';
export type {
  ContainerNetworkSettings, ContainerRecord, ContainerState, ContainerStatus, DeviceMapping, EndpointConfig, EndpointSettings, HostConfig, LogConfig, MountSpec, RestartPolicy,
  RestartPolicyName, ThrottleDevice, WeightDevice,
} from './container.js';
export {
  checkBlkioWeight, checkMemorySwappiness, parseCgroupnsMode, parseDeviceCgroupRule, parseUtsMode,
} from './cgroup-options.js';
export type { DeviceRule } from './cgroup-options.js';
export { isSupervisedStatus, reconcileWatches, supervisorAlive } from './supervisor-liveness.js';
export { defaultPath, mergeEnv, processArgs, withHostname } from './process-config.js';
export {
  checkSysctls, joinedContainer, parseCpuset, parseDeviceMapping, parseIpcMode, parsePidMode, parseRestartPolicy, parseSysctl,
  restartPolicyText, signalNumber, sysctlNamespace,
} from './host-options.js';
export { applyProbeResult, healthDefaults, healthSettings, maxHealthLogEntries, maxHealthOutputBytes, mergeHealthcheck, startingHealth, validateHealthcheck } from './health.js';
export type { HealthLogEntry, HealthSettings, HealthState, HealthStatus } from './health.js';
export { endpointConfigs } from './endpoints.js';
