#!/usr/bin/env node
// COPY benchmark (issue 7, finding 11): a build context of N small files (default 20,000, in 200
// directories) copied by one `COPY src /src` onto the busybox base, with berth and, with --docker,
// with Docker 20.10 + BuildKit on a private reference dockerd (tools/reference-dockerd.sh, its own
// socket and data root, stopped afterwards). Plain Node ESM, no dependencies. Run as root:
//   node bench/copy-context.mjs [--files 20000] [--iterations 5] [--docker] [--json]
//   cold    `build --no-cache` (Docker: after `docker builder prune -af`), the COPY done again each time
//   cached  the same build again with nothing changed (the context is still read and hashed)
// Rounds are interleaved so machine noise hits both engines alike; medians and berth/Docker ratios
// are printed. Target: cold ratio <= 1.0. Exit 0 whenever a report was produced, 1 when the set-up
// failed, 2 for bad arguments.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berthBin, busyboxStore, dockerCli, log, median, must, parseArgs, referenceDocker, roundRobin, runMain, timeCmd, workDir } from './lib.mjs';

const dockerEnv = { BERTH_REF_RUN_DIR: '/run/berth-bench-copy-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-copy-docker' };
const baseImage = 'bench/copy-base:1';
const outImage = 'bench/copy-out:1';
const targetRatio = 1.0;

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/copy-context.mjs [--files N] [--iterations N] [--docker] [--json]',
  defaults: { files: 20000, iterations: 5, docker: false, json: false },
  options: {
    '--files': { key: 'files', int: 1 }, '--iterations': { key: 'iterations', int: 1 },
    '--docker': { key: 'docker', set: true }, '--json': { key: 'json', set: true },
  },
});

// ---------- the context: N small files, deterministic content ----------
function generateContext(dir, files) {
  const perDir = 100;
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, 'src', `d${String(Math.floor(i / perDir)).padStart(4, '0')}`);
    if (i % perDir === 0) mkdirSync(sub);
    writeFileSync(path.join(sub, `f${String(i % perDir).padStart(3, '0')}.txt`), `file ${i}\n`.repeat(1 + (i % 7)));
  }
  writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${baseImage}\nCOPY src /src\n`);
}

/** One timed build; throws when it fails. */
function timeBuild(cmd, args, env) {
  const r = timeCmd(cmd, args, { env, timeout: 900_000, tail: 10 });
  if (r.error) throw new Error(r.error);
  return r.ms;
}

async function main() {
  const tmp = workDir('/tmp/berth-bench-copy-');
  const ctx = path.join(tmp, 'ctx');
  log(`generating ${opts.files} files in ${ctx}`);
  generateContext(ctx, opts.files);
  const store = busyboxStore(tmp, { image: baseImage });
  const berthEnv = store.env;
  const docker = referenceDocker({ enabled: opts.docker, why: 'not requested (--docker)', dirs: dockerEnv, tar: store.tar, image: baseImage });

  const candidates = [
    { key: 'berth', cold: () => timeBuild(berthBin, ['build', '-q', '--no-cache', '-t', outImage, ctx], berthEnv), cached: () => timeBuild(berthBin, ['build', '-q', '-t', outImage, ctx], berthEnv) },
  ];
  if (docker.env) {
    candidates.push({
      key: 'docker',
      cold: () => {
        must(dockerCli, ['builder', 'prune', '-af'], { env: docker.env });
        return timeBuild(dockerCli, ['build', '-q', '--no-cache', '--network', 'none', '-t', outImage, ctx], docker.env);
      },
      cached: () => timeBuild(dockerCli, ['build', '-q', '--network', 'none', '-t', outImage, ctx], docker.env),
    });
  }
  const samples = Object.fromEntries(candidates.map((c) => [c.key, { cold: [], cached: [] }]));
  await roundRobin(candidates, { iterations: opts.iterations, progress: '' }, (c) => {
    samples[c.key].cold.push(c.cold());
    samples[c.key].cached.push(c.cached());
  });
  const rows = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { coldMs: median(v.cold), cachedMs: median(v.cached), cold: v.cold, cached: v.cached }]));
  const ratio = rows.docker ? { cold: rows.berth.coldMs / rows.docker.coldMs, cached: rows.berth.cachedMs / rows.docker.cachedMs } : undefined;
  const report = {
    date: new Date().toISOString(), files: opts.files, iterations: opts.iterations, nproc: os.cpus().length, load: os.loadavg(),
    docker: docker.skipped ? { skipped: docker.skipped } : { version: docker.version }, rows, ratio,
    target: ratio ? { coldRatio: targetRatio, pass: ratio.cold <= targetRatio } : undefined,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const lines = [`COPY of a ${opts.files}-file context, ${opts.iterations} rounds, ${report.nproc} CPUs, load ${report.load.map((l) => l.toFixed(1)).join(' ')}`];
  for (const [k, r] of Object.entries(rows)) lines.push(`  ${k.padEnd(6)}  cold median ${fmt(r.coldMs)}   cached median ${fmt(r.cachedMs)}`);
  if (ratio) lines.push(`  ratio berth/docker: cold ${ratio.cold.toFixed(2)}x (target <= ${targetRatio}x: ${report.target.pass ? 'PASS' : 'FAIL'}), cached ${ratio.cached.toFixed(2)}x`);
  else lines.push(`  docker: ${docker.skipped}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await runMain(main, { prefix: 'failed' });
