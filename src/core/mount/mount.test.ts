import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { isMounted, mountAll, unmountAll, volatileMounts } from './mount.js';

test('an overlay mounts, stacks its layers, and a volatile one skips syncing (root)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-mount-'));
  t.after(async () => {
    await unmountAll(join(dir, 'merged'));
    rmSync(dir, { recursive: true, force: true });
  });
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'lower', 'base.txt'), 'base');
  const overlay = { type: 'overlay', source: 'overlay', options: [`lowerdir=${dir}/lower`, `upperdir=${dir}/upper`, `workdir=${dir}/work`] };
  assert.deepEqual(volatileMounts([overlay])[0]?.options.at(-1), 'volatile');
  assert.deepEqual(volatileMounts([{ type: 'bind', source: '/x', options: ['ro'] }])[0]?.options, ['ro'], 'only writable overlays change');
  mountAll(volatileMounts([overlay]), join(dir, 'merged'));
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.equal(isMounted(join(dir, 'merged'), mountinfo), true);
  assert.match(mountinfo.split('\n').find((l) => l.includes(join(dir, 'merged'))) ?? '', /volatile/);
  writeFileSync(join(dir, 'merged', 'new.txt'), 'new');
  assert.equal(readFileSync(join(dir, 'merged', 'base.txt'), 'utf8'), 'base');
  await unmountAll(join(dir, 'merged'));
  assert.equal(readFileSync(join(dir, 'upper', 'new.txt'), 'utf8'), 'new', 'writes land in the upper directory');
  assert.equal(isMounted(join(dir, 'merged'), readFileSync('/proc/self/mountinfo', 'utf8')), false);
  await unmountAll(join(dir, 'merged')); // nothing mounted: not an error
});
