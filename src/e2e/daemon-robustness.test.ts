/**
 * `berth daemon` under load and abuse: 50 parallel `docker run --rm` and 30 parallel terminal
 * execs all complete with their output; malformed, oversized (a 100 MB body, a 1 MB header) and
 * truncated requests get a 4xx or a closed connection and the daemon answers on; many requests on
 * one kept-alive connection leak nothing; a docker CLI killed (SIGKILL) during `run -it` and during
 * `attach` leaves its container running, stoppable, attachable, and the daemon's descriptors back
 * at their count; a restarted daemon finds its running containers running, follows their logs and
 * attaches to them. One daemon for the file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { apiRequest, dockerClients, presentClients, startDaemon, type Daemon } from './daemon-harness.js';
import { busyboxImage } from './harness.js';
import { onTerminal } from './pty.js';

const docker = dockerClients[presentClients[0]!];

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
async function until<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command run without blocking the event loop (many at once). */
function run(argv: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `argv` on a pseudo-terminal of its own (python3's pty module), left running: the pid of the
 * process on the terminal (python's child, that is the docker CLI), and everything it wrote.
 */
function onTerminalInBackground(argv: string[], env: Record<string, string>): { pid: Promise<number>; output: () => string; exited: Promise<void>; wrapper: ChildProcess } {
  const script = `
import os, pty, sys, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
sys.stderr.write('pid %d\\n' % pid)
sys.stderr.flush()
while True:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try: d = os.read(fd, 65536)
        except OSError: break
        if not d: break
        sys.stdout.buffer.write(d)
        sys.stdout.flush()
os.waitpid(pid, 0)
`;
  const wrapper = spawn('python3', ['-c', script, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  wrapper.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const pid = new Promise<number>((resolve, reject) => {
    let err = '';
    wrapper.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /^pid (\d+)$/m.exec(err);
      if (m) resolve(Number(m[1]));
    });
    wrapper.once('exit', () => reject(new Error(`the terminal wrapper ended: ${err}`)));
  });
  const exited = new Promise<void>((resolve) => wrapper.once('exit', () => resolve()));
  return { pid, output: () => out, exited, wrapper };
}

/** SIGKILL to the process on the wrapper's terminal, checked to be the wrapper's own child first. */
function killClient(pid: number, wrapper: ChildProcess): void {
  assert.ok(pid > 1, `a real pid: ${pid}`);
  const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  assert.equal(ppid, wrapper.pid, 'the killed process is the terminal wrapper\'s child (the docker CLI)');
  process.kill(pid, 'SIGKILL');
}

/** The bytes the daemon sends back on a connection of its own until it closes it (or `waitMs` passes). */
function rawExchange(socket: string, parts: (string | Buffer)[], how: 'end' | 'destroy' = 'end', waitMs = 30_000): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const s = connect(socket);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), ...(error !== undefined ? { error } : {}) });
    });
    s.on('connect', () => {
      void (async () => {
        for (const p of parts) {
          if (s.destroyed) return;
          if (!s.write(p)) await new Promise((r) => { s.once('drain', r); s.once('close', r); });
        }
        if (how === 'end') s.end();
        else s.destroy();
      })();
    });
  });
}

