import type { ContainerService } from './containers.js';
import { createContainerService } from './containers.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';
import { createImageService } from './images.js';
import type { SystemService } from './system.js';
import { createSystemService } from './system.js';

/**
 * Engine: what the CLI (and later the daemon) drives. The in-process implementation below does
 * the work in the calling process (daemonless); a remote one will speak the Engine API.
 */
export interface Engine {
  images: ImageService;
  containers: ContainerService;
  system: SystemService;
  context: EngineContext;
  close(): void;
}

export function createEngine(ctx: EngineContext, options: { verifyBlob: Parameters<typeof createSystemService>[1] }): Engine {
  const images = createImageService(ctx);
  return {
    images,
    containers: createContainerService(ctx, images),
    system: createSystemService(ctx, options.verifyBlob),
    context: ctx,
    close() {
      ctx.metadata.close();
      ctx.snapshots.close();
    },
  };
}
