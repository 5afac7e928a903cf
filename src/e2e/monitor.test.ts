import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, cgroupScopes, createStore, mountsUnder, runStateDir } from './harness.js';
import { runInBackground } from './running-container.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

/** Pids of berth-monitor processes watching containers of this store. */
function monitorsOf(store: Store): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return cmd[0]?.endsWith('berth-monitor') && cmd.some((a) => a.startsWith(store.root));
    } catch {
      return false;
    }
  });
}

// Every container runs under its own monitor (native/berth_monitor.c): no berth process needs to
// stay, and none dying stops a container.
describe('containers under their monitors', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  type View = { Id: string; State: { Status: string; ExitCode: number; Error: string; FinishedAt: string; Pid: number } };
  const inspect = (name: string) => (JSON.parse(store.berth(['inspect', '--type', 'container', name]).stdout) as View[])[0] as View;

  async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (check()) return;
    assert.fail(`timed out waiting until ${what}`);
  }

  test('a foreground run\'s container keeps running when berth run is SIGKILLed, and its exit is recorded without berth', async () => {
    const child = store.spawnBerth(['run', '--name', 'fg', busyboxImage, 'sh', '-c', 'echo started; sleep 1; echo finished; exit 3']);
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    assert.match(store.berth(['ps']).stdout, /\bUp\b.*fg/);
    // No berth process runs now; the monitor records the exit when the container ends.
    await until('the exit is recorded', () => inspect('fg').State.Status === 'exited');
    const state = inspect('fg').State;
    assert.equal(state.ExitCode, 3);
    assert.notEqual(state.FinishedAt, '0001-01-01T00:00:00Z');
    assert.equal(store.berth(['logs', 'fg']).stdout, 'started\nfinished\n');
    assert.deepEqual(mountsUnder(store.root), []);
    assert.deepEqual(monitorsOf(store), []);
    assert.equal(store.berth(['rm', 'fg']).code, 0);
  });

  // Mutation seen red: reconcile() returning the record unchanged (ps then says Up forever).
  test('a monitor killed with SIGKILL: the container is marked exited with an error, and nothing is left', async () => {
    const r = store.berth(['run', '-d', '--name', 'victim', busyboxImage, 'sleep', '100']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const [monitor] = monitorsOf(store);
    assert.ok(monitor, 'a monitor runs');
    process.kill(monitor, 'SIGKILL');
    await sleep(50);
    const ps = store.berth(['ps', '-a']).stdout;
    assert.doesNotMatch(ps, /\bUp\b/);
    assert.match(ps, /Exited \(137\)/);
    const state = inspect('victim').State;
    assert.equal(state.Status, 'exited');
    assert.match(state.Error, /monitor/);
    assert.deepEqual(mountsUnder(store.root), []);
    assert.deepEqual(cgroupScopes().filter((s) => s.endsWith(`/${id}`)), []);
    const stateDir = join(runStateDir(store.root), 'crun', id);
    assert.equal(existsSync(stateDir), false);
    const check = store.berth(['system', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout, /leftover/i);
    assert.equal(store.berth(['rm', 'victim']).code, 0);
  });

  test('rm -f of a container a foreground berth run is attached to: that run exits 137, not "No such container"', async () => {
    const child = store.spawnBerth(['run', '--name', 'y', busyboxImage, 'sh', '-c', 'echo up; exec sleep 100']);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    const code = exited(child);
    const r = store.berth(['rm', '-f', 'y']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await code, 137, stderr);
    assert.doesNotMatch(stderr, /No such container/);
    assert.equal(store.berth(['ps', '-aq']).stdout, '');
    assert.deepEqual(mountsUnder(store.root), []);
    assert.deepEqual(monitorsOf(store), []);
  });
  // crun and runc guard against CVE-2019-5736 by running from a copy of themselves that nothing
  // can write; unless they already run from such a sealed memfd, each copies itself and executes
  // itself a second time, on every `run`. The monitor hands them that copy: one exec.
  test('a foreground run: the runtime runs from the monitor\'s sealed in-memory copy of it, not from its file', async () => {
    const run = await runInBackground(store, 'sealed-runtime', ['--rm', '--network', 'none', busyboxImage, 'sleep', '30']);
    try {
      const id = run.id;
      const monitor = monitorsOf(store).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(id));
      assert.ok(monitor, 'the container\'s monitor runs');
      const children = readFileSync(`/proc/${monitor}/task/${monitor}/children`, 'utf8').trim().split(' ').filter(Boolean);
      const exes = children.map((pid) => readlinkSync(`/proc/${pid}/exe`));
      // `crun run` waits for the container: its executable is the memfd the monitor sealed
      // (crun's own copy would be memfd:crun_cloned:/proc/self/exe, or a bind mount under /tmp).
      assert.ok(exes.includes('/memfd:crun (deleted)'), `the monitor's children run ${exes.join(', ')}`);
    } finally {
      store.berth(['kill', run.name]);
      await run.exited;
    }
  });
});
