/**
 * The Engine API server: an http.Server whose requests (and HTTP Upgrades, for attach and exec)
 * go through the version prefix, the router and a handler, with errors answered as dockerd does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import type { Engine } from '../api/index.js';
import { ApiCall, type DaemonInfo, versionNumber } from './api-call.js';
import { httpError } from './http-errors.js';
import type { Router } from './router.js';

/** The API version berth's answers follow (dockerd 20.10's shapes); clients negotiate down to it. */
export const defaultApiVersion = '1.41';
/** The oldest version a client may ask for (docker-py refuses older daemons; so does moby for clients). */
export const minApiVersion = '1.24';
/** The newest prefix accepted: what the docker 28 CLI asks for before it negotiates. */
export const maxApiVersion = '1.50';

/** The API versions served, as numbers (1.41 → 141), for the native lane. */
export function apiVersionRange(): { min: number; max: number } {
  return { min: versionNumber(minApiVersion)!, max: versionNumber(maxApiVersion)! };
}

/** Headers dockerd puts on every answer; the CLI reads Api-Version (negotiation) and Ostype. */
export function commonHeaders(): Record<string, string> {
  return { 'Api-Version': defaultApiVersion, 'Docker-Experimental': 'false', Ostype: 'linux', Server: 'berth' };
}

/**
 * The API version a `/vX.Y/...` path asks for and the path after it; the daemon's own version
 * for a path without one. An error message (dockerd's) for a version outside the range.
 */
export function apiVersionOf(path: string): { version: number; path: string } | { status: 400; message: string; type: 'json' | 'text/plain' } {
  const prefix = /^\/v([\d.]+)(\/.*)$/.exec(path);
  if (!prefix) return { version: versionNumber(defaultApiVersion)!, path };
  const asked = versionNumber(prefix[1]!);
  if (asked === undefined) return { status: 400, message: `malformed API version ${prefix[1]}`, type: 'json' };
  if (asked > versionNumber(maxApiVersion)!) return { status: 400, message: `client version ${prefix[1]} is too new. Maximum supported API version is ${maxApiVersion}`, type: 'json' };
  if (asked < versionNumber(minApiVersion)!) {
    return { status: 400, message: `client version ${prefix[1]} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version`, type: 'text/plain' };
  }
  return { version: asked, path: prefix[2]! };
}

export interface ApiServerOptions {
  engine: Engine;
  info: DaemonInfo;
  router: Router;
  /** Told about each failed request (the daemon's log). */
  log?: (line: string) => void;
}

export function createApiServer(options: ApiServerOptions): Server {
  const server = createServer({
    // docker CLI 20.10 sends an empty Host on hijacks; never require one.
    requireHostHeader: false,
    // A build context or an image to load can take long to upload.
    requestTimeout: 0,
    // Idle keep-alive connections stay open, as with dockerd: pooling clients (docker-py, compose)
    // reuse them, and Node's 5 s default closes one just as such a client writes its next request.
    keepAliveTimeout: 0,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(commonHeaders())) res.setHeader(k, v);
    void dispatch(options, req, res, undefined);
  });
  // Requests with `Upgrade: tcp` (attach, exec start) arrive here, not as 'request'.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void dispatch(options, req, undefined, { socket, head });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed HTTP: a 400 when the socket can still take one, and the daemon carries on.
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    // Headers over Node's limit (16 KiB): Go's server, dockerd's, answers 431 too (over 1 MiB).
    if (err.code === 'HPE_HEADER_OVERFLOW') return void socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"request header fields too large"}\n');
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"bad request"}\n');
  });
  return server;
}

async function dispatch(options: ApiServerOptions, req: IncomingMessage, res: ServerResponse | undefined, upgrade: { socket: Duplex; head: Buffer } | undefined): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://berth');
  const versioned = apiVersionOf(url.pathname);
  if ('status' in versioned) return fail(req, res, upgrade, versioned.status, versioned.message, versioned.type);
  const { version, path } = versioned;
  const found = options.router.match(req.method ?? 'GET', path.length > 1 ? path.replace(/\/+$/, '') : path);
  if (found === 'not-found') return fail(req, res, upgrade, 404, 'page not found');
  if (found === 'method-not-allowed') return fail(req, res, upgrade, 405, 'method not allowed');
  if (upgrade && !found.route.hijack) return fail(req, res, upgrade, 400, `${path} does not upgrade the connection`);
  const call = new ApiCall(options.engine, options.info, req, res, found.params, version, url.searchParams, upgrade);
  try {
    await found.route.handler(call);
  } catch (err) {
    const e = httpError(err);
    options.log?.(`${req.method} ${req.url}: ${e.status} ${e.code ?? ''} ${e.message}`);
    if (!call.started) return fail(req, res, upgrade, e.status, e.message);
    // Too late for a status: the stream carries the error (a JSON stream) or simply ends.
    if (res && !res.writableEnded) res.end();
    else if (upgrade && !upgrade.socket.destroyed) upgrade.socket.end();
  }
}

function fail(req: IncomingMessage, res: ServerResponse | undefined, upgrade: { socket: Duplex } | undefined, status: number, message: string, type: 'json' | 'text/plain' = 'json'): void {
  const body = type === 'json' ? JSON.stringify({ message }) + '\n' : message + '\n';
  const contentType = type === 'json' ? 'application/json' : 'text/plain; charset=utf-8';
  // The rest of the body is not wanted; drain it so the connection can be reused.
  req.resume();
  if (res) {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(status === 304 || req.method === 'HEAD' ? undefined : body);
    return;
  }
  upgrade?.socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function statusText(status: number): string {
  return ({ 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? 'Error';
}
