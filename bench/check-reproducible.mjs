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
import os from 'node:os';
import path from 'node:path';
import {
  berthBin, berthStore, cleanups, failedLines, fmt, interleaved, loadLine, log, machine, machineLine, must, parseArgs, removeTree, repo, requireBuilt, runMain, table, workDir,
} from './lib.mjs';
import { buildBaseImage, debianBuildBase, generateContext } from './build-context.mjs';

const target = 2.2;

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/check-reproducible.mjs [--iterations N] [--workload compile|python-native] [--gen-files N] [--mirror URL] [--json]',
  defaults: { iterations: 3, workload: 'compile', genFiles: 120, mirror: '', json: false },
  options: {
    '--iterations': { key: 'iterations', int: 1 }, '--gen-files': { key: 'genFiles', int: 0 },
    '--workload': {
      key: 'workload', parse: (v, usage) => (['compile', 'python-native'].includes(v) ? v : usage(`unknown workload "${v}"`)),
    },
    '--mirror': { key: 'mirror' }, '--json': { key: 'json', set: true },
  },
});

let storeCount = 0;
/** A fresh store (no SOURCE_DATE_EPOCH from the caller's environment), `seed` giving it the base image. */
function freshStore(tmp, seed) {
  const store = berthStore(path.join(tmp, `store-${++storeCount}`), { unset: ['SOURCE_DATE_EPOCH'] });
  seed(store.env);
  return store;
}

/** The workload: its context, Dockerfile and how a fresh store gets the base image (untimed). */
function prepareWorkload(tmp) {
  if (opts.workload === 'compile') {
    const base = debianBuildBase({ mirror: opts.mirror });
    const ctx = path.join(tmp, 'ctx');
    const description = generateContext(ctx, { repo, baseImage: buildBaseImage, genFiles: opts.genFiles });
    return {
      ctx, network: 'none', description, base: base.cached ? `cached ${base.tar}` : `made ${base.tar} in this run`,
      seed: (env) => must(berthBin, ['import', base.tar, buildBaseImage], { env }),
    };
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

async function main() {
  const loadBefore = os.loadavg();
  requireBuilt();
  const tmp = workDir('/tmp/berth-bench-check-');
  const w = prepareWorkload(tmp);
  const common = ['--network', w.network, '--progress', 'plain'];
  // A fresh store holding only the base image for every timed build (made before it, untimed; removed after it).
  const candidate = (key, name, args, ok) => {
    let store;
    return {
      key, name, ok,
      prepare() { store = freshStore(tmp, w.seed); return [berthBin, args, store.env]; },
      finish() { removeTree(store.root); },
    };
  };
  const candidates = [
    candidate('cold', 'berth build --no-cache --reproducible (fresh store)', ['build', ...common, '--no-cache', '--reproducible', w.ctx], [0]),
    candidate('check', 'berth build --check-reproducible (fresh store)', ['build', ...common, '--check-reproducible', w.ctx], [0, 2]),
  ];
  const verdicts = [];
  const res = await interleaved(candidates, {
    iterations: opts.iterations, progress: opts.json ? undefined : '', output: true, tail: 15, timeout: 1_800_000,
    onRun: (c, r) => { if (c.key === 'check') verdicts.push(r.stdout.split('\n')[0]); },
  });
  const failed = res.failed;
  const rows = Object.fromEntries(Object.entries(res.rows).map(([k, { name, n, median, min, max }]) => [k, { name, n, median, min, max }]));
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
    `${machineLine(m)}; node ${m.node}; ${m.crun}`,
    loadLine(report.load),
    `workload: ${opts.workload}: ${w.description}`,
    `base: ${w.base}`,
    '', `${opts.iterations} interleaved rounds (s):`,
    ...table(rows, { width: 52, columns: ['median', 'min', 'max'], scale: 1000, digits: 2, nWidth: 1 }),
    '', `check verdicts: ${[...new Set(verdicts)].join(' | ') || 'none'}`,
    ...failedLines(failed),
    '', `${report.pass === null ? 'SKIP' : report.pass ? 'PASS' : 'FAIL'}  check / cold build (medians): ${fmt(ratio, 2)}x (target <= ${target}x)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await runMain(main);
