import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, busyboxRootfsTar, createStore } from './harness.js';

describe('untagged images and garbage collection', () => {
  let store: Store;
  let context: string;
  before(() => {
    store = createStore({ withBusybox: true });
    context = mkdtempSync(join(tmpdir(), 'berth-untagged-'));
    // An intermediate stage whose layer is in no image: only the build cache refers to it.
    writeFileSync(join(context, 'Dockerfile'), [
      `FROM ${busyboxImage} AS tools`,
      'RUN cat /proc/sys/kernel/random/uuid > /artifact',
      `FROM ${busyboxImage}`,
      'COPY --from=tools /artifact /artifact',
      'CMD ["cat", "/artifact"]',
      '',
    ].join('\n'));
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
  });

  test('a build without -t gives a runnable image, listed as <none>', () => {
    const built = store.berth(['build', '-q', context]);
    assert.equal(built.code, 0, built.stderr);
    const id = built.stdout.trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const run = store.berth(['run', '--rm', id]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[0-9a-f-]{36}\n$/);
    assert.match(store.berth(['images']).stdout, new RegExp(`^<none>\\s+<none>\\s+${id.slice(7, 19)}`, 'm'));
  });

  test('rmi of another image keeps the build cache: the rebuild is fully cached', () => {
    const first = store.berth(['build', '-q', context]).stdout.trim();
    assert.equal(store.berth(['import', '-', 'other:1'], { input: busyboxRootfsTar() }).code, 0);
    const rmi = store.berth(['rmi', 'other:1']);
    assert.equal(rmi.code, 0, rmi.stderr);
    const again = store.berth(['build', '-q', context]);
    assert.equal(again.stdout.trim(), first, 'the same image: no step ran again');
    assert.match(store.berth(['system', 'check']).stdout, /is consistent/);
  });

  test('a name moved to a new build leaves the old image untagged; prune forgets it', () => {
    const one = store.berth(['build', '-q', '-t', 'app:1', context]).stdout.trim();
    writeFileSync(join(context, 'Dockerfile.v2'), `FROM ${busyboxImage}\nCMD ["echo", "v2"]\n`);
    const two = store.berth(['build', '-q', '-t', 'app:1', '-f', join(context, 'Dockerfile.v2'), context]).stdout.trim();
    assert.notEqual(one, two);
    assert.equal(store.berth(['run', '--rm', 'app:1']).stdout, 'v2\n');
    assert.equal(store.berth(['run', '--rm', one]).code, 0, 'the old image is still there, untagged');
    const prune = store.berth(['system', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, new RegExp(`\ndeleted: ${one}\n`));
    assert.equal(store.berth(['run', '--rm', one]).code, 125);
    assert.equal(store.berth(['run', '--rm', 'app:1']).code, 0);
    assert.match(store.berth(['system', 'check']).stdout, /is consistent/);
  });
});
