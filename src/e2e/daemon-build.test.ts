/**
 * `POST /build` of `berth daemon` driven by the real docker CLIs' classic builder (docker 28
 * without buildx, docker 20.10 without DOCKER_BUILDKIT): the messages they print (as dockerd
 * 20.10 words them, recorded with tools/reference-dockerd.sh), build args, --target, a
 * .dockerignore, the cache, a failing RUN's exit code, parse errors before the stream, -q,
 * --label, a Dockerfile from stdin, a gzip context; parameters berth cannot honour refused by
 * name; and hostile contexts: nothing outside the context is ever read or written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTar } from '../testing/index.js';
import { apiRequest, presentClients, startDaemon, type Daemon, type DockerClient } from './daemon-harness.js';
import { busyboxImage } from './harness.js';

const pick = (client: DockerClient): DockerClient => (presentClients.includes(client) ? client : presentClients[0]!);
/** docker 20.10 builds with the classic builder unless DOCKER_BUILDKIT=1; docker 28 without buildx too (it warns). */
const classic = { DOCKER_BUILDKIT: '0' };

const dockerfile = [
  `FROM ${busyboxImage} AS base`,
  'ARG GREETING=hello',
  'RUN echo "$GREETING from RUN" && echo "$GREETING" > /greeting',
  'COPY . /ctx/',
  'FROM base AS final',
  'LABEL stage=final',
  'RUN ls /ctx > /ctx-list',
  'FROM base AS unused',
  'RUN echo the unused stage ran; exit 7',
  '',
].join('\n');

