#!/usr/bin/env node
// Benchmark for `berth build --check-reproducible` (issue 13, "Performance": the check costs at most
// 2.2x one cold build). Plain Node ESM, no dependencies. Rounds are interleaved; in each round:
//   cold    `berth build --no-cache --reproducible` on a fresh store holding only the base image
//           (no layers, no cache mounts: what a first build anywhere costs)
//   check   `berth build --check-reproducible` on another fresh store holding only the base image
// and the ratio of the medians is the figure the target is about. Fresh stores are made (untimed)
// before each timed command and removed after it. Workloads:
//   compile        (default, no network) bench/build-context.mjs's from-source C build (libaddr's
//                  configure/make/check/install plus N generated C files with make -j), on a
//                  Debian base with gcc made once by mmdebstrap and cached in /var/cache/berth-bench
//                  (the same tarball bench/build.mjs uses)
//   python-native  examples/python-native (apt-get from Debian's archive in two stages, a C library,
//                  ldconfig) on `berth image bootstrap debian:bookworm-slim`, bootstrapped once per run
//                  and loaded into each fresh store; needs the archive (network)
// Run as root:
//   node bench/check-reproducible.mjs [--iterations 3] [--workload compile|python-native] [--gen-files 120] [--mirror URL] [--json]
// Exit status: 0 whenever a report was produced (a target that fails is printed as FAIL), 1 when the
// set-up failed, 2 for bad arguments.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, firstLine, fmt, log, machine, must, quantile, removeTree, repo } from './lib.mjs';
import { generateContext } from './build-context.mjs';

const target = 2.2;
const cacheDir = '/var/cache/berth-bench';
// The same inputs as bench/build.mjs, so both find one cached tarball.
const baseSpec = { suite: 'bookworm', variant: 'minbase', include: ['gcc', 'make', 'libc6-dev', 'ca-certificates'] };
const compileBase = 'bench/debian-build:1';

function parseArgs(argv) {
  const opts = { iterations: 3, workload: 'compile', genFiles: 120, mirror: '', json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--iterations' || flag === '--gen-files') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < (flag === '--iterations' ? 1 : 0)) usage(`bad value for ${flag}`);
      opts[flag === '--iterations' ? 'iterations' : 'genFiles'] = n;
    } else if (flag === '--workload') {
      opts.workload = value();
      if (!['compile', 'python-native'].includes(opts.workload)) usage(`unknown workload "${opts.workload}"`);
    } else if (flag === '--mirror') opts.mirror = value();
    else if (flag === '--json') opts.json = true;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${argv[i]}"`);
  }
  return opts;
}

function usage(problem) {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: node bench/check-reproducible.mjs [--iterations N] [--workload compile|python-native] [--gen-files N] [--mirror URL] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));

/** The host's Debian mirror for the suite (deb822 .sources or sources.list), as bench/build.mjs finds it. */
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

