/**
 * Layer cache and reproducibility, end to end through `berth build` (root, real runtime).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { BuildStore } from './build-harness.js';
import { createBuildStore, imageConfigBlob, imageTree, inspectImage } from './build-harness.js';

const dockerfile = `FROM berth-test/busybox:1
ARG FLAVOR=plain
COPY a.txt /a.txt
RUN cat /a.txt > /a-copy.txt
COPY src/ /src/
RUN echo "flavor=$FLAVOR" > /flavor.txt
RUN ls /src > /src-list.txt
`;

/** Step labels marked CACHED in plain progress output, and those that ran. */
function steps(stderr: string): { cached: string[]; ran: string[] } {
  const labels = new Map<string, string>();
  const cached = new Set<string>();
  for (const line of stderr.split('\n')) {
    const m = /^#(\d+) (\[.*)$/.exec(line);
    if (m) labels.set(m[1] as string, m[2] as string);
    const c = /^#(\d+) CACHED$/.exec(line);
    if (c) cached.add(c[1] as string);
  }
  const all = [...labels].filter(([, l]) => !/\] FROM /.test(l));
  return { cached: all.filter(([n]) => cached.has(n)).map(([, l]) => l), ran: all.filter(([n]) => !cached.has(n)).map(([, l]) => l) };
}