describe('berth daemon: build', () => {
  let d: Daemon;
  let work: string;
  let context: string;
  let builtId: string;
  const build = (args: string[], options: { client?: DockerClient; input?: string; cwd?: string } = {}) =>
    d.docker(['build', ...args], { client: options.client ?? pick('v28'), env: classic, timeoutMs: 120_000, ...(options.input !== undefined ? { input: options.input } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
  const run = (image: string, cmd: string[]) => {
    const r = d.store.berth(['run', '--rm', '--network', 'none', image, ...cmd]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    d = await startDaemon({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-daemon-build-'));
    context = join(work, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), dockerfile);
    writeFileSync(join(context, '.dockerignore'), 'secret.txt\n');
    writeFileSync(join(context, 'secret.txt'), 'do not send\n');
    writeFileSync(join(context, 'keep.txt'), 'keep\n');
  });
  after(async () => {
    await d.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('docker build with build args, --target and a .dockerignore: the classic builder\'s lines, and the image\'s files', async () => {
    const r = build(['--build-arg', 'GREETING=hi', '--target', 'final', '-t', 'dmn/built:1', context]);
    assert.equal(r.code, 0, r.stderr);
    const busyboxId = (JSON.parse((await apiRequest(d.socket, 'GET', `/images/${busyboxImage}/json`)).body) as { Id: string }).Id;
    builtId = (JSON.parse((await apiRequest(d.socket, 'GET', '/images/dmn/built:1/json')).body) as { Id: string }).Id;
    const lines = r.stdout.split('\n');
    // the CLI's own first line, then dockerd's messages: the stages the target needs (7 instructions), not the unused one
    assert.match(lines[0] ?? '', /^Sending build context to Docker daemon/);
    assert.deepEqual(lines.filter((l) => l.startsWith('Step ')), [
      `Step 1/7 : FROM ${busyboxImage} AS base`,
      'Step 2/7 : ARG GREETING=hello',
      'Step 3/7 : RUN echo "$GREETING from RUN" && echo "$GREETING" > /greeting',
      'Step 4/7 : COPY . /ctx/',
      'Step 5/7 : FROM base AS final',
      'Step 6/7 : LABEL stage=final',
      'Step 7/7 : RUN ls /ctx > /ctx-list',
    ]);
    const step3 = lines.indexOf('Step 3/7 : RUN echo "$GREETING from RUN" && echo "$GREETING" > /greeting');
    assert.equal(lines[lines.indexOf(`Step 1/7 : FROM ${busyboxImage} AS base`) + 1], ` ---> ${busyboxId.slice(7, 19)}`);
    const running = /^ ---> Running in ([a-f0-9]{12})$/.exec(lines[step3 + 1] ?? '');
    assert.ok(running, lines.slice(step3).join('\n'));
    assert.equal(lines[step3 + 2], 'hi from RUN');
    assert.equal(lines[step3 + 3], `Removing intermediate container ${running[1]}`);
    assert.match(lines[step3 + 4] ?? '', /^ ---> [a-f0-9]{12}$/);
    assert.deepEqual(lines.slice(-4), [` ---> ${builtId.slice(7, 19)}`, `Successfully built ${builtId.slice(7, 19)}`, 'Successfully tagged dmn/built:1', '']);
    assert.doesNotMatch(r.stdout, /unused stage/);
    // what the image holds: the build arg's value, the context without what .dockerignore names
    assert.equal(run('dmn/built:1', ['cat', '/greeting', '/ctx-list']), 'hi\nDockerfile\nkeep.txt\n');
    assert.equal(d.docker(['inspect', '-f', '{{.Config.Labels.stage}}', 'dmn/built:1']).stdout, 'final\n');
  });

  test('docker 20.10 builds it again from the cache: "Using cache", the same image', () => {
    const r = build(['--build-arg', 'GREETING=hi', '--target', 'final', '-t', 'dmn/built:1', context], { client: pick('v20') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^ ---> Using cache$/gm)?.length, 3, r.stdout);
    assert.doesNotMatch(r.stdout, /Running in|hi from RUN/);
    assert.match(r.stdout, new RegExp(`^Successfully built ${builtId.slice(7, 19)}$`, 'm'));
  });

  test('docker 20.10 --cache-from: an image built with BUILDKIT_INLINE_CACHE=1 serves the build once the build cache is gone', () => {
    const dir = join(work, 'inline');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${busyboxImage}\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nRUN echo second > /second\n`);
    const made = build(['--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', 'dmn/inline:1', dir], { client: pick('v20') });
    assert.equal(made.code, 0, made.stderr);
    assert.equal(d.docker(['builder', 'prune', '-af']).code, 0);
    const r = build(['--cache-from', 'dmn/inline:1', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', 'dmn/inline:2', dir], { client: pick('v20') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^ ---> Using cache$/gm)?.length, 2, r.stdout);
    assert.equal(d.docker(['inspect', '-f', '{{.Id}}', 'dmn/inline:2']).stdout, d.docker(['inspect', '-f', '{{.Id}}', 'dmn/inline:1']).stdout);
  });

  for (const client of presentClients) {
    test(`docker ${client}: a failing RUN's exit code is the CLI's; the message is dockerd's; no image is named`, () => {
      const dir = join(work, `fail-${client}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${busyboxImage}\nRUN echo before the failure; exit 3\n`);
      const r = build(['-t', `dmn/failed-${client}:1`, dir], { client });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /^ ---> Running in [a-f0-9]{12}\nbefore the failure\n/m);
      assert.match(r.stderr, /The command '\/bin\/sh -c echo before the failure; exit 3' returned a non-zero code: 3/);
      assert.equal(d.docker(['image', 'inspect', `dmn/failed-${client}:1`]).code, 1);
      // quiet: nothing while it runs; on the failure the output comes out, then the error, with the same exit code
      const quiet = build(['-q', dir], { client });
      assert.equal(quiet.code, 3, quiet.stderr);
      assert.match(quiet.stdout + quiet.stderr, /before the failure/);
      assert.match(quiet.stderr, /returned a non-zero code: 3/);
    });
  }

  test('a Dockerfile parse error and a missing target are 400s before any step; unsupported parameters are refused by name', async () => {
    const dir = join(work, 'parse');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${busyboxImage}\nFOOBAR x\n`);
    const r = build([dir]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /Step /);
    assert.match(r.stderr, /Error response from daemon: dockerfile parse error line 2: unknown instruction/);
    const target = build(['--target', 'nosuch', context]);
    assert.equal(target.code, 1);
    assert.match(target.stderr, /Error response from daemon: Target stage "nosuch" could not be found/);
    const memory = build(['--memory-swap', '1g', context], { client: pick('v20') });
    assert.equal(memory.code, 1);
    assert.match(memory.stderr, /You should always set the Memory limit when using Memoryswap limit/);
    const tar = await makeTar([{ name: 'Dockerfile', body: `FROM ${busyboxImage}\n` }]);
    for (const [query, text] of [
      ['networkmode=container:x', 'networkmode=container:x is not supported'],
      ['version=2', 'version=2 (BuildKit) is not supported'],
      ['cachefrom=%7B%7D', 'invalid value for cachefrom'],
      ['cgroupparent=mine', 'cgroupparent is not supported'],
      ['ulimits=%5B%7B%22Name%22%3A1%7D%5D', 'invalid value for ulimits'],
      ['platform=linux/s390x', 'platform=linux/s390x is not supported'],
    ] as const) {
      const answer = await apiRequest(d.socket, 'POST', `/v1.41/build?${query}`, tar, { 'Content-Type': 'application/x-tar' });
      assert.equal(answer.status, 400, `${query}: ${answer.body}`);
      assert.match((JSON.parse(answer.body) as { message: string }).message, new RegExp(text.replace(/[()[\]]/g, '\\$&')));
    }
    // rm=0 is docker-py's default: the build runs (berth's RUN steps leave no container to keep), without dockerd's removal lines
    const kept = await apiRequest(d.socket, 'POST', '/v1.41/build?rm=False', await makeTar([{ name: 'Dockerfile', body: `FROM ${busyboxImage}\nRUN echo kept\n` }]), { 'Content-Type': 'application/x-tar' });
    assert.equal(kept.status, 200, kept.body);
    assert.match(kept.body, /Running in [0-9a-f]{12}[^]*Successfully built [0-9a-f]{12}/);
    assert.doesNotMatch(kept.body, /Removing intermediate container/);
  });

  test('-q prints the id alone; --label goes on the image; a Dockerfile on stdin (the CLI\'s .dockerfile.<random>); a gzip context', async () => {
    const quiet = build(['-q', '--label', 'made-by=test', '--target', 'final', context]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.match(quiet.stdout, /^sha256:[a-f0-9]{64}\n$/);
    assert.equal(d.docker(['inspect', '-f', '{{index .Config.Labels "made-by"}} {{.Config.Labels.stage}}', quiet.stdout.trim()]).stdout, 'test final\n');
    // -f -: the docker CLI adds the Dockerfile to the context as .dockerfile.<random>, in a tar it leaves without its end
    const stdin = build(['-t', 'dmn/stdin:1', '-f', '-', context], { input: `FROM ${busyboxImage}\nCOPY keep.txt /\nRUN cat /keep.txt\n` });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.match(stdin.stdout, /^Step 3\/3 : RUN cat \/keep.txt\n ---> Running in [a-f0-9]{12}\nkeep\n/m);
    assert.equal(run('dmn/stdin:1', ['ls', '/']).split('\n').includes('keep.txt'), true);
    // --add-host: the CLI's repeated `extrahosts` parameters, lines of the RUN steps' /etc/hosts.
    const hosts = build(['--add-host', 'mirror.internal:10.9.8.7', '--add-host', 'other.internal:10.9.8.6', '-f', '-', context], { input: `FROM ${busyboxImage}\nRUN tail -n 2 /etc/hosts\n` });
    assert.equal(hosts.code, 0, hosts.stderr);
    assert.match(hosts.stdout, /^10\.9\.8\.7\tmirror\.internal\n10\.9\.8\.6\tother\.internal\n/m);
    // RUN steps' limits: the CLI's memory, memswap, cpuquota, cpuperiod, cpushares, shmsize and ulimits parameters.
    const limits = build(['--no-cache', '-m', '64m', '--cpu-quota', '50000', '--cpu-period', '100000', '--shm-size', '1m', '--ulimit', 'nofile=100:200', '-f', '-', context],
      { input: `FROM ${busyboxImage}\nRUN echo "mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null) nofile=$(ulimit -n) shm=$(df -k /dev/shm | tail -1 | tr -s ' ' | cut -d' ' -f2)"\n` });
    assert.equal(limits.code, 0, limits.stderr);
    assert.match(limits.stdout, /^mem=67108864 nofile=100 shm=1024$/m);
    const parent = build(['--cgroup-parent', 'mine', context]);
    assert.notEqual(parent.code, 0);
    assert.match(parent.stderr, /cgroupparent is not supported by berth's builder: RUN steps live in berth's own cgroup scopes/);
    const gzip = build(['--compress', '-t', 'dmn/gzip:1', '--target', 'final', context], { client: pick('v20') });
    assert.equal(gzip.code, 0, gzip.stderr);
    assert.match(gzip.stdout, /^Successfully tagged dmn\/gzip:1$/m);
  });

  test('hostile contexts: the Dockerfile and .dockerignore are read inside the context only; entries outside it are refused; build-tmp is left empty', async () => {
    const post = (body: Buffer, query = '') => apiRequest(d.socket, 'POST', `/v1.41/build${query}`, body, { 'Content-Type': 'application/x-tar' });
    // a Dockerfile that is a symlink to a host file: resolved inside the context, where there is none
    const symlinked = await post(await makeTar([{ name: 'Dockerfile', type: 'symlink', linkname: '/etc/hostname' }]));
    assert.equal(symlinked.status, 404, symlinked.body);
    assert.deepEqual(JSON.parse(symlinked.body), { message: 'Cannot locate specified Dockerfile: Dockerfile' });
    const climbing = await post(await makeTar([{ name: 'Dockerfile', body: `FROM ${busyboxImage}\n` }]), '?dockerfile=../../../../../etc/hostname');
    assert.equal(climbing.status, 404, climbing.body);
    assert.match(climbing.body, /Cannot locate specified Dockerfile/);
    // an ignore file that is a symlink to an endless device must not hang the build (nor be read)
    const endless = await post(await makeTar([
      { name: 'Dockerfile', body: `FROM ${busyboxImage}\nCOPY . /ctx/\n` },
      { name: '.dockerignore', type: 'symlink', linkname: '/dev/zero' },
    ]), '?t=dmn/hostile-ignore:1');
    assert.equal(endless.status, 200, endless.body);
    assert.match(endless.body, /Successfully tagged dmn\/hostile-ignore:1/);
    // an entry that climbs out of the context
    const escape = join(d.store.root, 'build-tmp', 'escaped');
    const breakout = await post(await makeTar([
      { name: 'Dockerfile', body: `FROM ${busyboxImage}\n` },
      { name: '../escaped', body: 'x' },
    ]));
    assert.ok(breakout.status >= 400, breakout.body);
    assert.equal(existsSync(escape), false);
    assert.equal(existsSync(join(d.store.root, 'escaped')), false);
    assert.deepEqual(readdirSync(join(d.store.root, 'build-tmp')), []);
  });
});
