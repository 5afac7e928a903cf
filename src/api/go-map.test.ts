import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dockerConfigView } from './docker-config-view.js';
import { goMap } from './go-map.js';

test('maps come out with their keys in Go\'s order, as dockerd writes every map', () => {
  assert.deepEqual(Object.keys(goMap({ b: 1, a: 2, B: 3, '-x': 4 })), ['-x', 'B', 'a', 'b']);
  // Go compares UTF-8 bytes: U+FFFD (EF BF BD) before U+1F600 (F0 9F 98 80), where JS's `<` on UTF-16 units says otherwise.
  assert.deepEqual(Object.keys(goMap({ '\u{1F600}': 1, '\uFFFD': 2 })), ['\uFFFD', '\u{1F600}']);
  // Observed with dockerd 20.10: `docker build --label from=flag --label extra` on a Dockerfile's
  // `LABEL from=dockerfile keep=1` gives {"extra":"","from":"flag","keep":"1"} in `inspect`.
  const view = dockerConfigView({ Labels: { from: 'flag', keep: '1', extra: '' }, ExposedPorts: { '8080/tcp': {}, '443/tcp': {} }, Volumes: { '/z': {}, '/a': {} } });
  assert.equal(JSON.stringify(view.Labels), '{"extra":"","from":"flag","keep":"1"}');
  assert.deepEqual(Object.keys(view.ExposedPorts ?? {}), ['443/tcp', '8080/tcp']);
  assert.deepEqual(Object.keys(view.Volumes ?? {}), ['/a', '/z']);
});
