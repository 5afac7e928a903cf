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
import { startRegistry } from './docker-registry.js';

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

describe('--cache-from', () => {
  test('an image built with BUILDKIT_INLINE_CACHE=1, pushed and pulled elsewhere, serves that store\'s build of the same inputs: same image; changed inputs still run', async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'berth-cache-from-ctx-'));
    const work = mkdtempSync(join(tmpdir(), 'berth-cache-from-registry-'));
    const stores = [createBuildStore(), createBuildStore()] as const;
    const registry = await startRegistry(work);
    const app = `${registry.host}/app:1`;
    try {
      // A RUN whose output differs each time it runs: equal stamps mean the layer came from the cache.
      // The base comes from the registry too, as on two CI machines (each test store made its own busybox).
      const base = `${registry.host}/base:1`;
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nCOPY app.txt /app/\nRUN cat /proc/sys/kernel/random/uuid > /stamp\nENV MODE=prod\nRUN cat /app/app.txt /stamp > /both\n`);
      writeFileSync(join(ctx, 'app.txt'), 'app\n');
      const [first, second] = stores;
      assert.equal(first.berth(['tag', 'berth-test/busybox:1', base]).code, 0);
      assert.equal(first.berth(['push', base]).code, 0);
      const made = first.berth(['build', '--network', 'none', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', app, ctx]);
      assert.equal(made.code, 0, made.stderr);
      assert.doesNotMatch(made.stderr, /were not consumed/, 'BUILDKIT_INLINE_CACHE is the builder\'s own');
      const pushed = first.berth(['push', app]);
      assert.equal(pushed.code, 0, pushed.stderr);
      // The second store has the image as pulled (its layers gzipped), not the build cache.
      const pulled = second.berth(['pull', app]);
      assert.equal(pulled.code, 0, pulled.stderr);
      const build = (...extra: string[]) => {
        const r = second.berth(['build', '--progress', 'plain', '--network', 'none', ...extra, ctx]);
        assert.equal(r.code, 0, r.stderr);
        return r;
      };
      const cached = build('--cache-from', app, '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', 'app:2');
      assert.deepEqual(steps(cached.stderr).ran, [], cached.stderr);
      assert.equal(inspectImage(second, 'app:2').Id, inspectImage(first, app).Id, 'the same image, inline cache included');
      const stamp = (s: BuildStore, ref: string) => s.berth(['run', '--rm', '--network', 'none', ref, 'cat', '/stamp']).stdout;
      assert.match(stamp(first, app), /^[0-9a-f-]{36}\n$/);
      assert.equal(stamp(second, 'app:2'), stamp(first, app));
      // Without --cache-from the store has nothing to reuse (the cache came from the image) ...
      assert.equal(second.berth(['builder', 'prune', '-af']).code, 0);
      const alone = build('-t', 'app:3');
      assert.equal(steps(alone.stderr).cached.length, 0, alone.stderr);
      assert.notEqual(stamp(second, 'app:3'), stamp(first, app));
      // ... and a changed file runs its COPY and what follows, whatever the image says.
      assert.equal(second.berth(['builder', 'prune', '-af']).code, 0);
      writeFileSync(join(ctx, 'app.txt'), 'changed\n');
      const changed = build('--cache-from', app, '-t', 'app:4');
      assert.deepEqual(steps(changed.stderr).cached, [], changed.stderr);
      // An image without an inline cache, and one not stored, are said and skipped.
      const none = build('--cache-from', 'app:3', '--cache-from', 'nosuch:1', '--no-cache');
      assert.match(none.stderr, /--cache-from app:3: the image carries no build cache/);
      assert.match(none.stderr, /--cache-from nosuch:1: no such image \(pull it first\)/);
    } finally {
      stores.forEach((s) => s.dispose());
      registry.child.kill('SIGKILL');
      rmSync(ctx, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });
});
