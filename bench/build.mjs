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
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, firstLine, fmt, log, machine, must, quantile, removeCgroup, removeTree, repo, startReferenceDocker } from './lib.mjs';
import { generateContext, stepDockerfile } from './build-context.mjs';

// A private reference dockerd: its own socket, data root and exec root, never the fixture recorder's.
const dockerEnv = { BERTH_REF_RUN_DIR: '/run/berth-bench-build-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-build-docker' };
const baseImage = 'bench/debian-build:1';
const outImage = 'bench/build-out:1';
const cacheDir = '/var/cache/berth-bench';
const baseSpec = { suite: 'bookworm', variant: 'minbase', include: ['gcc', 'make', 'libc6-dev', 'ca-certificates'] };
const targets = { coldRatio: 1.0, cachedMs: 150, runOverheadMs: 40 };

function parseArgs(argv) {
  const opts = { coldIterations: 5, iterations: 20, steps: 10, genFiles: 120, docker: true, json: false, mirror: '' };
  const ints = { '--cold-iterations': 'coldIterations', '--iterations': 'iterations', '--steps': 'steps', '--gen-files': 'genFiles' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag in ints) {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < (flag === '--gen-files' ? 0 : 1)) usage(`bad value for ${flag}`);
      opts[ints[flag]] = n;
    } else if (flag === '--mirror') opts.mirror = inline ?? argv[++i] ?? usage('--mirror needs a URL');
    else if (flag === '--json') opts.json = true;
    else if (flag === '--no-docker') opts.docker = false;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${argv[i]}"`);
  }
  return opts;
}

function usage(problem) {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: node bench/build.mjs [--cold-iterations N] [--iterations N] [--steps K] [--gen-files N] [--mirror URL] [--no-docker] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));






