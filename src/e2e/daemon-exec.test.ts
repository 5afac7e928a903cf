/**
 * `berth daemon`'s exec endpoints, driven by the real docker CLIs (28 and 20.10) and raw HTTP:
 * output and exit codes, stdin, -e/-w/-u, -d, -it on a terminal (its size, typed input), the
 * errors' texts, and the exec instance's inspect (ExitCode set before the stream closes).
 * One daemon and one running container for the whole file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { apiRequest, dockerClients, presentClients, startDaemon, type Daemon } from './daemon-harness.js';
import { busyboxImage } from './harness.js';
import { onTerminal } from './pty.js';

interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  ContainerID: string;
  Pid: number;
}

describe('berth daemon: exec', () => {
  let d: Daemon;
  let id: string;
  before(async () => {
    d = await startDaemon({ withBusybox: true });
    const r = d.docker(['run', '-d', '--name', 'box', '-e', 'FROM_RUN=1', busyboxImage, 'sleep', '3600']);
    assert.equal(r.code, 0, r.stderr);
    id = r.stdout.trim();
  });
  after(async () => {
    await d.dispose();
  });
  const ok = (args: string[], options: Parameters<Daemon['docker']>[1] = {}) => {
    const r = d.docker(args, options);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** Starts a terminal exec over its own connection, as the CLI does; all that came back once it closed. */
  const startTerminalExec = (execId: string) => new Promise<string>((resolve, reject) => {
    const s = connect(d.socket);
    const body = JSON.stringify({ Detach: false, Tty: true });
    s.write(`POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(text));
  });

  for (const client of presentClients) {
    test(`docker ${client} exec: stdout and stderr apart, the exit code, the container's environment`, () => {
      const r = d.docker(['exec', 'box', 'sh', '-c', 'echo "out $FROM_RUN"; echo err >&2; exit 42'], { client });
      assert.equal(r.code, 42, r.stderr);
      assert.equal(r.stdout, 'out 1\n');
      assert.equal(r.stderr, 'err\n');
      assert.equal(d.docker(['exec', 'box', 'true'], { client }).code, 0);
    });

    test(`docker ${client} exec -i: piped stdin and its end; -e, -w and -u`, () => {
      assert.equal(ok(['exec', '-i', 'box', 'sh', '-c', 'cat; echo end-of-input'], { client, input: 'piped\nlines\n' }), 'piped\nlines\nend-of-input\n');
      assert.equal(ok(['exec', '-e', 'EXTRA=x y', '-w', '/tmp', '-u', '1234:5678', 'box', 'sh', '-c', 'echo "$EXTRA|$(pwd)|$(id -u):$(id -g)"'], { client }), 'x y|/tmp|1234:5678\n');
    });

    test(`docker ${client} exec -it on a terminal: its size (resize held until the process runs), typed input, the exit code`, () => {
      const sized = onTerminal([dockerClients[client], 'exec', '-it', 'box', 'sh', '-c', 'sleep 0.5; stty size; tty; exit 6'], d.env, 101);
      assert.equal(sized.code, 6, sized.output);
      assert.match(sized.output, /30 101\r\n\/dev\/pts\/\d+\r\n/);
      const typed = onTerminal([dockerClients[client], 'exec', '-it', 'box', 'sh'], d.env, 120, [[1, 'echo typed-$((5*5))\r'], [1.5, 'exit 8\r']]);
      assert.equal(typed.code, 8, typed.output);
      assert.match(typed.output, /typed-25/);
    });
  }

  test('exec -it in a runc container: its size, resizes, typed input, the last output and the exit code (runc makes the terminal itself)', async () => {
    // runc passes a terminal over a console socket only when it detaches: it refused the exec with
    // "cannot use console socket if runc will not detach or allocate tty" (exit 126).
    ok(['run', '-d', '--runtime', 'runc', '--name', 'runc-box', busyboxImage, 'sleep', '3600']);
    try {
      const sized = onTerminal([dockerClients[presentClients[0]!], 'exec', '-it', 'runc-box', 'sh', '-c', 'sleep 0.5; stty size; tty; exit 6'], d.env, 101);
      assert.equal(sized.code, 6, sized.output);
      assert.match(sized.output, /30 101\r\n\/dev\/pts\/\d+\r\n/);
      const typed = onTerminal([dockerClients[presentClients[0]!], 'exec', '-it', 'runc-box', 'sh'], d.env, 120, [[1, 'echo typed-$((5*5))\r'], [1.5, 'exit 8\r']]);
      assert.equal(typed.code, 8, typed.output);
      assert.match(typed.output, /typed-25/);
      // A resize after the start reaches the process (runc resizes the container's terminal on SIGWINCH).
      const created = await apiRequest(d.socket, 'POST', '/v1.41/containers/runc-box/exec', JSON.stringify({ AttachStdout: true, Tty: true, Cmd: ['sh', '-c', 'sleep 1; stty size; echo last-line'] }), { 'Content-Type': 'application/json' });
      const execId = (JSON.parse(created.body) as { Id: string }).Id;
      const answer = startTerminalExec(execId);
      await sleep(400);
      assert.equal((await apiRequest(d.socket, 'POST', `/v1.41/exec/${execId}/resize?h=33&w=77`)).status, 200);
      const text = await answer;
      assert.equal(text.slice(text.indexOf('\r\n\r\n') + 4), '33 77\r\nlast-line\r\n');
      const inspected = JSON.parse((await apiRequest(d.socket, 'GET', `/v1.41/exec/${execId}/json`)).body) as { ExitCode: number };
      assert.equal(inspected.ExitCode, 0);
    } finally {
      ok(['rm', '-f', 'runc-box']);
    }
  });

  test('the runtime runs from a sealed copy of itself (sys sealedCopy): nothing of it reaches the exec\'d process, piped or on a terminal', () => {
    // `; :` keeps the shell (busybox would exec ls in its place): the shell's own descriptors
    assert.equal(ok(['exec', 'box', 'sh', '-c', 'ls /proc/$$/fd; :']), '0\n1\n2\n');
    const onTty = onTerminal([dockerClients[presentClients[0]!], 'exec', '-it', 'box', 'sh', '-c', 'ls /proc/$$/fd; :'], d.env, 80);
    assert.equal(onTty.code, 0, onTty.output);
    assert.match(onTty.output, /^0\s+1\s+2\s*$/, onTty.output);
  });

  test('exec -d runs in the background; exec of a missing command exits 126 with the runtime\'s message', async () => {
    assert.equal(ok(['exec', '-d', 'box', 'sh', '-c', 'sleep 0.3; echo done > /tmp/detached']), '');
    for (let i = 0; i < 50 && d.docker(['exec', 'box', 'cat', '/tmp/detached']).stdout !== 'done\n'; i++) await sleep(100);
    assert.equal(ok(['exec', 'box', 'cat', '/tmp/detached']), 'done\n');
    for (const client of presentClients) {
      const missing = d.docker(['exec', 'box', 'no-such-command'], { client });
      assert.equal(missing.code, 126);
      assert.match(missing.stdout + missing.stderr, /no-such-command.*not found/);
    }
  });

  test('exec in a stopped container: dockerd\'s 409 text; in a missing one: 404', () => {
    ok(['create', '--name', 'idle', busyboxImage, 'true']);
    const idle = ok(['inspect', '-f', '{{.Id}}', 'idle']).trim();
    const stopped = d.docker(['exec', 'idle', 'true']);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr.trim(), `Error response from daemon: Container ${idle} is not running`);
    const missing = d.docker(['exec', 'nowhere', 'true']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: nowhere/);
    ok(['rm', 'idle']);
  });

  test('the API: create (201 {Id}), start over an Upgrade (101, frames), inspect with ExitCode set before the stream closed', async () => {
    const created = await apiRequest(d.socket, 'POST', '/v1.41/containers/box/exec', JSON.stringify({ AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'], User: '', Privileged: false }), { 'Content-Type': 'application/json' });
    assert.equal(created.status, 201, created.body);
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    assert.match(execId, /^[0-9a-f]{64}$/);
    const before = JSON.parse((await apiRequest(d.socket, 'GET', `/v1.41/exec/${execId}/json`)).body) as ExecInspect;
    assert.deepEqual([before.Running, before.ExitCode, before.ContainerID], [false, null, id]);
    // What the CLI does: read the stream to its end, then ask for the exit code at once.
    const { bytes, exitCodeAtClose } = await new Promise<{ bytes: Buffer; exitCodeAtClose: Promise<ExecInspect> }>((resolve, reject) => {
      const s = connect(d.socket);
      const body = JSON.stringify({ Detach: false, Tty: false });
      s.write(`POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: \r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      s.end();
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('error', reject);
      s.on('close', () => resolve({ bytes: Buffer.concat(chunks), exitCodeAtClose: apiRequest(d.socket, 'GET', `/v1.41/exec/${execId}/json`).then((r) => JSON.parse(r.body) as ExecInspect) }));
    });
    const text = bytes.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    const body = bytes.subarray(text.indexOf('\r\n\r\n') + 4);
    // stdout frame `hi\n`, stderr frame `oops\n` (in either order: two pipes).
    const frames: [number, string][] = [];
    for (let i = 0; i + 8 <= body.length;) {
      const len = body.readUInt32BE(i + 4);
      frames.push([body[i]!, body.subarray(i + 8, i + 8 + len).toString()]);
      i += 8 + len;
    }
    assert.deepEqual(frames.sort(), [[1, 'hi\n'], [2, 'oops\n']]);
    const after = await exitCodeAtClose;
    assert.deepEqual([after.Running, after.ExitCode], [false, 3]);
    assert.deepEqual(after.ProcessConfig, { tty: false, entrypoint: 'sh', arguments: ['-c', 'echo hi; echo oops >&2; exit 3'], privileged: false, user: '' });
    assert.ok(after.Pid > 0);
    assert.deepEqual([after.OpenStdin, after.OpenStdout, after.OpenStderr], [false, true, true]);
    // The container lists its execs that have not ended, as dockerd: created or running, not this one.
    const listed = () => (JSON.parse(ok(['inspect', '-f', '{{json .ExecIDs}}', 'box'])) as string[] | null) ?? [];
    assert.ok(!listed().includes(execId));
    const pending = (JSON.parse((await apiRequest(d.socket, 'POST', '/v1.41/containers/box/exec', JSON.stringify({ Cmd: ['sleep', '2'] }), { 'Content-Type': 'application/json' })).body) as { Id: string }).Id;
    assert.ok(listed().includes(pending), 'created, not started');
    assert.equal((await apiRequest(d.socket, 'POST', `/v1.41/exec/${pending}/start`, JSON.stringify({ Detach: true }), { 'Content-Type': 'application/json' })).status, 200);
    assert.ok(listed().includes(pending), 'running');
    for (let i = 0; i < 50 && listed().includes(pending); i++) await sleep(100);
    assert.ok(!listed().includes(pending), 'ended');
    // A started exec cannot be started again; an unknown one is a 404.

    const again = await apiRequest(d.socket, 'POST', `/v1.41/exec/${execId}/start`, JSON.stringify({ Detach: true }), { 'Content-Type': 'application/json' });
    assert.equal(again.status, 409);
    const unknown = await apiRequest(d.socket, 'GET', '/v1.41/exec/0123456789abcdef/json');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), { message: 'No such exec instance: 0123456789abcdef' });
    const noCmd = await apiRequest(d.socket, 'POST', '/v1.41/containers/box/exec', JSON.stringify({ Cmd: [] }), { 'Content-Type': 'application/json' });
    assert.equal(noCmd.status, 400);
    assert.deepEqual(JSON.parse(noCmd.body), { message: 'No exec command specified' });
  });

  test('stdin reaches the process when the start body comes in a packet of its own after the headers (the socket read past them is resumed)', async () => {
    for (const tty of [false, true]) {
      const created = await apiRequest(d.socket, 'POST', '/v1.41/containers/box/exec', JSON.stringify({ AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: tty, Cmd: ['sh', '-c', 'read line; echo "got $line"'] }), { 'Content-Type': 'application/json' });
      const execId = (JSON.parse(created.body) as { Id: string }).Id;
      const out = await new Promise<string>((resolve, reject) => {
        const s = connect(d.socket);
        const body = JSON.stringify({ Detach: false, Tty: tty });
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Error(`tty ${tty}: no answer in 10 s (stdin not read)`));
        }, 10_000);
        s.write(`POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: \r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
        setTimeout(() => s.write(body), 100);
        setTimeout(() => s.write('typed\n'), 600);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('error', reject);
        s.on('close', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks).toString('latin1'));
        });
      });
      assert.match(out, /^HTTP\/1\.1 101 UPGRADED\r\n/);
      assert.match(out, /got typed/, `tty ${tty}: ${JSON.stringify(out)}`);
    }
  });

  test("a terminal exec's last output, written as the command exits, is never lost (60 in a row on a busy machine)", async () => {
    // Under load, the master's reads could end (EIO) before the command's last line was read: its
    // "got x" lost after the echo of the typed x, about 1 exec in 10 with one busy loop beside.
    // With the fix undone (exec-streams.ts holds no peer), this test failed in about one run in two.
    // Bounded by timeout(1): a test process killed mid-way leaves no busy loop behind.
    const busy = spawn('timeout', ['90', 'yes'], { stdio: 'ignore' });
    try {
      const lost: string[] = [];
      for (let i = 0; i < 60; i++) {
        const created = await apiRequest(d.socket, 'POST', '/v1.41/containers/box/exec', JSON.stringify({ AttachStdin: true, AttachStdout: true, Tty: true, Cmd: ['sh', '-c', 'read line; echo "got $line"'] }), { 'Content-Type': 'application/json' });
        const execId = (JSON.parse(created.body) as { Id: string }).Id;
        const out = await new Promise<string>((resolve, reject) => {
          const s = connect(d.socket);
          const body = JSON.stringify({ Detach: false, Tty: true });
          s.write(`POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
          setTimeout(() => s.write(body), 20);
          setTimeout(() => s.write(`x${i}\n`), 120);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('error', reject);
          s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        });
        if (!out.includes(`got x${i}\r\n`)) lost.push(JSON.stringify(out.slice(out.indexOf('\r\n\r\n') + 4)));
      }
      assert.deepEqual(lost, []);
    } finally {
      // SIGTERM: timeout(1) passes it on to yes (SIGKILL would leave yes running alone).
      busy.kill('SIGTERM');
    }
  });

  test('framing follows the start body\'s Tty: a terminal exec read as raw bytes; resize of an exec before and after it runs', async () => {
    const created = await apiRequest(d.socket, 'POST', '/v1.41/containers/box/exec', JSON.stringify({ AttachStdout: true, AttachStderr: true, Tty: true, Cmd: ['sh', '-c', 'sleep 0.5; stty size'] }), { 'Content-Type': 'application/json' });
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    const answer = startTerminalExec(execId);
    // Sent at once, as the CLI sends it: the daemon holds it until the process runs.
    const resized = await apiRequest(d.socket, 'POST', `/v1.41/exec/${execId}/resize?h=33&w=77`);
    assert.equal(resized.status, 200);
    const text = await answer;
    assert.equal(text.slice(text.indexOf('\r\n\r\n') + 4), '33 77\r\n');
  });
});
