/**
 * `berth --host` (and BERTH_HOST): the berth CLI driving a daemon through the remote engine
 * (src/client), against two daemons — a `berth daemon` started on a fresh store, and the shared
 * reference dockerd (tools/reference-dockerd.sh) — with the same scenarios. The output is compared
 * with what the daemon's own side prints: plain `berth` on the berth daemon's store, the docker 28
 * CLI against dockerd. A scenario whose endpoints the berth daemon does not serve yet is skipped
 * for it, with the endpoint named (the probe asks the daemon, so the test follows the daemon as
 * it grows).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { apiRequest, dockerClients, startDaemon, type Daemon } from './daemon-harness.js';
import { berthBin, busyboxImage, busyboxRootfsTar, createStore, repoRoot, type Result, type Store } from './harness.js';

const refSocket = '/run/berth-ref-docker/docker.sock';
const refImage = 'remote14-test/busybox:1';

interface Backend {
  name: string;
  host: string;
  socket: string;
  image: string;
  /** berth with --host. */
  berth(args: string[], options?: { input?: string | Buffer; env?: Record<string, string>; cwd?: string; timeoutMs?: number }): Result;
  /** The daemon's own side, for comparisons: plain berth on the daemon's store, or the docker CLI against dockerd. */
  reference(args: string[]): Result;
  /** Why the daemon cannot serve these calls (`METHOD /path`), or undefined when it serves them all. */
  missing(...calls: string[]): Promise<string | undefined>;
}

