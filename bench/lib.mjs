// What the benchmarks share: paths, running commands, clean-up on exit and on signals, mounts and
// cgroups left by runtimes, a private reference dockerd, statistics and the machine's description.
// Plain Node ESM, no dependencies; every benchmark under bench/ imports it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/**
 * Starts a private reference dockerd (tools/reference-dockerd.sh) with its own socket and data root
 * under `dirs` ({ BERTH_REF_RUN_DIR, BERTH_REF_DATA_ROOT }), registers its stop and removal, and
 * returns the environment for the docker client. Undefined with `skipped` when Docker is not installed.
 */
export function startReferenceDocker(dirs) {
  if (!existsSync(dockerCli) || !existsSync('/usr/sbin/dockerd')) return { skipped: `${dockerCli} or /usr/sbin/dockerd not installed (apt-get install docker.io)` };
  const env = { ...process.env, ...dirs };
  cleanups.push(() => {
    log('stopping the reference dockerd');
    must(refDockerd, ['stop'], { env });
    for (const dir of [dirs.BERTH_REF_DATA_ROOT, dirs.BERTH_REF_RUN_DIR]) removeTree(dir);
  });
  log('starting the reference dockerd (tools/reference-dockerd.sh)');
  must(refDockerd, ['start'], { env });
  const denv = { ...process.env, DOCKER_HOST: `unix://${dirs.BERTH_REF_RUN_DIR}/docker.sock`, DOCKER_BUILDKIT: '1' };
  const version = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env: denv }).trim();
  return { env: denv, version };
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
