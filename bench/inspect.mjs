#!/usr/bin/env node
// `berth inspect` of one container against `docker inspect`, and `ps -a --format '{{.Names}}'` with
// many containers (issue 10, "Performance": inspect <= 1.0x docker inspect in the same run; ps with
// 500 containers <= 150 ms). Plain Node ESM, no dependencies. It measures, interleaved round-robin
// (the order rotating each round) so machine noise hits every candidate alike:
//   node -e 0                            the floor of any Node CLI (for context)
//   berth inspect C                      a created busybox container in a fresh store, warm: the
//                                        native fast path (native/berth_inspect.c) printing the
//                                        render cache a first inspect (through Node) wrote, as any
//                                        user's second inspect of a container finds it; the set-up
//                                        checks that the fast path answers (BERTH_FAST_TRACE=1)
//   berth inspect C (Node)               the same through the Node CLI (BERTH_NO_FAST_PATH=1), for context
//   docker inspect C                     the same rootfs, a created container on the shared
//                                        reference dockerd 20.10 (tools/reference-dockerd.sh)
//   berth ps -a --format '{{.Names}}'    with --ps-containers created containers in the store
// The reference dockerd is the shared one (default socket /run/berth-ref-docker): started when it
// is not running, never stopped here; the image and the container made on it are removed at the end.
// Its ps is not measured: 500 containers do not belong on a shared daemon (bench/lifecycle.mjs
// compares `ps -a` on a private one). Run as root from the repository root after `npm run build`:
//   node bench/inspect.mjs [--iterations 30] [--warmup 3] [--ps-containers 500] [--ps-iterations 15]
//                          [--no-docker] [--no-ps] [--json]
// Exit status: 0 whenever a report was produced (targets that fail are printed as FAIL), 1 when the
// set-up itself failed (berth not built, no busybox), 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, fmt, log, machine, must, quantile, refDockerd, repo, unmountBelow, nodeFloorEnv } from './lib.mjs';

const image = 'berth-bench/busybox:latest';
const targets = { inspectRatio: 1.0, psMs: 150 };

function parseArgs(argv) {
  const opts = { iterations: 30, warmup: 3, psContainers: 500, psIterations: 15, docker: true, ps: true, json: false };
  const ints = { '--iterations': 'iterations', '--warmup': 'warmup', '--ps-containers': 'psContainers', '--ps-iterations': 'psIterations' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag in ints) {
      const n = Number(inline ?? argv[++i]);
      if (!Number.isInteger(n) || n < (flag === '--warmup' ? 0 : 1)) usage(`bad value for ${flag}`);
      opts[ints[flag]] = n;
    } else if (flag === '--json') opts.json = true;
    else if (flag === '--no-docker') opts.docker = false;
    else if (flag === '--no-ps') opts.ps = false;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${argv[i]}"`);
  }
  return opts;
}

function usage(problem) {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: node bench/inspect.mjs [--iterations N] [--warmup N] [--ps-containers N] [--ps-iterations N] [--no-docker] [--no-ps] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));

// ---------- set-up ----------
function setupStore(tmp) {
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
  const tar = path.join(tmp, 'busybox.tar');
  must('sh', ['-c', `"${repo}/tools/make-busybox-rootfs.sh" > "${tar}"`]);
  const root = path.join(tmp, 'store');
  const env = { ...process.env, BERTH_ROOT: root };
  delete env.BERTH_TRACE;
  // The store's runtime state folder (src/cmd/open-engine.ts).
  const stateBase = path.join('/run/berth', createHash('sha256').update(root).digest('hex').slice(0, 12));
  cleanups.push(() => rmSync(stateBase, { recursive: true, force: true }));
  must(berthBin, ['import', tar, image], { env });
  const name = 'bench-inspect';
  must(berthBin, ['create', '--name', name, '--network', 'none', image, 'true'], { env });
  // The warm case: a first inspect (Node) writes the render cache, and the fast path answers the
  // next ones (BERTH_FAST_TRACE=1 makes it say so on stderr): the set-up fails when it does not.
  const first = must(berthBin, ['inspect', name], { env });
  const traced = spawnSync(berthBin, ['inspect', name], { env: { ...env, BERTH_FAST_TRACE: '1' }, encoding: 'utf8' });
  if (traced.status !== 0 || !traced.stderr.includes('native fast path') || traced.stdout !== first) {
    throw new Error(`the inspect fast path did not answer from the render cache (is build/Release/berth-inspect built?): ${traced.stderr.trim()}`);
  }
  log('the inspect fast path answers from the render cache (warm)');
  return { tar, env, name };
}

