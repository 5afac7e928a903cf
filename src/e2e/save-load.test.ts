/**
 * `save` and `load`: Docker's archive format and OCI layouts, between berth stores and with the
 * reference dockerd (20.10, tools/reference-dockerd.sh: started when needed, never stopped here).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import tar from 'tar-stream';

import type { Store } from './harness.js';
import { busyboxImage, createStore, repoRoot } from './harness.js';

type Entry = Partial<tar.Header> & { name: string; content?: Buffer | string };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ ...header, mode: header.mode ?? 0o644, mtime: header.mtime ?? new Date(0) }, content ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The entries of a tar: name → content. */
async function readTar(data: Buffer): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const out = new Map<string, Buffer>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(data);
  await done;
  return out;
}

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function manifestDigest(store: Store, ref: string): string {
  // The manifest a name points at: metadata/images/<sha256 of the full name>.json
  const full = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const record = JSON.parse(readFileSync(join(store.root, 'metadata', 'images', `${sha(full)}.json`), 'utf8')) as { target: { digest: string } };
  return record.target.digest;
}

describe('berth save and load', () => {
  let store: Store;
  let other: Store;
  let work: string;
  before(() => {
    store = createStore({ withBusybox: true });
    other = createStore();
    work = mkdtempSync(join(tmpdir(), 'berth-save-'));
    assert.equal(store.berth(['run', '--name', 'maker', busyboxImage, 'sh', '-c', 'echo two > /etc/two']).code, 0);
    const r = store.berth(['commit', '--change', 'CMD ["cat", "/etc/two"]', 'maker', 'berth-test/two:1']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => {
    store.dispose();
    other.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('two images sharing a layer: the layer is archived once, and load in another store keeps every digest', async () => {
    const saved = spawnSync(join(repoRoot, 'bin', 'berth'), ['save', busyboxImage, 'berth-test/two:1'], { env: { ...process.env, BERTH_ROOT: store.root }, maxBuffer: 64 << 20 });
    assert.equal(saved.status, 0, saved.stderr.toString());
    const files = await readTar(saved.stdout);
    for (const name of ['index.json', 'oci-layout', 'manifest.json', 'repositories']) assert.ok(files.has(name), name);
    const blobs = [...files.keys()].filter((n) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(n));
    for (const name of blobs) assert.equal(sha(files.get(name) as Buffer), name.slice(-64), `${name} holds what its name says`);
    // busybox: manifest, config, layer; two: manifest, config, its own layer; the base layer once
    assert.equal(blobs.length, 6);
    const manifest = JSON.parse((files.get('manifest.json') as Buffer).toString()) as { RepoTags: string[]; Layers: string[] }[];
    assert.deepEqual(manifest.map((m) => m.RepoTags), [[busyboxImage], ['berth-test/two:1']]);
    assert.equal(manifest[1]?.Layers[0], manifest[0]?.Layers[0]);

    const loaded = other.berth(['load'], { input: saved.stdout });
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, `Loaded image: ${busyboxImage}\nLoaded image: berth-test/two:1\n`);
    for (const ref of [busyboxImage, 'berth-test/two:1']) assert.equal(manifestDigest(other, ref), manifestDigest(store, ref), ref);
    assert.equal(other.berth(['run', '--rm', 'berth-test/two:1']).stdout, 'two\n');
    assert.match(other.berth(['system', 'check']).stdout, /is consistent/);
    const quiet = other.berth(['load', '-q'], { input: saved.stdout });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, '');
  });

  test("history lists the image's steps newest first, the top one with the image id", () => {
    const [view] = JSON.parse(store.berth(['inspect', 'berth-test/two:1']).stdout) as { Id: string }[];
    const r = store.berth(['history', 'berth-test/two:1']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.equal(lines.length, 3, r.stdout);
    assert.ok(lines[1]?.startsWith((view?.Id ?? '').slice(7, 19)));
    assert.match(lines[2] ?? '', /^<missing>\s+.*Imported from -$/);
    assert.deepEqual(store.berth(['history', '-q', '--no-trunc', 'berth-test/two:1']).stdout.split('\n').filter(Boolean), [view?.Id, '<missing>']);
  });

  test('image prune -a forgets the images no container uses and frees their content', () => {
    const saved = spawnSync(join(repoRoot, 'bin', 'berth'), ['save', busyboxImage, 'berth-test/two:1'], { env: { ...process.env, BERTH_ROOT: store.root }, maxBuffer: 64 << 20 }).stdout;
    const fresh = createStore();
    try {
      assert.equal(fresh.berth(['load', '-q'], { input: saved }).code, 0);
      assert.equal(fresh.berth(['create', '--name', 'user', busyboxImage]).code, 0);
      const dangling = fresh.berth(['image', 'prune', '-f']);
      assert.equal(dangling.stdout, 'Total reclaimed space: 0B\n', 'nothing dangling');
      const r = fresh.berth(['image', 'prune', '-a', '-f']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Deleted Images:\nuntagged: berth-test\/two:1\ndeleted: sha256:[a-f0-9]{64}\n/);
      assert.match(r.stdout, /Total reclaimed space: [1-9][\d.]*[kM]?B\n$/);
      assert.match(fresh.berth(['images']).stdout, /berth-test\/busybox/);
      assert.doesNotMatch(fresh.berth(['images']).stdout, /two/);
      assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
    } finally {
      fresh.dispose();
    }
  });

  test('--format oci-dir and oci-archive are OCI layouts that load back; -o writes a file; gzip input is taken', () => {
    const dir = join(work, 'layout');
    assert.equal(store.berth(['save', '--format', 'oci-dir', '-o', dir, 'berth-test/two:1']).code, 0);
    assert.deepEqual(readdirSync(dir).sort(), ['blobs', 'index.json', 'oci-layout']);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    assert.equal(index.manifests[0]?.annotations['org.opencontainers.image.ref.name'], '1');
    assert.equal(index.manifests[0]?.digest, manifestDigest(store, 'berth-test/two:1'));
    const fresh = createStore();
    try {
      const r = fresh.berth(['load', '-i', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fresh.berth(['run', '--rm', 'berth-test/two:1']).stdout, 'two\n');
      const archive = join(work, 'oci.tar');
      assert.equal(store.berth(['save', '--format', 'oci-archive', '-o', archive, busyboxImage]).code, 0);
      const gz = spawnSync('gzip', ['-c', archive]).stdout;
      const g = fresh.berth(['load'], { input: gz });
      assert.equal(g.code, 0, g.stderr);
      assert.equal(g.stdout, `Loaded image: ${busyboxImage}\n`);
      const bad = store.berth(['save', '--format', 'oci-dir', '-o', dir, busyboxImage]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /not empty/);
    } finally {
      fresh.dispose();
    }
  });

  describe('hostile or broken archives are refused, and nothing is named', () => {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
    const cases: [string, () => Promise<Buffer>, RegExp][] = [
      ['an entry climbing out with ..', () => makeTar([{ name: '../evil', content: 'x' }]), /BERTH_E_LOAD_PATH_ESCAPE/],
      ['a symlink leaving the archive', () => makeTar([{ name: 'manifest.json', type: 'symlink', linkname: '../../etc/passwd' }]), /BERTH_E_LOAD_PATH_ESCAPE/],
      ['an absolute symlink', () => makeTar([{ name: 'manifest.json', type: 'symlink', linkname: '/etc/passwd' }]), /BERTH_E_LOAD_PATH_ESCAPE/],
      ['a device node', () => makeTar([{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }]), /BERTH_E_LOAD_ENTRY_TYPE/],
      ['a blob whose bytes do not match its name', () => makeTar([{ name: `blobs/sha256/${sha('other')}`, content: 'this' }]), /BERTH_E_LOAD_DIGEST_MISMATCH/],
      ['a link loop', () => makeTar([{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'manifest.json', content: '[{"Config":"a","Layers":[]}]' }]), /BERTH_E_LOAD_LINK_LOOP/],
      ['a layer that is not what the config says', async () => {
        const layer = await makeTar([{ name: 'hello', content: 'hi' }]);
        const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha('not the layer')}`] } }));
        return makeTar([{ name: 'layer.tar', content: layer }, { name: 'c.json', content: cfg }, { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: ['layer.tar'] }]) }]);
      }, /BERTH_E_LAYER_DIFFID_MISMATCH/],
      ['a manifest naming a missing blob', () => makeTar([{ name: 'c.json', content: config }, { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: ['missing.tar'] }]) }]), /BERTH_E_LOAD_(FILE_MISSING|INVALID_MANIFEST)/],
      ['no manifest at all', () => makeTar([{ name: 'hello', content: 'hi' }]), /BERTH_E_LOAD_UNKNOWN_FORMAT/],
      ['not a tar', async () => Buffer.from('this is not a tar archive at all, just text'.repeat(20)), /BERTH_E_LOAD_/],
    ];
    for (const [what, make, code] of cases) {
      test(what, async () => {
        const r = other.berth(['load'], { input: await make(), env: { BERTH_DEBUG: '1' } });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, code);
        assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
        assert.equal(other.berth(['images']).stdout.includes('evil'), false);
        assert.match(other.berth(['system', 'check']).stdout, /is consistent/);
      });
    }

    test('a truncated archive', async () => {
      const saved = spawnSync(join(repoRoot, 'bin', 'berth'), ['save', 'berth-test/two:1'], { env: { ...process.env, BERTH_ROOT: store.root }, maxBuffer: 64 << 20 }).stdout;
      const fresh = createStore();
      try {
        const r = fresh.berth(['load'], { input: saved.subarray(0, saved.length >> 1), env: { BERTH_DEBUG: '1' } });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /BERTH_E_LOAD_/);
        assert.equal(fresh.berth(['images', '-q']).stdout, '');
        assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
      } finally {
        fresh.dispose();
      }
    });
  });

  describe('with skopeo and umoci', () => {
    test('skopeo and umoci read the OCI layout berth writes, and berth loads what skopeo writes', () => {
      const layout = join(work, 'for-skopeo');
      assert.equal(store.berth(['save', '--format', 'oci-dir', '-o', layout, 'berth-test/two:1']).code, 0);
      const inspected = spawnSync('skopeo', ['inspect', `oci:${layout}:1`]);
      assert.equal(inspected.status, 0, inspected.stderr.toString());
      const [view] = JSON.parse(store.berth(['inspect', 'berth-test/two:1']).stdout) as { Id: string; RootFS: { Layers: string[] } }[];
      assert.equal((JSON.parse(inspected.stdout.toString()) as { Digest: string }).Digest, manifestDigest(store, 'berth-test/two:1'));
      const bundle = join(work, 'umoci-bundle');
      const unpacked = spawnSync('umoci', ['unpack', '--image', `${layout}:1`, bundle]);
      assert.equal(unpacked.status, 0, unpacked.stderr.toString());
      assert.equal(readFileSync(join(bundle, 'rootfs', 'etc', 'two'), 'utf8'), 'two\n');

      const copiedLayout = join(work, 'from-skopeo');
      const archive = join(work, 'from-skopeo.tar');
      for (const dest of [`oci:${copiedLayout}:copied`, `docker-archive:${archive}:skopeo/copied:1`]) {
        const copied = spawnSync('skopeo', ['copy', `oci:${layout}:1`, dest]);
        assert.equal(copied.status, 0, copied.stderr.toString());
      }
      const fresh = createStore();
      try {
        const fromLayout = fresh.berth(['load', '-i', copiedLayout]);
        assert.equal(fromLayout.code, 0, fromLayout.stderr);
        assert.equal(fromLayout.stdout, `Loaded image ID: ${view?.Id}\n`, 'a bare ref.name names no repository');
        const fromArchive = fresh.berth(['load', '-i', archive]);
        assert.equal(fromArchive.code, 0, fromArchive.stderr);
        assert.equal(fromArchive.stdout, 'Loaded image: skopeo/copied:1\n');
        assert.equal(fresh.berth(['run', '--rm', 'skopeo/copied:1']).stdout, 'two\n');
        assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
      } finally {
        fresh.dispose();
      }
    });
  });

  describe('zstd layers', () => {
    test('an OCI layout whose layers skopeo compressed with zstd loads, checks its diffIDs, runs, and saves back', () => {
      const layout = join(work, 'zstd-source');
      assert.equal(store.berth(['save', '--format', 'oci-dir', '-o', layout, 'berth-test/two:1']).code, 0);
      const zstdLayout = join(work, 'zstd-layout');
      const copied = spawnSync('skopeo', ['copy', '--dest-compress-format', 'zstd', `oci:${layout}:1`, `oci:${zstdLayout}:zstd`]);
      assert.equal(copied.status, 0, copied.stderr.toString());
      const fresh = createStore();
      try {
        const loaded = fresh.berth(['load', '-i', zstdLayout]);
        assert.equal(loaded.code, 0, loaded.stderr);
        const [view] = JSON.parse(store.berth(['inspect', 'berth-test/two:1']).stdout) as { Id: string }[];
        assert.equal(loaded.stdout, `Loaded image ID: ${view?.Id}\n`);
        assert.equal(fresh.berth(['tag', view?.Id ?? '', 'zstd/two:1']).code, 0);
        assert.equal(fresh.berth(['run', '--rm', 'zstd/two:1']).stdout, 'two\n');
        // saved again, as an OCI layout skopeo reads: the zstd blobs as they were
        const again = join(work, 'zstd-again');
        assert.equal(fresh.berth(['save', '--format', 'oci-dir', '-o', again, 'zstd/two:1']).code, 0);
        const inspected = spawnSync('skopeo', ['inspect', '--raw', `oci:${again}:1`]);
        assert.equal(inspected.status, 0, inspected.stderr.toString());
        assert.deepEqual((JSON.parse(inspected.stdout.toString()) as { layers: { mediaType: string }[] }).layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
        assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
      } finally {
        fresh.dispose();
      }
      // a zstd layer that is not what the config's diffID says (its digest right): refused at load, nothing named
      const bad = createStore();
      const forged = join(work, 'zstd-forged');
      try {
        spawnSync('cp', ['-a', zstdLayout, forged]);
        const blobPath = (digest: string) => join(forged, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
        const index = JSON.parse(readFileSync(join(forged, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number }[] };
        const manifest = JSON.parse(readFileSync(blobPath(index.manifests[0]?.digest ?? ''), 'utf8')) as { layers: { mediaType: string; digest: string; size: number }[] };
        const other = spawnSync('zstd', ['-c', '-q'], { input: Buffer.from('not the layer') }).stdout;
        writeFileSync(blobPath(sha(other)), other);
        manifest.layers[1] = { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: `sha256:${sha(other)}`, size: other.length };
        const manifestBytes = Buffer.from(JSON.stringify(manifest));
        writeFileSync(blobPath(sha(manifestBytes)), manifestBytes);
        index.manifests[0] = { ...index.manifests[0], digest: `sha256:${sha(manifestBytes)}`, size: manifestBytes.length };
        writeFileSync(join(forged, 'index.json'), JSON.stringify(index));
        const r = bad.berth(['load', '-i', forged], { env: { BERTH_DEBUG: '1' } });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, /BERTH_E_LAYER_DIFFID_MISMATCH/);
        assert.equal(bad.berth(['images', '-q']).stdout, '');
      } finally {
        bad.dispose();
      }
    });
  });

  describe('with the reference dockerd', () => {
    let env: NodeJS.ProcessEnv;
    const tag = `berth-interop-${randomBytes(4).toString('hex')}`;
    const docker = (args: string[], input?: Buffer) => {
      const r = spawnSync('/usr/bin/docker', args, { env, input: input ?? '', maxBuffer: 64 << 20 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
    };
    before(() => {
      const started = spawnSync(join(repoRoot, 'tools', 'reference-dockerd.sh'), ['start']);
      assert.equal(started.status, 0, started.stderr.toString());
      const vars = spawnSync(join(repoRoot, 'tools', 'reference-dockerd.sh'), ['env']).stdout.toString();
      const host = /DOCKER_HOST=(\S+)/.exec(vars)?.[1]?.replace(/^["']|["']$/g, '');
      assert.ok(host, vars);
      env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' };
    });
    after(() => {
      docker(['rmi', '-f', `${tag}/two:1`, `${tag}/built:1`]);
    });

    test('a berth image is docker loaded and runs', () => {
      assert.equal(store.berth(['tag', 'berth-test/two:1', `${tag}/two:1`]).code, 0);
      const saved = spawnSync(join(repoRoot, 'bin', 'berth'), ['save', `${tag}/two:1`], { env: { ...process.env, BERTH_ROOT: store.root }, maxBuffer: 64 << 20 });
      const loaded = docker(['load'], saved.stdout);
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.match(loaded.stdout.toString(), new RegExp(`Loaded image: ${tag}/two:1`));
      const run = docker(['run', '--rm', '--network', 'none', `${tag}/two:1`]);
      assert.equal(run.stdout.toString(), 'two\n', run.stderr);
      const [id] = JSON.parse(store.berth(['inspect', `${tag}/two:1`]).stdout) as { Id: string }[];
      assert.equal(docker(['image', 'inspect', '-f', '{{.Id}}', `${tag}/two:1`]).stdout.toString().trim(), id?.Id, 'the same image id');
    });

    test('a docker save archive (with its symlinked layers) is berth loaded and runs', () => {
      const built = docker(['build', '--network', 'none', '-q', '-t', `${tag}/built:1`, '-'], Buffer.from(`FROM ${tag}/two:1\nRUN echo built > /built\nCMD ["cat", "/built", "/etc/two"]\n`));
      assert.equal(built.code, 0, built.stderr);
      const saved = docker(['save', `${tag}/built:1`, `${tag}/two:1`]);
      assert.equal(saved.code, 0, saved.stderr);
      const fresh = createStore();
      try {
        const r = fresh.berth(['load'], { input: saved.stdout });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`Loaded image: ${tag}/built:1`));
        assert.equal(fresh.berth(['run', '--rm', `${tag}/built:1`]).stdout, 'built\ntwo\n');
        const [id] = JSON.parse(fresh.berth(['inspect', `${tag}/built:1`]).stdout) as { Id: string }[];
        assert.equal(docker(['image', 'inspect', '-f', '{{.Id}}', `${tag}/built:1`]).stdout.toString().trim(), id?.Id);
        assert.match(fresh.berth(['system', 'check']).stdout, /is consistent/);
      } finally {
        fresh.dispose();
      }
    });
  });
});
