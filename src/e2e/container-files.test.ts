/**
 * A container's files from outside: `cp` both ways (stopped and running containers, Docker's path
 * rules, tar streams, ownership), the symlink attacks on `cp` in both directions, `diff`,
 * `export`, `commit` (then a run of the new image) and `container prune --filter`.
 *
 * Docker's behaviour, as the reference dockerd 20.10 (client 28) showed it, recorded per case:
 * - cp into a container keeps the archive's uid/gid (the host files' owners: `docker cp` as root
 *   sent 1234:5678 and the file was 1234:5678 inside); with -a every file is owned by the
 *   container's user (`-u nobody` gave nobody/nogroup; no user gives root).
 * - cp out of a container: files are owned by the user running cp (root) and keep modes and mtimes;
 *   the reference's -a did the same, berth's -a keeps the container's owners as Docker's manual says.
 * - file -> missing dest: created there; -> `missing/`: "no such directory"; dir -> missing:
 *   created with the dir's contents; dir -> existing dir: nested; `dir/.` -> existing dir: its
 *   contents; dir -> file: refused; missing parent in the container: "Could not find the file";
 *   `file/` as source: "not a directory"; `-` into a non-directory: "must be a directory".
 * - `/x -> /etc` in the container: `cp c:/x/f` reads the container's /etc/f; `cp c:/x out` copies
 *   the link; `cp -L c:/x out` the container's /etc directory.
 * - diff: `C` for a directory with changes under it, `D` for a whiteout and for what a re-created
 *   (opaque) directory hides, `A` for everything added. Docker prints them in directory order;
 *   berth sorts by path.
 * - container prune: "Deleted Containers:\n<ids>\n\nTotal reclaimed space: 3B\n" (a 3-byte file),
 *   only "Total reclaimed space: 0B" when nothing matched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTar } from '../testing/index.js';
import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore, mountsUnder } from './harness.js';

/** `tar tv`-like listing of a tar: "mode uid/gid name" per entry (mode in octal). */
function listTar(buf: Buffer): string[] {
  const r = spawnSync('tar', ['--numeric-owner', '-tvf', '-'], { input: buf });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString().split('\n').filter(Boolean);
}

/** The entry names of a tar. */
function tarNames(buf: Buffer): string[] {
  const r = spawnSync('tar', ['-tf', '-'], { input: buf });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString().split('\n').filter(Boolean);
}

