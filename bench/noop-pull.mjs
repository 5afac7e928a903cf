// The no-op pull alone (issue 12: "no-op pull ≤ 100 ms over Node start-up"): `berth pull -q REF`
// of an image the store already holds, from a docker-registry on loopback (plain HTTP, as
// bench/distribution.mjs's), interleaved with the `node -e 0` floor berth's own Node gets
// (nodeFloorEnv). No dockerd is needed: a small generated image is loaded, pushed and pulled once.
//   node bench/noop-pull.mjs [--iterations N] [--baseline OTHER/bin/berth]
// --baseline: another checkout's berth (e.g. main's), whose no-op pulls are interleaved with
// this one's from the same store, for a before/after from one run.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { berthBin, cleanups, cleanup, fmt, log, machine, median, must, removeTree, nodeFloorEnv } from './lib.mjs';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '21' }, baseline: { type: 'string' } } });
const iterations = Number(values.iterations);

const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-noop-'));
cleanups.push(() => removeTree(work));
const time = (cmd, args, env) => {
  const t = process.hrtime.bigint();
  must(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
};

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(path.join(work, 'registry.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(work, 'registry')}\nhttp:\n  addr: ${host}\n`);
  const logFd = openSync(path.join(work, 'registry.log'), 'w');
  const child = spawn('/usr/bin/docker-registry', ['serve', path.join(work, 'registry.yml')], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  cleanups.push(() => child.kill('SIGTERM'));
  for (let i = 0; i < 50 && spawnSync('curl', ['-sf', `http://${host}/v2/`]).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));

  // a one-layer image: a Docker archive with a small random file
  const layerDir = path.join(work, 'layer');
  mkdirSync(layerDir);
  writeFileSync(path.join(layerDir, 'f'), randomBytes(64 << 10));
  const archive = path.join(work, 'archive');
  mkdirSync(archive);
  must('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', layerDir, '-cf', path.join(archive, 'l0.tar'), '.']);
  const diffId = `sha256:${must('sha256sum', [path.join(archive, 'l0.tar')]).split(' ')[0]}`;
  const name = `bench/noop-${randomBytes(3).toString('hex')}:1`;
  writeFileSync(path.join(archive, 'config.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/f'] }, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: 'bench' }] }));
  writeFileSync(path.join(archive, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [name], Layers: ['l0.tar'] }]));
  const image = path.join(work, 'image.tar');
  must('tar', ['-C', archive, '-cf', image, 'config.json', 'manifest.json', 'l0.tar']);

  const push = { ...process.env, BERTH_ROOT: path.join(work, 'store-push') };
  const pull = { ...process.env, BERTH_ROOT: path.join(work, 'store-pull') };
  const ref = `${host}/noop:1`;
  must(berthBin, ['load', '-q', '-i', image], { env: push });
  must(berthBin, ['tag', name, ref], { env: push });
  must(berthBin, ['push', ref], { env: push });
  must(berthBin, ['pull', '-q', ref], { env: pull });

  log(`${iterations} no-op pulls of ${ref}, each beside a node -e 0`);
  const results = { noopPull: [], baseline: [], nodeStart: [] };
  for (let i = 0; i < iterations; i++) {
    results.noopPull.push(time(berthBin, ['pull', '-q', ref], pull));
    if (values.baseline) results.baseline.push(time(values.baseline, ['pull', '-q', ref], pull));
    results.nodeStart.push(time(process.execPath, ['-e', '0'], nodeFloorEnv));
    await new Promise((r) => setImmediate(r));
  }
  const p = median(results.noopPull);
  const n = median(results.nodeStart);
  process.stdout.write([
    `machine: ${JSON.stringify(machine())}`,
    `iterations: ${iterations}; medians in ms`,
    `no-op pull: ${fmt(p)}; node -e 0: ${fmt(n)}; over Node: ${fmt(p - n)} (target ≤ 100)`,
    ...(values.baseline ? [`baseline ${values.baseline}: ${fmt(median(results.baseline))}; over Node: ${fmt(median(results.baseline) - n)}`] : []),
    `raw: ${JSON.stringify(results)}`,
  ].join('\n') + '\n');
}

main().then(cleanup, (err) => {
  log(err.stack ?? String(err));
  cleanup();
  process.exit(1);
});
