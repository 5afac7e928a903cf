import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyConfigChanges } from './config-changes.js';

test('--change instructions set the image config as docker import does', () => {
  const config = applyConfigChanges({ Env: ['PATH=/bin'] }, [
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
  // Key order means nothing (Docker writes Go maps sorted); the builder sorts EXPOSE's ports.
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}).sort(), ['53/udp', '80/tcp']);
  assert.deepEqual(config.Labels, { 'org.example': 'yes' });
  assert.deepEqual(Object.keys(config.Volumes ?? {}), ['/data']);
  assert.equal(config.StopSignal, 'SIGINT');
});

test('instructions --change cannot apply are refused by name', () => {
  assert.throws(() => applyConfigChanges({}, ['RUN rm -rf /']), { code: 'BERTH_E_INVALID_CHANGE', message: /RUN/ });
  for (const change of ['FROM busybox', 'COPY a /b', 'ADD a /b', 'ARG X=1', 'SHELL ["/bin/bash", "-c"]', 'MAINTAINER me', 'BOGUS x']) {
    assert.throws(() => applyConfigChanges({}, [change]), { code: 'BERTH_E_INVALID_CHANGE' }, change);
  }
  // Nothing is applied when one change is refused, even one after a valid one.
  assert.throws(() => applyConfigChanges({}, ['ENV A=1', 'RUN true']), { code: 'BERTH_E_INVALID_CHANGE' });
});

test('EXPOSE takes port ranges, as in a Dockerfile (the old --change copy made "8000-8002/tcp" one key)', () => {
  const config = applyConfigChanges({ ExposedPorts: { '22/tcp': {} } }, ['EXPOSE 8000-8002/tcp 9000-9001/udp 7000-7001']);
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}).sort(), ['22/tcp', '7000/tcp', '7001/tcp', '8000/tcp', '8001/tcp', '8002/tcp', '9000/udp', '9001/udp']);
  assert.throws(() => applyConfigChanges({}, ['EXPOSE 80/sctp-ish']), { code: 'BERTH_E_INVALID_CHANGE' });
});

test('changes are expanded and resolved as the builder does: ENV values, relative WORKDIR, shell-form CMD with SHELL', () => {
  const config = applyConfigChanges({ Env: ['BASE=/opt'], WorkingDir: '/srv', Shell: ['/bin/bash', '-c'] }, [
    'ENV APP=$BASE/app',
    'WORKDIR sub',
    'WORKDIR ${APP}/data',
    'CMD run.sh --fast',
    'HEALTHCHECK --interval=5s CMD ["true"]',
    'ONBUILD RUN echo hi',
  ]);
  assert.deepEqual(config.Env, ['BASE=/opt', 'APP=/opt/app']);
  assert.equal(config.WorkingDir, '/opt/app/data');
  assert.deepEqual(config.Cmd, ['/bin/bash', '-c', 'run.sh --fast']);
  assert.deepEqual(config.Healthcheck?.Test, ['CMD', 'true']);
  assert.deepEqual(config.OnBuild, ['RUN echo hi']);
  assert.equal(applyConfigChanges({ WorkingDir: '/srv' }, ['WORKDIR sub']).WorkingDir, '/srv/sub');
});

test('the input config is left as it was, and no changes give it back', () => {
  const input = { Env: ['A=1'], ExposedPorts: { '80/tcp': {} } };
  applyConfigChanges(input, ['ENV A=2', 'EXPOSE 81']);
  assert.deepEqual(input, { Env: ['A=1'], ExposedPorts: { '80/tcp': {} } });
  assert.equal(applyConfigChanges(input, []), input);
});

test('changes that do not parse are refused with the change named', () => {
  assert.throws(() => applyConfigChanges({}, ['ENV']), { code: 'BERTH_E_INVALID_CHANGE', message: /ENV/ });
  assert.throws(() => applyConfigChanges({}, ['USER ${X:?must be set}']), { code: 'BERTH_E_INVALID_CHANGE', message: /USER/ });
  assert.throws(() => applyConfigChanges({}, ['VOLUME ""']), { code: 'BERTH_E_INVALID_CHANGE' });
});

test('an instruction without its argument says so (ENV alone was "not one of CMD, ...")', () => {
  for (const change of ['ENV', 'ENV   ', 'WORKDIR', 'cmd']) {
    assert.throws(() => applyConfigChanges({}, [change]), { code: 'BERTH_E_INVALID_CHANGE', message: /requires at least one argument/ }, change);
  }
  assert.throws(() => applyConfigChanges({}, ['ENV NAME']), { code: 'BERTH_E_INVALID_CHANGE' });
  assert.throws(() => applyConfigChanges({}, ['ENV =value']), { code: 'BERTH_E_INVALID_CHANGE' });
});
