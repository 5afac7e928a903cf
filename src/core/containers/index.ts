export { assertTransition, canTransition, initialState, validateContainerName, zeroTime } from './container.js';
export type { ContainerRecord, ContainerState, ContainerStatus, HostConfig, LogConfig, MountSpec, RestartPolicy } from './container.js';
export { supervisorAlive } from './supervisor-liveness.js';
export { defaultPath, mergeEnv, processArgs, withHostname } from './process-config.js';
