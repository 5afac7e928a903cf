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
import { existsSync } from 'node:fs';
import os from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import {
  berthBin, busyboxImage as image, busyboxStore, dockerCli, dockerLine, failedLines, interleaved, loadLine, log, machine, machineLine, nodeFloorEnv,
  parseArgs, quantile, rawRuntime, referenceDocker, runMain, runtimeBundle, table, targetLines, verdictList, workDir, fmt,
} from './lib.mjs';

// A private reference dockerd: its own socket, data root and exec root, never the fixture recorder's.
const dockerEnv = { BERTH_REF_RUN_DIR: '/run/berth-bench-docker', BERTH_REF_DATA_ROOT: '/var/lib/berth-bench-docker' };
const targets = { berthMs: 100, dockerRatio: 0.45, overheadMs: 30, rssMiB: 80 };

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/run.mjs [--iterations N] [--warmup N] [--rss-runs N] [--no-docker] [--json]',
  defaults: { iterations: 30, warmup: 3, rssRuns: 10, docker: true, json: false },
  options: {
    '--iterations': { key: 'iterations', int: 1 }, '--warmup': { key: 'warmup', int: 0 }, '--rss-runs': { key: 'rssRuns', int: 0 },
    '--json': { key: 'json', set: true }, '--no-docker': { key: 'docker', set: false },
  },
});

// ---------- candidates ----------
function buildCandidates(tmp, store, ref, docker) {
  const berthArgs = ['run', '--rm', '--network', 'none', image, 'true'];
  const list = [
    { name: 'node -e 0', key: 'node', cmd: 'node', args: ['-e', '0'], env: nodeFloorEnv },
    rawRuntime('crun', tmp, ref),
    rawRuntime('runc', tmp, ref),
    { name: 'berth run (crun)', key: 'berth-crun', cmd: berthBin, args: berthArgs, env: store.env },
    { name: 'berth run --runtime runc', key: 'berth-runc', cmd: berthBin, args: ['run', '--runtime', 'runc', ...berthArgs.slice(1)], env: store.env },
  ];
  if (docker.env) list.push({ name: 'docker run (20.10, runc)', key: 'docker', cmd: dockerCli, args: berthArgs, env: docker.env });
  return list;
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

function verdicts(rows, rss) {
  const med = (k) => rows[k]?.median;
  const { list: out, add } = verdictList();
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
    `${machineLine(m)}, cgroup ${m.cgroup}`,
    `         node ${m.node}; ${m.crun}; ${m.runc}; ${m.dockerd}${report.docker.runtime ? ` [${report.docker.runtime}]` : ''}`,
    loadLine(report.load),
    `raw runtime bundle: ${report.bundleNote}`,
    dockerLine(report.docker),
    `${report.iterations} iterations after ${report.warmup} warm-up rounds, interleaved round-robin; wall time per command in ms`,
    '',
    ...table(report.results),
    ...failedLines(report.failed),
    ...targetLines(report.targets),
  ];
  if (report.rss.runs) lines.push(`  peak RSS over ${report.rss.runs} runs of berth run: median ${fmt(report.rss.medianMiB)} MiB, max ${fmt(report.rss.maxMiB)} MiB (/usr/bin/time %M: largest RSS in berth's process tree)`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  const tmp = workDir('/tmp/berth-bench-');
  const store = busyboxStore(tmp);
  const ref = runtimeBundle(tmp, { tar: store.tar, image, env: store.env });
  const docker = referenceDocker({ enabled: opts.docker, dirs: dockerEnv, tar: store.tar, image, runtime: true });
  const candidates = buildCandidates(tmp, store, ref, docker);
  log(`measuring ${candidates.map((c) => c.name).join(', ')}`);
  const { rows: results, failed } = await interleaved(candidates, { warmup: opts.warmup, iterations: opts.iterations, progress: opts.json ? undefined : '', every: 10 });
  log('measuring peak RSS of berth run');
  const rss = await measureRss(store, []);
  const report = {
    date: new Date().toISOString(), machine: machine(), iterations: opts.iterations, warmup: opts.warmup,
    load: { before: loadBefore, after: os.loadavg() },
    bundleNote: `busybox tar extracted into a plain directory; berth's generated config.json (cgroupsPath ${ref.berthCgroupsPath.replace(/\/[0-9a-f]{64}\//, '/<id>/')}) with root.path pointed at it, `
      + '/etc/hosts|hostname|resolv.conf binds copied alongside, a fresh cgroupsPath and container id per run, state under the work dir',
    docker: { skipped: docker.skipped, version: docker.version, runtime: docker.runtime },
    results, failed, rss, targets: verdicts(results, rss),
  };
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printText(report);
}

await runMain(main);
