#!/usr/bin/env node
// Fully cached rebuilds, berth against Docker in the same run (issue 13, "Performance": <= 1.0x
// Docker's). The context and Dockerfile are bench/build.mjs's (examples/python-native/libaddr plus
// the generated C library, two stages), on the same mmdebstrap base (cached under
// /var/cache/berth-bench by bench/build.mjs). Each engine builds it once (untimed), then the same
// command runs --iterations times, interleaved, nothing changed; each sample is spawn to exit.
// Docker is the shared reference dockerd (tools/reference-dockerd.sh start: idempotent; it is
// never stopped here, and its build cache never pruned: other work may use it; the images built on
// this run's import of the base are removed at the end), timed twice:
// with BuildKit (DOCKER_BUILDKIT=1, as bench/build.mjs does) and with the legacy builder
// (DOCKER_BUILDKIT=0). Plain Node ESM, no dependencies. Run as root, after `npm run build`:
//   node bench/cached-rebuild.mjs [--iterations 20] [--gen-files 120] [--no-docker] [--json]
// Exit 0 whenever a report was produced, 1 when the set-up failed, 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, fmt, log, machine, must, quantile, refDockerd, removeTree, repo } from './lib.mjs';
import { generateContext } from './build-context.mjs';

const baseImage = 'bench/debian-build:1';
const outImage = 'bench/cached-out:1';
const cacheDir = '/var/cache/berth-bench';
const targetRatio = 1.0;

function parseArgs(argv) {
  const opts = { iterations: 20, genFiles: 120, docker: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--iterations' || flag === '--gen-files') {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < (flag === '--gen-files' ? 0 : 1)) usage(`bad value for ${flag}`);
      opts[flag === '--iterations' ? 'iterations' : 'genFiles'] = n;
    } else if (flag === '--no-docker') opts.docker = false;
    else if (flag === '--json') opts.json = true;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${argv[i]}"`);
  }
  return opts;
}
function usage(problem) {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: node bench/cached-rebuild.mjs [--iterations N] [--gen-files N] [--no-docker] [--json]\n');
  process.exit(problem ? 2 : 0);
}
const opts = parseArgs(process.argv.slice(2));

/** The base rootfs bench/build.mjs made (mmdebstrap, cached by its inputs); the newest one when several are cached. */
function baseTar() {
  const tars = existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => /^debian-build-bookworm-[0-9a-f]{16}\.tar$/.test(f)) : [];
  if (tars.length === 0) throw new Error(`no base rootfs in ${cacheDir}: run node bench/build.mjs once (it makes it with mmdebstrap)`);
  return path.join(cacheDir, tars.sort()[tars.length - 1]);
}

const buildArgs = (ctx) => ['build', '--network', 'none', '--progress', 'plain', '-t', outImage, ctx];

