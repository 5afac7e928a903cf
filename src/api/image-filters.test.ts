import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ImageSummary } from './engine.js';
import { filterImages, goPathPattern } from './image-filters.js';

const image = (id: string, names: string[], created: string, labels?: Record<string, string>): ImageSummary =>
  ({ id: `sha256:${id.padEnd(64, '0')}`, names, created, size: 1, ...(labels ? { labels } : {}) });
const images = [
  image('a', ['busybox:latest', 'busybox:1.36'], '2026-01-01T00:00:00Z', { tier: 'base' }),
  image('b', ['berth-test/format:1', 'localhost:5000/app:v2'], '2026-02-01T00:00:00Z', { tier: 'app', team: 'x' }),
  image('c', [], '2026-03-01T00:00:00Z'),
];
const context = { findImage: (ref: string) => images.find((i) => i.names.includes(ref)) ?? assert.fail(`no ${ref}`) };
const ids = (filters: string[]) => filterImages(images, filters, context).map((i) => `${i.id.slice(7, 8)}:${i.names.join(',')}`);

test('images filters: dangling, label, before/since, reference with Go path patterns (one key OR-ed, keys AND-ed)', () => {
  assert.deepEqual(ids(['dangling=true']), ['c:']);
  assert.deepEqual(ids(['dangling=false']), ['a:busybox:latest,busybox:1.36', 'b:berth-test/format:1,localhost:5000/app:v2']);
  assert.deepEqual(ids(['label=team']), ['b:berth-test/format:1,localhost:5000/app:v2']);
  assert.deepEqual(ids(['label=tier=base', 'label=team=x']), ['a:busybox:latest,busybox:1.36', 'b:berth-test/format:1,localhost:5000/app:v2']);
  assert.deepEqual(ids(['before=berth-test/format:1']), ['a:busybox:latest,busybox:1.36']);
  assert.deepEqual(ids(['since=busybox:latest', 'dangling=false']), ['b:berth-test/format:1,localhost:5000/app:v2']);
  // A reference filter keeps only the names it matched; `*` stops at `/` (dockerd: berth* does not match berth-test/format).
  assert.deepEqual(ids(['reference=busybox:1.*']), ['a:busybox:1.36']);
  assert.deepEqual(ids(['reference=busybox']), ['a:busybox:latest,busybox:1.36']);
  assert.deepEqual(ids(['reference=berth*']), []);
  assert.deepEqual(ids(['reference=berth-test/*']), ['b:berth-test/format:1']);
  assert.deepEqual(ids(['reference=localhost:5000/app']), ['b:localhost:5000/app:v2']);
});

test('images filters: dockerd\'s errors for unknown keys and bad values', () => {
  assert.throws(() => ids(['foo=bar']), /Invalid filter 'foo'$/);
  assert.throws(() => ids(['dangling=xyz']), /Invalid filter 'dangling=\[xyz\]'/);
  assert.throws(() => ids(['label']), /bad format of filter \(expected name=value\)/);
  assert.throws(() => goPathPattern('a[b'), /syntax error in pattern/);
  assert.ok(goPathPattern('a?c').test('abc'));
  assert.ok(!goPathPattern('a?c').test('a/c'));
  assert.ok(goPathPattern('[^x]b').test('ab'));
  assert.ok(goPathPattern('a\\*').test('a*'));
});
