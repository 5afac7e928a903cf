// What the benchmarks share: paths, argument parsing, running and timing commands, the interleaved
// round-robin loop, clean-up on exit and on signals, mounts and cgroups left by runtimes, berth stores
// with busybox, the reference dockerd, statistics, the machine's description, the report's tables and
// verdicts, and the way a benchmark's main ends. Plain Node ESM, no dependencies; every benchmark under
// bench/ imports it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const berthBin = path.join(repo, 'bin', 'berth');
/** The 20.10 client that matches Debian's dockerd (the v28 CLI in /usr/local/bin needs buildx for BuildKit). */
export const dockerCli = '/usr/bin/docker';
export const refDockerd = path.join(repo, 'tools', 'reference-dockerd.sh');

export const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Runs a command to completion; throws with the end of its stderr when it fails (set-up steps only). */
export function must(cmd, args, extra = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 600_000, ...extra });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}\n${String(r.stderr ?? '').trim().split('\n').slice(-20).join('\n')}`);
  }
  return r.stdout ?? '';
}

/** The first line a command prints about itself (`--version`), or "not available". */
export function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : 'not available';
}

/** The name busybox gets in the benchmarks' stores and dockerds (tools/make-busybox-rootfs.sh's rootfs). */
export const busyboxImage = 'berth-bench/busybox:latest';

/** The non-empty lines of a command's output, trimmed. */
export const lines = (s) => s.split('\n').map((l) => l.trim()).filter(Boolean);

// ---------- arguments ----------
/**
 * A benchmark's command line (`--flag value` or `--flag=value`) parsed into a copy of `defaults`.
 * `options` maps each flag to what it does:
 *   { key, int: MIN }       an integer >= MIN ("bad value for --flag" otherwise)
 *   { key, set: VALUE }     a switch: opts[key] = VALUE (--json: true, --no-docker: false)
 *   { key, needs: 'a URL' } a string ("--flag needs a URL" when it is missing; "a value" by default);
 *                           parse(value, usage) turns it into what is kept (usage(problem) rejects it),
 *                           push: true appends it to the array opts[key] (a repeatable flag)
 * --help and -h print `usage: USAGE` and exit 0; a bad or unknown argument prints the problem and the
 * usage to stderr and exits 2.
 */
export function parseArgs(argv, { usage: text, defaults, options }) {
  const usage = (problem) => {
    if (problem) process.stderr.write(`bench: ${problem}\n`);
    process.stderr.write(`usage: ${text}\n`);
    process.exit(problem ? 2 : 0);
  };
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const o = Object.hasOwn(options, flag) ? options[flag] : undefined;
    if (flag === '--help' || flag === '-h') usage();
    else if (!o) usage(`unknown argument "${argv[i]}"`);
    else if ('set' in o) opts[o.key] = o.set;
    else if ('int' in o) {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < o.int) usage(`bad value for ${flag}`);
      opts[o.key] = n;
    } else {
      const raw = inline ?? argv[++i] ?? usage(`${flag} needs ${o.needs ?? 'a value'}`);
      const value = o.parse ? o.parse(raw, usage) : raw;
      opts[o.key] = o.push ? [...opts[o.key], value] : value;
    }
  }
  return opts;
}

// ---------- timing one command ----------
/**
 * Runs one command and times it, spawn to exit, in ms: { ms, status, stdout, stderr, error }. Never
 * throws: `error` is set when the command could not run, was killed or exited with a status not in
 * `ok`: the command line (the command named `name`), why, and then its stderr on the same line or, with
 * `tail`, the last `tail` lines of its output on the lines below. Its stdout is discarded unless
 * `output` (then stdout and stderr come back as text).
 */
export function timeCmd(cmd, args, { env, timeout = 60_000, output = false, ok = [0], tail = 0, name = cmd } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', output ? 'pipe' : 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 256 << 20, timeout });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const res = { ms, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.error || !ok.includes(r.status)) {
    const why = r.error?.message ?? `exit ${r.status ?? r.signal}`;
    const text = `${res.stdout}${res.stderr}`.trim();
    res.error = `${name} ${args.join(' ')}: ${why}${tail ? `\n${text.split('\n').slice(-tail).join('\n')}` : ` ${text}`}`;
  }
  return res;
}

/** timeCmd's ms for a command that must succeed (a set-up-like step that is also measured); throws its error otherwise. */
export function timeOrThrow(cmd, args, { env, timeout = 600_000 } = {}) {
  const r = timeCmd(cmd, args, { env, timeout, tail: 20 });
  if (r.error) throw new Error(r.error);
  return r.ms;
}

// ---------- clean-up: everything a run creates is registered here and undone once ----------
export const cleanups = [];
let cleanedUp = false;
export function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const fn of cleanups.reverse()) {
    try { fn(); } catch (err) { log(`clean-up step failed: ${err.message}`); }
  }
}
// Signal handlers only run on the event loop: the measuring loops yield to it after every command.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { log(`${sig}: cleaning up`); cleanup(); process.exit(130); });
}

/** Mount points below dir, deepest first. */
export function mountsBelow(dir) {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p) => p && p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}
/** Unmounts whatever is still mounted below dir (deepest first), so removing it never crosses a mount. */
export function unmountBelow(dir) {
  for (const m of mountsBelow(dir)) spawnSync('umount', ['-l', m]);
}
export function removeTree(dir) {
  unmountBelow(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** A fresh work directory (mkdtemp of `prefix`, e.g. /tmp/berth-bench-run-), logged, and removed at clean-up (what is mounted below it unmounted first). */
export function workDir(prefix) {
  const dir = mkdtempSync(prefix);
  cleanups.push(() => removeTree(dir));
  log(`work directory ${dir}`);
  return dir;
}

export const cgroupRoot = '/sys/fs/cgroup';
/** The cgroup hierarchies (v1 controllers and the v2 one) where a runtime may have created cgroupsPath. */
export function cgroupMounts() {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => / - cgroup2? /.test(l)).map((l) => l.split(' ')[4]).filter(Boolean);
}
export function removeCgroup(rel) {
  for (const mnt of cgroupMounts()) {
    try { rmdirSync(path.join(mnt, rel)); } catch (err) { if (err.code !== 'ENOENT' && err.code !== 'EBUSY') throw err; }
  }
}

// ---------- containers and ports ----------
/** `n` runs of `cmd args` (create, run -d), `parallel` at a time through `xargs -P`; wall ms. Throws with the end of its stderr when one fails. */
export function xargsBatch(cmd, args, { n, parallel, env, label, timeout = 900_000 }) {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `seq ${n} | xargs -P ${parallel} -I{} ${quoted} >/dev/null`], { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${label ? `${label}: ` : ''}${n} x ${args.join(' ')} through xargs -P ${parallel}: exit ${r.status ?? r.signal}\n${String(r.stderr).trim().split('\n').slice(-10).join('\n')}`);
  return ms;
}

