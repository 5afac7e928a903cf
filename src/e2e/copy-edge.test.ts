/**
 * COPY's edge cases that used to crash the build with `internal error: ENOENT`: file names that
 * are not valid UTF-8 (refused with FILE_NAME_NOT_UTF8 naming the file, for a context file and
 * for one a RUN step made — a JS string would decode them lossily and name another file), and a
 * destination directory reached through a symlink to a missing absolute path in the image (the
 * directories are created inside the root, as Docker does). And a loss the COPY speed-up found:
 * setuid/setgid bits of copied files are kept, as BuildKit keeps them.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { BuildStore } from './build-harness.js';
import { createBuildStore } from './build-harness.js';
import { busyboxImage } from './harness.js';

describe('COPY edge cases', { concurrency: false }, () => {
  let store: BuildStore;
  let work: string;
  let n = 0;
  const context = (dockerfile: string): string => {
    const dir = join(work, `ctx-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    return dir;
  };
  const build = (dir: string, ...extra: string[]) => store.berth(['build', '--progress', 'plain', '--network', 'none', ...extra, dir], { env: { BERTH_DEBUG: '1' } });

  before(() => {
    store = createBuildStore();
    work = mkdtempSync(join(tmpdir(), 'berth-copy-edge-'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('a context file whose name is not UTF-8 is refused, naming it', () => {
    const dir = context(`FROM ${busyboxImage}\nCOPY . /d/\n`);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(Buffer.concat([Buffer.from(join(dir, 'sub/a')), Buffer.from([0xff]), Buffer.from('b')]), 'x');
    const r = build(dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BERTH_E_FILE_NAME_NOT_UTF8/);
    assert.ok(r.stderr.includes('sub/a\\xffb'), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  test('a glob does not silently drop a file whose name is not UTF-8', () => {
    const dir = context(`FROM ${busyboxImage}\nCOPY a* /d/\n`);
    writeFileSync(Buffer.concat([Buffer.from(join(dir, 'a')), Buffer.from([0xfe])]), 'x');
    const r = build(dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BERTH_E_FILE_NAME_NOT_UTF8/);
  });

  test('a RUN step that makes such a name fails with a clear error, not a crash', () => {
    const r = build(context(`FROM ${busyboxImage}\nRUN touch "$(printf 'x\\377y')"\n`));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BERTH_E_FILE_NAME_NOT_UTF8/);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  test('COPY keeps setuid and setgid bits (they were lost: chown after chmod clears them)', () => {
    const dir = context(`FROM ${busyboxImage}\nCOPY tree /t/\nCOPY --chown=1:1 tree/suid /owned\n`);
    mkdirSync(join(dir, 'tree'));
    writeFileSync(join(dir, 'tree', 'suid'), '#!/bin/sh\n', { mode: 0o755 });
    chmodSync(join(dir, 'tree', 'suid'), 0o4755);
    writeFileSync(join(dir, 'tree', 'sgid'), 'x', { mode: 0o644 });
    chmodSync(join(dir, 'tree', 'sgid'), 0o2644);
    const r = build(dir, '-t', 'copy-edge:modes');
    assert.equal(r.code, 0, r.stderr);
    const shown = store.berth(['run', '--rm', 'copy-edge:modes', 'stat', '-c', '%a %u %n', '/t/suid', '/t/sgid', '/owned']);
    assert.equal(shown.stdout, '4755 0 /t/suid\n2644 0 /t/sgid\n4755 1 /owned\n', shown.stderr);
  });

  test('COPY into a symlink to a missing absolute path creates the directories inside the root', () => {
    const dir = context(`FROM ${busyboxImage}\nRUN ln -s /missing/abs /d\nCOPY f /d/\n`);
    writeFileSync(join(dir, 'f'), 'content\n');
    const r = build(dir, '-t', 'copy-edge:symlink');
    assert.equal(r.code, 0, r.stderr);
    const shown = store.berth(['run', '--rm', 'copy-edge:symlink', 'sh', '-c', 'cat /d/f; stat -c "%a %u" /missing /missing/abs']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, 'content\n755 0\n755 0\n');
  });

  // The writes go through directory fds of the root (openat2 RESOLVE_IN_ROOT): an absolute
  // symlink in the image names a path inside the root even when that path exists on the host.
  // Mutation seen red: openInRoot without RESOLVE_IN_ROOT (native/berth_sys.c) put the files in the host directory.
  test('COPY through a symlink to an existing host directory lands inside the root, never in the host directory', () => {
    const hostDir = join(work, 'host-target');
    mkdirSync(hostDir);
    const dir = context(`FROM ${busyboxImage}\nRUN ln -s ${hostDir} /h\nCOPY f /h/\nCOPY t /h/t/\nCOPY <<EOF /h/inline\nhello\nEOF\n`);
    writeFileSync(join(dir, 'f'), 'content\n');
    mkdirSync(join(dir, 't', 'sub'), { recursive: true });
    writeFileSync(join(dir, 't', 'sub', 'g'), 'g\n');
    const r = build(dir, '-t', 'copy-edge:hostlink');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(hostDir), []);
    const shown = store.berth(['run', '--rm', 'copy-edge:hostlink', 'sh', '-c', `cat ${hostDir}/f ${hostDir}/t/sub/g ${hostDir}/inline; readlink /h`]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, `content\ng\nhello\n${hostDir}\n`);
  });
});
