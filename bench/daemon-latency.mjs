#!/usr/bin/env node
// Server-side latency of `docker ps` and `docker exec C true` (issue 14's ps ≤ 1.0× and exec ≤ 0.7×
// targets), request by request: the exact sequences the docker 28 CLI sends, replayed over the unix
// socket many times against `berth daemon` and against the SHARED reference dockerd
// (tools/reference-dockerd.sh, started if needed and never stopped), interleaved, in one run.
// Unlike bench/daemon.mjs it needs no private dockerd, so it runs while other sessions use the shared one.
//
// The sequences, as captured from /usr/local/bin/docker 28.2.2 through a logging proxy:
//   docker ps:             [conn A] HEAD /_ping; GET /v1.41/containers/json
//   docker exec C true:    [conn A] HEAD /_ping; GET /v1.41/containers/C/json;
//                          POST /v1.41/containers/C/exec {"User":"",...,"Cmd":["true"]}
//                          [conn B] POST /v1.41/exec/ID/start {"Detach":false,"Tty":false} with
//                                   `Connection: Upgrade`/`Upgrade: tcp` → 101, the client half-closes
//                                   (no stdin), reads the stream to its end;
//                          [conn A] GET /v1.41/exec/ID/json (ExitCode must be 0 here)
// Each iteration opens fresh connections, as each CLI process does. Each side gets 3 running
// containers (named bench-lat-<pid>-N, removed at the end); the ps answer also lists whatever else
// runs on the shared dockerd (the count is printed). Then, unless --no-cli, the same commands are
// timed end to end with the docker 28 CLI against both sockets, interleaved.
//
// Run as root from the repository root after `npm run build`:
//   node bench/daemon-latency.mjs [--iterations N] [--cli-iterations N] [--berth-socket PATH]
//                                 [--cpu-prof DIR] [--also NAME=PATH] [--no-docker] [--no-cli] [--json]
//   --berth-socket PATH  use a running berth daemon (it must have busybox as berth-bench/busybox:latest)
//                        instead of starting one on a private store
//   --cpu-prof DIR       start berth's daemon under `node --cpu-prof` and leave its profile in DIR
//   --also NAME=PATH     one more side: another running berth daemon (e.g. main's build, for an A/B
//                        of a change); it needs berth-bench/busybox:latest too. Repeatable.
// Exit status: 0 when a report was produced, 1 when set-up failed, 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  busyboxImage as image, busyboxTar, cleanups, fmt, interleaved, log, machine, must, parseArgs, quantile, roundRobin, runMain, sharedReferenceDocker, startBerthDaemon, workDir,
} from './lib.mjs';

const cli28 = '/usr/local/bin/docker';

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/daemon-latency.mjs [--iterations N] [--cli-iterations N] [--berth-socket PATH] [--cpu-prof DIR] [--also NAME=PATH] [--no-docker] [--no-cli] [--json]',
  defaults: { iterations: 200, cliIterations: 30, berthSocket: undefined, cpuProf: undefined, also: [], docker: true, cli: true, json: false },
  options: {
    '--iterations': { key: 'iterations', int: 1 }, '--cli-iterations': { key: 'cliIterations', int: 1 },
    '--berth-socket': { key: 'berthSocket' }, '--cpu-prof': { key: 'cpuProf', parse: (v) => path.resolve(v) },
    '--also': {
      key: 'also', push: true, parse: (v, usage) => {
        const m = /^(\w+)=(.+)$/.exec(v);
        if (!m || m[1] === 'berth' || m[1] === 'docker') usage('--also takes NAME=SOCKET (NAME not berth or docker)');
        return { key: m[1], name: m[1], socket: m[2] };
      },
    },
    '--no-docker': { key: 'docker', set: false }, '--no-cli': { key: 'cli', set: false }, '--json': { key: 'json', set: true },
  },
});
const now = () => Number(process.hrtime.bigint()) / 1e6;
const cliHeaders = { Host: 'api.moby.localhost', 'User-Agent': 'Docker-Client/28.2.2 (linux)' };

