import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, cgroupScopes, createStore, mountsUnder } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Drives berth through a pseudo-terminal, as a user at a terminal would: `steps` are written one
 * by one (`RESIZE rows cols` resizes the terminal instead), with a pause to collect output.
 * Returns what the terminal showed and berth's exit code.
 */
function throughTerminal(store: Store, args: string[], steps: string[]): { output: string; code: number } {
  const script = `
import os, pty, sys, time, select, struct, fcntl, termios, json
steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
out = b''
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try: d = os.read(fd, 4096)
            except OSError: return
            if not d: return
            out += d
pump(1.5)
for s in steps:
    if s.startswith('RESIZE '):
        _, rows, cols = s.split()
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', int(rows), int(cols), 0, 0))
        os.kill(pid, 28)
    else:
        os.write(fd, s.encode('latin1'))
    pump(0.7)
pump(1.0)
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'output': out.decode('utf8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;
  const r = spawnSync('python3', ['-c', script, JSON.stringify(steps), berthBin, ...args], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as { output: string; code: number };
}

describe('long-running containers', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  const state = (name: string) => {
    const r = store.berth(['inspect', '-f', '{{json .State}}', name]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { Status: string; ExitCode: number; Running: boolean; StartedAt: string };
  };

  test('run -d, logs with stdout and stderr apart, exec, stop with the stop signal, wait, start again', async () => {
    const r = store.berth(['run', '-d', '--name', 'svc', busyboxImage, 'sh', '-c', 'trap "echo got-term; exit 4" TERM; echo out; echo err >&2; while :; do sleep 0.05; done']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    await sleep(300);
    const logs = store.berth(['logs', 'svc']);
    assert.equal(logs.stdout, 'out\n');
    assert.equal(logs.stderr, 'err\n');
    assert.match(store.berth(['logs', '-t', 'svc']).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out\n$/);
    // exec: environment, working directory, user, exit code.
    const ex = store.berth(['exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', 'svc', 'sh', '-c', 'echo $X $(pwd) $(id -u); exit 6']);
    assert.equal(ex.code, 6, ex.stderr);
    assert.equal(ex.stdout, '1 /tmp 65534\n');
    assert.equal(store.berth(['exec', '-i', 'svc', 'cat'], { input: 'piped\n' }).stdout, 'piped\n');
    assert.equal(store.berth(['exec', 'svc', 'no-such-command']).code, 126);
    const envFile = join(store.root, 'exec.env');
    writeFileSync(envFile, 'FROM_FILE=yes\n');
    assert.equal(store.berth(['exec', '--env-file', envFile, 'svc', 'sh', '-c', 'echo $FROM_FILE']).stdout, 'yes\n');
    // --privileged: every capability the host's bounding set holds, for this process only.
    const capEff = (args: string[]) => /CapEff:\s+([0-9a-f]+)/.exec(store.berth(['exec', ...args, 'svc', 'cat', '/proc/self/status']).stdout)?.[1];
    assert.notEqual(capEff(['--privileged']), capEff([]));
    assert.equal(BigInt(`0x${capEff(['--privileged']) ?? '0'}`), BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`));
    assert.equal(store.berth(['exec', '-d', 'svc', 'sh', '-c', 'sleep 0.1']).code, 0);
    // stop: SIGTERM reaches the trap; the exit code is the container's.
    assert.equal(store.berth(['stop', 'svc']).stdout, 'svc\n');
    assert.equal(state('svc').ExitCode, 4);
    assert.equal(store.berth(['wait', 'svc']).stdout, '4\n');
    assert.match(store.berth(['logs', 'svc']).stdout, /out\ngot-term\n/);
    // start again: the log goes on.
    assert.equal(store.berth(['start', 'svc']).code, 0);
    assert.equal(state('svc').Status, 'running');
    assert.equal(store.berth(['start', 'svc']).code, 0, 'starting a running container is no error (Docker 20.10)');
    assert.equal(store.berth(['kill', '-s', 'KILL', 'svc']).code, 0);
    assert.equal(store.berth(['wait', 'svc']).stdout, '137\n');
    assert.equal(store.berth(['exec', 'svc', 'true']).code, 1, 'exec into a stopped container');
    assert.equal(store.berth(['kill', 'svc']).code, 1, 'kill of a stopped container');
    assert.equal(store.berth(['logs', 'svc']).stdout.match(/out\n/g)?.length, 2);
    assert.equal(store.berth(['rm', 'svc']).code, 0);
  });

  test('create, start -a, restart, stop -t with a signal, wait on several containers', () => {
    const id = store.berth(['create', '--name', 'c1', busyboxImage, 'sh', '-c', 'echo hello; exit 3']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(state('c1').Status, 'created');
    const started = store.berth(['start', '-a', 'c1']);
    assert.equal(started.code, 3);
    assert.equal(started.stdout, 'hello\n');
    store.berth(['run', '-d', '--name', 'c2', busyboxImage, 'sh', '-c', 'trap "exit 130" INT; while :; do sleep 0.05; done']);
    const before = state('c2').StartedAt;
    assert.equal(store.berth(['restart', '-t', '1', 'c2']).code, 0);
    assert.equal(state('c2').Status, 'running');
    assert.notEqual(state('c2').StartedAt, before);
    // Its trap ends it on SIGINT (130) without waiting for the timeout.
    const t0 = Date.now();
    assert.equal(store.berth(['stop', '-s', 'SIGINT', '-t', '20', 'c2']).code, 0);
    assert.ok(Date.now() - t0 < 10_000);
    const waited = store.berth(['wait', 'c1', 'c2', 'nosuch']);
    assert.equal(waited.stdout, '3\n130\n');
    assert.equal(waited.code, 1);
    assert.match(waited.stderr, /No such container: nosuch/);
    assert.equal(store.berth(['rm', 'c1', 'c2']).code, 0);
  });

  test('an interactive -it session: input echoed, resize seen by stty size, detach with ctrl-p ctrl-q, re-attach, exit code', () => {
    const first = throughTerminal(store, ['run', '-it', '--name', 'tty1', busyboxImage, 'sh'], [
      'echo typed-$((40+2))\r', 'stty size\r', 'RESIZE 40 100', 'stty size\r', '\x10\x11',
    ]);
    assert.equal(first.code, 0);
    assert.match(first.output, /typed-42/);
    assert.match(first.output, /24 80/);
    assert.match(first.output, /40 100/);
    assert.doesNotMatch(first.output, /\r\r\n/, 'the client terminal is raw: no second carriage return');
    assert.equal(state('tty1').Status, 'running', 'detached, the container runs on');
    const second = throughTerminal(store, ['attach', 'tty1'], ['echo again\r', 'exit 7\r']);
    assert.match(second.output, /again/);
    assert.equal(second.code, 7);
    assert.equal(state('tty1').Status, 'exited');
    assert.equal(store.berth(['rm', 'tty1']).code, 0);
  });

  test('-i without -t pipes stdin and closes it at its end', () => {
    const r = store.berth(['run', '-i', '--rm', busyboxImage, 'sh', '-c', 'cat; echo done'], { input: 'line1\nline2\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'line1\nline2\ndone\n');
    const a = store.berth(['run', '--rm', '-a', 'stderr', busyboxImage, 'sh', '-c', 'echo o; echo e >&2']);
    assert.equal(a.stdout, '');
    assert.equal(a.stderr, 'e\n');
  });

  // Docker's back-off: 100 ms, then doubled for each restart in a row.
  test('--restart on-failure:3 restarts three times with growing delays, then stays exited with RestartCount 3', async () => {
    store.berth(['run', '-d', '--name', 'crash', '--restart', 'on-failure:3', busyboxImage, 'sh', '-c', 'echo run; exit 2']);
    for (let i = 0; i < 100 && !(state('crash').Status === 'exited' && store.berth(['inspect', '-f', '{{.RestartCount}}', 'crash']).stdout.trim() === '3'); i++) await sleep(100);
    await sleep(500);
    assert.equal(store.berth(['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', 'crash']).stdout, '3 exited 2\n');
    const times = store.berth(['logs', '-t', 'crash']).stdout.trim().split('\n').map((l) => Date.parse(l.split(' ')[0] as string));
    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    assert.ok(gaps[0] as number >= 100 && (gaps[1] as number) >= 200 && (gaps[2] as number) >= 400, `gaps ${gaps.join(', ')}`);
    assert.ok((gaps[2] as number) > (gaps[0] as number), `growing: ${gaps.join(', ')}`);
    assert.equal(store.berth(['rm', 'crash']).code, 0);
    // In the foreground, run returns at the first exit, as docker run does; the monitor restarts it.
    const fg = store.berth(['run', '--name', 'crash-fg', '--restart', 'on-failure:2', busyboxImage, 'sh', '-c', 'exit 5']);
    assert.equal(fg.code, 5);
    for (let i = 0; i < 100 && store.berth(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'crash-fg']).stdout !== '2 exited\n'; i++) await sleep(100);
    assert.equal(store.berth(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'crash-fg']).stdout, '2 exited\n');
    assert.equal(store.berth(['rm', 'crash-fg']).code, 0);
  });

  test('--restart always comes back after a simulated reboot (berth system boot); unless-stopped stopped by hand does not', async () => {
    for (const args of [['--name', 'always', '--restart', 'always'], ['--name', 'manual', '--restart', 'unless-stopped'], ['--name', 'plain']]) {
      const r = store.berth(['run', '-d', ...args, busyboxImage, 'sleep', '1000']);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(store.berth(['stop', '-t', '0', 'manual']).code, 0);
    // The reboot: every monitor and container process is killed, mounts and runtime state go.
    for (const name of ['always', 'plain']) {
      const pid = Number(store.berth(['inspect', '-f', '{{.State.Pid}}', name]).stdout);
      // kill(0) would be this test's own process group (the runner, and CI with it).
      assert.ok(Number.isInteger(pid) && pid > 1, `${name} has a pid: ${pid}`);
      const monitor = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => {
        try {
          return spawnSync('cat', [`/proc/${p}/cmdline`]).stdout.toString().includes(`berth-monitor`) && spawnSync('cat', [`/proc/${p}/cmdline`]).stdout.toString().includes(store.root);
        } catch {
          return false;
        }
      });
      if (monitor !== undefined && Number(monitor) > 1) process.kill(Number(monitor), 'SIGKILL');
      process.kill(pid, 'SIGKILL');
    }
    await sleep(100);
    const boot = store.berth(['system', 'boot']);
    assert.equal(boot.code, 0, boot.stderr);
    assert.equal(boot.stdout, 'always\n');
    assert.equal(state('always').Status, 'running');
    assert.equal(state('plain').Status, 'exited');
    assert.equal(state('manual').Status, 'exited');
    assert.equal(store.berth(['rm', '-f', 'always', 'plain', 'manual']).code, 0);
    assert.deepEqual(mountsUnder(store.root), []);
  });

  test('json-file rotation keeps at most max-file files, and logs reads them in order', async () => {
    const r = store.berth(['run', '-d', '--name', 'chatty', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', busyboxImage,
      'sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(store.berth(['wait', 'chatty']).stdout, '0\n');
    const dir = join(store.root, 'containers', r.stdout.trim());
    const files = readdirSync(dir).filter((f) => f.includes('-json.log'));
    assert.equal(files.length, 3, files.join(' '));
    const lines = store.berth(['logs', 'chatty']).stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'line-199');
    assert.ok(lines.length < 200 && lines.length > 10);
    const numbers = lines.map((l) => Number(l.slice(5)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'in order');
    assert.equal(store.berth(['logs', '--tail', '2', 'chatty']).stdout, 'line-198\nline-199\n');
    assert.equal(store.berth(['logs', '--since', '1h', 'chatty']).stdout.trim().split('\n').length, lines.length);
    assert.equal(store.berth(['logs', '--until', '2000-01-01T00:00:00Z', 'chatty']).stdout, '');
    // Docker's `local` format (framed protobuf entries) and compressed rotations read back the same way.
    const writer = 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done; printf unterminated';
    for (const opts of [['--log-driver', 'local', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3'], ['--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true']]) {
      const id = store.berth(['run', '-d', ...opts, busyboxImage, 'sh', '-c', writer]).stdout.trim();
      assert.equal(store.berth(['wait', id]).stdout, '0\n');
      await sleep(300); // gzip of the last rotation
      const out = store.berth(['logs', id]).stdout;
      assert.match(out, /line-199\nunterminated$/, opts.join(' '));
      const files = readdirSync(join(store.root, 'containers', id), { recursive: true }).map(String).filter((f) => /(json\.log|container\.log)/.test(f));
      assert.equal(files.filter((f) => f.endsWith('.gz')).length, 2, files.join(' '));
      const got = out.trim().split('\n').slice(0, -1).map((l) => Number(l.slice(5)));
      assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => 200 - got.length + i), 'the newest lines, in order, none missing');
      store.berth(['rm', id]);
    }
    const none = store.berth(['run', '-d', '--log-driver', 'none', busyboxImage, 'true']).stdout.trim();
    assert.equal(store.berth(['logs', none]).code, 1);
    assert.equal(store.berth(['rm', '-f', 'chatty', none]).code, 0);
  });

  // Observed with dockerd 20.10 for the same output: its json-file lines, byte for byte but the time
  // ({"log":"a\u003cb\u003e\u0026c\"\\\u0009\u0001é\r\n","stream":"stdout","time":"2026-11-29T23:41:19.8909162Z"}).
  test('the json-file log is Docker\'s on-disk format: its escaping, partial lines, Go times', async () => {
    const id = store.berth(['run', '-d', busyboxImage, 'sh', '-c', String.raw`printf "a<b>&c\"\\\\\t\001\303\251\r\n"; printf partial`]).stdout.trim();
    assert.equal(store.berth(['wait', id]).stdout, '0\n');
    const lines = readFileSync(join(store.root, 'containers', id, `${id}-json.log`), 'utf8').trim().split('\n');
    const times = lines.map((l) => /"time":"([^"]*)"/.exec(l)?.[1] ?? '');
    for (const t of times) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/, 'Go RFC3339Nano: no trailing zeros');
    assert.deepEqual(lines.map((l) => l.replace(/"time":"[^"]*"/, '"time":"T"')), [
      String.raw`{"log":"a\u003cb\u003e\u0026c\"\\\u0009\u0001é\r\n","stream":"stdout","time":"T"}`,
      String.raw`{"log":"partial","stream":"stdout","time":"T"}`,
    ]);
    assert.match(store.berth(['logs', '-t', id]).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z a</);
    store.berth(['rm', id]);
  });

  test('logs -f follows a running container until it exits', () => {
    store.berth(['run', '-d', '--name', 'tick', busyboxImage, 'sh', '-c', 'for i in 1 2 3; do echo tick-$i; sleep 0.2; done']);
    const r = store.berth(['logs', '-f', 'tick']);
    assert.equal(r.stdout, 'tick-1\ntick-2\ntick-3\n');
    assert.equal(store.berth(['rm', 'tick']).code, 0);
  });

  test('bad input: each a clear error with Docker\'s exit code, nothing changed', () => {
    store.berth(['run', '-d', '--name', 'busy', busyboxImage, 'sleep', '1000']);
    store.berth(['create', '--name', 'busy2', busyboxImage, 'true']);
    const cases: [string[], number, RegExp][] = [
      [['stop', 'nosuch'], 1, /No such container: nosuch/],
      [['logs', 'nosuch'], 1, /No such container: nosuch/],
      [['exec', 'nosuch', 'true'], 1, /No such container: nosuch/],
      [['run', '-d', '--name', 'busy', busyboxImage, 'true'], 125, /The container name "\/busy" is already in use/],
      [['rm', 'busy'], 1, /You cannot remove a running container/],
      [['exec', 'busy2', 'true'], 1, /is not running/],
      [['run', '--restart', 'sometimes', busyboxImage, 'true'], 125, /invalid restart policy 'sometimes'/],
      [['run', '--restart', 'on-failure:x', busyboxImage, 'true'], 125, /maximum retry count must be an integer/],
      [['run', '--restart', 'always', '--rm', busyboxImage, 'true'], 125, /conflicting options: cannot specify both --restart and --rm/],
      [['run', '--log-opt', 'max-file=2', busyboxImage, 'true'], 125, /max-file cannot be set without max-size/],
      [['attach', 'busy2'], 1, /You cannot attach to a stopped container/],
      [['run', '-it', busyboxImage, 'true'], 125, /the input device is not a TTY/],
    ];
    const snapshot = () => store.berth(['ps', '-a', '--format', '{{.Names}}:{{.State}}']).stdout;
    const before = snapshot();
    for (const [args, code, message] of cases) {
      const r = store.berth(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(snapshot(), before, 'nothing changed');
    assert.equal(store.berth(['rm', '-f', 'busy', 'busy2']).code, 0);
  });

  test('100 containers started detached at once are listed, stopped and removed, and nothing is left', () => {
    const script = `seq 100 | xargs -P 8 -I{} ${berthBin} run -d --name many-{} ${busyboxImage} sleep 1000 >/dev/null`;
    const started = spawnSync('sh', ['-c', script], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 300_000 });
    assert.equal(started.status, 0, started.stderr.toString());
    const running = store.berth(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}}']).stdout.split('\n').filter((l) => / many-\d+$/.test(l)).map((l) => l.split(' ')[0] as string);
    assert.equal(running.length, 100);
    const stop = spawnSync('sh', ['-c', `${berthBin} ps -q --no-trunc | xargs -P 8 -n 10 ${berthBin} stop -t 1 >/dev/null`], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 300_000 });
    assert.equal(stop.status, 0, stop.stderr.toString());
    assert.equal(store.berth(['ps', '-q']).stdout, '');
    const rm = spawnSync('sh', ['-c', `${berthBin} ps -aq | xargs ${berthBin} rm >/dev/null`], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 300_000 });
    assert.equal(rm.status, 0, rm.stderr.toString());
    // Counted: records, mounts, cgroup scopes, monitors, pid files, bundle directories.
    assert.equal(store.berth(['ps', '-aq']).stdout, '');
    assert.deepEqual(mountsUnder(store.root), []);
    assert.deepEqual(cgroupScopes().filter((s) => running.some((id) => s.includes(id))), []);
    const monitors = spawnSync('pgrep', ['-f', `berth-monitor.*${store.root}`]).stdout.toString().trim();
    assert.equal(monitors, '');
    assert.deepEqual(readdirSync(join(store.root, 'containers')), []);
  });
});
