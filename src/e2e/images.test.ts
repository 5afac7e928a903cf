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

  test('prune --filter: image, network and system prunes take until, label and label!, as the docker CLI does', () => {
    const ok = (args: string[]) => {
      const r = store.berth(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const labelled = (tag: string, label: string) => ok(['build', '-q', '--label', label, '-t', tag, context]).trim();
    const keep = labelled('prune-keep:1', 'tier=keep');
    const drop = labelled('prune-drop:1', 'tier=drop');
    ok(['network', 'create', '--label', 'tier=drop', 'prune-net-drop']);
    ok(['network', 'create', '--label', 'tier=keep', 'prune-net-keep']);
    // -a with a label: only the unused images that carry it; until=1h: none is that old.
    assert.equal(ok(['image', 'prune', '-af', '--filter', 'until=1h']), 'Total reclaimed space: 0B\n');
    assert.match(ok(['image', 'prune', '-af', '--filter', 'label=tier=drop']), new RegExp(`untagged: prune-drop:1\ndeleted: ${drop}\n`));
    assert.match(ok(['images', '-q', '--no-trunc']), new RegExp(keep));
    assert.equal(ok(['network', 'prune', '-f', '--filter', 'label!=tier=keep']), 'Deleted Networks:\nprune-net-drop\n\n');
    assert.match(ok(['network', 'ls', '--format', '{{.Name}}']), /prune-net-keep/);
    const system = ok(['system', 'prune', '-af', '--filter', 'label=tier=keep']);
    assert.match(system, /Deleted Networks:\nprune-net-keep\n/);
    assert.match(system, new RegExp(`untagged: prune-keep:1\ndeleted: ${keep}\n`));
    // Observed with dockerd 20.10: `system prune --volumes --filter until=1h` exits 1 with this.
    const volumes = store.berth(['system', 'prune', '-f', '--volumes', '--filter', 'until=1h']);
    assert.equal(volumes.code, 1);
    assert.match(volumes.stderr, /The "until" filter is not supported with "--volumes"/);
    const bad = store.berth(['image', 'prune', '-f', '--filter', 'colour=red']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Invalid filter 'colour'/);
  });
});
