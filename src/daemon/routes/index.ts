import { Router } from '../router.js';
import { addContainerExtrasRoutes } from './container-extras.js';
import { addSystemRoutes } from './system.js';
import { addSystemExtrasRoutes } from './system-extras.js';

/** Every route of the Engine API berth serves. */
export function apiRouter(): Router {
  const router = new Router();
  addSystemRoutes(router);
  addContainerExtrasRoutes(router);
  addSystemExtrasRoutes(router);
  return router;
}