describe('container files: cp, diff, export, commit, prune', { concurrency: false }, () => {
  let store: Store;
  let work: string;
  let tree: string;
  const hostMarker = `berth-files-${process.pid}-${Date.now()}`;

  const ok = (args: string[], input?: string | Buffer) => {
    const r = store.berth(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** An exited container named `name` after `script` ran in it. */
  const stopped = (name: string, script: string) => ok(['run', '--name', name, busyboxImage, 'sh', '-c', script]);
  /** berth's raw stdout (a tar), which the harness would decode as text. */
  const rawOut = (args: string[]): Buffer => {
    const r = spawnSync(berthBin, args, { env: { ...process.env, BERTH_ROOT: store.root }, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `berth ${args.join(' ')}: ${r.stderr.toString()}`);
    return r.stdout;
  };

  before(() => {
    store = createStore({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-files-'));
    // A host tree: modes, owners, mtimes, a symlink, a nested directory, an empty directory.
    tree = join(work, 'tree');
    mkdirSync(join(tree, 'sub', 'deep'), { recursive: true });
    mkdirSync(join(tree, 'empty'));
    writeFileSync(join(tree, 'a'), 'a\n');
    chmodSync(join(tree, 'a'), 0o640);
    chownSync(join(tree, 'a'), 1234, 5678);
    writeFileSync(join(tree, 'sub', 'deep', 'x'), 'x\n');
    chmodSync(join(tree, 'sub', 'deep', 'x'), 0o4755);
    chmodSync(join(tree, 'sub'), 0o750);
    chownSync(join(tree, 'sub'), 42, 43);
    symlinkSync('../a', join(tree, 'sub', 'link'));
    utimesSync(join(tree, 'a'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
    assert.equal(existsSync(join('/etc', hostMarker)), false, 'a test wrote into the host /etc');
  });

  test('cp round-trips a directory tree with modes, owners and mtimes (stopped container, then -a out)', () => {
    stopped('rt', 'mkdir /data');
    ok(['cp', tree, 'rt:/data']);
    const out = join(work, 'rt-out');
    ok(['cp', '-a', 'rt:/data/tree', out]);
    for (const rel of ['a', 'sub', 'sub/deep', 'sub/deep/x', 'sub/link', 'empty']) {
      const want = lstatSync(join(tree, rel));
      const got = lstatSync(join(out, rel));
      assert.equal(got.mode, want.mode, `mode of ${rel}`);
      assert.equal(`${got.uid}:${got.gid}`, `${want.uid}:${want.gid}`, `owner of ${rel}`);
      if (!got.isDirectory()) assert.equal(Math.floor(got.mtimeMs / 1000), Math.floor(want.mtimeMs / 1000), `mtime of ${rel}`);
    }
    assert.equal(readlinkSync(join(out, 'sub', 'link')), '../a');
    assert.equal(readFileSync(join(out, 'sub', 'deep', 'x'), 'utf8'), 'x\n');
    // Without -a the copies belong to the user running cp (root here), modes kept.
    const plain = join(work, 'rt-plain');
    ok(['cp', 'rt:/data/tree', plain]);
    assert.equal(statSync(join(plain, 'a')).uid, 0);
    assert.equal(statSync(join(plain, 'a')).mode & 0o7777, 0o640);
    // In the container the files kept the host's owners (as Docker's cp without -a does).
    const listing = listTar(rawOut(['cp', 'rt:/data/tree', '-']));
    assert.ok(listing.some((l) => /^-rw-r----- 1234\/5678 .* tree\/a$/.test(l)), listing.join('\n'));
    assert.ok(listing.some((l) => /^drwxr-x--- 42\/43 .* tree\/sub\/$/.test(l)), listing.join('\n'));
    assert.ok(listing.some((l) => /^-rwsr-xr-x 0\/0 .* tree\/sub\/deep\/x$/.test(l)), listing.join('\n'));
  });

  test('cp into a running container, and -a gives the files the container user', () => {
    const run = store.spawnBerth(['run', '--name', 'live', '--user', 'nobody', busyboxImage, 'sleep', '30']);
    try {
      for (let i = 0; i < 100 && !store.berth(['ps', '-q']).stdout.trim(); i++) spawnSync('sleep', ['0.1']);
      ok(['cp', join(tree, 'a'), 'live:/tmp/plain']);
      ok(['cp', '-a', join(tree, 'a'), 'live:/tmp/archived']);
      const lines = listTar(rawOut(['cp', 'live:/tmp', '-']));
      assert.ok(lines.some((l) => /^-rw-r----- 1234\/5678 .* tmp\/plain$/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^-rw-r----- 65534\/65534 .* tmp\/archived$/.test(l)), lines.join('\n'));
    } finally {
      run.kill('SIGKILL');
      store.berth(['rm', '-f', 'live']);
    }
  });

  test("Docker's path rules, both directions", () => {
    stopped('paths', 'mkdir /tmp/ex; echo f > /etc/f');
    const err = (args: string[], pattern: RegExp, input?: Buffer) => {
      const r = store.berth(args, input === undefined ? {} : { input });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
    };
    ok(['cp', join(tree, 'a'), 'paths:/tmp/newfile']);
    err(['cp', join(tree, 'a'), 'paths:/tmp/nodir/'], /no such directory/);
    ok(['cp', tree, 'paths:/tmp/newdir']);
    ok(['cp', tree, 'paths:/tmp/ex']);
    ok(['cp', `${tree}/.`, 'paths:/tmp/ex']);
    err(['cp', tree, 'paths:/etc/f'], /Cannot copy directory .* it is a file/);
    err(['cp', join(tree, 'a'), 'paths:/nope/deeper/file'], /no such directory/);
    err(['cp', 'paths:/nonexist', join(work, 'x')], /Could not find the file \/nonexist in container paths/);
    err(['cp', 'paths:/etc/f/', join(work, 'x')], /not a directory/);
    err(['cp', `${join(tree, 'a')}/`, 'paths:/tmp/'], /not a directory/);
    err(['cp', '-', 'paths:/etc/f'], /must be a directory/, Buffer.alloc(1024));
    const files = tarNames(rawOut(['export', 'paths'])).filter((n) => n.startsWith('tmp/'));
    assert.deepEqual(files, [
      'tmp/', 'tmp/ex/', 'tmp/ex/a', 'tmp/ex/empty/', 'tmp/ex/sub/', 'tmp/ex/sub/deep/', 'tmp/ex/sub/deep/x', 'tmp/ex/sub/link',
      'tmp/ex/tree/', 'tmp/ex/tree/a', 'tmp/ex/tree/empty/', 'tmp/ex/tree/sub/', 'tmp/ex/tree/sub/deep/', 'tmp/ex/tree/sub/deep/x', 'tmp/ex/tree/sub/link',
      'tmp/newdir/', 'tmp/newdir/a', 'tmp/newdir/empty/', 'tmp/newdir/sub/', 'tmp/newdir/sub/deep/', 'tmp/newdir/sub/deep/x', 'tmp/newdir/sub/link',
      'tmp/newfile',
    ]);
    // Out of the container: a file into an existing directory, a directory to a new path.
    const outDir = join(work, 'paths-out');
    mkdirSync(outDir);
    ok(['cp', 'paths:/etc/f', outDir]);
    assert.equal(readFileSync(join(outDir, 'f'), 'utf8'), 'f\n');
    ok(['cp', 'paths:/tmp/newdir', join(outDir, 'copy')]);
    assert.equal(readFileSync(join(outDir, 'copy', 'a'), 'utf8'), 'a\n');
  });

  test("reading: a symlink to /etc in the container never reads the host's /etc", () => {
    stopped('readattack', `echo container > /etc/${hostMarker}; ln -s /etc /x; ln -s / /root-link; mkdir /d; ln -s /etc/os-release /d/osr`);
    writeFileSync(join('/tmp', `${hostMarker}-host`), 'host\n');
    try {
      const out = join(work, 'read');
      mkdirSync(out);
      // Through a directory symlink: the container's file.
      ok(['cp', `readattack:/x/${hostMarker}`, join(out, 'one')]);
      assert.equal(readFileSync(join(out, 'one'), 'utf8'), 'container\n');
      // A host-only file behind the link is missing in the container, not read from the host.
      const r = store.berth(['cp', `readattack:/root-link/tmp/${hostMarker}-host`, join(out, 'two')]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(existsSync(join(out, 'two')), false);
      const osr = store.berth(['cp', 'readattack:/x/os-release', join(out, 'three')]);
      assert.equal(osr.code, 1, 'the host has /etc/os-release, the busybox container has none');
      // -L follows the link inside the root: the container's /etc.
      ok(['cp', '-L', 'readattack:/x', join(out, 'etc')]);
      assert.equal(existsSync(join(out, 'etc', hostMarker)), true);
      assert.equal(existsSync(join(out, 'etc', 'os-release')), false);
      // A symlink inside a copied directory is copied as a link, never followed.
      ok(['cp', 'readattack:/d', join(out, 'd')]);
      assert.equal(lstatSync(join(out, 'd', 'osr')).isSymbolicLink(), true);
    } finally {
      rmSync(join('/tmp', `${hostMarker}-host`), { force: true });
    }
  });

  test("writing: a symlink to /etc in the container never writes the host's /etc", async () => {
    stopped('writeattack', 'ln -s /etc /x; ln -s / /up');
    writeFileSync(join(work, hostMarker), 'payload\n');
    ok(['cp', join(work, hostMarker), 'writeattack:/x/']);
    ok(['cp', join(work, hostMarker), `writeattack:/up/etc/${hostMarker}-2`]);
    // Tar streams: through the container's link, and through a link the archive makes itself.
    const viaLink = await makeTar([{ name: `x/${hostMarker}-3`, type: 'file', mode: 0o644, body: 'p\n' }]);
    ok(['cp', '-', 'writeattack:/'], viaLink);
    const ownLink = await makeTar([
      { name: 'esc', type: 'symlink', linkname: '/etc', mode: 0o777 },
      { name: `esc/${hostMarker}-4`, type: 'file', mode: 0o644, body: 'p\n' },
    ]);
    ok(['cp', '-', 'writeattack:/tmp'], ownLink);
    for (const suffix of ['', '-2', '-3', '-4']) assert.equal(existsSync(join('/etc', `${hostMarker}${suffix}`)), false, `host /etc/${hostMarker}${suffix}`);
    const listing = listTar(rawOut(['cp', 'writeattack:/etc', '-']));
    for (const suffix of ['', '-2', '-3', '-4']) assert.ok(listing.some((l) => l.endsWith(`etc/${hostMarker}${suffix}`)), `container /etc/${hostMarker}${suffix}:\n${listing.join('\n')}`);
    // Names and hard links climbing out of the destination are refused.
    const dotdot = await makeTar([{ name: `../../../etc/${hostMarker}-5`, type: 'file', mode: 0o644, body: 'p\n' }]);
    const r1 = store.berth(['cp', '-', 'writeattack:/tmp'], { input: dotdot });
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /leads outside the destination directory/);
    const hard = await makeTar([{ name: 'h', type: 'link', linkname: '../../etc/shadow', mode: 0o644 }]);
    const r2 = store.berth(['cp', '-', 'writeattack:/tmp'], { input: hard });
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /leads outside the destination directory/);
    // Out to the host: a container's archive cannot write outside the destination directory.
    const out = join(work, 'write-out');
    mkdirSync(out);
    ok(['cp', 'writeattack:/x', join(out, 'link')]);
    assert.equal(readlinkSync(join(out, 'link')), '/etc');
  });

  test('diff lists added, changed and deleted paths', () => {
    stopped('changes', 'rm -rf /home && mkdir /home && touch /home/x; rm /bin/ls; touch /usr/bin/new; echo >> /etc/passwd; mkdir -p /newdir/sub; touch /newdir/sub/f');
    assert.equal(ok(['diff', 'changes']).stdout, [
      'C /bin', 'D /bin/ls', 'C /etc', 'C /etc/passwd', 'C /home', 'D /home/app', 'A /home/x',
      'A /newdir', 'A /newdir/sub', 'A /newdir/sub/f', 'C /usr', 'C /usr/bin', 'A /usr/bin/new', '',
    ].join('\n'));
    assert.equal(ok(['container', 'diff', 'changes']).stdout.split('\n')[0], 'C /bin');
  });

  test('export writes the merged filesystem as a tar, to stdout or -o', () => {
    stopped('exp', 'echo hello > /hello; rm /bin/ls');
    const file = join(work, 'exp.tar');
    ok(['export', '-o', file, 'exp']);
    const names = tarNames(readFileSync(file));
    assert.ok(names.includes('hello'));
    assert.ok(names.includes('bin/busybox') && names.includes('bin/'));
    assert.ok(!names.includes('bin/ls'));
    const r = spawnSync('tar', ['-xOf', file, 'hello']);
    assert.equal(r.stdout.toString(), 'hello\n');
    assert.deepEqual(mountsUnder(join(store.root, 'container-mounts')), [], 'the temporary mount is gone');
  });

  test('commit makes an image with the changes, the changes asked for and a history entry; the image runs', () => {
    stopped('com', 'echo committed > /made');
    const r = ok(['commit', '-c', 'ENV GREETING=hi', '-m', 'my message', '-a', 'Me <me@example.com>', 'com', 'files-test/committed:1']);
    assert.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
    assert.equal(ok(['run', '--rm', 'files-test/committed:1', 'sh', '-c', 'cat /made; echo $GREETING']).stdout, 'committed\nhi\n');
    const inspect = JSON.parse(ok(['inspect', '--type', 'image', 'files-test/committed:1']).stdout) as [{ Author?: string; Comment?: string }];
    assert.equal(inspect[0].Author, 'Me <me@example.com>');
    // Without a name: an untagged image, by id.
    const id = ok(['commit', 'com']).stdout.trim();
    assert.equal(ok(['run', '--rm', id, 'cat', '/made']).stdout, 'committed\n');
    // A running container is paused while its changes are read, and runs on afterwards.
    const run = store.spawnBerth(['run', '--name', 'comlive', busyboxImage, 'sh', '-c', 'echo live > /live; sleep 30']);
    try {
      for (let i = 0; i < 100 && !store.berth(['ps', '-q']).stdout.trim(); i++) spawnSync('sleep', ['0.1']);
      spawnSync('sleep', ['0.3']);
      ok(['commit', 'comlive', 'files-test/live:1']);
      assert.equal(ok(['run', '--rm', 'files-test/live:1', 'cat', '/live']).stdout, 'live\n');
      assert.match(ok(['ps']).stdout, /comlive/);
    } finally {
      run.kill('SIGKILL');
      store.berth(['rm', '-f', 'comlive']);
    }
  });

  test('container prune removes stopped containers matching its filters', () => {
    const before = ok(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
    stopped('p1', 'echo hi > /f');
    const p1 = ok(['inspect', '--format', '{{.Id}}', 'p1']).stdout.trim();
    assert.equal(ok(['container', 'prune', '-f', '--filter', 'until=1h']).stdout, 'Total reclaimed space: 0B\n');
    const bad = store.berth(['container', 'prune', '-f', '--filter', 'until=bogus']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /failed to parse value as time or duration/);
    const unknown = store.berth(['container', 'prune', '-f', '--filter', 'foo=bar']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Invalid filter "foo"/);
    // Not confirmed: nothing goes.
    const asked = store.berth(['container', 'prune'], { input: 'n\n' });
    assert.equal(asked.code, 0);
    assert.match(asked.stdout, /Are you sure you want to continue\? \[y\/N\] $/);
    assert.ok(ok(['ps', '-aq', '--no-trunc']).stdout.includes(p1));
    const gone = ok(['container', 'prune', '-f', '--filter', 'until=0s']);
    const ids = [...before, p1].sort();
    assert.equal(gone.stdout.split('\n\n')[1], 'Total reclaimed space: ' + gone.stdout.split('Total reclaimed space: ')[1]);
    assert.deepEqual(gone.stdout.split('\n\n')[0]?.split('\n').slice(1).sort(), ids);
    assert.equal(ok(['ps', '-aq']).stdout, '');
  });
});
