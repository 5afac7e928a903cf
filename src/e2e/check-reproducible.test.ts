/**
 * `berth build --check-reproducible` end to end. On busybox (fast): a reproducible build says so
 * (exit 0) and a build that writes random bytes is named with its step, file and kind of
 * difference (exit 2); bad input — a Dockerfile whose build fails, flags the check cannot honour,
 * Ctrl-C in the middle — is a clear error and leaves nothing in the store. On Debian (slow: a
 * bootstrap, Debian's archive, ~2-3 min; the store and its base are shared by both tests):
 * examples/python-native is reproducible, and a Dockerfile that leaves apt's binary caches,
 * apt's and dpkg's logs and ldconfig's aux-cache gets them named, with the step that wrote them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { readdirSyncOrEmpty } from '../base/index.js';
import { inspectImage } from './build-harness.js';
import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore, mountsUnder, repoRoot } from './harness.js';
import { useDebianBase } from './debian-base.js';

let work: string;
let n = 0;
before(() => (work = mkdtempSync(join(tmpdir(), 'berth-check-repro-'))));
after(() => rmSync(work, { recursive: true, force: true }));

function context(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = join(work, `ctx-${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

/**
 * The store holds nothing the check made: the images `images` (imagesNow before the check), no temporary folders or mounts,
 * and `system check` finds nothing reclaimable and no leftover (step containers, their cgroup
 * scopes and networks, snapshots, unreferenced content).
 */
function assertNothingLeft(store: Store, images: string[]): void {
  assert.deepEqual(readdirSyncOrEmpty(join(store.root, 'build-tmp')), []);
  assert.deepEqual(mountsUnder(store.root), []);
  const check = store.berth(['system', 'check']);
  assert.equal(check.stdout, `Store ${store.root} is consistent\n`, 'nothing reclaimable: the layers the check built were collected');
  assert.deepEqual(imagesNow(store), [...images].sort());
}

/** `repository:tag@id` of every image, sorted. */
function imagesNow(store: Store): string[] {
  return store.berth(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}}@{{.ID}}']).stdout.trim().split('\n').filter(Boolean).sort();
}

