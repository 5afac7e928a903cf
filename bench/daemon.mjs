#!/usr/bin/env node
// berth daemon benchmark (issue 14, "Performance"): the same clients against `berth daemon` and
// against a private reference dockerd 20.10 (runc) in the same run, same busybox rootfs on both:
//   run      `docker run --rm --network none IMAGE true` (target ≤ 0.5× dockerd)
//   ps       `docker ps` with a few running containers (target ≤ 1.0×)
//   exec     `docker exec CONTAINER true` into an idle container (target ≤ 0.7×)
//   batch    100 containers created and started through the API by 10 concurrent clients, raw
//            HTTP over the socket as an SDK would send it (target ≤ 0.5× dockerd's wall time)
//   memory   the daemon's RSS idle, and what it grows by per running container (targets < 60 MiB, ≤ 1 MiB)
// Run as root from the repository root after `npm run build`:
//   node bench/daemon.mjs [--iterations N] [--warmup N] [--batch N] [--clients N] [--no-docker] [--json]
// Exit status: 0 whenever a report was produced (failed targets print FAIL), 1 when set-up failed, 2 for bad arguments.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, fmt, log, machine, must, quantile, repo, startReferenceDocker } from './lib.mjs';

const dockerDirs = { BERTH_REF_RUN_DIR: '/run/berth-bench-daemon-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-daemon-docker' };
const image = 'berth-bench/busybox:latest';
const targets = { runRatio: 0.5, psRatio: 1.0, execRatio: 0.7, batchRatio: 0.5, idleMiB: 60, perContainerMiB: 1 };

function parseArgs(argv) {
  const opts = { iterations: 15, warmup: 2, batch: 100, clients: 10, docker: true, json: false };
  const ints = { '--iterations': 'iterations', '--warmup': 'warmup', '--batch': 'batch', '--clients': 'clients' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag in ints) {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < (flag === '--warmup' ? 0 : 1)) usage(`bad value for ${flag}`);
      opts[ints[flag]] = n;
    } else if (flag === '--json') opts.json = true;
    else if (flag === '--no-docker') opts.docker = false;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${argv[i]}"`);
  }
  return opts;
}

function usage(problem) {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: node bench/daemon.mjs [--iterations N] [--warmup N] [--batch N] [--clients N] [--no-docker] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));

function timeCmd(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(dockerCli, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) return { error: `docker ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`} ${String(r.stderr ?? '').trim()}` };
  return { ms };
}

const stats = (v) => ({ n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9), min: Math.min(...v), max: Math.max(...v) });

/** The same docker command line against each side, interleaved round-robin; medians per side. */
async function interleaved(sides, args, warmup, iterations) {
  const samples = new Map(sides.map((s) => [s.key, []]));
  for (let round = 0; round < warmup + iterations; round++) {
    for (let j = 0; j < sides.length; j++) {
      const side = sides[(round + j) % sides.length];
      const r = timeCmd(args(side), side.env);
      await yieldToEventLoop();
      if (r.error) throw new Error(`${side.name}: ${r.error}`);
      if (round >= warmup) samples.get(side.key).push(r.ms);
    }
  }
  return Object.fromEntries(sides.map((s) => [s.key, stats(samples.get(s.key))]));
}

/** One API call over a unix socket; resolves with the status and the parsed body. */
function api(socket, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: socket, method, path: urlPath, headers: { Host: 'bench', 'Content-Type': 'application/json', ...(data ? { 'Content-Length': Buffer.byteLength(data) } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 400) return reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text.trim()}`));
        // JSON where the daemon says so (`/_ping` answers a plain `OK`)
        const json = /^application\/json/.test(res.headers['content-type'] ?? '');
        try {
          resolve(!text ? undefined : json ? JSON.parse(text) : text);
        } catch (err) {
          reject(new Error(`${method} ${urlPath}: ${err.message}`));
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** n containers created and started by `clients` concurrent clients through the API; wall ms. */
async function apiBatch(socket, n, clients) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) {
      next++;
      const { Id } = await api(socket, 'POST', '/v1.41/containers/create', { Image: image, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
      await api(socket, 'POST', `/v1.41/containers/${Id}/start`);
    }
  }));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function removeAll(side) {
  const ids = must(dockerCli, ['ps', '-aq', '--no-trunc'], { env: side.env }).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) must(dockerCli, ['rm', '-f', ...ids.slice(i, i + 50)], { env: side.env });
}

