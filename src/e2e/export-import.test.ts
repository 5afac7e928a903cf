/**
 * `export` then `import`: a container's file system, piped from one command to the other, becomes
 * an image whose tree is the container's: modes (setuid, sticky, private), owners, symlinks,
 * hard links (one inode, two names), empty directories and file contents.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';

/** The file tree as a shell in the container sees it: one line per path (not /proc, /sys, /dev). */
const listing = [
  'cd /',
  // -xdev keeps to the root's own file system (mount points, such as /etc/hosts, listed the same in both)
  'find / -xdev ! -path "/proc/*" ! -path "/sys/*" ! -path "/dev/*" | sort | while read -r p; do',
  '  if [ -L "$p" ]; then echo "$(stat -c "%n %A %u:%g" "$p") -> $(readlink "$p")";',
  '  elif [ -f "$p" ]; then echo "$(stat -c "%n %A %u:%g %s links=%h" "$p") $(md5sum < "$p" | cut -c1-32)";',
  '  else echo "$(stat -c "%n %A %u:%g" "$p")"; fi',
  'done',
  'echo "hard: $(stat -c %i /data/file) $(stat -c %i /data/hard)"',
].join('\n');

const setup = [
  'set -e',
  'mkdir -p /data/empty /data/deep/er /data/sticky',
  'echo hello > /data/file',
  'ln /data/file /data/hard',
  'ln -s file /data/rel-link',
  'ln -s /etc/passwd /data/abs-link',
  'ln -s missing /data/dangling',
  'printf "secret" > /data/private && chmod 600 /data/private',
  'cp /bin/busybox /data/suid && chmod 4755 /data/suid',
  'chmod 1777 /data/sticky',
  'echo owned > /data/owned && chown 1234:5678 /data/owned /data/deep/er',
  'chmod 750 /data/deep',
  'rm /etc/motd 2>/dev/null || true',
  'echo changed >> /etc/profile',
].join('\n');

describe('berth export | berth import', () => {
  let store: Store;
  before(() => (store = createStore({ withBusybox: true })));
  after(() => store.dispose());

  test('an exported container imports as an image with the same file tree', () => {
    const original = store.berth(['run', '--name', 'exp-src', busyboxImage, 'sh', '-c', `${setup}\n${listing}`]);
    assert.equal(original.code, 0, original.stderr);
    // through a real pipe, as a user types it
    const piped = spawnSync('sh', ['-c', `"${berthBin}" export exp-src | "${berthBin}" import - berth-test/exported:1`], { env: { ...process.env, BERTH_ROOT: store.root }, timeout: 60_000 });
    assert.equal(piped.status, 0, piped.stderr.toString());
    assert.match(piped.stdout.toString(), /^sha256:[a-f0-9]{64}$/m);
    const copy = store.berth(['run', '--rm', 'berth-test/exported:1', 'sh', '-c', listing]);
    assert.equal(copy.code, 0, copy.stderr);
    // /etc/hostname and /etc/hosts are each container's own (bind mounts over the image's files)
    const lines = (text: string) => text.split('\n').filter((l) => !/^(hard: |\/etc\/(hostname|hosts) )/.test(l));
    const before = lines(original.stdout);
    const now = lines(copy.stdout);
    // only the differences in the message: the trees have hundreds of lines
    assert.deepEqual({ lost: before.filter((l) => !now.includes(l)), gained: now.filter((l) => !before.includes(l)) }, { lost: [], gained: [] });
    assert.ok(before.length > 200, original.stdout);
    // the listing saw what it should have: a check of the check
    for (const want of [
      /^\/data\/suid -rwsr-xr-x 0:0 /m, /^\/data\/sticky drwxrwxrwt 0:0$/m, /^\/data\/private -rw------- 0:0 6 links=1 /m,
      /^\/data\/owned -rw-r--r-- 1234:5678 /m, /^\/data\/deep\/er drwxr-xr-x 1234:5678$/m, /^\/data\/deep drwxr-x--- 0:0$/m,
      /^\/data\/rel-link lrwxrwxrwx 0:0 -> file$/m, /^\/data\/abs-link lrwxrwxrwx 0:0 -> \/etc\/passwd$/m, /^\/data\/dangling lrwxrwxrwx 0:0 -> missing$/m,
      /^\/data\/file -rw-r--r-- 0:0 6 links=2 /m, /^\/data\/hard -rw-r--r-- 0:0 6 links=2 /m, /^\/data\/empty drwxr-xr-x 0:0$/m,
    ]) assert.match(copy.stdout, want);
    assert.doesNotMatch(copy.stdout, /^\/etc\/motd /m);
    // one inode under two names, in the copy as in the original
    for (const out of [original.stdout, copy.stdout]) {
      const [, a, b] = /^hard: (\d+) (\d+)$/m.exec(out) ?? [];
      assert.ok(a !== undefined && a === b, out);
    }
    // the image has one layer and no config of its own
    const [inspect] = JSON.parse(store.berth(['inspect', 'berth-test/exported:1']).stdout) as { RootFS: { Layers: string[] }; Config: { Cmd: unknown } }[];
    assert.equal(inspect?.RootFS.Layers.length, 1);
  });
});
