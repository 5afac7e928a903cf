/**
 * `berth image bootstrap debian:bookworm-slim` against the image Debian publishes (slow: two real
 * bootstraps from Debian's archive, ~1 min each; every other assertion reuses the first).
 *
 * The reference is the official debian:bookworm-20260824-slim (linux/amd64), as recorded by
 * docker-library/repo-info (repos/debian/local/bookworm-20260824-slim.md at commit 029a6a73):
 * "Virtual Size: ~ 74.83 Mb (total size of all layers on-disk)" and its 88 binary packages below.
 * No registry is reachable here, so the figures are that record's, not a pull's. Berth's image
 * is made by debuerreotype's own scripts, so its slim file list is checked against the recipe's
 * invariants, read from the installed debuerreotype (.slimify-excludes / .slimify-includes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import type { BuildStore, TreeEntry } from './build-harness.js';
import { imageConfigBlob, imageTree, inspectImage } from './build-harness.js';
import { createStore } from './harness.js';

const image = 'debian:bookworm-slim';
const officialSize = 74.83e6;
const officialPackages = `adduser apt base-files base-passwd bash bsdutils coreutils dash debconf debian-archive-keyring
debianutils diffutils dpkg e2fsprogs findutils gcc-12-base gpgv grep gzip hostname init-system-helpers libacl1
libapt-pkg6.0 libattr1 libaudit-common libaudit1 libblkid1 libbz2-1.0 libc-bin libc6 libcap-ng0 libcap2 libcom-err2
libcrypt1 libdb5.3 libdebconfclient0 libext2fs2 libffi8 libgcc-s1 libgcrypt20 libgmp10 libgnutls30 libgpg-error0
libhogweed6 libidn2-0 liblz4-1 liblzma5 libmd0 libmount1 libnettle8 libp11-kit0 libpam-modules libpam-modules-bin
libpam-runtime libpam0g libpcre2-8-0 libseccomp2 libselinux1 libsemanage-common libsemanage2 libsepol2 libsmartcols1
libss2 libstdc++6 libsystemd0 libtasn1-6 libtinfo6 libudev1 libunistring2 libuuid1 libxxhash0 libzstd1 login logsave
mawk mount ncurses-base ncurses-bin passwd perl-base sed sysvinit-utils tar tzdata usr-is-merged util-linux
util-linux-extra zlib1g`.split(/\s+/);

/** An empty store (no busybox), whose commands may run 15 minutes (a bootstrap on a busy machine). */
const emptyStore = (): BuildStore => createStore({ timeoutMs: 900_000 });

