/**
 * What README.md promises about `berth run` and `berth build`, each shown on a real container:
 * the namespaces a container gets, --network host, --cap-drop ALL, importing a tarball from a
 * path, --reproducible, independent stages running in parallel, RUN's network by default.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { busyboxRootfsTar } from '../testing/index.js';
import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('README claims', () => {
  let store: Store;
  let work: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 300_000 });
    work = mkdtempSync(join(tmpdir(), 'berth-readme-'));
  });
  after(() => {
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });
  const run = (args: string[], ...cmd: string[]) => store.berth(['run', '--rm', ...args, busyboxImage, ...cmd]);
  const hostNamespace = (kind: string) => readlinkSync(`/proc/self/ns/${kind}`);

  // Mutation seen red: buildSpec without the ipc namespace.
  test('every container gets its own pid, mount, uts, ipc, network and cgroup namespaces', () => {
    const kinds = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'];
    const r = run([], 'sh', '-c', kinds.map((k) => `readlink /proc/self/ns/${k}`).join('; '));
    assert.equal(r.code, 0, r.stderr);
    const inside = r.stdout.trim().split('\n');
    assert.equal(inside.length, kinds.length);
    for (const [i, kind] of kinds.entries()) {
      assert.match(inside[i] ?? '', new RegExp(`^${kind}:\\[\\d+\\]$`));
      assert.notEqual(inside[i], hostNamespace(kind), `${kind} namespace is the container's own`);
    }
    // The same reading shows a shared namespace as the host's: the comparison can fail.
    const shared = run(['--network', 'host'], 'readlink', '/proc/self/ns/net');
    assert.equal(shared.stdout.trim(), hostNamespace('net'));
  });

  test('--network host shows the host\'s interfaces; the default bridge shows eth0 and lo; none only lo', () => {
    // Containers of tests running alongside come and go with their veth links and bridges.
    const lasting = (names: readonly string[]) => names.filter((n) => !/^(veth|berth)\d+$/.test(n)).sort();
    const host = lasting(readdirSync('/sys/class/net'));
    assert.ok(host.length > 1, 'the host has more than lo');
    const r = run(['--network', 'host'], 'ls', '/sys/class/net');
    assert.deepEqual(lasting(r.stdout.trim().split(/\s+/)), host);
    assert.deepEqual(run([], 'ls', '/sys/class/net').stdout.trim().split(/\s+/).sort(), ['eth0', 'lo']);
    assert.equal(run(['--network', 'none'], 'ls', '/sys/class/net').stdout.trim(), 'lo');
  });

  test('--cap-drop ALL leaves root with no capability', () => {
    const r = run(['--cap-drop', 'ALL'], 'grep', '-E', '^Cap(Eff|Prm|Bnd):', '/proc/self/status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CapEff:\s+0000000000000000/);
    assert.match(r.stdout, /CapPrm:\s+0000000000000000/);
    assert.match(r.stdout, /CapBnd:\s+0000000000000000/);
  });

  test('berth import FILE NAME makes a runnable image from a tarball on disk', () => {
    const file = join(work, 'rootfs.tar');
    writeFileSync(file, busyboxRootfsTar());
    const r = store.berth(['import', '--change', 'CMD ["echo", "from a file"]', file, 'from-file:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
    assert.equal(store.berth(['run', '--rm', 'from-file:1']).stdout, 'from a file\n');
  });

  test('--reproducible: two clean stores build the same image, created at the epoch', () => {
    const context = join(work, 'repro');
    mkdirp(context);
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nCOPY f /f\nRUN echo x > /x && touch /made-now\n`);
    writeFileSync(join(context, 'f'), 'content\n');
    const other = createStore({ withBusybox: true, timeoutMs: 300_000 });
    try {
      const ids = [store, other].map((s) => {
        const b = s.berth(['build', '-q', '--reproducible', '--network', 'none', '-t', 'repro:1', context]);
        assert.equal(b.code, 0, b.stderr);
        return (JSON.parse(s.berth(['inspect', 'repro:1']).stdout) as { ManifestDigest: string; Created: string }[])[0];
      });
      assert.equal(ids[0]?.ManifestDigest, ids[1]?.ManifestDigest);
      assert.equal(ids[0]?.Created, '1970-01-01T00:00:00.000Z');
      // Without the flag the creation time is now: the equality above is the flag's doing.
      const plain = store.berth(['build', '-q', '--network', 'none', '-t', 'repro:plain', context]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.notEqual((JSON.parse(store.berth(['inspect', 'repro:plain']).stdout) as { Created: string }[])[0]?.Created, '1970-01-01T00:00:00.000Z');
    } finally {
      other.dispose();
    }
  });

  test('independent stages are built at the same time', () => {
    // Each stage waits (bounded) until the other has started, through a shared cache mount:
    // built one after the other, the first would give up and fail the build.
    const context = join(work, 'parallel');
    mkdirp(context);
    const stage = (me: string, other: string) => [
      `FROM ${busyboxImage} AS ${me}`,
      `RUN --mount=type=cache,id=rendezvous,target=/r,sharing=shared touch /r/${me} && i=0; while [ ! -e /r/${other} ]; do i=$((i+1)); [ $i -gt 600 ] && exit 9; sleep 0.05; done; rm -f /r/${other}; echo ${me} > /${me}`,
    ].join('\n');
    writeFileSync(join(context, 'Dockerfile'), [stage('a', 'b'), stage('b', 'a'), `FROM ${busyboxImage}`, 'COPY --from=a /a /a', 'COPY --from=b /b /b', ''].join('\n'));
    const r = store.berth(['build', '--network', 'none', '--no-cache', '-t', 'parallel:1', context]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(store.berth(['run', '--rm', 'parallel:1', 'cat', '/a', '/b']).stdout, 'a\nb\n');
  });

  test('RUN is on the default bridge by default; --network host shares the host\'s network, --network none isolates it', () => {
    const context = join(work, 'netdefault');
    mkdirp(context);
    writeFileSync(join(context, 'Dockerfile'), `FROM ${busyboxImage}\nRUN ls /sys/class/net > /nets\nCMD ["cat", "/nets"]\n`);
    // Containers of tests running alongside come and go with their veth links and bridges.
    const lasting = (names: readonly string[]) => names.filter((n) => !/^(veth|berth)\d+$/.test(n)).sort();
    const host = lasting(readdirSync('/sys/class/net'));
    for (const [flags, want] of [[[], ['eth0', 'lo']], [['--network', 'host'], host], [['--network', 'none'], ['lo']]] as const) {
      const b = store.berth(['build', '-q', '--no-cache', ...flags, '-t', 'nets:1', context]);
      assert.equal(b.code, 0, b.stderr);
      assert.deepEqual(lasting(store.berth(['run', '--rm', '--network', 'none', 'nets:1']).stdout.trim().split(/\s+/)), [...want]);
    }
  });
});

/** A fresh, empty directory. */
function mkdirp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
