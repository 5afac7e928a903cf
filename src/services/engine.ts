import { errors, withOperation } from '../base/index.js';
import type { Engine } from '../api/index.js';
import { createContainerService } from './containers.js';
import type { Builder, EngineContext } from './engine-context.js';
import { createImageService } from './images.js';
import { createSystemService } from './system.js';
import { createVolumeService } from './volumes.js';
import { createNetworkService } from './networks.js';
import { withImageEvents, withNetworkEvents, withVolumeEvents } from './engine-events.js';
import { streamEvents } from './events.js';
import { systemFacts } from './system-info.js';
import { diskUsage } from './system-df.js';
import { releaseBuildBridge } from './build-network.js';
import { enforceBuildCacheLimit } from './build-cache-prune.js';
import { readStoreSettings } from './store-settings.js';
import { validateBuildStepLimits } from './container-options.js';

/**
 * The in-process Engine (daemonless): the services do the work in the calling process. A
 * remote Engine (the daemon's client) implements the same interface from src/api.
 */
export function createEngine(ctx: EngineContext, options: { verifyBlob: Parameters<typeof createSystemService>[1] }): Engine {
  const images = createImageService(ctx);
  const deps = { ctx, images };
  const builder = async (): Promise<Builder> => {
    if (!ctx.builder) throw errors.notImplemented('NO_BUILDER', 'This engine was opened without a builder');
    return ctx.builder();
  };
  return {
    images: withImageEvents(ctx, {
      ...images,
      build: (request, op) => withOperation(op, async (own) => {
        // A limit the settings cannot give is an error before anything is built (store-settings.ts).
        const { buildCacheLimit } = readStoreSettings(ctx.paths.root);
        if (request.stepLimits) validateBuildStepLimits(request.stepLimits);
        try {
          return await (await builder()).build(deps, request, own);
        } finally {
          await releaseBuildBridge(ctx, own);
          // The build's own outcome stands: a failed eviction is a warning, and the next build tries again.
          if (buildCacheLimit !== undefined) {
            await enforceBuildCacheLimit(ctx, buildCacheLimit).catch((err: unknown) => own.warn(`The build cache was not brought within its limit: ${(err as Error).message}`));
          }
        }
      }),
      bootstrap: (name, request = {}, op) => withOperation(op, async (own) => (await builder()).bootstrap(deps, name, request, own)),
      checkReproducible: (request, op) => withOperation(op, async (own) => {
        if (request.stepLimits) validateBuildStepLimits(request.stepLimits);
        try {
          return await (await builder()).checkReproducible(deps, request, own);
        } finally {
          await releaseBuildBridge(ctx, own);
        }
      }),
    }),
    containers: createContainerService(ctx, images),
    volumes: withVolumeEvents(ctx, createVolumeService(ctx)),
    networks: withNetworkEvents(ctx, createNetworkService(ctx)),
    system: { ...createSystemService(ctx, options.verifyBlob), events: (request) => streamEvents(ctx, request), facts: async () => systemFacts(ctx), df: () => diskUsage(ctx) },
    close() {
      ctx.metadata.close();
      ctx.snapshots.close();
    },
  };
}
