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
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, log, median, must, removeTree, repo, startReferenceDocker } from './lib.mjs';

const dockerEnv = { BERTH_REF_RUN_DIR: '/run/berth-bench-copy-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-copy-docker' };
const baseImage = 'bench/copy-base:1';
const outImage = 'bench/copy-out:1';
const targetRatio = 1.0;

function parseArgs(argv) {
  const opts = { files: 20000, iterations: 5, docker: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--files' || flag === '--iterations') {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < 1) usage(`bad value for ${flag}`);
      opts[flag.slice(2)] = n;
    } else if (flag === '--docker') opts.docker = true;
    else if (flag === '--json') opts.json = true;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${argv[i]}"`);
  }
  return opts;
}

function usage(problem) {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: node bench/copy-context.mjs [--files N] [--iterations N] [--docker] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));



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

// ---------- engines ----------
function startDocker(baseTar) {
  if (!opts.docker) return { skipped: 'not requested (--docker)' };
  const ref = startReferenceDocker(dockerEnv);
  if (ref.skipped) return ref;
  must(dockerCli, ['import', baseTar, baseImage], { env: ref.env });
  return ref;
}

function timeOnce(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr ?? '').trim().split('\n').slice(-10).join('\n')}`);
  return ms;
}


async function main() {
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
  const tmp = mkdtempSync('/tmp/berth-bench-copy-');
  cleanups.push(() => removeTree(tmp));
  const ctx = path.join(tmp, 'ctx');
  log(`generating ${opts.files} files in ${ctx}`);
  generateContext(ctx, opts.files);
  const baseTar = path.join(tmp, 'busybox.tar');
  writeFileSync(baseTar, spawnSync(path.join(repo, 'tools', 'make-busybox-rootfs.sh'), { maxBuffer: 64 << 20 }).stdout);
  const store = path.join(tmp, 'store');
  const berthEnv = { ...process.env, BERTH_ROOT: store };
  delete berthEnv.BERTH_TRACE;
  must(berthBin, ['import', baseTar, baseImage], { env: berthEnv });
  const docker = startDocker(baseTar);

  const candidates = [
    { key: 'berth', cold: () => timeOnce(berthBin, ['build', '-q', '--no-cache', '-t', outImage, ctx], berthEnv), cached: () => timeOnce(berthBin, ['build', '-q', '-t', outImage, ctx], berthEnv) },
  ];
  if (docker.env) {
    candidates.push({
      key: 'docker',
      cold: () => {
        must(dockerCli, ['builder', 'prune', '-af'], { env: docker.env });
        return timeOnce(dockerCli, ['build', '-q', '--no-cache', '--network', 'none', '-t', outImage, ctx], docker.env);
      },
      cached: () => timeOnce(dockerCli, ['build', '-q', '--network', 'none', '-t', outImage, ctx], docker.env),
    });
  }
  const samples = Object.fromEntries(candidates.map((c) => [c.key, { cold: [], cached: [] }]));
  for (let round = 0; round < opts.iterations; round++) {
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[(round + j) % candidates.length];
      samples[c.key].cold.push(c.cold());
      samples[c.key].cached.push(c.cached());
      await yieldToEventLoop();
    }
    log(`round ${round + 1}/${opts.iterations}`);
  }
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

let status = 0;
try {
  await main();
} catch (err) {
  log(`failed: ${err.message}`);
  status = 1;
} finally {
  cleanup();
}
process.exit(status);
