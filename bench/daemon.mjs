#!/usr/bin/env node
// berth daemon benchmark (issue 14, "Performance"): the same clients against `berth daemon` and
// against a private reference dockerd 20.10 (runc) in the same run, same busybox rootfs on both:
//   run      `docker run --rm --network none IMAGE true` (target ≤ 0.5× dockerd)
//   ps       `docker ps` with a few running containers (target ≤ 1.0×); --ps-iterations rounds (default
//            100): the CLI's own start-up is most of the ~25 ms, so the daemons' part is a few
//            percent and fewer rounds cannot tell them apart; also with the docker 28 CLI
//            (/usr/local/bin/docker) where it is installed
//   exec     `docker exec CONTAINER true` into an idle container (target ≤ 0.7×)
//   batch    100 containers created and started through the API by 10 concurrent clients, raw
//            HTTP over the socket as an SDK would send it (target ≤ 0.5× dockerd's wall time)
//   memory   the daemon's RSS idle, and what it grows by per running container (targets < 60 MiB, ≤ 1 MiB)
// Run as root from the repository root after `npm run build`:
//   node bench/daemon.mjs [--iterations N] [--ps-iterations N] [--warmup N] [--batch N] [--clients N] [--no-docker] [--json]
// With BERTH_NATIVE_LANE=0 in the environment the daemon serves every connection from Node (the
// native lane off: native/api_lane.c), for an A/B of the lane against the same dockerd.
// Exit status: 0 whenever a report was produced (failed targets print FAIL), 1 when set-up failed, 2 for bad arguments.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

import {
  busyboxImage as image, busyboxTar, dockerCli, dockerdPids, fmt, interleaved as timedRounds, log, machine, parseArgs, referenceDocker,
  must, removeContainers, runMain, startBerthDaemon, workDir,
} from './lib.mjs';

const dockerDirs = { BERTH_REF_RUN_DIR: '/run/berth-bench-daemon-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-daemon-docker' };
const targets = { runRatio: 0.5, psRatio: 1.0, execRatio: 0.7, batchRatio: 0.5, idleMiB: 60, perContainerMiB: 1 };

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/daemon.mjs [--iterations N] [--ps-iterations N] [--warmup N] [--batch N] [--clients N] [--no-docker] [--json]',
  defaults: { iterations: 15, psIterations: 100, warmup: 2, batch: 100, clients: 10, docker: true, json: false },
  options: {
    '--iterations': { key: 'iterations', int: 1 }, '--ps-iterations': { key: 'psIterations', int: 1 }, '--warmup': { key: 'warmup', int: 0 }, '--batch': { key: 'batch', int: 1 },
    '--clients': { key: 'clients', int: 1 }, '--json': { key: 'json', set: true }, '--no-docker': { key: 'docker', set: false },
  },
});

/** A newer docker CLI, when installed: its start-up differs, and so does the daemons' share of a command. */
const dockerCli28 = '/usr/local/bin/docker';

