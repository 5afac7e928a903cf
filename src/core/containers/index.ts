export { assertTransition, canTransition, initialState, validateContainerName, zeroTime } from './container.js';
export type { ContainerRecord, ContainerState, ContainerStatus, HostConfig, MountSpec, ProcessRef } from './container.js';
export { killProcess, processAlive, processStartTime, supervisorAlive, waitUntilGone } from './supervisor.js';
