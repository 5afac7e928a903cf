import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { type FastRoute, serveFastLane } from './fast-lane.js';

/**
 * The lane in front of a real node:http server: `/fast` is the lane's (and the HTTP server's, so
 * that a lane answer and a handed-over one can be compared), `/boom` makes the lane's route throw,
 * everything else is the HTTP server's alone, which names what it saw in its answer.
 */
describe('the fast lane', () => {
  let server: Server;
  let address: string;
  const seen: string[] = [];
  const laneHeaders: [string, string][] = [['Api-Version', '1.41'], ['Server', 'berth']];

  before(async () => {
    const http = createHttpServer({ keepAliveTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d: Buffer) => void (body += d.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        for (const [k, v] of laneHeaders) res.setHeader(k, v);
        const text = req.url === '/fast' ? 'fast' : `http ${req.method} ${req.url} ${body}`;
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      seen.push(`upgrade ${req.url}`);
      socket.end(`HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhead=${head.toString()}`);
    });
    const route: FastRoute = async ({ method, target }) => {
      await new Promise((r) => setImmediate(r));
      if (target === '/boom') throw new Error('boom');
      if (target !== '/fast') return undefined;
      seen.push(`lane ${method} ${target}`);
      return { status: 200, headers: [['Content-Type', 'text/plain'], ['Content-Length', '4']], body: 'fast' };
    };
    server = createNetServer({ allowHalfOpen: true }, (socket) => serveFastLane(socket, route, laneHeaders, (s) => void http.emit('connection', s)));
    address = `/tmp/berth-fast-lane-${process.pid}.sock`;
    await new Promise<void>((resolve) => server.listen(address, resolve));
  });
  after(() => server.close());

  /**
   * Writes `parts` (`gapMs` apart), half-closes unless told not to, and returns all that came back
   * until the server closed, or until `answers` whole answers came. (Node's HTTP server drops the
   * requests it has not answered when the client half-closes, so a client of handed-over requests
   * does not.)
   */
  function exchange(parts: string[], options: { end?: boolean; gapMs?: number; answers?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(address);
      let out = '';
      const timer = setTimeout(() => s.destroy(new Error(`no end; got ${JSON.stringify(out)}`)), 5000);
      s.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        // Enough answers, bodies included: done without waiting for the server to close.
        if (options.answers !== undefined && answers(out).filter((a) => /\r\n\r\n(fast|http .*)$/.test(a)).length >= options.answers) s.destroy();
      });
      s.on('error', reject);
      s.on('end', () => s.end());
      s.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      void (async () => {
        for (const p of parts) {
          s.write(p);
          if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        }
        if (options.end !== false) s.end();
      })();
    });
  }
  const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
  /** The answers in `text`, Date lines dropped (the lane's and Node's are of the same second, but a test may straddle two). */
  const answers = (text: string) => text.replace(/^Date: .*\r\n/gm, '').split(/(?=HTTP\/1\.1 )/);

  test("an answer is byte for byte the HTTP server's, and requests in one write are answered in order", async () => {
    seen.length = 0;
    const viaLane = await exchange([get('/fast')]);
    // A request with a body (an empty chunked one) is the HTTP server's.
    const viaHttp = await exchange([`${get('/fast', 'Transfer-Encoding: chunked\r\n')}0\r\n\r\n`]);
    assert.deepEqual(seen, ['lane GET /fast', 'GET /fast']);
    assert.match(viaLane, /^HTTP\/1\.1 200 OK\r\nApi-Version: 1\.41\r\nServer: berth\r\nContent-Type: text\/plain\r\nContent-Length: 4\r\nDate: [^\r]+ GMT\r\nConnection: keep-alive\r\n\r\nfast$/);
    assert.deepEqual(answers(viaLane), answers(viaHttp));
    const three = await exchange([get('/fast') + get('/fast') + `HEAD /fast HTTP/1.1\r\nHost: x\r\n\r\n`]);
    assert.deepEqual(answers(three).map((a) => a.endsWith('fast')), [true, true, false]);
  });

  test('a head that comes a few bytes at a time is the HTTP server\'s (its headersTimeout guards a head never finished)', async () => {
    seen.length = 0;
    const parts = get('/fast').match(/.{1,3}/gs) ?? [];
    assert.deepEqual(answers(await exchange(parts, { gapMs: 2, end: false, answers: 1 })).length, 1);
    assert.deepEqual(seen, ['GET /fast']);
  });

  test('the first request the lane does not answer goes to the HTTP server, unread, with all that follows it', async () => {
    seen.length = 0;
    const post = 'POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
    const out = await exchange([get('/fast') + get('/slow') + post + get('/fast')], { end: false, answers: 4 });
    assert.deepEqual(seen, ['lane GET /fast', 'GET /slow', 'POST /other', 'GET /fast']);
    assert.deepEqual(answers(out).map((a) => a.split('\r\n\r\n')[1]), ['fast', 'http GET /slow ', 'http POST /other hello', 'fast']);
    // In separate writes, each after the last answer: the same.
    seen.length = 0;
    await exchange([get('/fast'), get('/slow'), get('/fast')], { gapMs: 30, end: false, answers: 3 });
    assert.deepEqual(seen, ['lane GET /fast', 'GET /slow', 'GET /fast']);
  });

  test('a route that fails, an Upgrade, HTTP/1.0 and odd heads are the HTTP server\'s', async () => {
    seen.length = 0;
    assert.match(await exchange([get('/boom')], { end: false, answers: 1 }), /\r\n\r\nhttp GET \/boom $/);
    const upgrade = await exchange(['GET /fast HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nafter'], { end: false });
    assert.match(upgrade, /^HTTP\/1\.1 101 UPGRADED\r\n[\s\S]*\r\n\r\nhead=after$/);
    assert.match(await exchange(['GET /fast HTTP/1.0\r\nHost: x\r\n\r\n']), /^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close\r\n/);
    assert.match(await exchange(['GET /fast HTTP/1.1\r\nBad Header: x\r\n\r\n']), /^HTTP\/1\.1 400 Bad Request/);
    assert.deepEqual(seen, ['GET /boom', 'upgrade /fast', 'GET /fast']);
  });

  test('Connection: close, a half-close and a head cut short end the connection as the HTTP server does', async () => {
    const closed = await exchange([get('/fast', 'Connection: close\r\n') + get('/fast')], { end: false });
    assert.deepEqual(answers(closed).length, 1);
    assert.match(closed, /Connection: close\r\n\r\nfast$/);
    assert.equal(answers(await exchange([get('/fast')])).length, 1, 'answered, then ended after the client half-closed');
    assert.match(await exchange(['GET /fast HTTP/1.1\r\nHo']), /^HTTP\/1\.1 400 Bad Request\r\n/, 'a head cut short: the HTTP server\'s 400');
    // A request the lane hands over after the client's end: the HTTP server sees it, and its end.
    seen.length = 0;
    await exchange([get('/slow')]);
    assert.deepEqual(seen, ['GET /slow']);
  });

  test('a head longer than the lane reads is the HTTP server\'s (a 431 past its limit)', async () => {
    const big = `GET /fast HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`;
    assert.match(await exchange([big]), /^HTTP\/1\.1 431 /);
    const medium = `GET /slow HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9_000)}\r\n\r\n`;
    assert.match(await exchange([medium], { end: false, answers: 1 }), /\r\n\r\nhttp GET \/slow $/);
  });
});
