#!/usr/bin/env node
// A/B of `berth run --rm --network none IMAGE true` between builds of berth, on one store, in one
// run: the builds take turns round by round (in a shuffled order each round), so the noise of a
// shared machine hits them alike, and each build's time is compared with the first build's of the
// same round (the median of those paired differences is the verdict). Self-contained (Node's
// builtins only). Run as root:
//   node bench/run-ab.mjs [--rounds 60] [--cpu] [--span 'FROM,TO'] LABEL=CHECKOUT LABEL=CHECKOUT...
// CHECKOUT is a directory with bin/berth, dist/bundle and build/Release: a worktree, or a copy
// (`cp -r bin dist/bundle build/Release` under one folder, and node_modules linked) frozen while
// the tree changes. Each build first runs a plain `berth run` (as bench/run.mjs's set-up does), so
// that its V8 code caches are written before the rounds.
//   --cpu         CPU time (perf stat's task-clock, the process tree) instead of wall time
//   --span A,B    the time between two BERTH_TRACE labels instead (e.g. 'start: mounted,start: created')
// Exit status: 0 with a report, 1 when the set-up or a run failed, 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const usage = (problem) => {
  if (problem) process.stderr.write(`run-ab: ${problem}\n`);
  process.stderr.write("usage: node bench/run-ab.mjs [--rounds N] [--cpu] [--span 'FROM,TO'] LABEL=CHECKOUT LABEL=CHECKOUT...\n");
  process.exit(2);
};
const opts = { rounds: 60, cpu: false, span: undefined, builds: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--rounds') opts.rounds = Number(argv[++i]);
  else if (a === '--cpu') opts.cpu = true;
  else if (a === '--span') opts.span = String(argv[++i]).split(',');
  else if (/^[\w.-]+=/.test(a)) {
    const [label, dir] = [a.slice(0, a.indexOf('=')), path.resolve(a.slice(a.indexOf('=') + 1))];
    opts.builds.push({ label, berth: path.join(dir, 'bin', 'berth') });
  } else usage(`unknown argument "${a}"`);
}
if (!Number.isInteger(opts.rounds) || opts.rounds < 1) usage('--rounds takes a positive number');
if (opts.builds.length < 2) usage('two builds at least');
if (opts.span && opts.span.length !== 2) usage('--span takes two trace labels, FROM,TO');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-run-ab-'));
const env = { ...process.env, BERTH_ROOT: path.join(tmp, 'store') };
delete env.BERTH_TRACE;
if (opts.span) env.BERTH_TRACE = '1';
const image = 'berth-bench/busybox:latest';
const perfOut = path.join(tmp, 'perf.out');

function must(cmd, args) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr}`);
  return r.stdout;
}

/** One measurement of one build, in ms. */
function once(build) {
  const args = ['run', '--rm', '--network', 'none', image, 'true'];
  const [cmd, full] = opts.cpu ? ['perf', ['stat', '-x', ',', '-e', 'task-clock', '-o', perfOut, build.berth, ...args]] : [build.berth, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, full, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${build.label}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr}`);
  if (opts.cpu) return Number(readFileSync(perfOut, 'utf8').split('\n').find((l) => l.includes('task-clock'))?.split(',')[0]);
  if (!opts.span) return wall;
  const at = (label) => Number(/\[trace\] ([\d.]+)ms/.exec(r.stderr.split('\n').find((l) => l.endsWith(` ${label}`)) ?? '')?.[1]);
  return at(opts.span[1]) - at(opts.span[0]);
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let status = 0;
try {
  must('sh', ['-c', `"${repo}/tools/make-busybox-rootfs.sh" > "${tmp}/busybox.tar"`]);
  must(opts.builds[0].berth, ['import', `${tmp}/busybox.tar`, image]);
  for (const b of opts.builds) {
    must(b.berth, ['run', '--name', `prime-${b.label}`, '--network', 'none', image, 'true']);
    must(b.berth, ['rm', `prime-${b.label}`]);
  }
  const samples = new Map(opts.builds.map((b) => [b.label, []]));
  const warmup = 3;
  for (let round = 0; round < warmup + opts.rounds; round++) {
    const order = [...opts.builds].sort(() => Math.random() - 0.5);
    for (const b of order) {
      const ms = once(b);
      if (round >= warmup) samples.get(b.label).push(ms);
    }
  }
  const what = opts.cpu ? 'CPU time (task-clock)' : opts.span ? `"${opts.span[0]}" to "${opts.span[1]}"` : 'wall time';
  const lines = [`${opts.rounds} rounds after ${warmup} warm-up rounds, ${what} in ms, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`];
  const base = samples.get(opts.builds[0].label);
  for (const b of opts.builds) {
    const v = samples.get(b.label);
    const paired = b === opts.builds[0] ? '' : `   paired difference with ${opts.builds[0].label}: median ${median(v.map((x, i) => x - base[i])).toFixed(1)}`;
    lines.push(`${b.label.padEnd(12)} median ${median(v).toFixed(1).padStart(6)}   min ${Math.min(...v).toFixed(1).padStart(6)}${paired}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  process.stderr.write(`run-ab: ${err.message}\n`);
  status = 1;
} finally {
  spawnSync('sh', ['-c', `grep -o " ${tmp}/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
  // berth's runtime state for that store (/run/berth/<sha256 of its root>)
  rmSync(path.join('/run/berth', createHash('sha256').update(env.BERTH_ROOT).digest('hex').slice(0, 12)), { recursive: true, force: true });
}
process.exit(status);