function run(argv: string[], options: { input?: string | Buffer; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Result {
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    env: { ...process.env, ...options.env }, input: options.input ?? '', timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20, ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { code: r.status ?? 128 + (r.signal ? 9 : 0), stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Asks the daemon each call with made-up names: any answer but the router's `page not found` means the route exists. */
async function probe(socket: string, calls: readonly string[]): Promise<string | undefined> {
  for (const call of calls) {
    const [method, bare] = call.split(' ') as [string, string];
    // A stream that would not end: events within a past second only.
    const path = bare === '/events' ? '/events?since=1&until=2' : bare;
    // Once more when a kept-alive connection was closed under the request (EPIPE, ECONNRESET).
    const answer = await apiRequest(socket, method, `/v1.41${path}`).catch(() => apiRequest(socket, method, `/v1.41${path}`));
    if (answer.status === 404 && /page not found/.test(answer.body)) return `the daemon does not serve ${call} yet`;
  }
  return undefined;
}

/** Docker's human durations made alike, and the padding they change: tables compared across a second's boundary. */
function sameTimes(text: string): string {
  return text
    .replace(/\b(\d+ (seconds?|minutes?|hours?)|Less than a second|About a minute|About an hour)\b/g, 'T')
    .replace(/ {2,}/g, '  ')
    .trim();
}

/** Runs argv on a pseudo-terminal, typing each of `inputs` 1.5 s apart; returns what the terminal showed and the exit code. */
function onTerminalTyping(argv: string[], inputs: string[], env: Record<string, string> = {}): { output: string; code: number } {
  const script = `
import os, pty, sys, select, time, json
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
inputs = json.loads(sys.argv[1])
out = b''; start = time.time(); i = 0
while True:
    if i < len(inputs) and time.time() - start > 1.5 * (i + 1):
        os.write(fd, inputs[i].encode('latin1')); i += 1
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try: d = os.read(fd, 65536)
        except OSError: break
        if not d: break
        out += d
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'output': out.decode('utf8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;
  const r = spawnSync('python3', ['-c', script, JSON.stringify(inputs), ...argv], { env: { ...process.env, ...env }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as { output: string; code: number };
}

const ok = (r: Result, what = '') => assert.equal(r.code, 0, `${what}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

/** One scenario, run against each backend; skipped for one that lacks the endpoints it needs. */
function scenario(name: string, calls: string[], fn: (b: Backend, t: TestContext) => Promise<void> | void): void {
  for (const key of ['berth daemon', 'dockerd'] as const) {
    test(`${name} (${key})`, async (t) => {
      const b = backends[key];
      if (!b) {
        t.skip(`${key} is not available`);
        return;
      }
      const why = await b.missing(...calls);
      if (why) {
        t.skip(why);
        return;
      }
      await fn(b, t);
    });
  }
}

const backends: Partial<Record<'berth daemon' | 'dockerd', Backend>> = {};
let daemon: Daemon;
let store: Store;
/** A store of its own for plain berth beside the daemons (the exec fast path's test). */
let localStore: Store;
/** Containers, images, volumes and networks each backend got from a test, removed at the end. */
const made = { containers: new Set<string>(), images: new Set<string>(), volumes: new Set<string>(), networks: new Set<string>() };
let seq = 0;
const unique = (what: string) => `r14t-${process.pid}-${what}-${++seq}`;
const container = (what: string) => {
  const n = unique(what);
  made.containers.add(n);
  return n;
};

describe('berth --host: the CLI through a daemon', () => {
  before(async () => {
    store = createStore({ withBusybox: true });
    localStore = createStore({ withBusybox: true });
    daemon = await startDaemon({ store });
    const berthSide = (args: string[], options = {}) => run([berthBin, '-H', daemon.host, ...args], options);
    backends['berth daemon'] = {
      name: 'berth daemon', host: daemon.host, socket: daemon.socket, image: busyboxImage,
      berth: berthSide,
      reference: (args) => store.berth(args),
      missing: (...calls) => probe(daemon.socket, calls),
    };
    // The shared reference dockerd: started if it is not (it is never stopped here).
    const started = run([join(repoRoot, 'tools', 'reference-dockerd.sh'), 'start'], { timeoutMs: 120_000 });
    if (started.code === 0 && existsSync(refSocket)) {
      const docker = (args: string[], options: { input?: string | Buffer } = {}) => run([existsSync(dockerClients.v28) ? dockerClients.v28 : dockerClients.v20, ...args], { ...options, env: { DOCKER_HOST: `unix://${refSocket}` } });
      if (docker(['image', 'inspect', refImage]).code !== 0) ok(docker(['import', '--change', 'CMD ["sh"]', '-', refImage], { input: busyboxRootfsTar() }), 'import busybox into dockerd');
      backends.dockerd = {
        name: 'dockerd', host: `unix://${refSocket}`, socket: refSocket, image: refImage,
        berth: (args, options = {}) => run([berthBin, '-H', `unix://${refSocket}`, ...args], options),
        reference: docker,
        missing: async () => undefined,
      };
    }
  });

  after(async () => {
    for (const b of Object.values(backends)) {
      if (made.containers.size > 0) b.berth(['rm', '-f', ...made.containers]);
      for (const n of made.networks) b.berth(['network', 'rm', n]);
      for (const v of made.volumes) b.berth(['volume', 'rm', '-f', v]);
      for (const i of made.images) b.berth(['rmi', '-f', i]);
    }
    await daemon?.dispose();
    store?.dispose();
    localStore?.dispose();
  });

  scenario('version and info show the daemon as the Server', ['GET /version', 'GET /info'], (b) => {
    const version = b.berth(['version', '--format', '{{.Server.Version}}|{{.Server.APIVersion}}|{{.Client.APIVersion}}']);
    ok(version);
    const expected = b.reference(['version', '--format', '{{.Server.Version}}|{{.Server.APIVersion}}']);
    ok(expected);
    assert.equal(version.stdout.trim(), `${expected.stdout.trim()}|1.41`);
    const text = b.berth(['version']);
    ok(text);
    assert.match(text.stdout, /^Server:\n Engine:\n {2}Version: +\S+/m);
    const root = b.berth(['info', '--format', '{{.DockerRootDir}}|{{.Name}}|{{.NCPU}}']);
    ok(root);
    assert.equal(root.stdout, b.reference(['info', '--format', '{{.DockerRootDir}}|{{.Name}}|{{.NCPU}}']).stdout);
    const info = b.berth(['info']);
    ok(info);
    assert.match(info.stdout, new RegExp(`^ Server Version: ${expected.stdout.trim().split('|')[0]?.replace(/[.+]/g, '\\$&')}$`, 'm'));
  });

  scenario('ps lists the daemon\'s containers as its own side does: -a, filters, --format', ['GET /containers/json', 'POST /containers/create', 'POST /containers/r14-probe/start', 'POST /containers/r14-probe/wait'], (b) => {
    const label = unique('label');
    const running = container('up');
    const exited = container('exited');
    const created = container('created');
    ok(b.berth(['run', '-d', '--name', running, '--label', `r14=${label}`, '--network', 'none', b.image, 'sleep', '300']));
    ok(b.berth(['create', '--name', created, '--label', `r14=${label}`, '--network', 'none', b.image, 'true']));
    assert.equal(b.berth(['run', '--name', exited, '--label', `r14=${label}`, '--label', 'extra=yes', '--network', 'none', b.image, 'sh', '-c', 'exit 3']).code, 3);
    const filter = ['--filter', `label=r14=${label}`];
    const format = ['--format', '{{.Names}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Status}}|{{.Labels}}|{{.Ports}}'];
    for (const args of [['ps', ...filter, ...format], ['ps', '-a', ...filter, ...format], ['ps', '-a', ...filter, '--filter', 'status=exited', ...format], ['ps', '-a', ...filter], ['ps', '-a', '--no-trunc', ...filter], ['ps', '-aq', ...filter]]) {
      const got = b.berth(args);
      ok(got, args.join(' '));
      const want = b.reference(args);
      ok(want, args.join(' '));
      assert.equal(sameTimes(got.stdout), sameTimes(want.stdout), args.join(' '));
    }
    // dockerd quotes an argument with spaces in Command; berth (the CLI and its daemon) does not.
    const lines = b.berth(['ps', '-a', ...filter, ...format]).stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines.find((l) => l.startsWith(`${exited}|`)) ?? '', new RegExp(`^${exited}\\|${b.image.replace(/[.]/g, '\\.')}\\|"sh -c '?exit 3'?"\\|exited\\|Exited \\(3\\) .* ago\\|extra=yes,r14=${label}\\|$`));
    assert.match(lines.find((l) => l.startsWith(`${running}|`)) ?? '', /\|running\|Up /);
    assert.match(lines.find((l) => l.startsWith(`${created}|`)) ?? '', /\|created\|Created\|/);
  });

  scenario('run: --rm in the foreground keeps stdout and stderr apart and exits with the container\'s code; -d prints the id', ['POST /containers/create', 'POST /containers/r14-probe/attach', 'POST /containers/r14-probe/wait', 'POST /containers/r14-probe/start', 'GET /containers/r14-probe/json'], (b) => {
    const name = container('fg');
    const fg = b.berth(['run', '--rm', '--name', name, '--network', 'none', b.image, 'sh', '-c', 'echo to-out; echo to-err >&2; exit 5']);
    assert.equal(fg.code, 5, fg.stderr);
    assert.equal(fg.stdout, 'to-out\n');
    assert.equal(fg.stderr, 'to-err\n');
    // --rm: the daemon removed it once it exited.
    assert.match(b.berth(['inspect', '--type', 'container', name]).stderr, /No such container/);
    const bg = container('bg');
    const d = b.berth(['run', '-d', '--name', bg, '--network', 'none', b.image, 'sleep', '300']);
    ok(d);
    assert.match(d.stdout, /^[a-f0-9]{64}\n$/);
    assert.equal(b.berth(['inspect', '-f', '{{.Id}} {{.State.Status}} {{.Name}}', bg]).stdout, `${d.stdout.trim()} running /${bg}\n`);
    const stdin = b.berth(['run', '-i', '--rm', '--network', 'none', b.image, 'sh', '-c', 'tr a-z A-Z; echo end'], { input: 'piped through stdin\n' });
    ok(stdin);
    assert.equal(stdin.stdout, 'PIPED THROUGH STDIN\nend\n');
    const missing = b.berth(['run', '--rm', '--network', 'none', b.image, '/no/such/command']);
    assert.equal(missing.code, 127, missing.stderr);
  });

  scenario('run -it and exec -it through the hijacked stream on a terminal', ['POST /containers/create', 'POST /containers/r14-probe/attach', 'POST /containers/r14-probe/start', 'POST /containers/r14-probe/exec', 'POST /exec/r14-probe/start', 'GET /exec/r14-probe/json', 'POST /containers/r14-probe/resize'], (b) => {
    const it = onTerminalTyping([berthBin, '-H', b.host, 'run', '--rm', '-it', '--network', 'none', b.image, 'sh'], ['echo sum=$((6*7)); tty; exit 4\n']);
    assert.equal(it.code, 4, it.output);
    assert.match(it.output, /sum=42\r\n\/dev\/pts\/\d+\r\n/);
    const name = container('exec-it');
    ok(b.berth(['run', '-d', '--name', name, '--network', 'none', b.image, 'sleep', '300']));
    const ex = onTerminalTyping([berthBin, '-H', b.host, 'exec', '-it', name, 'sh'], ['echo in=$((2+3)); tty; exit 6\n']);
    assert.equal(ex.code, 6, ex.output);
    assert.match(ex.output, /in=5\r\n\/dev\/pts\/\d+\r\n/);
    // Detach keys: ctrl-p ctrl-q leaves the container running.
    const attached = container('attach');
    ok(b.berth(['run', '-dit', '--name', attached, '--network', 'none', b.image, 'sh']));
    const session = onTerminalTyping([berthBin, '-H', b.host, 'attach', attached], ['echo attached-$((1+1))\n', '\x10\x11']);
    assert.equal(session.code, 0, session.output);
    assert.match(session.output, /attached-2/);
    assert.equal(b.berth(['inspect', '-f', '{{.State.Status}}', attached]).stdout, 'running\n');
  });

  scenario('create, start, stop, restart, kill, wait and rm', ['POST /containers/create', 'POST /containers/r14-probe/start', 'POST /containers/r14-probe/stop', 'POST /containers/r14-probe/kill', 'POST /containers/r14-probe/wait', 'DELETE /containers/r14-probe', 'POST /containers/r14-probe/attach'], (b) => {
    const name = container('life');
    // A PID 1 that ends on SIGTERM (a shell's default is to ignore it as PID 1).
    const created = b.berth(['create', '--name', name, '--network', 'none', b.image, 'sh', '-c', 'trap "exit 9" TERM; while :; do sleep 0.1; done']);
    ok(created);
    assert.match(created.stdout, /^[a-f0-9]{64}\n$/);
    const state = () => b.berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]).stdout.trim();
    assert.equal(state(), 'created 0');
    assert.equal(b.berth(['start', name]).stdout, `${name}\n`);
    assert.equal(state(), 'running 0');
    const stop = b.berth(['stop', '-t', '5', name]);
    ok(stop);
    assert.equal(stop.stdout, `${name}\n`);
    assert.equal(state(), 'exited 9');
    assert.equal(b.berth(['wait', name]).stdout, '9\n');
    assert.equal(b.berth(['restart', '-t', '5', name]).stdout, `${name}\n`);
    assert.equal(state(), 'running 0');
    ok(b.berth(['kill', '-s', 'KILL', name]));
    assert.equal(b.berth(['wait', name]).stdout, '137\n');
    const killStopped = b.berth(['kill', name]);
    assert.equal(killStopped.code, 1);
    assert.match(killStopped.stderr, /is not running/);
    const attachedStart = container('start-a');
    ok(b.berth(['create', '--name', attachedStart, '--network', 'none', b.image, 'sh', '-c', 'echo from-start-a; exit 7']));
    const sa = b.berth(['start', '-a', attachedStart]);
    assert.equal(sa.code, 7, sa.stderr);
    assert.equal(sa.stdout, 'from-start-a\n');
    ok(b.berth(['start', name]));
    const refused = b.berth(['rm', name]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error response from daemon: .*running container/);
    const removed = b.berth(['rm', '-f', name, attachedStart]);
    ok(removed);
    assert.equal(removed.stdout, `${name}\n${attachedStart}\n`);
    assert.match(b.berth(['rm', name]).stderr, /^Error response from daemon: No such container: /);
  });

  scenario('logs: stdout and stderr apart, --tail, -t, and -f until the container exits', ['POST /containers/create', 'POST /containers/r14-probe/start', 'GET /containers/r14-probe/logs', 'GET /containers/r14-probe/json'], (b) => {
    const name = container('logs');
    ok(b.berth(['run', '-d', '--name', name, '--network', 'none', b.image, 'sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.3; done']));
    const follow = b.berth(['logs', '-f', name]);
    ok(follow);
    assert.equal(follow.stdout, 'out1\nout2\nout3\n');
    assert.equal(follow.stderr, 'err1\nerr2\nerr3\n');
    // The last entry of the log is stderr's.
    const tail = b.berth(['logs', '--tail', '2', '-t', name]);
    ok(tail);
    assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out3\n$/);
    assert.match(tail.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z err3\n$/);
    assert.equal(b.berth(['logs', name]).stdout, b.reference(['logs', name]).stdout);
  });

  scenario('exec: the command\'s exit code, stdin with -i, -e/-w/-u, a stopped container refused', ['POST /containers/create', 'POST /containers/r14-probe/start', 'POST /containers/r14-probe/exec', 'POST /exec/r14-probe/start', 'GET /exec/r14-probe/json'], (b) => {
    const name = container('exec');
    ok(b.berth(['run', '-d', '--name', name, '--network', 'none', b.image, 'sleep', '300']));
    const code = b.berth(['exec', name, 'sh', '-c', 'echo in-exec; echo exec-err >&2; exit 4']);
    assert.equal(code.code, 4);
    assert.equal(code.stdout, 'in-exec\n');
    assert.equal(code.stderr, 'exec-err\n');
    assert.equal(b.berth(['exec', '-i', name, 'sh', '-c', 'wc -c'], { input: '12345' }).stdout.trim(), '5');
    assert.equal(b.berth(['exec', '-e', 'GREETING=hey', '-w', '/tmp', '-u', '1000', name, 'sh', '-c', 'echo $GREETING $(pwd) $(id -u)']).stdout, 'hey /tmp 1000\n');
    ok(b.berth(['exec', '-d', name, 'sh', '-c', 'echo detached > /tmp/d']));
    assert.equal(b.berth(['exec', name, 'cat', '/tmp/d']).stdout, 'detached\n');
    ok(b.berth(['stop', '-t', '0', name]));
    const stopped = b.berth(['exec', name, 'true']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /is not running/);
  });

  scenario('the exec fast path is not taken for a daemon (BERTH_HOST), though a local container has the name', ['POST /containers/create', 'POST /containers/r14-probe/exec', 'POST /exec/r14-probe/start'], (b) => {
    const name = container('samename');
    // The same name in a local store and on the daemon; their hostnames are their ids.
    const local = localStore.berth(['run', '-d', '--name', name, '--network', 'none', busyboxImage, 'sleep', '300']);
    ok(local);
    try {
      const remote = b.berth(['run', '-d', '--name', name, '--network', 'none', b.image, 'sleep', '300']);
      ok(remote);
      const viaEnv = run([berthBin, 'exec', name, 'hostname'], { env: { BERTH_ROOT: localStore.root, BERTH_HOST: b.host } });
      ok(viaEnv);
      assert.equal(viaEnv.stdout.trim(), remote.stdout.trim().slice(0, 12));
      const viaFlag = run([berthBin, '-H', b.host, 'exec', name, 'hostname'], { env: { BERTH_ROOT: localStore.root } });
      assert.equal(viaFlag.stdout.trim(), remote.stdout.trim().slice(0, 12));
      // --root beats BERTH_HOST: the local container (through the fast path).
      const viaRoot = run([berthBin, '--root', localStore.root, 'exec', name, 'hostname'], { env: { BERTH_HOST: b.host } });
      assert.equal(viaRoot.stdout.trim(), local.stdout.trim().slice(0, 12));
    } finally {
      localStore.berth(['rm', '-f', name]);
    }
  });

  scenario('inspect a container and an image; images, tag and rmi', ['GET /containers/r14-probe/json', 'GET /images/r14-probe/json', 'GET /images/json', 'POST /images/r14-probe/tag', 'DELETE /images/r14-probe', 'POST /containers/create'], (b) => {
    const name = container('inspect');
    ok(b.berth(['create', '--name', name, '--network', 'none', '-e', 'A=1', '--label', 'k=v', '-w', '/tmp', b.image, 'echo', 'hi']));
    const fields = '{{.Name}}|{{.Config.Image}}|{{json .Config.Cmd}}|{{index .Config.Labels "k"}}|{{.Config.WorkingDir}}|{{.State.Status}}|{{.HostConfig.NetworkMode}}';
    const got = b.berth(['inspect', '-f', fields, name]);
    ok(got);
    assert.equal(got.stdout, b.reference(['inspect', '-f', fields, name]).stdout);
    assert.equal(got.stdout, `/${name}|${b.image}|["echo","hi"]|v|/tmp|created|none\n`);
    const json = JSON.parse(b.berth(['inspect', name]).stdout) as { Id: string; Config: { Env: string[] } }[];
    assert.equal(json.length, 1);
    assert.ok(json[0]?.Config.Env.includes('A=1'));
    const imageFields = '{{.Id}}|{{json .RepoTags}}|{{.Os}}|{{.Architecture}}|{{len .RootFS.Layers}}';
    const image = b.berth(['inspect', '--type', 'image', '-f', imageFields, b.image]);
    ok(image);
    assert.equal(image.stdout, b.reference(['image', 'inspect', '-f', imageFields, b.image]).stdout);
    const tag = `r14t-tag-${process.pid}:v${++seq}`;
    made.images.add(tag);
    ok(b.berth(['tag', b.image, tag]));
    const listed = b.berth(['images', tag.split(':')[0] as string, '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']);
    ok(listed);
    assert.equal(listed.stdout, b.reference(['images', tag.split(':')[0] as string, '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']).stdout);
    assert.equal(listed.stdout.split(' ')[0], tag);
    const table = b.berth(['images', tag.split(':')[0] as string]);
    assert.equal(sameTimes(table.stdout), sameTimes(b.reference(['images', tag.split(':')[0] as string]).stdout));
    const rmi = b.berth(['rmi', tag]);
    ok(rmi);
    assert.equal(rmi.stdout, `Untagged: ${tag}\n`);
    assert.match(b.berth(['rmi', tag]).stderr, /No such image/i);
    assert.match(b.berth(['inspect', 'r14t-no-such-thing']).stderr, /No such object: r14t-no-such-thing/);
  });

  scenario('build: the context as a tar with .dockerignore applied here, build args, target, errors', ['POST /build', 'GET /images/r14-probe/json', 'POST /containers/create'], (b) => {
    const dir = mkdtempSync(join(tmpdir(), 'r14-build-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), [
        `FROM ${b.image} AS base`,
        'ARG GREETING=unset',
        'RUN echo "greeting $GREETING" > /greeting',
        'COPY . /ctx/',
        'RUN ls -A /ctx | sort > /list',
        'FROM base AS final',
        'CMD ["sh", "-c", "cat /greeting /list"]',
        'FROM base AS other',
        'RUN false',
      ].join('\n'));
      writeFileSync(join(dir, 'keep.txt'), 'keep\n');
      writeFileSync(join(dir, 'secret.txt'), 'secret\n');
      mkdirSync(join(dir, 'node_modules', 'deep'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'deep', 'm.js'), 'x\n');
      writeFileSync(join(dir, '.dockerignore'), 'secret.txt\nnode_modules\n');
      const tag = `r14t-built-${process.pid}:1`;
      made.images.add(tag);
      const built = b.berth(['build', '--network', 'none', '--build-arg', 'GREETING=hello', '--target', 'final', '-t', tag, dir], { timeoutMs: 180_000 });
      ok(built);
      assert.match(built.stderr, /^#3 \[3\/\d+\] RUN echo "greeting \$GREETING" > \/greeting$/m);
      assert.match(built.stderr, /^naming to docker\.io\/library\/r14t-built-\d+:1 done$/m);
      const out = b.berth(['run', '--rm', '--network', 'none', tag]);
      ok(out);
      // What the ignore file names never left this machine; the Dockerfile (and .dockerignore, unless it names itself) did.
      assert.match(out.stdout, /^greeting hello\n(\.dockerignore\n)?Dockerfile\nkeep\.txt\n$/);
      const quiet = b.berth(['build', '-q', '--network', 'none', '--build-arg', 'GREETING=hello', '--target', 'final', dir], { timeoutMs: 180_000 });
      ok(quiet);
      assert.equal(quiet.stdout, `${b.berth(['inspect', '--type', 'image', '-f', '{{.Id}}', tag]).stdout}`);
      const failed = b.berth(['build', '--network', 'none', '--target', 'other', dir], { timeoutMs: 180_000 });
      assert.equal(failed.code, 1);
      // The daemon's error, as berth prints its own engine's (Docker's prefix).
      assert.match(failed.stderr, /^Error response from daemon: .*returned a non-zero code: 1$/m);
      // A gzipped context (--compress) and RUN steps' limits (the CLI's ulimits and memory parameters).
      const fromStdin = b.berth(['build', '--network', 'none', '--add-host', 'mirror.internal:10.9.8.7', '--compress', '--ulimit', 'nofile=100:200', '-m', '64m', '-'],
        { input: `FROM ${b.image}\nRUN echo from-stdin nofile=$(ulimit -n) && tail -n 1 /etc/hosts\n`, timeoutMs: 180_000 });
      ok(fromStdin);
      assert.match(fromStdin.stderr, /from-stdin nofile=100/);
      assert.match(fromStdin.stderr, /10\.9\.8\.7\s+mirror\.internal$/m, 'the daemon put --add-host in the step\'s /etc/hosts');
      const untagged = /^writing image (sha256:[a-f0-9]{64}) done$/m.exec(fromStdin.stderr)?.[1];
      assert.ok(untagged, fromStdin.stderr);
      made.images.add(untagged);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  scenario('volume and network ls, create, inspect and rm', ['GET /volumes', 'POST /volumes/create', 'GET /volumes/r14-probe', 'DELETE /volumes/r14-probe', 'GET /networks', 'POST /networks/create', 'GET /networks/r14-probe', 'DELETE /networks/r14-probe'], (b) => {
    const volume = unique('vol');
    made.volumes.add(volume);
    assert.equal(b.berth(['volume', 'create', '--label', 'a=b', volume]).stdout, `${volume}\n`);
    const vls = ['volume', 'ls', '--filter', `name=${volume}`];
    assert.equal(b.berth(vls).stdout, b.reference(vls).stdout);
    const vfields = ['volume', 'inspect', '-f', '{{.Name}}|{{.Driver}}|{{.Labels}}|{{.Mountpoint}}', volume];
    assert.equal(b.berth(vfields).stdout, b.reference(vfields).stdout);
    assert.equal(b.berth(['volume', 'rm', volume]).stdout, `${volume}\n`);
    assert.match(b.berth(['volume', 'inspect', volume]).stderr, /no such volume/i);
    const network = unique('net');
    made.networks.add(network);
    const created = b.berth(['network', 'create', '--label', 'x=y', '--subnet', '10.214.7.0/24', network]);
    ok(created);
    assert.match(created.stdout, /^[a-f0-9]{64}\n$/);
    const nls = ['network', 'ls', '--filter', `name=${network}`];
    assert.equal(b.berth(nls).stdout, b.reference(nls).stdout);
    const nfields = ['network', 'inspect', '-f', '{{.Name}}|{{.Driver}}|{{range .IPAM.Config}}{{.Subnet}}{{end}}|{{.Labels}}|{{.Internal}}', network];
    assert.equal(b.berth(nfields).stdout, `${network}|bridge|10.214.7.0/24|map[x:y]|false\n`);
    assert.equal(b.berth(nfields).stdout, b.reference(nfields).stdout);
    assert.equal(b.berth(['network', 'rm', network]).stdout, `${network}\n`);
    assert.match(b.berth(['network', 'inspect', network]).stderr, /not found/);
  });

  scenario('cp both ways: a directory, its contents, a file, a tar on stdout and from stdin', ['POST /containers/create', 'POST /containers/r14-probe/start', 'GET /containers/r14-probe/archive', 'PUT /containers/r14-probe/archive', 'POST /containers/r14-probe/exec'], (b) => {
    const name = container('cp');
    ok(b.berth(['run', '-d', '--name', name, '--network', 'none', b.image, 'sleep', '300']));
    const dir = mkdtempSync(join(tmpdir(), 'r14-cp-'));
    try {
      mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'src', 'a.txt'), 'one\n');
      writeFileSync(join(dir, 'src', 'sub', 'b.txt'), 'two\n');
      symlinkSync('a.txt', join(dir, 'src', 'link'));
      ok(b.berth(['cp', join(dir, 'src'), `${name}:/tmp/`]));
      assert.equal(b.berth(['exec', name, 'sh', '-c', 'cd /tmp/src && find . | sort && cat sub/b.txt && readlink link']).stdout, '.\n./a.txt\n./link\n./sub\n./sub/b.txt\ntwo\na.txt\n');
      writeFileSync(join(dir, 'single'), 'single file\n');
      ok(b.berth(['cp', join(dir, 'single'), `${name}:/tmp/renamed`]));
      assert.equal(b.berth(['exec', name, 'cat', '/tmp/renamed']).stdout, 'single file\n');
      ok(b.berth(['cp', `${name}:/tmp/src`, join(dir, 'back')]));
      assert.equal(readFileSync(join(dir, 'back', 'sub', 'b.txt'), 'utf8'), 'two\n');
      assert.equal(readlinkSync(join(dir, 'back', 'link')), 'a.txt');
      mkdirSync(join(dir, 'into'));
      ok(b.berth(['cp', `${name}:/tmp/src`, join(dir, 'into')]));
      assert.equal(readFileSync(join(dir, 'into', 'src', 'a.txt'), 'utf8'), 'one\n');
      ok(b.berth(['cp', `${name}:/tmp/src/.`, join(dir, 'contents')]));
      assert.equal(readFileSync(join(dir, 'contents', 'a.txt'), 'utf8'), 'one\n');
      ok(b.berth(['cp', `${name}:/tmp/renamed`, join(dir, 'file-back')]));
      assert.equal(readFileSync(join(dir, 'file-back'), 'utf8'), 'single file\n');
      const tar = b.berth(['cp', `${name}:/tmp/src`, '-']);
      ok(tar);
      assert.deepEqual(run(['tar', '-t'], { input: Buffer.from(tar.stdout, 'latin1') }).stdout.split('\n').filter(Boolean).sort(), ['src/', 'src/a.txt', 'src/link', 'src/sub/', 'src/sub/b.txt']);
      const upload = run(['tar', '-C', join(dir, 'src'), '-c', 'a.txt']).stdout;
      ok(b.berth(['exec', name, 'mkdir', '/tmp/fromtar']));
      ok(b.berth(['cp', '-', `${name}:/tmp/fromtar`], { input: Buffer.from(upload, 'latin1') }));
      assert.equal(b.berth(['exec', name, 'cat', '/tmp/fromtar/a.txt']).stdout, 'one\n');
      const missing = b.berth(['cp', `${name}:/no/such/file`, join(dir, 'x')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Could not find the file \/no\/such\/file in container/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  scenario('events --since/--until with filters and --format', ['GET /events', 'POST /containers/create', 'POST /containers/r14-probe/start'], (b) => {
    const name = container('events');
    const start = Math.floor(Date.now() / 1000) - 1;
    ok(b.berth(['run', '--name', name, '--network', 'none', b.image, 'true']));
    ok(b.berth(['rm', name]));
    const window = ['--since', String(start), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${name}`];
    const got = b.berth(['events', ...window, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    ok(got);
    assert.deepEqual(got.stdout.trim().split('\n').filter((l) => !/ (attach|resize)/.test(l)), ['container create', 'container start', 'container die', 'container destroy'].map((l) => `${l} ${name}`));
    const plain = b.berth(['events', ...window]);
    assert.equal(plain.stdout, b.reference(['events', ...window]).stdout);
  });

  scenario('system df: the daemon\'s disk usage in docker system df\'s table', ['GET /system/df', 'GET /containers/json'], (b) => {
    const got = b.berth(['system', 'df']);
    ok(got);
    assert.match(got.stdout, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+ +\d+ /);
    const rows = (text: string) => text.trim().split('\n').slice(1).map((l) => l.split(/ {2,}/));
    const mine = rows(got.stdout);
    const theirs = rows(b.reference(['system', 'df']).stdout);
    assert.deepEqual(mine.map((r) => r[0]), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
    assert.deepEqual(mine.map((r) => r[0]), theirs.map((r) => r[0]));
    for (const [i, row] of mine.entries()) {
      const other = theirs[i] as string[];
      // The counts (a berth daemon reports its build cache as one record); the sizes where nobody else
      // changes them meanwhile (the shared dockerd has other users). Reclaimable is each side's own sum.
      if (row[0] !== 'Build Cache') assert.deepEqual(row.slice(1, 3), other.slice(1, 3), row[0]);
      if (b.name !== 'dockerd') assert.equal(row[3], other[3], row[0]);
    }
  });

  scenario('save and load: Docker\'s archive both ways', ['GET /images/get', 'POST /images/load', 'POST /images/r14-probe/tag', 'DELETE /images/r14-probe'], (b) => {
    const tag = `r14t-saved-${process.pid}:1`;
    made.images.add(tag);
    ok(b.berth(['tag', b.image, tag]));
    const dir = mkdtempSync(join(tmpdir(), 'r14-save-'));
    try {
      const file = join(dir, 'images.tar');
      ok(b.berth(['save', '-o', file, tag]));
      const names = run(['tar', '-tf', file]).stdout;
      assert.match(names, /^manifest\.json$/m);
      const manifest = JSON.parse(run(['tar', '-xOf', file, 'manifest.json']).stdout) as { RepoTags: string[] }[];
      assert.deepEqual(manifest.map((m) => m.RepoTags), [[tag]]);
      ok(b.berth(['rmi', tag]));
      const loaded = b.berth(['load', '-i', file]);
      ok(loaded);
      assert.equal(loaded.stdout, `Loaded image: ${tag}\n`);
      assert.equal(b.berth(['inspect', '--type', 'image', '-f', '{{.Id}}', tag]).stdout, b.berth(['inspect', '--type', 'image', '-f', '{{.Id}}', b.image]).stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  scenario('pull and push with their progress, against a local registry', ['POST /images/create', 'POST /images/r14-probe/push', 'POST /images/r14-probe/tag'], async (b) => {
    const dir = mkdtempSync(join(tmpdir(), 'r14-registry-'));
    const port = 15000 + (process.pid % 5000);
    writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const { spawn } = await import('node:child_process');
    const registry = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && run(['curl', '-sf', `http://127.0.0.1:${port}/v2/`]).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
      const name = `127.0.0.1:${port}/r14/bb:v1`;
      made.images.add(name);
      ok(b.berth(['tag', b.image, name]));
      const push = b.berth(['push', name]);
      ok(push);
      assert.match(push.stdout, new RegExp(`^The push refers to repository \\[127\\.0\\.0\\.1:${port}/r14/bb\\]$`, 'm'));
      assert.match(push.stdout, /^[a-f0-9]{12}: Pushed$/m);
      const digest = /^v1: digest: (sha256:[a-f0-9]{64}) size: \d+$/m.exec(push.stdout)?.[1];
      assert.ok(digest, push.stdout);
      assert.match(b.berth(['push', '-q', name]).stdout, new RegExp(`^v1: digest: ${digest} size: \\d+\\n$`));
      ok(b.berth(['rmi', name]));
      const pull = b.berth(['pull', name]);
      ok(pull);
      assert.match(pull.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
      assert.match(pull.stdout, new RegExp(`^${name.replace(/[.]/g, '\\.')}\\n$`, 'm'));
      const missing = b.berth(['pull', `127.0.0.1:${port}/r14/nope:1`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /not found|manifest unknown/);
    } finally {
      registry.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  scenario('what only a local store has is refused by name, never with a stack trace', ['GET /version'], (b) => {
    // (`system prune` is the docker CLI's composition of the prune endpoints and POST /build/prune: it works with --host.)
    for (const [args, command] of [[['system', 'check'], 'system check'], [['image', 'bootstrap', 'debian:bookworm'], 'image bootstrap'], [['save', '--format', 'oci-archive', '-o', '/dev/null', b.image], 'save --format oci-archive']] as const) {
      const r = b.berth([...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`^berth: "berth ${command}" is not available with --host \\(the daemon at ${b.host.replace(/[./]/g, '\\$&')}\\)`), r.stderr);
      assert.match(r.stderr, /It works without --host, on a local store/);
      assert.doesNotMatch(r.stderr, /\n +at /);
    }
  });

  test('--root with --host, a daemon that is not there, and a bad host are plain errors', () => {
    const both = run([berthBin, '--root', '/tmp', '-H', 'unix:///run/berth/none.sock', 'ps']);
    assert.equal(both.stderr, 'berth: --root names a local store and --host a daemon: give one of them\n');
    assert.equal(both.code, 1);
    const gone = run([berthBin, 'ps'], { env: { BERTH_HOST: 'unix:///run/berth/r14-none.sock' } });
    assert.equal(gone.stderr, 'berth: Cannot connect to the berth daemon at unix:///run/berth/r14-none.sock. Is the daemon running?\n');
    const bad = run([berthBin, '--host', 'http://x', 'ps']);
    assert.match(bad.stderr, /^berth: Invalid --host "http:\/\/x": use unix:\/\/\/PATH or tcp:\/\/HOST:PORT\n$/);
    const plainTcp = run([berthBin, '--host', 'tcp://127.0.0.1:2376', 'ps']);
    assert.match(plainTcp.stderr, /needs TLS/);
    assert.match(run([berthBin, '--help']).stdout, /-H, --host HOST .*\n.*\$BERTH_HOST/);
  });

  test('over TCP with TLS client certificates: the flags, BERTH_TLS_VERIFY with BERTH_CERT_PATH, and a client without a certificate refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r14-tls-'));
    const ssl = (args: string[]) => ok(run(['openssl', ...args]), `openssl ${args.join(' ')}`);
    let tlsDaemon: Daemon | undefined;
    try {
      ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca-key.pem'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=r14-ca']);
      for (const [who, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
        ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${who}-key.pem`), '-out', join(dir, `${who}.csr`), '-subj', `/CN=r14-${who}`]);
        writeFileSync(join(dir, `${who}.ext`), `${ext}\n`);
        ssl(['x509', '-req', '-in', join(dir, `${who}.csr`), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca-key.pem'), '-CAcreateserial', '-out', join(dir, `${who}.pem`), '-days', '2', '-extfile', join(dir, `${who}.ext`)]);
      }
      const port = 20000 + (process.pid % 10000);
      tlsDaemon = await startDaemon({ withBusybox: false, args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')] });
      const host = `tcp://127.0.0.1:${port}`;
      const flags = run([berthBin, '-H', host, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'client.pem'), '--tlskey', join(dir, 'client-key.pem'), 'info', '--format', '{{.DockerRootDir}}']);
      ok(flags);
      assert.equal(flags.stdout, `${tlsDaemon.store.root}\n`);
      const certDir = join(dir, 'certs');
      mkdirSync(certDir);
      for (const [from, to] of [['ca.pem', 'ca.pem'], ['client.pem', 'cert.pem'], ['client-key.pem', 'key.pem']] as const) writeFileSync(join(certDir, to), readFileSync(join(dir, from)));
      const env = run([berthBin, 'version', '--format', '{{.Server.Version}}'], { env: { BERTH_HOST: host, BERTH_TLS_VERIFY: '1', BERTH_CERT_PATH: certDir } });
      ok(env);
      assert.match(env.stdout, /^\d+\.\d+\.\d+\n$/);
      // The server's certificate checked against another CA: refused, with the reason.
      const otherCa = join(dir, 'other-ca.pem');
      ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'other-key.pem'), '-out', otherCa, '-days', '2', '-subj', '/CN=r14-other']);
      const wrongCa = run([berthBin, '-H', host, '--tlsverify', '--tlscacert', otherCa, '--tlscert', join(dir, 'client.pem'), '--tlskey', join(dir, 'client-key.pem'), 'version']);
      assert.equal(wrongCa.code, 1);
      assert.match(wrongCa.stderr, /^berth: TLS with the daemon at tcp:\/\/127\.0\.0\.1:\d+ failed: /);
      // A client certificate the daemon's CA did not sign: the daemon refuses the handshake.
      const selfSigned = run([berthBin, '-H', host, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', otherCa, '--tlskey', join(dir, 'other-key.pem'), 'version']);
      assert.equal(selfSigned.code, 1);
      assert.doesNotMatch(selfSigned.stderr, /\n +at /);
      const noFiles = run([berthBin, '-H', host, '--tlsverify', 'version'], { env: { BERTH_CERT_PATH: join(dir, 'none') } });
      assert.match(noFiles.stderr, /^berth: TLS file ".*none\/ca\.pem" \(--tlscacert\) not found\n$/);
    } finally {
      await tlsDaemon?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
