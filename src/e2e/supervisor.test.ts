import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, cgroupScopes, createStore, mountsUnder } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

// berth run supervises its container itself: when it dies, the record must not claim "Up"
// forever, and rm -f must clean up what the supervisor would have.
describe('a container whose berth run is gone', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  /** Starts `berth run --name NAME busybox sleep 100` and waits until it is up; returns its id. */
  async function startSleeper(name: string): Promise<{ child: ChildProcess; id: string }> {
    const child = store.spawnBerth(['run', '--name', name, busyboxImage, 'sleep', '100']);
    for (let i = 0; i < 200; i++) {
      const r = store.berth(['inspect', '--type', 'container', name]);
      const [view] = (r.code === 0 ? JSON.parse(r.stdout) : [{}]) as [{ Id?: string; State?: { Status: string } }];
      if (view.State?.Status === 'running' && view.Id) return { child, id: view.Id };
      await sleep(25);
    }
    child.kill('SIGKILL');
    throw new Error(`container "${name}" never came up`);
  }

  test('after SIGKILL of berth run, ps says Dead and rm -f removes everything', async () => {
    const { child, id } = await startSleeper('x');
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    const ps = store.berth(['ps', '-a']).stdout;
    assert.doesNotMatch(ps, /\bUp\b/);
    assert.match(ps, /Dead/);
    assert.equal(store.berth(['ps', '-q']).stdout, '');
    const r = store.berth(['rm', '-f', 'x']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(mountsUnder(store.root), []);
    assert.deepEqual(cgroupScopes().filter((s) => s.endsWith(`/${id}`)), []);
    assert.equal(existsSync(join(store.root, 'containers', id)), false);
    const stateDir = join('/run/berth', createHash('sha256').update(realpathSync(store.root)).digest('hex').slice(0, 12), 'crun', id);
    assert.equal(existsSync(stateDir), false);
    assert.equal(store.berth(['ps', '-aq']).stdout, '');
  });

  test('rm -f of a container another berth run supervises: that run exits 137, not "No such container"', async () => {
    const { child } = await startSleeper('y');
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = exited(child);
    const r = store.berth(['rm', '-f', 'y']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await code, 137, stderr);
    assert.doesNotMatch(stderr, /No such container/);
    assert.equal(store.berth(['ps', '-aq']).stdout, '');
    assert.deepEqual(mountsUnder(store.root), []);
  });
});
