import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ApiLane, listenUnixSocket } from './index.js';

/**
 * The native lane (native/api_lane.c) on a socket of its own, in this process. Node's side here
 * is a stand-in that names what it was handed: "handed[<unread>][<unwritten>]", then closes.
 */
describe('the native lane', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-api-lane-'));
  const socket = join(dir, 'api.sock');
  const records = join(dir, 'containers');
  mkdirSync(records);
  const heads = { ping: 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n', list: 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: ' };
  let lane: ApiLane;
  const monitors: ReturnType<typeof spawn>[] = [];

  before(() => {
    lane = ApiLane.start([listenUnixSocket(socket)], heads, { min: 124, max: 150 }, (fd, unread, unwritten) => {
      const s = new Socket({ fd, readable: true, writable: true });
      s.on('error', () => undefined);
      // What the client sent after the lane's read comes to Node on the socket itself.
      let rest = '';
      s.on('data', (d: Buffer) => void (rest += d.toString('latin1')));
      setTimeout(() => s.end(`handed[${unread?.toString('latin1') ?? ''}${rest}][${unwritten?.toString('latin1') ?? ''}]`), 50);
    });
  });
  after(() => {
    lane.stop();
    for (const m of monitors) m.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `text`, then reads until the lane or the stand-in closes (or `untilLength` bytes came, for a kept-alive answer). */
  async function exchange(text: string, untilLength?: number): Promise<string> {
    const c = connect(socket);
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (untilLength !== undefined && got.length >= untilLength) c.destroy();
    });
    c.write(text);
    await Promise.race([once(c, 'close'), new Promise((r) => setTimeout(r, 3000))]);
    c.destroy();
    return got.replace(/\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n/g, '\r\nDate: D\r\n');
  }
  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
  const closing = (target: string, method = 'GET') => `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const pingAnswer = (connection: string, body = 'OK') => `${heads.ping}Date: D\r\nConnection: ${connection}\r\n\r\n${body}`;

  function stampOf(path: string): string {
    const st = statSync(path, { bigint: true });
    return `${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}`;
  }
  function startTime(pid: number): number {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  }
  function monitor(): { pid: number; startTime: number } {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    monitors.push(child);
    return { pid: child.pid!, startTime: startTime(child.pid!) };
  }
  const template = (since: number) => Buffer.from(`[{"Id":"a","Status":"Up \x01${since}\x01","Labels":{"k":"v\\u0001"}},{"Status":"Exited (1) \x02${since}\x02"}]\n`);

  test('answers pings itself, GET and HEAD, with or without a version or a query; closes on Connection: close', async () => {
    assert.equal(await exchange(closing('/_ping')), pingAnswer('close'));
    assert.equal(await exchange(closing('/_ping', 'HEAD')), pingAnswer('close', ''));
    assert.equal(await exchange(closing('/v1.41/_ping?x=1')), pingAnswer('close'));
    assert.equal(await exchange(closing('/v1.24/_ping')), pingAnswer('close'));
    // Kept alive: the connection stays open after the answer.
    assert.equal(await exchange(get('/_ping'), pingAnswer('keep-alive').length), pingAnswer('keep-alive'));
  });

  test('hands over what it does not answer, with the bytes it read, after answering what came before', async () => {
    for (const request of [
      get('/version'), get('/v1.51/_ping'), get('/v1.23/_ping'), get('/v2.41/_ping'), get('/v1.4.1/_ping'), get('/_ping/'),
      'GET /_ping HTTP/1.0\r\n\r\n', 'POST /_ping HTTP/1.1\r\n\r\n', get('/_ping', 'Content-Length: 5\r\n'), get('/_ping', 'Transfer-Encoding: chunked\r\n'),
      get('/_ping', 'Upgrade: tcp\r\n'), get('/_ping', 'Expect: 100-continue\r\n'), get('/_ping', 'Bad Name: x\r\n'), get('/_ping', 'no colon\r\n'),
      'GET /_ping HTTP/1.1\r\nHost: x\r\n', 'GET /_p\ting HTTP/1.1\r\n\r\n', get(`/_ping?${'a'.repeat(9000)}`),
      get('/containers/json?all=1'), 'HEAD /containers/json HTTP/1.1\r\n\r\n', get('/containers/json/'),
    ]) {
      assert.equal(await exchange(request), `handed[${request}][]`, JSON.stringify(request.slice(0, 80)));
    }
    // A bodiless Content-Length: 0 is still the lane's.
    assert.equal(await exchange(closing('/_ping').replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n')), pingAnswer('close'));
    // Pipelined: the ping is answered, then the rest goes to Node.
    assert.equal(await exchange(get('/_ping') + get('/version')), `${pingAnswer('keep-alive')}handed[${get('/version')}][]`);
  });

  test('answers the listing from a published snapshot while its stamp and monitors hold; hands it over otherwise', async () => {
    const list = get('/v1.41/containers/json');
    assert.equal(await exchange(list), `handed[${list}][]`, 'nothing published yet');

    const since = Date.now() - 125_000;
    assert.equal(lane.publish({ dir: records, stamp: stampOf(records), monitors: [monitor(), monitor()], template: template(since) }), true);
    const body = '[{"Id":"a","Status":"Up 2 minutes","Labels":{"k":"v\\u0001"}},{"Status":"Exited (1) 2 minutes ago"}]\n';
    const answer = `${heads.list}${Buffer.byteLength(body)}\r\nDate: D\r\nConnection: keep-alive\r\n\r\n${body}`;
    assert.equal(await exchange(list, answer.length), answer);
    // Two on one connection, the second with Connection: close.
    assert.equal(await exchange(list + closing('/containers/json')), answer + answer.replace('keep-alive', 'close'));

    // A record written (any entry made in the directory): stale.
    writeFileSync(join(records, 'new.json'), '{}');
    assert.equal(await exchange(list), `handed[${list}][]`);

    // A listed container's monitor gone: stale.
    const [alive, doomed] = [monitor(), monitor()];
    assert.equal(lane.publish({ dir: records, stamp: stampOf(records), monitors: [alive, doomed], template: template(since) }), true);
    assert.equal(await exchange(list, answer.length), answer);
    const child = monitors.find((m) => m.pid === doomed.pid)!;
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(await exchange(list), `handed[${list}][]`);

    // Published with a monitor already gone (or another process on its pid): refused, nothing served.
    assert.equal(lane.publish({ dir: records, stamp: stampOf(records), monitors: [doomed], template: template(since) }), false);
    assert.equal(lane.publish({ dir: records, stamp: stampOf(records), monitors: [{ pid: alive.pid, startTime: alive.startTime + 1 }], template: template(since) }), false);
    assert.equal(await exchange(list), `handed[${list}][]`);
    // And withdrawn.
    assert.equal(lane.publish({ dir: records, stamp: stampOf(records), monitors: [], template: template(since) }), true);
    assert.equal(await exchange(list, answer.length), answer);
    assert.equal(lane.publish(undefined), false);
    assert.equal(await exchange(list), `handed[${list}][]`);
  });

  test('50 connections at once are all answered; the counts add up', async () => {
    const before = lane.stats();
    const answers = await Promise.all(Array.from({ length: 50 }, () => exchange(closing('/_ping'))));
    assert.ok(answers.every((a) => a === pingAnswer('close')));
    assert.equal(await exchange(get('/info')), `handed[${get('/info')}][]`);
    const now = lane.stats();
    assert.equal(now.answered - before.answered, 50);
    assert.equal(now.handedOver - before.handedOver, 1);
  });

  test('a client that goes away, with or without a request, leaves the lane serving', async () => {
    for (const text of ['', 'GET /_p', get('/_ping')]) {
      const c = connect(socket);
      await once(c, 'connect');
      if (text) c.write(text);
      c.destroy();
    }
    assert.equal(await exchange(closing('/_ping')), pingAnswer('close'));
  });
});
