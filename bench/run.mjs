#!/usr/bin/env node
// Start-up benchmark for `berth run` (issue 2, "Performance"). Plain Node ESM, no dependencies.
// It measures, in one run and interleaved round-robin so machine noise hits every candidate alike:
//   node -e 0                      the floor of any Node CLI
//   crun run / runc run            the raw OCI runtime on a bundle equivalent to berth's own
//   berth run --rm --network none  with crun (default) and with --runtime runc
//   docker run --rm --network none the reference dockerd 20.10 (runc), when Docker is installed
// plus the peak RSS of `berth run` through /usr/bin/time. Run as root:
//   node bench/run.mjs [--iterations 30] [--warmup 3] [--rss-runs 10] [--no-docker] [--json]
// Exit status: 0 whenever a report was produced (targets that fail are printed as FAIL), 1 when the
// set-up itself failed (berth not built, no busybox), 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, fmt, log, machine, must, quantile, removeCgroup, repo, startReferenceDocker, unmountBelow, nodeFloorEnv } from './lib.mjs';

// A private reference dockerd: its own socket, data root and exec root, never the fixture recorder's.
const dockerEnv = { BERTH_REF_RUN_DIR: '/run/berth-bench-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-docker' };
const image = 'berth-bench/busybox:latest';
const targets = { berthMs: 100, dockerRatio: 0.45, overheadMs: 30, rssMiB: 80 };

