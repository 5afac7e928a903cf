/**
 * `berth system df`: docker system df's layout, and sizes that add up to the store's own `du -sbx`
 * (within 2%) on a store with images sharing layers, a running and a stopped container and a volume.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

/** `6.178MB` → bytes (go-units' decimal sizes). */
function bytes(text: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB|TB)/.exec(text);
  assert.ok(m, text);
  return Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 } as Record<string, number>)[m[2] as string]!;
}

describe('system df', () => {
  let store: Store;
  before(() => {
    store = createStore({ withBusybox: true });
    const ok = (args: string[]) => {
      const r = store.berth(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    };
    // An image sharing busybox's layer: a commit of a container that wrote 2 MB.
    ok(['run', '--name', 'writer', busyboxImage, 'sh', '-c', 'head -c 2000000 /dev/urandom > /big']);
    ok(['commit', 'writer', 'df/committed:1']);
    ok(['tag', busyboxImage, 'df/alias:1']);
    ok(['rm', 'writer']);
    // A running container with a volume of 3 MB and 1 MB in its writable layer; a stopped one.
    ok(['run', '-d', '--name', 'running', '-v', 'dfvol:/data', busyboxImage, 'sh', '-c', 'head -c 3000000 /dev/urandom > /data/f; head -c 1000000 /dev/urandom > /f; touch /done; sleep 600']);
    for (let i = 0; i < 100 && store.berth(['exec', 'running', 'test', '-e', '/done']).code !== 0; i++) spawnSync('sleep', ['0.1']);
    ok(['run', '--name', 'stopped', 'df/committed:1', 'true']);
  });
  after(() => store?.dispose());

  test('the summary in Docker\'s layout, its sizes adding up to du -sbx of the store', () => {
    const r = store.berth(['system', 'df']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE');
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 3)), [['Images', '2', '2'], ['Containers', '2', '1'], ['Local Volumes', '1', '1'], ['Build Cache', '0', '0']]);
    const rows = store.berth(['system', 'df', '--format', '{{json .}}']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(rows.map((row) => row.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
    const total = rows.reduce((t, row) => t + bytes(row.Size as string), 0);
    // du -x: a running container's mounted root would count its image's layers again.
    const du = Number(spawnSync('du', ['-sbx', store.root]).stdout.toString().split('\t')[0]);
    assert.ok(Math.abs(total - du) / du < 0.02, `system df says ${total} bytes, du -sbx ${du}`);
    // The pieces: images hold busybox's layer once (blob and unpacked, about 4.2 MB, though both images
    // have it) and the 2 MB layer (blob and unpacked); the volume 3 MB; the running container's layer 1 MB.
    const [images, containers, volumes] = rows.map((row) => bytes(row.Size as string));
    assert.ok(images! > 7.5e6 && images! < 9e6, `images ${images}`);
    assert.ok(volumes! >= 3e6 && volumes! < 3.1e6, `volumes ${volumes}`);
    assert.ok(containers! >= 1e6 && containers! < 1.2e6, `containers ${containers}`);
    assert.equal(rows[1]?.Reclaimable, store.berth(['system', 'df', '--format', '{{.Reclaimable}}']).stdout.split('\n')[1]);
  });

  test('-v: per-image shared and unique sizes, per-container and per-volume tables', () => {
    const r = store.berth(['system', 'df', '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
    const committed = /^df\/committed\s+1\s+\w{12}\s+.+?\s{3,}(\S+)\s+(\S+)\s+(\S+)\s+(\d+)$/m.exec(r.stdout);
    assert.ok(committed, r.stdout);
    // Its unique part is the 2 MB layer (blob and unpacked: about twice), its shared part busybox's.
    assert.ok(bytes(committed[3]!) > 2e6, committed[3]);
    assert.equal(committed[4], '1');
    assert.match(r.stdout, /\nContainers space usage:\n\nCONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES\n/);
    assert.match(r.stdout, /^\w{12}\s+berth-test\/busybox:1\s+"sh -c 'head -c 3000…"\s+1\s+1\.\d+MB\s+.*Up .*running$/m);
    assert.match(r.stdout, /\nLocal Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\ndfvol\s+1\s+3\.0\dMB\n/);
    assert.match(r.stdout, /\nBuild cache usage: 0B\n/);
  });
});
