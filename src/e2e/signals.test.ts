import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore, mountsUnder } from './harness.js';

const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));

/** Resolves once `stream` has printed text matching `pattern`. */
function printed(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<void> {
  let text = '';
  return new Promise((resolve) => {
    stream.on('data', (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) resolve();
    });
  });
}

// berth run proxies signals to its container, as docker run does; none may be lost.
describe('signals sent to berth run', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  /** Ctrl-C once the run's trace shows `label`: exit 130, no container and no mount left. */
  async function interruptLeavesNothing(child: ChildProcess & { stderr: NodeJS.ReadableStream }, label: RegExp): Promise<void> {
    const code = exited(child);
    await printed(child.stderr, label);
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    assert.equal(await code, 130);
    clearTimeout(timer);
    assert.equal(store.berth(['ps', '-aq']).stdout, '');
    assert.deepEqual(mountsUnder(store.root), []);
  }

  test('Ctrl-C while the container is being created stops the run: exit 130, nothing left', async () => {
    const child = spawn(berthBin, ['run', '--rm', busyboxImage, 'sleep', '20'], {
      env: { ...process.env, BERTH_ROOT: store.root, BERTH_TRACE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    await interruptLeavesNothing(child, /create: start/);
  });

  test('Ctrl-C while the network is being set up (after the create, before the monitor runs) stops the run too', async () => {
    const child = spawn(berthBin, ['run', '--rm', busyboxImage, 'sleep', '20'], {
      env: { ...process.env, BERTH_ROOT: store.root, BERTH_TRACE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    await interruptLeavesNothing(child, /network: namespace made/);
  });

  test('a signal to a running container reaches its process', async () => {
    const child = store.spawnBerth(['run', '--rm', busyboxImage, 'sh', '-c', 'trap "exit 5" TERM; echo ready; while :; do sleep 0.05; done']);
    const code = exited(child);
    await printed(child.stdout as NodeJS.ReadableStream, /ready/);
    child.kill('SIGTERM');
    assert.equal(await code, 5);
  });
});