/**
 * Force-removes every container, running or not, of a store or daemon (`cmd`: berth or a docker
 * client, `env` pointing it there), 50 ids per command; returns how many. Throws when a command
 * fails, unless `quiet` (for clean-up steps).
 */
export function removeContainers(cmd, env, { quiet = false } = {}) {
  const run = quiet ? (args) => spawnSync(cmd, args, { env, encoding: 'utf8' }).stdout ?? '' : (args) => must(cmd, args, { env });
  const ids = lines(run(['ps', '-aq', '--no-trunc']));
  for (let i = 0; i < ids.length; i += 50) run(['rm', '-f', ...ids.slice(i, i + 50)]);
  return ids.length;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// ---------- berth stores ----------
/** Throws unless berth is built (bin/berth runs dist/bundle/berth.cjs). */
export function requireBuilt() {
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
}

/** The runtime state folder berth keeps on /run for the store at `root` (src/cmd/open-engine.ts). */
export const stateFolder = (root) => path.join('/run/berth', createHash('sha256').update(root).digest('hex').slice(0, 12));

/**
 * A berth store at `root`: { root, env }, env pointing berth at it (BERTH_ROOT; BERTH_TRACE and the
 * variables in `unset` removed). Its state folder on /run is removed at clean-up, unless `keepState`
 * (a store left behind on purpose keeps it).
 */
export function berthStore(root, { unset = [], keepState = false } = {}) {
  const env = { ...process.env, BERTH_ROOT: root };
  for (const name of ['BERTH_TRACE', ...unset]) delete env[name];
  if (!keepState) cleanups.push(() => rmSync(stateFolder(root), { recursive: true, force: true }));
  return { root, env };
}

/** Writes the busybox rootfs (tools/make-busybox-rootfs.sh) as a tar to `file`; returns file. */
export function busyboxTar(file) {
  must('sh', ['-c', `"${repo}/tools/make-busybox-rootfs.sh" > "${file}"`]);
  return file;
}

/**
 * A fresh store in TMP/store with the busybox rootfs imported as `image`: { root, env, tar } (the tar
 * is TMP/busybox.tar, for the other engines). Throws when berth is not built.
 */
export function busyboxStore(tmp, { image = busyboxImage } = {}) {
  requireBuilt();
  const tar = busyboxTar(path.join(tmp, 'busybox.tar'));
  const store = berthStore(path.join(tmp, 'store'));
  must(berthBin, ['import', tar, image], { env: store.env });
  return { ...store, tar };
}

// ---------- a raw OCI runtime on berth's own bundle ----------
/**
 * berth's own config.json for `run --network none IMAGE true` (made by one such run in the store
 * `env` points at), moved onto a plain directory bundle, TMP/bundle: `tar` extracted as its rootfs,
 * the /etc/hosts, hostname and resolv.conf binds copied beside it. { bundle, config, berthCgroupsPath }.
 */
export function runtimeBundle(tmp, { tar, image, env }) {
  const name = `bench-ref-${process.pid}`;
  must(berthBin, ['run', '--name', name, '--network', 'none', image, 'true'], { env });
  const id = JSON.parse(must(berthBin, ['inspect', name], { env }))[0].Id;
  const ctrDir = path.join(env.BERTH_ROOT, 'containers', id);
  const config = JSON.parse(readFileSync(path.join(ctrDir, 'config.json'), 'utf8'));
  const bundle = path.join(tmp, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  must('tar', ['-xf', tar, '-C', path.join(bundle, 'rootfs')]);
  // /etc/hosts, /etc/hostname and /etc/resolv.conf are bind-mounted from berth's container directory.
  for (const m of config.mounts ?? []) {
    if (m.type === 'bind' && m.source.startsWith(ctrDir + '/')) {
      const copy = path.join(bundle, path.basename(m.source));
      cpSync(m.source, copy);
      m.source = copy;
    }
  }
  config.root.path = path.join(bundle, 'rootfs');
  must(berthBin, ['rm', name], { env });
  return { bundle, config, berthCgroupsPath: config.linux?.cgroupsPath ?? '' };
}

/**
 * An interleaved() candidate: `RUNTIME run` of a runtimeBundle() `ref`, with a fresh container id and
 * cgroupsPath (/PARENT/ID/ctr, berth's shape) each run and its state under TMP/RUNTIME-state; the
 * cgroups go after each run and the parent at clean-up.
 */
export function rawRuntime(runtime, tmp, ref, { name = `${runtime} run (raw)`, key = `raw-${runtime}`, cgroupParent = `berth-bench-${process.pid}` } = {}) {
  const state = path.join(tmp, `${runtime}-state`);
  cleanups.push(() => removeCgroup(cgroupParent));
  let n = 0;
  let id = '';
  return {
    name, key,
    prepare() {
      id = `bench-${process.pid}-${runtime}-${++n}`;
      const config = { ...ref.config, linux: { ...ref.config.linux, cgroupsPath: `/${cgroupParent}/${id}/ctr` } };
      writeFileSync(path.join(ref.bundle, 'config.json'), JSON.stringify(config));
      return [runtime, ['--root', state, 'run', '--bundle', ref.bundle, id]];
    },
    finish(ok) {
      if (!ok) spawnSync(runtime, ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
      removeCgroup(`${cgroupParent}/${id}/ctr`);
      removeCgroup(`${cgroupParent}/${id}`);
    },
  };
}

// ---------- berth daemon ----------
/** Whether a daemon answers GET /_ping with OK on the unix socket. */
function pings(socket) {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, method: 'GET', path: '/_ping', headers: { Host: 'bench' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(res.statusCode === 200 && Buffer.concat(chunks).toString() === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * `berth daemon` on a private store (TMP/store, busybox imported as `image` from `tar`, made when not
 * given) listening on TMP/berth.sock; resolves once it answers. `node`: run it as
 * `node ...NODE bin/berth.cjs` (e.g. ['--cpu-prof']) instead of through bin/berth. At clean-up it is
 * stopped and the store's containers removed. Returns { key: 'berth', name, socket, pid, tar, store,
 * env (DOCKER_HOST for a docker client), stop() (resolves once it exited) }.
 */
export async function startBerthDaemon(tmp, { tar, image = busyboxImage, node } = {}) {
  const store = berthStore(path.join(tmp, 'store'));
  const socket = path.join(tmp, 'berth.sock');
  tar ??= busyboxTar(path.join(tmp, 'busybox.tar'));
  must(berthBin, ['import', tar, image], { env: store.env });
  const daemonArgs = ['daemon', '-H', `unix://${socket}`, '--pidfile', path.join(tmp, 'berth.pid')];
  const child = node ? spawn(process.execPath, [...node, path.join(repo, 'bin', 'berth.cjs'), ...daemonArgs], { env: store.env, stdio: 'ignore' })
    : spawn(berthBin, daemonArgs, { env: store.env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(() => {
    log('stopping berth daemon');
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    removeContainers(berthBin, store.env, { quiet: true });
  });
  // up when it answers (the socket can exist a moment before)
  let up = false;
  for (let i = 0; i < 400 && !up && child.exitCode === null; i++) {
    if (existsSync(socket)) up = await pings(socket);
    if (!up) await sleep(50);
  }
  if (!up) throw new Error(`berth daemon did not answer on ${socket}`);
  return {
    key: 'berth', name: 'berth daemon', socket, pid: child.pid, tar, store, env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
    stop: async () => { child.kill('SIGTERM'); await exited; },
  };
}

// ---------- a registry and an image archive ----------
/**
 * Debian's docker-registry serving plain HTTP on a free loopback port, its storage and log in
 * DIR/registry-NAME*; stopped at clean-up. Resolves once /v2/ answers: { host: '127.0.0.1:PORT', stop() }.
 */
export async function startRegistry(dir, name = '0') {
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, `registry-${name}.yml`);
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, `registry-${name}`)}\nhttp:\n  addr: ${host}\n`);
  const logFd = openSync(path.join(dir, `registry-${name}.log`), 'w');
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  cleanups.push(() => child.kill('SIGTERM'));
  for (let i = 0; i < 50 && spawnSync('curl', ['-sf', `http://${host}/v2/`]).status !== 0; i++) await sleep(100);
  return { host, stop: () => child.kill('SIGTERM') };
}

/**
 * A Docker archive (as `docker save` writes it) at DIR/image.tar of an amd64 image `name` whose layers
 * are the directories `layerDirs` (tarred in a reproducible form, then removed), its command `cmd`.
 */
export function dockerArchive(dir, layerDirs, name, cmd) {
  const archive = path.join(dir, 'archive');
  mkdirSync(archive);
  const diffIds = [];
  const names = [];
  for (const [i, layerDir] of layerDirs.entries()) {
    const tar = path.join(archive, `l${i}.tar`);
    must('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', layerDir, '-cf', tar, '.']);
    removeTree(layerDir);
    diffIds.push(`sha256:${createHash('sha256').update(readFileSync(tar)).digest('hex')}`);
    names.push(`l${i}.tar`);
  }
  const config = { architecture: 'amd64', os: 'linux', config: { Cmd: cmd }, rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created_by: 'bench' })) };
  writeFileSync(path.join(archive, 'config.json'), JSON.stringify(config));
  writeFileSync(path.join(archive, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [name], Layers: names }]));
  const out = path.join(dir, 'image.tar');
  must('tar', ['-C', archive, '-cf', out, 'config.json', 'manifest.json', ...names]);
  removeTree(archive);
  return out;
}

