// Fuzz target: the gzip/bzip2/xz stream handling ADD uses (openArchive, then applyLayer) and the
// gzip detection of applyLayer that import and layer unpacking use. Truncated, bit-flipped and
// spliced streams must give a BerthError (or, for ADD, "not an archive": copied as a file, as
// Docker does), never another exception, a crash or a hang (a case that does not settle within
// fast-check's timeout fails). Mutation check: letting applyLayer pass zlib errors on unwrapped
// (describe() without its Z_ case) fails the second property within a few cases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { isBerthError } from '../base/index.js';
import { applyLayer } from '../core/diff/index.js';
import { openArchive } from './open-archive.js';
import { damage, fc, fuzzParameters, fuzzTimeout, hostileLayer, makeTar, placeOutside, streamOf, tempDir } from '../testing/index.js';

type Compression = 'none' | 'gzip' | 'bzip2' | 'xz';

function compress(tar: Buffer, how: Compression): Buffer {
  if (how === 'none') return tar;
  if (how === 'gzip') return gzipSync(tar);
  const out = spawnSync(how, ['-c'], { input: tar, maxBuffer: 64 << 20 });
  assert.equal(out.status, 0, `${how} failed`);
  return out.stdout;
}

const archiveCase = fc.record({
  entries: hostileLayer,
  compression: fc.constantFrom<Compression>('none', 'gzip', 'bzip2', 'xz'),
  damage,
});

/** Either it worked or it failed with a BerthError: anything else fails the property. */
async function berthErrorOrSuccess(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (!isBerthError(err)) throw err;
  }
}

test('ADD archives: damaged gzip, bzip2 and xz streams give a BerthError or a plain copy, never a crash or hang', { timeout: fuzzTimeout() }, async () => {
  await fc.assert(fc.asyncProperty(archiveCase, async ({ entries, compression, damage: hurt }) => {
    const base = tempDir('berth-fuzz-archive-');
    try {
      let tar: Buffer;
      try {
        tar = await makeTar(placeOutside(entries, join(base, 'outside')));
      } catch {
        return; // tar-stream cannot write this header: not a case for the reader
      }
      const file = join(base, 'archive');
      writeFileSync(file, hurt(compress(tar, compression)));
      const dest = join(base, 'dest');
      mkdirSync(dest);
      await berthErrorOrSuccess((async () => {
        const stream = await openArchive(file);
        if (stream !== undefined) await applyLayer(stream, dest, { whiteouts: 'delete', layerName: 'archive' });
      })());
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }), { ...fuzzParameters(40), timeout: 10_000 });
});

test('layers and imports: damaged gzip streams give a BerthError, never a crash or hang', { timeout: fuzzTimeout() }, async () => {
  await fc.assert(fc.asyncProperty(archiveCase, fc.integer({ min: 1, max: 4096 }), async ({ entries, damage: hurt }, chunk) => {
    const base = tempDir('berth-fuzz-gzip-');
    try {
      let tar: Buffer;
      try {
        tar = await makeTar(placeOutside(entries, join(base, 'outside')));
      } catch {
        return;
      }
      mkdirSync(join(base, 'dest'));
      await berthErrorOrSuccess(applyLayer(streamOf(hurt(gzipSync(tar)), chunk), join(base, 'dest'), { whiteouts: 'overlay' }));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }), { ...fuzzParameters(60), timeout: 10_000 });
});
