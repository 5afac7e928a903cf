/**
 * `berth daemon`: the Docker Engine API over the same Engine the CLI uses. The daemon is an edge,
 * not a second engine: containers stay supervised by their monitors, so stopping the daemon
 * never stops a container. Route handlers live in routes/, one file per API section.
 */
export type { ApiCall, DaemonInfo } from './api-call.js';
export { Router, type Handler, type Route } from './router.js';
export { apiVersionRange, createApiServer, defaultApiVersion, maxApiVersion, minApiVersion } from './server.js';
export { apiRouter } from './routes/index.js';
export { apiConnectionHandler, type ApiConnections } from './fast-routes.js';
export { listenAll, parseHost, type AcceptConnection, type ListenOptions, type DaemonListener } from './listen.js';