// ---------- the reference dockerd ----------
const dockerMissing = `${dockerCli} or /usr/sbin/dockerd not installed (apt-get install docker.io)`;

/** The pids of the dockerds running on this host (two on one host interfere: one started with --bridge=none deletes the other's docker0). */
export const dockerdPids = () => lines(spawnSync('pgrep', ['-x', 'dockerd'], { encoding: 'utf8' }).stdout ?? '');

/**
 * Starts a private reference dockerd (tools/reference-dockerd.sh) with its own socket and data root
 * under `dirs` ({ BERTH_REF_RUN_DIR, BERTH_REF_DATA_ROOT }), registers its stop and removal, and
 * returns the environment for the docker client, its version and socket. { skipped } when Docker
 * is not installed.
 */
export function startReferenceDocker(dirs) {
  if (!existsSync(dockerCli) || !existsSync('/usr/sbin/dockerd')) return { skipped: dockerMissing };
  const env = { ...process.env, ...dirs };
  cleanups.push(() => {
    log('stopping the reference dockerd');
    must(refDockerd, ['stop'], { env });
    for (const dir of [dirs.BERTH_REF_DATA_ROOT, dirs.BERTH_REF_RUN_DIR]) removeTree(dir);
  });
  log('starting the reference dockerd (tools/reference-dockerd.sh)');
  must(refDockerd, ['start'], { env });
  const socket = `${dirs.BERTH_REF_RUN_DIR}/docker.sock`;
  const denv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '1' };
  const version = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env: denv }).trim();
  return { env: denv, version, socket };
}