/** The compile workload's base: an mmdebstrap tarball with gcc, cached by its inputs (shared with bench/build.mjs). */
function compileBaseTar() {
  const mirror = hostMirror();
  const tool = firstLine('mmdebstrap', ['--version']);
  const key = createHash('sha256').update(JSON.stringify({ ...baseSpec, mirror, tool, format: 'tar' })).digest('hex').slice(0, 16);
  const tar = path.join(cacheDir, `debian-build-${baseSpec.suite}-${key}.tar`);
  if (existsSync(tar)) return { tar, note: `cached ${tar}` };
  if (tool === 'not available') throw new Error('mmdebstrap is not installed (Debian package "mmdebstrap")');
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${tar}.${process.pid}.partial`;
  cleanups.push(() => rmSync(partial, { force: true }));
  log(`base rootfs: mmdebstrap ${baseSpec.suite} from ${mirror} (once; cached as ${tar})`);
  must('mmdebstrap', [`--variant=${baseSpec.variant}`, `--include=${baseSpec.include.join(',')}`, '--format=tar', baseSpec.suite, partial, mirror], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(partial, tar);
  return { tar, note: `made ${tar} in this run` };
}

let storeCount = 0;
function freshStore(tmp, seed) {
  const root = path.join(tmp, `store-${++storeCount}`);
  const env = { ...process.env, BERTH_ROOT: root };
  delete env.BERTH_TRACE;
  delete env.SOURCE_DATE_EPOCH;
  seed(env);
  return { root, env };
}

/** The workload: its context, Dockerfile and how a fresh store gets the base image (untimed). */
function prepareWorkload(tmp) {
  if (opts.workload === 'compile') {
    const base = compileBaseTar();
    const ctx = path.join(tmp, 'ctx');
    const description = generateContext(ctx, { repo, baseImage: compileBase, genFiles: opts.genFiles });
    return { ctx, network: 'none', description, base: base.note, seed: (env) => must(berthBin, ['import', base.tar, compileBase], { env }) };
  }
  // python-native: one bootstrap, saved, then loaded into every fresh store.
  const template = freshStore(tmp, () => undefined);
  cleanups.push(() => removeTree(template.root));
  log('base: berth image bootstrap debian:bookworm-slim (once per run)');
  must(berthBin, ['image', 'bootstrap', '-q', ...(opts.mirror ? ['--mirror', opts.mirror] : []), 'debian:bookworm-slim'], { env: template.env });
  const tar = path.join(tmp, 'debian-bookworm-slim.tar');
  must(berthBin, ['save', '-o', tar, 'debian:bookworm-slim'], { env: template.env });
  removeTree(template.root);
  return {
    ctx: path.join(repo, 'examples', 'python-native'), network: 'default',
    description: 'examples/python-native: two stages, apt-get install from the Debian archive (cache mounts), a C library built and installed, ldconfig',
    base: 'berth image bootstrap debian:bookworm-slim, saved and loaded into each store',
    seed: (env) => must(berthBin, ['load', '-q', '-i', tar], { env }),
  };
}

function timeOnce(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(berthBin, args, { env, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, error: r.error?.message, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

async function main() {
  const loadBefore = os.loadavg();
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
  const tmp = mkdtempSync('/tmp/berth-bench-check-');
  cleanups.push(() => removeTree(tmp));
  log(`work directory ${tmp}`);
  const w = prepareWorkload(tmp);
  const common = ['--network', w.network, '--progress', 'plain'];
  const candidates = [
    { key: 'cold', name: 'berth build --no-cache --reproducible (fresh store)', args: ['build', ...common, '--no-cache', '--reproducible', w.ctx], ok: [0] },
    { key: 'check', name: 'berth build --check-reproducible (fresh store)', args: ['build', ...common, '--check-reproducible', w.ctx], ok: [0, 2] },
  ];
  const samples = { cold: [], check: [] };
  const failed = {};
  const verdicts = [];
  for (let round = 0; round < opts.iterations; round++) {
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[(round + j) % candidates.length];
      if (failed[c.key]) continue;
      const store = freshStore(tmp, w.seed);
      let r;
      try {
        r = timeOnce(c.args, store.env);
      } finally {
        removeTree(store.root);
      }
      await yieldToEventLoop();
      if (r.error || !c.ok.includes(r.status)) {
        failed[c.key] = `${r.error ?? `exit ${r.status}`}\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`;
        log(`${c.name} failed, dropped: ${failed[c.key]}`);
        continue;
      }
      samples[c.key].push(r.ms);
      if (c.key === 'check') verdicts.push(r.stdout.split('\n')[0]);
    }
    if (!opts.json) log(`round ${round + 1}/${opts.iterations}`);
  }
  const rows = Object.fromEntries(candidates.filter((c) => samples[c.key].length > 0).map((c) => {
    const v = samples[c.key];
    return [c.key, { name: c.name, n: v.length, median: quantile(v, 0.5), min: Math.min(...v), max: Math.max(...v) }];
  }));
  const ratio = rows.check && rows.cold ? rows.check.median / rows.cold.median : undefined;
  const report = {
    date: new Date().toISOString(), machine: machine(), load: { before: loadBefore, after: os.loadavg() },
    workload: opts.workload, context: w.description, base: w.base, iterations: opts.iterations,
    rows, ratio, target, pass: ratio === undefined ? null : ratio <= target, verdicts, failed,
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const m = report.machine;
  const lines = [
    `machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}; node ${m.node}; ${m.crun}`,
    `load average: ${report.load.before.map((x) => x.toFixed(2)).join(' ')} before, ${report.load.after.map((x) => x.toFixed(2)).join(' ')} after`,
    `workload: ${opts.workload}: ${w.description}`,
    `base: ${w.base}`,
    '', `${opts.iterations} interleaved rounds (s):`,
    `| ${'command'.padEnd(52)} | median |    min |    max | n |`,
    `|${'-'.repeat(54)}|-------:|-------:|-------:|--:|`,
    ...Object.values(rows).map((r) => `| ${r.name.padEnd(52)} | ${fmt(r.median / 1000, 2).padStart(6)} | ${fmt(r.min / 1000, 2).padStart(6)} | ${fmt(r.max / 1000, 2).padStart(6)} | ${r.n} |`),
    '', `check verdicts: ${[...new Set(verdicts)].join(' | ') || 'none'}`,
    ...Object.entries(failed).map(([k, e]) => `FAILED ${k}: ${e}`),
    '', `${report.pass === null ? 'SKIP' : report.pass ? 'PASS' : 'FAIL'}  check / cold build (medians): ${fmt(ratio, 2)}x (target <= ${target}x)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
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
