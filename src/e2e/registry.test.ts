/**
 * pull and push against real registries on loopback: Debian's docker-registry (the CNCF
 * Distribution registry 2.8) started by the test, anonymous and with htpasswd basic auth; and a
 * small fake registry in this process with a bearer token service, for what a real registry
 * never serves (blobs that do not match their digest, connections closed mid-blob, huge manifests).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';

import tar from 'tar-stream';

import type { Result, Store } from './harness.js';
import { berthBin, busyboxImage, createStore, repoRoot } from './harness.js';
import { startRegistry } from './docker-registry.js';
import { onTerminal } from './pty.js';
import { lgetxattr } from '../sys/index.js';
import type { TestEntry } from '../testing/index.js';
import { makeTar } from '../testing/index.js';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.toString()}`);
}

/** A JWT for docker-registry's token auth: RS256, the signing certificate in x5c (it is the trusted bundle). */
function registryToken(key: string, certPem: string, access: { type: string; name: string; actions: string[] }[]): string {
  const b64 = (v: Buffer | string) => Buffer.from(v).toString('base64url');
  const der = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const now = Math.floor(Date.now() / 1000);
  const header = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der] }));
  const claims = b64(JSON.stringify({ iss: 'berth-test-issuer', sub: 'alice', aud: 'berth-test', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), key);
  return `${header}.${claims}.${b64(signature)}`;
}

