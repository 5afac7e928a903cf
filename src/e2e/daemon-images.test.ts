/**
 * `berth daemon`'s image endpoints driven by the real docker CLIs (28 and 20.10): images, inspect,
 * history, tag, rmi, import, save/load (also into the reference dockerd when it runs), pull and
 * push against Debian's docker-registry (anonymous, and with htpasswd credentials sent as
 * X-Registry-Auth / X-Registry-Config), login (/auth), image prune, search, /distribution.
 * Outputs and messages were compared with dockerd 20.10 (tools/reference-dockerd.sh).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTar } from '../testing/index.js';
import { apiRequest, dockerClients, presentClients, startDaemon, type Daemon, type DockerClient } from './daemon-harness.js';
import { startRegistry } from './docker-registry.js';
import { busyboxImage, repoRoot } from './harness.js';

const both = presentClients;
/** The client asked for, or the one this machine has. */
const pick = (client: DockerClient): DockerClient => (presentClients.includes(client) ? client : presentClients[0]!);

describe('berth daemon: images', () => {
  let d: Daemon;
  let work: string;
  let busyboxId: string;
  const children: ChildProcess[] = [];
  const ok = (args: string[], options: Parameters<Daemon['docker']>[1] = {}) => {
    const r = d.docker(args, options);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const idOf = async (ref: string) => (JSON.parse((await apiRequest(d.socket, 'GET', `/v1.41/images/${ref}/json`)).body) as { Id: string }).Id;

  before(async () => {
    d = await startDaemon({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-daemon-images-'));
    busyboxId = await idOf(busyboxImage);
    assert.match(busyboxId, /^sha256:[a-f0-9]{64}$/);
  });
  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await d.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  for (const client of both) {
    test(`docker ${client} images: the table, --format, -q, and the reference filter`, () => {
      const table = ok(['images'], { client }).split('\n');
      assert.match(table[0] ?? '', /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
      assert.match(table[1] ?? '', new RegExp(`^berth-test/busybox\\s+1\\s+${busyboxId.slice(7, 19)}\\s+.+ ago\\s+\\d+(\\.\\d+)?MB$`));
      assert.equal(ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--filter', 'reference=berth-test/*'], { client }), `${busyboxImage} ${busyboxId.slice(7, 19)}\n`);
      assert.equal(ok(['images', '--filter', 'reference=nosuch/*', '-q'], { client }), '');
      assert.equal(ok(['images', '-q', '--no-trunc', busyboxImage], { client }), `${busyboxId}\n`);
      const bad = d.docker(['images', '--filter', 'color=red'], { client });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Invalid filter 'color'/);
    });

    test(`docker ${client} inspect -f on an image, by name and by a short id; history`, () => {
      assert.equal(ok(['inspect', '-f', '{{.Id}} {{index .RepoTags 0}} {{.Config.Cmd}} {{.Os}} {{len .RootFS.Layers}}', busyboxImage], { client }), `${busyboxId} ${busyboxImage} [sh] linux 1\n`);
      assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', busyboxId.slice(7, 19)], { client }), `${busyboxId}\n`);
      const missing = d.docker(['image', 'inspect', 'nosuch'], { client });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such image: nosuch/);
      const history = ok(['history', busyboxImage], { client }).split('\n');
      assert.match(history[0] ?? '', /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
      // dockerd's history of an imported image: no CREATED BY, the comment "Imported from -" (test/fixtures/cli/history.json).
      assert.match(history[1] ?? '', new RegExp(`^${busyboxId.slice(7, 19)}\\s+.+ ago\\s+\\d.*MB\\s+Imported from -$`));
      assert.equal(ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}', busyboxImage], { client }), `${busyboxId}||Imported from -\n`);
    });
  }

  test('the raw API: a 12-hex id resolves (docker-py looks images up so), a missing one is dockerd\'s 404', async () => {
    const found = await apiRequest(d.socket, 'GET', `/v1.41/images/${busyboxId.slice(7, 19)}/json`);
    assert.equal(found.status, 200);
    const body = JSON.parse(found.body) as Record<string, unknown>;
    assert.equal(body.Id, busyboxId);
    // dockerd's fields, in its order (berth's own ManifestDigest last)
    assert.deepEqual(Object.keys(body).slice(0, 8), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig']);
    const list = JSON.parse((await apiRequest(d.socket, 'GET', '/v1.41/images/json')).body) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(list[0] ?? {}), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size', 'VirtualSize']);
    assert.equal(typeof list[0]?.Created, 'number');
    const missing = await apiRequest(d.socket, 'GET', '/v1.41/images/nosuch/json');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'No such image: nosuch:latest' });
    const history = JSON.parse((await apiRequest(d.socket, 'GET', `/v1.41/images/${busyboxImage}/history`)).body) as Record<string, unknown>[];
    assert.deepEqual(history.map((h) => [h.Id, h.Tags, h.CreatedBy]), [[busyboxId, [busyboxImage], '']]);
  });

  test('tag, import and rmi: dockerd\'s lines, its conflicts (a container uses it; an id in several repositories) and its 404', async () => {
    // docker import through /images/create?fromSrc=-
    const tarFile = join(work, 'rootfs.tar');
    writeFileSync(tarFile, await makeTar([{ name: 'hello.txt', body: 'hello\n' }]));
    const imported = ok(['import', '-m', 'from a test', tarFile, 'imp/a:1'], { client: pick('v28') }).trim();
    assert.match(imported, /^sha256:[a-f0-9]{64}$/);
    assert.equal(ok(['inspect', '-f', '{{.Comment}}', 'imp/a:1']), 'from a test\n');
    ok(['tag', 'imp/a:1', 'imp/b:1'], { client: pick('v20') });
    assert.equal(ok(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=imp/*']).split('\n').filter(Boolean).sort().join(' '), 'imp/a:1 imp/b:1');
    const short = imported.slice(7, 19);
    const byId = d.docker(['rmi', short]);
    assert.equal(byId.code, 1);
    assert.match(byId.stderr, new RegExp(`conflict: unable to delete ${short} \\(must be forced\\) - image is referenced in multiple repositories`));
    // one of two names: only untagged
    assert.equal(ok(['rmi', 'imp/b:1'], { client: pick('v20') }), 'Untagged: imp/b:1\n');
    // the last name, while a container (made by the berth CLI on the same store) uses it
    const created = d.store.berth(['create', '--name', 'imp-user', 'imp/a:1', '/hello.txt']);
    assert.equal(created.code, 0, created.stderr);
    const containerId = created.stdout.trim();
    const inUse = d.docker(['rmi', 'imp/a:1']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, new RegExp(`conflict: unable to remove repository reference "imp/a:1" \\(must force\\) - container ${containerId.slice(0, 12)} is using its referenced image ${short}`));
    assert.equal(d.store.berth(['rm', 'imp-user']).code, 0);
    assert.equal(ok(['rmi', 'imp/a:1']), `Untagged: imp/a:1\nDeleted: ${imported}\n`);
    const gone = d.docker(['rmi', 'imp/a:1']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error response from daemon: No such image: imp\/a:1/);
    const tagMissing = d.docker(['tag', 'nosuch', 'x:1'], { client: pick('v20') });
    assert.equal(tagMissing.code, 1);
    assert.match(tagMissing.stderr, /No such image: nosuch:latest/);
  });

  test('save | load round trip through the daemon, across clients; the archive loads into the reference dockerd too', async () => {
    ok(['tag', busyboxImage, 'berth-dmnimg/saved:1']);
    const file = join(work, 'saved.tar');
    ok(['save', '-o', file, 'berth-dmnimg/saved:1'], { client: pick('v28') });
    const listing = spawnSync('tar', ['tf', file]).stdout.toString().split('\n');
    assert.ok(listing.includes('manifest.json') && listing.includes('index.json'), listing.join(' '));
    const manifest = JSON.parse(spawnSync('tar', ['xOf', file, 'manifest.json']).stdout.toString()) as { RepoTags: string[] }[];
    assert.deepEqual(manifest.map((m) => m.RepoTags), [['berth-dmnimg/saved:1']]);
    assert.equal(ok(['rmi', 'berth-dmnimg/saved:1']), 'Untagged: berth-dmnimg/saved:1\n');
    // `docker save | docker load`, piped: the 20.10 client saves, the 28 one loads
    const piped = d.docker(['save', 'berth-dmnimg/saved:1'], { client: pick('v20') });
    assert.equal(piped.code, 1);
    assert.match(piped.stderr, /No such image: berth-dmnimg\/saved:1/);
    assert.equal(ok(['load', '-i', file], { client: pick('v20') }), 'Loaded image: berth-dmnimg/saved:1\n');
    const again = spawnSync(dockerClients[pick('v20')], ['save', 'berth-dmnimg/saved:1'], { env: { ...process.env, ...d.env }, maxBuffer: 64 << 20 });
    assert.equal(again.status, 0, again.stderr.toString());
    assert.equal(ok(['load'], { client: pick('v28'), input: again.stdout }), 'Loaded image: berth-dmnimg/saved:1\n');
    assert.equal(await idOf('berth-dmnimg/saved:1'), busyboxId);

    // The reference dockerd (shared; started by whoever needs it, never stopped here) takes berth's archive.
    const reference = spawnSync(join(repoRoot, 'tools', 'reference-dockerd.sh'), ['env']);
    const host = /DOCKER_HOST=([^\s;]+)/.exec(reference.stdout.toString())?.[1]?.replace(/^["']|["']$/g, '');
    if (spawnSync(join(repoRoot, 'tools', 'reference-dockerd.sh'), ['status']).status !== 0 || host === undefined) {
      console.log('# the reference dockerd is not running: the cross-daemon load is not checked');
      return;
    }
    const ref = (args: string[]) => spawnSync('/usr/bin/docker', args, { env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(work, 'ref-config') } });
    const loaded = ref(['load', '-i', file]);
    try {
      assert.equal(loaded.status, 0, loaded.stderr.toString());
      assert.equal(loaded.stdout.toString(), 'Loaded image: berth-dmnimg/saved:1\n');
      const ran = ref(['run', '--rm', '--network', 'none', 'berth-dmnimg/saved:1', 'echo', 'ran in dockerd']);
      assert.equal(ran.stdout.toString(), 'ran in dockerd\n', ran.stderr.toString());
    } finally {
      ref(['rmi', 'berth-dmnimg/saved:1']);
    }
  });

  describe('with docker-registry', () => {
    let host: string;
    let privateHost: string;
    let pushedDigest: string;
    before(async () => {
      const anon = await startRegistry(join(work, 'anon'));
      children.push(anon.child);
      host = anon.host;
      const hashed = spawnSync('htpasswd', ['-Bbn', 'alice', 's3cret']);
      assert.equal(hashed.status, 0, 'htpasswd (apache2-utils) makes the bcrypt entry');
      writeFileSync(join(work, 'htpasswd'), hashed.stdout);
      const auth = await startRegistry(join(work, 'auth'), join(work, 'htpasswd'));
      children.push(auth.child);
      privateHost = auth.host;
    });

    test('docker push: dockerd\'s progress lines, the digest, then "Layer already exists"', () => {
      ok(['tag', busyboxImage, `${host}/dmn/busybox:1`]);
      const pushed = ok(['push', `${host}/dmn/busybox:1`], { client: pick('v28') });
      assert.match(pushed, new RegExp(`^The push refers to repository \\[${host.replace(/\./g, '\\.')}/dmn/busybox\\]\n`));
      assert.match(pushed, /^[a-f0-9]{12}: Pushed$/m);
      const digest = /^1: digest: (sha256:[a-f0-9]{64}) size: \d+$/m.exec(pushed)?.[1];
      assert.ok(digest, pushed);
      pushedDigest = digest;
      const again = ok(['push', `${host}/dmn/busybox:1`], { client: pick('v20') });
      assert.match(again, /^[a-f0-9]{12}: Layer already exists$/m);
      assert.match(again, new RegExp(`^1: digest: ${pushedDigest} size: \\d+$`, 'm'));
      const missing = d.docker(['push', `${host}/dmn/none:1`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`An image does not exist locally with the tag: ${host.replace(/\./g, '\\.')}/dmn/none`));
    });

    test('docker pull: from the registry after rmi (v20, the familiar name; v28, the full one), up to date the second time', async () => {
      ok(['rmi', `${host}/dmn/busybox:1`]);
      assert.equal(d.docker(['image', 'inspect', `${host}/dmn/busybox:1`]).code, 1);
      // the layer is still in the store under busybox's name: pull it into a fresh name of its own repository
      const pulled = ok(['pull', `${host}/dmn/busybox:1`], { client: pick('v20') });
      assert.match(pulled, /^1: Pulling from dmn\/busybox$/m);
      assert.match(pulled, new RegExp(`^Digest: ${pushedDigest}$`, 'm'));
      assert.match(pulled, new RegExp(`^Status: Downloaded newer image for ${host.replace(/\./g, '\\.')}/dmn/busybox:1$`, 'm'));
      const second = ok(['pull', `${host}/dmn/busybox:1`], { client: pick('v28') });
      assert.match(second, new RegExp(`^Status: Image is up to date for ${host.replace(/\./g, '\\.')}/dmn/busybox:1\n${host.replace(/\./g, '\\.')}/dmn/busybox:1\n$`, 'm'));
      assert.equal(await idOf(`${host}/dmn/busybox:1`), busyboxId);
      assert.equal(ok(['images', '--digests', '--format', '{{.Digest}}', `${host}/dmn/busybox`]), `${pushedDigest}\n`);
      const missing = d.docker(['pull', `${host}/dmn/nosuch:1`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Error response from daemon: .*(not found|manifest unknown)/);
      const distribution = await apiRequest(d.socket, 'GET', `/v1.41/distribution/${host}/dmn/busybox:1/json`);
      assert.equal(distribution.status, 200, distribution.body);
      const info = JSON.parse(distribution.body) as { Descriptor: { digest: string }; Platforms: { os: string }[] };
      assert.equal(info.Descriptor.digest, pushedDigest);
      assert.deepEqual(info.Platforms.map((p) => p.os), ['linux']);
    });

    test('docker login checks credentials with the registry (/auth); pushes, pulls and FROM pulls of a build use what the client sends', () => {
      const loggedIn = join(work, 'alice-config');
      const anonymous = join(work, 'anon-config');
      mkdirSync(anonymous, { recursive: true });
      for (const client of both) {
        const wrong = d.docker(['login', '-u', 'alice', '--password-stdin', privateHost], { client, input: 'nope\n', env: { DOCKER_CONFIG: join(work, `wrong-${client}`) } });
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, new RegExp(`login attempt to http://${privateHost.replace(/\./g, '\\.')}/v2/ failed with status: 401 Unauthorized`));
        const right = d.docker(['login', '-u', 'alice', '--password-stdin', privateHost], { client, input: 's3cret\n', env: { DOCKER_CONFIG: loggedIn } });
        assert.equal(right.code, 0, right.stderr);
        assert.match(right.stdout, /Login Succeeded/);
      }
      const name = `${privateHost}/private/base:1`;
      ok(['tag', busyboxImage, name]);
      const refused = d.docker(['push', name], { env: { DOCKER_CONFIG: anonymous } });
      assert.equal(refused.code, 1);
      ok(['push', name], { env: { DOCKER_CONFIG: loggedIn } });
      ok(['rmi', name]);
      const denied = d.docker(['pull', name], { client: pick('v20'), env: { DOCKER_CONFIG: anonymous } });
      assert.equal(denied.code, 1);
      ok(['pull', name], { client: pick('v20'), env: { DOCKER_CONFIG: loggedIn } });
      ok(['rmi', name]);
      // a build's FROM pull takes its credentials from X-Registry-Config (the CLI sends its logins)
      const context = join(work, 'private-build');
      mkdirSync(context, { recursive: true });
      writeFileSync(join(context, 'Dockerfile'), `FROM ${name}\nRUN echo built on the private base\n`);
      const noCredentials = d.docker(['build', '-t', 'dmn/private-child:1', context], { env: { DOCKER_CONFIG: anonymous, DOCKER_BUILDKIT: '0' } });
      assert.equal(noCredentials.code, 1, noCredentials.stdout);
      const built = d.docker(['build', '-t', 'dmn/private-child:1', context], { env: { DOCKER_CONFIG: loggedIn, DOCKER_BUILDKIT: '0' } });
      assert.equal(built.code, 0, built.stderr);
      assert.match(built.stdout, /^built on the private base$/m);
      assert.match(built.stdout, /^Successfully tagged dmn\/private-child:1$/m);
    });
  });

  test('image prune removes dangling images and says what it reclaimed; -a with a label filter', async () => {
    const context = join(work, 'prune');
    mkdirSync(context, { recursive: true });
    const build = (text: string, args: string[] = []) => {
      writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nLABEL purpose=prune\nRUN echo ${text} > /f\n`);
      const r = d.docker(['build', '-q', ...args, '-t', 'dmn/prune:1', context], { env: { DOCKER_BUILDKIT: '0' } });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const first = build('one');
    const second = build('two');
    assert.notEqual(first, second);
    // the first lost its name: dangling
    assert.match(ok(['images', '--filter', 'dangling=true', '-q', '--no-trunc']), new RegExp(first));
    const pruned = ok(['image', 'prune', '-f']);
    assert.match(pruned, new RegExp(`^Deleted Images:\ndeleted: ${first}\n\nTotal reclaimed space: \\d+(\\.\\d+)?[kM]?B\n$`));
    assert.doesNotMatch(pruned, /Total reclaimed space: 0B/);
    assert.equal(d.docker(['image', 'inspect', first]).code, 1);
    // -a: unused images with the label go; busybox (no such label) stays
    const all = ok(['image', 'prune', '-a', '-f', '--filter', 'label=purpose=prune'], { client: pick('v20') });
    assert.match(all, new RegExp(`untagged: dmn/prune:1\ndeleted: ${second}\n`));
    assert.equal(await idOf(busyboxImage), busyboxId);
  });

  test('search is refused with a reason; an unknown filter is a 400; a pull that fails before its stream, a push without credentials', async () => {
    const search = d.docker(['search', 'busybox']);
    assert.equal(search.code, 1);
    assert.match(search.stderr, /Error response from daemon: Searching a registry is not supported by berth/);
    const bad = await apiRequest(d.socket, 'POST', '/v1.41/images/prune?filters=%7B%22color%22%3A%7B%22red%22%3Atrue%7D%7D');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body), { message: "Invalid filter 'color'" });
    // a pull that fails before anything was pulled is an HTTP error (not a 200 stream), as dockerd's
    const unreachable = await apiRequest(d.socket, 'POST', '/v1.41/images/create?fromImage=127.0.0.1%3A1%2Fx&tag=1', '', { 'X-Registry-Auth': 'e30=' });
    assert.ok(unreachable.status >= 500, `${unreachable.status} ${unreachable.body}`);
    assert.match((JSON.parse(unreachable.body) as { message: string }).message, /127\.0\.0\.1:1/);
    // dockerd's words for a push without X-Registry-Auth
    const noAuth = await apiRequest(d.socket, 'POST', `/v1.41/images/${busyboxImage.replace(':1', '')}/push?tag=1`);
    assert.equal(noAuth.status, 400);
    assert.deepEqual(JSON.parse(noAuth.body), { message: 'Bad parameters and missing X-Registry-Auth: EOF' });
  });
});
