/**
 * services: the use cases — images, containers, system — over the core interfaces, composed into
 * the in-process Engine (src/api's interface). The builder and cmd reach the store only
 * through what is exported here.
 */
export type { Builder, BuildCacheEntry, BuilderDeps, EngineContext, RuntimeSelection, StorePaths } from './engine-context.js';
export { createEngine } from './engine.js';
export type { ImageService } from './images.js';
export type { ContainerService } from './containers.js';
export type { SystemService } from './system.js';
export { commitOrDiscard, ensureUnpacked, imageLayers, stackLayers } from './unpack.js';
export type { StackLayer } from './unpack.js';
export { runBuildProcess } from './build-process.js';
export { disconnectBuildStep } from './build-network.js';
export type { BuildProcessOptions } from './build-process.js';
export { readUserDatabase } from './process-files.js';
export { defaultPath, mergeEnv } from '../core/containers/index.js';
export type { NetworkMode } from '../core/network/index.js';
