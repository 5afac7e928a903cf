#!/usr/bin/env node
// What the metadata store and the snapshotter cost a `berth run --rm` in a fresh process: import,
// open, findContainer (miss) + createContainer + updateContainer ×2 + deleteContainer, and a
// snapshot prepare + mounts + remove on an image layer. Each sample is a new node process.
//   node bench/store-open.mjs [--dist DIR] [--metadata sqlite|fs] [--runs N]
// Both plugins are bundled into one file with esbuild first, as the CLI is (tools/bundle.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cleanups, parseArgs, runMain } from './lib.mjs';

const factories = {
  sqlite: ['plugins/metadata-sqlite/index.js', 'createSqliteMetadataStore'],
  fs: ['plugins/metadata-fs/index.js', 'createFsMetadataStore'],
};
// --child ROOT and --bundle FILE: how the benchmark runs itself for one sample.
const values = parseArgs(process.argv.slice(2), {
  usage: 'node bench/store-open.mjs [--dist DIR] [--metadata sqlite|fs] [--runs N]',
  defaults: { dist: resolve(import.meta.dirname, '..', 'dist'), metadata: 'fs', runs: 30, child: undefined, bundle: undefined },
  options: {
    '--dist': { key: 'dist' }, '--runs': { key: 'runs', int: 1 }, '--child': { key: 'child' }, '--bundle': { key: 'bundle' },
    '--metadata': { key: 'metadata', parse: (v, usage) => (Object.hasOwn(factories, v) ? v : usage(`unknown metadata store "${v}"`)) },
  },
});
const [metaModule, metaFactory] = factories[values.metadata];

function record(id, name) {
  const state = { status: 'created', pid: 0, exitCode: 0, oomKilled: false, error: '', startedAt: '', finishedAt: '' };
  return { id, name, image: 'busybox', imageId: 'sha256:x', createdAt: new Date().toISOString(), config: { Hostname: id.slice(0, 12), Image: 'busybox', Cmd: ['true'], Env: ['PATH=/bin'] }, hostConfig: { autoRemove: true, binds: [], networkMode: 'none', readonlyRootfs: false, privileged: false, capAdd: [], capDrop: [], securityOpt: [], ulimits: [], runtime: 'crun' }, snapshotKey: `container-${id}`, state };
}

async function child(root) {
  const t0 = performance.now();
  const plugins = await import(values.bundle);
  const t1 = performance.now();
  const store = plugins[metaFactory](root);
  const id = `${process.pid.toString(16).padStart(8, '0')}${'0'.repeat(56)}`;
  try { store.findContainer('no-such-name'); } catch { /* expected */ }
  store.createContainer(record(id, `bench-${process.pid}`));
  store.updateContainer(id, (r) => { r.state.status = 'running'; r.state.pid = 1; });
  store.updateContainer(id, (r) => { r.state.status = 'exited'; });
  store.deleteContainer(id);
  const t2 = performance.now();
  const snapshots = plugins.createOverlaySnapshotter(join(root, 'snapshots'));
  await snapshots.prepare(`container-${id}`, 'layer-2');
  await snapshots.mounts(`container-${id}`);
  await snapshots.remove(`container-${id}`);
  const t3 = performance.now();
  store.close();
  snapshots.close();
  process.stdout.write(JSON.stringify({ import: t1 - t0, metadata: t2 - t1, snapshots: t3 - t2, total: t3 - t0 }));
}

async function setup(root) {
  const snap = await import(join(values.dist, 'plugins/snapshotter-overlay/index.js'));
  const meta = await import(join(values.dist, metaModule));
  meta[metaFactory](root).close();
  const s = snap.createOverlaySnapshotter(join(root, 'snapshots'));
  let parent;
  for (const layer of ['layer-0', 'layer-1', 'layer-2']) {
    await s.prepare(`extract-${layer}`, parent);
    await s.commit(layer, `extract-${layer}`);
    parent = layer;
  }
  s.close();
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  await setup(root);
  // The bundle sits in dist/ so that the addon lookup (build/Release above it) works as in the CLI.
  const bundle = join(values.dist, `.bench-${values.metadata}.mjs`);
  cleanups.push(() => rmSync(bundle, { force: true }));
  await build({
    stdin: { contents: `export * from './${metaModule}'; export * from './plugins/snapshotter-overlay/index.js';`, resolveDir: values.dist, loader: 'js' },
    bundle: true, platform: 'node', format: 'esm', outfile: bundle, external: ['better-sqlite3'], logLevel: 'error',
  });
  const samples = [];
  for (let i = 0; i < values.runs; i++) {
    const out = spawnSync(process.execPath, [import.meta.filename, '--child', root, '--dist', values.dist, '--metadata', values.metadata, '--bundle', bundle], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    samples.push(JSON.parse(out.stdout));
  }
  const median = (k) => samples.map((s) => s[k]).sort((a, b) => a - b)[Math.floor(samples.length / 2)].toFixed(2);
  console.log(`metadata=${values.metadata} dist=${values.dist} runs=${samples.length} (median ms)`);
  console.log(`  import ${median('import')}  metadata ops ${median('metadata')}  snapshot ops ${median('snapshots')}  total ${median('total')}`);
}

if (values.child) await child(values.child);
else await runMain(main, { prefix: 'failed' });