/**
 * The shared reference dockerd (tools/reference-dockerd.sh with its default socket and data root):
 * started when it is not running (idempotent), never stopped here (other work uses it). Returns the
 * environment for the docker client, its version and socket; { skipped } when Docker is not installed.
 */
export function sharedReferenceDocker() {
  if (!existsSync(dockerCli) || !existsSync('/usr/sbin/dockerd')) return { skipped: dockerMissing };
  const env = { ...process.env };
  delete env.BERTH_REF_RUN_DIR;
  delete env.BERTH_REF_DATA_ROOT;
  log('starting the shared reference dockerd if it is not running (tools/reference-dockerd.sh start; never stopped here)');
  must(refDockerd, ['start'], { env });
  const host = /DOCKER_HOST=(\S+)/.exec(must(refDockerd, ['env'], { env }))?.[1]?.replace(/^["']|["']$/g, '');
  if (!host) throw new Error('tools/reference-dockerd.sh env printed no DOCKER_HOST');
  const denv = { ...env, DOCKER_HOST: host, DOCKER_BUILDKIT: '1' };
  const version = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env: denv }).trim();
  return { env: denv, version, socket: host.replace(/^unix:\/\//, '') };
}

/**
 * The reference dockerd a benchmark compares with: { env, version, socket, runtime } or { skipped }
 * (when not `enabled`, `why`; or when Docker is not installed).
 *   dirs        a private dockerd (startReferenceDocker: its own socket and data root, stopped and
 *               removed at clean-up); without dirs, the shared one (sharedReferenceDocker)
 *   tar, image  a rootfs imported as `image` (on the shared dockerd removed again at clean-up)
 *   runtime     also `runtime`: docker info's default runtime, cgroup version and storage driver
 */
export function referenceDocker({ enabled = true, why = 'disabled with --no-docker', dirs, tar, image, runtime = false } = {}) {
  if (!enabled) return { skipped: why };
  const ref = dirs ? startReferenceDocker(dirs) : sharedReferenceDocker();
  if (ref.skipped) return ref;
  if (tar) {
    must(dockerCli, ['import', tar, image], { env: ref.env });
    if (!dirs) cleanups.push(() => { spawnSync(dockerCli, ['rmi', '-f', image], { env: ref.env, stdio: 'ignore' }); });
  }
  if (runtime) ref.runtime = must(dockerCli, ['info', '--format', '{{.DefaultRuntime}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'], { env: ref.env }).trim();
  return ref;
}

// ---------- statistics ----------
/** The q-quantile, linearly interpolated between the closest ranks. */
export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}
export const median = (values) => quantile(values, 0.5);

/** n, median, p90, min and max of a list of samples. */
export const stats = (v) => ({ n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9), min: Math.min(...v), max: Math.max(...v) });

