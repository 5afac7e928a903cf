export { assertTransition, canTransition, initialState, validateContainerName, zeroTime } from './container.js';
export type { ContainerRecord, ContainerState, ContainerStatus, HostConfig, MountSpec } from './container.js';
export { supervisorAlive } from './supervisor-liveness.js';
export { defaultPath, mergeEnv, processArgs, withHostname } from './process-config.js';
