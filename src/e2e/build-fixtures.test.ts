/**
 * The fixture corpus (test/fixtures/build): every case is built with berth on the same busybox
 * base Docker used, and the image config and file tree must match what Docker 20.10 produced.
 * Error cases must fail with Docker's exit code and name what Docker's recorded message names.
 * Root, real crun/runc and overlayfs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';

import tar from 'tar-stream';

import type { BuildStore, TreeEntry } from './build-harness.js';
import { createBuildStore, imageConfigBlob, imageTree, inspectImage } from './build-harness.js';
import { fixturesDir } from './harness.js';

interface CaseArgs {
  file?: string;
  target?: string;
  buildArgs?: Record<string, string>;
  dependsOn?: string[];
  emptyDirs?: string[];
  mentions?: string[];
}

interface Expected {
  source: string;
  config: Record<string, unknown>;
  author: string;
  diffBase: string | null;
  files: TreeEntry[];
}

const stringFields = new Set(['WorkingDir', 'User']);

function readArgs(dir: string): CaseArgs {
  const path = join(dir, 'args.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CaseArgs) : {};
}

/** A copy of the case with modes normalized as record.sh does, and its empty directories. */
function prepareContext(dir: string, work: string, args: CaseArgs): string {
  const ctx = join(work, dir.split('/').pop() as string);
  spawnSync('cp', ['-a', dir, ctx]);
  for (const d of args.emptyDirs ?? []) mkdirSync(join(ctx, d), { recursive: true, mode: 0o755 });
  spawnSync('sh', ['-c', 'find "$1" -type d -exec chmod 0755 {} + -o -type f -perm /111 -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +', 'sh', ctx]);
  return ctx;
}

/** The image's layers as a `docker save`-shaped archive (manifest.json + layer tars), for image-tree.py. */
async function saveArchive(store: BuildStore, ref: string, path: string): Promise<string> {
  const layers = inspectImage(store, ref).RootFS.Layers;
  const pack = tar.pack();
  const names = layers.map((l) => `${l.replace(/^sha256:/, '')}/layer.tar`);
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'config.json', RepoTags: [ref], Layers: names }]));
  for (const [i, layer] of layers.entries()) {
    pack.entry({ name: names[i] as string }, readFileSync(join(store.root, 'content', 'blobs', 'sha256', layer.replace(/^sha256:/, ''))));
  }
  pack.finalize();
  await pipeline(pack, createWriteStream(path));
  return path;
}

function buildFlags(ctx: string, args: CaseArgs): string[] {
  const flags = ['--network', 'none', '--progress', 'plain', '-f', join(ctx, args.file ?? 'Dockerfile')];
  if (args.target) flags.push('--target', args.target);
  for (const [k, v] of Object.entries(args.buildArgs ?? {})) flags.push('--build-arg', `${k}=${v}`);
  return flags;
}

/**
 * What Docker's recorded error message names, by rule rather than by hand: quoted paths (without
 * the leading slash BuildKit adds), `line N`, `exit code: N`, the command in brackets, the
 * instruction or flag it is about, and upper-case instruction words.
 */
function namedIn(message: string): string[] {
  const out = new Set<string>();
  for (const m of message.matchAll(/"\/?([^"]+)"/g)) out.add(m[1] as string);
  for (const m of message.matchAll(/\b(line \d+|exit code: \d+)/g)) out.add(m[1] as string);
  for (const m of message.matchAll(/\[([^\]]+)\]/g)) out.add((m[1] as string).replace(/^\/bin\/sh -c /, ''));
  for (const m of message.matchAll(/(?:flag|instruction): (\S+)/g)) out.add(m[1] as string);
  for (const m of message.matchAll(/\b([A-Z]{3,})\b/g)) if (m[1] !== 'LLB') out.add(m[1] as string);
  return [...out];
}

