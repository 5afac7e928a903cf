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
import os from 'node:os';

import {
  berthBin, busyboxImage as image, busyboxStore, cleanups, dockerCli, dockerLine, failedLines, fmt, interleaved, loadLine, log, machine, machineLine,
  must, nodeFloorEnv, parseArgs, referenceDocker, runMain, table, targetLines, verdictList, workDir, xargsBatch,
} from './lib.mjs';

const targets = { inspectRatio: 1.0, psMs: 150 };

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/inspect.mjs [--iterations N] [--warmup N] [--ps-containers N] [--ps-iterations N] [--no-docker] [--no-ps] [--json]',
  defaults: { iterations: 30, warmup: 3, psContainers: 500, psIterations: 15, docker: true, ps: true, json: false },
  options: {
    '--iterations': { key: 'iterations', int: 1 }, '--warmup': { key: 'warmup', int: 0 },
    '--ps-containers': { key: 'psContainers', int: 1 }, '--ps-iterations': { key: 'psIterations', int: 1 },
    '--json': { key: 'json', set: true }, '--no-docker': { key: 'docker', set: false }, '--no-ps': { key: 'ps', set: false },
  },
});

// ---------- set-up ----------
function setupStore(tmp) {
  const store = busyboxStore(tmp);
  const name = 'bench-inspect';
  must(berthBin, ['create', '--name', name, '--network', 'none', image, 'true'], { env: store.env });
  // The warm case: a first inspect (Node) writes the render cache, and the fast path answers the
  // next ones (BERTH_FAST_TRACE=1 makes it say so on stderr): the set-up fails when it does not.
  const first = must(berthBin, ['inspect', name], { env: store.env });
  const traced = spawnSync(berthBin, ['inspect', name], { env: { ...store.env, BERTH_FAST_TRACE: '1' }, encoding: 'utf8' });
  if (traced.status !== 0 || !traced.stderr.includes('native fast path') || traced.stdout !== first) {
    throw new Error(`the inspect fast path did not answer from the render cache (is build/Release/berth-inspect built?): ${traced.stderr.trim()}`);
  }
  log('the inspect fast path answers from the render cache (warm)');
  return { ...store, name };
}

/** The shared reference dockerd (started when needed, never stopped), the same rootfs imported and a container created on it. */
function setupDocker(tar) {
  const tag = `berth-bench-inspect-${process.pid}`;
  const dockerImage = `${tag}/busybox:latest`;
  const docker = referenceDocker({ enabled: opts.docker, tar, image: dockerImage });
  if (docker.skipped) return docker;
  must(dockerCli, ['create', '--name', tag, '--network', 'none', dockerImage, 'true'], { env: docker.env });
  // Registered after the image's removal (clean-ups run in reverse): the container goes first.
  cleanups.push(() => { spawnSync(dockerCli, ['rm', '-f', tag], { env: docker.env, stdio: 'ignore' }); });
  return { ...docker, name: tag };
}

// ---------- measuring ----------
async function measureInspect(store, docker) {
  const candidates = [
    { key: 'node', name: 'node -e 0', cmd: 'node', args: ['-e', '0'], env: nodeFloorEnv },
    { key: 'berth', name: 'berth inspect C', cmd: berthBin, args: ['inspect', store.name], env: store.env },
    { key: 'berthNode', name: 'berth inspect C (Node)', cmd: berthBin, args: ['inspect', store.name], env: { ...store.env, BERTH_NO_FAST_PATH: '1' } },
  ];
  if (docker.env) candidates.push({ key: 'docker', name: 'docker inspect C', cmd: dockerCli, args: ['inspect', docker.name], env: docker.env });
  log(`measuring ${candidates.map((c) => c.name).join(', ')}`);
  return interleaved(candidates, { warmup: opts.warmup, iterations: opts.iterations });
}

async function measurePs(store) {
  // The inspected container is one of them.
  const fillMs = xargsBatch(berthBin, ['create', '--network', 'none', image, 'true'], { n: opts.psContainers - 1, parallel: 4, env: store.env, timeout: 1_800_000 });
  const count = must(berthBin, ['ps', '-aq'], { env: store.env }).trim().split('\n').length;
  log(`${count} containers in the store (filled in ${fmt(fillMs / 1000, 1)} s)`);
  const candidates = [
    { key: 'node', name: 'node -e 0', cmd: 'node', args: ['-e', '0'], env: nodeFloorEnv },
    { key: 'berth', name: `berth ps -a --format (${count})`, cmd: berthBin, args: ['ps', '-a', '--format', '{{.Names}}'], env: store.env },
  ];
  const measured = await interleaved(candidates, { warmup: opts.warmup, iterations: opts.psIterations });
  return { ...measured, count, fillMs };
}

// ---------- report ----------
function verdicts(r) {
  const { list, add } = verdictList();
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
  return list;
}

function printText(report) {
  const m = report.machine;
  const out = [
    `${machineLine(m)}, cgroup ${m.cgroup}`,
    `         node ${m.node}; ${m.dockerd}`,
    loadLine(report.load),
    dockerLine(report.docker),
    '',
    `inspect of one created container (warm render cache), ${opts.iterations} iterations after ${opts.warmup} warm-up rounds, interleaved (ms):`,
    ...table(report.inspect.rows, { width: 34 }),
  ];
  if (report.ps) {
    out.push('', `ps -a --format '{{.Names}}' with ${report.ps.count} created containers, ${opts.psIterations} iterations, interleaved (ms):`, ...table(report.ps.rows, { width: 34 }));
    out.push(`(filling: ${report.ps.count - 1} x berth create in ${fmt(report.ps.fillMs / 1000, 1)} s, xargs -P 4)`);
  }
  out.push(...failedLines({ ...report.inspect.failed, ...report.ps?.failed }), ...targetLines(report.targets));
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  const loadBefore = os.loadavg();
  const tmp = workDir('/tmp/berth-bench-inspect-');
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

await runMain(main);
