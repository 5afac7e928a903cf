/**
 * The headline story end to end (slow: Debian's archive, ~1-2 min): bootstrap debian:bookworm-slim
 * (debuerreotype's recipe), build examples/python-native, run it and get the README's output; the final
 * image has Python and the library but no compiler. Then reproducibility: two clean stores
 * building the example with SOURCE_DATE_EPOCH give the same manifest digest.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

  test('two clean builds with SOURCE_DATE_EPOCH give the same manifest digest', async () => {
    const stores = [createBuildStore(), createBuildStore()];
    try {
      const digests = await Promise.all(stores.map(async (s) => {
        bootstrap(s);
        const r = s.berth(['build', '-q', '-t', 'python-native', example], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
        assert.equal(r.code, 0, r.stderr.slice(-4000));
        return inspectImage(s, 'python-native').ManifestDigest;
      }));
      assert.equal(digests[0], digests[1]);
    } finally {
      stores.forEach((s) => s.dispose());
    }
  });
});
