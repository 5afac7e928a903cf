/**
 * `berth image diff A B` end to end on busybox images built for the test: added, deleted and
 * changed files with what changed and their sizes; `--content`'s unified diffs and what it skips;
 * one layer against another; unknown images are a clear error.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';
import { inspectImage } from './build-harness.js';

describe('image diff', { concurrency: false }, () => {
  let store: Store;
  let work: string;

  function build(tag: string, dockerfile: string, files: Record<string, string | Buffer> = {}): void {
    const dir = join(work, tag.replace(/[^a-z0-9]/g, '-'));
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    const r = store.berth(['build', '-q', '--reproducible', '--network', 'none', '-t', tag, dir], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
  }

  before(() => {
    store = createStore({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-image-diff-'));
    const big = `${'a line of a large text file\n'.repeat(3000)}`;
    build('diff-a:1', [
      `FROM ${busyboxImage}`,
      'COPY . /data/',
      'RUN rm /data/Dockerfile && chmod 0600 /data/mode && mkdir -p /data/dir/sub && echo x > /data/dir/sub/f',
      '',
    ].join('\n'), { same: 'same\n', text: 'one\ntwo\nthree\n', gone: 'gone\n', mode: 'm\n', binary: Buffer.from([0, 1, 2, 3, 0xff]), big });
    build('diff-b:1', [
      'FROM diff-a:1',
      'RUN printf "one\\nTWO\\nthree\\n" > /data/text && rm -r /data/gone /data/dir && chmod 0644 /data/mode'
        + ' && printf "\\000\\001\\002" > /data/binary && echo new > /data/new && echo more >> /data/big && ln -s same /data/link',
      '',
    ].join('\n'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('names added, deleted and changed paths with what changed and the sizes, sorted by path', () => {
    const r = store.berth(['image', 'diff', 'diff-a:1', 'diff-b:1']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    // Directories changed by the RUN (their time is clamped to the epoch in both) are not listed.
    assert.deepEqual(lines, [
      'C /data/big (content: 84kB -> 84kB)',
      'C /data/binary (content: 5B -> 3B)',
      'D /data/dir (directory)',
      'D /data/dir/sub (directory)',
      'D /data/dir/sub/f (2B)',
      'D /data/gone (5B)',
      'A /data/link (symlink -> same)',
      'C /data/mode (mode 0600 -> 0644)',
      'A /data/new (4B)',
      'C /data/text (content: 14B -> 14B)',
    ]);
    const same = store.berth(['image', 'diff', 'diff-a:1', 'diff-a:1']);
    assert.equal(same.code, 0);
    assert.equal(same.stdout, '');
  });

  test('--content shows unified diffs of small text files and says why others are not shown', () => {
    const r = store.berth(['image', 'diff', '--content', 'diff-a:1', 'diff-b:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^C \/data\/text \(content: 14B -> 14B\)\n--- a\/data\/text\n\+\+\+ b\/data\/text\n@@ -1,3 \+1,3 @@\n one\n-two\n\+TWO\n three\n/m);
    assert.match(r.stdout, /^A \/data\/new \(4B\)\n--- \/dev\/null\n\+\+\+ b\/data\/new\n@@ -0,0 \+1 @@\n\+new\n/m);
    assert.match(r.stdout, /^D \/data\/gone \(5B\)\n--- a\/data\/gone\n\+\+\+ \/dev\/null\n@@ -1 \+0,0 @@\n-gone\n/m);
    assert.match(r.stdout, /^C \/data\/binary \(content: 5B -> 3B; content not shown: binary\)$/m);
    assert.match(r.stdout, /^C \/data\/big \(content: 84kB -> 84kB; content not shown: larger than 64 KiB\)$/m);
    // Metadata-only changes and non-files have no content to show.
    assert.match(r.stdout, /^C \/data\/mode \(mode 0600 -> 0644\)$/m);
  });

  test('one layer against another: each layer\'s own entries, whiteouts included', () => {
    const layers = inspectImage(store, 'diff-b:1').RootFS.Layers;
    const [copied, ran, changed] = layers.slice(-3) as [string, string, string];
    assert.ok(copied && ran && changed);
    const r = store.berth(['image', 'diff', ran, changed]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^C \/data\/dir \(type: directory -> whiteout\)$/m);
    assert.match(r.stdout, /^A \/data\/gone \(whiteout\)$/m);
    assert.match(r.stdout, /^D \/data\/dir\/sub\/f \(2B\)$/m);
    // A layer against an image is allowed too: the image's whole tree against the layer's entries.
    const mixed = store.berth(['image', 'diff', copied, 'diff-a:1']);
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.match(mixed.stdout, /^A \/bin\/busybox /m);
  });

  test('unknown images and layers are a clear error, without a stack trace', () => {
    for (const [a, b, name] of [
      ['nosuch:1', 'diff-a:1', 'nosuch:1'],
      ['diff-a:1', `sha256:${'0'.repeat(64)}`, `sha256:${'0'.repeat(64)}`],
    ] as const) {
      const r = store.berth(['image', 'diff', a, b]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      // An engine error, printed as the docker CLI prints a daemon's.
      assert.match(r.stderr, new RegExp(`^(berth: |Error response from daemon: )No such image or layer: "${name}"\n`));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const usage = store.berth(['image', 'diff', 'diff-a:1']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /"berth image diff" requires exactly 2 arguments/);
    const help = store.berth(['image', 'diff', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage:\s+berth image diff \[OPTIONS\] A B/);
  });
});