async function startBerthDaemon(tmp, tar) {
  const root = path.join(tmp, 'store');
  const socket = path.join(tmp, 'berth.sock');
  const env = { ...process.env, BERTH_ROOT: root };
  delete env.BERTH_TRACE;
  const stateBase = path.join('/run/berth', createHash('sha256').update(root).digest('hex').slice(0, 12));
  cleanups.push(() => rmSync(stateBase, { recursive: true, force: true }));
  must(berthBin, ['import', tar, image], { env });
  const child = spawn(berthBin, ['daemon', '-H', `unix://${socket}`, '--pidfile', path.join(tmp, 'berth.pid')], { env, stdio: 'ignore' });
  cleanups.push(() => {
    log('stopping berth daemon');
    child.kill('SIGTERM');
    const ids = spawnSync(berthBin, ['ps', '-aq', '--no-trunc'], { env }).stdout.toString().split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 50) spawnSync(berthBin, ['rm', '-f', ...ids.slice(i, i + 50)], { env });
  });
  // up when it answers (the socket can exist a moment before)
  let up = false;
  for (let i = 0; i < 400 && !up && child.exitCode === null; i++) {
    if (existsSync(socket)) up = (await api(socket, 'GET', '/_ping').catch(() => undefined)) === 'OK';
    if (!up) await sleep(50);
  }
  if (!up) throw new Error(`berth daemon did not answer on ${socket}`);
  return { key: 'berth', name: 'berth daemon', socket, pid: child.pid, env: { ...process.env, DOCKER_HOST: `unix://${socket}` } };
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-daemon-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const tar = path.join(tmp, 'busybox.tar');
  must('sh', ['-c', `"${repo}/tools/make-busybox-rootfs.sh" > "${tar}"`]);
  const berth = await startBerthDaemon(tmp, tar);
  const sides = [berth];
  let docker;
  if (opts.docker) {
    // Two dockerds on one host interfere (one started with --bridge=none deletes the other's docker0).
    const other = spawnSync('pgrep', ['-x', 'dockerd']).stdout?.toString().trim();
    if (other) throw new Error(`another dockerd runs (pid ${other.split('\n').join(', ')}): stop it first, or pass --no-docker`);
    const ref = startReferenceDocker(dockerDirs);
    if (!ref.skipped) {
      must(dockerCli, ['import', tar, image], { env: ref.env });
      docker = { key: 'docker', name: `dockerd ${ref.version}`, env: { ...ref.env, DOCKER_BUILDKIT: '0' }, socket: `${dockerDirs.BERTH_REF_RUN_DIR}/docker.sock` };
      sides.push(docker);
    } else log(`no reference: ${ref.skipped}`);
  }
  const report = { machine: machine(), targets, results: {} };
  const idle = rssMiB(berth.pid);
  log('run --rm');
  report.results.run = await interleaved(sides, () => ['run', '--rm', '--network', 'none', image, 'true'], opts.warmup, opts.iterations);
  for (const s of sides) for (let i = 0; i < 3; i++) must(dockerCli, ['run', '-d', '--network', 'none', '--name', `bench-idle-${i}`, image, 'sleep', '1000'], { env: s.env });
  log('ps');
  report.results.ps = await interleaved(sides, () => ['ps'], opts.warmup, opts.iterations);
  log('exec');
  report.results.exec = await interleaved(sides, () => ['exec', 'bench-idle-0', 'true'], opts.warmup, opts.iterations);
  for (const s of sides) removeAll(s);
  const before = rssMiB(berth.pid);
  log(`${opts.batch} containers through the API by ${opts.clients} clients`);
  report.results.batch = {};
  for (const s of sides) report.results.batch[s.key] = { ms: await apiBatch(s.socket, opts.batch, opts.clients) };
  const after = rssMiB(berth.pid);
  report.results.memory = { idleMiB: idle, beforeBatchMiB: before, afterBatchMiB: after, perContainerMiB: (after - before) / opts.batch };
  for (const s of sides) removeAll(s);

  const ratio = (k) => (docker ? report.results[k].berth.median / report.results[k].docker.median : NaN);
  const batchRatio = docker ? report.results.batch.berth.ms / report.results.batch.docker.ms : NaN;
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const out = [];
  out.push(`machine: ${report.machine.nproc} cpus, ${report.machine.cpu}, ${report.machine.memGiB} GiB`);
  for (const [k, label, target] of [['run', 'docker run --rm --network none IMAGE true', targets.runRatio], ['ps', 'docker ps (3 running)', targets.psRatio], ['exec', 'docker exec C true', targets.execRatio]]) {
    const r = report.results[k];
    out.push(`${label}: berth ${fmt(r.berth.median)} ms${docker ? `, dockerd ${fmt(r.docker.median)} ms, ratio ${fmt(ratio(k), 2)} (target ≤ ${target}) ${verdict(ratio(k) <= target)}` : ''}`);
  }
  const b = report.results.batch;
  out.push(`${opts.batch} containers, ${opts.clients} API clients: berth ${fmt(b.berth.ms, 0)} ms${docker ? `, dockerd ${fmt(b.docker.ms, 0)} ms, ratio ${fmt(batchRatio, 2)} (target ≤ ${targets.batchRatio}) ${verdict(batchRatio <= targets.batchRatio)}` : ''}`);
  const m = report.results.memory;
  out.push(`daemon RSS: idle ${fmt(m.idleMiB)} MiB (target < ${targets.idleMiB}) ${verdict(m.idleMiB < targets.idleMiB)}; +${fmt(m.perContainerMiB, 3)} MiB per running container (target ≤ ${targets.perContainerMiB}) ${verdict(m.perContainerMiB <= targets.perContainerMiB)}`);
  process.stdout.write(out.join('\n') + '\n');
}

main().then(() => cleanup(), (err) => {
  log(`failed: ${err.stack ?? err}`);
  cleanup();
  process.exit(1);
});
