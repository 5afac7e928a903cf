export type { EngineContext, RuntimeSelection, StorePaths } from './engine-context.js';
export { createEngine } from './engine.js';
export type { Engine } from './engine.js';
export { createImageService } from './images.js';
export type { ImageService, ImageSummary, ImportOptions } from './images.js';
export { createContainerService, mergeEnv, processArgs } from './containers.js';
export type { ContainerService, CreateContainerOptions } from './containers.js';
export { createSystemService } from './system.js';
export type { CheckReport, SystemService } from './system.js';
export { commitOrDiscard, ensureUnpacked } from './unpack.js';
// Records and option parsers that are part of the engine's API, so callers (CLI, daemon) need
// not reach into core.
export type { ContainerRecord, ContainerState, ContainerStatus, HostConfig, MountSpec } from '../core/containers/index.js';
export { parseBytes, parseUlimit } from '../core/spec/index.js';
export { parseNetworkMode } from '../core/network/index.js';
export type { NetworkMode } from '../core/network/index.js';
export { runBuildProcess } from './build-steps.js';
export type { BuildProcessOptions } from './build-steps.js';
export { readUserDatabase, writeHostFiles } from './process-files.js';
export { defaultPath } from './containers.js';
export { supervisorAlive } from './containers.js';
