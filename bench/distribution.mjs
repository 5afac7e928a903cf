// save, load, push and pull of a ~160 MB three-layer image, berth against dockerd 20.10, both
// against the same docker-registry on loopback (issue 12, "Performance").
//   node bench/distribution.mjs [--iterations N] [--mb M]
// The image is generated (no network): layer 1 random bytes (incompressible, like binaries),
// layer 2 text (compressible, like sources and docs), layer 3 a small random top layer. It
// reaches both engines as one Docker archive (`load`). Pushes and pulls run once per engine per
// iteration, each into a fresh registry (and, for pulls, an empty store / after `docker rmi`), so
// nothing is skipped or mounted; the no-op pull is a second pull with everything present.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { berthBin, cleanups, cleanup, dockerCli, fmt, log, machine, median, must, refDockerd, removeTree, nodeFloorEnv } from './lib.mjs';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '3' }, mb: { type: 'string', default: '160' } } });
const iterations = Number(values.iterations);
const totalMb = Number(values.mb);

const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dist-'));
cleanups.push(() => removeTree(work));
const time = (cmd, args, env) => {
  const t = process.hrtime.bigint();
  must(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const sha = (buf) => createHash('sha256').update(buf).digest('hex');
// unique per run: the shared reference dockerd may hold another run's image
const imageName = `bench/dist-${randomBytes(3).toString('hex')}:1`;

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------- the image, as a Docker archive ----------
function makeArchive() {
  const layers = [];
  const plan = [['random', Math.round(totalMb * 0.5)], ['text', Math.round(totalMb * 0.4)], ['random', Math.max(1, Math.round(totalMb * 0.1))]];
  for (const [i, [kind, mb]] of plan.entries()) {
    const dir = path.join(work, `layer${i}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < mb; f++) {
      const data = kind === 'random' ? randomBytes(1 << 20) : Buffer.from(Array.from({ length: 1 << 14 }, (_, k) => `line ${f} ${k} lorem ipsum dolor sit amet ${k % 97}\n`).join('').slice(0, 1 << 20));
      writeFileSync(path.join(dir, `f${f}`), data);
    }
    const tarFile = path.join(work, `layer${i}.tar`);
    must('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-cf', tarFile, '.']);
    removeTree(dir);
    layers.push(tarFile);
  }
  const archive = path.join(work, 'archive');
  mkdirSync(archive);
  const diffIds = [];
  const names = [];
  for (const [i, file] of layers.entries()) {
    const data = readFileSync(file);
    diffIds.push(`sha256:${sha(data)}`);
    names.push(`l${i}.tar`);
    writeFileSync(path.join(archive, `l${i}.tar`), data);
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/f0'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created_by: 'bench' })) }));
  writeFileSync(path.join(archive, 'config.json'), config);
  writeFileSync(path.join(archive, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [imageName], Layers: names }]));
  const out = path.join(work, 'image.tar');
  must('tar', ['-C', archive, '-cf', out, 'config.json', 'manifest.json', ...names]);
  removeTree(archive);
  return out;
}

/**
 * The shared reference dockerd (tools/reference-dockerd.sh, its default socket and data root):
 * started when it is not running, never stopped here (other engineers' tests use it; a second
 * dockerd beside it would interfere). The bench's images are removed at the end.
 */
function sharedReferenceDocker() {
  if (!existsSync(dockerCli) || !existsSync('/usr/sbin/dockerd')) throw new Error(`${dockerCli} or /usr/sbin/dockerd not installed (apt-get install docker.io)`);
  log('using the shared reference dockerd (tools/reference-dockerd.sh start: idempotent; not stopped)');
  must(refDockerd, ['start']);
  const host = /DOCKER_HOST=(\S+)/.exec(must(refDockerd, ['env']))?.[1]?.replace(/^["']|["']$/g, '');
  if (!host) throw new Error('tools/reference-dockerd.sh env named no DOCKER_HOST');
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '1' };
  const version = must(dockerCli, ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], { env }).trim();
  cleanups.push(() => spawnSync(dockerCli, ['rmi', '-f', imageName], { env }));
  return { env, version };
}

async function main() {
  log(`generating a ${totalMb} MB three-layer image`);
  const archive = makeArchive();
  const docker = sharedReferenceDocker();
  // A fresh registry (its own storage) per iteration: neither engine can skip or mount what an
  // earlier iteration pushed (dockerd's v2 metadata outlives `docker rmi`).
  const startRegistry = async (n) => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    writeFileSync(path.join(work, `registry-${n}.yml`), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(work, `registry-${n}`)}\nhttp:\n  addr: ${host}\n`);
    const logFd = openSync(path.join(work, `registry-${n}.log`), 'w');
    const child = spawn('/usr/bin/docker-registry', ['serve', path.join(work, `registry-${n}.yml`)], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    cleanups.push(() => child.kill('SIGTERM'));
    for (let i = 0; i < 50 && spawnSync('curl', ['-sf', `http://${host}/v2/`]).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    return { host, stop: () => child.kill('SIGTERM') };
  };

  const denv = docker.env;
  const root = (name) => path.join(work, `store-${name}`);
  const benv = (name) => ({ ...process.env, BERTH_ROOT: root(name) });
  const results = { load: { berth: [], docker: [] }, save: { berth: [], docker: [] }, push: { berth: [], docker: [] }, pull: { berth: [], docker: [] }, noopPull: { berth: [] }, nodeStart: [] };

  for (let it = 0; it < iterations; it++) {
    log(`iteration ${it + 1}/${iterations}`);
    const registry = await startRegistry(it);
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

main().then(cleanup, (err) => {
  log(err.stack ?? String(err));
  cleanup();
  process.exit(1);
});