describe('build cache', { concurrency: false }, () => {
  let store: BuildStore;
  let ctx: string;
  const build = (...extra: string[]) => {
    const r = store.berth(['build', '--progress', 'plain', '--network', 'none', '-t', 'cache-test', ...extra, ctx]);
    assert.equal(r.code, 0, r.stderr);
    return r;
  };

  before(() => {
    store = createBuildStore();
    ctx = mkdtempSync(join(tmpdir(), 'berth-cache-ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    writeFileSync(join(ctx, 'a.txt'), 'a\n');
    mkdirSync(join(ctx, 'src'));
    writeFileSync(join(ctx, 'src', 'main.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(ctx, 'src', 'debug.log'), 'noise\n');
    writeFileSync(join(ctx, 'unrelated.txt'), 'not copied\n');
    writeFileSync(join(ctx, '.dockerignore'), '**/*.log\n');
  });
  after(() => {
    store.dispose();
    rmSync(ctx, { recursive: true, force: true });
  });

  test('a second build is fully cached and gives the same image', () => {
    build();
    const first = inspectImage(store, 'cache-test');
    const r = build();
    assert.deepEqual(steps(r.stderr).ran, []);
    assert.equal(steps(r.stderr).cached.length, 5);
    const second = inspectImage(store, 'cache-test');
    assert.deepEqual(second.RootFS.Layers, first.RootFS.Layers);
    assert.equal(second.Id, first.Id, 'history times come from the cache: the same image');
  });

  test('touching or changing files no COPY takes (ignored or not copied) keeps the cache', () => {
    writeFileSync(join(ctx, 'unrelated.txt'), 'changed, still not copied\n');
    writeFileSync(join(ctx, 'src', 'debug.log'), 'ignored by .dockerignore\n');
    for (const f of ['a.txt', 'src/main.c']) writeFileSync(join(ctx, f), readFileSync(join(ctx, f))); // new mtimes, same content
    assert.deepEqual(steps(build().stderr).ran, []);
  });

  test('changing one copied file rebuilds from its COPY on', () => {
    writeFileSync(join(ctx, 'src', 'main.c'), 'int main(void) { return 1; }\n');
    const s = steps(build().stderr);
    assert.deepEqual(s.cached.map((l) => l.split('] ')[1]), ['COPY a.txt /a.txt', 'RUN cat /a.txt > /a-copy.txt']);
    assert.deepEqual(s.ran.map((l) => l.split('] ')[1]), ['COPY src/ /src/', 'RUN echo "flavor=$FLAVOR" > /flavor.txt', 'RUN ls /src > /src-list.txt']);
  });

  test('changing a build arg rebuilds from its first use', () => {
    const r = build('--build-arg', 'FLAVOR=spicy');
    const s = steps(r.stderr);
    // Every RUN sees the ARG in its environment: the first RUN after the ARG is its first use.
    assert.deepEqual(s.cached.map((l) => l.split('] ')[1]), ['COPY a.txt /a.txt']);
    assert.equal(s.ran.length, 4);
  });

  test('--explain-cache names the input that changed', () => {
    writeFileSync(join(ctx, 'a.txt'), 'a changed\n');
    const r = build('--build-arg', 'FLAVOR=spicy', '--explain-cache');
    assert.match(r.stderr, /cache: \[2\/6\] COPY a\.txt \/a\.txt: not cached, changed: sources/);
  });

  test('--no-cache runs every step', () => {
    assert.equal(steps(build('--build-arg', 'FLAVOR=spicy', '--no-cache').stderr).cached.length, 0);
  });

  test('a cache mount keeps its files between builds and never appears in a layer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cache-mount-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM berth-test/busybox:1
RUN --mount=type=cache,target=/var/cache/thing,id=thing echo run >> /var/cache/thing/runs && wc -l < /var/cache/thing/runs > /runs.txt
`);
      for (let i = 0; i < 2; i++) {
        const r = store.berth(['build', '--no-cache', '--network', 'none', '-t', 'cache-mount', dir]);
        assert.equal(r.code, 0, r.stderr);
      }
      const tree = await imageTree(store, 'cache-mount', 'berth-test/busybox:1');
      const runs = tree.files.find((f) => f.path === '/runs.txt');
      assert.equal(runs?.text?.trim(), '2');
      assert.ok(!tree.files.some((f) => f.path.startsWith('/var/cache/thing/')), JSON.stringify(tree.files));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sharing=locked serialises parallel stages using the same cache mount; sharing=shared lets them overlap', async () => {
    // Each stage marks itself running in the cache and waits to see the other stage running too.
    // With sharing=shared they meet, which shows the stages do run at the same time (the control:
    // it waits up to 20 s, and goes on as soon as they meet); with sharing=locked neither may ever
    // see the other, watched for 3 s per stage.
    const dir = mkdtempSync(join(tmpdir(), 'berth-cache-locked-'));
    try {
      const build = async (sharing: 'locked' | 'shared') => {
        const polls = sharing === 'shared' ? 400 : 60;
        const stage = (me: string, other: string) => `FROM berth-test/busybox:1 AS ${me}
RUN --mount=type=cache,id=overlap-${sharing},target=/c,sharing=${sharing} touch /c/${me}-running && i=0; while [ ! -e /c/${other}-running ] && [ $i -lt ${polls} ]; do i=$((i+1)); sleep 0.05; done; if [ -e /c/${other}-running ]; then echo ${me}-met-${other} >> /c/log; else echo ${me}-alone >> /c/log; fi; sleep 0.2; rm /c/${me}-running; touch /${me}
`;
        writeFileSync(join(dir, 'Dockerfile'), `${stage('a', 'b')}${stage('b', 'a')}FROM berth-test/busybox:1
COPY --from=a /a /a
COPY --from=b /b /b
RUN --mount=type=cache,id=overlap-${sharing},target=/c cp /c/log /log.txt
`);
        const r = store.berth(['build', '--no-cache', '--network', 'none', '-t', `overlap-${sharing}`, dir]);
        assert.equal(r.code, 0, r.stderr);
        const log = (await imageTree(store, `overlap-${sharing}`, 'berth-test/busybox:1')).files.find((f) => f.path === '/log.txt')?.text ?? '';
        return log.trim().split('\n').sort();
      };
      assert.deepEqual(await build('shared'), ['a-met-b', 'b-met-a'], 'unlocked, the stages overlap');
      assert.deepEqual(await build('locked'), ['a-alone', 'b-alone'], 'locked, never');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reproducible builds', () => {
  test('two clean stores with SOURCE_DATE_EPOCH give the same manifest digest', () => {
    const ctx = mkdtempSync(join(tmpdir(), 'berth-repro-ctx-'));
    const stores = [createBuildStore(), createBuildStore()];
    try {
      writeFileSync(join(ctx, 'Dockerfile'), `FROM berth-test/busybox:1
COPY app.txt /app/
RUN mkdir -p /out && echo built > /out/result && ln -s result /out/link
WORKDIR /srv
CMD ["cat", "/out/result"]
`);
      writeFileSync(join(ctx, 'app.txt'), 'app\n');
      const digests = stores.map((s) => {
        const r = s.berth(['build', '--network', 'none', '-t', 'repro', ctx], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
        assert.equal(r.code, 0, r.stderr);
        return inspectImage(s, 'repro').ManifestDigest;
      });
      assert.equal(digests[0], digests[1]);
      const config = imageConfigBlob(stores[0] as BuildStore, 'repro');
      assert.equal(config.created, '2023-11-14T22:13:20.000Z');
    } finally {
      stores.forEach((s) => s.dispose());
      rmSync(ctx, { recursive: true, force: true });
    }
  });
});
