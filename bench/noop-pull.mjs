// The no-op pull alone (issue 12: "no-op pull ≤ 100 ms over Node start-up"): `berth pull -q REF`
// of an image the store already holds, from a docker-registry on loopback (plain HTTP, as
// bench/distribution.mjs's), interleaved with the `node -e 0` floor berth's own Node gets
// (nodeFloorEnv). No dockerd is needed: a small generated image is loaded, pushed and pulled once.
//   node bench/noop-pull.mjs [--iterations N] [--baseline OTHER/bin/berth]
// --baseline: another checkout's berth (e.g. main's), whose no-op pulls are interleaved with
// this one's from the same store, for a before/after from one run.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import { berthBin, dockerArchive, fmt, log, machine, median, must, nodeFloorEnv, parseArgs, runMain, startRegistry, timeOrThrow, workDir } from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/noop-pull.mjs [--iterations N] [--baseline OTHER/bin/berth]',
  defaults: { iterations: 21, baseline: undefined },
  options: { '--iterations': { key: 'iterations', int: 1 }, '--baseline': { key: 'baseline', needs: 'a berth command' } },
});

const work = workDir('/tmp/berth-bench-noop-');
const time = (cmd, args, env) => timeOrThrow(cmd, args, { env });

async function main() {
  const { host } = await startRegistry(work);

  // a one-layer image: a Docker archive with a small random file
  const layerDir = path.join(work, 'layer');
  mkdirSync(layerDir);
  writeFileSync(path.join(layerDir, 'f'), randomBytes(64 << 10));
  const name = `bench/noop-${randomBytes(3).toString('hex')}:1`;
  const image = dockerArchive(work, [layerDir], name, ['/f']);

  const push = { ...process.env, BERTH_ROOT: path.join(work, 'store-push') };
  const pull = { ...process.env, BERTH_ROOT: path.join(work, 'store-pull') };
  const ref = `${host}/noop:1`;
  must(berthBin, ['load', '-q', '-i', image], { env: push });
  must(berthBin, ['tag', name, ref], { env: push });
  must(berthBin, ['push', ref], { env: push });
  must(berthBin, ['pull', '-q', ref], { env: pull });

  log(`${opts.iterations} no-op pulls of ${ref}, each beside a node -e 0`);
  const results = { noopPull: [], baseline: [], nodeStart: [] };
  for (let i = 0; i < opts.iterations; i++) {
    results.noopPull.push(time(berthBin, ['pull', '-q', ref], pull));
    if (opts.baseline) results.baseline.push(time(opts.baseline, ['pull', '-q', ref], pull));
    results.nodeStart.push(time(process.execPath, ['-e', '0'], nodeFloorEnv));
    await yieldToEventLoop();
  }
  const p = median(results.noopPull);
  const n = median(results.nodeStart);
  process.stdout.write([
    `machine: ${JSON.stringify(machine())}`,
    `iterations: ${opts.iterations}; medians in ms`,
    `no-op pull: ${fmt(p)}; node -e 0: ${fmt(n)}; over Node: ${fmt(p - n)} (target ≤ 100)`,
    ...(opts.baseline ? [`baseline ${opts.baseline}: ${fmt(median(results.baseline))}; over Node: ${fmt(median(results.baseline) - n)}`] : []),
    `raw: ${JSON.stringify(results)}`,
  ].join('\n') + '\n');
}

await runMain(main, { prefix: '', stack: true });
