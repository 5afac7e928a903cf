#!/usr/bin/env node
// Runs every compiled test (dist/**/*.test.js) on node's own test runner. Root-only tests run
// when the process is root; they never skip silently: a root test on a non-root run fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '..', 'dist');
const filter = process.argv.slice(2);
const src = resolve(import.meta.dirname, '..', 'src');
// tsc never deletes outputs: a test whose source is gone must not run from a stale dist/.
const hasSource = (path) => existsSync(join(src, relative(dist, path)).replace(/\.js$/, '.ts'));
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js') && (filter.length === 0 || filter.some((f) => path.includes(f))) && hasSource(path)) files.push(path);
  }
})(dist);
files.sort();
// Node's runner given no files discovers every test by itself: a filter that matches nothing must fail instead.
if (files.length === 0) {
  console.error(`run-tests: no compiled test matches ${filter.map((f) => JSON.stringify(f)).join(' or ')} (build first: npm run build)`);
  process.exit(1);
}
// Some tests compare with the shared reference dockerd (tools/reference-dockerd.sh) and start it
// when it is not running, and none stops it (others may still use it). The run that found it
// stopped stops it at the end, so a test run leaves no dockerd behind; BERTH_KEEP_REFERENCE_DOCKERD=1
// keeps it (several test runs or benchmarks sharing one).
const referenceDockerd = resolve(import.meta.dirname, 'reference-dockerd.sh');
const referenceWasRunning = spawnSync(referenceDockerd, ['status'], { stdio: 'ignore' }).status === 0;
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
if (!referenceWasRunning && process.env.BERTH_KEEP_REFERENCE_DOCKERD !== '1' && spawnSync(referenceDockerd, ['status'], { stdio: 'ignore' }).status === 0) {
  spawnSync(referenceDockerd, ['stop'], { stdio: 'inherit' });
}
process.exit(result.status ?? 1);