function timeOnce(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-10).join('\n')}`);
  if (!/CACHED|Using cache/.test(`${r.stdout}${r.stderr}`)) throw new Error(`${cmd} build was not cached:\n${`${r.stdout}${r.stderr}`.slice(-2000)}`);
  return ms;
}

async function main() {
  const tar = baseTar();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cached-'));
  cleanups.push(() => removeTree(tmp));
  const ctx = path.join(tmp, 'ctx');
  const description = generateContext(ctx, { repo, baseImage, genFiles: opts.genFiles });
  const berthEnv = { ...process.env, BERTH_ROOT: path.join(tmp, 'store') };
  // The store's runtime state on /run goes with it (as the e2e harness's stores' does).
  cleanups.push(() => rmSync(path.join('/run/berth', createHash('sha256').update(berthEnv.BERTH_ROOT).digest('hex').slice(0, 12)), { recursive: true, force: true }));
  delete berthEnv.BERTH_TRACE;
  log(`berth: importing ${tar} and priming the cache (one cold build)`);
  must(berthBin, ['import', tar, baseImage], { env: berthEnv });
  must(berthBin, buildArgs(ctx), { env: berthEnv });
  const candidates = [{ key: 'berth', name: 'berth build, fully cached', cmd: berthBin, env: berthEnv }];
  let dockerVersion = 'not measured';
  if (opts.docker) {
    if (!existsSync(dockerCli) || !existsSync('/usr/sbin/dockerd')) throw new Error(`${dockerCli} or /usr/sbin/dockerd not installed`);
    must(refDockerd, ['start']);
    const host = /DOCKER_HOST=(\S+)/.exec(must(refDockerd, ['env']))?.[1]?.replace(/^["']|["']$/g, '');
    const env = { ...process.env, DOCKER_HOST: host };
    dockerVersion = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env }).trim();
    log('docker: importing the base and priming both builders\' caches (one cold build each)');
    const baseId = must(dockerCli, ['import', tar, baseImage], { env }).trim();
    // Everything built on this import is this run's (the legacy builder leaves the first stage's image untagged): removed, base last.
    // (An image BuildKit made names no parent: it is told by its base layer, the import's one, and it came after the import.)
    const importedAt = Date.now() - 1000;
    const baseLayer = must(dockerCli, ['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', baseId], { env }).trim();
    cleanups.push(() => {
      const ids = spawnSync(dockerCli, ['images', '-aq', '--no-trunc'], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      const builtOnIt = (id) => {
        if (spawnSync(dockerCli, ['history', '-q', '--no-trunc', id], { env, encoding: 'utf8' }).stdout.includes(baseId)) return true;
        const [layer, created] = spawnSync(dockerCli, ['image', 'inspect', '-f', '{{index .RootFS.Layers 0}} {{.Created}}', id], { env, encoding: 'utf8' }).stdout.trim().split(' ');
        return layer === baseLayer && Date.parse(created ?? '') >= importedAt;
      };
      const ours = [...new Set(ids)].filter((id) => id !== baseId && builtOnIt(id));
      if (ours.length > 0) spawnSync(dockerCli, ['rmi', '-f', ...ours], { env, stdio: 'ignore' });
      spawnSync(dockerCli, ['rmi', '-f', baseId], { env, stdio: 'ignore' });
    });
    for (const buildkit of ['1', '0']) must(dockerCli, buildArgs(ctx).filter((a) => buildkit === '1' || !['--progress', 'plain'].includes(a)), { env: { ...env, DOCKER_BUILDKIT: buildkit } });
    candidates.push(
      { key: 'docker-buildkit', name: 'docker build, fully cached (BuildKit)', cmd: dockerCli, env: { ...env, DOCKER_BUILDKIT: '1' } },
      { key: 'docker-legacy', name: 'docker build, fully cached (DOCKER_BUILDKIT=0)', cmd: dockerCli, env: { ...env, DOCKER_BUILDKIT: '0' }, legacy: true },
    );
  }
  const samples = Object.fromEntries(candidates.map((c) => [c.key, []]));
  for (let round = 0; round < opts.iterations; round++) {
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[(round + j) % candidates.length];
      const args = c.legacy ? buildArgs(ctx).filter((a) => !['--progress', 'plain'].includes(a)) : buildArgs(ctx);
      samples[c.key].push(timeOnce(c.cmd, args, c.env));
      await yieldToEventLoop();
    }
    if (!opts.json) log(`round ${round + 1}/${opts.iterations}`);
  }
  const rows = candidates.map((c) => {
    const v = samples[c.key];
    return { key: c.key, name: c.name, n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9), min: Math.min(...v), max: Math.max(...v) };
  });
  const berth = rows[0].median;
  const ratios = Object.fromEntries(rows.slice(1).map((r) => [r.key, berth / r.median]));
  const report = { machine: machine(), context: description, docker: dockerVersion, iterations: opts.iterations, rows, ratios };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const m = report.machine;
  const lines = [
    `machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}; node ${m.node}; load ${m.loadavg.join(' ')}`,
    `context: ${description}`,
    `docker: ${dockerVersion}`,
    `fully cached rebuilds, ${opts.iterations} interleaved rounds (ms):`,
    '| command                                          |   median |      p90 |      min |      max |  n |',
    '|--------------------------------------------------|---------:|---------:|---------:|---------:|---:|',
    ...rows.map((r) => `| ${r.name.padEnd(48)} | ${fmt(r.median).padStart(8)} | ${fmt(r.p90).padStart(8)} | ${fmt(r.min).padStart(8)} | ${fmt(r.max).padStart(8)} | ${String(r.n).padStart(2)} |`),
    ...Object.entries(ratios).map(([k, ratio]) => `  ${ratio <= targetRatio ? 'PASS' : 'FAIL'}  berth / ${k} median: ${fmt(ratio, 2)}x (target <= ${targetRatio}x)`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} catch (err) {
  log(`failed: ${err.message}`);
  cleanup();
  process.exit(1);
}
cleanup();
