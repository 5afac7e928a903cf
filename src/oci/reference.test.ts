import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { parseReference } from './reference.js';

test('short names normalise to docker.io/library with latest', () => {
  const ref = parseReference('busybox');
  assert.equal(ref.full, 'docker.io/library/busybox:latest');
  assert.equal(ref.familiar, 'busybox:latest');
});

test('registry with port and nested path keep their tag', () => {
  const ref = parseReference('127.0.0.1:5000/team/app:1.2');
  assert.equal(ref.domain, '127.0.0.1:5000');
  assert.equal(ref.path, 'team/app');
  assert.equal(ref.tag, '1.2');
  assert.equal(ref.familiar, '127.0.0.1:5000/team/app:1.2');
});

test('invalid references are refused with a stable code', () => {
  for (const bad of ['Upper:case', 'UPPER:Case', 'busybox/UPPER', 'a:b:c', 'a:1:2', 'app:', '', 'app@sha256:1234', 'a@sha256:bad', 'reg_x.io/app', '-reg.io/app', 'reg.io:port/app', 'reg.io:5000/', 'app//x']) {
    assert.throws(() => parseReference(bad), { code: 'BERTH_E_INVALID_REFERENCE' }, bad);
  }
});

test('an uppercase first component is a registry host, as in Docker', () => {
  const ref = parseReference('LOCALREG/app');
  assert.equal(ref.domain, 'LOCALREG');
  assert.equal(ref.familiar, 'LOCALREG/app:latest');
});

test('registry hosts follow the distribution grammar: names, IPv4 and [IPv6], optional port', () => {
  for (const good of ['reg.example.com/app', 'localhost:5000/app', '127.0.0.1:5000/a/b', '[::1]:5000/app', 'my-reg.io/app:1']) {
    assert.equal(parseReference(good).path.endsWith(good.split('/').slice(1).join('/').replace(/:1$/, '')), true, good);
  }
});

// Found by reference.fuzz.test.ts: the 255-character limit counted the tag, so a valid long name
// with a tag was refused, and a reference's own full form could fail to parse.
test('the 255-character limit applies to the normalised name, not the tag', () => {
  const name = 'x'.repeat(230);
  assert.equal(parseReference(`${name}:${'t'.repeat(100)}`).path, `library/${name}`);
  assert.throws(() => parseReference('x'.repeat(250)), (err: unknown) => isBerthError(err, 'InvalidArgument'));
});
