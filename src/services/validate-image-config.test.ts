import assert from 'node:assert/strict';
import { test } from 'node:test';

import { validateImageConfig } from './validate-image-config.js';

test('a config no container could run with is refused: relative WORKDIR, a port that is not PORT/PROTO', () => {
  const refused = { code: 'BERTH_E_INVALID_IMAGE_CONFIG' };
  assert.throws(() => validateImageConfig({ WorkingDir: 'relative' }), refused);
  for (const port of ['abc/tcp', '0/tcp', '70000/tcp', '80/icmp', '80']) {
    assert.throws(() => validateImageConfig({ ExposedPorts: { [port]: {} } }), refused, port);
  }
  assert.throws(() => validateImageConfig({ Env: ['=x'] }), refused);
  validateImageConfig({ WorkingDir: '/srv', ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9/sctp': {} }, Env: ['A=1', 'B'] });
  validateImageConfig({});
});
