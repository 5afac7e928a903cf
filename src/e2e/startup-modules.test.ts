/**
 * What the CLI loads to start: `berth inspect` and `berth ps` of a local store load no Node builtin
 * they do not use (node:crypto, zlib, child_process, net, tar-stream's streams...), which
 * tools/lazy-builtins.mjs defers to first use, and the bundle is ASCII (a one-byte string for V8).
 * Start-up time is a feature (issue 10: inspect against docker inspect); these hold what it rests on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, busyboxRootfsTar, createStore, repoRoot } from './harness.js';

/** Node's modules loaded by one CLI run (process.moduleLoadList), and what the command printed. */
function modulesLoadedBy(store: Store, args: string[], stdin: 'pipe' | 'ignore' = 'pipe'): { modules: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-modules-'));
  try {
    const entry = join(repoRoot, 'bin', 'berth.cjs');
    const listFile = join(dir, 'modules');
    const script = [
      `process.argv.splice(1, process.argv.length, ${JSON.stringify(entry)}, ...${JSON.stringify(args)});`,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.join('\\n')));`,
      `require(${JSON.stringify(entry)});`,
    ].join('\n');
    // stdout and stderr to files: a pipe (or a terminal) makes Node load node:net for them, whatever
    // the command does. stdin is a pipe: a command that touches process.stdin loads node:net.
    const outFile = join(dir, 'stdout');
    const errFile = join(dir, 'stderr');
    const out = openSync(outFile, 'w');
    const err = openSync(errFile, 'w');
    try {
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, BERTH_ROOT: store.root }, stdio: [stdin, out, err], ...(stdin === 'pipe' ? { input: '' } : {}), timeout: 60_000 });
      assert.equal(r.status, 0, readFileSync(errFile, 'utf8'));
    } finally {
      closeSync(out);
      closeSync(err);
    }
    return { modules: readFileSync(listFile, 'utf8').split('\n'), stdout: readFileSync(outFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// (node:stream is not among them: Node's stdout, a file here, is a stream.)
const unused = ['crypto', 'zlib', 'child_process', 'net', 'fs/promises', 'timers/promises', 'tty'];

describe('CLI start-up loads only what the command uses', () => {
  let store: Store;
  before(() => {
    store = createStore({ withBusybox: true });
    const r = store.berth(['create', '--name', 'startup-probe', '--network', 'none', busyboxImage, 'true']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => store.dispose());

  test('berth inspect and berth ps load none of node:crypto, zlib, child_process, net (stdin untouched), fs/promises', () => {
    for (const args of [['inspect', 'startup-probe'], ['ps', '-a', '--format', '{{.Names}}']]) {
      const { modules, stdout } = modulesLoadedBy(store, args);
      if (args[0] === 'inspect') assert.equal((JSON.parse(stdout) as [{ Name: string }])[0].Name, '/startup-probe');
      else assert.equal(stdout, 'startup-probe\n');
      const loaded = unused.filter((m) => modules.includes(`NativeModule ${m}`));
      assert.deepEqual(loaded, [], `berth ${args.join(' ')} loaded ${loaded.join(', ')}`);
    }
  });

  test('berth run --rm loads none of node:crypto, child_process, fs/promises (the monitor is posix_spawned; ids and names need no node:crypto; process.stdin is not made without -i)', () => {
    // The store's first run keeps the runtime's compiled seccomp filter, creating and starting the
    // container in two steps and deleting it through the runtime (child_process); the next do not.
    const first = store.berth(['run', '--rm', '--network', 'none', busyboxImage, 'true']);
    assert.equal(first.code, 0, first.stderr);
    const { modules } = modulesLoadedBy(store, ['run', '--rm', '--network', 'none', busyboxImage, 'true']);
    // internal/fs/rimraf: fs.rm's, where the container's small directories are removed inline (base/fs-helpers.ts)
    const loaded = ['crypto', 'child_process', 'fs/promises', 'zlib', 'tty', 'internal/fs/rimraf'].filter((m) => modules.includes(`NativeModule ${m}`));
    assert.deepEqual(loaded, [], `berth run loaded ${loaded.join(', ')}`);
    // stdin /dev/null (a file: Node makes process.stdin an fs.ReadStream, loading node:fs's
    // streams and node:fs/promises): a run without -i never makes process.stdin.
    const devNull = modulesLoadedBy(store, ['run', '--rm', '--network', 'none', busyboxImage, 'true'], 'ignore').modules;
    const loadedForStdin = ['fs/promises', 'internal/fs/streams'].filter((m) => devNull.includes(`NativeModule ${m}`));
    assert.deepEqual(loadedForStdin, [], `berth run with stdin /dev/null loaded ${loadedForStdin.join(', ')}`);
  });

  test('a command that needs a deferred builtin still gets it (import hashes the layer with node:crypto)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-modules-tar-'));
    try {
      const tar = join(dir, 'rootfs.tar');
      writeFileSync(tar, busyboxRootfsTar());
      const { modules, stdout } = modulesLoadedBy(store, ['import', tar, 'startup-probe-image:1']);
      assert.match(stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.ok(modules.includes('NativeModule crypto'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the bundle is ASCII, so V8 holds its source as a one-byte string', () => {
    const bundle = readFileSync(join(repoRoot, 'dist', 'bundle', 'berth.cjs'));
    const at = bundle.findIndex((b) => b > 0x7f);
    assert.equal(at, -1, `a non-ASCII byte at ${at}: ${bundle.subarray(Math.max(0, at - 40), at + 40).toString()}`);
  });
});