/** The shared reference dockerd (started when needed, never stopped), the same rootfs imported and a container created on it. */
function setupDocker(tar) {
  if (!opts.docker) return { skipped: 'disabled with --no-docker' };
  if (!existsSync(dockerCli) || !existsSync('/usr/sbin/dockerd')) return { skipped: `${dockerCli} or /usr/sbin/dockerd not installed (apt-get install docker.io)` };
  const env = { ...process.env };
  delete env.BERTH_REF_RUN_DIR;
  delete env.BERTH_REF_DATA_ROOT;
  log('starting the shared reference dockerd if it is not running (tools/reference-dockerd.sh start)');
  must(refDockerd, ['start'], { env });
  const host = /DOCKER_HOST=(\S+)/.exec(must(refDockerd, ['env'], { env }))?.[1];
  if (!host) throw new Error('tools/reference-dockerd.sh env printed no DOCKER_HOST');
  const denv = { ...env, DOCKER_HOST: host };
  const version = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env: denv }).trim();
  const tag = `berth-bench-inspect-${process.pid}`;
  const dockerImage = `${tag}/busybox:latest`;
  must(dockerCli, ['import', tar, dockerImage], { env: denv });
  cleanups.push(() => { spawnSync(dockerCli, ['rmi', '-f', dockerImage], { env: denv, stdio: 'ignore' }); });
  must(dockerCli, ['create', '--name', tag, '--network', 'none', dockerImage, 'true'], { env: denv });
  // Registered after the image's removal (clean-ups run in reverse): the container goes first.
  cleanups.push(() => { spawnSync(dockerCli, ['rm', '-f', tag], { env: denv, stdio: 'ignore' }); });
  return { env: denv, version, name: tag };
}

// ---------- measuring ----------
function timeCmd(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) return { error: `${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`} ${String(r.stderr ?? '').trim()}` };
  return { ms };
}

function stats(v) {
  return { n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9), min: Math.min(...v), max: Math.max(...v) };
}

/** Interleaved round-robin timing of fixed commands (rotating the order each round). */
async function interleaved(candidates, warmup, iterations) {
  const samples = new Map(candidates.map((c) => [c.key, []]));
  const failed = {};
  for (let round = 0; round < warmup + iterations; round++) {
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[(round + j) % candidates.length];
      if (failed[c.key]) continue;
      const r = timeCmd(c.cmd, c.args, c.env);
      await yieldToEventLoop();
      if (r.error) { failed[c.key] = r.error; log(`${c.name} failed, dropped: ${r.error}`); continue; }
      if (round >= warmup) samples.get(c.key).push(r.ms);
    }
  }
  const rows = {};
  for (const c of candidates) if (samples.get(c.key).length) rows[c.key] = { name: c.name, ...stats(samples.get(c.key)) };
  return { rows, failed };
}

async function measureInspect(store, docker) {
  const candidates = [
    { key: 'node', name: 'node -e 0', cmd: 'node', args: ['-e', '0'], env: nodeFloorEnv },
    { key: 'berth', name: 'berth inspect C', cmd: berthBin, args: ['inspect', store.name], env: store.env },
    { key: 'berthNode', name: 'berth inspect C (Node)', cmd: berthBin, args: ['inspect', store.name], env: { ...store.env, BERTH_NO_FAST_PATH: '1' } },
  ];
  if (docker.env) candidates.push({ key: 'docker', name: 'docker inspect C', cmd: dockerCli, args: ['inspect', docker.name], env: docker.env });
  log(`measuring ${candidates.map((c) => c.name).join(', ')}`);
  return interleaved(candidates, opts.warmup, opts.iterations);
}

/** n more containers in the berth store, 4 `berth create` at a time through xargs -P; wall ms. */
function fill(store, n) {
  const quoted = [berthBin, 'create', '--network', 'none', image, 'true'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `seq ${n} | xargs -P 4 -I{} ${quoted} >/dev/null`], { env: store.env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`${n} x berth create through xargs -P 4: exit ${r.status ?? r.signal}\n${String(r.stderr).trim().split('\n').slice(-10).join('\n')}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function measurePs(store) {
  // The inspected container is one of them.
  const fillMs = fill(store, opts.psContainers - 1);
  const count = must(berthBin, ['ps', '-aq'], { env: store.env }).trim().split('\n').length;
  log(`${count} containers in the store (filled in ${fmt(fillMs / 1000, 1)} s)`);
  const candidates = [
    { key: 'node', name: 'node -e 0', cmd: 'node', args: ['-e', '0'], env: nodeFloorEnv },
    { key: 'berth', name: `berth ps -a --format (${count})`, cmd: berthBin, args: ['ps', '-a', '--format', '{{.Names}}'], env: store.env },
  ];
  const measured = await interleaved(candidates, opts.warmup, opts.psIterations);
  return { ...measured, count, fillMs };
}

