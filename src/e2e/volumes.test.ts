/**
 * Volumes end to end (issue 9): named volumes that outlive containers, anonymous ones (`-v /path`,
 * an image's VOLUME) seeded from the image, `rm -v`, `--volumes-from`, `--mount`, tmpfs limits,
 * refusals with Docker's messages and exit codes, and the `volume` commands' output. Every
 * expectation was checked against dockerd 20.10 (tools/reference-dockerd.sh).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('volumes', () => {
  let store: Store;
  let context: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    context = mkdtempSync(join(tmpdir(), 'berth-volumes-ctx-'));
    writeFileSync(join(context, 'Dockerfile'), [
      `FROM ${busyboxImage}`,
      'RUN mkdir -p /seed/sub && echo hello > /seed/sub/f && chown -R 1000:1001 /seed && chmod 0750 /seed && chmod 0604 /seed/sub/f'
        + ' && ln -s sub/f /seed/link && ln /seed/sub/f /seed/hard && mkfifo /seed/fifo',
      'VOLUME /seed',
      '',
    ].join('\n'));
    const r = store.berth(['build', '-q', '-t', 'seeded:1', context]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
  });
  const berth = (...args: string[]) => store.berth(args);
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const volumes = () => ok('volume', 'ls', '-q').split('\n').filter(Boolean);

  test('a named volume keeps data across containers, is made on first use, and cannot be removed while any container uses it', () => {
    ok('run', '--name', 'writer', '-v', 'data:/data', busyboxImage, 'sh', '-c', 'echo kept > /data/f');
    assert.deepEqual(volumes(), ['data'], 'made on first use');
    assert.equal(ok('run', '--rm', '-v', 'data:/mnt', busyboxImage, 'cat', '/mnt/f'), 'kept\n');
    // Read-only: the write fails inside the container.
    const ro = berth('run', '--rm', '-v', 'data:/data:ro', busyboxImage, 'sh', '-c', 'echo x > /data/g');
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);

    // `writer` has exited but still uses it: refused, with -f too (as dockerd), nothing changed.
    const id = ok('inspect', '-f', '{{.Id}}', 'writer').trim();
    for (const args of [['volume', 'rm', 'data'], ['volume', 'rm', '-f', 'data']]) {
      const r = berth(...args);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error response from daemon: remove data: volume is in use - [${id}]\n`);
    }
    assert.equal(ok('run', '--rm', '-v', 'data:/data', busyboxImage, 'cat', '/data/f'), 'kept\n', 'data intact');
    // Pruned only with --all, and not while used.
    ok('volume', 'prune', '-f', '-a');
    assert.deepEqual(volumes(), ['data']);
    // rm -v keeps named volumes.
    ok('rm', '-v', 'writer');
    assert.deepEqual(volumes(), ['data']);
    assert.equal(ok('volume', 'rm', 'data'), 'data\n');
    assert.deepEqual(volumes(), []);
    assert.equal(existsSync(join(store.root, 'volumes', 'data')), false, 'its directory is gone');
  });

  test("an image's VOLUME is an anonymous volume seeded from the image (contents, modes, owners, links); rm -v and run --rm remove it", () => {
    const listing = ok('run', '--name', 'seeded', 'seeded:1', 'sh', '-c',
      'ls -lan /seed /seed/sub | awk \'{print $1, $3, $4, $NF}\'; stat -c "%i" /seed/hard /seed/sub/f; cat /seed/link; echo more > /seed/new');
    assert.match(listing, /^drwxr-x--- 1000 1001 \.$/m, 'the top directory has the image directory\'s owner and mode');
    assert.match(listing, /^-rw----r-- 1000 1001 f$/m);
    assert.match(listing, /^lrwxrwxrwx 0 0 sub\/f$/m);
    assert.match(listing, /^prw-r--r-- 0 0 fifo$/m);
    const [inodeA, inodeB] = listing.split('\n').filter((l) => /^\d+$/.test(l));
    assert.equal(inodeA, inodeB, 'hard links stay linked');
    assert.match(listing, /^hello$/m);
    const [anon] = volumes();
    assert.match(anon ?? '', /^[0-9a-f]{64}$/);
    assert.equal(ok('volume', 'inspect', '-f', '{{json .Labels}} {{json .Options}}', anon as string), '{"com.docker.volume.anonymous":""} null\n');

    // A second container's own anonymous volume is seeded again; a named volume mounted at the
    // VOLUME path replaces it and is seeded once (later writes stay); nocopy leaves it empty.
    assert.equal(ok('run', '--rm', 'seeded:1', 'ls', '/seed'), 'fifo\nhard\nlink\nsub\n');
    ok('run', '--rm', '-v', 'named:/seed', 'seeded:1', 'sh', '-c', 'rm /seed/hard; echo x > /seed/own');
    assert.equal(ok('run', '--rm', '-v', 'named:/seed', 'seeded:1', 'ls', '/seed'), 'fifo\nlink\nown\nsub\n');
    assert.equal(ok('run', '--rm', '--mount', 'type=volume,src=empty,dst=/seed,volume-nocopy', 'seeded:1', 'ls', '-A', '/seed'), '');
    assert.deepEqual(volumes().sort(), [anon, 'empty', 'named'].sort(), 'run --rm removed its anonymous volumes, kept named ones');

    // --volumes-from shares the volume (read-only with :ro); rm -v of the first keeps it while the other uses it.
    const shared = berth('run', '--name', 'sharer', '--volumes-from', 'seeded:ro', busyboxImage, 'sh', '-c', 'cat /seed/new; touch /seed/z');
    assert.equal(shared.stdout, 'more\n');
    assert.match(shared.stderr, /Read-only file system/);
    const viaRun = berth('run', '--rm', '--volumes-from', 'seeded', busyboxImage, 'sh', '-c', 'cat /seed/new && touch /seed/z && echo rw');
    assert.equal(viaRun.stdout, 'more\nrw\n', viaRun.stderr);
    const viaRo = berth('run', '--rm', '--volumes-from', 'seeded:ro', busyboxImage, 'touch', '/seed/z2');
    assert.match(viaRo.stderr, /Read-only file system/);
    ok('rm', '-v', 'seeded');
    assert.ok(volumes().includes(anon as string), 'kept: sharer still uses it');
    ok('rm', '-v', 'sharer');
    assert.ok(!volumes().includes(anon as string), 'removed with its last user');
    ok('volume', 'rm', 'named', 'empty');
  });

  test('--mount: bind read-only enforced, tmpfs size and mode enforced, volumes with labels and options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-volumes-bind-'));
    try {
      writeFileSync(join(dir, 'host-file'), 'from host\n');
      const bind = berth('run', '--rm', '--mount', `type=bind,source=${dir},target=/h,readonly`, busyboxImage, 'sh', '-c', 'cat /h/host-file; touch /h/new');
      assert.equal(bind.stdout, 'from host\n');
      assert.match(bind.stderr, /Read-only file system/);
      assert.deepEqual(readdirSync(dir), ['host-file'], 'nothing written through a readonly bind');
      ok('run', '--rm', '--mount', `type=bind,src=${dir},dst=/h,ro=false`, busyboxImage, 'touch', '/h/new');
      assert.deepEqual(readdirSync(dir).sort(), ['host-file', 'new']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const tmpfs = berth('run', '--rm', '--mount', 'type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=0700', busyboxImage, 'sh', '-c',
      'stat -c %a /t; grep " /t " /proc/self/mountinfo; dd if=/dev/zero of=/t/big bs=1k count=2048 2>/dev/null; echo dd=$?; du -k /t/big');
    assert.match(tmpfs.stdout, /^700\n/);
    assert.match(tmpfs.stdout, /nosuid,nodev,noexec/);
    assert.match(tmpfs.stdout, /dd=1\n1024\t\/t\/big/, 'the write stops at 1 MiB');
    const roTmpfs = berth('run', '--rm', '--mount', 'type=tmpfs,dst=/t,readonly', busyboxImage, 'touch', '/t/x');
    assert.match(roTmpfs.stderr, /Read-only file system/);

    ok('run', '--rm', '--mount', 'type=volume,source=labelled,target=/v,volume-label=team=a,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=64k',
      busyboxImage, 'sh', '-c', 'grep " /v " /proc/self/mountinfo; echo persists > /v/f');
    assert.equal(ok('volume', 'inspect', '-f', '{{json .Labels}} {{json .Options}}', 'labelled'), '{"team":"a"} {"device":"tmpfs","o":"size=64k","type":"tmpfs"}\n');
    // A tmpfs volume is shared by its users and stays mounted until removed; its size holds.
    const full = berth('run', '--rm', '-v', 'labelled:/v', busyboxImage, 'sh', '-c', 'cat /v/f; dd if=/dev/zero of=/v/big bs=1k count=128 2>/dev/null; echo dd=$?');
    assert.equal(full.stdout, 'persists\ndd=1\n');
    ok('volume', 'rm', 'labelled');
    assert.equal(readdirSync(join(store.root, 'volumes')).filter((n) => !n.startsWith('.')).length, 0);
  });

  test('bad mount specifications are refused before anything is made, with Docker\'s messages and exit 125', () => {
    const before = { volumes: volumes(), containers: ok('ps', '-aq') };
    const cases: [string[], string][] = [
      [['-v', 'foo/bar:/x'], 'create foo/bar: "foo/bar" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
      [['-v', './rel:/x'], 'create ./rel: "./rel" includes invalid characters for a local volume name'],
      [['-v', 'vol:x'], "invalid volume specification: 'vol:x': invalid mount config for type \"volume\": invalid mount path: 'x' mount path must be absolute"],
      [['-v', '/a:/b:bad'], 'invalid mode: bad'],
      [['-v', '/a:/b:ro:extra'], "invalid volume specification: '/a:/b:ro:extra'"],
      [['-v', '/x:ro'], "invalid volume specification: '/x:ro'"],
      [['-v', '/tmp:/'], "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"],
      [['-v', 'vol:/x:shared'], 'field BindOptions must not be specified'],
      [['-v', '/tmp:/x', '-v', '/var:/x'], 'Duplicate mount point: /x'],
      [['--mount', 'type=bind,source=/nonexistent-berth-path,target=/x'], 'invalid mount config for type "bind": bind source path does not exist: /nonexistent-berth-path'],
      [['--mount', 'type=bind,target=/x'], 'invalid mount config for type "bind": field Source must not be empty'],
      [['--mount', 'type=bind,source=/tmp,target=/x,bogus=1'], `invalid argument "type=bind,source=/tmp,target=/x,bogus=1" for "--mount" flag: unexpected key 'bogus' in 'bogus=1'`],
      [['--mount', 'type=volume,target=/x,readonly'], 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
      [['--mount', 'type=bind,source=/tmp,target=/x,volume-nocopy'], "cannot mix 'volume-*' options with mount type 'bind'"],
      [['--mount', 'type=tmpfs,target=/x,tmpfs-size=abc'], 'invalid value for tmpfs-size: abc'],
      [['--mount', 'type=tmpfs,source=foo,target=/x'], 'invalid mount config for type "tmpfs": field Source must not be specified'],
      [['--mount', 'type=foo,target=/x'], 'invalid mount config for type "foo": mount type unknown'],
      [['--mount', 'type=bind,source=/tmp,target=/x,bind-propagation=weird'], 'invalid mount config for type "bind": invalid propagation mode: weird'],
      [['--mount', 'type=volume,source=v9,target=/x,volume-opt=type=ext4,volume-opt=device=/dev/null'], 'volume type "ext4" is not supported'],
      [['--volumes-from', 'no-such-container'], 'No such container: no-such-container'],
    ];
    for (const [args, message] of cases) {
      const r = berth('run', '--rm', ...args, busyboxImage, 'true');
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(message), `${args.join(' ')}: expected "${message}", got ${r.stderr}`);
    }
    assert.deepEqual({ volumes: volumes(), containers: ok('ps', '-aq') }, before, 'nothing was made');
  });

  test('volume create/ls/inspect/rm/prune: output shapes, filters, options and errors', () => {
    assert.equal(ok('volume', 'create', '--label', 'x=y', '--label', 'z', 'alpha'), 'alpha\n');
    assert.equal(ok('volume', 'create', '--label', 'other=1', 'alpha'), 'alpha\n', 'create is idempotent');
    const random = ok('volume', 'create').trim();
    assert.match(random, /^[0-9a-f]{64}$/);
    ok('volume', 'create', '-o', 'type=none', '-o', `device=${tmpdir()}`, '-o', 'o=bind', 'hostdir');
    const inspected = JSON.parse(ok('volume', 'inspect', 'alpha', 'hostdir')) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(inspected[0] ?? {}), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.deepEqual(inspected[0], {
      CreatedAt: inspected[0]?.['CreatedAt'], Driver: 'local', Labels: { x: 'y', z: '' }, Mountpoint: join(store.root, 'volumes', 'alpha', '_data'),
      Name: 'alpha', Options: null, Scope: 'local',
    });
    assert.match(String(inspected[0]?.['CreatedAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(inspected[1]?.['Options'], { device: tmpdir(), o: 'bind', type: 'none' });
    const missing = berth('volume', 'inspect', 'alpha', 'nope');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: get nope: no such volume\n');
    assert.equal((JSON.parse(missing.stdout) as unknown[]).length, 1);

    // A bind volume shows the host directory inside the container.
    writeFileSync(join(tmpdir(), 'berth-volumes-marker'), '');
    try {
      assert.match(ok('run', '--rm', '-v', 'hostdir:/h', busyboxImage, 'ls', '/h'), /berth-volumes-marker/);
    } finally {
      rmSync(join(tmpdir(), 'berth-volumes-marker'), { force: true });
    }

    const sorted = [random, 'alpha', 'hostdir'].sort();
    assert.equal(ok('volume', 'ls'), `DRIVER    VOLUME NAME\n${sorted.map((n) => `local     ${n}\n`).join('')}`);
    assert.equal(ok('volume', 'ls', '-q', '--filter', 'name=^al'), 'alpha\n');
    assert.equal(ok('volume', 'ls', '-q', '--filter', 'label=x=y'), 'alpha\n');
    assert.equal(ok('volume', 'ls', '-q', '--filter', 'label=z'), 'alpha\n');
    ok('run', '--name', 'user', '-v', 'alpha:/a', busyboxImage, 'true');
    assert.equal(ok('volume', 'ls', '-q', '--filter', 'dangling=false'), 'alpha\n');
    assert.equal(ok('volume', 'ls', '-q', '--filter', 'dangling=true'), [random, 'hostdir'].sort().map((n) => `${n}\n`).join(''));
    assert.equal(ok('volume', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Label "x"}} {{.Scope}} {{.Links}}', '--filter', 'name=alpha'), 'alpha x=y,z= y local N/A\n');
    assert.equal(ok('volume', 'ls', '--format', 'json', '--filter', 'name=alpha'),
      `{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"x=y,z=","Links":"N/A","Mountpoint":"${join(store.root, 'volumes', 'alpha', '_data')}","Name":"alpha","Scope":"local","Size":"N/A","Status":"N/A"}\n`);
    for (const [filter, message] of [['bogus=1', "Invalid filter 'bogus'"], ['dangling=maybe', "Invalid filter 'dangling=[maybe]'"]]) {
      const r = berth('volume', 'ls', '--filter', filter as string);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(String(message).replace(/[[\]]/g, '\\$&')));
    }

    // Refused options: unknown, incomplete, or not supported by berth's local driver.
    for (const [opts, message] of [
      [['-o', 'foo=bar'], 'create bad: invalid option: "foo"'],
      [['-o', 'type=tmpfs'], 'create bad: missing required option: "device"'],
      [['-o', 'type=ext4', '-o', 'device=/dev/null'], 'volume type "ext4" is not supported'],
      [['-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=bogus'], 'unsupported tmpfs option "bogus"'],
      [['-d', 'foo'], 'create bad: error looking up volume plugin foo: plugin "foo" not found'],
    ] as const) {
      const r = berth('volume', 'create', ...opts, 'bad');
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(message), `${opts.join(' ')}: ${r.stderr}`);
    }
    const badName = berth('volume', 'create', 'a/b');
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /"a\/b" includes invalid characters for a local volume name/);

    // rm: a missing volume is an error unless -f; in use is refused.
    assert.equal(berth('volume', 'rm', 'nope').stderr, 'Error: No such volume: nope\n');
    const forced = berth('volume', 'rm', '-f', 'nope');
    assert.equal(forced.code, 0);
    assert.equal(forced.stdout, 'nope\n');

    // prune: anonymous unused volumes by default (Docker 23+), every unused one with -a; filters.
    ok('run', '--name', 'anon', '-v', '/scratch', busyboxImage, 'sh', '-c', 'echo 12345 > /scratch/f');
    ok('rm', 'anon');
    const pruned = ok('volume', 'prune', '-f');
    assert.match(pruned, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 6B\n$/);
    assert.deepEqual(volumes(), sorted, 'named volumes are kept without --all');
    assert.equal(ok('volume', 'prune', '-f', '-a', '--filter', 'label=nothing'), 'Total reclaimed space: 0B\n');
    const declined = store.berth(['volume', 'prune', '-a'], { input: 'n\n' });
    assert.equal(declined.code, 0);
    assert.deepEqual(volumes(), sorted, 'declined: nothing removed');
    assert.equal(ok('volume', 'prune', '-f', '-a'), `Deleted Volumes:\n${[random, 'hostdir'].sort().join('\n')}\n\nTotal reclaimed space: 0B\n`);
    assert.deepEqual(volumes(), ['alpha'], 'used by a container: kept');
    assert.ok(existsSync(tmpdir()), 'the bind volume\'s host directory is untouched');
    ok('rm', 'user');

    // system check and prune see volumes as what they are: kept, not leftovers.
    const check = ok('system', 'check', '--quick');
    assert.doesNotMatch(check, /volume/i);
    ok('system', 'prune', '-f');
    assert.deepEqual(volumes(), ['alpha']);
    ok('volume', 'rm', 'alpha');
  });
});
