/**
 * The headline story end to end (slow: Debian's archive, ~1-2 min): bootstrap debian:bookworm-slim
 * with mmdebstrap, build examples/python-native, run it and get the README's output; the final
 * image has Python and the library but no compiler. Then reproducibility: two clean stores
 * building the example with SOURCE_DATE_EPOCH give the same manifest digest.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import type { BuildStore } from './build-test-harness.js';
import { createBuildStore, inspectImage, repoRoot } from './build-test-harness.js';

const example = join(repoRoot, 'examples', 'python-native');

function bootstrap(store: BuildStore): void {
  const r = store.berth(['image', 'bootstrap', '-q', 'debian:bookworm-slim']);
  assert.equal(r.code, 0, r.stderr);
}

/**
 * apt and ldconfig write logs and a cache holding the current time (/var/log/dpkg.log,
 * /var/log/apt/*.log, /var/cache/ldconfig/aux-cache); a reproducible image must not keep them.
 * Adds their removal to the runtime stage's RUN lines when the example does not do it yet.
 */
function reproducibleExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-example-'));
  spawnSync('cp', ['-a', `${example}/.`, dir]);
  let text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  if (!text.includes('aux-cache')) {
    text = text
      .replace(/(apt-get install -y --no-install-recommends python3)\n/, '$1 \\\n && rm -rf /var/log/apt/*.log /var/log/dpkg.log /var/cache/ldconfig/aux-cache\n')
      .replace(/^RUN ldconfig\n/m, 'RUN ldconfig && rm -f /var/cache/ldconfig/aux-cache\n');
  }
  writeFileSync(join(dir, 'Dockerfile'), text);
  return dir;
}

describe('examples/python-native', { concurrency: false }, () => {
  test('bootstrap, build and run print the README output; no compiler in the image', () => {
    const store = createBuildStore();
    try {
      bootstrap(store);
      const apt = store.berth(['run', '--rm', 'debian:bookworm-slim', 'cat', '/etc/apt/sources.list']);
      assert.match(apt.stdout, /^deb http\S+ bookworm main/m);
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
    const dir = reproducibleExample();
    const stores = [createBuildStore(), createBuildStore()];
    try {
      const digests = await Promise.all(stores.map(async (s) => {
        bootstrap(s);
        const r = s.berth(['build', '-q', '-t', 'python-native', dir], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
        assert.equal(r.code, 0, r.stderr.slice(-4000));
        return inspectImage(s, 'python-native').ManifestDigest;
      }));
      assert.equal(digests[0], digests[1]);
    } finally {
      stores.forEach((s) => s.dispose());
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
