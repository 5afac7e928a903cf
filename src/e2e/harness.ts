/**
 * Test harness for end-to-end tests: drives the real `bin/berth` (as a user would) on a fresh
 * store in a temporary directory, with a busybox image built from Debian's busybox-static.
 * These tests need root, crun/runc and overlayfs; they never skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { readdirSyncOrEmpty } from '../base/index.js';
import { busyboxRootfsTar } from '../testing/index.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const berthBin = join(repoRoot, 'bin', 'berth');
export const busyboxImage = 'berth-test/busybox:1';
export const fixturesDir = join(repoRoot, 'test', 'fixtures', 'build');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Store {
  root: string;
  berth(args: string[], options?: { input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number; cwd?: string }): Result;
  /** Runs berth without waiting, for tests that interrupt it. */
  spawnBerth(args: string[]): ReturnType<typeof spawn>;
  dispose(): void;
}

export { busyboxRootfsTar };

/**
 * A fresh store. `withBusybox` imports the busybox image as `berth-test/busybox:1` with `CMD ["sh"]`;
 * `bareBusybox` imports it without any config, as Docker's build fixtures recorded it (`docker import`).
 * `timeoutMs` is the default limit of each berth command (60 s; builds need more).
 */
export function createStore(options: { withBusybox?: boolean; bareBusybox?: boolean; timeoutMs?: number } = {}): Store {
  if (process.getuid?.() !== 0) throw new Error('berth end-to-end tests need root (namespaces, overlayfs, cgroups)');
  const root = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  const env = { ...process.env, BERTH_ROOT: root };
  const store: Store = {
    root,
    berth(args, opts = {}) {
      const r = spawnSync(berthBin, args, {
        env: { ...env, ...opts.env },
        input: opts.input ?? '',
        timeout: opts.timeoutMs ?? options.timeoutMs ?? 60_000,
        maxBuffer: 256 << 20,
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      });
      return { code: r.status ?? 128 + (r.signal ? 9 : 0), stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
    spawnBerth(args) {
      return spawn(berthBin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    },
    dispose() {
      // Remove leftovers of failed tests too: containers first (unmounts), then the directory.
      const ids = store.berth(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
      if (ids.length) store.berth(['rm', '-f', ...ids]);
      // A killed build's step networks (namespaces, veths, firewall rules) outlive the store unless recovered.
      if (readdirSyncOrEmpty(join(root, 'build-tmp')).length > 0) store.berth(['system', 'prune', '-f']);
      // So does the default bridge's keeper (services/bridge-keeper.ts), with the bridge and its NAT rules.
      else if (existsSync(join(root, 'bridge-keeper'))) store.berth(['network', 'prune', '-f']);
      // The store's runtime state on /run (see openEngine): a test store must not leave it behind,
      // nor a namespace mounted there (one a berth process still running when the test ended made).
      const runState = runStateDir(root);
      for (const dir of [root, runState]) spawnSync('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
      rmSync(root, { recursive: true, force: true });
      rmSync(runState, { recursive: true, force: true });
    },
  };
  if (options.withBusybox || options.bareBusybox) {
    const config = options.withBusybox ? ['--change', 'CMD ["sh"]'] : [];
    const r = store.berth(['import', ...config, '-', busyboxImage], { input: busyboxRootfsTar() });
    if (r.code !== 0) throw new Error(`import of the busybox image failed: ${r.stderr}`);
  }
  return store;
}

/** A store's runtime state on /run, named as openEngine names it: the first 12 hex digits of the sha256 of its real path. */
export function runStateDir(root: string): string {
  return join('/run/berth', createHash('sha256').update(realpathSync(root)).digest('hex').slice(0, 12));
}

/** Mount points under `dir` (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const text = spawnSync('cat', ['/proc/self/mountinfo']).stdout.toString();
  return text.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
}

/**
 * berth's per-container cgroup scopes that exist on the host, as `<hierarchy>/<id>` (`unified/<id>`
 * on a cgroup v2 host). On v2 the scopes sit in one tree (/sys/fs/cgroup/berth/<id>); on v1 and
 * hybrid hosts in each controller's hierarchy (/sys/fs/cgroup/<controller>/berth/<id>). Throws when
 * it finds no berth parent at all while containers have run, so a layout it does not know makes
 * tests fail instead of passing without looking.
 */
export function cgroupScopes(cgroupRoot = '/sys/fs/cgroup'): string[] {
  const out: string[] = [];
  const list = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return undefined;
    }
  };
  const pureV2 = existsSync(join(cgroupRoot, 'cgroup.controllers'));
  const parents = pureV2 ? [['unified', join(cgroupRoot, 'berth')]] : (list(cgroupRoot) ?? []).map((h) => [h, join(cgroupRoot, h, 'berth')]);
  let found = false;
  for (const [hierarchy, parent] of parents) {
    const names = list(parent as string);
    if (names === undefined) continue;
    found = true;
    for (const name of names) out.push(`${hierarchy}/${name}`);
  }
  if (!found) throw new Error(`cgroupScopes: no berth cgroup parent under ${cgroupRoot}: unknown cgroup layout, or no container ever ran`);
  return out;
}
