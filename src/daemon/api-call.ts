/**
 * ApiCall: one Engine API request as a route handler sees it — its path parameters, query
 * (read with moby's rules), body, the API version the client asked for — and the ways to answer:
 * JSON, empty, a stream of JSON messages, or the raw connection (a hijack).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

import { errors } from '../base/index.js';
import type { Engine } from '../api/index.js';

/** An API version as a comparable number: 1.41 → 141. */
export type ApiVersionNumber = number;

export function versionNumber(text: string): ApiVersionNumber | undefined {
  const m = /^1\.(\d{1,2})$/.exec(text);
  return m ? 100 + Number(m[1]) : undefined;
}

export interface DaemonInfo {
  /** berth's version, the Engine's `Version`. */
  version: string;
  /** The store root (`DockerRootDir`). */
  root: string;
}

/** A request's query, read as moby's httputils does (shared by ApiCall and the fast lane). */
export class QueryReader {
  constructor(readonly query: URLSearchParams) {}

  /** moby's BoolValue: false when absent, empty, 0, no, false or none (any case); true otherwise. */
  bool(name: string, fallback = false): boolean {
    const v = this.query.get(name);
    if (v === null) return fallback;
    return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
  }

  string(name: string): string | undefined {
    const v = this.query.get(name);
    return v === null || v === '' ? undefined : v;
  }