describe('berth daemon: robustness', { timeout: 600_000 }, () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon({ withBusybox: true });
  });
  after(async () => {
    await d.dispose();
  });
  const ok = (args: string[]) => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** Requests the native lane answered over the daemon's runs so far (it logs its count when it stops). */
  const laneAnswered = () => [...d.log().matchAll(/native lane: answered (\d+) requests/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  /**
   * The daemon's open descriptors, less the /proc/<pid>/stat it holds for each live process it
   * checked (base/process.ts: one per running container's monitor, closed when that ends).
   */
  const fdTargets = () => readdirSync(`/proc/${d.process.pid}/fd`).flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/${d.process.pid}/fd/${fd}`);
      return /^\/proc\/\d+\/stat$/.test(target) ? [] : [`${fd} ${target}`];
    } catch {
      return []; // closed meanwhile
    }
  });
  const fds = () => fdTargets().length;
  /** Waits for the daemon's descriptors to come back to `baseline` (closes can take a moment); a failure lists them. */
  const backTo = async (baseline: number, what: string) => {
    try {
      await until(`${what}: the daemon's descriptors back to ${baseline}`, () => (fds() <= baseline ? true : undefined), 15_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; it holds ${fds()}: ${fdTargets().join(', ')}`, { cause: err });
    }
  };
  const ping = async () => {
    const r = await apiRequest(d.socket, 'GET', '/_ping');
    assert.deepEqual([r.status, r.body], [200, 'OK']);
  };

  test('50 parallel docker run --rm all succeed, each with its own output; nothing is left', async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => run([docker, 'run', '--rm', busyboxImage, 'sh', '-c', `echo run-${i}; echo err-${i} >&2; exit ${i % 3}`], d.env)));
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, i % 3, `run ${i}: ${r.stderr}`);
      assert.equal(r.stdout, `run-${i}\n`);
      assert.equal(r.stderr, `err-${i}\n`);
    }
    assert.equal(ok(['ps', '-aq']), '');
    await ping();
    assert.ok(Date.now() - started < 300_000);
  });

  test('30 parallel terminal execs each give their whole output and exit code (none lost at the exit)', async () => {
    ok(['run', '-d', '--name', 'exec-target', busyboxImage, 'sleep', '300']);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => run([docker, 'exec', '-t', 'exec-target', 'sh', '-c', `echo exec-${i}; echo second-line; exit ${i % 4}`], d.env)));
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, i % 4, `exec ${i}: ${r.stderr}`);
      assert.equal(r.stdout, `exec-${i}\r\nsecond-line\r\n`, `exec ${i}`);
    }
    ok(['rm', '-f', 'exec-target']);
  });

  test('malformed, oversized and truncated requests: a 4xx or a closed connection, and the daemon answers on with its descriptors back', async () => {
    await ping();
    const baseline = fds();
    const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
    const body = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

    // Not HTTP at all.
    const garbage = await rawExchange(d.socket, ['GARBAGE\r\n\r\n']);
    assert.equal(status(garbage.text), 400);
    // Malformed JSON bodies: dockerd-style 400s with a message.
    for (const json of ['{"Image":', '[1,2', '"just a string"']) {
      const r = await apiRequest(d.socket, 'POST', '/v1.41/containers/create', json, { 'Content-Type': 'application/json' });
      assert.equal(r.status, 400, `${json}: ${r.body}`);
      assert.equal(typeof (JSON.parse(r.body) as { message: unknown }).message, 'string');
    }
    const chunked = await rawExchange(d.socket, ['POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n']);
    assert.equal(status(chunked.text), 400);

    // A 100 MB JSON body: refused once it passes the limit, without reading the rest.
    const huge = Buffer.alloc(100 << 20, 0x61);
    const startedAt = Date.now();
    const big = await rawExchange(d.socket, [
      `POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${huge.length + 24}\r\n\r\n{"Image":"x","Env":["`,
      huge,
      '"]}',
    ]);
    assert.equal(status(big.text), 400, big.text.slice(0, 300));
    assert.deepEqual(JSON.parse(body(big.text)), { message: 'request body larger than 4194304 bytes' });
    assert.match(big.error ?? '', /^(EPIPE|ECONNRESET)$/, 'the connection closed on the writer: the rest is not read');
    assert.ok(Date.now() - startedAt < 20_000, 'answered without waiting for the whole body');

    // A 1 MB header, and a 1 MB path: 431, or the connection closed on the writer.
    for (const request of [`GET /v1.41/_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1 << 20)}\r\n\r\n`, `GET /v1.41/containers/${'a'.repeat(1 << 20)}/json HTTP/1.1\r\nHost: x\r\n\r\n`]) {
      const r = await rawExchange(d.socket, [request]);
      if (r.text !== '') assert.equal(status(r.text), 431, r.text.slice(0, 200));
      else assert.match(r.error ?? '', /^(EPIPE|ECONNRESET)$/);
    }

    // Truncated: Content-Length larger than what is sent, then the client half-closes, or vanishes.
    const truncated = 'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Image":"berth';
    const halfClosed = await rawExchange(d.socket, [truncated], 'end');
    assert.ok(halfClosed.text === '' || status(halfClosed.text) === 400, halfClosed.text);
    await rawExchange(d.socket, [truncated], 'destroy');
    // ... and an upgrade to a container that does not exist, closed at once
    const upgrade = await rawExchange(d.socket, ['POST /v1.41/containers/nosuch/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n']);
    assert.equal(status(upgrade.text), 404);
    assert.deepEqual(JSON.parse(body(upgrade.text).trim()), { message: 'No such container: nosuch' });

    await ping();
    assert.match(ok(['run', '--rm', busyboxImage, 'echo', 'still serving']), /^still serving\n$/);
    await backTo(baseline, 'after the bad requests');
    assert.doesNotMatch(d.log(), /TypeError|RangeError|uncaught|unhandled/i);
  });

  test('40 requests on one kept-alive connection (a pooling client) leave no listener behind', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    try {
      for (let i = 0; i < 40; i++) {
        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          // The first is the fast lane's (fast-lane.ts), which hands the connection to the HTTP server at the second.
          const req = httpRequest({ socketPath: d.socket, path: i % 2 ? '/v1.41/version' : '/v1.41/containers/json?all=1', agent, headers: { Host: 'berth' } }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          });
          req.on('socket', (s) => ports.add((s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1));
          req.on('error', reject);
          req.end();
        });
        assert.equal(answer.status, 200);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(ports.size, 1, 'one connection carried them all');
    assert.doesNotMatch(d.log(), /MaxListenersExceededWarning/);
  });

  test("docker ps's requests, answered by the fast lane, are byte for byte the HTTP server's answers", async () => {
    ok(['run', '-d', '--name', 'lane-up', '--label', 'lane=1', '-p', '127.0.0.1::80', busyboxImage, 'sleep', '300']);
    ok(['run', '--name', 'lane-done', '--label', 'lane=2', busyboxImage, 'true']);
    try {
      /** One request on a connection of its own, read to the end of its answer; Date dropped. */
      const answer = (method: string, target: string) => new Promise<string>((resolve, reject) => {
        const s = connect(d.socket);
        let text = '';
        s.on('data', (c: Buffer) => {
          text += c.toString('latin1');
          const [head = '', body] = text.split('\r\n\r\n');
          const length = Number(/^Content-Length: (\d+)$/m.exec(head)?.[1]);
          if (body !== undefined && (method === 'HEAD' || Buffer.byteLength(body, 'latin1') >= length)) {
            s.destroy();
            resolve(text.replace(/^Date: .*\r\n/m, ''));
          }
        });
        s.on('error', reject);
        s.write(`${method} ${target} HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/20.10.24+dfsg1 (linux)\r\n\r\n`);
      });
      const filters = encodeURIComponent(JSON.stringify({ label: { 'lane=1': true } }));
      for (const [method, path, query] of [
        ['HEAD', '/_ping', ''], ['GET', '/_ping', ''], ['GET', '/v1.41/_ping', ''], ['GET', '/v1.41/containers/json', ''],
        ['GET', '/v1.41/containers/json', '?all=1'], ['GET', '/v1.41/containers/json', `?all=1&filters=${filters}`],
        ['GET', '/v1.41/containers/json', '?limit=1'], ['GET', '/v1.24/containers/json', '?all=1&size=1'],
      ] as const) {
        // A trailing slash: the same route for the router, a path the fast lane hands over. The
        // two answers can straddle a second, which changes a Status ("Up 2 seconds"): asked again.
        let [fast, slow] = ['', '-'];
        for (let attempt = 0; attempt < 5 && fast !== slow; attempt++) [fast, slow] = [await answer(method, `${path}${query}`), await answer(method, `${path}/${query}`)];
        assert.equal(fast, slow, `${method} ${path}${query}`);
        assert.match(fast, /^HTTP\/1\.1 200 OK\r\nApi-Version: 1\.41\r\n/);
      }
      const listed = await answer('GET', '/v1.41/containers/json?all=1');
      assert.match(listed, /"Names":\["\/lane-up"\]/);
      assert.match(listed, /"Names":\["\/lane-done"\]/);
    } finally {
      ok(['rm', '-f', 'lane-up', 'lane-done']);
    }
  });

  test("docker ps through the native lane shows the berth CLI's changes and a monitor's death at once; the lane answered", async () => {
    const names = () => ok(['ps', '--format', '{{.Names}} {{.Status}}']);
    ok(['run', '-d', '--name', 'lane-a', busyboxImage, 'sleep', '300']);
    try {
      // Past the directory clock's tick, so that the listing can be published (listingKeepable).
      await sleep(150);
      const answeredBefore = laneAnswered();
      assert.match(names(), /^lane-a Up /m);
      assert.match(names(), /^lane-a Up /m, 'the second from the published listing');
      // The daemonless CLI on the same store: its container is in the very next docker ps.
      const cli = d.store.berth(['run', '-d', '--name', 'lane-cli', busyboxImage, 'sleep', '300']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(names(), /^lane-cli Up /m);
      await sleep(150);
      names();
      // A monitor SIGKILLed: nothing writes the record, and the next docker ps no longer shows it up.
      const id = ok(['inspect', '-f', '{{.Id}}', 'lane-a']).trim();
      const record = JSON.parse(readFileSync(`${d.store.root}/metadata/containers/${id}.json`, 'utf8')) as { state: { supervisor: { pid: number } } };
      process.kill(record.state.supervisor.pid, 'SIGKILL');
      await until('the monitor gone', () => (existsSync(`/proc/${record.state.supervisor.pid}`) ? undefined : true));
      assert.doesNotMatch(names(), /^lane-a /m);
      assert.match(ok(['ps', '-a', '--filter', 'name=lane-a', '--format', '{{.Status}}']), /^Exited \(137\)/);
      // The lane answered some of those (counted in the log when the daemon stops).
      await d.restart();
      assert.ok(laneAnswered() > answeredBefore, d.log().slice(-2000));
    } finally {
      ok(['rm', '-f', 'lane-a', 'lane-cli']);
    }
  });

  test('out of descriptors, the daemon waits for some to free up rather than spin, and serves again once they do', async () => {
    const pid = d.process.pid!;
    const prlimit = (args: string[]) => spawnSync('prlimit', ['--pid', String(pid), ...args], { encoding: 'utf8' });
    const [soft, hard] = prlimit(['--nofile', '--raw', '--noheadings', '--output', 'SOFT,HARD']).stdout.trim().split(/\s+/);
    const cpuTicks = () => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').slice(11, 13).reduce((sum, v) => sum + Number(v), 0);
    // A soft limit a few descriptors above what the daemon holds, then more connections than that.
    assert.equal(prlimit([`--nofile=${readdirSync(`/proc/${pid}/fd`).length + 20}:${hard}`]).status, 0);
    const clients = Array.from({ length: 80 }, () => connect(d.socket).on('error', () => undefined));
    try {
      await sleep(300);
      const before = cpuTicks();
      await sleep(1000);
      // Spinning on a listener that stays ready would be ~100 ticks a second.
      assert.ok(cpuTicks() - before < 25, `the daemon used ${cpuTicks() - before} ticks in a second while out of descriptors`);
    } finally {
      for (const c of clients) c.destroy();
      prlimit([`--nofile=${soft}:${hard}`]);
    }
    await ping();
    assert.match(ok(['ps']), /^CONTAINER ID/);
  });

  test('a docker CLI killed during run -it and during attach leaves the container running, stoppable and attachable; the daemon\'s descriptors come back', async () => {
    await ping();
    const baseline = fds();

    // run -it, killed while attached
    const runIt = onTerminalInBackground([docker, 'run', '-it', '--name', 'killed-run-it', busyboxImage, 'sh'], d.env);
    await until('the run -it container', () => (d.docker(['inspect', '-f', '{{.State.Running}}', 'killed-run-it']).stdout.trim() === 'true' ? true : undefined));
    killClient(await runIt.pid, runIt.wrapper);
    await runIt.exited;

    // attach to a detached terminal container, killed while attached
    ok(['run', '-dit', '--name', 'killed-attach', busyboxImage, 'sh']);
    const before = fds();
    const attach = onTerminalInBackground([docker, 'attach', 'killed-attach'], d.env);
    const attachPid = await attach.pid;
    // the attach session is up when the daemon holds its connection
    await until('the attach session', () => (fds() > before ? true : undefined));
    await sleep(300);
    killClient(attachPid, attach.wrapper);
    await attach.exited;

    // Both run on: their shells still answer, through a new attach, and can be stopped.
    for (const name of ['killed-run-it', 'killed-attach']) {
      // On a failure, the whole state and the output say how it ended.
      if (ok(['inspect', '-f', '{{.State.Status}}', name]).trim() !== 'running') {
        assert.fail(`${name} is not running: ${ok(['inspect', '-f', '{{json .State}}', name])} ${JSON.stringify(d.docker(['logs', name]).stdout.slice(-500))}`);
      }
      const again = onTerminal([docker, 'attach', name], d.env, 120, [[1, `echo still-here-${name}\r`], [1.5, '\x10\x11']]);
      assert.match(again.output, new RegExp(`still-here-${name}`));
      assert.equal(ok(['inspect', '-f', '{{.State.Status}}', name]).trim(), 'running', `${name} after the detach`);
    }
    assert.deepEqual(ok(['stop', '-t', '1', 'killed-run-it', 'killed-attach']).split('\n').filter(Boolean).sort(), ['killed-attach', 'killed-run-it']);
    assert.match(ok(['ps', '-a', '--filter', 'name=killed-', '--format', '{{.Names}} {{.Status}}']), /^killed-\S+ Exited \(\d+\)[^\n]*\nkilled-\S+ Exited \(\d+\)/);
    ok(['rm', 'killed-run-it', 'killed-attach']);
    await backTo(baseline, 'after the killed clients');
  });

  test('a restarted daemon finds its containers running: logs -f follows on to the exit, attach reaches the shell', async () => {
    ok(['run', '-d', '--name', 'ticker', busyboxImage, 'sh', '-c', 'for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done']);
    ok(['run', '-dit', '--name', 'shell', busyboxImage, 'sh']);
    await until('the first tick', () => (/tick 1/.test(d.docker(['logs', 'ticker']).stdout) ? true : undefined));
    const monitors = ok(['inspect', '-f', '{{.State.Pid}}', 'ticker', 'shell']).trim().split('\n').map(Number);
    await d.restart();
    assert.deepEqual(ok(['inspect', '-f', '{{.State.Pid}}', 'ticker', 'shell']).trim().split('\n').map(Number), monitors, 'the same processes');
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'shell']).trim(), 'running');
    // logs -f through the new daemon: everything, then the lines written after the restart, then the end
    const followed = await run([docker, 'logs', '-f', 'ticker'], d.env, 60_000);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\ntick 6\n');
    const attached = onTerminal([docker, 'attach', 'shell'], d.env, 120, [[1, 'echo after-restart-$((2*21))\r'], [1.5, 'exit 6\r']]);
    assert.match(attached.output, /after-restart-42/);
    assert.equal(attached.code, 6);
    assert.equal(ok(['wait', 'shell']), '6\n');
    ok(['rm', 'ticker', 'shell']);
  });
});
