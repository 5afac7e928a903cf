export { assertTransition, canTransition, initialState, validateContainerName, zeroTime } from './container.js';
export type { ContainerNetworkSettings, ContainerRecord, ContainerState, ContainerStatus, EndpointSettings, HostConfig, LogConfig, MountSpec, RestartPolicy } from './container.js';
export { supervisorAlive } from './supervisor-liveness.js';
export { defaultPath, mergeEnv, processArgs, withHostname } from './process-config.js';
