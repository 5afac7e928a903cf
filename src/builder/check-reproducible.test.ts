import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Digest } from '../base/index.js';
import type { BuiltImage } from './build-image.js';
import { pairLayers } from './check-reproducible.js';
import { culpritHint } from './culprits.js';

function built(layers: [string, string][]): BuiltImage {
  return {
    image: { manifest: { layers: layers.map(([, digest]) => ({ digest: digest as Digest })) } },
    layerSteps: layers.map(([label]) => ({ label, location: 'Dockerfile:1' })),
  } as unknown as BuiltImage;
}

test('layers are paired by their step; a step with a layer in one build only stands alone', () => {
  const a = built([['FROM x (base layer 1/1)', 'b'], ['[2/4] RUN one', 'r1'], ['[3/4] RUN two', 'r2a'], ['[4/4] COPY x', 'c']]);
  const b = built([['FROM x (base layer 1/1)', 'b'], ['[3/4] RUN two', 'r2b'], ['[4/4] COPY x', 'c'], ['[5/5] RUN extra', 'e']]);
  const pairs = pairLayers(a, b).map(([x, y]) => `${x?.key ?? '-'}=${x?.digest ?? '-'}|${y?.digest ?? '-'}`);
  assert.deepEqual(pairs, [
    'FROM x (base layer 1/1)=b|b',
    '[2/4] RUN one=r1|-',
    '[3/4] RUN two=r2a|r2b',
    '[4/4] COPY x=c|c',
    '-=-|e',
  ]);
});

test('hints by path, by kind (time only, a compiled file), none for an unknown file', () => {
  assert.match(culpritHint('/var/cache/apt/pkgcache.bin', ['content'], false) ?? '', /apt's binary package caches/);
  assert.match(culpritHint('/var/cache/ldconfig/aux-cache', ['content'], false) ?? '', /ldconfig/);
  assert.match(culpritHint('/var/log/dpkg.log', ['content'], false) ?? '', /log the time/);
  assert.match(culpritHint('/usr/lib/python3/dist-packages/__pycache__/x.cpython-311.pyc', ['content'], false) ?? '', /bytecode/);
  assert.match(culpritHint('/srv/data', ['mtime'], false) ?? '', /only the time differs/);
  assert.match(culpritHint('/usr/local/bin/app', ['content'], true) ?? '', /compiled file/);
  assert.equal(culpritHint('/srv/data', ['content'], false), undefined);
  assert.match(culpritHint('/srv/info', ['content'], false, ['-built Thu, 30 Nov 2026 04:00:43', '+built Thu, 30 Nov 2026 04:00:44']) ?? '', /records when it was made/);
  assert.match(culpritHint('/srv/info', ['content'], false, ['-"time": 1764475243']) ?? '', /records when it was made/);
  assert.equal(culpritHint('/srv/info', ['content'], false, ['-value 42', '+value 43']), undefined);
});