// ---------- interleaved rounds ----------
/**
 * The interleaved round-robin loop, so machine noise hits every candidate alike: `warmup + iterations`
 * rounds, in each every item of `list` once, the order rotated by one each round (no item always
 * runs right after the same neighbour; with two, which goes first alternates). `turn(item, measured,
 * round)` does one item's turn (it may be async; `measured` is false in warm-up rounds); the event
 * loop gets a turn after each, so a signal can stop the run. With `progress` (a label, or '') it logs
 * `LABEL: round N/ITERATIONS` after every `every`-th measured round.
 */
export async function roundRobin(list, { warmup = 0, iterations, progress, every = 1 }, turn) {
  for (let round = 0; round < warmup + iterations; round++) {
    for (let j = 0; j < list.length; j++) {
      await turn(list[(round + j) % list.length], round >= warmup, round);
      await yieldToEventLoop();
    }
    const done = round + 1 - warmup;
    if (progress !== undefined && done > 0 && done % every === 0) log(`${progress ? `${progress}: ` : ''}round ${done}/${iterations}`);
  }
}

/**
 * Commands timed interleaved (roundRobin, timeCmd). A candidate is { key, name } with either { cmd,
 * args, env } or prepare() → [cmd, args, env] (untimed, before each run) and finish(ok) after it;
 * before() and after() run untimed around each turn (a before() that throws drops the candidate);
 * `ok`: its exit statuses that count as success. A candidate whose command fails is dropped (logged,
 * its error in `failed`), or with `failFast` the whole measurement throws `NAME: error`. `onRun(c, r,
 * measured)` sees each successful run (r from timeCmd). Other options go to roundRobin and timeCmd.
 * Returns { rows: { key: { name, n, median, p90, min, max } } for the candidates with samples, in
 * their order, failed: { key: error }, samples: Map key → ms[] }.
 */
