import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { pinLinkAddress } from './index.js';

const read = (name: string, attribute: string) => readFileSync(`/sys/class/net/${name}/${attribute}`, 'utf8').trim();

test('pinLinkAddress keeps a bridge at the address it has, whatever ports join; bad names are errors naming the interface', () => {
  const bridge = `bpin${process.pid % 100000}`;
  const port = `${bridge}p`;
  assert.equal(spawnSync('ip', ['link', 'add', bridge, 'type', 'bridge']).status, 0);
  try {
    const address = read(bridge, 'address');
    assert.notEqual(read(bridge, 'addr_assign_type'), '3');
    assert.equal(pinLinkAddress(bridge), true);
    assert.equal(read(bridge, 'addr_assign_type'), '3', 'set: the kernel no longer follows the ports');
    assert.equal(read(bridge, 'address'), address);
    // A port with the lowest possible address would have given the bridge its own.
    assert.equal(spawnSync('ip', ['link', 'add', port, 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', `${port}q`]).status, 0);
    assert.equal(spawnSync('ip', ['link', 'set', port, 'master', bridge]).status, 0);
    assert.equal(read(bridge, 'address'), address);
  } finally {
    spawnSync('ip', ['link', 'del', port]);
    spawnSync('ip', ['link', 'del', bridge]);
  }
  assert.throws(() => pinLinkAddress('bpin-missing0'), (err: NodeJS.ErrnoException) => err.code === 'ENODEV' && err.message.includes('bpin-missing0'));
  assert.throws(() => pinLinkAddress('a-name-longer-than-ifnamsiz'), (err: NodeJS.ErrnoException) => err.code === 'EINVAL');
});
