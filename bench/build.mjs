#!/usr/bin/env node
// Build benchmark for `berth build` (issue 3, "Performance"). Plain Node ESM, no dependencies.
// Same Dockerfile, same context, same base image bytes for berth and for Docker 20.10 + BuildKit, in one run:
//   cold    a from-source C build (libaddr: ./configure && make && make check && make install, plus a
//           generated C library compiled with make -j) on an empty cache: berth on a fresh store holding
//           only the imported base, Docker after `docker builder prune -af` with --no-cache
//   cached  the same build again with nothing changed (fully cached)
//   per RUN K trivial `RUN true` steps after a baseline RUN, built with --no-cache, minus the baseline alone,
//           divided by K; berth's overhead per RUN = that minus a raw `crun run` of an equivalent bundle
// Rounds are interleaved (order rotated each round) so machine noise hits every candidate alike. Run as root:
//   node bench/build.mjs [--cold-iterations 5] [--iterations 20] [--steps 10] [--gen-files 120] [--no-docker] [--json]
// Exit status: 0 whenever a report was produced (targets that fail are printed as FAIL), 1 when the
// set-up itself failed (berth not built, mmdebstrap failed), 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  berthBin, berthStore, cleanups, dockerCli, dockerLine, failedLines, fmt, interleaved, loadLine, log, machine, machineLine, must, parseArgs,
  rawRuntime, referenceDocker, removeTree, repo, requireBuilt, runMain, runtimeBundle, stats, table, targetLines, verdictList, workDir,
} from './lib.mjs';
import { buildBaseImage as baseImage, debianBuildBase, generateContext, stepDockerfile } from './build-context.mjs';

// A private reference dockerd: its own socket, data root and exec root, never the fixture recorder's.
const dockerEnv = { BERTH_REF_RUN_DIR: '/run/berth-bench-build-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-build-docker' };
const outImage = 'bench/build-out:1';
const targets = { coldRatio: 1.0, cachedMs: 150, runOverheadMs: 40 };

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/build.mjs [--cold-iterations N] [--iterations N] [--steps K] [--gen-files N] [--mirror URL] [--no-docker] [--json]',
  defaults: { coldIterations: 5, iterations: 20, steps: 10, genFiles: 120, docker: true, json: false, mirror: '' },
  options: {
    '--cold-iterations': { key: 'coldIterations', int: 1 }, '--iterations': { key: 'iterations', int: 1 }, '--steps': { key: 'steps', int: 1 },
    '--gen-files': { key: 'genFiles', int: 0 }, '--mirror': { key: 'mirror', needs: 'a URL' },
    '--json': { key: 'json', set: true }, '--no-docker': { key: 'docker', set: false },
  },
});

// ---------- berth stores ----------
let storeCount = 0;
/** A fresh BERTH_ROOT holding only the imported base image. */
function freshStore(tmp, baseTar) {
  const store = berthStore(path.join(tmp, `store-${++storeCount}`));
  must(berthBin, ['import', baseTar, baseImage], { env: store.env });
  return store;
}
function dropStore(store) {
  removeTree(store.root);
}

// ---------- Docker ----------
function dockerReset(docker) {
  spawnSync(dockerCli, ['rmi', '-f', outImage], { env: docker.env, stdio: 'ignore' });
  must(dockerCli, ['builder', 'prune', '-af'], { env: docker.env });
}

// ---------- timing ----------
/**
 * Interleaved rounds (no warm-up); each candidate may have set-up (untimed) before its timed command.
 * A candidate with a stepKey also gets its compile step's time (and the rest) as two more rows.
 */
async function measure(candidates, rounds, label) {
  const steps = new Map(candidates.flatMap((c) => [c.stepKey, c.restKey].filter(Boolean).map((k) => [k, []])));
  const res = await interleaved(candidates, {
    iterations: rounds, progress: opts.json ? undefined : label, output: true, tail: 15, timeout: 900_000,
    onRun(c, r) {
      c.lastOutput = `${r.stdout}${r.stderr}`;
      const longest = c.stepKey ? compileStep(c.lastOutput) : undefined;
      if (longest !== undefined) {
        steps.get(c.stepKey).push(longest);
        steps.get(c.restKey).push(r.ms - longest);
      }
    },
  });
  // Attribution of cold builds: the compile step as the engine reports it, and everything else.
  const rows = { ...res.rows };
  const add = (key, name) => { if (steps.get(key).length) rows[key] = { name, ...stats(steps.get(key)) }; };
  for (const c of candidates) if (c.stepKey) { add(c.stepKey, `  ${c.short}: compile RUN (its DONE time)`); add(c.restKey, `  ${c.short}: wall - compile RUN`); }
  return { rows, failed: res.failed };
}

