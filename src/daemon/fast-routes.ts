/**
 * What the fast lane (fast-lane.ts) answers: GET and HEAD `/_ping` and GET `/containers/json` —
 * the two requests of `docker ps` — with the router's own handlers' answers (routes/system.ts's
 * headers, routes/containers.ts's list), and the connection handed to the HTTP server for
 * everything else, errors included.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

import { QueryReader } from './api-call.js';
import { type FastAnswer, type FastRoute, serveFastLane } from './fast-lane.js';
import { containerList } from './routes/containers.js';
import { pingHeaders } from './routes/system.js';
import { apiVersionOf, commonHeaders, type ApiServerOptions } from './server.js';

const ping: FastAnswer = {
  status: 200,
  headers: [['Content-Type', 'text/plain; charset=utf-8'], ['Content-Length', '2'], ...Object.entries(pingHeaders)],
  body: 'OK',
};

function fastRoute(options: ApiServerOptions): FastRoute {
  return async ({ method, target }) => {
    const q = target.indexOf('?');
    const versioned = apiVersionOf(q < 0 ? target : target.slice(0, q));
    if ('status' in versioned) return undefined;
    if (versioned.path === '/_ping') return ping;
    if (versioned.path !== '/containers/json' || method !== 'GET') return undefined;
    const query = new QueryReader(new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
    const body = JSON.stringify(await containerList(options.engine, options.info, query)) + '\n';
    return { status: 200, headers: [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))]], body };
  };
}

/** Takes the daemon's connections: each starts in the fast lane and goes to `api` at its first other request. */
export function apiConnectionHandler(api: Server, options: ApiServerOptions): (socket: Socket) => void {
  const route = fastRoute(options);
  const common = Object.entries(commonHeaders());
  const handOver = (socket: Socket) => void api.emit('connection', socket);
  return (socket) => serveFastLane(socket, route, common, handOver);
}