/** debuerreotype's list (one glob a line, # comments), as installed on this host. */
function slimifyList(name: string): string[] {
  return readFileSync(`/usr/share/debuerreotype/scripts/.slimify-${name}`, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** A shell glob (`*` within a path) as a regular expression: dpkg's path-exclude matching. */
function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

describe('image bootstrap debian:bookworm-slim (debuerreotype recipe)', { concurrency: false }, () => {
  let store: BuildStore;
  let id = '';
  let files: TreeEntry[] = [];
  let run: (cmd: string) => string;

  before(async () => {
    store = emptyStore();
    const r = store.berth(['image', 'bootstrap', '-q', image]);
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    id = r.stdout.trim();
    files = (await imageTree(store, image)).files;
    run = (cmd) => {
      const c = store.berth(['run', '--rm', image, 'sh', '-c', cmd]);
      assert.equal(c.code, 0, c.stderr);
      return c.stdout;
    };
  });
  after(() => store.dispose());

  test('one image, tagged, with the official config: bash, PATH, the host architecture, created at the archive epoch', () => {
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const all = store.berth(['images', '-a', '-q', '--no-trunc']).stdout.trim().split('\n');
    assert.deepEqual(all, [id], 'no dangling image from the import step');
    const inspected = inspectImage(store, image) as unknown as { Architecture: string; Os: string; Created: string; Config: { Cmd: string[]; Env: string[] } };
    assert.deepEqual(inspected.Config.Cmd, ['bash']);
    assert.deepEqual(inspected.Config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.equal(`${inspected.Os}/${inspected.Architecture}`, `linux/${({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch}`);
    const config = imageConfigBlob(store, image);
    const epoch = /epoch (\d+)\)$/.exec(config.history?.[0]?.created_by ?? '')?.[1];
    assert.ok(epoch, config.history?.[0]?.created_by);
    assert.equal(config.created, new Date(Number(epoch) * 1000).toISOString());
    assert.match(config.history?.[0]?.created_by ?? '', /debuerreotype \S+, debootstrap \S+; http\S+\/debian bookworm bookworm-updates, http\S+\/debian-security bookworm-security;/);
  });

  test('the packages are the official bookworm-slim image\'s, each with its copyright file', () => {
    const packages = run("dpkg-query -W -f '${Package}\\n'").trim().split('\n').sort();
    assert.deepEqual(packages, [...officialPackages].sort());
    const byPath = new Map(files.map((f) => [f.path, f]));
    for (const p of packages) {
      // A package may share another's documentation directory (libgcc-s1 -> gcc-12-base).
      const dir = byPath.get(`/usr/share/doc/${p}`);
      const target = dir?.type === 'symlink' ? `/usr/share/doc/${dir.linkTarget ?? ''}` : `/usr/share/doc/${p}`;
      assert.equal(byPath.get(`${target}/copyright`)?.type, 'file', `${p}: ${target}/copyright`);
    }
  });

  test('slim: nothing that debuerreotype-slimify excludes is left, except what it keeps', () => {
    const excludes = slimifyList('excludes').map(globRegExp);
    const includes = slimifyList('includes').map(globRegExp);
    const kept = files.filter((f) => f.type !== 'dir' && f.type !== 'symlink' && excludes.some((r) => r.test(f.path)));
    const notAllowed = kept.filter((f) => !includes.some((r) => r.test(f.path)));
    assert.deepEqual(notAllowed.map((f) => f.path), []);
    // What it keeps: the copyright files (one per documentation directory), nothing else.
    assert.ok(kept.length >= 80, `${kept.length} copyright files`);
    assert.deepEqual(kept.filter((f) => !f.path.endsWith('/copyright')).map((f) => f.path), []);
    // No manual pages (their section directories stay, empty, as slimify leaves them), no locales.
    assert.deepEqual(files.filter((f) => /^\/usr\/share\/(man|locale|info)\//.test(f.path) && f.type !== 'dir').map((f) => f.path), []);
    // And dpkg keeps it so: the image's dpkg configuration names every exclude and include.
    const dpkgConfig = run('cat /etc/dpkg/dpkg.cfg.d/docker');
    for (const e of slimifyList('excludes')) assert.ok(dpkgConfig.includes(`path-exclude ${e}\n`), e);
    for (const i of slimifyList('includes')) assert.ok(dpkgConfig.includes(`path-include ${i}\n`), i);
  });

  test('minimizing config: policy-rc.d, APT\'s docker-* settings, dpkg\'s unsafe-io; APT lists and caches empty; no logs', () => {
    const byPath = new Map(files.map((f) => [f.path, f]));
    for (const p of ['/etc/apt/apt.conf.d/docker-clean', '/etc/apt/apt.conf.d/docker-gzip-indexes', '/etc/apt/apt.conf.d/docker-no-languages',
      '/etc/apt/apt.conf.d/docker-autoremove-suggests', '/etc/dpkg/dpkg.cfg.d/docker-apt-speedup', '/usr/sbin/policy-rc.d']) {
      assert.equal(byPath.get(p)?.type, 'file', p);
    }
    assert.equal(byPath.get('/usr/sbin/policy-rc.d')?.mode, '0755');
    assert.match(run('cat /etc/apt/apt.conf.d/docker-clean'), /^Dir::Cache::pkgcache "";$/m);
    assert.match(byPath.get('/etc/apt/apt.conf.d/docker-no-languages')?.text ?? '', /^Acquire::Languages "none";$/m);
    assert.match(byPath.get('/etc/apt/apt.conf.d/docker-gzip-indexes')?.text ?? '', /^Acquire::GzipIndexes "true";$/m);
    assert.match(byPath.get('/usr/sbin/policy-rc.d')?.text ?? '', /^exit 101$/m);
    const under = (dir: string) => files.filter((f) => f.path.startsWith(`${dir}/`)).map((f) => f.path);
    assert.deepEqual(under('/var/lib/apt/lists'), []);
    assert.deepEqual(under('/var/cache/apt'), []);
    for (const p of ['/etc/machine-id', '/var/log/dpkg.log', '/var/log/alternatives.log', '/var/log/apt/history.log', '/var/log/apt/term.log', '/var/cache/ldconfig/aux-cache']) {
      assert.equal(byPath.get(p), undefined, p);
    }
    const sources = byPath.get('/etc/apt/sources.list.d/debian.sources')?.text ?? '';
    assert.match(sources, /^Suites: bookworm bookworm-updates$/m);
    assert.match(sources, /^Suites: bookworm-security$/m);
    assert.equal(byPath.get('/etc/apt/sources.list'), undefined, 'deb822 sources only, as in the official image');
  });

  test(`size within 10% of the official image's ${officialSize / 1e6} MB`, () => {
    const size = inspectImage(store, image) as unknown as { Size: number };
    assert.ok(Math.abs(size.Size - officialSize) / officialSize <= 0.1, `berth's layer (tar) size ${size.Size}`);
    // Docker's figure counts the files on disk, not tar headers: the files' bytes are closer still.
    const bytes = files.reduce((s, f) => s + (f.type === 'file' ? f.size ?? 0 : 0), 0);
    assert.ok(Math.abs(bytes - officialSize) / officialSize <= 0.1, `files' bytes ${bytes}`);
  });

  test('a second bootstrap, in a fresh store, of the same suite and archive state gives the same digest', () => {
    const other = emptyStore();
    try {
      const r = other.berth(['image', 'bootstrap', '-q', image]);
      assert.equal(r.code, 0, r.stderr.slice(-4000));
      const epochOf = (s: BuildStore) => /epoch (\d+)\)$/.exec(imageConfigBlob(s, image).history?.[0]?.created_by ?? '')?.[1];
      // A Release published between the two runs (a security update) is a new archive state: a new epoch.
      if (epochOf(other) !== epochOf(store)) {
        assert.notEqual(r.stdout.trim(), id);
        return;
      }
      assert.equal(r.stdout.trim(), id);
      assert.equal(inspectImage(other, image).ManifestDigest, inspectImage(store, image).ManifestDigest);
    } finally {
      other.dispose();
    }
  });
});

describe('image bootstrap: bad input fails at once, naming the thing', () => {
  let store: BuildStore;
  before(() => {
    store = emptyStore();
  });
  after(() => store.dispose());

  const fails = (args: string[], pattern: RegExp) => {
    const started = Date.now();
    const r = store.berth(['image', 'bootstrap', ...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(Date.now() - started < 30_000, 'fails before any bootstrap work');
    assert.equal(store.berth(['images', '-a', '-q']).stdout, '');
  };

  test('an unknown suite', () => fails(['debian:nosuchsuite-slim'], /Cannot find Debian suite "nosuchsuite" at "http\S+"/));
  test('an architecture the suite does not have', () => fails(['--arch', 'nosucharch', image], /Debian suite "bookworm" has no architecture "nosucharch" \(it has: .*amd64/));
  test('a malformed architecture', () => fails(['--arch', '../amd64', image], /"\.\.\/amd64" is not a Debian architecture name/));
  test('not a Debian image', () => fails(['ubuntu:noble'], /Cannot bootstrap "ubuntu:noble": expected debian:SUITE or debian:SUITE-slim/));
  test('an architecture this host cannot run', (t) => {
    const foreign = process.arch === 'arm64' ? 's390x' : 'arm64';
    if (spawnSync('arch-test', [foreign]).status === 0) {
      t.skip(`this host runs ${foreign} programs (binfmt_misc)`);
      return;
    }
    fails(['--arch', foreign, image], new RegExp(`Cannot bootstrap "${image}" for architecture "${foreign}": this \\S+ host cannot run ${foreign} programs`));
  });
});
