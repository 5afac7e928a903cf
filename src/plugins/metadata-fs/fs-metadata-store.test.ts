import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { compressedLayer, containerRecord, idOf, metadataStoreSuite } from '../../core/metadata/testsuite/index.js';
import { createFsMetadataStore, listingKeepable } from './fs-metadata-store.js';

metadataStoreSuite('metadata-fs', {
  create: createFsMetadataStore,
  module: new URL('./fs-metadata-store.js', import.meta.url).href,
  factory: 'createFsMetadataStore',
});

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-metadata-fs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('leftovers of a crash are invisible: temporary files, torn new records, stale name links', (t) => {
  const root = tempRoot(t);
  const store = createFsMetadataStore(root);
  store.createContainer(containerRecord(idOf('a1'), 'web'));
  const dir = join(root, 'metadata');
  writeFileSync(join(dir, 'containers', `.tmp-${idOf('b1')}.json-1234`), '{"id":');
  writeFileSync(join(dir, 'images', '.tmp-x.json-1234'), '');
  // A power loss right after creating c1's record: the file exists but its data never reached the disk.
  writeFileSync(join(dir, 'containers', `${idOf('c1')}.json`), '');
  symlinkSync(idOf('c1'), join(dir, 'names', 'db'));
  // A crash between claiming a name and writing the record.
  symlinkSync(idOf('d1'), join(dir, 'names', 'cache'));
  assert.deepEqual(store.listContainers().map((c) => c.name), ['web']);
  assert.deepEqual(store.listImages(), []);
  assert.throws(() => store.findContainer('db'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
  store.createContainer(containerRecord(idOf('e1'), 'db'));
  store.createContainer(containerRecord(idOf('f1'), 'cache'));
  assert.equal(store.findContainer('db').id, idOf('e1'));
  assert.equal(store.findContainer('cache').id, idOf('f1'));
});

test('a name link left by an interrupted rename does not keep the old name taken', (t) => {
  const root = tempRoot(t);
  const store = createFsMetadataStore(root);
  store.createContainer(containerRecord(idOf('a1'), 'web'));
  store.updateContainer(idOf('a1'), (r) => void (r.name = 'frontend'));
  // As if the process died before removing the old link.
  symlinkSync(idOf('a1'), join(root, 'metadata', 'names', 'web'));
  assert.throws(() => store.findContainer('web'), { code: 'BERTH_E_CONTAINER_NOT_FOUND' });
  store.createContainer(containerRecord(idOf('b1'), 'web'));
  assert.equal(store.findContainer('web').id, idOf('b1'));
  assert.equal(store.findContainer('frontend').id, idOf('a1'));
});

test('compressed layers: links a crash left without their record are ignored and cleared by the next delete', (t) => {
  const root = tempRoot(t);
  const store = createFsMetadataStore(root);
  const kept = compressedLayer('a1', 'd1');
  store.putCompressedLayer(kept);
  const layers = join(root, 'metadata', 'layers');
  const hex = (d: string) => d.slice('sha256:'.length);
  const reverse = join(layers, 'by-diffid', hex(kept.diffId));
  // A put killed between its link and its record (the link comes first, so a record never lacks one).
  const lost = compressedLayer('b1', 'd1');
  symlinkSync(`../../compressed/${hex(lost.compressed.digest)}.json`, join(reverse, hex(lost.compressed.digest)));
  // A delete killed between removing a record and its link, whose blob was then recorded for another layer
  // (impossible for real digests; it stands for any record that does not name this diffID).
  const other = compressedLayer('c1', 'd2');
  store.putCompressedLayer(other);
  symlinkSync(`../../compressed/${hex(other.compressed.digest)}.json`, join(reverse, hex(other.compressed.digest)));
  // A torn new record: a power loss kept its data from the disk.
  const torn = compressedLayer('e1', 'd1');
  symlinkSync(`../../compressed/${hex(torn.compressed.digest)}.json`, join(reverse, hex(torn.compressed.digest)));
  writeFileSync(join(layers, 'compressed', `${hex(torn.compressed.digest)}.json`), '');
  assert.deepEqual(store.listCompressedLayers(kept.diffId), [kept]);
  assert.equal(store.getCompressedLayer(torn.compressed.digest), undefined);
  // The interrupted put, done again, completes.
  store.putCompressedLayer(lost);
  assert.deepEqual(store.listCompressedLayers(kept.diffId), [kept, lost]);
  assert.equal(store.deleteCompressedLayers(kept.diffId), 2);
  assert.equal(existsSync(reverse), false, 'stale links went with the diffID');
  assert.deepEqual(store.getCompressedLayer(other.compressed.digest), other, 'another layer\'s record stays');
  assert.deepEqual(store.listCompressedLayers(other.diffId), [other]);
});

test('compressed layers work in a store made before they existed (no layers/ directory)', (t) => {
  const root = tempRoot(t);
  createFsMetadataStore(root).putImage({ name: 'busybox', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1 }, id: `sha256:${'b'.repeat(64)}`, createdAt: 1, updatedAt: 1 });
  assert.equal(existsSync(join(root, 'metadata', 'layers')), false, 'made on first use only');
  const store = createFsMetadataStore(root);
  const record = compressedLayer('a1', 'd1');
  assert.equal(store.getCompressedLayer(record.compressed.digest), undefined);
  assert.deepEqual(store.listCompressedLayers(record.diffId), []);
  assert.equal(store.deleteCompressedLayers(record.diffId), 0);
  store.putCompressedLayer(record);
  assert.deepEqual(store.listCompressedLayers(record.diffId), [record]);
});

// The daemon's cached listing (ContainerListing): kept while containers/ is unchanged.
metadataStoreSuite('metadata-fs, listing cached', {
  create: (root) => createFsMetadataStore(root, { cacheListing: true }),
  module: new URL('./fs-metadata-store.js', import.meta.url).href,
  factory: 'createFsMetadataStore',
});

/** Past the listing's racy window (100 ms): a listing read now is kept. */
const pastRacyWindow = () => new Promise((r) => setTimeout(r, 150));

test('a cached listing is kept while containers/ is unchanged, and any change by another process shows at once', async (t) => {
  const root = tempRoot(t);
  const daemon = createFsMetadataStore(root, { cacheListing: true });
  const cli = createFsMetadataStore(root);
  cli.createContainer(containerRecord(idOf('a1'), 'web'));
  cli.createContainer(containerRecord(idOf('b1'), 'db'));
  await pastRacyWindow();
  assert.deepEqual(daemon.listContainers().map((c) => c.name).sort(), ['db', 'web']);
  // Rewritten in place, behind the store's back (berth never writes a record so): no change to the
  // directory, so the kept listing answers. This is what proves the listing is kept at all.
  const file = join(root, 'metadata', 'containers', `${idOf('a1')}.json`);
  writeFileSync(file, JSON.stringify({ ...containerRecord(idOf('a1'), 'web'), name: 'in-place' }));
  assert.deepEqual(daemon.listContainers().map((c) => c.name).sort(), ['db', 'web']);
  // Every write berth makes renames into the directory or unlinks from it: seen at once.
  cli.updateContainer(idOf('b1'), (r) => void (r.state.status = 'running'));
  assert.deepEqual(daemon.listContainers().map((c) => [c.name, c.state.status]).sort(), [['db', 'running'], ['in-place', 'created']]);
  cli.deleteContainer(idOf('b1'));
  assert.deepEqual(daemon.listContainers().map((c) => c.name), ['in-place']);
  cli.createContainer(containerRecord(idOf('c1'), 'cache'));
  assert.deepEqual(daemon.listContainers().map((c) => c.name).sort(), ['cache', 'in-place']);
});

test('a listing read within the racy window of the last change is not kept: a change in the same clock tick could not be told', (t) => {
  const root = tempRoot(t);
  const daemon = createFsMetadataStore(root, { cacheListing: true });
  daemon.createContainer(containerRecord(idOf('a1'), 'web'));
  assert.deepEqual(daemon.listContainers().map((c) => c.name), ['web']);
  const file = join(root, 'metadata', 'containers', `${idOf('a1')}.json`);
  writeFileSync(file, JSON.stringify({ ...containerRecord(idOf('a1'), 'web'), name: 'in-place' }));
  assert.deepEqual(daemon.listContainers().map((c) => c.name), ['in-place']);
});

test("the containers' stamp: none within the racy window of a change, then one that every create, update and delete changes", async (t) => {
  const root = tempRoot(t);
  const daemon = createFsMetadataStore(root, { cacheListing: true });
  const cli = createFsMetadataStore(root);
  cli.createContainer(containerRecord(idOf('a1'), 'web'));
  assert.equal(daemon.containersStamp?.(), undefined, 'a change this recent could hide another in the same tick');
  await pastRacyWindow();
  const first = daemon.containersStamp?.();
  assert.equal(first?.path, join(root, 'metadata', 'containers'));
  assert.match(first?.stamp ?? '', /^\d+:\d+:\d+:\d+$/);
  assert.deepEqual(daemon.containersStamp?.(), first, 'unchanged while nothing changes');
  const changes = [
    () => cli.updateContainer(idOf('a1'), (r) => void (r.state.status = 'running')),
    () => cli.createContainer(containerRecord(idOf('b1'), 'db')),
    () => cli.deleteContainer(idOf('b1')),
  ];
  let last = first;
  for (const change of changes) {
    change();
    await pastRacyWindow();
    const now = daemon.containersStamp?.();
    assert.ok(now !== undefined && now.stamp !== last?.stamp, `${change.toString()} changed the stamp`);
    last = now;
  }
});

test('records of a cached listing are shared, so frozen: a caller that changes one fails loudly', async (t) => {
  const root = tempRoot(t);
  const daemon = createFsMetadataStore(root, { cacheListing: true });
  daemon.createContainer(containerRecord(idOf('a1'), 'web'));
  await pastRacyWindow();
  const [record] = daemon.listContainers();
  assert.throws(() => void (record!.state.status = 'running'), TypeError);
  assert.throws(() => void (record!.name = 'x'), TypeError);
  const list = daemon.listContainers();
  list.pop();
  assert.equal(daemon.listContainers().length, 1, 'the array handed out is the caller\'s own');
  assert.equal(daemon.findContainer('web').state.status, 'created');
});

test('a listing is kept only when the directory\'s times are older than its file system\'s clock tick', () => {
  const s = 1_000_000_000n;
  const now = 1_700_000_000n * s + 500_000_000n;
  const at = (ns: bigint) => ({ mtimeNs: ns, ctimeNs: ns });
  assert.equal(listingKeepable(at(now - 150_000_000n), now), true, 'nanosecond times, 150 ms old');
  assert.equal(listingKeepable(at(now - 50_000_000n), now), false, 'nanosecond times, 50 ms old: the same tick may still change them');
  assert.equal(listingKeepable({ mtimeNs: now - 10n * s, ctimeNs: now - 50_000_000n }, now), false, 'either time too new');
  // Whole seconds: a file system that keeps no more (ext3, FAT): a change within the next second or two leaves them as they are.
  assert.equal(listingKeepable(at(1_700_000_000n * s), now), false, '0.5 s old, in whole seconds');
  assert.equal(listingKeepable(at(1_699_999_999n * s), now), false, '1.5 s old, in whole seconds');
  assert.equal(listingKeepable(at(1_699_999_998n * s), now), true, '2.5 s old, in whole seconds');
  assert.equal(listingKeepable(at(now + s), now), false, 'from the future (a clock set back)');
});
