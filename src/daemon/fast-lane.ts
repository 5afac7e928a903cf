/**
 * The fast lane: the requests of every `docker ps` — `HEAD /_ping` (or GET) and
 * `GET /containers/json` — read and answered straight from the connection, without Node's HTTP
 * server. The CLI's own start-up is ~95% of `docker ps`; of the rest, node:http's machinery per
 * request (a parser, an IncomingMessage, a ServerResponse and their events) was most of berth's
 * time, and what kept its `docker ps` a little behind dockerd's. Replayed over the socket, the
 * pair takes 0.79× dockerd's time through the lane, 0.97× through node:http (BENCHMARKS.md).
 *
 * The lane reads a connection's requests only while each is one it answers: an HTTP/1.1 head that
 * came whole, GET or HEAD, no body, no Upgrade, and a target `route` takes. The first request that is
 * anything else — or that `route` declines or fails on — goes back unread onto the socket, and
 * the socket is handed to the HTTP server (`handOver`), which serves it from there as if it had
 * accepted it: same answers, same errors. The answers are byte for byte what the HTTP server
 * writes for them, the Date included (e2e/daemon-robustness compares them).
 */
import type { Socket } from 'node:net';

export interface FastRequest {
  method: 'GET' | 'HEAD';
  /** The request target as sent: path and query. */
  target: string;
}

export interface FastAnswer {
  status: number;
  /** In order, after the daemon's common headers: Content-Length included, Date and Connection added. */
  headers: [string, string][];
  body: string;
}

/** The answer to a request, undefined for one the lane leaves to the HTTP server. */
export type FastRoute = (request: FastRequest) => FastAnswer | undefined | Promise<FastAnswer | undefined>;

/** Longer heads go to the HTTP server (Node's limit is 16 KiB; the CLI's are ~100 bytes). */
const maxHead = 8192;
/** Headers that ask for more than a bodiless GET: a body, an Upgrade, a 100-continue. */
const notPlain = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect']);
const statusTexts: Record<number, string> = { 200: 'OK' };

/**
 * Serves `socket` in the fast lane while its requests are for `route`; hands it over otherwise.
 * `commonHeaders` go first on every answer, as the HTTP server's setHeader puts them. `unread`:
 * what was read from the socket before (the native lane's bytes), served first.
 */
export function serveFastLane(socket: Socket, route: FastRoute, commonHeaders: [string, string][], handOver: (socket: Socket) => void, unread?: Buffer): void {
  let buffered: Buffer | undefined;
  let left = false;
  let working = false;
  /** The client half-closed. A socket tells its end even while paused, once it read all there was. */
  let ended = false;

  const onData = (chunk: Buffer) => {
    buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
    if (!working) void drain();
  };
  const onEnd = () => {
    ended = true;
    if (!working) finish();
  };
  const onError = () => socket.destroy();
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  // As node:http does for its connections (TCP; a no-op on a unix socket).
  socket.setNoDelay(true);
  if (unread) onData(unread);

  /** After the client's end, once all it asked is answered (what the lane holds is whole heads only). */
  function finish(): void {
    stopReading();
    socket.end();
  }

  function stopReading(): void {
    left = true;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
  }

  function leave(): void {
    stopReading();
    const unread = buffered;
    buffered = undefined;
    if (!ended) {
      if (unread) socket.unshift(unread);
      handOver(socket);
      // Node's HTTP server reads the socket's handle itself (its parser consumes it) and takes
      // what was put back through 'data' once the socket flows again.
      socket.resume();
      return;
    }
    // Past its end a socket takes nothing back: the HTTP server is told what it would have seen.
    handOver(socket);
    if (unread) socket.emit('data', unread);
    socket.emit('end');
  }

  async function drain(): Promise<void> {
    working = true;
    // Nothing more is read while the lane works on what it has.
    socket.pause();
    try {
      while (buffered && !socket.destroyed) {
        // A head that did not come whole in one read goes to the HTTP server, whose headersTimeout
        // guards against a client that never finishes it (clients write a request at once).
        const end = buffered.indexOf('\r\n\r\n');
        const head = end < 0 || end > maxHead ? undefined : parseHead(buffered.toString('latin1', 0, end));
        if (!head) return leave();
        let answer: FastAnswer | undefined;
        try {
          answer = await route(head.request);
        } catch {
          answer = undefined; // the HTTP server answers it again, with the error as it words it
        }
        if (socket.destroyed) return;
        if (answer === undefined) return leave();
        buffered = end + 4 < buffered.length ? buffered.subarray(end + 4) : undefined;
        socket.write(serialize(answer, head.request.method, head.close, commonHeaders));
        if (head.close) {
          stopReading();
          socket.end();
          return;
        }
      }
    } finally {
      working = false;
    }
    if (left || socket.destroyed) return;
    if (ended) finish();
    else socket.resume();
  }
}

/** A head the lane can answer: HTTP/1.1, GET or HEAD, no body, no Upgrade. Undefined otherwise. */
function parseHead(text: string): { request: FastRequest; close: boolean } | undefined {
  const lines = text.split('\r\n');
  const m = /^(GET|HEAD) (\/[^\s]*) HTTP\/1\.1$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    // Folded or malformed lines, and names with odd bytes: the HTTP server's parser decides.
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(line.slice(0, colon))) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (notPlain.has(name) && !(name === 'content-length' && value === '0')) return undefined;
    if (name === 'connection' && /(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
  }
  return { request: { method: m[1] as 'GET' | 'HEAD', target: m[2]! }, close };
}

/** An answer's status line and headers up to its Date (which the lanes add, with Connection). */
export function answerHead(status: number, headers: readonly [string, string][], commonHeaders: readonly [string, string][]): string {
  let out = `HTTP/1.1 ${status} ${statusTexts[status] ?? 'Unknown'}\r\n`;
  for (const [k, v] of commonHeaders) out += `${k}: ${v}\r\n`;
  for (const [k, v] of headers) out += `${k}: ${v}\r\n`;
  return out;
}

function serialize(answer: FastAnswer, method: string, close: boolean, commonHeaders: [string, string][]): string {
  const out = `${answerHead(answer.status, answer.headers, commonHeaders)}Date: ${utcDate()}\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`;
  return method === 'HEAD' ? out : out + answer.body;
}

/** The Date header's value, made once a second as Node's server makes it. */
let date = '';
let dateSecond = -1;
function utcDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    date = new Date(second * 1000).toUTCString();
  }
  return date;
}
