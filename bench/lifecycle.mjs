#!/usr/bin/env node
// Long-running containers benchmark (issue 9, "Performance"). Plain Node ESM, no dependencies.
// Side by side with a private reference dockerd 20.10 (runc) in the same run, on the same busybox
// rootfs imported on both sides, always with --network none (the reference runs with --bridge=none):
//   memory   N idle `run -d IMAGE sleep 1000` containers: RSS (VmRSS) and PSS (smaps_rollup) of each
//            container's berth-monitor against each container's containerd-shim-runc-v2
//   exec     `exec CONTAINER true` into an idle container, interleaved with docker exec, raw
//            `crun exec` into the same berth container and `node -e 0` (the floors)
//   start    100 containers started detached (`run -d --network none IMAGE sleep 1000`) through
//            `xargs -P`, as a user's script would; wall time of the whole batch; then `rm -f` of all
//   ps       `ps -a` with 500 created (not running) containers in the store, and docker's
// Run as root from the repository root after `npm run build`:
//   node bench/lifecycle.mjs [--idle N] [--exec-iterations N] [--warmup N] [--batch N] [--parallel P]
//                            [--start-rounds N] [--ps-containers N] [--ps-iterations N] [--no-docker] [--json]
// The reference dockerd is a private instance (its own socket, data and exec root under
// /run/berth-bench-lifecycle-docker and /var/lib/berth-bench-lifecycle-docker, started with
// tools/reference-dockerd.sh and stopped at the end), so the hundreds of containers made here never
// show up in the shared reference dockerd other work records fixtures from.
// Exit status: 0 whenever a report was produced (targets that fail are printed as FAIL), 1 when the
// set-up itself failed, 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { berthBin, cleanup, cleanups, dockerCli, fmt, log, machine, must, quantile, repo, startReferenceDocker, unmountBelow, nodeFloorEnv } from './lib.mjs';

const dockerDirs = { BERTH_REF_RUN_DIR: '/run/berth-bench-lifecycle-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-lifecycle-docker' };
const image = 'berth-bench/busybox:latest';
const targets = { monitorMiB: 3, execRatio: 0.7, psMs: 150, startRatio: 0.5 };

function parseArgs(argv) {
  const opts = { idle: 10, execIterations: 20, warmup: 2, batch: 100, parallel: 8, startRounds: 2, psContainers: 500, psIterations: 10, docker: true, json: false };
  const ints = {
    '--idle': 'idle', '--exec-iterations': 'execIterations', '--warmup': 'warmup', '--batch': 'batch', '--parallel': 'parallel',
    '--start-rounds': 'startRounds', '--ps-containers': 'psContainers', '--ps-iterations': 'psIterations',
  };
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
  process.stderr.write('usage: node bench/lifecycle.mjs [--idle N] [--exec-iterations N] [--warmup N] [--batch N] [--parallel P]\n'
    + '                              [--start-rounds N] [--ps-containers N] [--ps-iterations N] [--no-docker] [--json]\n');
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));

// ---------- the two engines, as a user's shell would call them ----------
function sides(store, docker) {
  const list = [{ key: 'berth', name: 'berth', cmd: berthBin, env: store.env }];
  if (docker.env) list.push({ key: 'docker', name: 'docker (20.10, runc)', cmd: dockerCli, env: docker.env });
  return list;
}

const lines = (s) => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** Every container of one side, running or not, force-removed (in chunks of 50 ids per command). */
function removeAll(side) {
  const ids = lines(must(side.cmd, ['ps', '-aq', '--no-trunc'], { env: side.env }));
  for (let i = 0; i < ids.length; i += 50) must(side.cmd, ['rm', '-f', ...ids.slice(i, i + 50)], { env: side.env });
  return ids.length;
}

