/**
 * What the fast lane (fast-lane.ts) answers: GET and HEAD `/_ping` and GET `/containers/json` —
 * the two requests of `docker ps` — with the router's own handlers' answers (routes/system.ts's
 * headers, routes/containers.ts's list), and the connection handed to the HTTP server for
 * everything else, errors included. Each listing without a query is also published to the
 * native lane (native-lane.ts), which answers the next ones itself while it stays true.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

import type { ApiLane } from '../sys/index.js';
import { QueryReader } from './api-call.js';
import { type FastAnswer, type FastRoute, serveFastLane } from './fast-lane.js';
import { laneHeads, laneListing } from './native-lane.js';
import { containerList, containerListViews, listedContainers } from './routes/containers.js';
import { pingHeaders } from './routes/system.js';
import { apiVersionOf, commonHeaders, type ApiServerOptions } from './server.js';

const ping: FastAnswer = {
  status: 200,
  headers: [['Content-Type', 'text/plain; charset=utf-8'], ['Content-Length', '2'], ...Object.entries(pingHeaders)],
  body: 'OK',
};

function fastRoute(options: ApiServerOptions, lane: () => ApiLane | undefined): FastRoute {
  return async ({ method, target }) => {
    const q = target.indexOf('?');
    const versioned = apiVersionOf(q < 0 ? target : target.slice(0, q));
    if ('status' in versioned) return undefined;
    if (versioned.path === '/_ping') return ping;
    if (versioned.path !== '/containers/json' || method !== 'GET') return undefined;
    const query = new QueryReader(new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
    const body = JSON.stringify(q < 0 ? await runningListing(options, query, lane()) : await containerList(options.engine, options.info, query)) + '\n';
    return { status: 200, headers: [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))]], body };
  };
}

/** `docker ps`'s listing (no query), published to the native lane when the store can vouch for it. */
async function runningListing(options: ApiServerOptions, query: QueryReader, lane: ApiLane | undefined): Promise<Record<string, unknown>[]> {
  const { engine, info } = options;
  const before = lane && engine.containers.listingStamp?.();
  const records = await listedContainers(engine, query);
  if (lane) lane.publish(laneListing(records, info.root, { before, after: before && engine.containers.listingStamp?.() }));
  return containerListViews(engine, info, records, false);
}

export interface ApiConnections {
  /** Serves a connection from its first request; `taken` is what the native lane read and did not answer, or answered and could not write. */
  accept(socket: Socket, taken?: { unread?: Buffer | undefined; unwritten?: Buffer | undefined }): void;
  /** The heads of the native lane's answers (the fast lane's). */
  laneHeads: { ping: string; list: string };
  /** Gives the listings the native lane may answer with to `lane`, once it runs. */
  useLane(lane: ApiLane | undefined): void;
}

/** Takes the daemon's connections: each starts in the fast lane and goes to `api` at its first other request. */
export function apiConnectionHandler(api: Server, options: ApiServerOptions): ApiConnections {
  let lane: ApiLane | undefined;
  const route = fastRoute(options, () => lane);
  const common = Object.entries(commonHeaders());
  const handOver = (socket: Socket) => void api.emit('connection', socket);
  return {
    accept: (socket, taken) => {
      if (taken?.unwritten) socket.write(taken.unwritten);
      serveFastLane(socket, route, common, handOver, taken?.unread);
    },
    laneHeads: laneHeads(ping, common),
    useLane: (l) => void (lane = l),
  };
}
