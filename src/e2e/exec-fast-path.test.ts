/**
 * `berth exec` has a native fast path (native/berth_exec.c) beside the Node CLI. These tests hold
 * it to three promises: it is really taken for the common forms (it works with no Node on PATH),
 * it answers exactly as the Node CLI does (same output, status and errors), and everything else
 * falls back to the Node CLI unchanged. Run as root with real containers.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';
import { onTerminal } from './pty.js';

const nodeCli = join(dirname(berthBin), 'berth.cjs');
// PATH without node: only the native program can answer.
const pathWithoutNode = '/usr/sbin:/usr/bin:/sbin:/bin'.split(':').filter((d) => !existsSync(join(d, 'node'))).join(':');

interface Result { code: number; stdout: string; stderr: string }

describe('the native exec fast path', { concurrency: false }, () => {
  let store: Store;
  let id: string;
  const run = (bin: string, args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Result => {
    const r = spawnSync(bin, args, { env: { ...process.env, BERTH_ROOT: store.root, ...opts.env }, input: opts.input ?? '', timeout: 30_000 });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  /** The same exec through the shell entry (fast path) and straight through the Node CLI. */
  const both = (args: string[], input?: string) => [run(berthBin, args, input !== undefined ? { input } : {}), run(nodeCli, args, input !== undefined ? { input } : {})] as const;
  const leftovers = (of = id) => {
    const dir = join(store.root, 'containers', of);
    const logs = readdirSync('/run/berth').flatMap((h) => {
      const d = join('/run/berth', h, 'crun-logs');
      return existsSync(d) ? readdirSync(d).filter((f) => f.includes('.exec-')) : [];
    });
    return [...readdirSync(dir).filter((f) => /^exec-.*\.json$/.test(f)), ...logs.filter((f) => f.startsWith(of))];
  };

  before(() => {
    store = createStore({ withBusybox: true });
    const r = store.berth(['run', '-d', '--name', 'fast', '--network', 'none', '-u', '1000', '-w', '/tmp', '-e', 'FOO=bar', '--cap-drop', 'CHOWN', busyboxImage, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    id = r.stdout.trim();
  });
  after(() => store.dispose());

  test('it is taken for exec, -i, -t: it runs with no Node on PATH, by name, id and id prefix', () => {
    assert.ok(pathWithoutNode.length > 0);
    for (const ref of ['fast', id, id.slice(0, 10)]) {
      const r = run(berthBin, ['exec', ref, 'sh', '-c', 'echo ok'], { env: { PATH: pathWithoutNode } });
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'ok\n', ''], ref);
    }
    const i = run(berthBin, ['exec', '-i', 'fast', 'cat'], { input: 'typed\n', env: { PATH: pathWithoutNode } });
    assert.deepEqual([i.code, i.stdout], [0, 'typed\n']);
    // A flag the fast path leaves alone goes to Node: without Node on PATH that is an error.
    const e = run(berthBin, ['exec', '-e', 'X=1', 'fast', 'true'], { env: { PATH: pathWithoutNode } });
    assert.equal(e.code, 125);
    assert.match(e.stderr, /cannot run node/);
  });

  test('it gives what the Node CLI gives: user, directory, environment, capabilities, status, stdin', () => {
    const probe = ['exec', 'fast', 'sh', '-c', 'id; pwd; echo "$FOO $HOME"; grep -E "^Cap(Eff|Bnd)" /proc/self/status; exit 3'];
    const [fast, node] = both(probe);
    assert.deepEqual(fast, node);
    assert.equal(fast.code, 3);
    assert.match(fast.stdout, /^uid=1000\(app\).*\n\/tmp\nbar \/home\/app\n/);
    // Without -i, stdin is empty (not the caller's); with -i it is the caller's.
    assert.deepEqual(both(['exec', 'fast', 'cat'], 'not read\n')[0], { code: 0, stdout: '', stderr: '' });
    const [fi, ni] = both(['exec', '-i', 'fast', 'cat'], 'read\n');
    assert.deepEqual(fi, ni);
    assert.equal(fi.stdout, 'read\n');
    // A process killed by a signal: 128 + the signal, on both.
    const [fk, nk] = both(['exec', 'fast', 'sh', '-c', 'kill -9 $$']);
    assert.deepEqual(fk, nk);
    assert.equal(fk.code, 137);
  });

  test('-it in a terminal: a pseudo-terminal of the size of the caller\'s, on both paths', () => {
    // The size is in the exec's process (consoleSize): the runtime sets it before the command
    // runs, so a `stty size` at once reads it (when crun copied the caller's size itself, after the
    // start, it could come too late under load). The terminal comes over a console socket and
    // berth copies it to its end, so the output of a command that exits at once is all there
    // (crun's own copy could end before it, under load). `-t` always goes through Node.
    const script = `
import os, pty, sys, struct, fcntl, termios
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 31, 97, 0, 0))
    os.execv(sys.argv[1], [sys.argv[1], 'exec', '-it', 'fast', 'sh', '-c', 'tty; stty size; exit 5'])
out = b''
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace') + '|' + str(os.waitstatus_to_exitcode(status)))
`;
    const answers = [berthBin, nodeCli].map((bin) => spawnSync('python3', ['-c', script, bin], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 30_000 }).stdout.toString());
    assert.equal(answers[0], answers[1]);
    assert.match(answers[0] ?? '', /^\/dev\/pts\/\d+\r\n31 97\r\n\|5$/);
    // -t without -i: a terminal of the caller's size all the same (it failed when crun kept the
    // terminal: crun wanted its stdin to be one). The caller's terminal stays out of raw mode, so its
    // own output processing adds a \r: docker 20.10 and 28 print the same '\r\r\n' (observed
    // against dockerd 20.10 through a pseudo-terminal).
    const noStdin = [berthBin, nodeCli].map((bin) => spawnSync('python3', ['-c', script.replace("'-it'", "'-t'"), bin], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 30_000 }).stdout.toString());
    assert.equal(noStdin[0], noStdin[1]);
    assert.match(noStdin[0] ?? '', /^\/dev\/pts\/\d+\r\r\n31 97\r\r\n\|5$/);
    // Typed input reaches the shell (raw: the echo comes from the container's terminal), in a
    // terminal of the caller's size.
    const typed = onTerminal([berthBin, 'exec', '-it', 'fast', 'sh'], { BERTH_ROOT: store.root }, 120, [[1, 'echo in=$((2+3)); stty size\r'], [2, 'exit 6\r']]);
    assert.equal(typed.code, 6, typed.output);
    assert.match(typed.output, /in=5\r\n30 120\r\n/);
  });

  test('-it: the detach keys leave the command running and say so, as Docker\'s exec does; --detach-keys changes them', async () => {
    // Observed with docker 20.10 and dockerd 20.10: ctrl-p ctrl-q prints "read escape sequence"
    // on the terminal and exits 1; the shell's command goes on.
    const env = { BERTH_ROOT: store.root };
    const gone = onTerminal([berthBin, 'exec', '-it', 'fast', 'sh'], env, 120, [[1, 'echo a > /tmp/dk1; sleep 1; echo b > /tmp/dk2\r'], [2, '\x10\x11']]);
    assert.equal(gone.code, 1, gone.output);
    assert.match(gone.output, /\r\nread escape sequence\r\n$/);
    const custom = onTerminal([berthBin, 'exec', '-it', '--detach-keys', 'ctrl-x', 'fast', 'sh'], env, 120, [[1, 'echo c\x10d\r'], [2, '\x18']]);
    assert.equal(custom.code, 1, custom.output);
    assert.match(custom.output, /\r\ncd\r\n[^]*read escape sequence\r\n$/, 'ctrl-p reaches the shell when it is not a detach key');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(store.berth(['exec', 'fast', 'cat', '/tmp/dk1', '/tmp/dk2']).stdout, 'a\nb\n', 'the command ran on after the detach');
    const bad = onTerminal([berthBin, 'exec', '-it', '--detach-keys', 'ctrl-', 'fast', 'true'], env);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /Invalid detach keys \(ctrl-\) provided/);
    assert.deepEqual(leftovers(), []);
  });

  test('an exec SIGKILLed before its clean-up leaves files only until its container stops', async () => {
    const other = store.berth(['run', '-d', '--network', 'none', busyboxImage, 'sleep', '1000']).stdout.trim();
    const child = spawn(process.execPath, [nodeCli, 'exec', '-t', other, 'sleep', '100'], { env: { ...process.env, BERTH_ROOT: store.root }, stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (leftovers(other).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(leftovers(other).length, 3, `the process file and the runtime's log and pid file: ${leftovers(other).join(' ')}`);
    assert.equal(store.berth(['stop', '-t', '0', other]).code, 0);
    assert.deepEqual(leftovers(other), []);
    store.berth(['rm', other]);
  });

  test('-d runs the command in the background, on a terminal of its own with -t; a command that cannot start is an error', async () => {
    // Observed with dockerd 20.10: `exec -dt` runs the command on a terminal (shim-held), and
    // `exec -d` of a missing command prints "Error response from daemon: OCI runtime exec failed:
    // ..." and exits 1.
    assert.deepEqual(store.berth(['exec', '-d', 'fast', 'sh', '-c', 'echo plain > /tmp/d1']), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(store.berth(['exec', '-dt', 'fast', 'sh', '-c', 'tty > /tmp/d2; sleep 1; echo after > /tmp/d3']), { code: 0, stdout: '', stderr: '' });
    // The terminal outlives berth: the command was not hung up when berth exited.
    await new Promise((r) => setTimeout(r, 1800));
    assert.deepEqual(store.berth(['exec', 'fast', 'cat', '/tmp/d1', '/tmp/d2', '/tmp/d3']).stdout.replace(/\d+/, 'N'), 'plain\n/dev/pts/N\nafter\n');
    for (const args of [['exec', '-d', 'fast', 'no-such-command'], ['exec', '-dt', 'fast', 'no-such-command']]) {
      const r = store.berth(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /^Error response from daemon: .*no-such-command.* not found/m, args.join(' '));
    }
    assert.deepEqual(leftovers(), []);
  });

  test('arguments reach the process byte for byte (quotes, backslashes, newlines, control characters, UTF-8)', () => {
    const odd = ['a "quoted" \\ word', 'line\nbreak\ttab', '\u0001\u001f', 'ünïcödé ✓', ''];
    const [fast, node] = both(['exec', 'fast', 'printf', '[%s]', ...odd]);
    assert.deepEqual(fast, node);
    assert.equal(fast.stdout, odd.map((a) => `[${a}]`).join(''));
  });

  test('failures read the same: a missing or non-executable command (126), unknown and stopped containers', () => {
    for (const args of [['exec', 'fast', 'no-such-command'], ['exec', 'fast', '/etc'], ['exec', 'nosuch', 'true']]) {
      const [fast, node] = both(args);
      assert.deepEqual(fast, node, args.join(' '));
    }
    const missing = both(['exec', 'fast', 'no-such-command'])[0];
    assert.equal(missing.code, 126);
    // Said once (by the runtime, on the stderr it shares with the command), not twice.
    assert.equal(missing.stderr.match(/no-such-command/g)?.length, 1, missing.stderr);
    assert.deepEqual(leftovers(), []);
    assert.equal(store.berth(['pause', 'fast']).code, 0);
    try {
      const [fast, node] = both(['exec', 'fast', 'true']);
      assert.deepEqual(fast, node);
      assert.match(fast.stderr, /is paused/);
    } finally {
      assert.equal(store.berth(['unpause', 'fast']).code, 0);
    }
  });

  test('an argument that is not UTF-8 goes to Node, which runs it as Node decodes it', () => {
    // Node cannot put such bytes into an argv itself: a shell does.
    const viaShell = (bin: string, path: string) => spawnSync('/bin/sh', ['-c', 'exec "$0" exec fast printf %s "$(printf \'f\\377o\')"', bin], { env: { ...process.env, BERTH_ROOT: store.root, PATH: path } });
    const fast = viaShell(berthBin, process.env.PATH ?? '');
    const node = viaShell(nodeCli, process.env.PATH ?? '');
    assert.deepEqual([fast.status, fast.stdout.toString('hex')], [node.status, node.stdout.toString('hex')]);
    assert.equal(fast.stdout.toString(), 'f\ufffdo');
    // Without Node on PATH the fast path cannot answer: it handed the line over rather than pass bytes Node would have replaced.
    assert.equal(viaShell(berthBin, pathWithoutNode).status, 125);
  });

  test('a stopped container, a name that is also an id prefix: Docker precedence, same answers', () => {
    const other = store.berth(['create', '--network', 'none', '--name', id.slice(0, 6), busyboxImage, 'true']);
    assert.equal(other.code, 0, other.stderr);
    // The name wins over the id prefix (Docker's order): that container is not running.
    const [fast, node] = both(['exec', id.slice(0, 6), 'true']);
    assert.deepEqual(fast, node);
    assert.equal(fast.code, 1);
    assert.match(fast.stderr, /is not running/);
    assert.equal(store.berth(['stop', '-t', '0', 'fast']).code, 0);
    const [fs, ns] = both(['exec', 'fast', 'true']);
    assert.deepEqual(fs, ns);
    assert.match(fs.stderr, /is not running/);
    assert.deepEqual(leftovers(), []);
  });
});
