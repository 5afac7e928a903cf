/**
 * `berth daemon`'s container endpoints of the run path, driven by the real docker CLIs (28 and
 * 20.10) and raw HTTP: run (attached, detached, interactive on a terminal), ps, logs, attach and
 * detach keys, stop, kill, wait, rm, inspect, the errors' texts and exit codes, a client killed
 * mid-attach, and a daemon restart under running containers. One daemon for the whole file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpGet } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { apiRequest, dockerClients, presentClients, startDaemon, type Daemon } from './daemon-harness.js';
import { busyboxImage, busyboxRootfsTar } from './harness.js';
import { cgroupV2 } from './running-container.js';
import { onTerminal } from './pty.js';

const image = busyboxImage;

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
async function until<T>(what: string, check: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A raw hijacked request: the bytes the daemon sends until it closes, and a way to type stdin. */
function hijack(socket: string, path: string, options: { body?: string; halfClose?: boolean } = {}) {
  const s = connect(socket);
  const chunks: Buffer[] = [];
  const body = options.body ?? '';
  s.write(`POST ${path} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: ${body ? 'application/json' : 'text/plain'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  if (options.halfClose) s.end();
  s.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<Buffer>((resolve, reject) => {
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
  return { socket: s, closed, bytes: () => Buffer.concat(chunks) };
}

/** The payload of Docker's multiplexed stream, per stream (1 stdout, 2 stderr). */
function demux(bytes: Buffer): { stdout: string; stderr: string; frames: number[] } {
  let out = '';
  let err = '';
  const frames: number[] = [];
  let i = 0;
  while (i + 8 <= bytes.length) {
    const kind = bytes[i]!;
    const len = bytes.readUInt32BE(i + 4);
    const payload = bytes.subarray(i + 8, i + 8 + len).toString();
    frames.push(kind);
    if (kind === 1) out += payload;
    else if (kind === 2) err += payload;
    i += 8 + len;
  }
  assert.equal(i, bytes.length, 'the stream ends at a frame boundary');
  return { stdout: out, stderr: err, frames };
}

/** The HTTP head and the rest of a hijacked answer. */
function splitHead(bytes: Buffer): { head: string; body: Buffer } {
  const end = bytes.indexOf('\r\n\r\n');
  return { head: bytes.subarray(0, end).toString(), body: bytes.subarray(end + 4) };
}

describe('berth daemon: containers (the run path)', () => {
  let d: Daemon;
  before(async () => {
    d = await startDaemon({ withBusybox: true });
  });
  after(async () => {
    await d.dispose();
  });
  const ok = (args: string[], options: Parameters<Daemon['docker']>[1] = {}) => {
    const r = d.docker(args, options);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const ids = () => ok(['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean);

  for (const client of presentClients) {
    test(`docker ${client} run --rm: the container's stdout and stderr apart, its exit code, and nothing left`, () => {
      const before = ids();
      const r = d.docker(['run', '--rm', image, 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], { client });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'to-out\n');
      assert.equal(r.stderr, 'to-err\n');
      assert.deepEqual(ids(), before);
    });

    test(`docker ${client} run -i: piped stdin reaches the container and its end closes it (StdinOnce)`, () => {
      const r = d.docker(['run', '--rm', '-i', image, 'sh', '-c', 'cat; echo after-eof'], { client, input: 'line one\nline two\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'line one\nline two\nafter-eof\n');
    });
  }

  test('run -d -p -e -v --name: a published port serves, env and volumes are the container\'s, binds are the host\'s', async () => {
    const port = 18000 + Math.floor(Math.random() * 1000);
    const hostDir = mkdtempSync(join(tmpdir(), 'berth-daemon-bind-'));
    try {
      writeFileSync(join(hostDir, 'from-host'), 'host file\n');
      const id = ok(['run', '-d', '--name', 'web', '-p', `${port}:80`, '-e', 'GREETING=hello from env', '-v', 'webdata:/data', '-v', `${hostDir}:/host:ro`,
        image, 'sh', '-c', 'mkdir -p /www && echo "$GREETING" > /www/index.html && cat /host/from-host > /data/copy && httpd -f -p 80 -h /www']).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      let body = '';
      for (let i = 0; i < 100 && body === ''; i++) {
        body = await getText(`http://127.0.0.1:${port}/`).catch(() => '');
        if (body === '') await sleep(100);
      }
      assert.equal(body, 'hello from env\n');
      assert.equal(ok(['port', 'web']).trim(), `80/tcp -> 0.0.0.0:${port}`);
      assert.equal(ok(['ps', '--filter', 'name=web', '--format', '{{.Names}} {{.Ports}}']).trim(), `web 0.0.0.0:${port}->80/tcp`);
      // The named volume outlives the container; the bind is read-only.
      ok(['rm', '-f', 'web']);
      assert.equal(ok(['run', '--rm', '-v', 'webdata:/data', image, 'cat', '/data/copy']), 'host file\n');
      const ro = d.docker(['run', '--rm', '-v', `${hostDir}:/host:ro`, image, 'sh', '-c', 'echo x > /host/new']);
      assert.notEqual(ro.code, 0);
      assert.match(ro.stderr, /Read-only file system/);
      ok(['create', '--name', 'mounts', '-v', 'webdata:/data', '-v', `${hostDir}:/host:ro`, image, 'true']);
      const inspected = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'mounts'])) as { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
      // dockerd lists them in no particular order (a Go map's); observed shapes of 20.10.
      inspected.sort((a, b) => a.Destination.localeCompare(b.Destination));
      assert.deepEqual(inspected.map((m) => [m.Type, m.Name ?? '', m.Destination, m.RW]), [['volume', 'webdata', '/data', true], ['bind', '', '/host', false]]);
      assert.equal(inspected[0]!.Source, join(d.store.root, 'volumes', 'webdata', '_data'));
      assert.equal(inspected[1]!.Source, hostDir);
      ok(['rm', 'mounts']);
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
  });

  test('run --restart on-failure:2 restarts twice, then stays exited; inspect -f shows the policy and the count', async () => {
    ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', image, 'sh', '-c', 'echo attempt; exit 1']);
    const state = await until('the restarts', () => {
      const s = ok(['inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'flaky']).trim();
      return s.startsWith('exited 2') ? s : undefined;
    }, 20_000);
    assert.equal(state, 'exited 2 1 on-failure:2');
    assert.equal(ok(['logs', 'flaky']), 'attempt\nattempt\nattempt\n');
    ok(['rm', 'flaky']);
  });

  test('ps: filters (the CLI\'s map form and compose\'s list form), --format, -a, -q, -n, -s', async () => {
    ok(['run', '-d', '--name', 'ps-a', '-l', 'com.docker.compose.project=demo', '-l', 'tier=front', image, 'sleep', '300']);
    ok(['run', '-d', '--name', 'ps-b', '-l', 'com.docker.compose.project=demo', image, 'sleep', '300']);
    assert.equal(d.docker(['run', '--name', 'ps-c', '-l', 'com.docker.compose.project=other', image, 'sh', '-c', 'exit 7']).code, 7);
    const names = (args: string[]) => ok(['ps', ...args, '--format', '{{.Names}}']).split('\n').filter(Boolean).sort();
    assert.deepEqual(names(['--filter', 'label=com.docker.compose.project=demo']), ['ps-a', 'ps-b']);
    assert.deepEqual(names(['--filter', 'label=com.docker.compose.project=demo', '--filter', 'label=tier=front']), ['ps-a']);
    assert.deepEqual(names(['-a', '--filter', 'exited=7']), ['ps-c']);
    assert.deepEqual(names(['--filter', 'status=exited']), ['ps-c']);
    assert.deepEqual(names(['-a', '--filter', 'name=ps-']), ['ps-a', 'ps-b', 'ps-c']);
    assert.deepEqual(names([]).filter((n) => n.startsWith('ps-')), ['ps-a', 'ps-b']);
    assert.deepEqual(ok(['ps', '-n', '1', '--format', '{{.Names}}']).trim(), 'ps-c');
    const row = ok(['ps', '--filter', 'name=ps-a', '--format', '{{.Image}}|{{.Command}}|{{.Status}}|{{.Label "tier"}}|{{.State}}']).trim();
    assert.match(row, new RegExp(`^${image}\\|"sleep 300"\\|Up .*\\|front\\|running$`));
    assert.match(ok(['ps', '-a', '--filter', 'name=ps-c', '--format', '{{.Status}}']).trim(), /^Exited \(7\) .* ago$/);
    const quiet = ok(['ps', '-q', '--filter', 'name=ps-b']).trim();
    assert.match(quiet, /^[0-9a-f]{12}$/);
    assert.match(ok(['ps', '-s', '--filter', 'name=ps-a', '--format', '{{.Size}}']).trim(), /^\d+(\.\d+)?k?B \(virtual \d+(\.\d+)?[kM]B\)$/);
    // compose (docker-py) sends the list form, with all, limit and size as it does.
    const filters = encodeURIComponent(JSON.stringify({ label: ['com.docker.compose.project=demo'] }));
    const listed = await apiRequest(d.socket, 'GET', `/v1.41/containers/json?limit=-1&all=1&size=0&trunc_cmd=0&filters=${filters}`);
    assert.equal(listed.status, 200);
    const rows = JSON.parse(listed.body) as { Names: string[]; Labels: Record<string, string>; State: string; Created: number; Command: string; HostConfig: { NetworkMode: string } }[];
    assert.deepEqual(rows.map((r) => r.Names[0]).sort(), ['/ps-a', '/ps-b']);
    assert.equal(rows[0]!.Labels['com.docker.compose.project'], 'demo');
    assert.equal(rows[0]!.State, 'running');
    assert.ok(Math.abs(rows[0]!.Created - Date.now() / 1000) < 120);
    assert.equal(rows[0]!.HostConfig.NetworkMode, 'bridge');
    const badFilter = await apiRequest(d.socket, 'GET', `/v1.41/containers/json?filters=${encodeURIComponent('{"nope":["x"]}')}`);
    assert.equal(badFilter.status, 400);
    assert.match(badFilter.body, /Invalid filter 'nope'/);
    ok(['rm', '-f', 'ps-a', 'ps-b', 'ps-c']);
  });

  test('logs: both streams, --tail, -t, and -f that ends when the container stops', () => {
    ok(['run', '-d', '--name', 'talker', image, 'sh', '-c', 'echo one; echo two >&2; sleep 1; echo three; exit 0']);
    const followed = d.docker(['logs', '-f', 'talker'], { timeoutMs: 20_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'one\nthree\n');
    assert.equal(followed.stderr, 'two\n');
    assert.equal(ok(['logs', '--tail', '1', 'talker']), 'three\n');
    const stamped = ok(['logs', '-t', 'talker']).split('\n').filter(Boolean);
    assert.equal(stamped.length, 2);
    for (const line of stamped) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (one|three)$/);
    // A terminal's output is raw (no frames): -t containers read back as they wrote.
    ok(['run', '--name', 'tty-logs', '-t', image, 'echo', 'through a tty']);
    assert.equal(ok(['logs', 'tty-logs']), 'through a tty\r\n');
    ok(['rm', 'talker', 'tty-logs']);
  });

  for (const client of presentClients) {
    test(`docker ${client} run -it on a terminal: the terminal's size, typed input, the exit code`, () => {
      const sized = onTerminal([dockerClients[client], 'run', '--rm', '-it', image, 'sh', '-c', 'sleep 0.5; stty size; tty; exit 5'], d.env, 97);
      assert.equal(sized.code, 5, sized.output);
      assert.match(sized.output, /30 97\r\n\/dev\/pts\/0\r\n/);
      const typed = onTerminal([dockerClients[client], 'run', '--rm', '-it', image, 'sh'], d.env, 120, [[1, 'echo typed-$((6*7))\r'], [1.5, 'exit 7\r']]);
      assert.equal(typed.code, 7, typed.output);
      assert.match(typed.output, /typed-42/);
    });
  }

  test('detach keys: ctrl-p ctrl-q leaves the container running; attach again, detach, then end it through attach', async () => {
    const run = onTerminal([dockerClients[presentClients[0]!], 'run', '--name', 'detachable', '-it', image, 'sh'], d.env, 120, [[1, 'echo first-session\r'], [1.5, '\x10\x11']]);
    assert.match(run.output, /first-session/);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'detachable']).trim(), 'running');
    for (const client of presentClients) {
      const attached = onTerminal([dockerClients[client], 'attach', 'detachable'], d.env, 120, [[1, `echo again-${client}\r`], [1.5, '\x10\x11']]);
      assert.match(attached.output, new RegExp(`again-${client}`));
      assert.match(attached.output, /read escape sequence/);
      assert.equal(attached.code, 1);
      assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'detachable']).trim(), 'running');
    }
    // Custom keys (the server watches for them too, on a terminal's stdin).
    const custom = onTerminal([dockerClients[presentClients[0]!], 'attach', '--detach-keys', 'ctrl-a,x', 'detachable'], d.env, 120, [[1, '\x01x']]);
    assert.match(custom.output, /read escape sequence/);
    const ended = onTerminal([dockerClients[presentClients[0]!], 'attach', 'detachable'], d.env, 120, [[1, 'exit 9\r']]);
    assert.equal(ended.code, 9, ended.output);
    assert.match(ok(['ps', '-a', '--filter', 'name=detachable', '--format', '{{.Status}}']), /^Exited \(9\)/);
    ok(['rm', 'detachable']);
  });

  test('start -a of a created container, create\'s errors (name in use, no command), the 404 that makes the CLI pull', () => {
    ok(['create', '--name', 'later', image, 'sh', '-c', 'echo started later; exit 4']);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'later']).trim(), 'created');
    const started = d.docker(['start', '-a', 'later']);
    assert.equal(started.code, 4, started.stderr);
    assert.equal(started.stdout, 'started later\n');
    // dockerd 20.10's text; `docker create` exits 1 (only `run` uses 125).
    const dup = d.docker(['create', '--name', 'later', image]);
    assert.equal(dup.code, 1);
    const id = ok(['inspect', '-f', '{{.Id}}', 'later']).trim();
    assert.match(dup.stderr, new RegExp(`Conflict\\. The container name "/later" is already in use by container "${id}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));
    ok(['rm', 'later']);
    // An image without a command (imported bare, as `docker import` makes them).
    assert.equal(d.store.berth(['import', '-', 'no-cmd:1'], { input: busyboxRootfsTar() }).code, 0);
    const noCmd = d.docker(['run', '--rm', 'no-cmd:1']);
    assert.equal(noCmd.code, 125);
    assert.match(noCmd.stderr, /Error response from daemon: No command specified/);
    for (const client of presentClients) {
      const missing = d.docker(['run', '--rm', 'no/such-image'], { client });
      assert.equal(missing.code, 125);
      assert.match(missing.stderr, /Unable to find image 'no\/such-image:latest' locally/);
      assert.match(missing.stderr, /Error response from daemon/);
    }
  });

  test('start failures map to the CLI\'s exit codes: 127 for a missing command, 126 for one not executable', () => {
    const missing = d.docker(['run', '--rm', image, 'no-such-command']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /no-such-command.*no such file or directory/);
    const notExec = d.docker(['run', '--rm', image, '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    assert.match(notExec.stderr, /permission denied/);
    // Detached the start fails the same way, and the container stays, exited with the code.
    const detached = d.docker(['run', '-d', '--name', 'bad-start', image, 'no-such-command']);
    assert.equal(detached.code, 127);
    assert.match(ok(['ps', '-a', '--filter', 'name=bad-start', '--format', '{{.Status}}']), /^Exited \(127\)/);
    ok(['rm', 'bad-start']);
  });

  test('stop, kill (signals by name or number, WINCH), wait, rm and rm -f, with dockerd\'s texts for what cannot be done', async () => {
    ok(['run', '-d', '--name', 'sig', image, 'sh', '-c', 'trap "echo got-usr1" USR1; trap "echo got-winch" WINCH; trap "echo got-term; exit 143" TERM; while :; do sleep 0.1; done']);
    await sleep(300);
    ok(['kill', '-s', 'USR1', 'sig']);
    ok(['kill', '-s', 'SIGWINCH', 'sig']);
    await until('the traps', () => (/got-usr1\n[^]*got-winch/.test(ok(['logs', 'sig'])) ? true : undefined));
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'sig']).trim(), 'running');
    const bad = await apiRequest(d.socket, 'POST', '/v1.41/containers/sig/kill?signal=NOPE');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body), { message: 'Invalid signal: NOPE' });
    const rmRunning = d.docker(['rm', 'sig']);
    assert.equal(rmRunning.code, 1);
    const id = ok(['inspect', '-f', '{{.Id}}', 'sig']).trim();
    assert.equal(rmRunning.stderr.trim(), `Error response from daemon: You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    assert.equal(ok(['stop', 'sig']).trim(), 'sig');
    assert.match(ok(['logs', 'sig']), /got-term/);
    assert.equal(ok(['inspect', '-f', '{{.State.ExitCode}}', 'sig']).trim(), '143');
    // Stopping a stopped container is a 304, which the CLI takes for success.
    assert.equal((await apiRequest(d.socket, 'POST', '/v1.41/containers/sig/stop')).status, 304);
    assert.equal(ok(['stop', 'sig']).trim(), 'sig');
    const killStopped = d.docker(['kill', 'sig']);
    assert.equal(killStopped.code, 1);
    assert.match(killStopped.stderr, new RegExp(`Cannot kill container: sig: Container ${id} is not running`));
    ok(['rm', 'sig']);

    for (const client of presentClients) {
      ok(['run', '-d', '--name', `waited-${client}`, image, 'sh', '-c', 'sleep 0.5; exit 6']);
      assert.equal(ok(['wait', `waited-${client}`], { client }).trim(), '6');
      // Stopped already: wait answers at once.
      assert.equal(ok(['wait', `waited-${client}`], { client }).trim(), '6');
      ok(['rm', `waited-${client}`]);
    }

    ok(['run', '-d', '--name', 'forced', image, 'sleep', '300']);
    assert.equal(ok(['kill', 'forced']).trim(), 'forced');
    // kill (SIGKILL) returns once the container stopped: rm right after succeeds.
    assert.equal(ok(['rm', 'forced']).trim(), 'forced');
    ok(['run', '-d', '--name', 'forced', image, 'sleep', '300']);
    const startedAt = ok(['inspect', '-f', '{{.State.StartedAt}}', 'forced']).trim();
    assert.equal(ok(['restart', '-t', '1', 'forced']).trim(), 'forced');
    const restarted = ok(['inspect', '-f', '{{.State.Status}} {{.State.StartedAt}}', 'forced']).trim().split(' ');
    assert.equal(restarted[0], 'running');
    assert.notEqual(restarted[1], startedAt);
    assert.equal(ok(['rm', '-f', 'forced']).trim(), 'forced');
    const gone = d.docker(['rm', 'forced']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim(), 'Error response from daemon: No such container: forced');
  });

  test('wait over the API: headers before the start, conditions next-exit and removed, a bad condition', async () => {
    const created = await apiRequest(d.socket, 'POST', '/v1.41/containers/create', JSON.stringify({ Image: image, Cmd: ['sh', '-c', 'exit 11'], HostConfig: { AutoRemove: true } }), { 'Content-Type': 'application/json' });
    assert.equal(created.status, 201, created.body);
    const { Id: id, Warnings } = JSON.parse(created.body) as { Id: string; Warnings: unknown[] };
    assert.deepEqual(Warnings, []);
    // The docker CLI waits for these headers before it sends start: they must come at once.
    const headers = await new Promise<{ status: number; body: Promise<string> }>((resolve, reject) => {
      const req = httpGet({ socketPath: d.socket, method: 'POST', path: `/v1.41/containers/${id}/wait?condition=removed`, agent: false, headers: { Host: 'berth' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        resolve({ status: res.statusCode ?? 0, body: new Promise((r) => res.on('end', () => r(text))) });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(headers.status, 200);
    assert.equal((await apiRequest(d.socket, 'POST', `/v1.41/containers/${id}/start`)).status, 204);
    assert.deepEqual(JSON.parse(await headers.body), { Error: null, StatusCode: 11 });
    assert.equal((await apiRequest(d.socket, 'GET', `/v1.41/containers/${id}/json`)).status, 404);
    const bad = await apiRequest(d.socket, 'POST', '/v1.41/containers/nope/wait');
    assert.equal(bad.status, 404);
    ok(['create', '--name', 'cond', image, 'true']);
    const badCondition = await apiRequest(d.socket, 'POST', '/v1.41/containers/cond/wait?condition=sometime');
    assert.equal(badCondition.status, 400);
    // not-running (the default, and v20's empty value) answers at once for a container that does not run.
    assert.deepEqual(JSON.parse((await apiRequest(d.socket, 'POST', '/v1.41/containers/cond/wait?condition=')).body), { Error: null, StatusCode: 0 });
    ok(['rm', 'cond']);
  });

  test('attach over the API before start: multiplexed frames per stream, raw bytes for a terminal', async () => {
    const make = async (body: object) => {
      const r = await apiRequest(d.socket, 'POST', '/v1.41/containers/create', JSON.stringify({ Image: image, ...body }), { 'Content-Type': 'application/json' });
      assert.equal(r.status, 201, r.body);
      return (JSON.parse(r.body) as { Id: string }).Id;
    };
    const plain = await make({ Cmd: ['sh', '-c', 'echo out; echo err >&2; echo out2'] });
    const session = hijack(d.socket, `/v1.41/containers/${plain}/attach?stream=1&stdout=1&stderr=1`, { halfClose: true });
    await sleep(100);
    assert.equal((await apiRequest(d.socket, 'POST', `/v1.41/containers/${plain}/start`)).status, 204);
    const { head, body } = splitHead(await session.closed);
    assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    const streams = demux(body);
    assert.equal(streams.stdout, 'out\nout2\n');
    assert.equal(streams.stderr, 'err\n');
    assert.ok(streams.frames.every((f) => f === 1 || f === 2));
    const tty = await make({ Cmd: ['echo', 'on a terminal'], Tty: true });
    const raw = hijack(d.socket, `/v1.41/containers/${tty}/attach?stream=1&stdout=1&stderr=1`, { halfClose: true });
    await sleep(100);
    assert.equal((await apiRequest(d.socket, 'POST', `/v1.41/containers/${tty}/start`)).status, 204);
    assert.equal(splitHead(await raw.closed).body.toString(), 'on a terminal\r\n');
    // Starting a running container is a 304; one that ran can be started again.
    ok(['rm', plain, tty]);
  });

  test('create\'s body: honoured fields show in inspect; a field berth cannot honour is a 400 naming it', async () => {
    const create = (body: object, name?: string) => apiRequest(d.socket, 'POST', `/v1.41/containers/create${name ? `?name=${name}` : ''}`, JSON.stringify({ Image: image, Cmd: ['true'], ...body }), { 'Content-Type': 'application/json' });
    const made = await create({
      Hostname: 'custom-host', Domainname: 'example.org', User: '1000:1000', WorkingDir: '/tmp', Env: ['A=1'], Labels: { k: 'v' }, StopSignal: 'SIGUSR1', StopTimeout: 3,
      ExposedPorts: { '8080/tcp': {} }, Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2_000_000_000 },
      HostConfig: {
        Memory: 64 << 20, CpuQuota: 50_000, CpuPeriod: 100_000, CpuShares: 512, PidsLimit: 64, ShmSize: 1 << 20, Init: true, ReadonlyRootfs: true,
        CapAdd: ['CAP_NET_ADMIN'], CapDrop: ['MKNOD'], Tmpfs: { '/scratch': 'size=1m' }, RestartPolicy: { Name: 'unless-stopped' }, Dns: ['1.1.1.1'], ExtraHosts: ['db:10.0.0.5'],
        Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }], LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, NetworkMode: 'default', MemorySwappiness: -1,
        CgroupnsMode: 'host', OomKillDisable: true, DeviceCgroupRules: ['c 10:229 rwm'], Annotations: { 'org.example': '1' },
      },
      NetworkingConfig: { EndpointsConfig: { default: { Aliases: null, IPAMConfig: null } } },
    }, 'fields');
    assert.equal(made.status, 201, made.body);
    // What the host cannot apply comes back as the answer's warnings (cgroup v2 has no OOM switch).
    const warnings = (JSON.parse(made.body) as { Warnings: string[] }).Warnings;
    assert.deepEqual(warnings, cgroupV2 ? ['Your kernel does not support OomKillDisable. OomKillDisable discarded.'] : []);
    const v = JSON.parse(ok(['inspect', 'fields'])) as [{ Config: Record<string, unknown>; HostConfig: Record<string, unknown> }];
    const { Config: c, HostConfig: h } = v[0];
    assert.deepEqual([c.Hostname, c.Domainname, c.User, c.WorkingDir, c.StopSignal, c.StopTimeout], ['custom-host', 'example.org', '1000:1000', '/tmp', 'SIGUSR1', 3]);
    assert.ok((c.Env as string[]).includes('A=1'));
    assert.deepEqual(c.Labels, { k: 'v' });
    assert.ok('8080/tcp' in (c.ExposedPorts as object));
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2_000_000_000 });
    assert.deepEqual([h.Memory, h.NanoCpus, h.CpuShares, h.PidsLimit, h.ShmSize, h.Init, h.ReadonlyRootfs, h.NetworkMode], [64 << 20, 500_000_000, 512, 64, 1 << 20, true, true, 'bridge']);
    assert.deepEqual([h.CapAdd, h.CapDrop, h.Dns, h.ExtraHosts], [['CAP_NET_ADMIN'], ['MKNOD'], ['1.1.1.1'], ['db:10.0.0.5']]);
    assert.deepEqual(h.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
    assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
    assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 100, Hard: 200 }]);
    assert.deepEqual([h.CgroupnsMode, h.OomKillDisable, h.DeviceCgroupRules, h.Annotations], ['host', !cgroupV2, ['c 10:229 rwm'], { 'org.example': '1' }]);
    ok(['rm', 'fields']);
    // The host's UTS namespace keeps the host's names: a hostname with it is dockerd's conflict.
    assert.equal((await create({ HostConfig: { UTSMode: 'host' } }, 'uts')).status, 201);
    assert.equal(ok(['inspect', '-f', '{{.HostConfig.UTSMode}}', 'uts']).trim(), 'host');
    ok(['rm', 'uts']);
    const conflict = await create({ Hostname: 'mine', HostConfig: { UTSMode: 'host' } });
    assert.deepEqual([conflict.status, JSON.parse(conflict.body)], [400, { message: 'conflicting options: hostname and the UTS mode' }]);
    // The docker CLI prints the daemon's warnings.
    const unlimited = d.docker(['create', '--oom-kill-disable', image, 'true']);
    assert.equal(unlimited.code, 0, unlimited.stderr);
    assert.match(unlimited.stderr, /^WARNING: (OOM killer is disabled for the container, but no memory limit is set|Your kernel does not support OomKillDisable)/m);
    ok(['rm', unlimited.stdout.trim()]);
    for (const [body, field] of [
      [{ HostConfig: { UsernsMode: 'remap' } }, 'HostConfig.UsernsMode'],
      [{ HostConfig: { CgroupParent: '/mine' } }, 'HostConfig.CgroupParent'],
      [{ HostConfig: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] } }, 'HostConfig.DeviceRequests'],
      [{ HostConfig: { CpuRealtimeRuntime: 9500 } }, 'HostConfig.CpuRealtimeRuntime'],
      [{ HostConfig: { CpuPeriod: 50_000 } }, 'HostConfig.CpuPeriod'],
      [{ HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/t', BindOptions: { NonRecursive: true } }] } }, 'HostConfig.Mounts[0].BindOptions.NonRecursive'],
      [{ NetworkingConfig: { EndpointsConfig: { default: { IPAMConfig: { IPv6Address: 'fd00::5' } } } } }, 'NetworkingConfig.EndpointsConfig["default"].IPAMConfig.IPv6Address'],
      [{ OnBuild: ['RUN true'] }, 'OnBuild'],
    ] as const) {
      const r = await create(body);
      assert.equal(r.status, 400, `${field}: ${r.body}`);
      assert.ok((JSON.parse(r.body) as { message: string }).message.startsWith(`${field} is not supported by berth`), r.body);
    }
    const wrongType = await create({ HostConfig: { Memory: '64m' } });
    assert.equal(wrongType.status, 400);
    assert.deepEqual(JSON.parse(wrongType.body), { message: 'HostConfig.Memory must be an integer' });
    assert.equal((await create({ HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } })).status, 400);
    assert.equal((await create({ Image: 'nope:1' })).status, 404);
  });

  test('a client killed mid-attach leaves no stuck container: a StdinOnce one ends, another runs on and can be stopped', async () => {
    const env = { ...process.env, ...d.env };
    const docker = dockerClients[presentClients[0]!];
    const withStdin = spawn(docker, ['run', '--name', 'killed-stdin', '-i', image, 'sh', '-c', 'cat; echo eof-seen'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const noStdin = spawn(docker, ['run', '--name', 'killed-plain', image, 'sh', '-c', 'while :; do echo tick; sleep 0.2; done'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    noStdin.stdout.on('data', (b: Buffer) => (seen += b.toString()));
    await until('both running', () => (/tick/.test(seen) && d.docker(['inspect', '-f', '{{.State.Running}}', 'killed-stdin']).stdout.trim() === 'true' ? true : undefined));
    withStdin.kill('SIGKILL');
    noStdin.kill('SIGKILL');
    // The container whose only stdin was that client sees its end (as with dockerd) and exits.
    const status = await until('the StdinOnce container to exit', () => {
      const s = ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'killed-stdin']).trim();
      return s.startsWith('exited') ? s : undefined;
    });
    assert.equal(status, 'exited 0');
    assert.match(ok(['logs', 'killed-stdin']), /eof-seen/);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'killed-plain']).trim(), 'running');
    const before = ok(['logs', 'killed-plain']).length;
    await sleep(500);
    assert.ok(ok(['logs', 'killed-plain']).length > before, 'the detached container goes on writing');
    assert.equal(ok(['stop', '-t', '1', 'killed-plain']).trim(), 'killed-plain');
    ok(['rm', 'killed-stdin', 'killed-plain']);
  });

  test('restarting the daemon leaves running containers running, and they can be attached to and followed again', async () => {
    ok(['run', '-dit', '--name', 'survivor', image, 'sh']);
    ok(['run', '-d', '--name', 'survivor-logs', image, 'sh', '-c', 'echo before; sleep 2; echo after']);
    // One started attached: the daemon owns its streams until it exits, or until the daemon goes.
    const attached = spawn(dockerClients[presentClients[0]!], ['run', '--name', 'survivor-attached', image, 'sh', '-c', 'sleep 2; exit 4'], { env: { ...process.env, ...d.env }, stdio: 'ignore' });
    const attachedExit = new Promise((resolve) => attached.once('exit', resolve));
    await until('the attached run', () => (d.docker(['inspect', '-f', '{{.State.Running}}', 'survivor-attached']).stdout.trim() === 'true' ? true : undefined));
    await d.restart();
    await attachedExit;
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'survivor']).trim(), 'running');
    const followed = d.docker(['logs', '-f', 'survivor-logs'], { timeoutMs: 20_000 });
    assert.equal(followed.code, 0);
    assert.equal(followed.stdout, 'before\nafter\n');
    // Without the daemon, the attached one's monitor recorded its exit itself.
    assert.equal(ok(['wait', 'survivor-attached']).trim(), '4');
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'survivor-attached']).trim(), 'exited 4');
    const again = onTerminal([dockerClients[presentClients[0]!], 'attach', 'survivor'], d.env, 120, [[1, 'echo after-restart\r'], [1.5, 'exit 3\r']]);
    assert.match(again.output, /after-restart/);
    assert.equal(again.code, 3);
    ok(['rm', 'survivor', 'survivor-logs', 'survivor-attached']);
    assert.equal(existsSync(d.socket), true);
  });
});

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}
