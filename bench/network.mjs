#!/usr/bin/env node
// Networking benchmark (issue 11, "Performance"). Plain Node ESM, no dependencies beyond ab
// (apache2-utils, installed by scripts/setup.sh). Side by side with a private dockerd 20.10 on its
// default bridge (docker0, iptables, userland proxy: Docker's defaults), in the same run:
//   run      `run --rm IMAGE true` on berth's default bridge against `docker run --rm IMAGE true` on
//            Docker's, interleaved; twice: with no other container on the bridges (docker0 stays up;
//            berth's stays up too, held by its keeper endpoint, services/bridge-keeper.ts, made by
//            the first run) and with one other container on each bridge; berth with --network none
//            as the floor
//   http     HTTP throughput through a published port on 127.0.0.1: ab (time-bounded, keep-alive
//            off, -c N) from the host against busybox httpd serving a small file in a container,
//            berth's published port against Docker's, and against the same busybox httpd run
//            directly on the host; requests per second (median of rounds), connect and total
//            latency p50/p99 from ab's per-request records (-g)
// Run as root from the repository root after `npm run build`:
//   node bench/network.mjs [--runs N] [--warmup N] [--rounds N] [--duration S] [--concurrency C]
//                          [--file-bytes B] [--no-docker] [--json]
// The dockerd is this benchmark's own (socket, data and exec root under /run/berth-bench-network-docker
// and /var/lib/berth-bench-network-docker), started WITH its bridge and iptables and stopped at the
// end, with the docker0 bridge and the DOCKER firewall rules it made. Two dockerds on one host
// interfere (one with --bridge=none deletes the other's docker0), so it refuses to start one while
// any other dockerd runs (`pgrep -x dockerd`): stop that one, or measure berth alone with --no-docker.
// Exit status: 0 whenever a report was produced (targets that fail are printed as FAIL), 1 when the
// set-up itself failed (or another dockerd runs), 2 for bad arguments.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  berthBin, busyboxImage as image, busyboxStore, cleanups, dockerCli, dockerdPids, dockerLine, failedLines, fmt, freePort, interleaved, lines, loadLine, log,
  machine, machineLine, must, parseArgs, quantile, removeContainers, removeTree, roundRobin, runMain, table, targetLines, unmountBelow, verdictList, workDir,
} from './lib.mjs';

const targets = { runRatio: 0.5, viaDocker: 1.0, viaHost: 0.8 };
const dockerd = '/usr/sbin/dockerd';
const dockerDirs = { run: '/run/berth-bench-network-docker', data: '/var/lib/berth-bench-network-docker' };

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/network.mjs [--runs N] [--warmup N] [--rounds N] [--duration S] [--concurrency C]\n'
    + '                              [--file-bytes B] [--no-docker] [--json]',
  defaults: { runs: 20, warmup: 2, rounds: 3, duration: 5, concurrency: 4, fileBytes: 4096, docker: true, json: false },
  options: {
    '--runs': { key: 'runs', int: 1 }, '--warmup': { key: 'warmup', int: 0 }, '--rounds': { key: 'rounds', int: 1 },
    '--duration': { key: 'duration', int: 1 }, '--concurrency': { key: 'concurrency', int: 1 }, '--file-bytes': { key: 'fileBytes', int: 1 },
    '--json': { key: 'json', set: true }, '--no-docker': { key: 'docker', set: false },
  },
});

// ---------- berth ----------
function setupStore(tmp) {
  const store = busyboxStore(tmp);
  // Run before the removal of the state directory (clean-ups run last first): the default bridge's
  // keeper (services/bridge-keeper.ts) keeps the bridge, a veth, a namespace and NAT rules up until pruned.
  cleanups.push(() => spawnSync(berthBin, ['network', 'prune', '-f'], { env: store.env, stdio: 'ignore' }));
  return store;
}

// ---------- a private dockerd with Docker's default networking ----------
/** The iptables lines (`TABLE LINE`) that belong to Docker: its chains and the jumps to them. */
function dockerRules() {
  const r = spawnSync('iptables-save', { encoding: 'utf8' });
  let table = '';
  const out = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (/DOCKER|docker0/.test(line)) out.push(`${table} ${line}`);
  }
  return out;
}