// ---------- base image: one mmdebstrap tarball, cached by its inputs ----------
/** The host's Debian mirror (deb822 .sources or a one-line sources.list), for the suite we bootstrap. */
function hostMirror() {
  if (opts.mirror) return opts.mirror;
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')).map((f) => path.join(dir, f)) : [];
  for (const f of files) {
    for (const stanza of readFileSync(f, 'utf8').split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
      if (uri && suites.includes(baseSpec.suite)) return uri;
    }
  }
  const list = existsSync('/etc/apt/sources.list') ? readFileSync('/etc/apt/sources.list', 'utf8') : '';
  const m = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${baseSpec.suite}\\s`, 'm').exec(list);
  return m?.[1] ?? 'http://deb.debian.org/debian';
}

function prepareBase() {
  const mirror = hostMirror();
  const tool = firstLine('mmdebstrap', ['--version']);
  const inputs = { ...baseSpec, mirror, tool, format: 'tar' };
  const key = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  const tar = path.join(cacheDir, `debian-build-${baseSpec.suite}-${key}.tar`);
  if (existsSync(tar)) {
    log(`base rootfs: cached ${tar}`);
    return { tar, inputs, cached: true };
  }
  if (tool === 'not available') throw new Error('mmdebstrap is not installed (Debian package "mmdebstrap")');
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${tar}.${process.pid}.partial`;
  cleanups.push(() => rmSync(partial, { force: true }));
  log(`base rootfs: mmdebstrap ${baseSpec.suite} from ${mirror} (once; cached as ${tar})`);
  const t0 = Date.now();
  must('mmdebstrap', [`--variant=${baseSpec.variant}`, `--include=${baseSpec.include.join(',')}`, '--format=tar', baseSpec.suite, partial, mirror], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(partial, tar);
  log(`base rootfs: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { tar, inputs, cached: false };
}

// ---------- berth stores ----------
let storeCount = 0;
/** A fresh BERTH_ROOT holding only the imported base image. */
function freshStore(tmp, baseTar) {
  const root = path.join(tmp, `store-${++storeCount}`);
  const env = { ...process.env, BERTH_ROOT: root };
  delete env.BERTH_TRACE;
  must(berthBin, ['import', baseTar, baseImage], { env });
  return { root, env };
}
function dropStore(store) {
  removeTree(store.root);
}

// ---------- Docker ----------
function startDocker(baseTar) {
  if (!opts.docker) return { skipped: 'disabled with --no-docker' };
  const ref = startReferenceDocker(dockerEnv);
  if (ref.skipped) return ref;
  must(dockerCli, ['import', baseTar, baseImage], { env: ref.env });
  const info = must(dockerCli, ['info', '--format', '{{.DefaultRuntime}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'], { env: ref.env }).trim();
  return { ...ref, info };
}

function dockerReset(docker) {
  spawnSync(dockerCli, ['rmi', '-f', outImage], { env: docker.env, stdio: 'ignore' });
  must(dockerCli, ['builder', 'prune', '-af'], { env: docker.env });
}

// ---------- raw crun bundle: berth's own config for `run IMAGE true`, on a plain directory ----------
function setupBundle(tmp, baseTar, store) {
  const name = `bench-ref-${process.pid}`;
  must(berthBin, ['run', '--name', name, '--network', 'none', baseImage, 'true'], { env: store.env });
  const id = JSON.parse(must(berthBin, ['inspect', name], { env: store.env }))[0].Id;
  const ctrDir = path.join(store.root, 'containers', id);
  const config = JSON.parse(readFileSync(path.join(ctrDir, 'config.json'), 'utf8'));
  const bundle = path.join(tmp, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  must('tar', ['-xf', baseTar, '-C', path.join(bundle, 'rootfs')]);
  for (const m of config.mounts ?? []) {
    if (m.type === 'bind' && m.source.startsWith(ctrDir + '/')) {
      const copy = path.join(bundle, path.basename(m.source));
      cpSync(m.source, copy);
      m.source = copy;
    }
  }
  config.root.path = path.join(bundle, 'rootfs');
  must(berthBin, ['rm', name], { env: store.env });
  return { bundle, config };
}

function rawCrun(tmp, ref) {
  const state = path.join(tmp, 'crun-state');
  const cgroupParent = `berth-bench-build-${process.pid}`;
  cleanups.push(() => removeCgroup(cgroupParent));
  let n = 0;
  let id = '';
  return {
    name: 'crun run true (raw)', key: 'raw-crun',
    prepare() {
      id = `bench-${process.pid}-${++n}`;
      const config = { ...ref.config, linux: { ...ref.config.linux, cgroupsPath: `/${cgroupParent}/${id}/ctr` } };
      writeFileSync(path.join(ref.bundle, 'config.json'), JSON.stringify(config));
      return ['crun', ['--root', state, 'run', '--bundle', ref.bundle, id]];
    },
    finish(ok) {
      if (!ok) spawnSync('crun', ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
      removeCgroup(`${cgroupParent}/${id}/ctr`);
      removeCgroup(`${cgroupParent}/${id}`);
    },
  };
}

// ---------- timing ----------
/** One timed run: wall time from spawn to exit, in ms, or an error with the output's tail. */
function timeOnce(c) {
  const [cmd, args, env] = c.prepare();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const ok = !r.error && r.status === 0;
  c.finish?.(ok);
  if (!ok) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    return { error: `${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}\n${tail}` };
  }
  return { ms, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Interleaved rounds; each candidate may have set-up (untimed) before its timed command. */
async function measure(candidates, rounds, label) {
  const samples = new Map(candidates.flatMap((c) => [c.key, c.stepKey, c.restKey].filter(Boolean).map((k) => [k, []])));
  const failed = new Map();
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[(round + j) % candidates.length];
      if (failed.has(c.key)) continue;
      try { c.before?.(); } catch (err) { failed.set(c.key, `set-up: ${err.message}`); log(`${c.name} set-up failed, dropped: ${err.message}`); continue; }
      const r = timeOnce(c);
      c.after?.();
      await yieldToEventLoop();
      if (r.error) { failed.set(c.key, r.error); log(`${c.name} failed, dropped: ${r.error}`); continue; }
      samples.get(c.key).push(r.ms);
      c.lastOutput = r.output;
      if (c.stepKey) {
        const longest = compileStep(r.output);
        if (longest !== undefined) {
          samples.get(c.stepKey).push(longest);
          samples.get(c.restKey).push(r.ms - longest);
        }
      }
    }
    if (!opts.json) log(`${label}: round ${round + 1}/${rounds}`);
  }
  return { samples, failed };
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


function summarize(candidates, samples) {
  const rows = {};
  const add = (key, name) => {
    const v = samples.get(key);
    if (!v || v.length === 0) return;
    rows[key] = { name, n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9), min: Math.min(...v), max: Math.max(...v) };
  };
  for (const c of candidates) add(c.key, c.name);
  // Attribution of cold builds: the compile step as the engine reports it, and everything else.
  for (const c of candidates) if (c.stepKey) { add(c.stepKey, `  ${c.short}: compile RUN (its DONE time)`); add(c.restKey, `  ${c.short}: wall - compile RUN`); }
  return rows;
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
  return { ...res, rows: summarize(list, res.samples), berthOutput: list[0].lastOutput };
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
  return { ...res, rows: summarize(list, res.samples), store, trace: `${trace.stdout}${trace.stderr}`, berthOutput: list[0].lastOutput };
}

async function measureSteps(tmp, base, store, docker) {
  const dir = path.join(tmp, 'steps');
  mkdirSync(dir, { recursive: true });
  const withRuns = path.join(dir, 'Dockerfile.runs');
  const without = path.join(dir, 'Dockerfile.base');
  writeFileSync(withRuns, stepDockerfile(baseImage, opts.steps));
  writeFileSync(without, stepDockerfile(baseImage, 0));
  const ref = setupBundle(tmp, base.tar, store);
  const list = [
    { name: `berth build --no-cache, 1+${opts.steps} x RUN true`, key: 'berth-runs', prepare: () => [berthBin, buildArgs(dir, withRuns, ['--no-cache']), store.env] },
    { name: 'berth build --no-cache, 1 x RUN true', key: 'berth-base', prepare: () => [berthBin, buildArgs(dir, without, ['--no-cache']), store.env] },
    rawCrun(tmp, ref),
  ];
  if (docker.env) {
    list.push({ name: `docker build --no-cache, 1+${opts.steps} x RUN true`, key: 'docker-runs', prepare: () => [dockerCli, buildArgs(dir, withRuns, ['--no-cache']), docker.env] });
    list.push({ name: 'docker build --no-cache, 1 x RUN true', key: 'docker-base', prepare: () => [dockerCli, buildArgs(dir, without, ['--no-cache']), docker.env] });
  }
  const res = await measure(list, opts.iterations, 'per-RUN steps');
  const trace = spawnSync(berthBin, buildArgs(dir, withRuns, ['--no-cache']), { env: { ...store.env, BERTH_TRACE: '1' }, encoding: 'utf8' });
  return { ...res, rows: summarize(list, res.samples), trace: `${trace.stdout}${trace.stderr}` };
}

// ---------- report ----------
function verdicts(cold, cached, steps) {
  const out = [];
  const add = (name, value, unit, target, pass, note) => out.push({ name, value, unit, target, pass, note });
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



function table(rows) {
  const lines = [`| ${'command'.padEnd(42)} |   median |      p90 |      min |      max |  n |`, `|${'-'.repeat(44)}|---------:|---------:|---------:|---------:|---:|`];
  for (const r of Object.values(rows)) {
    lines.push(`| ${r.name.padEnd(42)} | ${fmt(r.median).padStart(8)} | ${fmt(r.p90).padStart(8)} | ${fmt(r.min).padStart(8)} | ${fmt(r.max).padStart(8)} | ${String(r.n).padStart(2)} |`);
  }
  return lines;
}

function printText(report) {
  const m = report.machine;
  const lines = [
    `machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}; node ${m.node}; ${m.crun}; ${m.dockerd}${report.docker.info ? ` [${report.docker.info}]` : ''}`,
    `load average: ${report.load.before.map((x) => x.toFixed(2)).join(' ')} before, ${report.load.after.map((x) => x.toFixed(2)).join(' ')} after`,
    `base: ${report.base.tar} (${report.base.cached ? 'cached' : 'made in this run'}; ${JSON.stringify(report.base.inputs)})`,
    `context: ${report.context}`,
    `docker: ${report.docker.skipped ? `skipped (${report.docker.skipped})` : report.docker.version}`,
    '', `cold builds, ${report.coldIterations} interleaved rounds (ms):`, ...table(report.cold),
    '', `fully cached rebuilds, ${report.iterations} interleaved rounds (ms):`, ...table(report.cached),
    '', `per-RUN steps, K = ${report.steps}, ${report.iterations} interleaved rounds (ms):`, ...table(report.perRun),
  ];
  for (const [key, err] of Object.entries(report.failed)) lines.push(`FAILED ${key}: ${err}`);
  lines.push('', 'targets:');
  for (const v of report.targets) {
    const mark = v.pass === null ? (v.target ? 'SKIP' : 'INFO') : v.pass ? 'PASS' : 'FAIL';
    lines.push(`  ${mark.padEnd(4)}  ${v.name}: ${fmt(v.value, v.unit === 'x' ? 2 : 1)} ${v.unit}${v.target ? ` (target ${v.target})` : ''}${v.note ? ` — ${v.note}` : ''}`);
  }
  lines.push('', 'BERTH_TRACE=1, one fully cached rebuild:', report.traces.cached, '', `BERTH_TRACE=1, one --no-cache build with ${report.steps} RUN true:`, report.traces.steps);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
  const tmp = mkdtempSync('/tmp/berth-bench-build-');
  cleanups.push(() => removeTree(tmp));
  log(`work directory ${tmp}`);
  const base = prepareBase();
  const ctx = path.join(tmp, 'ctx');
  const context = generateContext(ctx, { repo, baseImage, genFiles: opts.genFiles });
  const docker = startDocker(base.tar);
  const cold = await measureCold(tmp, base, ctx, docker);
  const cached = await measureCached(tmp, base, ctx, docker);
  const steps = await measureSteps(tmp, base, cached.store, docker);
  const failed = Object.fromEntries([...cold.failed, ...cached.failed, ...steps.failed]);
  const report = {
    date: new Date().toISOString(), machine: machine(), load: { before: loadBefore, after: os.loadavg() },
    base: { tar: base.tar, cached: base.cached, inputs: base.inputs }, context,
    docker: { skipped: docker.skipped, version: docker.version, info: docker.info },
    coldIterations: opts.coldIterations, iterations: opts.iterations, steps: opts.steps,
    cold: cold.rows, cached: cached.rows, perRun: steps.rows, failed,
    targets: verdicts(cold, cached, steps),
    traces: { cached: cached.trace.trim(), steps: steps.trace.trim() },
    berthColdOutputTail: (cold.berthOutput ?? '').trim().split('\n').slice(-12).join('\n'),
  };
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printText(report);
}

let status = 0;
try {
  await main();
} catch (err) {
  log(`set-up failed: ${err.message}`);
  status = 1;
} finally {
  cleanup();
}
process.exit(status);
