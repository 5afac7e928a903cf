import { Router } from '../router.js';
import { addSystemRoutes } from './system.js';
import { addContainerRoutes } from './containers.js';

/** Every route of the Engine API berth serves. */
export function apiRouter(): Router {
  const router = new Router();
  addSystemRoutes(router);
  addContainerRoutes(router);
  return router;
}
