/**
 * `berth inspect` has a native fast path (native/berth_inspect.c) that prints a container's
 * inspect output from the render cache the Node CLI writes (services/inspect-cache.ts). These
 * tests hold it to its promises: it is really taken once Node has inspected the container (it
 * answers with no Node on PATH), its output is byte for byte the Node CLI's in every state a
 * container goes through, a cache that no longer holds (a change made behind its back) is never
 * printed, and what it does not know (flags, images, networks) is the Node CLI's. Real containers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';

const nodeCli = join(dirname(berthBin), 'berth.cjs');
// PATH without node: only the native program can answer.
const pathWithoutNode = '/usr/sbin:/usr/bin:/sbin:/bin'.split(':').filter((d) => !existsSync(join(d, 'node'))).join(':');

interface Result { code: number; stdout: string; stderr: string }

describe('the native inspect fast path', { concurrency: false }, () => {
  let store: Store;
  const run = (bin: string, args: string[], env: Record<string, string> = {}): Result => {
    const r = spawnSync(bin, args, { env: { ...process.env, BERTH_ROOT: store.root, ...env }, timeout: 30_000, maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  /**
   * The Node CLI's answer (which also refreshes the caches), with the fast path's PATH: a
   * never-started container's runtime is chosen from PATH, and its cache holds for that PATH only.
   */
  const viaNode = (args: string[]) => run(process.execPath, ['--', nodeCli, ...args], { PATH: pathWithoutNode });
  /** The fast path alone: without Node on PATH, a fallback fails with "cannot run node" (125). */
  const fastOnly = (args: string[]) => run(berthBin, args, { PATH: pathWithoutNode });
  const fallsBack = (r: Result) => r.code === 125 && /cannot run node/.test(r.stderr);
  /** Node's answer, then the fast path's, which must be taken and print the same bytes. */
  const same = (args: string[], what = args.join(' ')) => {
    const node = viaNode(args);
    assert.equal(node.code, 0, `${what}: ${node.stderr}`);
    const fast = fastOnly(args);
    assert.deepEqual(fast, node, `${what}: the fast path's answer differs from Node's`);
    return JSON.parse(node.stdout) as { Id: string; Name: string; State: { Status: string; Health?: { Status: string } } }[];
  };
  const berth = (args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const recordStatus = (id: string) => (JSON.parse(readFileSync(join(store.root, 'metadata', 'containers', `${id}.json`), 'utf8')) as { state: { status: string } }).state.status;
  const waitFor = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 200; i++) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  before(() => {
    store = createStore({ withBusybox: true });
  });
  after(() => store.dispose());

  test('it is taken once Node has inspected a container: by name, id, id prefix, --type container, several refs', () => {
    assert.ok(pathWithoutNode.length > 0);
    const id = berth(['run', '-d', '--name', 'web', '--network', 'none', '-e', 'QUOTED=a "b" \\ c', '--label', 'odd=ünïcödé ✓ \t', busyboxImage, 'sleep', '1000']);
    // No cache yet: the fast path hands over (and without Node that is an error).
    assert.ok(fallsBack(fastOnly(['inspect', 'web'])));
    const [view] = same(['inspect', 'web']);
    assert.equal(view?.Id, id);
    for (const ref of [id, id.slice(0, 12), id.slice(0, 3)]) same(['inspect', ref]);
    // BERTH_FAST_TRACE=1: the fast path says on stderr that it answered (with Node on PATH too).
    const traced = run(berthBin, ['inspect', 'web'], { BERTH_FAST_TRACE: '1' });
    assert.deepEqual([traced.code, traced.stderr], [0, 'berth: inspect answered by the native fast path\n']);
    same(['inspect', '--type', 'container', 'web']);
    same(['inspect', '--type=container', 'web']);
    same(['--root', store.root, 'inspect', 'web']);
    berth(['create', '--name', 'other.name_2-x', '--runtime', 'runc', '--network', 'none', busyboxImage, 'true']);
    const views = same(['inspect', 'web', 'other.name_2-x', 'web']);
    assert.deepEqual(views.map((v) => v.Name), ['/web', '/other.name_2-x', '/web']);
    // What the fast path does not know goes to Node.
    for (const args of [['inspect', '-f', '{{.Id}}', 'web'], ['inspect', '-s', 'web'], ['inspect', '--type', 'image', 'web'], ['inspect', 'web', '--type', 'container']]) {
      assert.ok(fallsBack(fastOnly(args)), args.join(' '));
    }
    // BERTH_NO_FAST_PATH=1: bin/berth itself runs Node (here the shell's "node: not found").
    const forced = run(berthBin, ['inspect', 'web'], { PATH: pathWithoutNode, BERTH_NO_FAST_PATH: '1' });
    assert.deepEqual([forced.code, forced.stdout], [127, '']);
  });

  test('byte for byte the Node CLI\'s answer: created, running, paused, exited, killed, restarted, renamed, updated', async () => {
    // A never-started container's runtime is the host's default, chosen from PATH: the cache holds for this PATH only.
    berth(['create', '--name', 'fresh', '--network', 'none', busyboxImage, 'true']);
    same(['inspect', 'fresh']);
    assert.ok(fallsBack(run(berthBin, ['inspect', 'fresh'], { PATH: `/nonexistent-bin:${pathWithoutNode}` })));
    berth(['start', '-a', 'fresh']);
    same(['inspect', 'fresh']);
    berth(['rm', 'fresh']);

    const id = berth(['run', '-d', '--name', 'life', '--network', 'none', '-v', 'data:/data', '-v', '/tmp:/host:ro', '--tmpfs', '/scratch', busyboxImage, 'sleep', '1000']);
    assert.equal(same(['inspect', 'life'])[0]?.State.Status, 'running');
    berth(['pause', 'life']);
    assert.equal(same(['inspect', 'life'])[0]?.State.Status, 'paused');
    berth(['unpause', 'life']);
    assert.equal(same(['inspect', 'life'])[0]?.State.Status, 'running');
    berth(['update', '--memory', '64m', '--restart', 'on-failure:2', 'life']);
    same(['inspect', 'life']);
    berth(['rename', 'life', 'renamed.life']);
    assert.equal(same(['inspect', 'renamed.life'])[0]?.Name, '/renamed.life');
    berth(['restart', '-t', '0', 'renamed.life']);
    same(['inspect', 'renamed.life']);
    berth(['kill', 'renamed.life']);
    await waitFor('the kill to be recorded', () => recordStatus(id) === 'exited');
    assert.equal(same(['inspect', 'renamed.life'])[0]?.State.Status, 'exited');
    berth(['start', 'renamed.life']);
    berth(['stop', '-t', '0', 'renamed.life']);
    same(['inspect', 'renamed.life', id]);

    const done = berth(['run', '-d', '--name', 'done', '--network', 'none', busyboxImage, 'sh', '-c', 'exit 3']);
    await waitFor('it to exit', () => recordStatus(done) === 'exited');
    same(['inspect', 'done']);
  });

  test('networks connected and disconnected, a health check', async () => {
    berth(['network', 'create', 'fastnet']);
    berth(['run', '-d', '--name', 'netted', '--network', 'fastnet', busyboxImage, 'sleep', '1000']);
    same(['inspect', 'netted']);
    berth(['network', 'create', 'fastnet2']);
    berth(['network', 'connect', 'fastnet2', 'netted']);
    const connected = same(['inspect', 'netted']);
    assert.ok(JSON.stringify(connected).includes('fastnet2'));
    berth(['network', 'disconnect', 'fastnet2', 'netted']);
    same(['inspect', 'netted']);
    berth(['rm', '-f', 'netted']);

    berth(['run', '-d', '--name', 'checked', '--network', 'none', '--health-cmd', 'true', '--health-interval', '1s', busyboxImage, 'sleep', '1000']);
    await waitFor('a healthy probe', () => viaNode(['inspect', '-f', '{{.State.Health.Status}}', 'checked']).stdout === 'healthy\n');
    // A probe every second rewrites the record: retry until Node's answer and the fast path's fall between two probes.
    let matched = false;
    for (let i = 0; i < 20 && !matched; i++) {
      const node = viaNode(['inspect', 'checked']);
      const fast = fastOnly(['inspect', 'checked']);
      if (fallsBack(fast)) continue;
      assert.deepEqual(fast, node);
      matched = true;
    }
    assert.ok(matched, 'the fast path never answered between two probes');
  });

  test('a cache that no longer holds is never printed: the process killed, the monitor killed, renamed, removed', async () => {
    const id = berth(['run', '-d', '--name', 'victim', '--network', 'none', busyboxImage, 'sleep', '1000']);
    same(['inspect', 'victim']);
    // The container's process killed behind berth's back: its monitor records the exit.
    const pid = Number(viaNode(['inspect', '-f', '{{.State.Pid}}', 'victim']).stdout);
    same(['inspect', 'victim']);
    process.kill(pid, 'SIGKILL');
    await waitFor('the monitor to record the exit', () => recordStatus(id) !== 'running');
    assert.ok(fallsBack(fastOnly(['inspect', 'victim'])));
    assert.equal(same(['inspect', 'victim'])[0]?.State.Status, 'exited');

    // Its monitor killed: the record still says running, which only Node can set right.
    berth(['start', 'victim']);
    same(['inspect', 'victim']);
    const monitor = (JSON.parse(readFileSync(join(store.root, 'metadata', 'containers', `${id}.json`), 'utf8')) as { state: { supervisor: { pid: number } } }).state.supervisor.pid;
    process.kill(monitor, 'SIGKILL');
    await waitFor('the monitor to die', () => !existsSync(`/proc/${monitor}/stat`) || readFileSync(`/proc/${monitor}/stat`, 'latin1').includes(') Z'));
    assert.equal(recordStatus(id), 'running');
    assert.ok(fallsBack(fastOnly(['inspect', 'victim'])));
    assert.equal(same(['inspect', 'victim'])[0]?.State.Status, 'exited');

    // A name link a crash left behind (its container is called otherwise): Node finds no such name.
    same(['inspect', 'victim']);
    symlinkSync(id, join(store.root, 'metadata', 'names', 'ghost'));
    assert.ok(fallsBack(fastOnly(['inspect', 'ghost'])));
    const ghost = run(berthBin, ['inspect', 'ghost']);
    assert.deepEqual([ghost.code, ghost.stdout, ghost.stderr], [1, '[]\n', 'Error: No such object: ghost\n']);
    // Renamed: neither name answers from the old cache.
    const rename = run(nodeCli, ['rename', 'victim', 'moved']);
    assert.equal(rename.code, 0, rename.stderr);
    assert.ok(fallsBack(fastOnly(['inspect', 'victim'])));
    assert.ok(fallsBack(fastOnly(['inspect', 'moved'])));
    assert.ok(fallsBack(fastOnly(['inspect', id])));
    assert.equal(same(['inspect', 'moved'])[0]?.Name, '/moved');
    // berth built anew (its bundle rewritten): the new code renders, not the old cache.
    same(['inspect', 'moved']);
    const bundle = join(dirname(berthBin), '..', 'dist', 'bundle', 'berth.cjs');
    const { atime, mtime } = statSync(bundle);
    utimesSync(bundle, atime, mtime);
    assert.ok(fallsBack(fastOnly(['inspect', 'moved'])));
    same(['inspect', 'moved']);
    // Removed: Node's error, not the cache.
    berth(['rm', 'moved']);
    assert.ok(fallsBack(fastOnly(['inspect', id])));
    const gone = run(berthBin, ['inspect', id]);
    assert.deepEqual(gone, viaNode(['inspect', id]));
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such object/);
  });

  test('a name another kind of object answers to, and a mix of kinds, are the Node CLI\'s', () => {
    berth(['run', '-d', '--name', 'mixed', '--network', 'none', busyboxImage, 'sleep', '1000']);
    same(['inspect', 'mixed']);
    for (const args of [['inspect', busyboxImage], ['inspect', 'none'], ['inspect', 'mixed', busyboxImage], ['inspect', 'mixed', 'nosuchthing']]) {
      assert.ok(fallsBack(fastOnly(args)), args.join(' '));
      assert.deepEqual(run(berthBin, args), viaNode(args), args.join(' '));
    }
  });
});