/** berth without blocking this process (the fake registry answers from it). */
function berthAsync(store: Store, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(berthBin, args, { env: { ...process.env, BERTH_ROOT: store.root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('close', (code) => resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** The digest `push` printed (`TAG: digest: sha256:... size: N`). */
function pushedDigest(stdout: string): string {
  const digest = /: digest: (sha256:[a-f0-9]{64}) size: \d+$/m.exec(stdout)?.[1];
  assert.ok(digest, stdout);
  return digest;
}

function manifestDigestOf(store: Store, fullName: string): string {
  const record = JSON.parse(readFileSync(join(store.root, 'metadata', 'images', `${sha(fullName)}.json`), 'utf8')) as { target: { digest: string } };
  return record.target.digest;
}

async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, content] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) => pack.entry({ name, mode: 0o755, mtime: new Date(0) }, content, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('berth pull and push', () => {
  let store: Store;
  let work: string;
  const children: ChildProcess[] = [];
  before(() => {
    store = createStore({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-registry-'));
    assert.equal(store.berth(['run', '--name', 'maker', busyboxImage, 'sh', '-c', 'echo two > /etc/two']).code, 0);
    assert.equal(store.berth(['commit', '--change', 'CMD ["cat", "/etc/two"]', 'maker', 'berth-test/two:1']).code, 0);
  });
  after(() => {
    for (const c of children) c.kill('SIGTERM');
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  describe('with docker-registry, anonymous', () => {
    let host: string;
    let log: () => string;
    before(async () => {
      const r = await startRegistry(join(work, 'anon'));
      children.push(r.child);
      host = r.host;
      log = r.log;
    });

    test('push then pull into another store keeps every digest; a second push and pull skip what is there', () => {
      for (const [from, to] of [[busyboxImage, `${host}/base:1`], ['berth-test/two:1', `${host}/two:1`]] as const) assert.equal(store.berth(['tag', from, to]).code, 0);
      const first = store.berth(['push', `${host}/base:1`]);
      assert.equal(first.code, 0, first.stderr);
      const pushed = store.berth(['push', `${host}/two:1`]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const local = pushedDigest(pushed.stdout);
      // berth's layers are stored uncompressed; they go up gzipped, as docker push sends them
      const sent = JSON.parse(readFileSync(join(store.root, 'content', 'blobs', 'sha256', local.slice(7)), 'utf8')) as { layers: { mediaType: string }[] };
      assert.deepEqual(sent.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
      assert.match(pushed.stdout, /Pushed/);
      const again = store.berth(['push', `${host}/two:1`]);
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stdout, /Pushed/, 'the compressed layers are kept: nothing is compressed or sent twice');
      assert.equal(pushedDigest(again.stdout), local);
      // a line per layer, as docker push shows them (none for the config)
      assert.equal((again.stdout.match(/Layer already exists/g) ?? []).length, 2, again.stdout);

      const fresh = createStore();
      try {
        const pulled = fresh.berth(['pull', `${host}/two:1`]);
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.match(pulled.stdout, new RegExp(`Digest: ${local}`));
        assert.match(pulled.stdout, /Status: Downloaded newer image/);
        assert.equal(manifestDigestOf(fresh, `${host}/two:1`), local);
        const [a] = JSON.parse(store.berth(['inspect', `${host}/two:1`]).stdout) as { Id: string; RootFS: { Layers: string[] } }[];
        const [b] = JSON.parse(fresh.berth(['inspect', `${host}/two:1`]).stdout) as { Id: string; RootFS: { Layers: string[] } }[];
        assert.deepEqual(b, { ...b, Id: a?.Id, RootFS: a?.RootFS });
        assert.equal(fresh.berth(['run', '--rm', `${host}/two:1`]).stdout, 'two\n');
        const [view] = JSON.parse(fresh.berth(['inspect', `${host}/two:1`]).stdout) as { RepoTags: string[]; RepoDigests: string[] }[];
        assert.deepEqual(view?.RepoDigests, [`${host}/two@${local}`]);
        assert.match(fresh.berth(['images', '--digests']).stdout, new RegExp(`^${host}/two\\s+1\\s+${local}\\s`, 'm'));
        const [pushedView] = JSON.parse(store.berth(['inspect', `${host}/two:1`]).stdout) as { RepoDigests: string[] }[];
        assert.deepEqual(pushedView?.RepoDigests, [`${host}/two@${local}`], 'a push records the digest too');
        const storeFiles = () => spawnSync('find', [fresh.root, '-path', join(fresh.root, 'events'), '-prune', '-o', '-printf', '%p %i %T@ %s\\n']).stdout.toString().split('\n').sort().join('\n');
        const beforeNoop = storeFiles();
        const noop = fresh.berth(['pull', `${host}/two:1`]);
        assert.match(noop.stdout, /Status: Image is up to date/);
        assert.doesNotMatch(noop.stdout, /Pull complete/);
        assert.equal(storeFiles(), beforeNoop, 'a no-op pull writes nothing to the store (its events log aside)');
        const quiet = fresh.berth(['pull', '-q', `${host}/base:1`]);
        assert.equal(quiet.stdout, `${host}/base:1\n`);
        const byDigest = fresh.berth(['pull', `${host}/two@${local}`]);
        assert.equal(byDigest.code, 0, byDigest.stderr);
        // Reproducible pushes: the same image pushed from another store has the same manifest digest.
        const archive = spawnSync(berthBin, ['save', 'berth-test/two:1'], { env: { ...process.env, BERTH_ROOT: store.root }, maxBuffer: 64 << 20 }).stdout;
        const other = createStore();
        try {
          assert.equal(other.berth(['load', '-q'], { input: archive }).code, 0);
          assert.equal(other.berth(['tag', 'berth-test/two:1', `${host}/repro:1`]).code, 0);
          const repro = other.berth(['push', `${host}/repro:1`]);
          assert.equal(repro.code, 0, repro.stderr);
          assert.equal(pushedDigest(repro.stdout), local);
        } finally {
          other.dispose();
        }
        assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
      } finally {
        fresh.dispose();
      }
    });

    test('a push to another repository of the registry mounts the blobs it has instead of uploading them', () => {
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/elsewhere:1`]).code, 0);
      const r = store.berth(['push', `${host}/elsewhere:1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /Pushed/);
      assert.equal((r.stdout.match(/Mounted from (two|base)/g) ?? []).length, 2, r.stdout);
      assert.match(log(), /blobs\/uploads\/\?mount=sha256:[a-f0-9]{64}&from=(two|base)/, 'the registry saw the mount');
    });

    test('zstd layers: an image skopeo copied into the registry with zstd compression is pulled, unpacked (diffIDs checked) and run; a push of it keeps its layers', () => {
      const layout = join(work, 'zstd-layout');
      assert.equal(store.berth(['save', '--format', 'oci-dir', '-o', layout, 'berth-test/two:1']).code, 0);
      const copied = spawnSync('skopeo', ['copy', '--dest-tls-verify=false', '--dest-compress-format', 'zstd', `oci:${layout}:1`, `docker://${host}/zstd/two:1`]);
      assert.equal(copied.status, 0, copied.stderr.toString());
      const fresh = createStore();
      try {
        const pulled = fresh.berth(['pull', `${host}/zstd/two:1`]);
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.equal((pulled.stdout.match(/Pull complete/g) ?? []).length, 2, pulled.stdout);
        const manifest = JSON.parse(readFileSync(join(fresh.root, 'content', 'blobs', 'sha256', manifestDigestOf(fresh, `${host}/zstd/two:1`).slice(7)), 'utf8')) as { layers: { mediaType: string; digest: string }[] };
        assert.deepEqual(manifest.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
        for (const layer of manifest.layers) {
          const blob = readFileSync(join(fresh.root, 'content', 'blobs', 'sha256', layer.digest.slice(7)));
          assert.equal(blob.readUInt32LE(0), 0xfd2fb528, 'stored as served: zstd');
        }
        // the same image as the original: same config, so the same diffIDs
        const [a] = JSON.parse(fresh.berth(['inspect', `${host}/zstd/two:1`]).stdout) as { Id: string; RootFS: { Layers: string[] } }[];
        const [b] = JSON.parse(store.berth(['inspect', 'berth-test/two:1']).stdout) as { Id: string; RootFS: { Layers: string[] } }[];
        assert.equal(a?.Id, b?.Id);
        assert.equal(fresh.berth(['run', '--rm', `${host}/zstd/two:1`]).stdout, 'two\n');
        assert.equal(fresh.berth(['tag', `${host}/zstd/two:1`, `${host}/zstd/again:1`]).code, 0);
        const pushed = fresh.berth(['push', `${host}/zstd/again:1`]);
        assert.equal(pushed.code, 0, pushed.stderr);
        assert.doesNotMatch(pushed.stdout, /Pushed/, 'the zstd blobs are mounted, not recompressed');
        assert.equal(pushedDigest(pushed.stdout), manifestDigestOf(fresh, `${host}/zstd/two:1`));
        assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
      } finally {
        fresh.dispose();
      }
    });

    test('chunked uploads: blobs over the configured chunkSize go up in PATCHes with Content-Range, following each Location; digests round-trip', () => {
      const config = join(work, 'chunked-registries.json');
      writeFileSync(config, JSON.stringify({ chunkSize: 256 << 10 }));
      const env = { BERTH_REGISTRIES_CONFIG: config };
      const patches = (repo: string) => log().split('\n').filter((l) => l.includes(`PATCH /v2/${repo}/blobs/uploads/`));
      // compressed while it goes up (a new layer: 1 MiB of random bytes, gzip cannot shrink it)
      assert.equal(store.berth(['run', '--name', 'chunky', busyboxImage, 'sh', '-c', 'head -c 1048576 /dev/urandom > /random']).code, 0);
      assert.equal(store.berth(['commit', 'chunky', `${host}/chunked/stream:1`]).code, 0);
      const pushed = store.berth(['push', `${host}/chunked/stream:1`], { env });
      assert.equal(pushed.code, 0, pushed.stderr);
      // the busybox layer is there already (mounted or skipped); the new one is 1 MiB: 5 chunks of 256 KiB or less
      assert.ok(patches('chunked/stream').length >= 4, patches('chunked/stream').join('\n') || log().slice(-3000));
      // and each PATCH went to the Location the previous answer gave (docker-registry's _state changes every time)
      const states = patches('chunked/stream').map((l) => /_state=([^&\s"]+)/.exec(l)?.[1]);
      assert.equal(new Set(states).size, states.length, 'a new Location each time');
      // a blob whose size is known (a pulled gzip layer, pushed under another host name for the same registry: no mount source)
      const fresh = createStore();
      try {
        const pulled = fresh.berth(['pull', `${host}/chunked/stream:1`]);
        assert.equal(pulled.code, 0, pulled.stderr);
        const [a] = JSON.parse(fresh.berth(['inspect', `${host}/chunked/stream:1`]).stdout) as { Id: string }[];
        const [b] = JSON.parse(store.berth(['inspect', `${host}/chunked/stream:1`]).stdout) as { Id: string }[];
        assert.equal(a?.Id, b?.Id);
        assert.equal(fresh.berth(['run', '--rm', `${host}/chunked/stream:1`, 'sh', '-c', 'wc -c < /random']).stdout.trim(), '1048576');
        const other = host.replace('127.0.0.1', 'localhost');
        assert.equal(fresh.berth(['tag', `${host}/chunked/stream:1`, `${other}/chunked/known:1`]).code, 0);
        const again = fresh.berth(['push', `${other}/chunked/known:1`], { env });
        assert.equal(again.code, 0, again.stderr);
        assert.equal(pushedDigest(again.stdout), pushedDigest(pushed.stdout), 'the same blobs, the same manifest');
        assert.ok(patches('chunked/known').length >= 4 + 3, patches('chunked/known').join('\n'));
        assert.ok(log().split('\n').some((l) => l.includes('PUT /v2/chunked/known/blobs/uploads/') && l.includes('digest=sha256')));
        // chunkSize 0: one request per blob, no PATCH
        writeFileSync(config, JSON.stringify({ chunkSize: 0 }));
        assert.equal(fresh.berth(['tag', `${host}/chunked/stream:1`, `${other}/chunked/whole:1`]).code, 0);
        assert.equal(fresh.berth(['push', `${other}/chunked/whole:1`], { env }).code, 0);
        assert.deepEqual(patches('chunked/whole'), []);
        writeFileSync(config, JSON.stringify({ chunkSize: 'big' }));
        const invalid = fresh.berth(['push', `${other}/chunked/whole:1`], { env });
        assert.equal(invalid.code, 1);
        assert.match(invalid.stderr, /chunkSize/);
      } finally {
        fresh.dispose();
      }
    });

    test('progress: per-layer lines redrawn in place with bars on a terminal, plain lines otherwise, only the name with -q', () => {
      assert.equal(store.berth(['tag', busyboxImage, `${host}/base:1`]).code, 0);
      assert.equal(store.berth(['push', `${host}/base:1`]).code, 0);
      const maker = store.berth(['run', '--name', 'progress-maker', busyboxImage, 'sh', '-c', 'head -c 6000000 /dev/urandom > /random']);
      assert.equal(maker.code, 0, maker.stderr);
      assert.equal(store.berth(['commit', 'progress-maker', `${host}/progress:1`]).code, 0);
      const env = { BERTH_ROOT: store.root };
      const pushed = onTerminal([berthBin, 'push', `${host}/progress:1`], env);
      assert.equal(pushed.code, 0, pushed.output);
      const [view] = JSON.parse(store.berth(['inspect', `${host}/progress:1`]).stdout) as { RootFS: { Layers: string[] } }[];
      const [baseId, newId] = (view?.RootFS.Layers ?? []).map((d) => d.slice(7, 19));
      assert.ok(baseId && newId);
      // docker push's lines: one per layer under its short diffID, redrawn: cursor up N, clear, text, cursor down N
      assert.ok(pushed.output.startsWith(`The push refers to repository [${host}/progress]`), pushed.output);
      assert.match(pushed.output, new RegExp(`\x1b\\[\\d+A\x1b\\[2K\r${newId}: Preparing \r\x1b\\[\\d+B`));
      assert.match(pushed.output, new RegExp(`\x1b\\[2K\r${newId}: Pushing \\[=*>\\s*\\]\\s+[\\d.]+[kM]?B/6\\.\\d+MB`), 'a bar at 120 columns');
      assert.match(pushed.output, new RegExp(`\x1b\\[2K\r${newId}: Pushed \r`));
      assert.match(pushed.output, new RegExp(`\x1b\\[2K\r${baseId}: (Layer already exists|Mounted from [\\w/.-]+|Pushed) \r`));
      // the cursor back below the layer lines, then the digest (no newline between, as docker prints it)
      assert.match(pushed.output, new RegExp(`\x1b\\[\\d+B1: digest: sha256:[a-f0-9]{64} size: \\d+\r\n$`));

      const fresh = createStore();
      try {
        const freshEnv = { BERTH_ROOT: fresh.root };
        assert.equal(fresh.berth(['pull', '-q', `${host}/base:1`]).stdout, `${host}/base:1\n`, '-q: the name alone');
        const pulled = onTerminal([berthBin, 'pull', `${host}/progress:1`], freshEnv);
        assert.equal(pulled.code, 0, pulled.output);
        const manifest = JSON.parse(readFileSync(join(fresh.root, 'content', 'blobs', 'sha256', manifestDigestOf(fresh, `${host}/progress:1`).slice(7)), 'utf8')) as { layers: { digest: string }[] };
        const [baseBlob, newBlob] = manifest.layers.map((l) => l.digest.slice(7, 19));
        assert.match(pulled.output, new RegExp(`\x1b\\[2K\r${baseBlob}: Already exists \r`));
        for (const status of ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete']) {
          assert.match(pulled.output, new RegExp(`\x1b\\[2K\r${newBlob}: ${status} \r`), status);
        }
        assert.match(pulled.output, new RegExp(`\x1b\\[2K\r${newBlob}: Downloading \\[=*>\\s*\\]\\s+[\\d.]+[kM]?B/6\\.\\d+MB`));
        assert.match(pulled.output, new RegExp(`\x1b\\[2K\r${newBlob}: Extracting \\[=*>\\s*\\]\\s+[\\d.]+[kM]?B/6\\.\\d+MB`));
        assert.match(pulled.output, /Status: Downloaded newer image for .*\r\n.*progress:1\r\n$/);
        // a narrow terminal: no bar, the counts only (docker draws bars over 110 columns)
        assert.equal(fresh.berth(['rmi', `${host}/progress:1`]).code, 0);
        assert.equal(fresh.berth(['image', 'prune', '-a', '-f']).code, 0);
        assert.equal(fresh.berth(['pull', '-q', `${host}/base:1`]).code, 0);
        const narrow = onTerminal([berthBin, 'pull', `${host}/progress:1`], freshEnv, 80);
        assert.equal(narrow.code, 0, narrow.output);
        assert.match(narrow.output, new RegExp(`${newBlob}: Downloading\\s+[\\d.]+[kM]?B/6\\.\\d+MB`));
        assert.doesNotMatch(narrow.output, /\[=*>/);
        // without a terminal: statuses as plain lines, each once, no byte counts, no escapes
        assert.equal(fresh.berth(['rmi', `${host}/progress:1`]).code, 0);
        assert.equal(fresh.berth(['image', 'prune', '-a', '-f']).code, 0);
        assert.equal(fresh.berth(['pull', '-q', `${host}/base:1`]).code, 0);
        const plain = fresh.berth(['pull', `${host}/progress:1`]);
        assert.equal(plain.code, 0, plain.stderr);
        assert.equal(plain.stdout, [
          '1: Pulling from progress', `${baseBlob}: Already exists`, `${newBlob}: Pulling fs layer`, `${newBlob}: Verifying Checksum`, `${newBlob}: Download complete`,
          `${newBlob}: Pull complete`, `Digest: ${manifestDigestOf(fresh, `${host}/progress:1`)}`, `Status: Downloaded newer image for ${host}/progress:1`, `${host}/progress:1`, '',
        ].join('\n'));
        // run's pull writes its progress to stderr, drawn when stderr is a terminal
        assert.equal(fresh.berth(['rmi', `${host}/progress:1`]).code, 0);
        const ran = onTerminal([berthBin, 'run', '--rm', `${host}/progress:1`, 'echo', 'ran'], freshEnv);
        assert.equal(ran.code, 0, ran.output);
        assert.match(ran.output, new RegExp(`\x1b\\[2K\r${newBlob}: Pull complete \r[\\s\\S]*ran\r\n$`));
      } finally {
        fresh.dispose();
      }
    });

    test('run pulls a missing image (not with --pull never), and build pulls a missing FROM image', () => {
      const fresh = createStore();
      try {
        const never = fresh.berth(['run', '--rm', '--pull', 'never', `${host}/two:1`]);
        assert.equal(never.code, 125);
        assert.doesNotMatch(never.stderr, /Pulling/);
        const bad = fresh.berth(['run', '--rm', '--pull', 'sometimes', `${host}/two:1`]);
        assert.equal(bad.code, 125);
        assert.match(bad.stderr, /invalid pull option/);
        const r = fresh.berth(['run', '--rm', `${host}/two:1`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'two\n');
        assert.match(r.stderr, new RegExp(`^Unable to find image '${host}/two:1' locally$`, 'm'));
        assert.match(r.stderr, /Pull complete/);
        const again = fresh.berth(['run', '--rm', `${host}/two:1`]);
        assert.equal(again.stderr, '', 'stored now: no pull');
        const always = fresh.berth(['create', '--pull', 'always', `${host}/two:1`]);
        assert.equal(always.code, 0, always.stderr);
        assert.match(always.stderr, /Image is up to date/);
      } finally {
        fresh.dispose();
      }
      const builder = createStore();
      const ctxDir = mkdtempSync(join(work, 'ctx-'));
      try {
        writeFileSync(join(ctxDir, 'Dockerfile'), `FROM ${host}/two:1\nRUN cat /etc/two /etc/two > /twice\nCMD ["cat", "/twice"]\n`);
        const b = builder.berth(['build', '--network', 'none', '-t', 'built-on-pulled:1', ctxDir], { timeoutMs: 120_000 });
        assert.equal(b.code, 0, b.stderr);
        assert.equal(builder.berth(['run', '--rm', 'built-on-pulled:1']).stdout, 'two\ntwo\n');
      } finally {
        builder.dispose();
      }
    });

    test('mirrors from /etc/berth/registries.json serve pulls of any registry, a failing one skipped; pushes never go to them', () => {
      const config = join(work, 'registries.json');
      writeFileSync(config, JSON.stringify({ mirrors: { 'mirrored.invalid': ['http://127.0.0.1:1', `http://${host}`] } }));
      const fresh = createStore();
      try {
        const without = fresh.berth(['pull', 'mirrored.invalid/two:1'], { env: { BERTH_DEBUG: '1' } });
        assert.equal(without.code, 1);
        assert.match(without.stderr, /BERTH_E_REGISTRY_UNAVAILABLE/);
        const r = fresh.berth(['pull', 'mirrored.invalid/two:1'], { env: { BERTH_REGISTRIES_CONFIG: config } });
        assert.equal(r.code, 0, r.stderr);
        const [a] = JSON.parse(fresh.berth(['inspect', 'mirrored.invalid/two:1']).stdout) as { Id: string }[];
        const [b] = JSON.parse(store.berth(['inspect', 'berth-test/two:1']).stdout) as { Id: string }[];
        assert.equal(a?.Id, b?.Id);
        const push = fresh.berth(['push', 'mirrored.invalid/two:1'], { env: { BERTH_REGISTRIES_CONFIG: config, BERTH_DEBUG: '1' } });
        assert.equal(push.code, 1);
        assert.match(push.stderr, /BERTH_E_REGISTRY_UNAVAILABLE/);
      } finally {
        fresh.dispose();
      }
    });

    test('push -a pushes every local tag of a repository, pull -a pulls every tag the registry has', () => {
      for (const tag of ['a', 'b']) assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/many:${tag}`]).code, 0);
      const pushed = store.berth(['push', '-a', `${host}/many`]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stdout, /^a: digest: sha256:[a-f0-9]{64} size: \d+$/m);
      assert.match(pushed.stdout, /^b: digest: sha256:[a-f0-9]{64} size: \d+$/m);
      assert.equal(store.berth(['push', '-a', `${host}/many:a`]).code, 1);
      const fresh = createStore();
      try {
        const pulled = fresh.berth(['pull', '-a', '-q', `${host}/many`]);
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.equal(pulled.stdout, `${host}/many\n`);
        assert.match(fresh.berth(['images']).stdout, new RegExp(`${host}/many\\s+a\\s[\\s\\S]*${host}/many\\s+b\\s|${host}/many\\s+b\\s[\\s\\S]*${host}/many\\s+a\\s`));
      } finally {
        fresh.dispose();
      }
    });

    test('an unknown tag and an unknown repository are clear errors', () => {
      const r = store.berth(['pull', `${host}/two:nope`], { env: { BERTH_DEBUG: '1' } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /BERTH_E_MANIFEST_UNKNOWN/);
      assert.match(r.stderr, new RegExp(`${host}/two:nope not found`));
      const p = store.berth(['push', `${host}/missing:1`]);
      assert.equal(p.code, 1);
      assert.match(p.stderr, /No such image: /);
    });

    test('the reference dockerd pulls and runs what berth pushed, and berth what it pushed', () => {
      assert.equal(spawnSync(join(repoRoot, 'tools', 'reference-dockerd.sh'), ['start']).status, 0);
      const host0 = /DOCKER_HOST=(\S+)/.exec(spawnSync(join(repoRoot, 'tools', 'reference-dockerd.sh'), ['env']).stdout.toString())?.[1]?.replace(/^["']|["']$/g, '') ?? '';
      const env = { ...process.env, DOCKER_HOST: host0 };
      const docker = (...args: string[]) => spawnSync('/usr/bin/docker', args, { env, maxBuffer: 16 << 20 });
      const name = `${host}/interop-${randomBytes(3).toString('hex')}`;
      try {
        assert.equal(store.berth(['tag', 'berth-test/two:1', `${name}:berth`]).code, 0);
        assert.equal(store.berth(['push', `${name}:berth`]).code, 0);
        const pulled = docker('pull', `${name}:berth`);
        assert.equal(pulled.status, 0, pulled.stderr.toString());
        assert.equal(docker('run', '--rm', '--network', 'none', `${name}:berth`).stdout.toString(), 'two\n');
        assert.equal(docker('tag', `${name}:berth`, `${name}:docker`).status, 0);
        const pushed = docker('push', `${name}:docker`);
        assert.equal(pushed.status, 0, pushed.stderr.toString());
        const fresh = createStore();
        try {
          const r = fresh.berth(['pull', `${name}:docker`]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(fresh.berth(['run', '--rm', `${name}:docker`]).stdout, 'two\n');
          const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout.toString())?.[1];
          assert.equal(manifestDigestOf(fresh, `${name}:docker`), digest, 'the manifest Docker pushed, byte for byte');
        } finally {
          fresh.dispose();
        }
      } finally {
        docker('rmi', `${name}:berth`, `${name}:docker`);
      }
    });
  });

  describe('with docker-registry and htpasswd basic auth', () => {
    let host: string;
    let configDir: string;
    before(async () => {
      const hashed = spawnSync('htpasswd', ['-Bbn', 'alice', 's3cret']);
      assert.equal(hashed.status, 0, 'htpasswd (apache2-utils) makes the bcrypt entry');
      const file = join(work, 'htpasswd');
      writeFileSync(file, hashed.stdout);
      const r = await startRegistry(join(work, 'auth'), file);
      children.push(r.child);
      host = r.host;
      configDir = join(work, 'docker-config');
      mkdirSync(configDir, { recursive: true });
    });
    const withAuth = (password: string) => {
      writeFileSync(join(configDir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`alice:${password}`).toString('base64') } } }));
      return { DOCKER_CONFIG: configDir, BERTH_DEBUG: '1' };
    };

    test('no credentials and a wrong password are refused; the right ones push and pull', () => {
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/private:1`]).code, 0);
      const anonymous = store.berth(['push', `${host}/private:1`], { env: { DOCKER_CONFIG: join(work, 'empty'), BERTH_DEBUG: '1' } });
      assert.equal(anonymous.code, 1);
      assert.match(anonymous.stderr, /BERTH_E_REGISTRY_UNAUTHORIZED/);
      const wrong = store.berth(['push', `${host}/private:1`], { env: withAuth('wrong') });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /BERTH_E_REGISTRY_UNAUTHORIZED/);
      assert.match(wrong.stderr, /credentials of "alice"/);
      const ok = store.berth(['push', `${host}/private:1`], { env: withAuth('s3cret') });
      assert.equal(ok.code, 0, ok.stderr);
      const privateDigest = pushedDigest(ok.stdout);
      const fresh = createStore();
      try {
        const denied = fresh.berth(['pull', `${host}/private:1`], { env: withAuth('wrong') });
        assert.equal(denied.code, 1);
        assert.match(denied.stderr, /BERTH_E_REGISTRY_UNAUTHORIZED/);
        assert.equal(fresh.berth(['images', '-q']).stdout, '');
        const pulled = fresh.berth(['pull', `${host}/private:1`], { env: withAuth('s3cret') });
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.equal(manifestDigestOf(fresh, `${host}/private:1`), privateDigest);
      } finally {
        fresh.dispose();
      }
    });

    test('credentials from a credential helper (credHelpers): get on pull, store on login, erase on logout', () => {
      const dir = join(work, 'helper');
      const bin = join(dir, 'bin');
      mkdirSync(bin, { recursive: true });
      const calls = join(dir, 'calls.log');
      // A helper speaking docker-credential-helpers' protocol: the action as argument, the server (or JSON) on stdin.
      writeFileSync(join(bin, 'docker-credential-berthtest'), `#!/bin/sh\ninput=$(cat)\necho "$1 $input" >> ${calls}\ncase "$1" in\n  get) printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}' "$input" ;;\nesac\n`, { mode: 0o755 });
      const config = join(dir, 'config');
      mkdirSync(config, { recursive: true });
      writeFileSync(join(config, 'config.json'), JSON.stringify({ credHelpers: { [host]: 'berthtest' } }));
      const env = { DOCKER_CONFIG: config, PATH: `${bin}:${process.env.PATH ?? ''}` };
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/helped:1`]).code, 0);
      const pushed = store.berth(['push', `${host}/helped:1`], { env });
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(readFileSync(calls, 'utf8'), new RegExp(`^get ${host}$`, 'm'));
      const login = store.berth(['login', '-u', 'alice', '--password-stdin', host], { input: 's3cret', env });
      assert.equal(login.code, 0, login.stderr);
      assert.doesNotMatch(login.stderr, /unencrypted/);
      assert.match(readFileSync(calls, 'utf8'), /^store \{"ServerURL":"[^"]+","Username":"alice","Secret":"s3cret"\}$/m);
      assert.doesNotMatch(readFileSync(join(config, 'config.json'), 'utf8'), /s3cret|auth"/, 'the password is not in config.json');
      assert.equal(store.berth(['logout', host], { env }).code, 0);
      assert.match(readFileSync(calls, 'utf8'), new RegExp(`^erase ${host}$`, 'm'));
    });

    test('login checks the password before storing it; logout forgets it', () => {
      const dir = join(work, 'login-config');
      const env = { DOCKER_CONFIG: dir, BERTH_DEBUG: '1' };
      const wrong = store.berth(['login', '-u', 'alice', '--password-stdin', host], { input: 'wrong\n', env });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /BERTH_E_REGISTRY_UNAUTHORIZED/);
      assert.throws(() => readFileSync(join(dir, 'config.json')), 'nothing stored');
      const ok = store.berth(['login', '-u', 'alice', '--password-stdin', `http://${host}/`], { input: 's3cret\n', env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'Login Succeeded\n');
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
      assert.equal(Buffer.from(config.auths[host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/after-login:1`]).code, 0);
      const pushed = store.berth(['push', `${host}/after-login:1`], { env });
      assert.equal(pushed.code, 0, pushed.stderr);
      const out = store.berth(['logout', host], { env });
      assert.equal(out.stdout, `Removing login credentials for ${host}\n`);
      const denied = store.berth(['push', `${host}/after-login:1`], { env });
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /BERTH_E_REGISTRY_UNAUTHORIZED/);
    });
  });

  describe('with docker-registry over TLS from a test CA, behind a bearer token service', () => {
    let host: string;
    let tokenServer: Server;
    let certDir: string;
    const requests: { scope: string; user: string }[] = [];
    const createdUnderEtc: string[] = [];
    const mkdirUnderEtc = (dir: string) => {
      const first = mkdirSync(dir, { recursive: true });
      if (first !== undefined && first !== dir) createdUnderEtc.push(first);
    };
    before(async () => {
      const dir = join(work, 'tls');
      mkdirSync(dir, { recursive: true });
      const f = (name: string) => join(dir, name);
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=berth test CA']);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
      writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
      openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-extfile', f('ext.cnf')]);
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('token.key'), '-out', f('token.crt'), '-days', '1', '-subj', '/CN=berth test token issuer']);
      const tokenKey = readFileSync(f('token.key'), 'utf8');
      const tokenCert = readFileSync(f('token.crt'), 'utf8');
      tokenServer = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const user = basic ? Buffer.from(basic, 'base64').toString() : '';
        const scope = url.searchParams.get('scope') ?? '';
        requests.push({ scope, user });
        if (user !== 'alice:s3cret') return void res.writeHead(401).end('{"details":"bad credentials"}');
        const access = scope === '' ? [] : [{ type: 'repository', name: scope.split(':')[1] ?? '', actions: (scope.split(':')[2] ?? '').split(',') }];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: registryToken(tokenKey, tokenCert, access) }));
      });
      await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
      const realm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
      const r = await startRegistry(join(work, 'tls-registry'), undefined, { tls: { cert: f('server.crt'), key: f('server.key') }, token: { realm, bundle: f('token.crt') } });
      children.push(r.child);
      host = r.host;
      certDir = join('/etc/berth/certs.d', host);
    });
    after(() => {
      tokenServer.close();
      rmSync(certDir, { recursive: true, force: true });
      rmSync(join('/etc/docker/certs.d', host), { recursive: true, force: true });
      // and the directories above them that the test made (mkdirSync says the first it created)
      for (const dir of createdUnderEtc) rmSync(dir, { recursive: true, force: true });
    });

    test('without the CA the certificate is refused (no fall back to HTTP); with it in /etc/berth/certs.d/HOST, push and pull use tokens scoped per repository', async () => {
      const config = join(work, 'token-config');
      mkdirSync(config, { recursive: true });
      writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
      const env = { DOCKER_CONFIG: config, BERTH_DEBUG: '1' };
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/team/app:1`]).code, 0);
      const untrusted = await berthAsync(store, ['push', `${host}/team/app:1`], env);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /BERTH_E_REGISTRY_UNAVAILABLE/);
      assert.match(untrusted.stderr, /its TLS certificate is not trusted/);
      assert.ok(untrusted.stderr.includes(`/etc/docker/certs.d/${host}/ca.crt`), untrusted.stderr);
      mkdirUnderEtc(certDir);
      writeFileSync(join(certDir, 'ca.crt'), readFileSync(join(work, 'tls', 'ca.crt')));
      const pushed = await berthAsync(store, ['push', `${host}/team/app:1`], env);
      assert.equal(pushed.code, 0, pushed.stderr);
      const appDigest = pushedDigest(pushed.stdout);
      assert.ok(requests.some((r) => r.scope === 'repository:team/app:pull,push' && r.user === 'alice:s3cret'), JSON.stringify(requests));
      const fresh = createStore();
      try {
        const pulled = await berthAsync(fresh, ['pull', `${host}/team/app:1`], env);
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.ok(requests.some((r) => r.scope === 'repository:team/app:pull'));
        assert.equal(manifestDigestOf(fresh, `${host}/team/app:1`), appDigest);
        const wrong = join(work, 'token-wrong');
        mkdirSync(wrong, { recursive: true });
        writeFileSync(join(wrong, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:nope').toString('base64') } } }));
        const denied = await berthAsync(fresh, ['pull', `${host}/team/app:1`], { DOCKER_CONFIG: wrong, BERTH_DEBUG: '1' });
        assert.equal(denied.code, 1);
        assert.match(denied.stderr, /BERTH_E_REGISTRY_UNAUTHORIZED/);
      } finally {
        fresh.dispose();
      }
    });

    test('Docker\'s layout: the CA in /etc/docker/certs.d/HOST:PORT/ca.crt is trusted for push and pull; a wrong CA there is named in the error', async () => {
      rmSync(certDir, { recursive: true, force: true });
      const config = join(work, 'token-config-docker');
      mkdirSync(config, { recursive: true });
      writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
      const env = { DOCKER_CONFIG: config, BERTH_DEBUG: '1' };
      const dockerDir = join('/etc/docker/certs.d', host);
      mkdirUnderEtc(dockerDir);
      // another CA than the registry's: still refused, and the message says the certificates there do not verify it
      const other = join(work, 'tls', 'other');
      mkdirSync(other, { recursive: true });
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(other, 'ca.key'), '-out', join(other, 'ca.crt'), '-days', '1', '-subj', '/CN=another CA']);
      writeFileSync(join(dockerDir, 'ca.crt'), readFileSync(join(other, 'ca.crt')));
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${host}/docker-layout/app:1`]).code, 0);
      const wrong = await berthAsync(store, ['push', `${host}/docker-layout/app:1`], env);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /its TLS certificate is not trusted .*the 1 certificate\(s\) there do not verify it/);
      writeFileSync(join(dockerDir, 'ca.crt'), readFileSync(join(work, 'tls', 'ca.crt')));
      const pushed = await berthAsync(store, ['push', `${host}/docker-layout/app:1`], env);
      assert.equal(pushed.code, 0, pushed.stderr);
      const fresh = createStore();
      try {
        const pulled = await berthAsync(fresh, ['pull', `${host}/docker-layout/app:1`], env);
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.equal(manifestDigestOf(fresh, `${host}/docker-layout/app:1`), pushedDigest(pushed.stdout));
        assert.equal((await berthAsync(fresh, ['run', '--rm', `${host}/docker-layout/app:1`])).stdout, 'two\n');
      } finally {
        fresh.dispose();
        rmSync(dockerDir, { recursive: true, force: true });
      }
    });
  });

  describe('with a fake registry behind a bearer token service', () => {
    let server: Server;
    let host: string;
    const scopes: string[] = [];
    let slowReleased = false;
    // the bottom layer of fake/layers: half its blob until the test lets the rest go
    let releaseBottom = (): void => undefined;
    let bottomReleased = new Promise<void>((resolve) => (releaseBottom = resolve));
    let layered: { chain: string[] } = { chain: [] };
    let releaseStream = (): void => undefined;
    const streamRelease = new Promise<void>((resolve) => (releaseStream = resolve));
    const repos = new Map<string, { manifest: Buffer; mediaType: string; blobs: Map<string, Buffer>; serve?: (digest: string, blob: Buffer, res: ServerResponse) => void; children?: Map<string, { body: Buffer; mediaType: string }> }>();

    before(async () => {
      const layer = gzipSync(await layerTar({ hello: 'hello from the fake registry\n' }));
      const diffId = `sha256:${sha(gunzipTar(layer))}`;
      const config = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
      const manifestFor = (layerMediaType: string) => Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
        layers: [{ mediaType: layerMediaType, digest: `sha256:${sha(layer)}`, size: layer.length }],
      }));
      const blobs = new Map([[`sha256:${sha(config)}`, config], [`sha256:${sha(layer)}`, layer]]);
      const gzipType = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
      const v2 = 'application/vnd.docker.distribution.manifest.v2+json';
      repos.set('fake/good', { manifest: manifestFor(gzipType), mediaType: v2, blobs });
      repos.set('fake/mismatch', {
        manifest: manifestFor(gzipType), mediaType: v2, blobs,
        serve: (digest, blob, res) => {
          const bad = Buffer.from(blob);
          if (digest !== `sha256:${sha(config)}`) bad[bad.length - 5] = (bad[bad.length - 5] ?? 0) ^ 0xff;
          res.writeHead(200, { 'content-length': bad.length }).end(bad);
        },
      });
      repos.set('fake/truncated', {
        manifest: manifestFor(gzipType), mediaType: v2, blobs,
        serve: (digest, blob, res) => {
          if (digest === `sha256:${sha(config)}`) return void res.writeHead(200, { 'content-length': blob.length }).end(blob);
          res.writeHead(200, { 'content-length': blob.length });
          res.write(blob.subarray(0, blob.length >> 1), () => res.destroy());
        },
      });
      repos.set('fake/slow', {
        manifest: manifestFor(gzipType), mediaType: v2, blobs,
        serve: (digest, blob, res) => {
          if (digest === `sha256:${sha(config)}` || slowReleased) return void res.writeHead(200, { 'content-length': blob.length }).end(blob);
          res.writeHead(200, { 'content-length': blob.length });
          res.write(blob.subarray(0, 10)); // then nothing, until the client is killed
        },
      });
      const lying = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha('not this layer')}`] } }));
      repos.set('fake/diffid', {
        manifest: Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: v2,
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${sha(lying)}`, size: lying.length },
          layers: [{ mediaType: gzipType, digest: `sha256:${sha(layer)}`, size: layer.length }],
        })),
        mediaType: v2, blobs: new Map([...blobs, [`sha256:${sha(lying)}`, lying]]),
      });
      // a layer served in two parts, the second only when the test says (is it unpacked while it downloads?)
      const streamLayer = gzipSync(await layerTar({ first: randomBytes(1 << 20).toString('base64'), second: 'the end\n' }), { level: 1 });
      const streamDiffId = `sha256:${sha(gunzipSync(streamLayer))}`;
      const streamConfig = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: { Cmd: ['/second'] }, rootfs: { type: 'layers', diff_ids: [streamDiffId] } }));
      repos.set('fake/stream', {
        manifest: Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: v2,
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${sha(streamConfig)}`, size: streamConfig.length },
          layers: [{ mediaType: gzipType, digest: `sha256:${sha(streamLayer)}`, size: streamLayer.length }],
        })),
        mediaType: v2,
        blobs: new Map([[`sha256:${sha(streamConfig)}`, streamConfig], [`sha256:${sha(streamLayer)}`, streamLayer]]),
        serve: (digest, blob, res) => {
          if (digest === `sha256:${sha(streamConfig)}`) return void res.writeHead(200, { 'content-length': blob.length }).end(blob);
          res.writeHead(200, { 'content-length': blob.length });
          res.write(blob.subarray(0, blob.length >> 1));
          void streamRelease.then(() => res.end(blob.subarray(blob.length >> 1)));
        },
      });
      // Three layers whose upper ones whiteout, override and make opaque what the lower ones
      // hold, with hard links inside a layer; the bottom one arrives last (fake/layers), or
      // never until the pull is killed (fake/layers-kill).
      const dir = (name: string): TestEntry => ({ name, type: 'directory', mode: 0o755 });
      const file = (name: string, body: string | Buffer): TestEntry => ({ name, type: 'file', mode: 0o644, body });
      const tars = [
        await makeTar([dir('etc'), file('etc/a', 'a0\n'), file('etc/b', 'b0\n'), dir('d'), file('d/x', 'x0\n'), file('d/y', 'y0\n'), file('keep', 'keep0\n'), file('big', randomBytes(1 << 20))]),
        await makeTar([
          dir('etc'), file('etc/.wh.a', ''), file('etc/b', 'b1\n'), dir('d'), file('d/.wh..wh..opq', ''), file('d/z', 'z1\n'),
          file('h1', 'hard\n'), { name: 'h2', type: 'link', linkname: 'h1', mode: 0o644 }, dir('sub'), { name: 'sub/h3', type: 'link', linkname: 'h1', mode: 0o644 },
        ]),
        await makeTar([dir('etc'), file('etc/b', 'b2\n'), file('top', 'top2\n')]),
      ];
      const gzs = tars.map((t) => gzipSync(t, { level: 1 }));
      const layeredDiffIds = tars.map((t) => `sha256:${sha(t)}`);
      const chain: string[] = [];
      for (const d of layeredDiffIds) chain.push(chain.length === 0 ? d : `sha256:${sha(`${chain.at(-1) ?? ''} ${d}`)}`);
      layered = { chain };
      const layeredConfig = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: { Cmd: ['/top'] }, rootfs: { type: 'layers', diff_ids: layeredDiffIds } }));
      const layeredManifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: v2,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${sha(layeredConfig)}`, size: layeredConfig.length },
        layers: gzs.map((g) => ({ mediaType: gzipType, digest: `sha256:${sha(g)}`, size: g.length })),
      }));
      const layeredBlobs = new Map([[`sha256:${sha(layeredConfig)}`, layeredConfig], ...gzs.map((g) => [`sha256:${sha(g)}`, g] as [string, Buffer])]);
      const bottom = `sha256:${sha(gzs[0] as Buffer)}`;
      const holdBottom = (until: () => Promise<void>) => (digest: string, blob: Buffer, res: ServerResponse) => {
        res.writeHead(200, { 'content-length': blob.length });
        if (digest !== bottom) return void res.end(blob);
        res.write(blob.subarray(0, blob.length >> 1));
        void until().then(() => res.end(blob.subarray(blob.length >> 1)));
      };
      repos.set('fake/layers', { manifest: layeredManifest, mediaType: v2, blobs: layeredBlobs, serve: holdBottom(() => bottomReleased) });
      repos.set('fake/layers-kill', { manifest: layeredManifest, mediaType: v2, blobs: layeredBlobs, serve: holdBottom(async () => {
        while (!slowReleased) await new Promise((r) => setTimeout(r, 50));
      }) });
      const huge = Buffer.alloc((4 << 20) + 10, 0x20);
      repos.set('fake/huge', { manifest: huge, mediaType: v2, blobs });
      // Layers that try to write outside the root: a `../` entry, a hard link to a file outside.
      const hostileImage = async (entries: TestEntry[]) => {
        const tarball = await makeTar(entries);
        const gz = gzipSync(tarball);
        const cfg = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(tarball)}`] } }));
        return {
          manifest: Buffer.from(JSON.stringify({
            schemaVersion: 2, mediaType: v2,
            config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${sha(cfg)}`, size: cfg.length },
            layers: [{ mediaType: gzipType, digest: `sha256:${sha(gz)}`, size: gz.length }],
          })),
          mediaType: v2,
          blobs: new Map([[`sha256:${sha(cfg)}`, cfg], [`sha256:${sha(gz)}`, gz]]),
        };
      };
      // A multi-arch index: the host's platform and another one, each its own image.
      const platformImage = async (arch: string, text: string) => {
        const l = gzipSync(await layerTar({ hello: text }));
        const cfg = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(gunzipTar(l))}`] } }));
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(cfg)}`, size: cfg.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(l)}`, size: l.length }],
        }));
        return { manifest, blobs: [[`sha256:${sha(cfg)}`, cfg], [`sha256:${sha(l)}`, l]] as [string, Buffer][] };
      };
      const otherArch = hostArch() === 'arm64' ? 'amd64' : 'arm64';
      const mine = await platformImage(hostArch(), 'the host platform\n');
      const other = await platformImage(otherArch, 'another platform\n');
      const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
      repos.set('fake/multi', {
        manifest: Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { mediaType: ociManifest, digest: `sha256:${sha(other.manifest)}`, size: other.manifest.length, platform: { architecture: otherArch, os: 'linux' } },
            { mediaType: ociManifest, digest: `sha256:${sha(mine.manifest)}`, size: mine.manifest.length, platform: { architecture: hostArch(), os: 'linux' } },
          ],
        })),
        mediaType: 'application/vnd.oci.image.index.v1+json',
        blobs: new Map([...mine.blobs, ...other.blobs]),
        children: new Map([[`sha256:${sha(mine.manifest)}`, { body: mine.manifest, mediaType: ociManifest }], [`sha256:${sha(other.manifest)}`, { body: other.manifest, mediaType: ociManifest }]]),
      });
      repos.set('fake/dotdot', await hostileImage([{ name: 'ok', body: 'x' }, { name: '../../../../tmp/berth-escaped-by-pull', body: 'pwned' }]));
      repos.set('fake/hardlink', await hostileImage([{ name: 'hl', type: 'link', linkname: '../../../../etc/passwd' }]));

      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/token') {
          scopes.push(url.searchParams.get('scope') ?? '');
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 't0k' }));
        }
        if (req.headers.authorization !== 'Bearer t0k') {
          return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake"`, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        }
        const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
        const repo = m ? repos.get(m[1] as string) : undefined;
        if (!m || !repo) return void res.writeHead(404).end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
        if (m[2] === 'manifests') {
          const child = repo.children?.get(m[3] as string);
          if (child) return void res.writeHead(200, { 'content-type': child.mediaType, 'content-length': child.body.length }).end(child.body);
          if (m[3] !== '1' && m[3] !== `sha256:${sha(repo.manifest)}`) return void res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
          return void res.writeHead(200, { 'content-type': repo.mediaType, 'content-length': repo.manifest.length }).end(repo.manifest);
        }
        const blob = repo.blobs.get(m[3] as string);
        if (!blob) return void res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
        if (repo.serve) return repo.serve(m[3] as string, blob, res);
        res.writeHead(200, { 'content-length': blob.length }).end(blob);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    test('a multi-arch index resolves to the host\'s platform; --platform picks another', async () => {
      const fresh = createStore();
      try {
        const mine = await berthAsync(fresh, ['pull', `${host}/fake/multi:1`]);
        assert.equal(mine.code, 0, mine.stderr);
        assert.equal((await berthAsync(fresh, ['image', 'inspect', '-f', '{{.Architecture}}', `${host}/fake/multi:1`])).stdout, `${hostArch()}\n`);
        const hello = async () => {
          assert.equal((await berthAsync(fresh, ['create', '--name', 'multi', `${host}/fake/multi:1`])).code, 0);
          const text = (await berthAsync(fresh, ['cp', 'multi:/hello', '-'])).stdout;
          await berthAsync(fresh, ['rm', 'multi']);
          return text;
        };
        assert.match(await hello(), /the host platform/);
        const otherArch = hostArch() === 'arm64' ? 'amd64' : 'arm64';
        const other = await berthAsync(fresh, ['pull', '--platform', `linux/${otherArch}`, `${host}/fake/multi:1`]);
        assert.equal(other.code, 0, other.stderr);
        assert.equal((await berthAsync(fresh, ['image', 'inspect', '-f', '{{.Architecture}}', `${host}/fake/multi:1`])).stdout, `${otherArch}\n`);
        assert.match(await hello(), /another platform/);
        assert.match((await berthAsync(fresh, ['pull', '--platform', 'linux/s390x', `${host}/fake/multi:1`])).stderr, /s390x/);
      } finally {
        fresh.dispose();
      }
    });

    test('a pull gets a token for the repository\'s pull scope, and the image runs', async () => {
      const r = await berthAsync(store, ['pull', `${host}/fake/good:1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(scopes.includes('repository:fake/good:pull'), scopes.join(' '));
      // unpacked (the diffID checked again) and read back
      assert.equal((await berthAsync(store, ['create', '--name', 'fake-good', `${host}/fake/good:1`])).code, 0);
      const cp = await berthAsync(store, ['cp', 'fake-good:/hello', '-']);
      assert.match(cp.stdout, /hello from the fake registry/, cp.stderr);
      await berthAsync(store, ['rm', 'fake-good']);
    });

    test('a layer is unpacked while it downloads: its first file is on disk before the blob has all arrived; nothing is named before it has', async () => {
      const fresh = createStore();
      try {
        const pulling = berthAsync(fresh, ['pull', `${host}/fake/stream:1`]);
        const find = () => spawnSync('find', [fresh.root, '-name', 'first', '-type', 'f']).stdout.toString().trim();
        let found = '';
        for (let i = 0; i < 100 && found === ''; i++) {
          await new Promise((r) => setTimeout(r, 100));
          found = find();
        }
        assert.notEqual(found, '', 'the first file of the layer was written while half of the blob was held back');
        assert.equal((await berthAsync(fresh, ['images', '-q'])).stdout, '', 'nothing named yet');
        releaseStream();
        const r = await pulling;
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await berthAsync(fresh, ['create', '--name', 'streamed', `${host}/fake/stream:1`])).code, 0);
        assert.match((await berthAsync(fresh, ['cp', 'streamed:/second', '-'])).stdout, /the end/);
        assert.match((await berthAsync(fresh, ['system', 'check'])).stdout, /is consistent/);
      } finally {
        releaseStream();
        fresh.dispose();
      }
    });

    /** What fake/layers' three layers make, read through a container of it: every whiteout, override, opaque dir and hard link as overlayfs shows them. */
    const checkLayered = async (s: Store, image: string) => {
      const name = `layered-${randomBytes(3).toString('hex')}`;
      assert.equal((await berthAsync(s, ['create', '--name', name, image])).code, 0);
      try {
        const read = async (path: string) => (await berthAsync(s, ['cp', `${name}:${path}`, '-'])).stdout;
        const names = async (path: string) => spawnSync('tar', ['-t'], { input: Buffer.from(await read(path), 'latin1') }).stdout.toString().split('\n').filter(Boolean).sort();
        assert.deepEqual(await names('/etc'), ['etc/', 'etc/b'], 'etc/a whited out by the middle layer');
        assert.match(await read('/etc/b'), /b2/, 'the top layer\'s etc/b over the middle one\'s over the bottom one\'s');
        assert.deepEqual(await names('/d'), ['d/', 'd/z'], 'd opaque in the middle layer: the bottom layer\'s d/x and d/y hidden');
        assert.match(await read('/keep'), /keep0/);
        assert.match(await read('/top'), /top2/);
        for (const link of ['/h1', '/h2', '/sub/h3']) assert.match(await read(link), /hard/, link);
      } finally {
        await berthAsync(s, ['rm', name]);
      }
      // the middle layer's own directory: its hard links are one inode, its whiteout a 0/0 char device, its opaque dir marked
      const committed = (path: string) => (JSON.parse(readFileSync(join(path, '..', '..', 'info.json'), 'utf8')) as { kind: string }).kind === 'committed';
      const found = spawnSync('find', [join(s.root, 'snapshots'), '-name', 'h2', '-links', '3']).stdout.toString().trim().split('\n').filter(Boolean).filter(committed);
      assert.equal(found.length, 1, `h1, h2 and sub/h3 are one file: ${found.join(' ')}`);
      const layerDir = join(found[0] as string, '..');
      assert.equal(spawnSync('stat', ['-c', '%F %t:%T', join(layerDir, 'etc', 'a')]).stdout.toString().trim(), 'character special file 0:0');
      assert.equal(lgetxattr(join(layerDir, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');
    };

    test('layers unpack side by side as they arrive: the upper ones while the bottom one still downloads, committed in chain order; whiteouts, opaque dirs and hard links come out right', async () => {
      const fresh = createStore();
      try {
        const pulling = berthAsync(fresh, ['pull', `${host}/fake/layers:1`]);
        const find = (name: string) => spawnSync('find', [join(fresh.root, 'snapshots'), '-name', name, '-type', 'f']).stdout.toString().trim();
        let found = '';
        for (let i = 0; i < 100 && found === ''; i++) {
          await new Promise((r) => setTimeout(r, 100));
          found = find('top') === '' || find('h2') === '' ? '' : 'both';
        }
        assert.equal(found, 'both', 'the middle and top layers were unpacked while half of the bottom one was held back');
        const keys = join(fresh.root, 'snapshots', 'overlay', 'keys');
        assert.deepEqual(layered.chain.filter((c) => existsSync(join(keys, c))), [], 'nothing committed above a layer not yet unpacked');
        assert.equal((await berthAsync(fresh, ['images', '-q'])).stdout, '', 'nothing named yet');
        releaseBottom();
        const r = await pulling;
        assert.equal(r.code, 0, r.stderr);
        assert.equal((r.stdout.match(/Pull complete/g) ?? []).length, 3, r.stdout);
        await checkLayered(fresh, `${host}/fake/layers:1`);
        // the chain as overlayfs stacks it: each layer on the one below
        const records = spawnSync('sh', ['-c', `cat ${join(fresh.root, 'snapshots', 'overlay')}/*/info.json`]).stdout.toString();
        for (const [i, c] of layered.chain.entries()) {
          const record = records.split(/(?<=\})(?=\{)/).map((j) => JSON.parse(j) as { key: string; parent?: string }).find((x) => x.key === c);
          assert.equal(record?.parent, layered.chain[i - 1], `layer ${i}'s parent`);
        }
        assert.match((await berthAsync(fresh, ['system', 'check'])).stdout, /is consistent/);
      } finally {
        releaseBottom();
        bottomReleased = Promise.resolve();
        fresh.dispose();
      }
    });

    test('SIGKILL while upper layers are unpacked and the bottom one downloads commits nothing; the next pull reuses the verified blobs and unpacks right', async () => {
      const fresh = createStore();
      try {
        const child = spawn(berthBin, ['pull', `${host}/fake/layers-kill:1`], { env: { ...process.env, BERTH_ROOT: fresh.root }, stdio: ['ignore', 'pipe', 'pipe'] });
        const find = (name: string) => spawnSync('find', [join(fresh.root, 'snapshots'), '-name', name, '-type', 'f']).stdout.toString().trim();
        for (let i = 0; i < 100 && (find('top') === '' || find('h2') === ''); i++) await new Promise((r) => setTimeout(r, 100));
        assert.notEqual(find('top'), '', 'the top layer was being unpacked');
        await new Promise((r) => setTimeout(r, 300)); // its unpack done, its snapshot waiting for the bottom one
        child.kill('SIGKILL');
        await new Promise((r) => child.on('close', r));
        const keys = join(fresh.root, 'snapshots', 'overlay', 'keys');
        assert.deepEqual(layered.chain.filter((c) => existsSync(join(keys, c))), [], 'no layer committed');
        assert.equal((await berthAsync(fresh, ['images', '-q'])).stdout, '');
        const check = (await berthAsync(fresh, ['system', 'check'])).stdout;
        assert.match(check, /is consistent/);
        // what the killed pull had unpacked: snapshots of no image, which prune collects
        assert.match(check, new RegExp(`reclaimable: snapshot "extract-[0-9a-f]+-${layered.chain[2] ?? ''}"`), check);
        slowReleased = true;
        const again = await berthAsync(fresh, ['pull', `${host}/fake/layers-kill:1`]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((again.stdout.match(/Already exists/g) ?? []).length, 2, `the upper layers' verified blobs kept: ${again.stdout}`);
        assert.equal((again.stdout.match(/Pull complete/g) ?? []).length, 1, again.stdout);
        await checkLayered(fresh, `${host}/fake/layers-kill:1`);
        assert.match((await berthAsync(fresh, ['system', 'check'])).stdout, /is consistent/);
      } finally {
        slowReleased = false;
        fresh.dispose();
      }
    });

    test('SIGKILL during a pull leaves no image, a consistent store, and the next pull works', async () => {
      const fresh = createStore();
      try {
        const child = spawn(berthBin, ['pull', `${host}/fake/slow:1`], { env: { ...process.env, BERTH_ROOT: fresh.root }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        await new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('Pulling fs layer')) resolve();
        }));
        await new Promise((r) => setTimeout(r, 200)); // the first bytes are in the ingest
        child.kill('SIGKILL');
        await new Promise((r) => child.on('close', r));
        assert.equal((await berthAsync(fresh, ['images', '-q'])).stdout, '');
        assert.match((await berthAsync(fresh, ['system', 'check'])).stdout, /is consistent/);
        slowReleased = true;
        const again = await berthAsync(fresh, ['pull', `${host}/fake/slow:1`]);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /Pull complete/);
      } finally {
        slowReleased = false;
        fresh.dispose();
      }
    });

    const refused: [string, string, RegExp][] = [
      ['a blob whose bytes do not match its digest', 'fake/mismatch', /BERTH_E_BLOB_DIGEST_MISMATCH/],
      ['a connection closed mid-blob', 'fake/truncated', /BERTH_E_(BLOB_TRUNCATED|REGISTRY_UNAVAILABLE)/],
      ['a layer that is not what its config says', 'fake/diffid', /BERTH_E_LAYER_DIFFID_MISMATCH/],
      ['a manifest over 4 MiB', 'fake/huge', /BERTH_E_MANIFEST_TOO_LARGE/],
      ['an unknown tag', 'fake/good:nope', /BERTH_E_MANIFEST_UNKNOWN/],
      ['a layer with a ../ entry', 'fake/dotdot', /BERTH_E_LAYER_PATH_ESCAPE/],
      ['a layer with a hard link out of the root', 'fake/hardlink', /BERTH_E_LAYER_PATH_ESCAPE/],
    ];
    for (const [what, repo, code] of refused) {
      test(`refused: ${what}; nothing named, the store consistent`, async () => {
        const fresh = createStore();
        try {
          const name = repo.includes(':') ? `${host}/${repo}` : `${host}/${repo}:1`;
          const r = await berthAsync(fresh, ['pull', name], { BERTH_DEBUG: '1' });
          assert.equal(r.code, 1, r.stdout);
          assert.match(r.stderr, code);
          assert.match(r.stderr, /^(berth|Error response from daemon): /, 'a message, then (BERTH_DEBUG) the code');
          assert.equal((await berthAsync(fresh, ['images', '-q'])).stdout, '');
          assert.match((await berthAsync(fresh, ['system', 'check'])).stdout, /is consistent/);
          assert.equal(existsSync('/tmp/berth-escaped-by-pull'), false, 'nothing written outside the root');
        } finally {
          fresh.dispose();
        }
      });
    }
  });
});

function gunzipTar(data: Buffer): Buffer {
  return spawnSync('gzip', ['-dc'], { input: data }).stdout;
}

function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
}
