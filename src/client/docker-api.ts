/**
 * DockerApi: HTTP calls to a Docker Engine API server (a berth daemon, or dockerd) over a unix
 * socket or TCP with TLS. The API version is negotiated once, as the docker CLI does it: HEAD
 * `/_ping`, then the lower of the server's `Api-Version` and 1.41 (the shapes berth's views
 * follow). Errors come back as BerthErrors whose kind follows the status (404 NotFound, 409
 * FailedPrecondition, 400 InvalidArgument, ...) and whose message is the daemon's.
 *
 * node:http and node:https are loaded on the first call: a command that never reaches a daemon
 * does not pay for them.
 */
import type { Agent, ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

import { BerthError, errors, isBerthError } from '../base/index.js';
import type { ErrorKind } from '../base/index.js';
import type { RemoteEndpoint } from './remote-target.js';

/** The newest API version whose shapes the remote engine reads. */
export const clientApiVersion = '1.41';

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface CallOptions {
  query?: Query;
  /** JSON (an object), bytes, or a stream sent as the body. */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  signal?: AbortSignal;
  /** Skip the `/vX.Y` prefix (`/_ping`). */
  unversioned?: boolean;
}

export class DockerApi {
  private agent: Agent | undefined;
  private version: Promise<string> | undefined;

  constructor(readonly endpoint: RemoteEndpoint) {}

  /** The negotiated API version (`1.41`). */
  apiVersion(): Promise<string> {
    this.version ??= (async () => {
      const res = await this.request('HEAD', '/_ping', { unversioned: true });
      res.resume();
      const header = res.headers['api-version'];
      const server = typeof header === 'string' && /^\d+\.\d+$/.test(header) ? header : '1.24';
      return compareVersions(server, clientApiVersion) < 0 ? server : clientApiVersion;
    })();
    return this.version;
  }

  /** A call whose answer is read as JSON (undefined for an empty body). */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    const text = (await readAll(res)).toString('utf8');
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw errors.dataLoss('DAEMON_BAD_ANSWER', `The daemon at ${this.endpoint.display} answered ${method} ${path} with something other than JSON: ${text.slice(0, 200)}`, { cause: err });
    }
  }

  /** A call whose answer body is drained and ignored. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<IncomingMessage> {
    const res = await this.request(method, path, options);
    await readAll(res);
    return res;
  }

  /** Sends a request and returns the response once its headers arrived; a status of 400 or more throws. */
  async request(method: string, path: string, options: CallOptions = {}): Promise<IncomingMessage> {
    const { req, response } = await this.open(method, path, options);
    sendBody(req, options.body);
    const res = await response;
    if ((res.statusCode ?? 0) >= 400) throw await this.errorOf(res, method, path);
    return res;
  }

  /**
   * An attach or exec start: the connection taken over after `101 UPGRADED` (stdin one way, the
   * container's output the other). A daemon that answers 200 instead (an old one) still streams.
   */
  async hijack(method: string, path: string, options: CallOptions = {}): Promise<Socket> {
    const { req, response, upgraded } = await this.open(method, path, { ...options, headers: { Connection: 'Upgrade', Upgrade: 'tcp', ...options.headers } }, true);
    sendBody(req, options.body ?? (method === 'POST' ? Buffer.alloc(0) : undefined));
    const first = await Promise.race([upgraded, response.then((res) => ({ res }))]);
    if ('socket' in first) {
      const { socket, head } = first;
      if (head.length > 0) socket.unshift(head);
      return socket;
    }
    const { res } = first;
    if ((res.statusCode ?? 0) >= 400) throw await this.errorOf(res, method, path);
    throw errors.unavailable('DAEMON_NO_UPGRADE', `The daemon at ${this.endpoint.display} did not upgrade the connection for ${path} (status ${res.statusCode})`);
  }

  close(): void {
    this.agent?.destroy();
  }

  private async open(method: string, path: string, options: CallOptions, hijack = false): Promise<{ req: ClientRequest; response: Promise<IncomingMessage>; upgraded: Promise<{ socket: Socket; head: Buffer }> }> {
    const prefix = options.unversioned ? '' : `/v${await this.apiVersion()}`;
    const modules = await import('./http-modules.js');
    const http = this.endpoint.kind === 'tcp' ? modules.https : modules.http;
    this.agent ??= this.endpoint.kind === 'tcp'
      ? new modules.https.Agent({ keepAlive: true, ...this.endpoint.tls })
      : new modules.http.Agent({ keepAlive: true });
    // Over TLS the Host header names the server the certificate is checked against.
    const host = this.endpoint.kind === 'tcp' ? `${this.endpoint.hostname.includes(':') ? `[${this.endpoint.hostname}]` : this.endpoint.hostname}:${this.endpoint.port}` : 'docker';
    const headers: OutgoingHttpHeaders = { Host: host, 'User-Agent': 'berth-cli', ...options.headers };
    if (isJsonBody(options.body)) headers['Content-Type'] ??= 'application/json';
    const base = (this.endpoint.kind === 'unix'
      ? { socketPath: this.endpoint.path }
      : { host: this.endpoint.hostname, port: this.endpoint.port, ...this.endpoint.tls, ...(isIp(this.endpoint.hostname) ? {} : { servername: this.endpoint.hostname }) }) as RequestOptions;
    const req = http.request({
      ...base, method, path: `${prefix}${path}${queryString(options.query)}`, headers,
      // A hijacked connection is the call's own, never returned to the pool.
      agent: hijack ? false : this.agent,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const failure = new Promise<never>((_, reject) => req.once('error', (err) => reject(this.connectionError(err))));
    failure.catch(() => undefined);
    const response = Promise.race([new Promise<IncomingMessage>((resolve) => req.once('response', resolve)), failure]);
    const upgraded = Promise.race([new Promise<{ socket: Socket; head: Buffer }>((resolve) => req.once('upgrade', (_res, socket: Socket, head: Buffer) => resolve({ socket, head }))), failure]);
    response.catch(() => undefined);
    upgraded.catch(() => undefined);
    return { req, response, upgraded };
  }

  private connectionError(err: unknown): Error {
    if (isBerthError(err)) return err;
    const code = (err as NodeJS.ErrnoException).code;
    const name = (err as Error).name;
    if (name === 'AbortError') return errors.aborted('DAEMON_CALL_ABORTED', 'The call to the daemon was interrupted', { cause: err });
    if (code === 'EACCES' || code === 'EPERM') {
      return errors.permissionDenied('DAEMON_PERMISSION_DENIED', `Permission denied while trying to connect to the berth daemon socket at ${this.endpoint.display}`, { cause: err, hint: 'The socket belongs to the "berth" group: run as root or as a member of that group' });
    }
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
      return errors.unavailable('DAEMON_UNREACHABLE', `Cannot connect to the berth daemon at ${this.endpoint.display}. Is the daemon running?`, { cause: err });
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return errors.unavailable('DAEMON_CONNECTION_LOST', `The connection to the daemon at ${this.endpoint.display} was closed: ${(err as Error).message}`, { cause: err });
    }
    if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT')) {
      return errors.permissionDenied('DAEMON_TLS_FAILED', `TLS with the daemon at ${this.endpoint.display} failed: ${(err as Error).message}`, { cause: err });
    }
    return errors.unavailable('DAEMON_CALL_FAILED', `The call to the daemon at ${this.endpoint.display} failed: ${(err as Error).message}`, { cause: err });
  }

  private async errorOf(res: IncomingMessage, method: string, path: string): Promise<BerthError> {
    const text = (await readAll(res)).toString('utf8').trim();
    let message = text;
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // a plain-text error (an old version's refusal): shown as it is
    }
    const status = res.statusCode ?? 500;
    if (message === '') message = `${method} ${path}: status ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
    if (status === 404 && message === 'page not found') {
      return errors.notImplemented('REMOTE_UNSUPPORTED', `The daemon at ${this.endpoint.display} does not serve ${method} ${path.replace(/\?.*$/, '')}`, { hint: 'It may be older than this berth; the command works without --host, on a local store' });
    }
    return daemonError(status, message);
  }
}

const kindOfStatus: Record<number, ErrorKind> = {
  400: 'InvalidArgument', 401: 'PermissionDenied', 403: 'PermissionDenied', 404: 'NotFound', 409: 'FailedPrecondition',
  500: 'Unknown', 501: 'NotImplemented', 503: 'Unavailable',
};

const daemonAnswer = Symbol.for('berth.daemon-answer');

/**
 * Marks an error as the daemon's answer (the CLI prints those after `Error response from daemon:`,
 * as the docker CLI does; cli/engine-errors.ts reads the mark).
 */
export function fromDaemon<T extends Error>(err: T): T {
  Object.defineProperty(err, daemonAnswer, { value: true, enumerable: false });
  return err;
}

/** A daemon's error answer as a BerthError: the kind from the status, codes for what commands branch on. */
export function daemonError(status: number, message: string): BerthError {
  const kind = kindOfStatus[status] ?? (status >= 500 ? 'Unknown' : 'InvalidArgument');
  let code = `BERTH_E_DAEMON_${status}`;
  if (status === 404 && /no such image/i.test(message)) code = 'BERTH_E_IMAGE_NOT_FOUND';
  else if (status === 404 && /no such container/i.test(message)) code = 'BERTH_E_CONTAINER_NOT_FOUND';
  else if (status === 404 && /no such volume/i.test(message)) code = 'BERTH_E_VOLUME_NOT_FOUND';
  else if (status === 404 && /network .* not found/i.test(message)) code = 'BERTH_E_NETWORK_NOT_FOUND';
  return fromDaemon(new BerthError(kind, code, message));
}

function sendBody(req: ClientRequest, body: unknown): void {
  if (body === undefined) {
    req.end();
    return;
  }
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    req.end(body);
    return;
  }
  if (isReadable(body)) {
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
    return;
  }
  req.end(JSON.stringify(body));
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function';
}

function isJsonBody(body: unknown): boolean {
  return body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string' && !isReadable(body);
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** `?a=1&t=x&t=y`: arrays repeat the key, booleans are 1/0, undefined is left out. */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Engine filters (`key=value`, as the CLI takes them) in the API's JSON form: `{"key":{"value":true}}`. */
export function filtersParam(filters: readonly string[] | undefined): string | undefined {
  if (!filters || filters.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw errors.invalidArgument('INVALID_FILTER', `bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq).toLowerCase();
    (out[key] ??= {})[f.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The JSON messages of a progress stream (pull, push, build, load, events): one object per line. */
export async function* jsonMessages<T>(stream: Readable): AsyncGenerator<T> {
  let pending = '';
  for await (const chunk of stream) {
    pending += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as T;
    }
  }
  if (pending.trim() !== '') yield JSON.parse(pending) as T;
}

export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}