/** n containers made by `args` (run -d / create), `parallel` at a time through xargs -P; wall ms. */
function batch(side, n, args, parallel) {
  const quoted = [side.cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `seq ${n} | xargs -P ${parallel} -I{} ${quoted} >/dev/null`],
    { env: side.env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${side.name}: ${n} x ${args.join(' ')} through xargs -P ${parallel}: exit ${r.status ?? r.signal}\n${String(r.stderr).trim().split('\n').slice(-10).join('\n')}`);
  return ms;
}

function timeCmd(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000, maxBuffer: 64 << 20 });
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

// ---------- /proc ----------
function cmdline(pid) {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; }
}
/** Pids whose command line has `flag` immediately followed by one of `ids`, mapped to that id. */
function processesFor(flag, ids) {
  const want = new Set(ids);
  const found = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = cmdline(name);
    const i = argv.indexOf(flag);
    if (i >= 0 && want.has(argv[i + 1])) found.set(argv[i + 1], { pid: Number(name), exe: path.basename(argv[0]) });
  }
  return found;
}
/** KiB figures of a process: VmRSS from status, Pss from smaps_rollup. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
  return { rssKiB: field(status, 'VmRSS'), pssKiB: field(rollup, 'Pss'), anonKiB: field(status, 'RssAnon') };
}
function daemonRss(pattern) {
  let kib = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (pattern.test(cmdline(name).join(' '))) kib += memoryOf(name).rssKiB;
  }
  return kib;
}

// ---------- set-up ----------
function setupStore(tmp) {
  if (!existsSync(path.join(repo, 'dist', 'bundle', 'berth.cjs'))) throw new Error('berth is not built: run npm run build');
  const tar = path.join(tmp, 'busybox.tar');
  must('sh', ['-c', `"${repo}/tools/make-busybox-rootfs.sh" > "${tar}"`]);
  const root = path.join(tmp, 'store');
  const env = { ...process.env, BERTH_ROOT: root };
  delete env.BERTH_TRACE;
  // The store's runtime state folder (src/cmd/open-engine.ts), empty once its containers are gone.
  const stateBase = path.join('/run/berth', createHash('sha256').update(root).digest('hex').slice(0, 12));
  cleanups.push(() => rmSync(stateBase, { recursive: true, force: true }));
  must(berthBin, ['import', tar, image], { env });
  return { tar, env };
}

function startDocker(tar) {
  if (!opts.docker) return { skipped: 'disabled with --no-docker' };
  const ref = startReferenceDocker(dockerDirs);
  if (ref.skipped) return ref;
  must(dockerCli, ['import', tar, image], { env: ref.env });
  const runtime = must(dockerCli, ['info', '--format', '{{.DefaultRuntime}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'], { env: ref.env }).trim();
  return { ...ref, runtime };
}

// ---------- the measurements ----------
async function measureIdle(all) {
  const out = {};
  const ids = {};
  for (const side of all) {
    ids[side.key] = [];
    for (let i = 0; i < opts.idle; i++) {
      ids[side.key].push(must(side.cmd, ['run', '-d', '--network', 'none', image, 'sleep', '1000'], { env: side.env }).trim());
    }
  }
  await new Promise((r) => setTimeout(r, 2000)); // let start-up allocations settle
  const per = { berth: processesFor('--id', ids.berth ?? []), docker: processesFor('-id', ids.docker ?? []) };
  for (const side of all) {
    const procs = [...per[side.key].values()];
    if (procs.length !== ids[side.key].length) log(`${side.name}: found ${procs.length} monitor processes for ${ids[side.key].length} containers`);
    const mem = procs.map((p) => memoryOf(p.pid));
    out[side.key] = {
      name: side.key === 'berth' ? 'berth-monitor' : procs[0]?.exe ?? 'containerd-shim',
      n: mem.length,
      rssMiB: stats(mem.map((m) => m.rssKiB / 1024)),
      pssMiB: stats(mem.map((m) => m.pssKiB / 1024)),
      anonMiB: stats(mem.map((m) => m.anonKiB / 1024)),
    };
  }
  if (ids.docker) {
    out.dockerDaemonsMiB = daemonRss(new RegExp(`(dockerd|containerd) .*${dockerDirs.BERTH_REF_RUN_DIR}/`)) / 1024;
  }
  return { mem: out, ids };
}

async function measureExec(all, ids) {
  const candidates = [{ key: 'node', name: 'node -e 0', cmd: 'node', args: ['-e', '0'], env: nodeFloorEnv }];
  const berthId = ids.berth[0];
  // The runtime state root berth's monitor passes to crun: raw `crun exec` into the same container.
  const monitor = processesFor('--id', [berthId]).get(berthId);
  const argv = monitor ? cmdline(monitor.pid) : [];
  const rootAt = argv.findIndex((a, i) => a === '--root' && argv[i - 1] === '--runtime-arg');
  const runtimeAt = argv.indexOf('--runtime');
  if (rootAt > 0 && runtimeAt > 0) {
    candidates.push({ key: 'raw', name: `${path.basename(argv[runtimeAt + 1])} exec (raw)`, cmd: argv[runtimeAt + 1], args: ['--root', argv[rootAt + 2], 'exec', berthId, 'true'] });
  }
  for (const side of all) candidates.push({ key: side.key, name: `${side.key} exec CONTAINER true`, cmd: side.cmd, args: ['exec', ids[side.key][0], 'true'], env: side.env });
  log(`measuring ${candidates.map((c) => c.name).join(', ')}`);
  return interleaved(candidates, opts.warmup, opts.execIterations);
}

async function measureStart(all) {
  const rounds = [];
  for (let round = 0; round < opts.startRounds; round++) {
    // Alternate which side goes first, so neither always meets the other's clean-up.
    const order = round % 2 === 0 ? all : [...all].reverse();
    const row = {};
    for (const side of order) {
      const ms = batch(side, opts.batch, ['run', '-d', '--network', 'none', image, 'sleep', '1000'], opts.parallel);
      await yieldToEventLoop();
      const running = lines(must(side.cmd, ['ps', '-q'], { env: side.env })).length;
      const t0 = process.hrtime.bigint();
      const removed = removeAll(side);
      const rmMs = Number(process.hrtime.bigint() - t0) / 1e6;
      row[side.key] = { ms, running, rmMs, removed };
      log(`round ${round + 1}: ${side.name}: ${opts.batch} started in ${fmt(ms / 1000, 2)} s (${running} running), removed in ${fmt(rmMs / 1000, 2)} s`);
    }
    rounds.push(row);
  }
  return rounds;
}

async function measurePs(all) {
  const fill = {};
  for (const side of all) {
    fill[side.key] = batch(side, opts.psContainers, ['create', '--network', 'none', image, 'true'], 4);
    log(`${side.name}: ${opts.psContainers} containers created in ${fmt(fill[side.key] / 1000, 1)} s`);
  }
  const candidates = all.map((side) => ({ key: side.key, name: `${side.key} ps -a (${opts.psContainers})`, cmd: side.cmd, args: ['ps', '-a'], env: side.env }));
  const measured = await interleaved(candidates, opts.warmup, opts.psIterations);
  for (const side of all) removeAll(side);
  return { ...measured, fillMs: fill };
}

// ---------- report ----------
function verdicts(r) {
  const out = [];
  const add = (name, value, unit, target, pass, note) => out.push({ name, value, unit, target, pass, note });
  const bm = r.idle.mem.berth;
  add('berth-monitor RSS per idle container (median)', bm?.rssMiB.median, 'MiB', `<= ${targets.monitorMiB} MiB`, bm ? bm.rssMiB.median <= targets.monitorMiB : null);
  add('(info) berth-monitor PSS per idle container (median)', bm?.pssMiB.median, 'MiB', '', null);
  const dm = r.idle.mem.docker;
  add('(info) containerd-shim RSS per idle container (median)', dm?.rssMiB.median, 'MiB', '', null, dm ? undefined : 'no Docker measurement');
  add('(info) containerd-shim PSS per idle container (median)', dm?.pssMiB.median, 'MiB', '', null);
  const be = r.exec.rows.berth?.median;
  const de = r.exec.rows.docker?.median;
  add('berth / docker exec median', be !== undefined && de !== undefined ? be / de : undefined, 'x', `<= ${targets.execRatio}x`,
    be !== undefined && de !== undefined ? be / de <= targets.execRatio : null, `berth ${fmt(be)} ms, docker ${fmt(de)} ms`);
  const bp = r.ps.rows.berth?.median;
  add(`berth ps -a with ${opts.psContainers} containers (median)`, bp, 'ms', `<= ${targets.psMs} ms`, bp !== undefined ? bp <= targets.psMs : null,
    r.ps.rows.docker ? `docker ${fmt(r.ps.rows.docker.median)} ms` : undefined);
  const sb = r.start.map((x) => x.berth?.ms).filter((x) => x !== undefined);
  const sd = r.start.map((x) => x.docker?.ms).filter((x) => x !== undefined);
  const ratio = sb.length && sd.length ? quantile(sb, 0.5) / quantile(sd, 0.5) : undefined;
  add(`berth / docker: ${opts.batch} detached started (xargs -P ${opts.parallel}, median of ${opts.startRounds})`, ratio, 'x', `<= ${targets.startRatio}x`,
    ratio !== undefined ? ratio <= targets.startRatio : null, `berth ${fmt(quantile(sb, 0.5) / 1000, 2)} s, docker ${fmt(quantile(sd, 0.5) / 1000, 2)} s`);
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
    `         node ${m.node}; ${m.crun}; ${m.runc}; ${m.dockerd}${report.docker.runtime ? ` [${report.docker.runtime}]` : ''}`,
    `load average: ${report.load.before.map((x) => x.toFixed(2)).join(' ')} before, ${report.load.after.map((x) => x.toFixed(2)).join(' ')} after`,
    `docker: ${report.docker.skipped ? `skipped (${report.docker.skipped})` : report.docker.version}`,
    '',
    `monitor memory, ${opts.idle} idle \`run -d --network none IMAGE sleep 1000\` containers per side (MiB per process):`,
    `| ${'process'.padEnd(24)} | RSS median |  RSS max | PSS median | anon median |  n |`,
    `|${'-'.repeat(26)}|-----------:|---------:|-----------:|------------:|---:|`,
  ];
  for (const key of ['berth', 'docker']) {
    const x = report.idle.mem[key];
    if (!x) continue;
    out.push(`| ${x.name.padEnd(24)} | ${fmt(x.rssMiB.median, 2).padStart(10)} | ${fmt(x.rssMiB.max, 2).padStart(8)} | ${fmt(x.pssMiB.median, 2).padStart(10)} | ${fmt(x.anonMiB.median, 2).padStart(11)} | ${String(x.n).padStart(2)} |`);
  }
  if (report.idle.mem.dockerDaemonsMiB !== undefined) out.push(`(info) resident beside them for Docker: dockerd + containerd RSS ${fmt(report.idle.mem.dockerDaemonsMiB)} MiB; berth has no daemon`);
  out.push('', ...table(`exec into an idle container, ${opts.execIterations} iterations after ${opts.warmup} warm-up rounds, interleaved (ms):`, report.exec.rows));
  out.push('', ...table(`ps -a with ${opts.psContainers} created containers per side, ${opts.psIterations} iterations, interleaved (ms):`, report.ps.rows));
  out.push(`(filling: ${Object.entries(report.ps.fillMs).map(([k, v]) => `${k} ${opts.psContainers} x create in ${fmt(v / 1000, 1)} s`).join(', ')}, xargs -P 4)`);
  out.push('', `${opts.batch} containers started detached, xargs -P ${opts.parallel}, then rm -f of all (s):`,
    '| round | side   | start wall | running after | rm -f wall |', '|------:|--------|-----------:|--------------:|-----------:|');
  report.start.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) out.push(`| ${String(i + 1).padStart(5)} | ${k.padEnd(6)} | ${fmt(v.ms / 1000, 2).padStart(10)} | ${String(v.running).padStart(13)} | ${fmt(v.rmMs / 1000, 2).padStart(10)} |`);
  });
  for (const [key, err] of Object.entries({ ...report.exec.failed, ...report.ps.failed })) out.push(`FAILED ${key}: ${err}`);
  out.push('', 'targets:');
  for (const v of report.targets) {
    const mark = v.pass === null ? (v.target ? 'SKIP' : 'INFO') : v.pass ? 'PASS' : 'FAIL';
    out.push(`  ${mark.padEnd(4)}  ${v.name}: ${fmt(v.value, v.unit === 'x' ? 2 : v.unit === 'MiB' ? 2 : 1)} ${v.unit}${v.target ? ` (target ${v.target})` : ''}${v.note ? ` — ${v.note}` : ''}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync('/tmp/berth-bench-lifecycle-');
  cleanups.push(() => { unmountBelow(tmp); rmSync(tmp, { recursive: true, force: true }); });
  log(`work directory ${tmp}`);
  const store = setupStore(tmp);
  const docker = startDocker(store.tar);
  const all = sides(store, docker);
  // Registered after the dockerd's stop (clean-ups run in reverse): containers go first.
  cleanups.push(() => { for (const side of all) { try { removeAll(side); } catch (err) { log(`clean-up of ${side.name}: ${err.message}`); } } });
  if (docker.env) removeAll(all[1]);
  log(`${opts.idle} idle containers per side`);
  const idle = await measureIdle(all);
  const exec = await measureExec(all, idle.ids);
  for (const side of all) removeAll(side);
  log(`${opts.startRounds} rounds of ${opts.batch} detached containers per side`);
  const start = await measureStart(all);
  log(`ps -a with ${opts.psContainers} containers per side`);
  const ps = await measurePs(all);
  const report = {
    date: new Date().toISOString(), machine: machine(), options: opts,
    load: { before: loadBefore, after: os.loadavg() },
    docker: { skipped: docker.skipped, version: docker.version, runtime: docker.runtime },
    idle: { mem: idle.mem }, exec, start, ps,
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
