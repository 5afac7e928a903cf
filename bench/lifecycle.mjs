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
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  berthBin, busyboxImage as image, busyboxStore, cleanups, dockerCli, dockerLine, failedLines, fmt, interleaved, lines, loadLine, log, machine, machineLine,
  must, nodeFloorEnv, parseArgs, quantile, referenceDocker, removeContainers, roundRobin, runMain, stats, table, targetLines, verdictList, xargsBatch, workDir,
} from './lib.mjs';

const dockerDirs = { BERTH_REF_RUN_DIR: '/run/berth-bench-lifecycle-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-lifecycle-docker' };
const targets = { monitorMiB: 3, execRatio: 0.7, psMs: 150, startRatio: 0.5 };

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/lifecycle.mjs [--idle N] [--exec-iterations N] [--warmup N] [--batch N] [--parallel P]\n'
    + '                              [--start-rounds N] [--ps-containers N] [--ps-iterations N] [--no-docker] [--json]',
  defaults: { idle: 10, execIterations: 20, warmup: 2, batch: 100, parallel: 8, startRounds: 2, psContainers: 500, psIterations: 10, docker: true, json: false },
  options: {
    '--idle': { key: 'idle', int: 1 }, '--exec-iterations': { key: 'execIterations', int: 1 }, '--warmup': { key: 'warmup', int: 0 },
    '--batch': { key: 'batch', int: 1 }, '--parallel': { key: 'parallel', int: 1 }, '--start-rounds': { key: 'startRounds', int: 1 },
    '--ps-containers': { key: 'psContainers', int: 1 }, '--ps-iterations': { key: 'psIterations', int: 1 },
    '--json': { key: 'json', set: true }, '--no-docker': { key: 'docker', set: false },
  },
});

// ---------- the two engines, as a user's shell would call them ----------
function sides(store, docker) {
  const list = [{ key: 'berth', name: 'berth', cmd: berthBin, env: store.env }];
  if (docker.env) list.push({ key: 'docker', name: 'docker (20.10, runc)', cmd: dockerCli, env: docker.env });
  return list;
}

/** Every container of one side, running or not, force-removed; how many. */
const removeAll = (side) => removeContainers(side.cmd, side.env);

/** n containers made by `args` (run -d / create), `parallel` at a time through xargs -P; wall ms. */
const batch = (side, n, args, parallel) => xargsBatch(side.cmd, args, { n, parallel, env: side.env, label: side.name });

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
  return interleaved(candidates, { warmup: opts.warmup, iterations: opts.execIterations });
}

async function measureStart(all) {
  const rounds = [];
  // Round-robin: which side goes first alternates, so neither always meets the other's clean-up.
  await roundRobin(all, { iterations: opts.startRounds }, (side, _measured, round) => {
    const ms = batch(side, opts.batch, ['run', '-d', '--network', 'none', image, 'sleep', '1000'], opts.parallel);
    const running = lines(must(side.cmd, ['ps', '-q'], { env: side.env })).length;
    const t0 = process.hrtime.bigint();
    const removed = removeAll(side);
    const rmMs = Number(process.hrtime.bigint() - t0) / 1e6;
    (rounds[round] ??= {})[side.key] = { ms, running, rmMs, removed };
    log(`round ${round + 1}: ${side.name}: ${opts.batch} started in ${fmt(ms / 1000, 2)} s (${running} running), removed in ${fmt(rmMs / 1000, 2)} s`);
  });
  return rounds;
}

async function measurePs(all) {
  const fill = {};
  for (const side of all) {
    fill[side.key] = batch(side, opts.psContainers, ['create', '--network', 'none', image, 'true'], 4);
    log(`${side.name}: ${opts.psContainers} containers created in ${fmt(fill[side.key] / 1000, 1)} s`);
  }
  const candidates = all.map((side) => ({ key: side.key, name: `${side.key} ps -a (${opts.psContainers})`, cmd: side.cmd, args: ['ps', '-a'], env: side.env }));
  const measured = await interleaved(candidates, { warmup: opts.warmup, iterations: opts.psIterations });
  for (const side of all) removeAll(side);
  return { ...measured, fillMs: fill };
}

// ---------- report ----------
function verdicts(r) {
  const { list: out, add } = verdictList();
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

function printText(report) {
  const m = report.machine;
  const out = [
    `${machineLine(m)}, cgroup ${m.cgroup}`,
    `         node ${m.node}; ${m.crun}; ${m.runc}; ${m.dockerd}${report.docker.runtime ? ` [${report.docker.runtime}]` : ''}`,
    loadLine(report.load),
    dockerLine(report.docker),
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
  out.push('', `exec into an idle container, ${opts.execIterations} iterations after ${opts.warmup} warm-up rounds, interleaved (ms):`, ...table(report.exec.rows, { width: 34 }));
  out.push('', `ps -a with ${opts.psContainers} created containers per side, ${opts.psIterations} iterations, interleaved (ms):`, ...table(report.ps.rows, { width: 34 }));
  out.push(`(filling: ${Object.entries(report.ps.fillMs).map(([k, v]) => `${k} ${opts.psContainers} x create in ${fmt(v / 1000, 1)} s`).join(', ')}, xargs -P 4)`);
  out.push('', `${opts.batch} containers started detached, xargs -P ${opts.parallel}, then rm -f of all (s):`,
    '| round | side   | start wall | running after | rm -f wall |', '|------:|--------|-----------:|--------------:|-----------:|');
  report.start.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) out.push(`| ${String(i + 1).padStart(5)} | ${k.padEnd(6)} | ${fmt(v.ms / 1000, 2).padStart(10)} | ${String(v.running).padStart(13)} | ${fmt(v.rmMs / 1000, 2).padStart(10)} |`);
  });
  out.push(...failedLines({ ...report.exec.failed, ...report.ps.failed }), ...targetLines(report.targets, { x: 2, MiB: 2 }));
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  const tmp = workDir('/tmp/berth-bench-lifecycle-');
  const store = busyboxStore(tmp);
  const docker = referenceDocker({ enabled: opts.docker, dirs: dockerDirs, tar: store.tar, image, runtime: true });
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

await runMain(main);
