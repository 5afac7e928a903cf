import { Router } from '../router.js';
import { addBuildRoutes } from './build.js';
import { addContainerRoutes } from './containers.js';
import { addContainerExtrasRoutes } from './container-extras.js';
import { addImageRoutes } from './images.js';
import { addNetworkRoutes } from './networks.js';
import { addSystemExtrasRoutes } from './system-extras.js';
import { addSystemRoutes } from './system.js';
import { addVolumeRoutes } from './volumes.js';

/** Every route of the Engine API berth serves. */
export function apiRouter(): Router {
  const router = new Router();
  addSystemRoutes(router);
  addContainerRoutes(router);
  addImageRoutes(router);
  addBuildRoutes(router);
  addNetworkRoutes(router);
  addVolumeRoutes(router);
  addContainerExtrasRoutes(router);
  addSystemExtrasRoutes(router);
  return router;
}
