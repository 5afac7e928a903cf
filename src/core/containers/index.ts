export { assertTransition, canTransition, initialState, validateContainerName, zeroTime } from './container.js';
export type { ContainerRecord, ContainerState, ContainerStatus, HostConfig, MountSpec } from './container.js';