/** One request on `agent` (one kept-alive connection, as the CLI's); resolves with status, headers, body text and ms. */
function call(socket, agent, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body) + '\n';
    const headers = { ...cliHeaders, ...(data ? { 'Content-Length': Buffer.byteLength(data), 'Content-Type': 'application/json' } : {}) };
    const t0 = now();
    const req = request({ socketPath: socket, agent, method, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = now() - t0;
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 400) return reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text.trim()}`));
        resolve({ status: res.statusCode, text, ms });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The exec start as the CLI sends it: its own connection, an Upgrade, a half-close, the stream read to its end. */
function hijackedStart(socket, execId) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify({ Detach: false, Tty: false }) + '\n';
    const t0 = now();
    const req = request({
      socketPath: socket, method: 'POST', path: `/v1.41/exec/${execId}/start`, agent: false,
      headers: { ...cliHeaders, 'Content-Length': Buffer.byteLength(data), Connection: 'Upgrade', 'Content-Type': 'application/json', Upgrade: 'tcp' },
    });
    req.on('upgrade', (res, sock, head) => {
      const upgraded = now() - t0;
      let bytes = head.length;
      sock.on('data', (d) => (bytes += d.length));
      sock.on('end', () => {
        const ms = now() - t0;
        sock.destroy();
        resolve({ upgraded, ms, bytes });
      });
      sock.on('error', reject);
      // No stdin: the CLI closes its side at once.
      sock.end();
    });
    req.on('response', (res) => reject(new Error(`exec start: ${res.statusCode} instead of 101`)));
    req.on('error', reject);
    req.end(data);
  });
}

const execBody = (cmd) => ({ User: '', Privileged: false, Tty: false, AttachStdin: false, AttachStderr: true, AttachStdout: true, Detach: false, DetachKeys: '', Env: null, WorkingDir: '', Cmd: cmd });

async function psSequence(side) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const t0 = now();
    const ping = await call(side.socket, agent, 'HEAD', '/_ping');
    const list = await call(side.socket, agent, 'GET', '/v1.41/containers/json');
    return { 'HEAD /_ping': ping.ms, 'GET /containers/json': list.ms, total: now() - t0, listed: JSON.parse(list.text).length };
  } finally {
    agent.destroy();
  }
}

async function execSequence(side) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const t0 = now();
    const ping = await call(side.socket, agent, 'HEAD', '/_ping');
    const inspect = await call(side.socket, agent, 'GET', `/v1.41/containers/${side.target}/json`);
    const created = await call(side.socket, agent, 'POST', `/v1.41/containers/${side.target}/exec`, execBody(['true']));
    const { Id } = JSON.parse(created.text);
    const start = await hijackedStart(side.socket, Id);
    const result = await call(side.socket, agent, 'GET', `/v1.41/exec/${Id}/json`);
    const info = JSON.parse(result.text);
    if (info.ExitCode !== 0 || info.Running) throw new Error(`${side.name}: exec ${Id} after its stream closed: Running ${info.Running}, ExitCode ${info.ExitCode}`);
    return {
      'HEAD /_ping': ping.ms, 'GET /containers/C/json': inspect.ms, 'POST /containers/C/exec': created.ms,
      'POST /exec/ID/start (101)': start.upgraded, 'POST /exec/ID/start (stream end)': start.ms, 'GET /exec/ID/json': result.ms, total: now() - t0,
    };
  } finally {
    agent.destroy();
  }
}

/** Runs `sequence` against each side in turn, `n` times plus a warm-up; the median of each step per side. */
async function measure(sides, sequence, n) {
  const samples = new Map(sides.map((s) => [s.key, []]));
  await roundRobin(sides, { warmup: Math.min(10, Math.ceil(n / 10)), iterations: n }, async (side, measured) => {
    const r = await sequence(side);
    if (measured) samples.get(side.key).push(r);
  });
  const out = {};
  for (const s of sides) {
    const rows = samples.get(s.key);
    out[s.key] = {};
    for (const step of Object.keys(rows[0])) {
      const v = rows.map((r) => r[step]);
      out[s.key][step] = step === 'listed' ? v[v.length - 1] : { median: quantile(v, 0.5), p90: quantile(v, 0.9) };
    }
  }
  return out;
}

/** The docker 28 CLI end to end, interleaved. */
async function cliMedians(sides, args, n) {
  const candidates = sides.map((s) => ({ key: s.key, name: s.name, cmd: cli28, args: args(s), env: { ...process.env, DOCKER_HOST: `unix://${s.socket}` } }));
  const { rows } = await interleaved(candidates, { warmup: 2, iterations: n, failFast: true, name: 'docker' });
  return Object.fromEntries(sides.map((s) => [s.key, { median: rows[s.key].median, p90: rows[s.key].p90 }]));
}

function nodeStartMs() {
  const v = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    spawnSync(process.execPath, ['-e', '0']);
    v.push(now() - t0);
  }
  return quantile(v, 0.5);
}

