import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseCidr } from './ipv4.js';
import { pickAddress, planSubnet } from './subnet-pool.js';

const never = () => {
  throw new Error('no subnet should be drawn');
};

test('planSubnet keeps auxiliary addresses of the subnet, canonical; one outside it (or without a subnet) is the docker CLI\'s error', () => {
  assert.deepEqual(planSubnet({ subnet: '10.1.0.0/24', auxAddresses: { nas: '10.1.0.7' } }, never), { subnet: '10.1.0.0/24', gateway: '10.1.0.1', auxAddresses: { nas: '10.1.0.7' } });
  assert.throws(() => planSubnet({ subnet: '10.1.0.0/24', auxAddresses: { nas: '10.2.0.7' } }, never), { code: 'BERTH_E_INVALID_AUX_ADDRESS', message: 'no matching subnet for aux-address 10.2.0.7' });
  assert.throws(() => planSubnet({ subnet: '10.1.0.0/24', auxAddresses: { nas: 'x' } }, never), { message: 'no matching subnet for aux-address x' });
  assert.throws(() => planSubnet({ auxAddresses: { nas: '10.1.0.7' } }, () => parseCidr('10.9.0.0/24')!), { message: 'no matching subnet for aux-address 10.1.0.7' });
});

test('pickAddress never leases an auxiliary address, drawn or asked for', () => {
  const network = { subnet: '10.1.0.0/29', gateway: '10.1.0.1', auxAddresses: { a: '10.1.0.2', b: '10.1.0.3' } };
  assert.equal(pickAddress(network, new Set()), '10.1.0.4');
  assert.equal(pickAddress(network, new Set(['10.1.0.4'])), '10.1.0.5');
  assert.throws(() => pickAddress(network, new Set(), '10.1.0.3'), { code: 'BERTH_E_ADDRESS_IN_USE', message: 'Address already in use: 10.1.0.3' });
  assert.equal(pickAddress(network, new Set(), '10.1.0.6'), '10.1.0.6');
});
