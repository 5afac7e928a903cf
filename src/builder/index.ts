/**
 * build: the Dockerfile builder. `loadBuildContext` turns the CLI's CONTEXT into a directory and
 * a Dockerfile; `buildImage` runs the build (stages, cache, RUN containers, layers) and stores
 * the image. See build-image.ts for the flow and docs/ARCHITECTURE.md for the design.
 */
export { buildImage, explainMiss } from './build-image.js';
export type { BuildDeps } from './build-image.js';
export { loadBuildContext } from './load-context.js';
export type { LoadContextOptions, LoadedContext } from './load-context.js';
export { quietProgress } from './types.js';
export type { BuildNetwork, BuildOptions, BuildProgress, BuildResult } from './types.js';
export { bootstrapDebian, hostDebianMirror } from './bootstrap-debian.js';
export type { BootstrapOptions } from './bootstrap-debian.js';
export { buildCacheRoots } from './cache-roots.js';
