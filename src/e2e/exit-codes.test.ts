import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

// Docker's contract for `docker run`: the container's own exit code, 125 when the engine fails,
// 126 when the command cannot be invoked, 127 when it does not exist.
describe('berth run exit codes', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  test('the container\'s exit code is returned', () => {
    assert.equal(store.berth(['run', '--rm', busyboxImage, 'sh', '-c', 'exit 3']).code, 3);
  });

  for (const runtime of ['crun', 'runc']) {
    test(`a missing command exits 127 and names it (${runtime})`, () => {
      const r = store.berth(['run', '--rm', '--runtime', runtime, busyboxImage, 'no-such-command']);
      assert.equal(r.code, 127);
      assert.match(r.stderr, /no-such-command/);
    });

    test(`a non-executable file exits 126 (${runtime})`, () => {
      const r = store.berth(['run', '--rm', '--runtime', runtime, busyboxImage, '/etc/passwd']);
      assert.equal(r.code, 126);
      assert.match(r.stderr, /ermission denied/);
    });

    test(`the exit code and OOM record are the same under ${runtime}`, () => {
      assert.equal(store.berth(['run', '--rm', '--runtime', runtime, busyboxImage, 'sh', '-c', 'exit 42']).code, 42);
      const name = `hog-${runtime}`;
      const r = store.berth(['run', '--name', name, '--runtime', runtime, '--memory', '32m', busyboxImage, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
      assert.equal(r.code, 137, r.stderr);
      const state = (JSON.parse(store.berth(['inspect', name]).stdout) as { State: { ExitCode: number; OOMKilled: boolean }; HostConfig: { Runtime: string } }[])[0];
      assert.deepEqual([state?.State.ExitCode, state?.State.OOMKilled, state?.HostConfig.Runtime], [137, true, runtime]);
      store.berth(['rm', name]);
    });
  }

  test('a missing image exits 125 with a message naming the image', () => {
    const r = store.berth(['run', '--rm', 'nosuch/image:9', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /nosuch\/image:9/);
  });

  test('bad flags exit 125', () => {
    assert.equal(store.berth(['run', '--memory', 'lots', busyboxImage, 'true']).code, 125);
    assert.equal(store.berth(['run', '--bogus', busyboxImage, 'true']).code, 125);
  });

  test('output is streamed as it comes, stdout and stderr apart', () => {
    const r = store.berth(['run', '--rm', busyboxImage, 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('-i passes standard input to the container', () => {
    const r = store.berth(['run', '--rm', '-i', busyboxImage, 'wc', '-c'], { input: 'hello' });
    assert.equal(r.stdout.trim(), '5');
  });
});