function startDocker(tar) {
  if (!opts.docker) return { skipped: 'disabled with --no-docker' };
  if (!existsSync(dockerCli) || !existsSync(dockerd)) return { skipped: `${dockerCli} or ${dockerd} not installed (apt-get install docker.io)` };
  const others = dockerdPids();
  if (others.length > 0) {
    throw new Error(`another dockerd runs (pid ${others.join(', ')}). This benchmark needs its own dockerd with Docker's default bridge and iptables, `
      + 'and two dockerds on one host interfere (one started with --bridge=none, as tools/reference-dockerd.sh does, deletes the other\'s docker0). '
      + 'Stop the other one (tools/reference-dockerd.sh stop) or measure berth alone with --no-docker.');
  }
  const sock = path.join(dockerDirs.run, 'docker.sock');
  const exec = path.join(dockerDirs.run, 'exec');
  const pidfile = path.join(dockerDirs.run, 'docker.pid');
  const hadBridge = existsSync('/sys/class/net/docker0');
  const rulesBefore = new Set(dockerRules());
  mkdirSync(exec, { recursive: true });
  mkdirSync(dockerDirs.data, { recursive: true });
  const logFd = openSync(path.join(dockerDirs.run, 'dockerd.log'), 'a');
  const child = spawn('setsid', [dockerd, '--host', `unix://${sock}`, '--data-root', dockerDirs.data, '--exec-root', exec, '--pidfile', pidfile,
    '--storage-driver=overlay2', '--log-level=warn'], { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
  cleanups.push(() => stopDocker({ exec, pidfile, hadBridge, rulesBefore }));
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  for (let i = 0; ; i++) {
    if (spawnSync(dockerCli, ['info'], { env, stdio: 'ignore', timeout: 10_000 }).status === 0) break;
    if (i > 120) throw new Error(`the private dockerd did not answer within 60 s (log: ${dockerDirs.run}/dockerd.log)`);
    spawnSync('sleep', ['0.5']);
  }
  const version = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env }).trim();
  const runtime = must(dockerCli, ['info', '--format', '{{.DefaultRuntime}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'], { env }).trim();
  must(dockerCli, ['import', tar, image], { env });
  return { env, version, runtime };
}

function stopDocker({ exec, pidfile, hadBridge, rulesBefore }) {
  log('stopping the private dockerd');
  let pid;
  try { pid = Number(readFileSync(pidfile, 'utf8').trim()); } catch { pid = undefined; }
  // Only our dockerd: matched by its exec root, so a recycled pid is never signalled.
  if (pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(`--exec-root ${exec}`)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 60 && existsSync(`/proc/${pid}`); i++) spawnSync('sleep', ['0.5']);
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  }
  for (const c of lines(spawnSync('pgrep', ['-f', `--config ${exec}/containerd/containerd.toml`], { encoding: 'utf8' }).stdout ?? '')) {
    try { process.kill(Number(c), 'SIGTERM'); } catch { /* gone */ }
  }
  unmountBelow(dockerDirs.data);
  unmountBelow(dockerDirs.run);
  // What this dockerd added to the host and leaves behind when it exits: docker0 and its firewall rules.
  if (!hadBridge && existsSync('/sys/class/net/docker0')) spawnSync('ip', ['link', 'delete', 'docker0']);
  const added = dockerRules().filter((l) => !rulesBefore.has(l));
  for (const l of added) {
    const [table, ...rest] = l.split(' ');
    if (rest[0] === '-A') spawnSync('sh', ['-c', `iptables -t ${table} -D ${rest.slice(1).join(' ')}`]);
  }
  for (const l of added) {
    const [table, chain] = l.split(' ');
    if (chain.startsWith(':')) {
      const name = chain.slice(1);
      spawnSync('iptables', ['-t', table, '-F', name]);
      spawnSync('iptables', ['-t', table, '-X', name]);
    }
  }
  removeTree(dockerDirs.data);
  removeTree(dockerDirs.run);
}

async function measureRun(berth, docker) {
  const candidates = (suffix) => [
    { key: `berth${suffix}`, name: 'berth run --rm (bridge)', cmd: berthBin, args: ['run', '--rm', image, 'true'], env: berth.env },
    ...(docker.env ? [{ key: `docker${suffix}`, name: 'docker run --rm (bridge)', cmd: dockerCli, args: ['run', '--rm', image, 'true'], env: docker.env }] : []),
  ];
  log(`run --rm, idle bridges: ${opts.runs} runs after ${opts.warmup} warm-up rounds`);
  const timing = { warmup: opts.warmup, iterations: opts.runs };
  const idle = await interleaved([
    ...candidates(''),
    { key: 'berthNone', name: 'berth run --rm --network none', cmd: berthBin, args: ['run', '--rm', '--network', 'none', image, 'true'], env: berth.env },
  ], timing);
  log('run --rm, with another container on each bridge');
  const keepers = [must(berthBin, ['run', '-d', image, 'sleep', '1000'], { env: berth.env }).trim()];
  if (docker.env) keepers.push(must(dockerCli, ['run', '-d', image, 'sleep', '1000'], { env: docker.env }).trim());
  let busy;
  try {
    busy = await interleaved(candidates('Busy'), timing);
  } finally {
    must(berthBin, ['rm', '-f', keepers[0]], { env: berth.env });
    if (docker.env) must(dockerCli, ['rm', '-f', keepers[1]], { env: docker.env });
  }
  return { idle, busy };
}