/**
 * The compile RUN's duration in ms as the engine reports it in `--progress plain` (`#7 [build 5/5] RUN cd
 * libaddr ...` then `#7 DONE 18.6s`, berth and BuildKit alike), 0.1 s resolution.
 */
function compileStep(output) {
  const n = /^#(\d+) \[[^\]]*\] RUN cd libaddr/m.exec(output)?.[1];
  const done = n && new RegExp(`^#${n} DONE (\\d+(?:\\.\\d+)?)s$`, 'm').exec(output);
  return done ? Number(done[1]) * 1000 : undefined;
}


// ---------- the three measurements ----------
const buildArgs = (ctx, dockerfile, extra) => ['build', '--network', 'none', '--progress', 'plain', '-f', dockerfile, '-t', outImage, ...extra, ctx];

async function measureCold(tmp, base, ctx, docker) {
  let store = null;
  const dockerfile = path.join(ctx, 'Dockerfile');
  const list = [{
    name: 'berth build, cold (fresh store)', key: 'berth-cold', short: 'berth', stepKey: 'berth-cold-step', restKey: 'berth-cold-rest',
    before() { store = freshStore(tmp, base.tar); },
    prepare: () => [berthBin, buildArgs(ctx, dockerfile, []), store.env],
    after() { dropStore(store); store = null; },
  }];
  if (docker.env) {
    list.push({
      name: 'docker build, cold (pruned, --no-cache)', key: 'docker-cold', short: 'docker', stepKey: 'docker-cold-step', restKey: 'docker-cold-rest',
      before() { dockerReset(docker); },
      prepare: () => [dockerCli, buildArgs(ctx, dockerfile, ['--no-cache']), docker.env],
    });
  }
  cleanups.push(() => { if (store) dropStore(store); });
  const res = await measure(list, opts.coldIterations, 'cold builds');
  return { ...res, berthOutput: list[0].lastOutput };
}

async function measureCached(tmp, base, ctx, docker) {
  const store = freshStore(tmp, base.tar);
  cleanups.push(() => dropStore(store));
  const dockerfile = path.join(ctx, 'Dockerfile');
  log('cached rebuilds: priming both caches with one build each');
  must(berthBin, buildArgs(ctx, dockerfile, []), { env: store.env });
  const list = [{ name: 'berth build, fully cached', key: 'berth-cached', prepare: () => [berthBin, buildArgs(ctx, dockerfile, []), store.env] }];
  if (docker.env) {
    dockerReset(docker);
    must(dockerCli, buildArgs(ctx, dockerfile, []), { env: docker.env });
    list.push({ name: 'docker build, fully cached', key: 'docker-cached', prepare: () => [dockerCli, buildArgs(ctx, dockerfile, []), docker.env] });
  }
  const res = await measure(list, opts.iterations, 'cached rebuilds');
  const trace = spawnSync(berthBin, buildArgs(ctx, dockerfile, []), { env: { ...store.env, BERTH_TRACE: '1' }, encoding: 'utf8' });
  return { ...res, store, trace: `${trace.stdout}${trace.stderr}`, berthOutput: list[0].lastOutput };
}

async function measureSteps(tmp, base, store, docker) {
  const dir = path.join(tmp, 'steps');
  mkdirSync(dir, { recursive: true });
  const withRuns = path.join(dir, 'Dockerfile.runs');
  const without = path.join(dir, 'Dockerfile.base');
  writeFileSync(withRuns, stepDockerfile(baseImage, opts.steps));
  writeFileSync(without, stepDockerfile(baseImage, 0));
  const ref = runtimeBundle(tmp, { tar: base.tar, image: baseImage, env: store.env });
  const list = [
    { name: `berth build --no-cache, 1+${opts.steps} x RUN true`, key: 'berth-runs', prepare: () => [berthBin, buildArgs(dir, withRuns, ['--no-cache']), store.env] },
    { name: 'berth build --no-cache, 1 x RUN true', key: 'berth-base', prepare: () => [berthBin, buildArgs(dir, without, ['--no-cache']), store.env] },
    rawRuntime('crun', tmp, ref, { name: 'crun run true (raw)', cgroupParent: `berth-bench-build-${process.pid}` }),
  ];
  if (docker.env) {
    list.push({ name: `docker build --no-cache, 1+${opts.steps} x RUN true`, key: 'docker-runs', prepare: () => [dockerCli, buildArgs(dir, withRuns, ['--no-cache']), docker.env] });
    list.push({ name: 'docker build --no-cache, 1 x RUN true', key: 'docker-base', prepare: () => [dockerCli, buildArgs(dir, without, ['--no-cache']), docker.env] });
  }
  const res = await measure(list, opts.iterations, 'per-RUN steps');
  const trace = spawnSync(berthBin, buildArgs(dir, withRuns, ['--no-cache']), { env: { ...store.env, BERTH_TRACE: '1' }, encoding: 'utf8' });
  return { ...res, trace: `${trace.stdout}${trace.stderr}` };
}

