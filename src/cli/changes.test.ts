import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyChanges } from './changes.js';

test('--change instructions set the image config as docker import does', () => {
  const config = applyChanges({ Env: ['PATH=/bin'] }, [
    'CMD ["sh", "-c", "echo hi"]',
    'ENTRYPOINT /entry.sh',
    'ENV A=1 B="two words"',
    'ENV PATH /usr/bin',
    'WORKDIR /srv',
    'USER 1000:1000',
    'EXPOSE 80 53/udp',
    'LABEL org.example=yes',
    'VOLUME ["/data"]',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(config.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(config.Entrypoint, ['/bin/sh', '-c', '/entry.sh']);
  assert.deepEqual(config.Env, ['PATH=/usr/bin', 'A=1', 'B=two words']);
  assert.equal(config.WorkingDir, '/srv');
  assert.equal(config.User, '1000:1000');
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), ['80/tcp', '53/udp']);
  assert.deepEqual(config.Labels, { 'org.example': 'yes' });
  assert.deepEqual(Object.keys(config.Volumes ?? {}), ['/data']);
  assert.equal(config.StopSignal, 'SIGINT');
});

test('instructions --change cannot apply are refused by name', () => {
  assert.throws(() => applyChanges({}, ['RUN rm -rf /']), { code: 'BERTH_E_INVALID_CHANGE', message: /RUN/ });
});

test('an instruction without its argument says so (ENV alone was "not one of CMD, ...")', () => {
  for (const change of ['ENV', 'ENV   ', 'WORKDIR', 'cmd']) {
    assert.throws(() => applyChanges({}, [change]), { code: 'BERTH_E_INVALID_CHANGE', message: /requires at least one argument/ }, change);
  }
  assert.throws(() => applyChanges({}, ['ENV NAME']), { code: 'BERTH_E_INVALID_CHANGE' });
  assert.throws(() => applyChanges({}, ['ENV =value']), { code: 'BERTH_E_INVALID_CHANGE' });
});