export async function interleaved(candidates, { warmup = 0, iterations, progress, every, failFast = false, onRun, ...timing }) {
  const samples = new Map(candidates.map((c) => [c.key, []]));
  const failed = {};
  await roundRobin(candidates, { warmup, iterations, progress, every }, (c, measured) => {
    if (failed[c.key]) return;
    try {
      c.before?.();
    } catch (err) {
      failed[c.key] = `set-up: ${err.message}`;
      log(`${c.name} set-up failed, dropped: ${err.message}`);
      return;
    }
    const [cmd, args, env] = c.prepare ? c.prepare() : [c.cmd, c.args, c.env];
    const r = timeCmd(cmd, args, { ...timing, env, ok: c.ok ?? timing.ok });
    c.finish?.(!r.error);
    c.after?.();
    if (r.error) {
      if (failFast) throw new Error(`${c.name}: ${r.error}`);
      failed[c.key] = r.error;
      log(`${c.name} failed, dropped: ${r.error}`);
      return;
    }
    if (measured) samples.get(c.key).push(r.ms);
    onRun?.(c, r, measured);
  });
  const rows = {};
  for (const c of candidates) if (samples.get(c.key).length) rows[c.key] = { name: c.name, ...stats(samples.get(c.key)) };
  return { rows, failed, samples };
}

export const fmt = (x, d = 1) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

