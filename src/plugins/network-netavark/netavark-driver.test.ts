import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatCidr } from '../../core/network/index.js';
import { kernelRoutes } from './netavark-driver.js';

test('kernelRoutes reads /proc/net/route: little-endian destinations and masks, the default route skipped', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'br0\t0000100A\t00000000\t0001\t0\t0\t0\t0000F0FF\t0\t0\t0',
    'tun0\t0100000A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
    'garbage line',
  ].join('\n');
  assert.deepEqual(kernelRoutes(table).map(formatCidr), ['192.0.2.0/24', '10.16.0.0/12', '10.0.0.1/32']);
});
