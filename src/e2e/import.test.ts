import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import tar from 'tar-stream';


import type { Store } from './harness.js';
import { busyboxImage, busyboxRootfsTar, createStore } from './harness.js';

type Entry = Partial<tar.Header> & { name: string; content?: string };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ ...header, mode: header.mode ?? 0o644, mtime: header.mtime ?? new Date(0) }, content ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('berth import', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  test('a rootfs tarball becomes a runnable single-layer image with --change', () => {
    const r = store.berth(['import', '--change', 'ENV GREETING=hi', '--change', 'CMD ["sh", "-c", "echo $GREETING"]', '-', 'greeter:1'], { input: busyboxRootfsTar() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[a-f0-9]{64}$/m);
    assert.equal(store.berth(['run', '--rm', 'greeter:1']).stdout, 'hi\n');
    const images = store.berth(['images']).stdout;
    assert.match(images, /^greeter\s+1\s+[a-f0-9]{12}/m);
    const [inspect] = JSON.parse(store.berth(['inspect', 'greeter:1']).stdout) as { Config: { Cmd: string[] }; RootFS: { Layers: string[] } }[];
    assert.ok(inspect);
    assert.deepEqual(inspect.Config.Cmd, ['sh', '-c', 'echo $GREETING']);
    assert.equal(inspect.RootFS.Layers.length, 1);
  });

  test('--change goes through the builder: EXPOSE ranges, and instructions --change does not take are refused', () => {
    const r = store.berth(['import', '--change', 'EXPOSE 8000-8002/tcp', '--change', 'WORKDIR app', '-', 'ranged:1'], { input: busyboxRootfsTar() });
    assert.equal(r.code, 0, r.stderr);
    const [inspect] = JSON.parse(store.berth(['inspect', 'ranged:1']).stdout) as { Config: { ExposedPorts: Record<string, unknown>; WorkingDir: string } }[];
    assert.ok(inspect);
    assert.deepEqual(Object.keys(inspect.Config.ExposedPorts).sort(), ['8000/tcp', '8001/tcp', '8002/tcp']);
    assert.equal(inspect.Config.WorkingDir, '/app');
    const refused = store.berth(['import', '--change', 'RUN true', '-', 'refused:1'], { input: busyboxRootfsTar(), env: { BERTH_DEBUG: '1' } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /BERTH_E_INVALID_CHANGE/);
    assert.equal(store.berth(['images']).stdout.includes('refused'), false);
  });

  test('importing the same tarball twice shares the unpacked layer', () => {
    const snapshotDirs = () => readdirSync(join(store.root, 'snapshots', 'overlay')).filter((d) => /^[0-9a-f]{8}$/.test(d)).sort();
    const layers = (ref: string) => (JSON.parse(store.berth(['inspect', ref]).stdout) as { RootFS: { Layers: string[] } }[])[0]?.RootFS.Layers;
    const before = snapshotDirs();
    const r = store.berth(['import', '-', 'copy:1'], { input: busyboxRootfsTar() });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(layers('copy:1'), layers(busyboxImage), 'one layer, the same digest');
    assert.deepEqual(snapshotDirs(), before, 'no second unpacked copy of the layer');
    assert.match(store.berth(['system', 'check']).stdout, /is consistent/);
  });

  test('rmi refuses an image a container uses, then untags it and frees its content', () => {
    store.berth(['import', '-', 'doomed:1'], { input: busyboxRootfsTar() });
    store.berth(['run', '--name', 'user-of-doomed', 'doomed:1', 'true']);
    const busy = store.berth(['rmi', 'doomed:1']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /doomed:1.*container "user-of-doomed"/);
    store.berth(['rm', 'user-of-doomed']);
    const ok = store.berth(['rmi', 'doomed:1']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Untagged: doomed:1/);
    assert.equal(store.berth(['run', '--rm', 'doomed:1', 'true']).code, 125);
    assert.match(store.berth(['system', 'check']).stdout, /is consistent/);
  });

  const marker = () => `berth-escape-${randomBytes(6).toString('hex')}`;
  const up = '../'.repeat(12);

  test('entries climbing out with ../ are refused and write nothing outside', async () => {
    const name = marker();
    const input = await makeTar([{ name: 'ok.txt', content: 'ok' }, { name: `${up}tmp/${name}`, content: 'pwned' }]);
    const r = store.berth(['import', '-', 'evil:dotdot'], { input });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tmp\/berth-escape/);
    assert.equal(existsSync(`/tmp/${name}`), false);
    assert.equal(store.berth(['images']).stdout.includes('dotdot'), false);
  });

  test('absolute paths, symlinks and hard links pointing outside stay inside the image', async () => {
    const abs = marker();
    const viaLink = marker();
    const passwdLinks = statSync('/etc/passwd').nlink;
    const input = await makeTar([
      { name: 'bin/busybox', content: '' },
      { name: `/tmp/${abs}`, content: 'absolute' },
      { name: 'hostroot', type: 'symlink', linkname: '/' },
      { name: `hostroot/tmp/${viaLink}`, content: 'through a symlink' },
      { name: 'etc-link', type: 'symlink', linkname: '../../../../../../etc' },
      { name: 'etc-link/berth-was-here', content: 'x' },
      { name: 'hardlink-abs', type: 'link', linkname: '/etc/passwd' },
    ]);
    const r = store.berth(['import', '-', 'evil:links'], { input });
    // Either refused or contained; in both cases the host is untouched.
    assert.equal(existsSync(`/tmp/${abs}`), false);
    assert.equal(existsSync(`/tmp/${viaLink}`), false);
    assert.equal(existsSync('/etc/berth-was-here'), false);
    assert.equal(statSync('/etc/passwd').nlink, passwdLinks);
    if (r.code === 0) {
      const check = store.berth(['system', 'check']);
      assert.match(check.stdout, /is consistent/);
    } else {
      assert.match(r.stderr, /Cannot|refused|outside|escape/i);
    }
  });

  test('hard links whose target leaves the layer are refused', async () => {
    const input = await makeTar([{ name: 'x', type: 'link', linkname: `${up}etc/passwd` }]);
    const r = store.berth(['import', '-', 'evil:hardlink'], { input });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /etc\/passwd/);
  });

  test('device nodes are not created', async () => {
    const input = await makeTar([{ name: 'dev/evil-mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 }, { name: 'etc/ok', content: 'ok' }]);
    const r = store.berth(['import', '-', 'evil:device'], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dev\/evil-mem/, 'a warning names the skipped device');
    // The unpacked layer holds the regular file but no device node.
    const overlay = join(store.root, 'snapshots', 'overlay');
    const unpacked = readdirSync(overlay).filter((d) => /^[0-9a-f]{8}$/.test(d) && existsSync(join(overlay, d, 'fs', 'etc', 'ok')));
    assert.equal(unpacked.length, 1, 'the imported layer was unpacked once');
    assert.equal(readFileSync(join(overlay, unpacked[0] as string, 'fs', 'etc', 'ok'), 'utf8'), 'ok');
    assert.equal(existsSync(join(overlay, unpacked[0] as string, 'fs', 'dev', 'evil-mem')), false, 'no device node was made');
    const upper = store.berth(['run', '--rm', '--entrypoint', '', 'evil:device', '/bin/true']);
    assert.equal(upper.code, 127, 'the image holds no busybox; the run fails cleanly');
  });

  test('SIGKILL during an import leaves no partial image and a consistent store', async () => {
    const child = store.spawnBerth(['import', '-', 'interrupted:1']);
    const tarball = busyboxRootfsTar();
    // The write may still be under way when the import is killed: its EPIPE is expected.
    child.stdin?.on('error', (err: NodeJS.ErrnoException) => assert.equal(err.code, 'EPIPE'));
    child.stdin?.write(tarball.subarray(0, tarball.length / 2));
    // Killed once the import is under way: its ingest file has received data.
    const ingest = join(store.root, 'content', 'ingest');
    const writing = () => existsSync(ingest) && readdirSync(ingest).some((f) => statSync(join(ingest, f)).size > 0);
    for (let i = 0; i < 600 && !writing(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(writing(), 'the import started writing');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    assert.equal(store.berth(['images']).stdout.includes('interrupted'), false);
    const check = store.berth(['system', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /is consistent/);
    // Leftovers are reclaimable, and the store keeps working.
    assert.equal(store.berth(['run', '--rm', busyboxImage, 'true']).code, 0);
  });

  test('a missing file and a bad name are reported by name', () => {
    const missing = store.berth(['import', '/nonexistent.tar', 'x:1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\/nonexistent\.tar/);
    const bad = store.berth(['import', '-', 'UPPER:case'], { input: busyboxRootfsTar() });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /UPPER:case/);
  });
});
