/**
 * Work that dies with SIGKILL: a build's RUN step dies with its build within seconds, without
 * any further berth command (the step watchdog, services/step-watchdog.ts), and `berth system
 * check` lists every leftover — step container, build directories, mounts, snapshots, cgroup
 * scopes, ingests — saying whether a live process owns it; `berth system prune` removes exactly
 * those no live process owns, and leaves a running build's alone.
 * On the code before this test, the killed step's `sleep` lived on until the next build, and a
 * killed import's ingest file was not mentioned by `system check`.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, busyboxRootfsTar, createStore, mountsUnder } from './harness.js';

describe('work killed with SIGKILL', { concurrency: false }, () => {
  let store: Store;
  let work: string;
  let n = 0;

  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    work = mkdtempSync(join(tmpdir(), 'berth-stale-'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  /** Starts a build whose RUN prints "started" and then runs `command`; resolves once it printed. */
  async function startBuild(command: string): Promise<ChildProcess> {
    const dir = join(work, `ctx-${n++}`);
    mkdirSync(dir);
    // `st""arted`: the step's title line must not say "started" before the step runs.
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${busyboxImage}\nRUN echo st""arted && ${command}\n`);
    const child = spawn(berthBin, ['build', '--progress', 'plain', dir], { env: { ...process.env, BERTH_ROOT: store.root }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) resolve();
      });
      child.on('close', () => reject(new Error('the build ended before its step started')));
    });
    return child;
  }
  const kill9 = async (child: ChildProcess) => {
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
  };
  const running = (pattern: string) => spawnSync('pgrep', ['-f', pattern]).status === 0;
  const linesOf = (text: string, pid: number) => text.split('\n').filter((l) => l.includes(`${pid}-`) || l.includes(`process ${pid} `));

  test('a killed build\'s RUN step dies within seconds, with no further berth command', async () => {
    const sleep = `sleep ${600 + Math.floor(Math.random() * 9000)}.5`; // unique: other runs may be sleeping too
    const child = await startBuild(sleep);
    for (let i = 0; i < 50 && !running(sleep); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(running(sleep), 'the step runs');
    await kill9(child);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = running(sleep);
    }
    assert.equal(alive, false, 'the step process outlived its build by 5 s');

    const pid = child.pid as number;
    const check = store.berth(['system', 'check', '--quick']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const lines = linesOf(check.stdout, pid);
    for (const kind of ['step container', 'step network', 'build directory', 'mount', 'snapshot']) {
      assert.ok(lines.some((l) => l.startsWith(`reclaimable: ${kind} `) && l.includes(`process ${pid} is gone`)), `${kind} is listed:\n${check.stdout}`);
    }
    assert.ok(!lines.some((l) => l.startsWith('in use:')), check.stdout);

    const prune = store.berth(['system', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(linesOf(store.berth(['system', 'check', '--quick']).stdout, pid), []);
    assert.deepEqual(mountsUnder(store.root), []);
    assert.deepEqual(readdirSync(join(store.root, 'build-tmp')), []);
  });

  test('check says a running build owns its work, and prune leaves it alone', async () => {
    const child = await startBuild('sleep 2');
    const pid = child.pid as number;
    const check = store.berth(['system', 'check', '--quick']);
    const lines = linesOf(check.stdout, pid);
    for (const kind of ['step container', 'step network', 'cgroup scope', 'mount', 'snapshot']) {
      assert.ok(lines.some((l) => l.startsWith(`in use: ${kind} `) && l.includes(`process ${pid} is running`)), `${kind} is in use:\n${check.stdout}`);
    }
    store.berth(['system', 'prune', '-f']);
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0, 'the build finished despite the prune');
  });

  test('a killed import\'s ingest file is listed and pruned', async () => {
    const child = store.spawnBerth(['import', '-', 'interrupted:1']);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin?.on('error', () => undefined); // asserted below through the ingest and stderr
    const tarball = busyboxRootfsTar();
    child.stdin?.write(tarball.subarray(0, tarball.length / 2));
    const ingestDir = join(store.root, 'content', 'ingest');
    for (let i = 0; i < 100; i++) {
      const names = (() => {
        try {
          return readdirSync(ingestDir);
        } catch {
          return [];
        }
      })();
      if (names.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const during = store.berth(['system', 'check', '--quick']).stdout;
    assert.equal(child.exitCode, null, stderr);
    assert.match(during, /^in use: ingest ".*content\/ingest\/.*" \(process \d+ is running\)$/m, during);
    await kill9(child);
    const check = store.berth(['system', 'check', '--quick']);
    assert.match(check.stdout, /^reclaimable: ingest ".*content\/ingest\/.*"/m, check.stdout);
    const prune = store.berth(['system', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(readdirSync(ingestDir), []);
    assert.doesNotMatch(store.berth(['system', 'check', '--quick']).stdout, /ingest/);
  });

  test('a killed cp\'s temporary mount of a stopped container is listed and pruned', async () => {
    const made = store.berth(['run', '--name', 'cpk', '--network', 'none', busyboxImage, 'sh', '-c', 'head -c 5000000 /dev/urandom > /big']);
    assert.equal(made.code, 0, made.stderr);
    // Nobody reads its stdout: once the pipe is full, cp waits with the container's root mounted.
    const child = store.spawnBerth(['cp', 'cpk:/big', '-']);
    const mountsDir = join(store.root, 'container-mounts');
    for (let i = 0; i < 200 && mountsUnder(mountsDir).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(mountsUnder(mountsDir).length, 1, 'cp mounted the stopped container\'s root');
    assert.doesNotMatch(store.berth(['system', 'check', '--quick']).stdout, /temporary mount/, 'not while cp runs');
    await kill9(child);
    const check = store.berth(['system', 'check', '--quick']);
    assert.match(check.stdout, /^reclaimable: temporary mount ".*container-mounts\/[0-9a-f]{64}-\d+-[0-9a-f]+" of a killed cp/m, check.stdout);
    const prune = store.berth(['system', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(mountsUnder(mountsDir), []);
    assert.deepEqual(readdirSync(mountsDir), []);
    assert.doesNotMatch(store.berth(['system', 'check', '--quick']).stdout, /temporary mount/);
    // system prune removes stopped containers too, as Docker's does.
    assert.doesNotMatch(store.berth(['ps', '-a', '--format', '{{.Names}}']).stdout, /^cpk$/m);
  });

  test('an rm -f that died before it killed its container: the next command finishes the kill, cleans up, and leaves it dead', async () => {
    const id = store.berth(['run', '-d', '--name', 'half-removed', '--network', 'none', busyboxImage, 'sleep', '300']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const pid = Number(store.berth(['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
    assert.ok(pid > 0 && existsSync(`/proc/${pid}`));
    // What `rm -f` writes first, by a process that is gone (pid 2^22 - 1 is above pid_max's default).
    const file = join(store.root, 'metadata', 'containers', `${id}.json`);
    const record = JSON.parse(readFileSync(file, 'utf8')) as { state: Record<string, unknown> };
    record.state['status'] = 'removing';
    record.state['removing'] = { pid: 4194303, startTime: 1 };
    writeFileSync(file, JSON.stringify(record));
    assert.match(store.berth(['ps', '-a', '--format', '{{.Names}} {{.State}}']).stdout, /^half-removed dead$/m);
    assert.deepEqual(mountsUnder(join(store.root, 'containers', id)), []);
    assert.equal(existsSync(`/proc/${pid}`), false, 'its process was killed');
    assert.equal(store.berth(['rm', 'half-removed']).code, 0);
  });
});
