/**
 * client: an Engine (api/engine.ts) that drives a daemon over the Docker Engine API — a berth
 * daemon, or any dockerd — on a unix socket or TCP with TLS. The CLI uses it for `--host` and
 * BERTH_HOST; its node:http is loaded on the first call.
 */
export { openRemoteEngine } from './remote-engine.js';
export { defaultDaemonSocket, resolveEndpoint } from './remote-target.js';
export type { RemoteEndpoint, RemoteOptions } from './remote-target.js';
export { createBody } from './create-body.js';
export { recordFromInspect, recordFromSummary, durationSeconds } from './container-records.js';
