import assert from 'node:assert/strict';
import { test } from 'node:test';

import { containerOfMode, joinsNetworks, parseNetworkMode, sharesHostNetwork } from './network-mode.js';

test('parseNetworkMode takes Docker\'s modes and network names', () => {
  assert.equal(parseNetworkMode('none'), 'none');
  assert.equal(parseNetworkMode('host'), 'host');
  assert.equal(parseNetworkMode('bridge'), 'bridge');
  assert.equal(parseNetworkMode('default'), 'bridge');
  assert.equal(parseNetworkMode('mynet'), 'mynet');
  assert.equal(parseNetworkMode('container:web'), 'container:web');
  assert.throws(() => parseNetworkMode(''), { code: 'BERTH_E_NETWORK_MODE' });
  assert.throws(() => parseNetworkMode('container:'), { code: 'BERTH_E_NETWORK_MODE' });
  assert.equal(sharesHostNetwork('host'), true);
  assert.equal(sharesHostNetwork('none'), false);
  assert.equal(containerOfMode('container:web'), 'web');
  assert.equal(joinsNetworks('bridge'), true);
  assert.equal(joinsNetworks('mynet'), true);
  assert.equal(joinsNetworks('none'), false);
  assert.equal(joinsNetworks('container:web'), false);
});
