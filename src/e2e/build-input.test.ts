/**
 * Bad input and RUN mounts, end to end through `berth build` (root, real runtime): errors name
 * the file, line and column or the offending path; a failed build leaves no tag and no image;
 * secrets never reach a layer or the history.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { BuildStore } from './build-harness.js';
import { createBuildStore, imageConfigBlob, imageTree } from './build-harness.js';
import { berthBin } from './harness.js';

describe('build input', { concurrency: false }, () => {
  let store: BuildStore;
  let work: string;
  let n = 0;

  /** A fresh context holding `files` (a value of null makes a directory). */
  function context(files: Record<string, string | null>): string {
    const dir = join(work, `ctx-${n++}`);
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) {
      if (text === null) mkdirSync(join(dir, name), { recursive: true });
      else writeFileSync(join(dir, name), text);
    }
    return dir;
  }
  const build = (dir: string, ...extra: string[]) => store.berth(['build', '--progress', 'plain', '--network', 'none', ...extra, dir], { env: { BERTH_DEBUG: '1' } });

  before(() => {
    store = createBuildStore();
    work = mkdtempSync(join(tmpdir(), 'berth-input-'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('an unknown instruction names file, line and column', () => {
    const r = build(context({ Dockerfile: 'FROM berth-test/busybox:1\n\n  FOOBAR x\n' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Dockerfile:3:3: /);
    assert.match(r.stderr, /BERTH_E_DOCKERFILE_UNKNOWN_INSTRUCTION/);
  });

  test('a syntax error names file, line and column', () => {
    const r = build(context({ 'app.Dockerfile': 'FROM berth-test/busybox:1\nENV ONLYKEY\n' }), '-f', 'app.Dockerfile');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /app\.Dockerfile:2:1: /);
  });

  test('COPY ../x is refused', () => {
    const r = build(context({ Dockerfile: 'FROM berth-test/busybox:1\nCOPY ../outside.txt /x\n' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /BERTH_E_COPY_OUTSIDE_CONTEXT/);
    assert.match(r.stderr, /"\.\.\/outside\.txt"/);
  });

  test('symlinks leaving the context are refused, as source or on the way', () => {
    writeFileSync(join(work, 'secret.txt'), 'host secret\n');
    for (const line of ['COPY escape /x', 'COPY escape-dir/secret.txt /x', 'COPY abs /x']) {
      const dir = context({ Dockerfile: `FROM berth-test/busybox:1\n${line}\n` });
      symlinkSync('../secret.txt', join(dir, 'escape'));
      symlinkSync('..', join(dir, 'escape-dir'));
      symlinkSync('/etc/passwd', join(dir, 'abs'));
      const r = build(dir);
      assert.notEqual(r.code, 0, line);
      assert.match(r.stderr, /BERTH_E_COPY_OUTSIDE_CONTEXT/, line);
    }
  });

  test('a missing source is named', () => {
    const r = build(context({ Dockerfile: 'FROM berth-test/busybox:1\nCOPY here.txt not-here.txt /dst/\n', 'here.txt': 'x' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /BERTH_E_COPY_SOURCE_NOT_FOUND/);
    assert.match(r.stderr, /"not-here\.txt"/);
  });

  test('a failing RUN shows its output and exit code, and leaves no tag and no image', () => {
    const before = store.berth(['images', '-q']).stdout;
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nRUN echo first > /f\nRUN echo "about to fail" && exit 7\n' });
    const r = build(dir, '-t', 'should-not-exist');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /about to fail/);
    assert.match(r.stderr, /exit code: 7/);
    assert.match(r.stderr, /Dockerfile:3:1/);
    assert.notEqual(store.berth(['inspect', 'should-not-exist']).code, 0);
    assert.equal(store.berth(['images', '-q']).stdout, before);
    const check = store.berth(['system', 'check']);
    assert.equal(check.code, 0, check.stdout);
    // -q is quiet only while the build works: a failed one prints what it ran and the step's output,
    // as Docker does (observed with dockerd 20.10: BuildKit prints its plain progress, the classic
    // builder the steps' output, both to stderr, with exit status 1).
    const quiet = build(dir, '-q');
    assert.equal(quiet.code, 1);
    assert.equal(quiet.stdout, '');
    assert.match(quiet.stderr, /^#\d+ \[3\/3\] RUN echo "about to fail" && exit 7$/m);
    assert.match(quiet.stderr, /^#\d+ [\d.]+ about to fail$/m);
    assert.match(quiet.stderr, /exit code: 7/);
    const ok = build(context({ Dockerfile: 'FROM berth-test/busybox:1\nRUN echo chatty\n' }), '-q');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(ok.stderr, '', 'a quiet build that works prints only the image ID');
  });

  test('--label adds to and overrides the Dockerfile\'s labels; --iidfile gets the ID; --rm and --force-rm are taken', () => {
    // Observed with dockerd 20.10: labels come out sorted, {"extra":"","from":"flag","keep":"1"};
    // BuildKit writes the ID to --iidfile with no newline (the classic builder adds one).
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nLABEL from=dockerfile keep=1\nRUN true\n' });
    const iid = join(work, 'iid');
    const r = build(dir, '-q', '--rm', '--force-rm', '--label', 'from=flag', '--label', 'extra', '--iidfile', iid, '-t', 'labelled:1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(iid, 'utf8'), r.stdout.trim());
    const labels = store.berth(['inspect', '-f', '{{json .Config.Labels}}', 'labelled:1']);
    assert.equal(labels.stdout, '{"extra":"","from":"flag","keep":"1"}\n');
    const bad = build(dir, '--label', '=v');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Invalid label "=v": no key/);
  });

  test('a secret is readable in RUN and never stored in a layer or the history', async () => {
    const secretFile = join(work, 'token');
    writeFileSync(secretFile, 's3cr3t-value');
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nRUN --mount=type=secret,id=token wc -c < /run/secrets/token > /checked\n' });
    const r = build(dir, '--secret', `id=token,src=${secretFile}`, '-t', 'secret-test');
    assert.equal(r.code, 0, r.stderr);
    const tree = await imageTree(store, 'secret-test', 'berth-test/busybox:1');
    assert.deepEqual(tree.files.map((f) => f.path), ['/checked']);
    assert.equal(tree.files[0]?.text?.trim(), '12');
    assert.ok(!JSON.stringify(imageConfigBlob(store, 'secret-test')).includes('s3cr3t'));
  });

  test('bind mounts from the context are read-only; tmpfs mounts leave nothing behind', async () => {
    const dir = context({
      Dockerfile: 'FROM berth-test/busybox:1\nRUN --mount=type=bind,source=src,target=/mnt/src --mount=type=tmpfs,target=/scratch cp /mnt/src/in.txt /scratch/ && cat /scratch/in.txt > /out.txt && ! touch /mnt/src/new 2>/dev/null\n',
      src: null,
      'src/in.txt': 'from the context\n',
    });
    const r = build(dir, '-t', 'bind-test');
    assert.equal(r.code, 0, r.stderr);
    const tree = await imageTree(store, 'bind-test', 'berth-test/busybox:1');
    assert.deepEqual(tree.files.map((f) => f.path), ['/out.txt']);
    assert.equal(tree.files[0]?.text, 'from the context\n');
  });

  test('a secret can be given as an environment variable; bind mounts can come from another stage', async () => {
    const secretFile = join(work, 'token2');
    writeFileSync(secretFile, 'abcdef');
    const dir = context({
      Dockerfile: 'FROM berth-test/busybox:1 AS tools\nRUN mkdir /tools && echo from-tools > /tools/note\n\nFROM berth-test/busybox:1\nRUN --mount=type=secret,id=t,env=TOKEN --mount=type=bind,from=tools,source=/tools,target=/mnt/tools echo "${#TOKEN} $(cat /mnt/tools/note)" > /out.txt\n',
    });
    const r = build(dir, '--secret', `id=t,src=${secretFile}`, '-t', 'secret-env');
    assert.equal(r.code, 0, r.stderr);
    const tree = await imageTree(store, 'secret-env', 'berth-test/busybox:1');
    assert.deepEqual(tree.files.map((f) => [f.path, f.text]), [['/out.txt', '6 from-tools\n']]);
  });

  test('hard links inside a copied directory stay hard links', async () => {
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nCOPY tree /tree\n', tree: null, 'tree/a': 'same inode\n' });
    linkSync(join(dir, 'tree', 'a'), join(dir, 'tree', 'b'));
    assert.equal(build(dir, '-t', 'hardlinks').code, 0);
    const tree = await imageTree(store, 'hardlinks', 'berth-test/busybox:1');
    assert.deepEqual(tree.files.map((f) => [f.path, f.type, f.linkTarget]), [['/tree', 'dir', undefined], ['/tree/a', 'file', undefined], ['/tree/b', 'hardlink', '/tree/a']]);
  });

  test('a Dockerfile on stdin builds with an empty context', async () => {
    const r = store.berth(['build', '--network', 'none', '-t', 'stdin-test', '-'], { input: 'FROM berth-test/busybox:1\nRUN echo hi > /hi\n' });
    assert.equal(r.code, 0, r.stderr);
    const tree = await imageTree(store, 'stdin-test', 'berth-test/busybox:1');
    assert.equal(tree.files.find((f) => f.path === '/hi')?.text, 'hi\n');
  });

  test('only the stages the target needs run', () => {
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1 AS broken\nRUN exit 1\n\nFROM berth-test/busybox:1 AS ok\nRUN echo fine > /f\n\nFROM broken\n' });
    assert.equal(build(dir, '--target', 'ok').code, 0);
    assert.notEqual(build(dir).code, 0);
  });

  test('a tar context on stdin and a tarball context build', async () => {
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nCOPY in.txt /in.txt\n', 'in.txt': 'from a tar\n' });
    const tarball = join(work, 'ctx.tar.gz');
    spawnSync('tar', ['-czf', tarball, '-C', dir, '.']);
    const viaStdin = store.berth(['build', '-t', 'tar-stdin', '-'], { input: spawnSync('tar', ['-cf', '-', '-C', dir, '.']).stdout });
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    const viaFile = store.berth(['build', '-t', 'tar-file', tarball]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    for (const name of ['tar-stdin', 'tar-file']) {
      const tree = await imageTree(store, name, 'berth-test/busybox:1');
      assert.equal(tree.files.find((f) => f.path === '/in.txt')?.text, 'from a tar\n');
    }
  });

  test('a rw bind mount of a single context file never writes to the user\'s file', () => {
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nRUN --mount=type=bind,source=f.txt,target=/f,rw echo changed > /f && cat /f\n', 'f.txt': 'original\n' });
    const r = build(dir, '-t', 'bind-rw-file');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'f.txt'), 'utf8'), 'original\n');
  });

  test('a bind mount of the context hides what .dockerignore excludes, read-only and rw', () => {
    const dockerfile = 'FROM berth-test/busybox:1\nRUN --mount=type=bind,target=/ctx ls -R /ctx && test -e /ctx/keep.txt && test -e /ctx/sub/keep.txt && test ! -e /ctx/secret.txt && test ! -e /ctx/sub/secret.txt\nRUN --mount=type=bind,target=/ctx,rw test -e /ctx/keep.txt && test ! -e /ctx/secret.txt && rm /ctx/keep.txt\n';
    const dir = context({ Dockerfile: dockerfile, '.dockerignore': '**/secret.txt\n', 'keep.txt': 'k\n', 'secret.txt': 's\n', sub: null, 'sub/keep.txt': 'k\n', 'sub/secret.txt': 's\n' });
    const r = build(dir, '-t', 'bind-ignored');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'k\n');
    assert.equal(readFileSync(join(dir, 'secret.txt'), 'utf8'), 's\n');
  });

  test('ADD extracts .tar.bz2 and .tar.xz archives; a missing decompressor is a named error, not a copied archive', async () => {
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nADD a.tar.bz2 /bz/\nADD a.tar.xz /xz/\n', 'in.txt': 'packed\n' });
    assert.equal(spawnSync('tar', ['-cjf', join(dir, 'a.tar.bz2'), '-C', dir, 'in.txt']).status, 0);
    assert.equal(spawnSync('tar', ['-cJf', join(dir, 'a.tar.xz'), '-C', dir, 'in.txt']).status, 0);
    const ok = build(dir, '-t', 'add-compressed');
    assert.equal(ok.code, 0, ok.stderr);
    const tree = await imageTree(store, 'add-compressed', 'berth-test/busybox:1');
    assert.equal(tree.files.find((f) => f.path === '/bz/in.txt')?.text, 'packed\n');
    assert.equal(tree.files.find((f) => f.path === '/xz/in.txt')?.text, 'packed\n');
    // Only node on the PATH: no bzip2, no xz.
    const bin = join(work, 'node-only-bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const missing = store.berth(['build', '--network', 'none', '--no-cache', dir], { env: { PATH: bin } });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /BERTH_E_ADD_DECOMPRESSOR_MISSING|bzip2 is not installed/);
  });

  test('ADD of a URL checks --checksum; a heredoc with #! runs as a script', async () => {
    const served = join(work, 'served');
    mkdirSync(served);
    writeFileSync(join(served, 'data.txt'), 'downloaded\n');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', served], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && spawnSync('sh', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { shell: '/bin/bash' }).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
      const sum = 'sha256:' + (spawnSync('sha256sum', [join(served, 'data.txt')]).stdout.toString().split(' ')[0] ?? '');
      const ok = build(context({ Dockerfile: `FROM berth-test/busybox:1\nADD --checksum=${sum} http://127.0.0.1:${port}/data.txt /dl/\nRUN <<EOF\n#!/bin/sh\necho "script $0" > /script.txt\nEOF\n` }), '-t', 'add-url');
      assert.equal(ok.code, 0, ok.stderr);
      const tree = await imageTree(store, 'add-url', 'berth-test/busybox:1');
      assert.equal(tree.files.find((f) => f.path === '/dl/data.txt')?.text, 'downloaded\n');
      assert.match(tree.files.find((f) => f.path === '/script.txt')?.text ?? '', /^script /);
      const bad = build(context({ Dockerfile: `FROM berth-test/busybox:1\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/data.txt /dl/\n` }));
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /BERTH_E_ADD_CHECKSUM_MISMATCH/);
    } finally {
      server.kill();
    }
  });

  test('the next build removes a killed build\'s step container, cgroup, temporary files and snapshots', async () => {
    const sleep = `sleep ${600 + Math.floor(Math.random() * 9000)}`; // unique: other test runs may be sleeping too
    const dir = context({ Dockerfile: `FROM berth-test/busybox:1\nRUN echo started && ${sleep}\n` });
    const child = spawn(berthBin, ['build', '--progress', 'plain', dir], { env: { ...process.env, BERTH_ROOT: store.root }, stdio: ['ignore', 'ignore', 'pipe'] });
    const pid = child.pid ?? 0;
    // The step's output (`#2 0.105 started`), not its label (`RUN echo started ...`): killed while the step runs.
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/^#\d+ [\d.]+ started$/m.test(seen)) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const leftovers = () => spawnSync('sh', ['-c', `find ${store.root}/build-tmp /run/berth /sys/fs/cgroup -maxdepth 6 -name '*${pid}-*' 2>/dev/null`]).stdout.toString().trim();
    assert.notEqual(leftovers(), '', 'the killed build left its step behind');
    const next = build(context({ Dockerfile: 'FROM berth-test/busybox:1\nRUN true\n' }));
    assert.equal(next.code, 0, next.stderr);
    assert.equal(leftovers(), '');
    assert.equal(spawnSync('pgrep', ['-f', sleep]).status, 1, 'the orphaned step process was killed');
    const check = store.berth(['system', 'check']);
    assert.equal(check.code, 0, check.stdout);
  });

  test('a build killed midway leaves no tag and a consistent store', async () => {
    const dir = context({ Dockerfile: 'FROM berth-test/busybox:1\nRUN echo started && sleep 2 && echo done > /done\n' });
    const child = spawn(berthBin, ['build', '--progress', 'plain', '-t', 'killed', dir], { env: { ...process.env, BERTH_ROOT: store.root }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, 2500)); // the orphaned step process ends by itself
    assert.notEqual(store.berth(['inspect', 'killed']).code, 0);
    const check = store.berth(['system', 'check']);
    assert.equal(check.code, 0, check.stdout);
    assert.equal(build(dir, '-t', 'killed').code, 0, 'the same build works afterwards');
    // The next build cleaned up what the killed one left mounted.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`${store.root}/build-`));
    assert.deepEqual(mounts, []);
  });
});
