// Fuzz target (FuzzApply-style, as containerd and moby run on OSS-Fuzz): up to 20 hostile layer
// tars, some of them damaged, applied one after another into <base>/parent/root. Whatever they
// hold, applyLayer either succeeds or fails with a BerthError, and nothing outside the root
// changes: <base> and <base>/parent/outside (which the tars name by its absolute path, and reach
// for with .., symlink and hard-link chains) are snapshotted before and compared after each tar.
// Mutation check: making Unpacker resolve symlinks with path.resolve instead of secureJoin makes
// this test fail within its first cases.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { isBerthError } from '../../base/index.js';
import { applyLayer } from './index.js';
import { damage, fc, fuzzParameters, fuzzTimeout, hostileLayer, makeTar, placeOutside, snapshotTree, streamOf, tempDir } from '../../testing/index.js';

/**
 * Everything outside the root being written: what <base> and <base>/parent hold, parent's own
 * metadata, and the whole tree of <base>/parent/outside. (The root itself is not walked: what a
 * hostile layer leaves inside it, such as an empty security.capability, is its own business.)
 */
function outsideState(base: string): unknown {
  const parent = join(base, 'parent');
  const st = lstatSync(parent);
  return {
    base: readdirSync(base).sort(),
    parent: readdirSync(parent).sort(),
    parentMeta: [st.mode, st.uid, st.gid, st.mtimeMs, st.nlink],
    outside: snapshotTree(join(parent, 'outside')),
  };
}

function assertNoExtraLinks(dir: string): void {
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile() === true) assert.equal(st.nlink, 1, `${name} gained a hard link from inside the root`);
  }
}

const layerRun = fc.record({
  entries: hostileLayer,
  damage,
  whiteouts: fc.constantFrom('delete', 'overlay'),
  devices: fc.constantFrom('skip', 'refuse'),
});

test('hostile and damaged layer tars never change anything outside the root', { timeout: fuzzTimeout() }, async () => {
  await fc.assert(fc.asyncProperty(fc.array(layerRun, { minLength: 1, maxLength: 20 }), async (layers) => {
    const base = tempDir('berth-fuzz-apply-');
    try {
      const parent = join(base, 'parent');
      const root = join(parent, 'root');
      const outside = join(parent, 'outside');
      mkdirSync(root, { recursive: true });
      mkdirSync(join(outside, 'd'), { recursive: true });
      writeFileSync(join(outside, 'secret'), 'secret');
      writeFileSync(join(outside, 'd', 'file'), 'file');
      const before = outsideState(base);
      for (const layer of layers) {
        let tar: Buffer;
        try {
          tar = await makeTar(placeOutside(layer.entries, outside));
        } catch {
          continue; // tar-stream cannot write this header: not a case for the reader
        }
        try {
          await applyLayer(streamOf(layer.damage(tar), 997), root, { whiteouts: layer.whiteouts, devices: layer.devices });
        } catch (err) {
          if (!isBerthError(err)) throw err;
        }
        assert.deepEqual(outsideState(base), before);
        assertNoExtraLinks(outside);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }), fuzzParameters(120));
});