// ---------- report ----------
function verdicts(r) {
  const out = [];
  const add = (name, value, unit, target, pass, note) => out.push({ name, value, unit, target, pass, note });
  const b = r.inspect.rows.berth?.median;
  const d = r.inspect.rows.docker?.median;
  const n = r.inspect.rows.node?.median;
  const ratio = b !== undefined && d !== undefined ? b / d : undefined;
  add('berth / docker inspect median', ratio, 'x', `<= ${targets.inspectRatio}x`, ratio !== undefined ? ratio <= targets.inspectRatio : null,
    `berth ${fmt(b)} ms, docker ${fmt(d)} ms${d === undefined ? ' (no Docker measurement)' : ''}`);
  add('(info) berth inspect - node -e 0 (medians)', b !== undefined && n !== undefined ? b - n : undefined, 'ms', '', null, `node -e 0 ${fmt(n)} ms`);
  const bn = r.inspect.rows.berthNode?.median;
  if (bn !== undefined && d !== undefined) add('(info) berth inspect through Node / docker inspect median', bn / d, 'x', '', null, `${fmt(bn)} ms (BERTH_NO_FAST_PATH=1)`);
  if (n !== undefined && d !== undefined) add('(info) node -e 0 / docker inspect median', n / d, 'x', '', null, 'the floor of a Node CLI beside the target');
  if (r.ps) {
    const p = r.ps.rows.berth?.median;
    add(`berth ps -a --format '{{.Names}}' with ${r.ps.count} containers (median)`, p, 'ms', `<= ${targets.psMs} ms`, p !== undefined ? p <= targets.psMs : null,
      `node -e 0 ${fmt(r.ps.rows.node?.median)} ms in the same rounds`);
  }
  return out;
}

function table(title, rows) {
  const out = [title, `| ${'command'.padEnd(34)} | median |    p90 |    min |    max |  n |`, `|${'-'.repeat(36)}|-------:|-------:|-------:|-------:|---:|`];
  for (const r of Object.values(rows)) {
    out.push(`| ${r.name.padEnd(34)} | ${fmt(r.median).padStart(6)} | ${fmt(r.p90).padStart(6)} | ${fmt(r.min).padStart(6)} | ${fmt(r.max).padStart(6)} | ${String(r.n).padStart(2)} |`);
  }
  return out;
}

function printText(report) {
  const m = report.machine;
  const out = [
    `machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}, cgroup ${m.cgroup}`,
    `         node ${m.node}; ${m.dockerd}`,
    `load average: ${report.load.before.map((x) => x.toFixed(2)).join(' ')} before, ${report.load.after.map((x) => x.toFixed(2)).join(' ')} after`,
    `docker: ${report.docker.skipped ? `skipped (${report.docker.skipped})` : report.docker.version}`,
    '',
    ...table(`inspect of one created container (warm render cache), ${opts.iterations} iterations after ${opts.warmup} warm-up rounds, interleaved (ms):`, report.inspect.rows),
  ];
  if (report.ps) {
    out.push('', ...table(`ps -a --format '{{.Names}}' with ${report.ps.count} created containers, ${opts.psIterations} iterations, interleaved (ms):`, report.ps.rows));
    out.push(`(filling: ${report.ps.count - 1} x berth create in ${fmt(report.ps.fillMs / 1000, 1)} s, xargs -P 4)`);
  }
  for (const [key, err] of Object.entries({ ...report.inspect.failed, ...report.ps?.failed })) out.push(`FAILED ${key}: ${err}`);
  out.push('', 'targets:');
  for (const v of report.targets) {
    const mark = v.pass === null ? (v.target ? 'SKIP' : 'INFO') : v.pass ? 'PASS' : 'FAIL';
    out.push(`  ${mark.padEnd(4)}  ${v.name}: ${fmt(v.value, v.unit === 'x' ? 2 : 1)} ${v.unit}${v.target ? ` (target ${v.target})` : ''}${v.note ? ` — ${v.note}` : ''}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync('/tmp/berth-bench-inspect-');
  cleanups.push(() => { unmountBelow(tmp); rmSync(tmp, { recursive: true, force: true }); });
  log(`work directory ${tmp}`);
  const store = setupStore(tmp);
  const docker = setupDocker(store.tar);
  const inspect = await measureInspect(store, docker);
  let ps;
  if (opts.ps) {
    log(`ps -a --format with ${opts.psContainers} containers`);
    ps = await measurePs(store);
  }
  const report = {
    date: new Date().toISOString(), machine: machine(), options: opts,
    load: { before: loadBefore, after: os.loadavg() },
    docker: { skipped: docker.skipped, version: docker.version },
    inspect, ...(ps ? { ps } : {}),
  };
  report.targets = verdicts(report);
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
