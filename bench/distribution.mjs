// save, load, push and pull of a ~160 MB three-layer image, berth against dockerd 20.10, both
// against the same docker-registry on loopback (issue 12, "Performance").
//   node bench/distribution.mjs [--iterations N] [--mb M]
// The image is generated (no network): layer 1 random bytes (incompressible, like binaries),
// layer 2 text (compressible, like sources and docs), layer 3 a small random top layer. It
// reaches both engines as one Docker archive (`load`). Pushes and pulls run once per engine per
// iteration, each into a fresh registry (and, for pulls, an empty store / after `docker rmi`), so
// nothing is skipped or mounted; the no-op pull is a second pull with everything present.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import {
  berthBin, dockerArchive, cleanups, dockerCli, fmt, log, machine, median, must, nodeFloorEnv, parseArgs, removeTree, runMain, sharedReferenceDocker,
  startRegistry, timeOrThrow, workDir,
} from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/distribution.mjs [--iterations N] [--mb M]',
  defaults: { iterations: 3, mb: 160 },
  options: { '--iterations': { key: 'iterations', int: 1 }, '--mb': { key: 'mb', int: 3 } },
});
const iterations = opts.iterations;
const totalMb = opts.mb;

const work = workDir('/tmp/berth-bench-dist-');
const time = (cmd, args, env) => timeOrThrow(cmd, args, { env });
// unique per run: the shared reference dockerd may hold another run's image
const imageName = `bench/dist-${randomBytes(3).toString('hex')}:1`;

// ---------- the image, as a Docker archive ----------
function makeArchive() {
  const plan = [['random', Math.round(totalMb * 0.5)], ['text', Math.round(totalMb * 0.4)], ['random', Math.max(1, Math.round(totalMb * 0.1))]];
  const dirs = plan.map(([kind, mb], i) => {
    const dir = path.join(work, `layer${i}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < mb; f++) {
      const data = kind === 'random' ? randomBytes(1 << 20) : Buffer.from(Array.from({ length: 1 << 14 }, (_, k) => `line ${f} ${k} lorem ipsum dolor sit amet ${k % 97}\n`).join('').slice(0, 1 << 20));
      writeFileSync(path.join(dir, `f${f}`), data);
    }
    return dir;
  });
  return dockerArchive(work, dirs, imageName, ['/f0']);
}

async function main() {
  log(`generating a ${totalMb} MB three-layer image`);
  const archive = makeArchive();
  const docker = sharedReferenceDocker();
  if (docker.skipped) throw new Error(docker.skipped);
  cleanups.push(() => spawnSync(dockerCli, ['rmi', '-f', imageName], { env: docker.env }));

  const denv = docker.env;
  const root = (name) => path.join(work, `store-${name}`);
  const benv = (name) => ({ ...process.env, BERTH_ROOT: root(name) });
  const results = { load: { berth: [], docker: [] }, save: { berth: [], docker: [] }, push: { berth: [], docker: [] }, pull: { berth: [], docker: [] }, noopPull: { berth: [] }, nodeStart: [] };

  for (let it = 0; it < iterations; it++) {
    log(`iteration ${it + 1}/${iterations}`);
    // A fresh registry (its own storage) per iteration: neither engine can skip or mount what an
    // earlier iteration pushed (dockerd's v2 metadata outlives `docker rmi`).
    const registry = await startRegistry(work, String(it));
    const host = registry.host;
    // load into empty stores
    removeTree(root('main'));
    results.load.berth.push(time(berthBin, ['load', '-q', '-i', archive], benv('main')));
    spawnSync(dockerCli, ['rmi', '-f', imageName], { env: denv });
    results.load.docker.push(time(dockerCli, ['load', '-q', '-i', archive], denv));
    // save
    results.save.berth.push(time(berthBin, ['save', '-o', path.join(work, 'b.tar'), imageName], benv('main')));
    results.save.docker.push(time(dockerCli, ['save', '-o', path.join(work, 'd.tar'), imageName], denv));
    // push, each to a new repository
    const bref = `${host}/berth-${it}:1`;
    const dref = `${host}/docker-${it}:1`;
    must(berthBin, ['tag', imageName, bref], { env: benv('main') });
    must(dockerCli, ['tag', imageName, dref], { env: denv });
    results.push.berth.push(time(berthBin, ['push', bref], benv('main')));
    results.push.docker.push(time(dockerCli, ['push', dref], denv));
    // pull what Docker pushed (gzip layers) into an empty store / after rmi
    removeTree(root('pull'));
    results.pull.berth.push(time(berthBin, ['pull', '-q', dref], benv('pull')));
    spawnSync(dockerCli, ['rmi', '-f', dref, imageName], { env: denv });
    results.pull.docker.push(time(dockerCli, ['pull', '-q', dref], denv));
    results.noopPull.berth.push(time(berthBin, ['pull', '-q', dref], benv('pull')));
    results.nodeStart.push(time(process.execPath, ['-e', '0'], nodeFloorEnv));
    spawnSync(dockerCli, ['rmi', '-f', dref], { env: denv });
    registry.stop();
  }
  const line = (what, b, d) => `| ${what} | ${fmt(median(b), 0)} | ${d ? fmt(median(d), 0) : 'n/a'} | ${d ? fmt(median(b) / median(d), 2) : 'n/a'} |`;
  const report = [
    `machine: ${JSON.stringify(machine())}`,
    `dockerd: ${docker.version}; image: ${totalMb} MB in 3 layers; iterations: ${iterations}; medians in ms`,
    '',
    '| operation | berth | dockerd | berth/dockerd |',
    '|---|---|---|---|',
    line('load (Docker archive, empty store)', results.load.berth, results.load.docker),
    line('save', results.save.berth, results.save.docker),
    line('push (new registry: compress and upload)', results.push.berth, results.push.docker),
    line('pull of the Docker-pushed image (empty store)', results.pull.berth, results.pull.docker),
    line('no-op pull (everything present)', results.noopPull.berth),
    line('node -e 0', results.nodeStart),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  process.stdout.write(`raw: ${JSON.stringify(results)}\n`);
}

await runMain(main, { prefix: '', stack: true });