// ---------- HTTP through published ports ----------
async function waitForHttp(url) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 10 s`);
}

/** One time-bounded ab run: requests per second and per-request connect/total times (ms). */
function ab(url, tmp) {
  const records = path.join(tmp, 'ab.tsv');
  // -n bounds ab's record array (it stops at -t or -n, whichever comes first).
  const r = spawnSync('ab', ['-q', '-r', '-s', '10', '-t', String(opts.duration), '-n', '1000000', '-c', String(opts.concurrency), '-g', records, url],
    { encoding: 'utf8', timeout: (opts.duration + 60) * 1000, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new Error(`ab ${url}: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr ?? '').trim()}`);
  const num = (re) => Number(re.exec(r.stdout)?.[1]);
  const rows = readFileSync(records, 'utf8').split('\n').slice(1).map((l) => l.split('\t')).filter((f) => f.length >= 5);
  rmSync(records, { force: true });
  return {
    rps: num(/Requests per second:\s+([\d.]+)/), complete: num(/Complete requests:\s+(\d+)/), failed: num(/Failed requests:\s+(\d+)/),
    connect: rows.map((f) => Number(f[2])), total: rows.map((f) => Number(f[4])),
  };
}

async function measureHttp(berth, docker, tmp) {
  const serve = `mkdir -p /www && head -c ${opts.fileBytes} /dev/zero | tr '\\0' x > /www/index.html && exec httpd -f -p 8080 -h /www`;
  const targetsOf = [];
  const berthId = must(berthBin, ['run', '-d', '-p', '127.0.0.1::8080', image, 'sh', '-c', serve], { env: berth.env }).trim();
  cleanups.push(() => spawnSync(berthBin, ['rm', '-f', berthId], { env: berth.env, stdio: 'ignore' }));
  targetsOf.push({ key: 'berth', name: 'berth -p 127.0.0.1::8080', url: `http://${must(berthBin, ['port', berthId, '8080'], { env: berth.env }).trim()}/index.html` });
  if (docker.env) {
    const dockerId = must(dockerCli, ['run', '-d', '-p', '127.0.0.1::8080', image, 'sh', '-c', serve], { env: docker.env }).trim();
    cleanups.push(() => spawnSync(dockerCli, ['rm', '-f', dockerId], { env: docker.env, stdio: 'ignore' }));
    targetsOf.push({ key: 'docker', name: 'docker -p 127.0.0.1::8080', url: `http://${lines(must(dockerCli, ['port', dockerId, '8080'], { env: docker.env }))[0]}/index.html` });
  }
  // The same busybox httpd (the image's busybox is the host's busybox-static) directly on the host.
  const www = path.join(tmp, 'www');
  mkdirSync(www);
  writeFileSync(path.join(www, 'index.html'), 'x'.repeat(opts.fileBytes));
  const port = await freePort();
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox is not installed on the host (apt-get install busybox-static)');
  const host = spawn(busybox, ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', www], { stdio: 'ignore' });
  cleanups.push(() => host.kill('SIGKILL'));
  targetsOf.push({ key: 'host', name: 'busybox httpd on the host', url: `http://127.0.0.1:${port}/index.html` });
  for (const t of targetsOf) await waitForHttp(t.url);
  const runs = Object.fromEntries(targetsOf.map((t) => [t.key, []]));
  await roundRobin(targetsOf, { iterations: opts.rounds }, (t, _measured, round) => {
    log(`ab round ${round + 1}/${opts.rounds}: ${t.name}`);
    runs[t.key].push(ab(t.url, tmp));
  });
  const rows = {};
  for (const t of targetsOf) {
    const rs = runs[t.key];
    const connect = rs.flatMap((x) => x.connect);
    const total = rs.flatMap((x) => x.total);
    rows[t.key] = {
      name: t.name, rps: quantile(rs.map((x) => x.rps), 0.5), rpsAll: rs.map((x) => x.rps), requests: rs.reduce((a, x) => a + x.complete, 0),
      failed: rs.reduce((a, x) => a + x.failed, 0),
      connectP50: quantile(connect, 0.5), connectP99: quantile(connect, 0.99), totalP50: quantile(total, 0.5), totalP99: quantile(total, 0.99),
    };
  }
  return { rows };
}

