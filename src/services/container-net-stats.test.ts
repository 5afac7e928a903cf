import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseNetDev } from './container-net-stats.js';

test('network I/O sums the eth* interfaces of /proc/<pid>/net/dev, not loopback', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    9000      10    0    0    0     0          0         0     9000      10    0    0    0     0       0          0
  eth0:    1500       5    0    0    0     0          0         0      700       4    0    0    0     0       0          0
  eth1:     500       2    0    0    0     0          0         0      300       1    0    0    0     0       0          0
`;
  assert.deepEqual(parseNetDev(text), { rxBytes: 2000, txBytes: 1000 });
});