/** The same docker command line against each side, interleaved round-robin; stats per side (a failure ends the run). */
async function interleaved(sides, args, warmup, iterations, cli = dockerCli) {
  const candidates = sides.map((side) => ({ key: side.key, name: side.name, cmd: cli, args: args(side), env: side.env }));
  const { rows } = await timedRounds(candidates, { warmup, iterations, failFast: true, name: 'docker' });
  return Object.fromEntries(Object.entries(rows).map(([key, row]) => [key, { n: row.n, median: row.median, p90: row.p90, min: row.min, max: row.max }]));
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

async function main() {
  const tmp = workDir('/tmp/berth-bench-daemon-');
  const tar = busyboxTar(`${tmp}/busybox.tar`);
  const berth = await startBerthDaemon(tmp, { tar });
  const sides = [berth];
  let docker;
  if (opts.docker) {
    // Two dockerds on one host interfere (one started with --bridge=none deletes the other's docker0).
    const others = dockerdPids();
    if (others.length > 0) throw new Error(`another dockerd runs (pid ${others.join(', ')}): stop it first, or pass --no-docker`);
    const ref = referenceDocker({ dirs: dockerDirs, tar, image });
    if (!ref.skipped) {
      docker = { key: 'docker', name: `dockerd ${ref.version}`, env: { ...ref.env, DOCKER_BUILDKIT: '0' }, socket: ref.socket };
      sides.push(docker);
    } else log(`no reference: ${ref.skipped}`);
  }
  const report = { machine: machine(), targets, results: {} };
  const idle = rssMiB(berth.pid);
  log('run --rm');
  report.results.run = await interleaved(sides, () => ['run', '--rm', '--network', 'none', image, 'true'], opts.warmup, opts.iterations);
  for (const s of sides) for (let i = 0; i < 3; i++) must(dockerCli, ['run', '-d', '--network', 'none', '--name', `bench-idle-${i}`, image, 'sleep', '1000'], { env: s.env });
  log('ps');
  report.results.ps = await interleaved(sides, () => ['ps'], opts.warmup, opts.psIterations);
  if (existsSync(dockerCli28)) {
    log('ps (docker 28 CLI)');
    report.results.ps28 = await interleaved(sides, () => ['ps'], opts.warmup, opts.psIterations, dockerCli28);
  }
  log('exec');
  report.results.exec = await interleaved(sides, () => ['exec', 'bench-idle-0', 'true'], opts.warmup, opts.iterations);
  for (const s of sides) removeContainers(dockerCli, s.env);
  const before = rssMiB(berth.pid);
  log(`${opts.batch} containers through the API by ${opts.clients} clients`);
  report.results.batch = {};
  for (const s of sides) report.results.batch[s.key] = { ms: await apiBatch(s.socket, opts.batch, opts.clients) };
  const after = rssMiB(berth.pid);
  report.results.memory = { idleMiB: idle, beforeBatchMiB: before, afterBatchMiB: after, perContainerMiB: (after - before) / opts.batch };
  for (const s of sides) removeContainers(dockerCli, s.env);

  const ratio = (k) => (docker ? report.results[k].berth.median / report.results[k].docker.median : NaN);
  const batchRatio = docker ? report.results.batch.berth.ms / report.results.batch.docker.ms : NaN;
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const out = [];
  out.push(`machine: ${report.machine.nproc} cpus, ${report.machine.cpu}, ${report.machine.memGiB} GiB`);
  const rows = [['run', 'docker run --rm --network none IMAGE true', targets.runRatio], ['ps', 'docker ps (3 running)', targets.psRatio],
    ['ps28', 'docker ps (3 running), docker 28 CLI', targets.psRatio], ['exec', 'docker exec C true', targets.execRatio]];
  for (const [k, label, target] of rows) {
    const r = report.results[k];
    if (!r) continue;
    out.push(`${label}: berth ${fmt(r.berth.median)} ms${docker ? `, dockerd ${fmt(r.docker.median)} ms, ratio ${fmt(ratio(k), 2)} (target ≤ ${target}) ${verdict(ratio(k) <= target)}` : ''}`);
  }
  const b = report.results.batch;
  out.push(`${opts.batch} containers, ${opts.clients} API clients: berth ${fmt(b.berth.ms, 0)} ms${docker ? `, dockerd ${fmt(b.docker.ms, 0)} ms, ratio ${fmt(batchRatio, 2)} (target ≤ ${targets.batchRatio}) ${verdict(batchRatio <= targets.batchRatio)}` : ''}`);
  const m = report.results.memory;
  out.push(`daemon RSS: idle ${fmt(m.idleMiB)} MiB (target < ${targets.idleMiB}) ${verdict(m.idleMiB < targets.idleMiB)}; +${fmt(m.perContainerMiB, 3)} MiB per running container (target ≤ ${targets.perContainerMiB}) ${verdict(m.perContainerMiB <= targets.perContainerMiB)}`);
  process.stdout.write(out.join('\n') + '\n');
}

await runMain(main, { prefix: 'failed', stack: true });