// ---------- report ----------
function verdicts(cold, cached, steps) {
  const { list: out, add } = verdictList();
  const bc = cold.rows['berth-cold']?.median;
  const dc = cold.rows['docker-cold']?.median;
  const ratio = bc !== undefined && dc !== undefined ? bc / dc : undefined;
  add('cold build: berth / docker median', ratio, 'x', `<= ${targets.coldRatio}x`, ratio !== undefined ? ratio <= targets.coldRatio : null,
    dc === undefined ? 'no Docker measurement in this run' : `${fmt(bc / 1000, 2)} s vs ${fmt(dc / 1000, 2)} s`);
  const bk = cached.rows['berth-cached']?.median;
  add('fully cached rebuild: berth median', bk, 'ms', `<= ${targets.cachedMs} ms`, bk !== undefined ? bk <= targets.cachedMs : null,
    cached.rows['docker-cached'] ? `docker ${fmt(cached.rows['docker-cached'].median)} ms` : undefined);
  const perStep = (k) => (steps.rows[`${k}-runs`] && steps.rows[`${k}-base`] ? (steps.rows[`${k}-runs`].median - steps.rows[`${k}-base`].median) / opts.steps : undefined);
  const bs = perStep('berth');
  const crun = steps.rows['raw-crun']?.median;
  const over = bs !== undefined && crun !== undefined ? bs - crun : undefined;
  add('berth time per RUN step = ((1+K) RUNs - 1 RUN) / K', bs, 'ms', '', null);
  add('berth overhead per RUN = per-step - raw crun run', over, 'ms', `<= ${targets.runOverheadMs} ms`, over !== undefined ? over <= targets.runOverheadMs : null,
    crun !== undefined ? `raw crun ${fmt(crun)} ms` : undefined);
  const ds = perStep('docker');
  add('(info) docker time per RUN step', ds, 'ms', '', null);
  return out;
}


const tableShape = { width: 42, valueWidth: 8 };

function printText(report) {
  const m = report.machine;
  const lines = [
    `${machineLine(m)}; node ${m.node}; ${m.crun}; ${m.dockerd}${report.docker.info ? ` [${report.docker.info}]` : ''}`,
    loadLine(report.load),
    `base: ${report.base.tar} (${report.base.cached ? 'cached' : 'made in this run'}; ${JSON.stringify(report.base.inputs)})`,
    `context: ${report.context}`,
    dockerLine(report.docker),
    '', `cold builds, ${report.coldIterations} interleaved rounds (ms):`, ...table(report.cold, tableShape),
    '', `fully cached rebuilds, ${report.iterations} interleaved rounds (ms):`, ...table(report.cached, tableShape),
    '', `per-RUN steps, K = ${report.steps}, ${report.iterations} interleaved rounds (ms):`, ...table(report.perRun, tableShape),
    ...failedLines(report.failed), ...targetLines(report.targets),
  ];
  lines.push('', 'BERTH_TRACE=1, one fully cached rebuild:', report.traces.cached, '', `BERTH_TRACE=1, one --no-cache build with ${report.steps} RUN true:`, report.traces.steps);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  requireBuilt();
  const tmp = workDir('/tmp/berth-bench-build-');
  const base = debianBuildBase({ mirror: opts.mirror });
  const ctx = path.join(tmp, 'ctx');
  const context = generateContext(ctx, { repo, baseImage, genFiles: opts.genFiles });
  const docker = referenceDocker({ enabled: opts.docker, dirs: dockerEnv, tar: base.tar, image: baseImage, runtime: true });
  const cold = await measureCold(tmp, base, ctx, docker);
  const cached = await measureCached(tmp, base, ctx, docker);
  const steps = await measureSteps(tmp, base, cached.store, docker);
  const failed = { ...cold.failed, ...cached.failed, ...steps.failed };
  const report = {
    date: new Date().toISOString(), machine: machine(), load: { before: loadBefore, after: os.loadavg() },
    base: { tar: base.tar, cached: base.cached, inputs: base.inputs }, context,
    docker: { skipped: docker.skipped, version: docker.version, info: docker.runtime },
    coldIterations: opts.coldIterations, iterations: opts.iterations, steps: opts.steps,
    cold: cold.rows, cached: cached.rows, perRun: steps.rows, failed,
    targets: verdicts(cold, cached, steps),
    traces: { cached: cached.trace.trim(), steps: steps.trace.trim() },
    berthColdOutputTail: (cold.berthOutput ?? '').trim().split('\n').slice(-12).join('\n'),
  };
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printText(report);
}

await runMain(main);