describe('build --check-reproducible on busybox', { concurrency: false }, () => {
  let store: Store;
  let base: string[];
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 180_000 });
    base = imagesNow(store);
  });
  after(() => store.dispose());

  const check = (dir: string, ...extra: string[]) => store.berth(['build', '--check-reproducible', '--network', 'none', '--progress', 'plain', ...extra, dir]);

  test('a reproducible build: exit 0, one manifest digest, nothing named and nothing left', () => {
    const dir = context([
      `FROM ${busyboxImage}`,
      'COPY app.txt /app/',
      // A cache mount of each build's own: what the other build put there is not seen.
      'RUN --mount=type=cache,target=/cache test ! -e /cache/seen && touch /cache/seen && sort /app/app.txt > /app/sorted && mkdir -p /var/lib/x && echo ok > /var/lib/x/state',
      'WORKDIR /app',
      '',
    ].join('\n'), { 'app.txt': 'b\na\n' });
    // A normal build first: its cache (the index, and /cache holding `seen`) must not reach the check's builds.
    const built = store.berth(['build', '-q', '--reproducible', '--network', 'none', '-t', 'checked:1', dir]);
    assert.equal(built.code, 0, built.stderr);
    const manifest = inspectImage(store, 'checked:1').ManifestDigest;
    const images = imagesNow(store);
    const r = check(dir);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stdout, /^reproducible: two clean builds gave the same image \(SOURCE_DATE_EPOCH=0, 3 layers\)\n {2}manifest sha256:[0-9a-f]{64}\n {2}image id sha256:[0-9a-f]{64}\n$/);
    // Both builds ran every step (no cache), shown apart.
    assert.match(r.stderr, /^#\d+ \(1\) \[3\/4\] RUN --mount/m);
    assert.match(r.stderr, /^#\d+ \(2\) \[3\/4\] RUN --mount/m);
    assert.doesNotMatch(r.stderr, /CACHED/);
    // The image is the one a reproducible build gives, and the check left that image alone.
    assert.match(r.stdout, new RegExp(`manifest ${manifest}\n`));
    assertNothingLeft(store, images);
    assert.equal(store.berth(['rmi', 'checked:1']).code, 0);
    const quiet = check(dir, '-q');
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
  });

  test('a build that is not reproducible: exit 2, the step, the file and the kind of difference', () => {
    const dir = context([
      `FROM ${busyboxImage}`,
      'RUN echo stable > /stable',
      'RUN head -c 32 /dev/urandom > /random && mkdir -p /tmp/work && head -c 8 /dev/urandom > /tmp/work/scratch'
        + ' && echo "built $(date "+%Y-%m-%d %H:%M:%S") by $(head -c 4 /dev/urandom | od -An -tx4 | tr -d " ")" > /etc/build-info',
      'RUN echo also-stable > /also',
      '',
    ].join('\n'));
    const r = check(dir, '-q', '--build-arg', 'SOURCE_DATE_EPOCH=1700000000');
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0] as string, /^not reproducible: two clean builds differ \(SOURCE_DATE_EPOCH=1700000000\): 1 of 4 layers$/);
    assert.match(r.stdout, /^ {2}build 1: manifest sha256:[0-9a-f]{64}, image id sha256:[0-9a-f]{64}$/m);
    const layer = r.stdout.slice(r.stdout.indexOf('\nlayer '));
    assert.match(layer, /^layer 3\/4: \[3\/4\] RUN head -c 32 \/dev\/urandom > \/random .* \(Dockerfile:3\)$/m);
    assert.match(layer, /^ {2}\/random\s+content \(32B \/ 32B\)$/m);
    assert.match(layer, /^ {2}\/tmp\/work\/scratch\s+content \(8B \/ 8B\)$/m);
    assert.match(layer, /^ {2}hint \(\/tmp\/work\/scratch\): temporary files and caches left by the step/m);
    // A small text file: the lines that differ are shown, and a date in them is named as the likely cause.
    assert.match(layer, /^ {2}\/etc\/build-info\s+content \(\d+B \/ \d+B\)\n {6}-built \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by [0-9a-f]{8}\n {6}\+built /m);
    assert.match(layer, /^ {2}hint \(\/etc\/build-info\): the file records when it was made/m);
    assert.doesNotMatch(r.stdout, /stable|also/);
    assertNothingLeft(store, base);
  });

  test('a check on a Dockerfile that fails to build: a clear error, exit 1, nothing left', () => {
    const dir = context(`FROM ${busyboxImage}\nRUN echo fine > /fine\nRUN echo failing && exit 3\n`);
    const r = check(dir);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^(berth: |Error response from daemon: )Dockerfile:3:1: .*exit code: 3/m);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    assertNothingLeft(store, base);
    const missing = check(context('FROM nosuch/image:1\nRUN true\n'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^(berth: |Error response from daemon: )Dockerfile:1:1: /m);
    assert.doesNotMatch(missing.stderr, /\n\s+at |internal error/);
  });

  test('flags the check cannot honour are refused before anything is built', () => {
    const dir = context(`FROM ${busyboxImage}\nRUN true\n`);
    for (const [flags, message] of [[['-t', 'x:1'], /names no image/], [['--explain-cache'], /uses no build cache/]] as const) {
      const r = check(dir, ...flags);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    }
    const help = store.berth(['build', '--help']);
    assert.match(help.stdout, /--check-reproducible\s+Build twice from clean state/);
  });

  test('Ctrl-C during the check stops both builds and leaves nothing', async () => {
    const dir = context(`FROM ${busyboxImage}\nRUN echo before > /before\nRUN echo started && sleep 60\n`);
    const child = spawn(berthBin, ['build', '--check-reproducible', '--network', 'none', '--progress', 'plain', dir], {
      env: { ...process.env, BERTH_ROOT: store.root }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const bothStarted = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if ((stderr.match(/^#\d+ \d+\.\d+ started$/gm) ?? []).length >= 2) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await bothStarted;
    const t0 = Date.now();
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 1, stderr.slice(-2000));
    assert.ok(Date.now() - t0 < 20_000, 'the sleeping steps were stopped');
    assert.match(stderr, /^(berth: |Error response from daemon: )The reproducibility check was interrupted$/m);
    assertNothingLeft(store, base);
  });
});

describe('build --check-reproducible on Debian (slow)', { concurrency: false }, () => {
  let store: Store;
  let base: string[];
  before(() => {
    store = createStore({ timeoutMs: 900_000 });
    useDebianBase(store);
    base = imagesNow(store);
  });
  after(() => store.dispose());

  test('examples/python-native is reproducible', () => {
    const r = store.berth(['build', '--check-reproducible', '-q', join(repoRoot, 'examples', 'python-native')]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-4000)}`);
    assert.match(r.stdout, /^reproducible: two clean builds gave the same image \(SOURCE_DATE_EPOCH=0, \d+ layers\)\n/);
    assertNothingLeft(store, base);
  });

  test("apt's binary caches and logs and ldconfig's aux-cache are named, with the steps that wrote them", () => {
    // apt installs a package built in the step itself, so the test needs no network (it used
    // Debian's archive, and a stall there failed it in CI; the stall was berth's bridge changing its
    // MAC address, see networks.test.ts). Like a library package, it ships a shared library (a
    // copy of zlib) and triggers ldconfig.
    const control = 'Package: berth-probe\\nVersion: 1\\nArchitecture: all\\nMaintainer: berth\\nDescription: probe\\n';
    const dir = context([
      'FROM debian:bookworm-slim',
      // docker-clean (Docker's Debian images have it) would delete the *.bin caches after each apt run.
      `RUN rm -f /etc/apt/apt.conf.d/docker-clean && mkdir -p /tmp/probe/DEBIAN /tmp/probe/usr/local/lib && cp -L /lib/*/libz.so.1 /tmp/probe/usr/local/lib/libberthprobe.so.1 && printf '${control}' > /tmp/probe/DEBIAN/control && echo 'activate-noawait ldconfig' > /tmp/probe/DEBIAN/triggers && dpkg-deb -b /tmp/probe /tmp/probe.deb && apt-get install -y /tmp/probe.deb && rm -rf /tmp/probe /tmp/probe.deb`,
      'RUN ldconfig',
      '',
    ].join('\n'));
    const r = store.berth(['build', '--check-reproducible', '-q', dir]);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr.slice(-4000)}`);
    const sections = r.stdout.split('\n\n');
    const apt = sections.find((s) => s.startsWith('layer ') && s.includes('apt-get install'));
    const ldconfig = sections.find((s) => /^layer \d+\/\d+: \[3\/3\] RUN ldconfig \(Dockerfile:3\)$/m.test(s));
    assert.ok(apt, r.stdout);
    assert.ok(ldconfig, r.stdout);
    assert.match(apt, /^layer \d+\/\d+: \[2\/3\] RUN rm -f \/etc\/apt\/apt\.conf\.d\/docker-clean .* \(Dockerfile:2\)$/m);
    // pkgcache.bin records the time of dpkg's status file; srcpkgcache.bin, made from the lists, differs only sometimes.
    for (const file of ['/var/cache/apt/pkgcache.bin', '/var/cache/ldconfig/aux-cache', '/var/log/dpkg.log']) {
      assert.match(apt, new RegExp(`^ {2}${file.replace(/\./g, '\\.')}\\s+content `, 'm'));
    }
    assert.match(apt, /^ {2}hint \(\/var\/cache\/apt\/pkgcache\.bin(, \/var\/cache\/apt\/srcpkgcache\.bin)?\): apt's binary package caches/m);
    assert.match(apt, /^ {2}hint \(\/var\/cache\/ldconfig\/aux-cache\): ldconfig's auxiliary cache/m);
    assert.match(ldconfig, /^ {2}\/var\/cache\/ldconfig\/aux-cache\s+content /m);
    assertNothingLeft(store, base);
  });
});
