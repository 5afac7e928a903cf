import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import type { MetadataStore } from '../index.js';
import { compressedLayer, containerRecord, idOf, imageRecord } from './records.js';

export interface MetadataStoreSuiteOptions {
  /** Opens the store kept in directory `root` (which exists and may hold a store already). */
  create: (root: string) => MetadataStore;
  /** The same factory for other processes: a module URL and the name of its export. */
  module: string;
  factory: string;
  /** Known failures by test id (`rename-conflict`, `id-conflict`), each with a reason: they run but do not fail the suite. */
  todo?: Record<string, string>;
}

/**
 * Conformance tests every MetadataStore runs: images, containers (lookup by id, prefix and name;
 * name uniqueness; renames), compressed layers (both lookups, sources, conflicts), transactions,
 * persistence across opens, and several processes changing one store at once.
 */
export function metadataStoreSuite(name: string, options: MetadataStoreSuiteOptions): void {
  const todo = (id: string) => {
    const reason = options.todo?.[id];
    return reason === undefined ? {} : { todo: reason };
  };
  const open = (t: { after(fn: () => void): void }) => {
    const root = mkdtempSync(join(tmpdir(), 'berth-metadata-'));
    const store = options.create(root);
    t.after(() => {
      store.close();
      rmSync(root, { recursive: true, force: true });
    });
    return { root, store };
  };

  describe(`MetadataStore: ${name}`, () => {
    test('images: put moves a name, list is sorted by name, delete says whether it existed', (t) => {
      const { root, store } = open(t);
      assert.equal(store.getImage('docker.io/library/busybox:latest'), undefined);
      store.putImage(imageRecord('docker.io/library/busybox:latest', 'a'));
      store.putImage(imageRecord('docker.io/library/alpine:3', 'b'));
      store.putImage(imageRecord('docker.io/library/busybox:latest', 'c'));
      assert.deepEqual(store.getImage('docker.io/library/busybox:latest'), imageRecord('docker.io/library/busybox:latest', 'c'));
      assert.deepEqual(store.listImages().map((i) => i.name), ['docker.io/library/alpine:3', 'docker.io/library/busybox:latest']);
      assert.equal(store.deleteImage('docker.io/library/alpine:3'), true);
      assert.equal(store.deleteImage('docker.io/library/alpine:3'), false);
      const again = options.create(root);
      assert.deepEqual(again.listImages(), [imageRecord('docker.io/library/busybox:latest', 'c')]);
      again.close();
    });

    test('containers are found by id, unique id prefix and name, with or without a leading slash', (t) => {
      const { store } = open(t);
      const web = containerRecord(idOf('abc1'), 'web', 1);
      store.createContainer(web);
      store.createContainer(containerRecord(idOf('abc2'), 'db', 2));
      for (const ref of [web.id, 'abc1', 'web', '/web']) assert.deepEqual(store.findContainer(ref), web, ref);
      assert.throws(() => store.findContainer('abc'), { kind: 'InvalidArgument', code: 'BERTH_E_AMBIGUOUS_CONTAINER' });
      for (const ref of ['nope', 'abc3', '../metadata', '', '/']) {
        assert.throws(() => store.findContainer(ref), { kind: 'NotFound', code: 'BERTH_E_CONTAINER_NOT_FOUND' }, ref);
      }
      assert.deepEqual(store.listContainers().map((c) => c.name), ['db', 'web'], 'newest first');
    });

    test('containers are listed newest first by creation time, to the millisecond, across days and years', (t) => {
      const { store } = open(t);
      const times = [
        '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z', '2026-01-01T00:00:00.010Z', '2026-01-01T00:00:00.100Z',
        '2026-01-01T00:00:01.000Z', '2025-12-31T23:59:59.999Z', '2026-11-29T23:01:42.169Z', '2027-01-01T00:00:00.000Z',
        '2026-02-28T09:09:09.909Z', '2026-10-01T10:00:00.000Z', '2026-09-30T23:59:59.999Z', '2000-01-01T00:00:00.000Z',
      ];
      // Created in an order that is neither the time order nor its reverse, nor the ids' order.
      const order = [5, 0, 11, 3, 8, 1, 10, 6, 2, 9, 4, 7];
      for (const i of order) {
        const id = idOf(`c${i.toString(16)}${(order.length - i).toString(16)}`);
        store.createContainer({ ...containerRecord(id, `t${i}`), createdAt: times[i] as string });
      }
      const expected = [...times.keys()].sort((a, b) => Date.parse(times[b] as string) - Date.parse(times[a] as string)).map((i) => `t${i}`);
      assert.deepEqual(store.listContainers().map((c) => c.name), expected);
    });

    test('a name belongs to one container until it is deleted', (t) => {
      const { store } = open(t);
      store.createContainer(containerRecord(idOf('a1'), 'web'));
      assert.throws(() => store.createContainer(containerRecord(idOf('b1'), 'web')), { kind: 'AlreadyExists', code: 'BERTH_E_CONTAINER_NAME_IN_USE' });
      assert.equal(store.listContainers().length, 1);
      store.deleteContainer(idOf('a1'));
      store.deleteContainer(idOf('a1'));
      assert.throws(() => store.findContainer('web'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
      store.createContainer(containerRecord(idOf('b1'), 'web'));
      assert.equal(store.findContainer('web').id, idOf('b1'));
    });

    test('creating a container whose id exists fails with AlreadyExists', todo('id-conflict'), (t) => {
      const { store } = open(t);
      store.createContainer(containerRecord(idOf('a1'), 'web'));
      assert.throws(() => store.createContainer(containerRecord(idOf('a1'), 'other')), { kind: 'AlreadyExists' });
      assert.equal(store.findContainer(idOf('a1')).name, 'web');
      assert.throws(() => store.findContainer('other'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
    });

    test('updateContainer changes one record, renames claim the new name and free the old one', (t) => {
      const { root, store } = open(t);
      store.createContainer(containerRecord(idOf('a1'), 'web'));
      store.createContainer(containerRecord(idOf('b1'), 'db'));
      const updated = store.updateContainer(idOf('a1'), (r) => {
        r.state.status = 'running';
        r.state.pid = 42;
      });
      assert.equal(updated.state.pid, 42);
      assert.equal(options.create(root).findContainer('web').state.status, 'running');
      store.updateContainer(idOf('a1'), (r) => void (r.name = 'frontend'));
      assert.equal(store.findContainer('frontend').id, idOf('a1'));
      assert.throws(() => store.findContainer('web'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
      store.createContainer(containerRecord(idOf('c1'), 'web'));
      assert.throws(() => store.updateContainer(idOf('d1'), () => undefined), { kind: 'NotFound', code: 'BERTH_E_CONTAINER_NOT_FOUND' });
    });

    test('renaming to a taken name fails with NameInUse and changes nothing', todo('rename-conflict'), (t) => {
      const { store } = open(t);
      store.createContainer(containerRecord(idOf('a1'), 'web'));
      store.createContainer(containerRecord(idOf('b1'), 'db'));
      assert.throws(() => store.updateContainer(idOf('a1'), (r) => void (r.name = 'db')), { kind: 'AlreadyExists', code: 'BERTH_E_CONTAINER_NAME_IN_USE' });
      assert.equal(store.findContainer('web').id, idOf('a1'));
      assert.equal(store.findContainer('db').id, idOf('b1'));
    });

    test('compressed layers: found by compressed digest and by diffID, sources merged, forgotten by diffID', (t) => {
      const { root, store } = open(t);
      const diff = (p: string) => compressedLayer('00', p).diffId;
      assert.equal(store.getCompressedLayer(compressedLayer('a1', 'd1').compressed.digest), undefined);
      assert.deepEqual(store.listCompressedLayers(diff('d1')), []);
      assert.deepEqual(store.putCompressedLayer(compressedLayer('a1', 'd1', ['docker.io/library/busybox'])), compressedLayer('a1', 'd1', ['docker.io/library/busybox']));
      store.putCompressedLayer(compressedLayer('b1', 'd1'));
      store.putCompressedLayer(compressedLayer('c1', 'd2', ['ghcr.io/x/y']));
      // The same blob again, from another repository and under Docker's name for a gzip layer.
      const again = compressedLayer('a1', 'd1', ['quay.io/a/b', 'docker.io/library/busybox']);
      again.compressed.mediaType = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
      const merged = store.putCompressedLayer(again);
      assert.deepEqual(merged, compressedLayer('a1', 'd1', ['docker.io/library/busybox', 'quay.io/a/b']), 'sources merged, first media type kept');
      assert.deepEqual(store.getCompressedLayer(merged.compressed.digest), merged);
      assert.deepEqual(store.listCompressedLayers(diff('d1')), [merged, compressedLayer('b1', 'd1')]);
      assert.deepEqual(store.listCompressedLayers(diff('d2')), [compressedLayer('c1', 'd2', ['ghcr.io/x/y'])]);
      const reopened = options.create(root);
      assert.deepEqual(reopened.listCompressedLayers(diff('d1')), [merged, compressedLayer('b1', 'd1')]);
      reopened.close();
      assert.equal(store.deleteCompressedLayers(diff('d1')), 2);
      assert.equal(store.deleteCompressedLayers(diff('d1')), 0);
      assert.equal(store.getCompressedLayer(merged.compressed.digest), undefined);
      assert.deepEqual(store.listCompressedLayers(diff('d1')), []);
      assert.deepEqual(store.getCompressedLayer(compressedLayer('c1', 'd2').compressed.digest), compressedLayer('c1', 'd2', ['ghcr.io/x/y']));
      // Recorded again after being forgotten.
      store.putCompressedLayer(compressedLayer('a1', 'd1'));
      assert.deepEqual(store.listCompressedLayers(diff('d1')), [compressedLayer('a1', 'd1')]);
    });

    test('compressed layers: invalid records and records that contradict the stored one are refused', (t) => {
      const { store } = open(t);
      const valid = compressedLayer('a1', 'd1', ['docker.io/library/busybox']);
      store.putCompressedLayer(valid);
      const invalid: [string, (r: ReturnType<typeof compressedLayer>) => void][] = [
        ['a digest that would be a path', (r) => void (r.compressed.digest = 'sha256:../../../../etc/passwd')],
        ['an uppercase digest', (r) => void (r.compressed.digest = `sha256:${'A'.repeat(64)}`)],
        ['an invalid diffID', (r) => void (r.diffId = 'sha256:12')],
        ['an uncompressed media type', (r) => void (r.compressed.mediaType = 'application/vnd.oci.image.layer.v1.tar')],
        ['a config media type', (r) => void (r.compressed.mediaType = 'application/vnd.oci.image.config.v1+json')],
        ['a negative size', (r) => void (r.compressed.size = -1)],
        ['the diffID as its own compressed form', (r) => void (r.compressed.digest = r.diffId)],
        ['a source with a newline', (r) => void (r.sources = ['a\nb'])],
      ];
      for (const [what, spoil] of invalid) {
        const record = compressedLayer('e1', 'd1');
        spoil(record);
        assert.throws(() => store.putCompressedLayer(record), { kind: 'InvalidArgument', code: 'BERTH_E_INVALID_COMPRESSED_LAYER' }, what);
      }
      const conflicts: [string, (r: ReturnType<typeof compressedLayer>) => void][] = [
        ['another diffID', (r) => void (r.diffId = compressedLayer('a1', 'd2').diffId)],
        ['another size', (r) => void (r.compressed.size += 1)],
        ['another compression', (r) => void (r.compressed.mediaType = 'application/vnd.oci.image.layer.v1.tar+zstd')],
      ];
      for (const [what, spoil] of conflicts) {
        const record = compressedLayer('a1', 'd1', ['evil.example/x']);
        spoil(record);
        assert.throws(() => store.putCompressedLayer(record), { kind: 'FailedPrecondition', code: 'BERTH_E_COMPRESSED_LAYER_CONFLICT' }, what);
      }
      assert.deepEqual(store.getCompressedLayer(valid.compressed.digest), valid, 'the stored record is unchanged');
      assert.deepEqual(store.listCompressedLayers(compressedLayer('a1', 'd2').diffId), []);
      assert.equal(store.getCompressedLayer('sha256:../../../../etc/passwd'), undefined);
      assert.deepEqual(store.listCompressedLayers('sha256:..'), []);
    });

    test('transactions nest and see their own writes', (t) => {
      const { store } = open(t);
      const result = store.transaction(() => {
        store.createContainer(containerRecord(idOf('a1'), 'web'));
        store.transaction(() => store.updateContainer(idOf('a1'), (r) => void (r.state.exitCode = 3)));
        store.putImage(imageRecord('busybox', 'a'));
        return store.findContainer('web').state.exitCode;
      });
      assert.equal(result, 3);
      assert.equal(store.getImage('busybox')?.id, `sha256:${'a'.repeat(64)}`);
    });

    test('two processes creating containers with the same names: exactly one wins each name', async (t) => {
      const { root, store } = open(t);
      const count = 40;
      const startAt = String(Date.now() + 500);
      const [a, b] = await Promise.all([
        runChild(options, [root, startAt, 'claim-names', 'aa', String(count)]),
        runChild(options, [root, startAt, 'claim-names', 'bb', String(count)]),
      ]);
      const wonA = JSON.parse(a) as boolean[];
      const wonB = JSON.parse(b) as boolean[];
      for (let i = 0; i < count; i++) {
        assert.notEqual(wonA[i], wonB[i], `race-${i}: exactly one process must win`);
        assert.ok(store.findContainer(`race-${i}`).id.startsWith(wonA[i] ? 'aa' : 'bb'), `race-${i} belongs to the winner`);
      }
      assert.equal(store.listContainers().length, count);
    });

    test('two processes × 50 updates lose nothing, on different containers and on the same one', async (t) => {
      const { root, store } = open(t);
      for (const id of ['a1', 'b1', 'c1']) store.createContainer(containerRecord(idOf(id), `c-${id}`));
      const startAt = String(Date.now() + 500);
      await Promise.all([
        runChild(options, [root, startAt, 'increment', idOf('a1'), '50']),
        runChild(options, [root, startAt, 'increment', idOf('b1'), '50']),
        runChild(options, [root, startAt, 'increment', idOf('c1'), '50']),
        runChild(options, [root, startAt, 'increment', idOf('c1'), '50']),
      ]);
      assert.equal(store.findContainer('c-a1').state.exitCode, 50);
      assert.equal(store.findContainer('c-b1').state.exitCode, 50);
      assert.equal(store.findContainer('c-c1').state.exitCode, 100);
    });

    test('two processes adding sources to one compressed layer lose none', async (t) => {
      const { root, store } = open(t);
      const startAt = String(Date.now() + 500);
      await Promise.all([
        runChild(options, [root, startAt, 'add-sources', 'a1', 'p', '30']),
        runChild(options, [root, startAt, 'add-sources', 'a1', 'q', '30']),
      ]);
      const record = store.getCompressedLayer(compressedLayer('a1', 'dd').compressed.digest);
      assert.equal(record?.sources.length, 60);
      assert.deepEqual(store.listCompressedLayers(compressedLayer('a1', 'dd').diffId), [record]);
    });

    test('processes killed while recording compressed layers leave every record found by both lookups', async (t) => {
      const { root, store } = open(t);
      const written: [string, string][] = [];
      for (const [round, digit] of ['1', '2', '3', '4', '5'].entries()) {
        const child = spawnChild(options, [root, '0', 'churn-layers', digit]);
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // Kill it mid-work, however long the child took to start.
        await new Promise((resolve) => child.stdout.once('data', resolve));
        await new Promise((resolve) => setTimeout(resolve, 20 + round * 15));
        assert.equal(child.exitCode, null, 'the child was still working when killed');
        child.kill('SIGKILL');
        await exited;
        for (const line of out.split('\n')) {
          const [compressed, diff] = line.split(' ');
          if (compressed && diff) written.push([compressed, diff]);
        }
      }
      let found = 0;
      for (const [compressed, diff] of written) {
        const record = store.getCompressedLayer(compressedLayer(compressed, diff).compressed.digest);
        if (record === undefined) continue;
        found++;
        assert.ok(store.listCompressedLayers(record.diffId).some((r) => r.compressed.digest === record.compressed.digest), `${compressed} is found from its diffID`);
      }
      assert.ok(found > 0, 'the children recorded something');
      for (const diff of new Set(written.map(([, d]) => d))) {
        const diffId = compressedLayer('00', diff).diffId;
        for (const r of store.listCompressedLayers(diffId)) assert.deepEqual(store.getCompressedLayer(r.compressed.digest), r);
        // The store keeps working on whatever the crash left.
        store.putCompressedLayer(compressedLayer(`${diff}ff`, diff));
        const count = store.listCompressedLayers(diffId).length;
        assert.equal(store.deleteCompressedLayers(diffId), count);
        assert.deepEqual(store.listCompressedLayers(diffId), []);
      }
    });

    test('processes killed in the middle of changes leave whole records and consistent names', async (t) => {
      const { root, store } = open(t);
      const prefixes = ['a0', 'b0', 'c0', 'd0'];
      for (const [round, prefix] of prefixes.entries()) {
        const child = spawnChild(options, [root, '0', 'churn', prefix]);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // Killed once it is churning (it says so), then at a different point of its loop each round.
        await new Promise<void>((resolve, reject) => {
          child.stdout.once('data', () => resolve());
          child.once('exit', (code) => reject(new Error(`the churning child exited (${code ?? 'signal'})`)));
        });
        await new Promise((resolve) => setImmediate(resolve));
        for (let spin = Date.now() + round * 7; Date.now() < spin;) { /* vary the kill point */ }
        assert.equal(child.exitCode, null, 'the child was still working when killed');
        child.kill('SIGKILL');
        await exited;
      }
      const containers = store.listContainers();
      assert.ok(containers.length > 0);
      for (const c of containers) assert.equal(store.findContainer(c.name).id, c.id, `name "${c.name}" leads to its container`);
      // Every name is either owned by a listed container or free to take.
      for (const [p, prefix] of prefixes.entries()) {
        for (let i = 0; i < 8; i++) {
          for (const [n, name] of [`${prefix}-${i}`, `${prefix}-${i}-x`].entries()) {
            if (containers.some((c) => c.name === name)) continue;
            const id = idOf(`ff${p}${i}${n}`);
            store.createContainer(containerRecord(id, name));
            assert.equal(store.findContainer(name).id, id);
          }
        }
      }
    });
  });
}

function spawnChild(options: MetadataStoreSuiteOptions, args: string[]) {
  const script = new URL('./store-child.js', import.meta.url).pathname;
  return spawn(process.execPath, [script, options.module, options.factory, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs store-child.js with the suite's factory; resolves with its stdout. */
function runChild(options: MetadataStoreSuiteOptions, args: string[]): Promise<string> {
  const child = spawnChild(options, args);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`store-child ${args.join(' ')} exited with ${code}: ${err}`))));
  });
}
