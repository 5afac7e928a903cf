/**
 * bin/berth.cjs's V8 code caches: one per command, three for `run` (attached, --rm, -d: each
 * compiles code the others do not), and those of another build removed when a cache is written;
 * the bundle already inside CommonJS's module wrapper.
 * Run on a copy of the loader with a stand-in bundle, so the checkout's own caches are untouched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { repoRoot } from './harness.js';

describe('bin/berth.cjs code caches', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-code-cache-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist', 'bundle'), { recursive: true });
    copyFileSync(join(repoRoot, 'bin', 'berth.cjs'), join(dir, 'bin', 'berth.cjs'));
    writeFileSync(join(dir, 'dist', 'bundle', 'berth.cjs'), 'process.stdout.write(process.argv.slice(2).join(" "));\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const caches = () => readdirSync(join(dir, 'dist', 'bundle')).filter((n) => n.endsWith('.v8cache')).map((n) => n.replace(/^berth\.cjs\.\d+-\d+-v[\d.]+\./, '')).sort();
  const berth = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--', join(dir, 'bin', 'berth.cjs'), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, args.join(' '));
  };

  test('one cache per command; run has one per shape (attached, --rm, -d)', () => {
    berth('ps', '-a');
    berth('run', '--name', 'x', 'img', 'true');
    berth('run', '--rm', 'img', 'true');
    berth('--root', '/tmp/elsewhere', 'run', '-dit', '--rm', 'img', 'sh');
    berth('run', '--detach', 'img', 'sh');
    assert.deepEqual(caches(), ['ps.v8cache', 'run-d.v8cache', 'run-rm.v8cache', 'run.v8cache']);
  });

  test('writing a cache removes those of another build (another bundle, another Node), and only those', () => {
    const bundleDir = join(dir, 'dist', 'bundle');
    writeFileSync(join(bundleDir, 'berth.cjs.1-1-v0.0.1.run.v8cache'), 'stale');
    writeFileSync(join(bundleDir, 'unrelated.v8cache'), 'not ours');
    berth('images');
    assert.ok(!readdirSync(bundleDir).includes('berth.cjs.1-1-v0.0.1.run.v8cache'));
    assert.ok(readdirSync(bundleDir).includes('unrelated.v8cache'));
    assert.deepEqual(caches().filter((n) => n !== 'unrelated.v8cache'), ['images.v8cache', 'ps.v8cache', 'run-d.v8cache', 'run-rm.v8cache', 'run.v8cache']);
  });

  test('the bundle is written inside the module wrapper (no 1.4 MB concatenation at start-up); a bare one still runs', () => {
    const [head = '', tail = ''] = (Module as unknown as { wrapper: string[] }).wrapper;
    const real = readFileSync(join(repoRoot, 'dist', 'bundle', 'berth.cjs'), 'latin1');
    assert.ok(real.startsWith(head) && real.endsWith(tail), real.slice(0, 80));
    // the stand-in above was bare; wrapped, it runs the same
    writeFileSync(join(dir, 'dist', 'bundle', 'berth.cjs'), Module.wrap('process.stdout.write("wrapped " + process.argv.slice(2).join(" "));\n'));
    const r = spawnSync(process.execPath, ['--', join(dir, 'bin', 'berth.cjs'), 'ps'], { encoding: 'utf8' });
    assert.equal(r.stdout, 'wrapped ps', r.stderr);
  });
});