describe('build fixtures match Docker', { concurrency: false }, () => {
  let store: BuildStore;
  let work: string;
  const built = new Set<string>();

  before(() => {
    store = createBuildStore();
    work = mkdtempSync(join(tmpdir(), 'berth-fixture-ctx-'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  function build(name: string): { code: number; stderr: string } {
    const dir = join(fixturesDir, 'cases', name);
    const args = readArgs(dir);
    for (const dep of args.dependsOn ?? []) if (!built.has(dep)) build(dep);
    const ctx = prepareContext(dir, work, args);
    const r = store.berth(['build', ...buildFlags(ctx, args), '-t', `fixture/${name}`, ctx]);
    if (r.code === 0) built.add(name);
    return r;
  }

  for (const name of readdirSync(join(fixturesDir, 'cases')).sort()) {
    test(name, async () => {
      const expected = JSON.parse(readFileSync(join(fixturesDir, 'cases', name, 'expected.json'), 'utf8')) as Expected;
      if (!built.has(name)) {
        const r = build(name);
        assert.equal(r.code, 0, `build of ${name} failed:\n${r.stderr}`);
      }
      const image = inspectImage(store, `fixture/${name}`);
      for (const [key, want] of Object.entries(expected.config)) {
        const got = image.Config[key] ?? (stringFields.has(key) ? '' : null);
        assert.deepEqual(got, want, `Config.${key}`);
      }
      assert.equal(imageConfigBlob(store, `fixture/${name}`).author ?? '', expected.author, 'Author');
      const tree = await imageTree(store, `fixture/${name}`, expected.diffBase ?? undefined);
      assert.equal(tree.baseApplied, expected.diffBase !== null, 'the image starts with the base layer');
      assert.deepEqual(tree.files, expected.files);
    });
  }

  for (const name of readdirSync(join(fixturesDir, 'errors')).sort()) {
    test(`error: ${name}`, () => {
      const dir = join(fixturesDir, 'errors', name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { exitCode: number; message: string; mentions: string[] };
      const args = readArgs(dir);
      const ctx = prepareContext(dir, work, args);
      const r = store.berth(['build', ...buildFlags(ctx, args), '-t', `fixture-error/${name}`, ctx]);
      assert.equal(r.code, expected.exitCode, `build of ${name} fails with Docker's exit code:\n${r.stderr}`);
      const named = [...namedIn(expected.message), ...expected.mentions];
      assert.ok(namedIn(expected.message).length > 0, `Docker's message names something: ${expected.message}`);
      for (const m of named) assert.ok(r.stderr.includes(m), `the error names "${m}" as Docker's does (${expected.message}):\n${r.stderr}`);
      assert.notEqual(store.berth(['inspect', `fixture-error/${name}`]).code, 0, 'a failed build leaves no tag');
    });
  }

  test('the base image is the one Docker\'s fixtures were recorded on', () => {
    // RECORDED.md names the base layer's digest: another busybox-static would change every tree compared.
    const recorded = /sha256 `([0-9a-f]{64})`/.exec(readFileSync(join(fixturesDir, 'RECORDED.md'), 'utf8'))?.[1];
    assert.ok(recorded, 'RECORDED.md names the base layer digest');
    assert.deepEqual(inspectImage(store, 'berth-test/busybox:1').RootFS.Layers, [`sha256:${recorded}`]);
  });

  test('the TypeScript tree flattener agrees with image-tree.py, which flattened Docker\'s images', async () => {
    assert.ok(built.size > 0, 'fixture images were built');
    const base = await saveArchive(store, 'berth-test/busybox:1', join(work, 'base.tar'));
    for (const name of [...built].sort()) {
      const archive = await saveArchive(store, `fixture/${name}`, join(work, `${name}.tar`));
      const py = spawnSync('python3', [join(fixturesDir, 'image-tree.py'), archive, '--base', base], { maxBuffer: 64 << 20 });
      assert.equal(py.status, 0, py.stderr.toString());
      const ours = await imageTree(store, `fixture/${name}`, 'berth-test/busybox:1');
      assert.deepEqual(ours, JSON.parse(py.stdout.toString()), name);
    }
  });

  test('the store is consistent after all of it', () => {
    const r = store.berth(['system', 'check']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});


