/**
 * debian:bookworm-slim for end-to-end tests that build on a real distribution but do not test the
 * bootstrap itself (bootstrap-debian.test.ts does). A bootstrap costs 1-3 minutes: the first test
 * of the day that needs the base bootstraps it for real, in its own store, and saves it to a cache
 * tar; every later one loads that tar (seconds). A lock serialises the first bootstrap between
 * test files running at once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { berthBin, type Result } from './harness.js';

export const debianBase = 'debian:bookworm-slim';
const cacheDir = '/var/tmp/berth-test-cache';

/** Makes `debian:bookworm-slim` present in the store: loaded from today's cache, or bootstrapped (and cached). */
export function useDebianBase(store: { root: string; berth(args: string[], options?: { timeoutMs?: number }): Result }): void {
  mkdirSync(cacheDir, { recursive: true });
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const prefix = 'debian-bookworm-slim-';
  const tar = join(cacheDir, `${prefix}${day}.tar`);
  if (!existsSync(tar)) {
    // Whoever takes the lock first bootstraps into its store and fills the cache (exit 0); the
    // others find the tar once they hold the lock (exit 10) and load it.
    const script = `test -e "$1" && exit 10
"$2" --root "$3" image bootstrap -q ${debianBase} >/dev/null || exit 1
"$2" --root "$3" save -o "$1.tmp" ${debianBase} && mv "$1.tmp" "$1" || { rm -f "$1.tmp"; exit 1; }`;
    const r = spawnSync('flock', ['-w', '1500', join(cacheDir, '.lock'), 'sh', '-c', script, 'sh', tar, berthBin, store.root], { timeout: 1_600_000 });
    if (r.status === 0) {
      for (const name of readdirSync(cacheDir)) if (name.startsWith(prefix) && join(cacheDir, name) !== tar) rmSync(join(cacheDir, name), { force: true });
      return;
    }
    if (r.status !== 10) throw new Error(`bootstrap of ${debianBase} failed (${r.status ?? r.signal}): ${r.stderr.toString().slice(-3000)}`);
  }
  const loaded = store.berth(['load', '-q', '-i', tar], { timeoutMs: 120_000 });
  if (loaded.code !== 0) throw new Error(`loading ${tar} failed: ${loaded.stderr}`);
}
