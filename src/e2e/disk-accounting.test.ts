/**
 * Honest disk accounting and bounded collection (issue 13): on a store with layers shared by
 * images, build cache (an intermediate stage's layers, a cache mount), running and stopped
 * containers and volumes, `system df` adds up to the store's `du -sbx` (within 2%); `builder
 * prune` and `system prune` free what they report (du before and after); nothing in use is
 * removed; a prune killed with SIGKILL leaves a store `system check` finds consistent, and the
 * next prune finishes the work; the build cache limit evicts least recently used records, and a
 * limit berth cannot read is an error naming the setting.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

/** `6.178MB` → bytes (go-units' decimal sizes). */
function bytes(text: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB|TB)$/.exec(text.trim());
  assert.ok(m, `a size: ${JSON.stringify(text)}`);
  return Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 } as Record<string, number>)[m[2] as string]!;
}

const du = (root: string) => Number(spawnSync('du', ['-sbx', root]).stdout.toString().split('\t')[0]);

/** The four totals of `system df`, in bytes. */
function dfTotals(store: Store): number[] {
  const r = store.berth(['system', 'df', '--format', '{{.Size}}']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').map(bytes);
}

/** What a prune said it reclaimed. */
function reclaimed(stdout: string): number {
  const m = /^Total reclaimed space: (\S+)$/m.exec(stdout);
  assert.ok(m, stdout);
  return bytes(m[1] as string);
}

/** `reported` is what du saw leave: within 2% (sizes print with 4 digits), or 16 kB for small amounts (records, directories). */
function assertFreed(reported: number, before: number, after: number, what: string): void {
  const freed = before - after;
  assert.ok(Math.abs(reported - freed) <= Math.max(0.02 * freed, 16_000), `${what}: reported ${reported} bytes, du says ${freed} left (${before} → ${after})`);
}

/** A build context: a compiler-like stage whose 1.5 MB layer only the build cache keeps, a cache mount, a final image on busybox. */
function context(dir: string, tag: string, size = 1_500_000): string {
  const ctx = join(dir, tag);
  spawnSync('mkdir', ['-p', ctx]);
  writeFileSync(join(ctx, 'Dockerfile'), [
    `FROM ${busyboxImage} AS build`,
    `RUN --mount=type=cache,target=/cache head -c 500000 /dev/urandom > /cache/${tag} && head -c ${size} /dev/urandom > /artifact-${tag}`,
    `FROM ${busyboxImage}`,
    `COPY --from=build /artifact-${tag} /artifact`,
    `LABEL tag=${tag}`,
    '',
  ].join('\n'));
  return ctx;
}

describe('disk accounting and prune', { concurrency: false }, () => {
  let store: Store;
  let dir: string;
  const ok = (...args: string[]) => {
    const r = store.berth(args, { timeoutMs: 300_000 });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const build = (tag: string, size?: number) => ok('build', '-q', '--network', 'none', '-t', `disk/${tag}:1`, context(dir, tag, size));

  before(() => {
    store = createStore({ withBusybox: true });
    dir = mkdtempSync(join(tmpdir(), 'berth-disk-ctx-'));
  });
  after(() => {
    store?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('system df adds up to du -sbx of the store within 2%: shared layers, build cache, containers, volumes', () => {
    build('one');
    build('two', 800_000);
    ok('tag', 'disk/one:1', 'disk/alias:1');
    ok('run', '-d', '--name', 'running', '--network', 'none', '-v', 'diskvol:/data', 'disk/one:1', 'sh', '-c', 'head -c 2000000 /dev/urandom > /data/f; head -c 700000 /dev/urandom > /f; touch /done; sleep 600');
    for (let i = 0; i < 100 && store.berth(['exec', 'running', 'test', '-e', '/done']).code !== 0; i++) spawnSync('sleep', ['0.1']);
    ok('run', '--name', 'stopped', '--network', 'none', 'disk/two:1', 'sh', '-c', 'head -c 300000 /dev/urandom > /g');
    const totals = dfTotals(store);
    const [images, containers, volumes, cache] = totals as [number, number, number, number];
    const total = totals.reduce((a, b) => a + b, 0);
    const measured = du(store.root);
    assert.ok(Math.abs(total - measured) / measured < 0.02, `system df says ${total} bytes (${totals.join(' + ')}), du -sbx ${measured}`);
    // Each piece where it belongs: busybox's layer once though three images have it (blob and unpacked, 4.2 MB) and the
    // artifacts' layers (blob and unpacked: 3 MB and 1.6 MB); the containers' writable layers (1 MB); the volume (2 MB);
    // the build stages' layers, which only the cache keeps (blob and unpacked: 3 MB and 1.6 MB), and the cache mount (1 MB).
    assert.ok(images > 8.7e6 && images < 8.9e6, `images ${images}`);
    assert.ok(containers > 1e6 && containers < 1.2e6, `containers ${containers}`);
    assert.ok(volumes >= 2e6 && volumes < 2.1e6, `volumes ${volumes}`);
    assert.ok(cache > 5.6e6 && cache < 5.8e6, `build cache ${cache}`);
    const summary = ok('system', 'df').split('\n');
    assert.match(summary[4] as string, /^Build Cache\s+\d+\s+0\s+/);
    const verbose = ok('system', 'df', '-v');
    assert.match(verbose, /\nCACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED\n/);
    assert.match(verbose, /^[0-9a-f]{12}\s+exec\.cachemount\s+1(?:\.0\d*)?MB\s+.*\s+false$/m, 'both builds wrote 500 kB into one cache mount');
    assert.match(verbose, /^[0-9a-f]{12}\s+regular\s+\d\.\d+MB\s+.*\s+false$/m, 'the build stage\'s layer: the cache alone keeps it');
    assert.match(verbose, /^[0-9a-f]{12}\s+regular\s+\d\.\d+MB\s+.*\s+true$/m, 'the COPY layer: an image holds it too');
  });

  test('builder prune frees what it reports: dangling records and cache mounts first, then --all', () => {
    const before = du(store.root);
    const r = store.berth(['builder', 'prune', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Deleted build cache objects:\n([0-9a-f]+\n)+\nTotal reclaimed space: \S+\n$/);
    assertFreed(reclaimed(r.stdout), before, du(store.root), 'builder prune');
    const records = ok('system', 'df', '-v').split('\nCACHE ID')[1] ?? '';
    assert.doesNotMatch(records, /exec\.cachemount|false\n/, `only records images share are left:\n${records}`);
    assert.match(records, /true\n/);
    // The images keep their layers; a rebuild runs the pruned stage again.
    assert.equal(store.berth(['exec', 'running', 'test', '-s', '/data/f']).code, 0);
    const again = store.berth(['build', '--network', 'none', '-t', 'disk/one:1', join(dir, 'one')], { timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /RUN --mount[^\n]*\n#\d+ CACHED/);
    const allBefore = du(store.root);
    const all = store.berth(['builder', 'prune', '-af']);
    assert.equal(all.code, 0, all.stderr);
    assertFreed(reclaimed(all.stdout), allBefore, du(store.root), 'builder prune -a');
    assert.equal(ok('system', 'df', '--format', '{{.TotalCount}}').split('\n')[3], '0');
    assert.equal(ok('builder', 'prune', '-f'), 'Total reclaimed space: 0B\n');
  });

  test('builder prune: bad flags and filters are refused as docker refuses them; until= keeps recent records', () => {
    build('three', 200_000);
    const size = store.berth(['builder', 'prune', '-f', '--keep-storage', 'garbage']);
    assert.equal(size.code, 125);
    assert.match(size.stderr, /invalid argument "garbage" for "--keep-storage" flag: invalid size: 'garbage'/);
    const until = store.berth(['builder', 'prune', '-f', '--filter', 'until=garbage']);
    assert.equal(until.code, 1);
    assert.match(until.stderr, /"until" filter expects a duration \(e\.g\., '24h'\): time: invalid duration "garbage"/);
    const unknown = store.berth(['builder', 'prune', '-f', '--filter', 'foo=bar']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Invalid filter 'foo'/);
    assert.equal(ok('builder', 'prune', '-af', '--filter', 'until=1h'), 'Total reclaimed space: 0B\n', 'every record was used within the hour');
    const declined = store.berth(['builder', 'prune'], { input: 'n\n' });
    assert.equal(declined.stdout, 'WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] ');
    assert.notEqual(ok('system', 'df', '--format', '{{.TotalCount}}').split('\n')[3], '0');
  });

  test('system prune -a --volumes frees what it reports and removes nothing in use', () => {
    ok('network', 'create', 'unused-net');
    ok('network', 'create', 'used-net');
    const volumesBefore = ok('volume', 'ls', '-q').trim().split('\n');
    ok('run', '-d', '--name', 'netuser', '--network', 'used-net', '-v', '/anon', busyboxImage, 'sleep', '600');
    const usedVolume = ok('volume', 'ls', '-q').trim().split('\n').find((v) => !volumesBefore.includes(v));
    ok('run', '--name', 'gone', '--network', 'none', '-v', '/anon2', 'disk/two:1', 'sh', '-c', 'head -c 400000 /dev/urandom > /h');
    ok('volume', 'create', 'named-unused');
    build('four', 300_000);
    // A dangling image: disk/four's name moved to another build.
    const dangling = ok('images', '-q', '--no-trunc', 'disk/four:1').trim();
    writeFileSync(join(dir, 'four', 'Dockerfile'), `FROM ${busyboxImage}\nLABEL moved=1\n`);
    ok('build', '-q', '-t', 'disk/four:1', join(dir, 'four'));
    const asked = store.berth(['system', 'prune', '-a', '--volumes'], { input: 'n\n' });
    assert.equal(asked.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n  - all build cache\n\nAre you sure you want to continue? [y/N] ');
    const before = du(store.root);
    const r = store.berth(['system', 'prune', '-a', '--volumes', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n(?:[0-9a-f]{64}\n)*\nDeleted Networks:\nunused-net\n\nDeleted Volumes:\n[0-9a-f]{64}\n(?:[0-9a-f]{64}\n)*\nDeleted Images:\n(untagged: \S+\n|deleted: sha256:[0-9a-f]{64}\n)+\nDeleted build cache objects:\n/);
    assert.match(r.stdout, new RegExp(`\\ndeleted: ${dangling}\\n`));
    assertFreed(reclaimed(r.stdout), before, du(store.root), 'system prune -a --volumes');
    // In use, and kept: both running containers, their images, volumes and networks; a named volume (not anonymous).
    assert.deepEqual(ok('ps', '-a', '--format', '{{.Names}}').trim().split('\n').sort(), ['netuser', 'running']);
    // busybox (netuser), disk/one:1 and its alias (running); the rebuild in the builder prune test reused the COPY's layer.
    assert.deepEqual(ok('images', '--format', '{{.Repository}}').trim().split('\n').sort(), ['berth-test/busybox', 'disk/alias', 'disk/one']);
    assert.deepEqual(ok('volume', 'ls', '-q').trim().split('\n').sort(), [usedVolume, 'diskvol', 'named-unused'].sort());
    assert.match(ok('network', 'ls', '--format', '{{.Name}}'), /^used-net$/m);
    assert.equal(store.berth(['exec', 'running', 'test', '-s', '/data/f']).code, 0);
    assert.equal(store.berth(['exec', 'netuser', 'true']).code, 0);
    assert.equal(ok('system', 'df', '--format', '{{.TotalCount}}').split('\n')[3], '0');
    assert.match(ok('system', 'check'), /is consistent/);
    // A second prune finds nothing.
    assert.equal(ok('system', 'prune', '-af'), 'Total reclaimed space: 0B\n');
  });

  test('a prune killed with SIGKILL leaves the store consistent; the next prune finishes the work', async () => {
    // Work for a long prune: stopped containers with thousands of files in their writable layers (their removal takes
    // a while), images only they use, build cache.
    for (let i = 0; i < 10; i++) {
      ok('run', '--name', `k${i}`, '--network', 'none', busyboxImage, 'sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo $i > /f$i; i=$((i+1)); done');
      if (i % 4 === 0) ok('commit', `k${i}`, `disk/k${i}:1`);
    }
    build('five', 400_000);
    const records = join(store.root, 'metadata', 'containers');
    const count = () => readdirSync(records).filter((n) => n.endsWith('.json')).length;
    const check = (when: string) => {
      const r = store.berth(['system', 'check']);
      assert.equal(r.code, 0, `after a prune killed ${when}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /is consistent\n$/);
    };
    const kill9 = async (child: ReturnType<Store['spawnBerth']>) => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.on('exit', resolve));
    };
    // Killed in the middle of removing containers: as soon as one container is gone, the next one is being removed.
    for (let round = 0; round < 3; round++) {
      const before = count();
      const child = store.spawnBerth(['system', 'prune', '-a', '-f']);
      for (let i = 0; i < 3000 && count() >= before && child.exitCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      await kill9(child);
      check(`while removing containers (round ${round + 1}, ${before - count()} removed)`);
    }
    // Then at growing delays: the later containers, the images, the build cache, the collection.
    for (const delayMs of [300, 700, 1200, 2000, 3000, 5000]) {
      const child = store.spawnBerth(['system', 'prune', '-a', '-f']);
      const finished = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), delayMs);
        child.on('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (finished) break;
      await kill9(child);
      check(`after ${delayMs} ms`);
    }
    const final = store.berth(['system', 'prune', '-a', '-f']);
    assert.equal(final.code, 0, final.stderr);
    assert.deepEqual(ok('ps', '-a', '--format', '{{.Names}}').trim().split('\n').sort(), ['netuser', 'running']);
    const after = ok('system', 'check');
    assert.doesNotMatch(after, /^(problem|reclaimable):/m, after);
    assert.equal(ok('system', 'prune', '-af'), 'Total reclaimed space: 0B\n');
  });
});

describe('the build cache limit', { concurrency: false }, () => {
  let store: Store;
  let dir: string;
  const ok = (...args: string[]) => {
    const r = store.berth(args, { timeoutMs: 300_000 });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const settings = (value: unknown) => writeFileSync(join(store.root, 'berth.json'), typeof value === 'string' ? value : JSON.stringify(value));
  const cachedSteps = (stderr: string) => (stderr.match(/^#\d+ CACHED$/gm) ?? []).length;

  before(() => {
    store = createStore({ withBusybox: true });
    dir = mkdtempSync(join(tmpdir(), 'berth-limit-ctx-'));
  });
  after(() => {
    store?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a limit berth cannot read is an error naming the setting and the file; nothing is built', () => {
    const ctx = context(dir, 'bad', 1000);
    for (const [value, pattern] of [
      [{ builder: { gc: { defaultKeepStorage: 'lots' } } }, /Invalid builder\.gc\.defaultKeepStorage "lots" in .*\/berth\.json: expected a size such as "10GB"/],
      [{ builder: { gc: { defaultKeepStorage: -5 } } }, /Invalid builder\.gc\.defaultKeepStorage -5 in/],
      [{ builder: { gc: { enabled: 'yes', defaultKeepStorage: '1GB' } } }, /Invalid builder\.gc\.enabled "yes" in .*: expected true or false/],
      [{ builder: { gc: { defaultKeepStorge: '1GB' } } }, /Unknown setting "builder\.gc\.defaultKeepStorge" in .*\/berth\.json/],
      ['{"builder": ', /Cannot read the store settings .*\/berth\.json: /],
    ] as const) {
      settings(value);
      const r = store.berth(['build', '-q', '--network', 'none', '-t', 'limit/bad:1', ctx]);
      assert.equal(r.code, 1, JSON.stringify(value));
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(store.berth(['image', 'inspect', 'limit/bad:1']).code, 1, 'nothing was built');
  });

  test('over the limit, the least recently used records no image shares are evicted after a build', () => {
    // Each build leaves a record of ~2 MB (its stage's layer, blob and unpacked) and a 500 kB cache mount that only the cache holds.
    settings({ builder: { gc: { enabled: true, defaultKeepStorage: '3.5MB' } } });
    const a = context(dir, 'a', 1_000_000);
    const b = context(dir, 'b', 1_000_000);
    ok('build', '-q', '--network', 'none', '-t', 'limit/a:1', a);
    ok('build', '-q', '--network', 'none', '-t', 'limit/b:1', b);
    const records = ok('system', 'df', '-v').split('\nCACHE ID')[1] ?? '';
    const unshared = records.split('\n').filter((l) => /\sfalse$/.test(l));
    assert.ok(unshared.length >= 1 && unshared.length <= 3, `a's records went, b's stayed:\n${records}`);
    // b's stage is still cached, a's ran again: a was the least recently used.
    const rebuiltB = store.berth(['build', '--network', 'none', '-t', 'limit/b:1', b]);
    assert.equal(rebuiltB.code, 0, rebuiltB.stderr);
    assert.equal(cachedSteps(rebuiltB.stderr), 2, rebuiltB.stderr);
    const rebuiltA = store.berth(['build', '--network', 'none', '-t', 'limit/a:1', a]);
    assert.equal(rebuiltA.code, 0, rebuiltA.stderr);
    assert.ok(cachedSteps(rebuiltA.stderr) < 2, rebuiltA.stderr);
    // Off: nothing is evicted.
    settings({ builder: { gc: { enabled: false, defaultKeepStorage: '1MB' } } });
    ok('build', '-q', '--network', 'none', '-t', 'limit/b:1', b);
    const kept = (ok('system', 'df', '-v').split('\nCACHE ID')[1] ?? '').split('\n').filter((l) => /\sfalse$/.test(l));
    assert.equal(kept.length, 3, `a's and b's stages and the cache mount, over the limit:\n${kept.join('\n')}`);
  });
});