function parseArgs(argv) {
  const opts = { iterations: 30, warmup: 3, rssRuns: 10, docker: true, json: false };
  const ints = { '--iterations': 'iterations', '--warmup': 'warmup', '--rss-runs': 'rssRuns' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag in ints) {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < (flag === '--iterations' ? 1 : 0)) usage(`bad value for ${flag}`);
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
  process.stderr.write('usage: node bench/run.mjs [--iterations N] [--warmup N] [--rss-runs N] [--no-docker] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));






// ---------- set-up ----------
function setupStore(tmp) {
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
  const tar = path.join(tmp, 'busybox.tar');
  must('sh', ['-c', `"${repo}/tools/make-busybox-rootfs.sh" > "${tar}"`]);
  const env = { ...process.env, BERTH_ROOT: path.join(tmp, 'store') };
  delete env.BERTH_TRACE;
  must(berthBin, ['import', tar, image], { env });
  return { tar, env };
}

/** berth's own config.json for `run --network none IMAGE true`, moved onto a plain directory bundle. */
function setupBundle(tmp, tar, env) {
  const name = `bench-ref-${process.pid}`;
  must(berthBin, ['run', '--name', name, '--network', 'none', image, 'true'], { env });
  const id = JSON.parse(must(berthBin, ['inspect', name], { env }))[0].Id;
  const ctrDir = path.join(env.BERTH_ROOT, 'containers', id);
  const config = JSON.parse(readFileSync(path.join(ctrDir, 'config.json'), 'utf8'));
  const bundle = path.join(tmp, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  must('tar', ['-xf', tar, '-C', path.join(bundle, 'rootfs')]);
  // /etc/hosts, /etc/hostname and /etc/resolv.conf are bind-mounted from berth's container directory.
  for (const m of config.mounts ?? []) {
    if (m.type === 'bind' && m.source.startsWith(ctrDir + '/')) {
      const copy = path.join(bundle, path.basename(m.source));
      cpSync(m.source, copy);
      m.source = copy;
    }
  }
  config.root.path = path.join(bundle, 'rootfs');
  must(berthBin, ['rm', name], { env });
  return { bundle, config, berthCgroupsPath: config.linux?.cgroupsPath ?? '' };
}

function startDocker(tar) {
  if (!opts.docker) return { skipped: 'disabled with --no-docker' };
  const ref = startReferenceDocker(dockerEnv);
  if (ref.skipped) return ref;
  must(dockerCli, ['import', tar, image], { env: ref.env });
  const runtime = must(dockerCli, ['info', '--format', '{{.DefaultRuntime}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'], { env: ref.env }).trim();
  return { ...ref, runtime };
}

// ---------- candidates ----------
function rawRuntime(runtime, tmp, ref) {
  const state = path.join(tmp, `${runtime}-state`);
  const cgroupParent = `berth-bench-${process.pid}`;
  cleanups.push(() => removeCgroup(cgroupParent));
  let n = 0;
  let id = '';
  return {
    name: `${runtime} run (raw)`, key: `raw-${runtime}`,
    prepare() {
      id = `bench-${process.pid}-${runtime}-${++n}`;
      // Same shape as berth's /berth/<id>/ctr, fresh for every run.
      const config = { ...ref.config, linux: { ...ref.config.linux, cgroupsPath: `/${cgroupParent}/${id}/ctr` } };
      writeFileSync(path.join(ref.bundle, 'config.json'), JSON.stringify(config));
      return [runtime, ['--root', state, 'run', '--bundle', ref.bundle, id]];
    },
    finish(ok) {
      if (!ok) spawnSync(runtime, ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
      removeCgroup(`${cgroupParent}/${id}/ctr`);
      removeCgroup(`${cgroupParent}/${id}`);
    },
  };
}

function fixed(name, key, cmd, args, env) {
  return { name, key, prepare: () => [cmd, args, env], finish() {} };
}

function buildCandidates(tmp, store, ref, docker) {
  const berthArgs = ['run', '--rm', '--network', 'none', image, 'true'];
  const list = [
    fixed('node -e 0', 'node', 'node', ['-e', '0'], nodeFloorEnv),
    rawRuntime('crun', tmp, ref),
    rawRuntime('runc', tmp, ref),
    fixed('berth run (crun)', 'berth-crun', berthBin, berthArgs, store.env),
    fixed('berth run --runtime runc', 'berth-runc', berthBin, ['run', '--runtime', 'runc', ...berthArgs.slice(1)], store.env),
  ];
  if (docker.env) list.push(fixed('docker run (20.10, runc)', 'docker', dockerCli, berthArgs, docker.env));
  return list;
}

/** One timed run: wall time from spawn to exit of the command, in ms, or an error. */
function timeOnce(c) {
  const [cmd, args, env] = c.prepare();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const ok = !r.error && r.status === 0;
  c.finish(ok);
  if (!ok) return { error: `${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`} ${String(r.stderr ?? '').trim()}` };
  return { ms };
}

async function measure(candidates) {
  const samples = new Map(candidates.map((c) => [c.key, []]));
  const failed = new Map();
  const total = opts.warmup + opts.iterations;
  for (let round = 0; round < total; round++) {
    // Rotate the order each round so no candidate always runs right after the same neighbour.
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[(round + j) % candidates.length];
      if (failed.has(c.key)) continue;
      const r = timeOnce(c);
      await yieldToEventLoop();
      if (r.error) { failed.set(c.key, r.error); log(`${c.name} failed, dropped: ${r.error}`); continue; }
      if (round >= opts.warmup) samples.get(c.key).push(r.ms);
    }
    if (!opts.json && round + 1 > opts.warmup && (round + 1 - opts.warmup) % 10 === 0) {
      log(`round ${round + 1 - opts.warmup}/${opts.iterations}`);
    }
  }
  return { samples, failed };
}

/** Peak RSS (KiB) of `berth run`, from wait4's rusage as /usr/bin/time reports it (%M). */
async function measureRss(store, runtimeArgs) {
  if (!existsSync('/usr/bin/time')) return { skipped: '/usr/bin/time not installed (Debian package "time"): peak RSS not measured' };
  const kib = [];
  for (let i = 0; i < opts.rssRuns; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', berthBin, 'run', ...runtimeArgs, '--rm', '--network', 'none', image, 'true'],
      { env: store.env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    await yieldToEventLoop();
    const last = Number(String(r.stderr).trim().split('\n').pop());
    if (r.status !== 0 || !Number.isFinite(last)) return { skipped: `berth run failed under /usr/bin/time: ${r.stderr}` };
    kib.push(last);
  }
  return { maxMiB: Math.max(...kib) / 1024, medianMiB: quantile(kib, 0.5) / 1024, runs: kib.length };
}


function summarize(candidates, samples) {
  const rows = {};
  for (const c of candidates) {
    const v = samples.get(c.key);
    if (v.length === 0) continue;
    rows[c.key] = { name: c.name, n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9), min: Math.min(...v), max: Math.max(...v) };
  }
  return rows;
}

function verdicts(rows, rss) {
  const med = (k) => rows[k]?.median;
  const out = [];
  const add = (name, value, unit, target, pass, note) => out.push({ name, value, unit, target, pass, note });
  const b = med('berth-crun');
  add('berth run median', b, 'ms', `<= ${targets.berthMs} ms`, b !== undefined ? b <= targets.berthMs : null);
  const d = med('docker');
  const ratio = b !== undefined && d !== undefined ? b / d : undefined;
  add('berth / docker run median', ratio, 'x', `<= ${targets.dockerRatio}x`, ratio !== undefined ? ratio <= targets.dockerRatio : null,
    d === undefined ? 'no Docker measurement in this run' : undefined);
  const over = [b, med('node'), med('raw-crun')].every((x) => x !== undefined) ? b - med('node') - med('raw-crun') : undefined;
  add('berth overhead = berth - (node -e 0 + raw crun)', over, 'ms', `<= ${targets.overheadMs} ms`, over !== undefined ? over <= targets.overheadMs : null);
  const br = med('berth-runc');
  const overRunc = [br, med('node'), med('raw-runc')].every((x) => x !== undefined) ? br - med('node') - med('raw-runc') : undefined;
  add('(info) overhead with runc = berth --runtime runc - (node -e 0 + raw runc)', overRunc, 'ms', '', null);
  add('berth run peak RSS (max of runs)', rss.maxMiB, 'MiB', `<= ${targets.rssMiB} MiB`, rss.maxMiB !== undefined ? rss.maxMiB <= targets.rssMiB : null, rss.skipped);
  return out;
}



function printText(report) {
  const m = report.machine;
  const lines = [
    `machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}, cgroup ${m.cgroup}`,
    `         node ${m.node}; ${m.crun}; ${m.runc}; ${m.dockerd}${report.docker.runtime ? ` [${report.docker.runtime}]` : ''}`,
    `load average: ${report.load.before.map((x) => x.toFixed(2)).join(' ')} before, ${report.load.after.map((x) => x.toFixed(2)).join(' ')} after`,
    `raw runtime bundle: ${report.bundleNote}`,
    `docker: ${report.docker.skipped ? `skipped (${report.docker.skipped})` : report.docker.version}`,
    `${report.iterations} iterations after ${report.warmup} warm-up rounds, interleaved round-robin; wall time per command in ms`,
    '',
    `| ${'command'.padEnd(28)} | median |    p90 |    min |    max |  n |`,
    `|${'-'.repeat(30)}|-------:|-------:|-------:|-------:|---:|`,
  ];
  for (const r of Object.values(report.results)) {
    lines.push(`| ${r.name.padEnd(28)} | ${fmt(r.median).padStart(6)} | ${fmt(r.p90).padStart(6)} | ${fmt(r.min).padStart(6)} | ${fmt(r.max).padStart(6)} | ${String(r.n).padStart(2)} |`);
  }
  for (const [key, err] of Object.entries(report.failed)) lines.push(`FAILED ${key}: ${err}`);
  lines.push('', 'targets:');
  for (const v of report.targets) {
    const mark = v.pass === null ? (v.target ? 'SKIP' : 'INFO') : v.pass ? 'PASS' : 'FAIL';
    lines.push(`  ${mark.padEnd(4)}  ${v.name}: ${fmt(v.value, v.unit === 'x' ? 2 : 1)} ${v.unit}${v.target ? ` (target ${v.target})` : ''}${v.note ? ` — ${v.note}` : ''}`);
  }
  if (report.rss.runs) lines.push(`  peak RSS over ${report.rss.runs} runs of berth run: median ${fmt(report.rss.medianMiB)} MiB, max ${fmt(report.rss.maxMiB)} MiB (/usr/bin/time %M: largest RSS in berth's process tree)`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync('/tmp/berth-bench-');
  cleanups.push(() => { unmountBelow(tmp); rmSync(tmp, { recursive: true, force: true }); });
  log(`work directory ${tmp}`);
  const store = setupStore(tmp);
  const ref = setupBundle(tmp, store.tar, store.env);
  const docker = startDocker(store.tar);
  const candidates = buildCandidates(tmp, store, ref, docker);
  log(`measuring ${candidates.map((c) => c.name).join(', ')}`);
  const { samples, failed } = await measure(candidates);
  log('measuring peak RSS of berth run');
  const rss = await measureRss(store, []);
  const results = summarize(candidates, samples);
  const report = {
    date: new Date().toISOString(), machine: machine(), iterations: opts.iterations, warmup: opts.warmup,
    load: { before: loadBefore, after: os.loadavg() },
    bundleNote: `busybox tar extracted into a plain directory; berth's generated config.json (cgroupsPath ${ref.berthCgroupsPath.replace(/\/[0-9a-f]{64}\//, '/<id>/')}) with root.path pointed at it, `
      + '/etc/hosts|hostname|resolv.conf binds copied alongside, a fresh cgroupsPath and container id per run, state under the work dir',
    docker: { skipped: docker.skipped, version: docker.version, runtime: docker.runtime },
    results, failed: Object.fromEntries(failed), rss, targets: verdicts(results, rss),
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
