/**
 * `berth system check` on damaged stores: each kind of damage is found, named, and makes the
 * check fail (exit 1, "NOT consistent"). A healthy store is checked elsewhere; a check that only
 * ever saw healthy stores could not fail.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, readlinkSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

const blobPath = (store: Store, digest: string) => join(store.root, 'content', 'blobs', 'sha256', digest.replace(/^sha256:/, ''));

function inspectImage(store: Store): { ManifestDigest: string; RootFS: { Layers: string[] } } {
  const r = store.berth(['inspect', '--type', 'image', busyboxImage]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { ManifestDigest: string; RootFS: { Layers: string[] } }[])[0] as { ManifestDigest: string; RootFS: { Layers: string[] } };
}

function check(store: Store): { code: number; stdout: string } {
  const r = store.berth(['system', 'check']);
  return { code: r.code, stdout: r.stdout };
}

describe('system check on a damaged store', () => {
  let store: Store;
  beforeEach(() => {
    store = createStore({ withBusybox: true });
    assert.equal(check(store).code, 0, 'the fresh store is consistent');
  });
  afterEach(() => store.dispose());

  test('a layer blob whose bytes changed is named as not matching its digest', () => {
    const [layer] = inspectImage(store).RootFS.Layers;
    assert.ok(layer);
    const fd = openSync(blobPath(store, layer), 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, 600);
    writeSync(fd, Buffer.from([byte[0] === 0x41 ? 0x42 : 0x41]), 0, 1, 600);
    closeSync(fd);
    const r = check(store);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`problem: blob "${layer}" does not match its digest`));
    assert.match(r.stdout, /is NOT consistent: 1 problem/);
  });

  test('a referenced blob that is gone is named as missing', () => {
    const [layer] = inspectImage(store).RootFS.Layers;
    assert.ok(layer);
    unlinkSync(blobPath(store, layer));
    const r = check(store);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`problem: blob "${layer}" is referenced but missing`));
  });

  test('an image whose manifest is gone is named', () => {
    const manifest = inspectImage(store).ManifestDigest;
    unlinkSync(blobPath(store, manifest));
    const r = check(store);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /problem: image "docker\.io\/berth-test\/busybox:1": /);
  });

  test('a container whose root snapshot is gone is named', () => {
    const created = store.berth(['run', '--name', 'rootless', busyboxImage, 'true']);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(store.berth(['inspect', 'rootless']).stdout) as { Id: string }[])[0]?.Id ?? '';
    const keys = join(store.root, 'snapshots', 'overlay', 'keys');
    const snapshotId = readlinkSync(join(keys, `container-${id}`));
    unlinkSync(join(keys, `container-${id}`));
    rmSync(join(store.root, 'snapshots', 'overlay', snapshotId.split('/').pop() ?? ''), { recursive: true, force: true });
    const r = check(store);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`problem: snapshot "container-${id}" of a container is missing`));
  });
});