async function main() {
  const tmp = workDir(path.join(os.tmpdir(), 'berth-bench-latency-'));
  const berth = opts.berthSocket ? { key: 'berth', name: 'berth daemon', socket: opts.berthSocket }
    : await startBerthDaemon(tmp, { node: opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf] : [] });
  const sides = [berth, ...opts.also];
  if (opts.docker) {
    // The shared reference dockerd: started when it is not running (idempotent), never stopped here;
    // busybox imported when it lacks it, and left there.
    const ref = sharedReferenceDocker();
    if (ref.skipped) throw new Error(ref.skipped);
    const docker = { key: 'docker', name: 'dockerd', socket: ref.socket };
    const env = { ...process.env, DOCKER_HOST: `unix://${ref.socket}` };
    if (spawnSync(cli28, ['image', 'inspect', image], { env, stdio: 'ignore' }).status !== 0) {
      must(cli28, ['import', berth.tar ?? busyboxTar(path.join(tmp, 'busybox.tar')), image], { env });
    }
    docker.version = must(cli28, ['version', '--format', '{{.Server.Version}}'], { env }).trim();
    sides.push(docker);
  }
  const prefix = `bench-lat-${process.pid}`;
  for (const s of sides) {
    const env = { ...process.env, DOCKER_HOST: `unix://${s.socket}` };
    for (let i = 0; i < 3; i++) must(cli28, ['run', '-d', '--network', 'none', '--name', `${prefix}-${i}`, image, 'sleep', '100000'], { env });
    cleanups.push(() => spawnSync(cli28, ['rm', '-f', `${prefix}-0`, `${prefix}-1`, `${prefix}-2`], { env, stdio: 'ignore' }));
    s.target = `${prefix}-0`;
  }
  const report = { machine: machine(), nodeStartMs: nodeStartMs(), iterations: opts.iterations, sides: Object.fromEntries(sides.map((s) => [s.key, s.version ?? 'berth'])), results: {} };
  log(`ps sequence ×${opts.iterations}`);
  report.results.ps = await measure(sides, psSequence, opts.iterations);
  log(`exec sequence ×${opts.iterations}`);
  report.results.exec = await measure(sides, execSequence, opts.iterations);
  if (opts.cli) {
    log(`docker 28 CLI ×${opts.cliIterations}`);
    report.results.cli = {
      ps: await cliMedians(sides, () => ['ps'], opts.cliIterations),
      exec: await cliMedians(sides, (s) => ['exec', s.target, 'true'], opts.cliIterations),
    };
  }
  if (berth.stop) {
    for (let i = 0; i < 3; i++) spawnSync(cli28, ['rm', '-f', `${prefix}-${i}`], { env: { ...process.env, DOCKER_HOST: `unix://${berth.socket}` }, stdio: 'ignore' });
    await berth.stop();
  }
  if (opts.json) return void process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  const out = [`machine: ${report.machine.nproc} cpus, ${report.machine.cpu}; node -e 0: ${fmt(report.nodeStartMs)} ms; dockerd ${report.sides.docker ?? '(none)'}`];
  const keys = sides.map((s) => s.key);
  const others = keys.filter((k) => k !== 'docker');
  const cell = (r, k, v) => `${k} ${fmt(v(r[k]), 2)}${r.docker && k !== 'docker' ? ` (${fmt(v(r[k]) / v(r.docker), 2)}×)` : ''}`;
  for (const k of ['ps', 'exec']) {
    const r = report.results[k];
    out.push(`${k} sequence, median ms${r.docker ? ' (ratio to dockerd)' : ''}:`);
    for (const step of Object.keys(r.berth)) {
      if (step === 'listed') out.push(`  containers listed: ${keys.map((s) => `${s} ${r[s].listed}`).join(', ')}`);
      else out.push(`  ${step.padEnd(34)} ${[...others, ...(r.docker ? ['docker'] : [])].map((s) => cell(r, s, (x) => x[step].median)).join(', ')}`);
    }
  }
  if (report.results.cli) {
    for (const k of ['ps', 'exec']) {
      const r = report.results.cli[k];
      out.push(`docker 28 CLI ${k === 'ps' ? 'ps' : 'exec C true'}, median ms: ${[...others, ...(r.docker ? ['docker'] : [])].map((s) => cell(r, s, (x) => x.median)).join(', ')}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

await runMain(main, { prefix: 'failed', stack: true });