// ---------- report ----------
function verdicts(r) {
  const { list: out, add } = verdictList();
  for (const [label, part, suffix] of [['idle bridges', r.run.idle, ''], ['bridges in use', r.run.busy, 'Busy']]) {
    const b = part.rows[`berth${suffix}`]?.median;
    const d = part.rows[`docker${suffix}`]?.median;
    const ratio = b !== undefined && d !== undefined ? b / d : undefined;
    add(`berth / docker: run --rm IMAGE true on the default bridge, ${label} (median)`, ratio, 'x', `<= ${targets.runRatio}x`,
      ratio !== undefined ? ratio <= targets.runRatio : null, `berth ${fmt(b)} ms${d !== undefined ? `, docker ${fmt(d)} ms` : ''}`);
  }
  const h = r.http.rows;
  const viaDocker = h.berth && h.docker ? h.berth.rps / h.docker.rps : undefined;
  add('berth / docker: HTTP requests/s through a published port (median of rounds)', viaDocker, 'x', `>= ${targets.viaDocker}x`,
    viaDocker !== undefined ? viaDocker >= targets.viaDocker : null, `berth ${fmt(h.berth?.rps, 0)}/s${h.docker ? `, docker ${fmt(h.docker.rps, 0)}/s` : ''}`);
  const viaHost = h.berth && h.host ? h.berth.rps / h.host.rps : undefined;
  add('berth / host: HTTP requests/s, published port against the same server on the host', viaHost, 'x', `>= ${targets.viaHost}x`,
    viaHost !== undefined ? viaHost >= targets.viaHost : null, `host ${fmt(h.host?.rps, 0)}/s`);
  return out;
}

function printText(report) {
  const m = report.machine;
  const out = [
    `${machineLine(m)}, cgroup ${m.cgroup}`,
    `         node ${m.node}; ${m.crun}; ${m.runc}; ${m.dockerd}${report.docker.runtime ? ` [${report.docker.runtime}]` : ''}; ${report.netavark}; ${report.ab}`,
    loadLine(report.load),
    dockerLine(report.docker, ', its own dockerd on its default bridge (docker0, iptables, userland proxy)'),
    '',
  ];
  out.push(`run --rm IMAGE true, idle bridges (no other container on them; berth's kept up by its keeper, as docker0 stays up), ${opts.runs} runs, interleaved (ms):`,
    ...table(report.run.idle.rows, { width: 32 }), '');
  out.push('run --rm IMAGE true, another container keeping each bridge up (ms):', ...table(report.run.busy.rows, { width: 32 }), '');
  out.push(`HTTP GET of a ${opts.fileBytes}-byte file from busybox httpd, ab -c ${opts.concurrency} -t ${opts.duration} (no keep-alive), ${opts.rounds} rounds, interleaved:`,
    `| ${'server'.padEnd(28)} | req/s median | req/s rounds         | requests | failed | connect p50/p99 ms | total p50/p99 ms |`,
    `|${'-'.repeat(30)}|-------------:|----------------------|---------:|-------:|-------------------:|-----------------:|`);
  for (const x of Object.values(report.http.rows)) {
    out.push(`| ${x.name.padEnd(28)} | ${fmt(x.rps, 0).padStart(12)} | ${x.rpsAll.map((v) => fmt(v, 0)).join(' ').padEnd(20)} | ${String(x.requests).padStart(8)} | ${String(x.failed).padStart(6)} | ${`${fmt(x.connectP50, 0)} / ${fmt(x.connectP99, 0)}`.padStart(18)} | ${`${fmt(x.totalP50, 0)} / ${fmt(x.totalP99, 0)}`.padStart(16)} |`);
  }
  out.push(...failedLines({ ...report.run.idle.failed, ...report.run.busy.failed }), ...targetLines(report.targets));
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root (containers, namespaces, iptables)');
  if (spawnSync('ab', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('ab is not installed (apt-get install apache2-utils; scripts/setup.sh does)');
  const loadBefore = os.loadavg();
  const tmp = workDir('/tmp/berth-bench-network-');
  const berth = setupStore(tmp);
  // berth's containers go before the store's directory (clean-ups run in reverse).
  cleanups.push(() => removeContainers(berthBin, berth.env, { quiet: true }));
  const docker = startDocker(berth.tar);
  const run = await measureRun(berth, docker);
  log(`HTTP throughput: ${opts.rounds} rounds of ${opts.duration} s per server`);
  const http = await measureHttp(berth, docker, tmp);
  const report = {
    date: new Date().toISOString(), machine: machine(), options: opts,
    netavark: spawnSync('/usr/lib/podman/netavark', ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'netavark not found',
    ab: /ApacheBench, Version \S+/.exec(spawnSync('ab', ['-V'], { encoding: 'utf8' }).stdout ?? '')?.[0] ?? 'ab',
    load: { before: loadBefore, after: os.loadavg() },
    docker: { skipped: docker.skipped, version: docker.version, runtime: docker.runtime },
    run, http,
  };
  report.targets = verdicts(report);
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printText(report);
}

await runMain(main);
