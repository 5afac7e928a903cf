/**
 * builder: the Dockerfile builder. The engine reaches it through `builder` (builder-plugin.ts),
 * which cmd injects: a request's context is loaded (load-context.ts) and `buildImage` runs the
 * build (stages, cache, RUN containers, layers) and stores the image. See build-image.ts for the
 * flow and docs/ARCHITECTURE.md for the design.
 */
export { builder } from './builder-plugin.js';
export { explainMiss } from './build-image.js';
export { recoverStaleBuilds } from './recover-stale.js';
