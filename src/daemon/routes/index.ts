import { Router } from '../router.js';
import { addSystemRoutes } from './system.js';

/** Every route of the Engine API berth serves. */
export function apiRouter(): Router {
  const router = new Router();
  addSystemRoutes(router);
  return router;
}
