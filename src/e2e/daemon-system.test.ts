/**
 * `berth daemon`'s transport and system endpoints, driven by the real docker CLIs and raw HTTP:
 * version negotiation, ping headers, errors, the socket's mode, the pid file, a clean SIGTERM.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { apiRequest, presentClients, startDaemon, type Daemon } from './daemon-harness.js';

describe('berth daemon: transport and system endpoints', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon({ withBusybox: false });
  });
  after(async () => {
    await d.dispose();
  });

  test('the socket is mode 0660 and the pid file names the daemon', () => {
    assert.equal(statSync(d.socket).mode & 0o777, 0o660);
    // The harness execs bin/berth, which execs node: the child's pid is the daemon's.
    assert.equal(Number(readFileSync(d.pidfile, 'utf8')), d.process.pid);
  });

  for (const client of presentClients) {
    test(`docker ${client} version negotiates API 1.41 and shows berth as the server`, () => {
      const r = d.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Client.APIVersion}}'], { client });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+ 1\.41 1\.41$/);
    });
    test(`docker ${client} info reports the store and no warnings about missing limits`, () => {
      const r = d.docker(['info', '--format', '{{.DockerRootDir}}|{{.Driver}}|{{.Swarm.LocalNodeState}}'], { client });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `${d.store.root}|overlay2|inactive`);
      // docker 20.10 warns for each limit the daemon says it lacks; berth has them all.
      assert.doesNotMatch(d.docker(['info'], { client }).stderr, /WARNING: No (memory|swap|oom|cpu)/i);
    });
  }

  test('ping answers HEAD and GET with the negotiation headers, and never offers BuildKit', async () => {
    const head = await apiRequest(d.socket, 'HEAD', '/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.headers['api-version'], '1.41');
    assert.equal(head.headers['ostype'], 'linux');
    assert.notEqual(head.headers['builder-version'], '2');
    const get = await apiRequest(d.socket, 'GET', '/v1.24/_ping');
    assert.equal(get.body, 'OK');
  });

  test('versions outside 1.24..1.50 and unknown routes get dockerd\'s errors', async () => {
    const tooNew = (await apiRequest(d.socket, 'GET', '/v1.99/version'));
    assert.equal(tooNew.status, 400);
    assert.deepEqual(JSON.parse(tooNew.body), { message: 'client version 1.99 is too new. Maximum supported API version is 1.50' });
    const tooOld = (await apiRequest(d.socket, 'GET', '/v1.11/version'));
    assert.equal(tooOld.status, 400);
    assert.match(tooOld.body, /^client version 1\.11 is too old\. Minimum supported API version is 1\.24/);
    assert.equal((await apiRequest(d.socket, 'GET', '/v1.50/version')).status, 200);
    const missing = (await apiRequest(d.socket, 'GET', '/v1.41/no/such/route'));
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'page not found' });
    const swarm = (await apiRequest(d.socket, 'GET', '/v1.41/swarm'));
    assert.equal(swarm.status, 503);
    assert.match((JSON.parse(swarm.body) as { message: string }).message, /not a swarm manager/);
  });

  test('malformed HTTP gets a 400 and the daemon stays up', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(d.socket, () => s.write('GARBAGE\r\n\r\n'));
      let text = '';
      s.on('data', (b) => (text += b.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.equal((await apiRequest(d.socket, 'GET', '/_ping')).body, 'OK');
  });

  test('a second daemon on the same pid file is refused; SIGTERM removes the socket and the pid file', async () => {
    const second = d.store.berth(['daemon', '-H', `unix://${d.socket}.2`, '--pidfile', d.pidfile], { timeoutMs: 10_000 });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /pid file .* names a running process/);
    const sameSocket = d.store.berth(['daemon', '-H', d.host, '--pidfile', `${d.pidfile}.2`], { timeoutMs: 10_000 });
    assert.equal(sameSocket.code, 1);
    assert.match(sameSocket.stderr, /is in use: is another daemon running/);
    assert.equal((await apiRequest(d.socket, 'GET', '/_ping')).body, 'OK');
    await d.stop();
    assert.equal(existsSync(d.socket), false);
    assert.equal(existsSync(d.pidfile), false);
    await d.restart();
    assert.equal((await apiRequest(d.socket, 'GET', '/_ping')).body, 'OK');
  });
});