  /** An integer query parameter; a value that is not one is a 400 naming it. */
  int(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ${name}: ${JSON.stringify(v)}`);
    return Number(v);
  }

  /**
   * The `filters` parameter as the CLI's `key=value` list. Clients send two JSON forms: the map of
   * booleans (`{"label":{"a=b":true}}`, the docker CLI) and lists (`{"label":["a=b"]}`, docker-py).
   */
  filters(): string[] {
    const text = this.string('filters');
    if (text === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw errors.invalidArgument('INVALID_FILTER', `invalid filter: ${JSON.stringify(text)} is not JSON`);
    }
    if (parsed === null) return [];
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw errors.invalidArgument('INVALID_FILTER', `invalid filter: ${JSON.stringify(text)}`);
    const out: string[] = [];
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (Array.isArray(value)) for (const v of value) out.push(`${key}=${String(v)}`);
      else if (value && typeof value === 'object') for (const [v, on] of Object.entries(value)) { if (on) out.push(`${key}=${v}`); }
      else throw errors.invalidArgument('INVALID_FILTER', `invalid filter: the value of ${JSON.stringify(key)} must be a list or a map`);
    }
    return out;
  }
}

export class ApiCall extends QueryReader {
  /** Aborted when the client goes away before the answer is complete. */
  readonly signal: AbortSignal;
  private readonly abort = new AbortController();
  private answered = false;

  constructor(
    readonly engine: Engine,
    readonly daemon: DaemonInfo,
    readonly req: IncomingMessage,
    /** Undefined for a request that came as an HTTP Upgrade: answer it with hijack(). */
    readonly res: ServerResponse | undefined,
    readonly params: Record<string, string>,
    /** The version in the path (`/v1.41/...`), or the daemon's own when the path had none. */
    readonly version: ApiVersionNumber,
    query: URLSearchParams,
    /** For an Upgrade request: the socket and the bytes read past the headers. */
    private readonly upgrade?: { socket: Duplex; head: Buffer },
  ) {
    super(query);
    this.signal = this.abort.signal;
    const socket = upgrade?.socket ?? req.socket;
    const gone = () => {
      if (!this.isComplete()) this.abort.abort(errors.aborted('CLIENT_GONE', 'The client closed the connection'));
    };
    socket.once('close', gone);
    // A kept-alive connection carries many requests: each one's listener goes with its answer
    // (they piled up on the socket of a pooling client such as dockerode's, a leak and Node's warning).
    res?.once('close', () => {
      socket.off('close', gone);
      gone();
    });
  }

  /** For an Upgrade request: the socket and the bytes read past the headers (the start of a body), before hijack(). */
  get upgraded(): { socket: Duplex; head: Buffer } | undefined {
    return this.upgrade;
  }

  private isComplete(): boolean {
    return this.res ? this.res.writableFinished : false;
  }

  /** Whether the handler already started its answer (so an error must go in-band). */
  get started(): boolean {
    return this.answered || (this.res?.headersSent ?? false);
  }

  // ---- body ----

  /** The request body as a stream (a build context, a tar to load). */
  body(): Readable {
    return this.req;
  }

  /** The body parsed as JSON; an empty body is `fallback`. Bodies over `limit` bytes are refused. */
  async json<T>(fallback?: T, limit = 4 << 20): Promise<T> {
    const chunks: Buffer[] = [];
    let size = 0;
    const source: AsyncIterable<Buffer> = this.req;
    for await (const chunk of source) {
      size += chunk.length;
      if (size > limit) {
        // The rest is not read: the connection closes once the 400 is out.
        if (this.res) this.res.shouldKeepAlive = false;
        throw errors.invalidArgument('REQUEST_TOO_LARGE', `request body larger than ${limit} bytes`);
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text === '') {
      if (fallback === undefined) throw errors.invalidArgument('EMPTY_BODY', 'request body is empty: a JSON object was expected');
      return fallback;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw errors.invalidArgument('INVALID_JSON', `invalid JSON in the request body: ${(err as Error).message}`);
    }
  }

  // ---- answers ----

  private response(): ServerResponse {
    if (!this.res) throw new Error('this request was an HTTP Upgrade: answer it with hijack()');
    this.answered = true;
    return this.res;
  }

  /** A JSON answer. */
  send(status: number, body: unknown): void {
    const res = this.response();
    const text = JSON.stringify(body) + '\n';
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** 204 (done), 304 (nothing to do), or 200/201 with an empty body. */
  empty(status: 200 | 201 | 204 | 304): void {
    const res = this.response();
    res.writeHead(status, status === 204 || status === 304 ? {} : { 'Content-Length': 0 });
    res.end();
  }

  /** Plain text (GET /_ping's `OK`). */
  text(status: number, body: string, headers: Record<string, string> = {}): void {
    const res = this.response();
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(this.req.method === 'HEAD' ? undefined : body);
  }

  /**
   * Starts a streamed answer (chunked) and flushes its headers at once: the docker CLI waits for
   * the headers of `wait` before it sends `start`, and shows pulls as they go.
   */
  stream(contentType: string | undefined, status = 200): ServerResponse {
    const res = this.response();
    res.writeHead(status, contentType ? { 'Content-Type': contentType } : {});
    res.flushHeaders();
    return res;
  }

  /**
   * A stream of JSON messages (pull, push, build, load, events), one per line. `separator` is
   * `\r\n` for progress streams and `\n` for events, as dockerd writes them.
   */
  jsonLines(separator: '\r\n' | '\n' = '\r\n'): { write(message: unknown): boolean; end(): void; res: ServerResponse } {
    const res = this.stream('application/json');
    return {
      res,
      write: (message) => res.write(JSON.stringify(message) + separator),
      end: () => res.end(),
    };
  }

  /**
   * Takes over the connection for a raw stream (attach, exec start). An Upgrade request gets
   * `101 UPGRADED`; a plain one (dockerode's attach) gets a 200 with no length, and the stream ends
   * when the connection closes.
   */
  hijack(contentType = 'application/vnd.docker.raw-stream'): { socket: Duplex; head: Buffer } {
    this.answered = true;
    if (this.upgrade) {
      this.upgrade.socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
      return this.upgrade;
    }
    const socket = this.req.socket;
    // The response object must never write on this socket again.
    this.res?.detachSocket(socket);
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
    return { socket, head: Buffer.alloc(0) };
  }
}
