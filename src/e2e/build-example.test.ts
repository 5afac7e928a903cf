/**
 * The headline story end to end (slow: Debian's archive, ~1-2 min): bootstrap debian:bookworm-slim
 * (debuerreotype's recipe), build examples/python-native, run it and get the README's output; the final
 * image has Python and the library but no compiler. Then reproducibility: two clean stores
 * building the example with SOURCE_DATE_EPOCH give the same manifest digest; when they do not, the
 * failure names the files that differ.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { useDebianBase } from './debian-base.js';

import type { BuildStore } from './build-harness.js';
import { createBuildStore, inspectImage } from './build-harness.js';
import { repoRoot } from './harness.js';

const example = join(repoRoot, 'examples', 'python-native');

/** The base, bootstrapped once a day for all the tests that need it (debian-base.ts). */
function bootstrap(store: BuildStore): void {
  useDebianBase(store);
}

describe('examples/python-native', { concurrency: false }, () => {
  test('bootstrap, build and run print the README output; no compiler in the image', () => {
    const store = createBuildStore();
    try {
      bootstrap(store);
      const apt = store.berth(['run', '--rm', 'debian:bookworm-slim', 'cat', '/etc/apt/sources.list.d/debian.sources']);
      assert.equal(apt.code, 0, apt.stderr);
      assert.match(apt.stdout, /^URIs: http\S+\n^Suites: bookworm\b/m);
      const built = store.berth(['build', '--progress', 'plain', '-t', 'python-native', example]);
      assert.equal(built.code, 0, built.stderr.slice(-4000));
      const run = store.berth(['run', '--rm', 'python-native']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, readFileSync(join(example, 'expected-output.txt'), 'utf8'));
      const gcc = store.berth(['run', '--rm', '--entrypoint', 'sh', 'python-native', '-c', 'command -v gcc cc make || echo none']);
      assert.equal(gcc.stdout.trim(), 'none');
      const rebuilt = store.berth(['build', '--progress', 'plain', '-t', 'python-native', example]);
      assert.equal(rebuilt.code, 0);
      assert.equal((rebuilt.stderr.match(/^#\d+ CACHED$/gm) ?? []).length, 9, rebuilt.stderr);
    } finally {
      store.dispose();
    }
  });

  test('two clean builds with SOURCE_DATE_EPOCH give the same manifest digest', (t) => {
    // Debian's archive is an input of this build: deb.debian.org is a CDN whose servers can be
    // minutes apart, so two builds a few seconds apart once installed different package versions
    // (the digests differed in CI with no berth change). The packages each build downloaded are
    // in its apt cache mount; when they differ the inputs did, and the pair is built again.
    for (let attempt = 1; ; attempt++) {
      const stores = [createBuildStore(), createBuildStore()];
      try {
        const digests = stores.map((s) => {
          bootstrap(s);
          const r = s.berth(['build', '-q', '-t', 'python-native', example], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
          assert.equal(r.code, 0, r.stderr.slice(-4000));
          return inspectImage(s, 'python-native').ManifestDigest;
        });
        if (digests[0] === digests[1]) return;
        const packages = stores.map(downloadedPackages);
        if (attempt === 1 && packages[0] !== packages[1]) {
          t.diagnostic(`the archive served different packages to the two builds; building again:\n${packages.join('\n----\n')}`);
          continue;
        }
        assert.fail(`the two builds differ (${digests.join(' and ')}); the same packages were installed.\n${imageDifference(stores[0] as BuildStore, stores[1] as BuildStore)}`);
      } finally {
        stores.forEach((s) => s.dispose());
      }
    }
  });
});

/** The .deb files the store's builds downloaded into their apt cache mounts (names carry the versions). */
function downloadedPackages(store: BuildStore): string {
  const mounts = join(store.root, 'build-cache', 'mounts');
  const debs: string[] = [];
  for (const mount of readdirSync(mounts)) {
    const archives = join(mounts, mount, 'archives');
    if (existsSync(archives)) debs.push(...readdirSync(archives).filter((name) => name.endsWith('.deb')));
  }
  return debs.sort().join('\n');
}

/** What `image diff` says between the second store's image and the first's, for the failure message. */
function imageDifference(first: BuildStore, second: BuildStore): string {
  const tar = join(first.root, 'second-build.tar');
  const steps = [
    second.berth(['save', '-o', tar, 'python-native']),
    first.berth(['tag', 'python-native', 'python-native:first']),
    first.berth(['load', '-q', '-i', tar]),
  ];
  const failed = steps.find((r) => r.code !== 0);
  if (failed !== undefined) return `(no diff: ${failed.stderr})`;
  return first.berth(['image', 'diff', '--content', 'python-native:first', 'python-native']).stdout.slice(0, 8000);
}
