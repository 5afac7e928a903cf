#!/usr/bin/env node
// `berth system df` on a store with many images (issue 13, "Performance": 200 images <= 300 ms).
// Plain Node ESM, no dependencies. Run as root, after `npm run build`:
//   node bench/system-df.mjs [--images 200] [--containers 200] [--iterations 15] [--keep DIR] [--json]
// The store: the busybox image (tools/make-busybox-rootfs.sh) and N images loaded from one Docker
// archive, each busybox's layer plus a small layer of its own (shared layers, as real images have);
// one stopped container per image for the first --containers images (so their layers are unpacked
// as an image that has run has them), a volume, and a one-step build in the build cache. Each
// sample is one `berth system df` process, spawn to exit; the median is compared with the target.
// The same store's `du -sbx` is shown beside what system df reports (for information: the 2%
// acceptance is src/e2e/disk-accounting.test.ts's, on a store of realistic sizes; here the
// store's bookkeeping, in no row, weighs about 2% beside 200 images of a few kB each).
// Exit 0 whenever a report was produced, 1 when the set-up failed, 2 for bad arguments.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berthBin, berthStore, cleanups, fmt, log, machine, must, parseArgs, removeTree, repo, runMain, stats, timeCmd } from './lib.mjs';

const targetMs = 300;

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/system-df.mjs [--images N] [--containers N] [--iterations N] [--keep DIR] [--json]',
  defaults: { images: 200, containers: 200, iterations: 15, json: false, keep: '' },
  options: {
    '--images': { key: 'images', int: 1 }, '--containers': { key: 'containers', int: 0 }, '--iterations': { key: 'iterations', int: 1 },
    '--json': { key: 'json', set: true }, '--keep': { key: 'keep', needs: 'a directory' },
  },
});

// ---------- a Docker archive, written by hand (ustar, regular files only) ----------
function tarHeader(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}
function tarOf(files) {
  const parts = [];
  for (const [name, body] of files) {
    parts.push(tarHeader(name, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
const sha = (buf) => createHash('sha256').update(buf).digest('hex');

function dockerArchive(busyboxTar, n) {
  const files = [];
  const base = sha(busyboxTar);
  files.push([`${base}/layer.tar`, busyboxTar]);
  const manifest = [];
  for (let i = 0; i < n; i++) {
    // A small layer of its own: three files, 1-12 KiB, different in every image.
    const own = tarOf([1, 2, 3].map((k) => [`app/file-${k}`, Buffer.from(`image ${i} file ${k}\n`.repeat(40 * k * ((i % 5) + 1)))]));
    const ownId = sha(own);
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', created: new Date(1_700_000_000_000 + i * 1000).toISOString(),
      config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${base}`, `sha256:${ownId}`] },
    }));
    const configName = `${sha(config)}.json`;
    files.push([`${ownId}/layer.tar`, own], [configName, config]);
    manifest.push({ Config: configName, RepoTags: [`bench/df-${i}:1`], Layers: [`${base}/layer.tar`, `${ownId}/layer.tar`] });
  }
  files.push(['manifest.json', Buffer.from(JSON.stringify(manifest))]);
  return tarOf(files);
}

function main() {
  // --keep DIR: the store is made in DIR and left there (for profiling); otherwise in a temporary directory removed at the end.
  const tmp = opts.keep || mkdtempSync(path.join(os.tmpdir(), 'berth-bench-df-'));
  if (opts.keep) mkdirSync(tmp, { recursive: true });
  else cleanups.push(() => removeTree(tmp));
  // The store's runtime state on /run goes with it (as the e2e harness's stores' does), unless it is kept.
  const { root, env } = berthStore(path.join(tmp, 'store'), { keepState: Boolean(opts.keep) });
  const berth = (args, extra = {}) => must(berthBin, args, { env, ...extra });
  log(`store: ${opts.images} images on busybox's layer, ${Math.min(opts.containers, opts.images)} stopped containers, a volume, a build`);
  const busybox = must(path.join(repo, 'tools', 'make-busybox-rootfs.sh'), [], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const archive = path.join(tmp, 'images.tar');
  writeFileSync(archive, dockerArchive(busybox, opts.images));
  berth(['load', '-i', archive]);
  const t0 = Date.now();
  for (let i = 0; i < Math.min(opts.containers, opts.images); i++) berth(['create', '--network', 'none', '--name', `df-${i}`, `bench/df-${i}:1`]);
  log(`containers created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  berth(['volume', 'create', 'df-data']);
  const ctx = path.join(tmp, 'ctx');
  mkdirSync(ctx);
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM bench/df-0:1\nCOPY data /data\n');
  writeFileSync(path.join(ctx, 'data'), 'x'.repeat(100_000));
  berth(['build', '-q', '-t', 'bench/df-built:1', ctx]);

  const samples = [];
  let out = '';
  for (let i = 0; i < opts.iterations; i++) {
    const r = timeCmd(berthBin, ['system', 'df'], { env, output: true });
    if (r.error) throw new Error(r.error);
    samples.push(r.ms);
    out = r.stdout;
  }
  const s = stats(samples);
  const sizes = spawnSync(berthBin, ['system', 'df', '--format', '{{.Size}}'], { env, encoding: 'utf8' }).stdout.trim().split('\n');
  const units = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
  const reported = sizes.reduce((t, s) => { const m = /^([\d.]+)([a-zA-Z]+)$/.exec(s); return t + Number(m[1]) * units[m[2]]; }, 0);
  const du = Number(must('du', ['-sbx', root]).split('\t')[0]);
  const report = {
    machine: machine(), images: opts.images, containers: Math.min(opts.containers, opts.images), iterations: opts.iterations,
    medianMs: s.median, p90Ms: s.p90, minMs: s.min, maxMs: s.max,
    reportedBytes: reported, duBytes: du, deviation: (reported - du) / du, table: out,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const m = report.machine;
    process.stdout.write([
      `berth system df, ${report.images} images, ${report.containers} containers, ${report.iterations} runs; ${m.nproc} CPUs, load ${m.loadavg.join(' ')}`,
      report.table.trimEnd(),
      `  median ${fmt(report.medianMs)} ms   p90 ${fmt(report.p90Ms)} ms   min ${fmt(report.minMs)} ms   max ${fmt(report.maxMs)} ms`,
      `  ${report.medianMs <= targetMs ? 'PASS' : 'FAIL'}  median <= ${targetMs} ms`,
      // The store's bookkeeping (event log, names, the directories themselves) is in no row: on 200 images of a few kB each it is about 2%.
      `  INFO  system df total ${reported} B vs du -sbx ${du} B: ${(report.deviation * 100).toFixed(2)}% (bookkeeping in no row: event log, records' directories)`,
      '',
    ].join('\n'));
  }
}

await runMain(main);
