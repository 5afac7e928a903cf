import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseNetworkMode, sharesHostNetwork } from './network-mode.js';

test('parseNetworkMode accepts the modes that exist and names the others', () => {
  assert.equal(parseNetworkMode('none'), 'none');
  assert.equal(parseNetworkMode('host'), 'host');
  assert.throws(() => parseNetworkMode('bridge'), { code: 'BERTH_E_NETWORK_UNSUPPORTED', message: /"bridge"/ });
  assert.throws(() => parseNetworkMode(''), { code: 'BERTH_E_NETWORK_MODE' });
  assert.equal(sharesHostNetwork('host'), true);
  assert.equal(sharesHostNetwork('none'), false);
});