/** The machine a report was measured on. */
export function machine() {
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    crun: firstLine('crun', ['--version']),
    runc: firstLine('runc', ['--version']),
    dockerd: existsSync('/usr/sbin/dockerd') ? firstLine('/usr/sbin/dockerd', ['--version']) : 'not installed',
    cgroup: existsSync(path.join(cgroupRoot, 'cgroup.controllers')) ? 'v2' : 'v1 (hybrid)',
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

/**
 * The environment for the `node -e 0` floor: the one berth's own Node process gets. bin/berth
 * moves NODE_EXTRA_CA_CERTS aside before Node starts (Node 20 would parse those certificates at
 * start-up, 30-40 ms; src/base/extra-ca.ts), so a floor measured with it would flatter berth's
 * overhead by that much.
 */
export const nodeFloorEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));

// ---------- the report ----------
/** `machine: N CPUs (model), M GiB, kernel`: how a text report's first line starts. */
export const machineLine = (m) => `machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}`;

/** The load average before and after the measurements ({ before, after }, from os.loadavg()). */
export const loadLine = (load) => `load average: ${load.before.map((x) => x.toFixed(2)).join(' ')} before, ${load.after.map((x) => x.toFixed(2)).join(' ')} after`;

/** `docker: VERSION` (then `note`), or why Docker was not measured. */
export const dockerLine = (docker, note = '') => `docker: ${docker.skipped ? `skipped (${docker.skipped})` : `${docker.version}${note}`}`;

/**
 * A markdown table of timing rows ({ name, n, median, p90, min, max }: interleaved()'s rows), as
 * lines: the name padded to `width`, then `columns` right-aligned in `valueWidth` characters with
 * `digits` decimals after dividing by `scale` (1000: seconds from ms), then n in `nWidth`.
 */
export function table(rows, { width = 28, columns = ['median', 'p90', 'min', 'max'], valueWidth = 6, digits = 1, scale = 1, nWidth = 2 } = {}) {
  const out = [
    `| ${'command'.padEnd(width)} | ${columns.map((c) => c.padStart(valueWidth)).join(' | ')} | ${'n'.padStart(nWidth)} |`,
    `|${'-'.repeat(width + 2)}|${columns.map(() => `${'-'.repeat(valueWidth + 1)}:`).join('|')}|${'-'.repeat(nWidth + 1)}:|`,
  ];
  for (const r of Object.values(rows)) {
    out.push(`| ${r.name.padEnd(width)} | ${columns.map((c) => fmt(r[c] / scale, digits).padStart(valueWidth)).join(' | ')} | ${String(r.n).padStart(nWidth)} |`);
  }
  return out;
}

/** A report's verdicts: `list`, and add(name, value, unit, target, pass, note) (pass null: not measured, or information only). */
export function verdictList() {
  const list = [];
  return { list, add: (name, value, unit, target, pass, note) => list.push({ name, value, unit, target, pass, note }) };
}

/**
 * The targets block of a text report: '', 'targets:', then a line per verdict: PASS or FAIL, SKIP
 * (a target, nothing measured) or INFO (no target), the value with `digits[unit]` decimals (1
 * otherwise), the target and the note.
 */
export function targetLines(verdicts, digits = { x: 2 }) {
  const out = ['', 'targets:'];
  for (const v of verdicts) {
    const mark = v.pass === null ? (v.target ? 'SKIP' : 'INFO') : v.pass ? 'PASS' : 'FAIL';
    out.push(`  ${mark.padEnd(4)}  ${v.name}: ${fmt(v.value, digits[v.unit] ?? 1)} ${v.unit}${v.target ? ` (target ${v.target})` : ''}${v.note ? ` — ${v.note}` : ''}`);
  }
  return out;
}

/** `FAILED KEY: error` lines for the candidates a measurement dropped. */
export const failedLines = (failed) => Object.entries(failed).map(([key, err]) => `FAILED ${key}: ${err}`);

// ---------- the end ----------
/**
 * Runs a benchmark's main and ends the process: the clean-up always runs, then the exit status is 0,
 * or 1 after `PREFIX: message` (the stack with `stack`) when main threw.
 */
export async function runMain(main, { prefix = 'set-up failed', stack = false } = {}) {
  let status = 0;
  try {
    await main();
  } catch (err) {
    log(`${prefix ? `${prefix}: ` : ''}${stack ? err.stack ?? err : err.message}`);
    status = 1;
  } finally {
    cleanup();
  }
  process.exit(status);
}
