import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cleanTarget, parseMountFlag, parseVolumeFlag, parseVolumesFrom, parseVolumeFilters, validateVolumeOptions } from './index.js';

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail('expected an error');
};

test('-v: anonymous, named and bind mounts with their modes, as dockerd parses them', () => {
  assert.deepEqual(parseVolumeFlag('/data'), { type: 'volume', source: '', target: '/data', readonly: false, anonymous: true });
  assert.deepEqual(parseVolumeFlag(':/data'), { type: 'volume', source: '', target: '/data', readonly: false, anonymous: true });
  assert.deepEqual(parseVolumeFlag('cache:/c:ro,nocopy'), { type: 'volume', source: 'cache', target: '/c', readonly: true, noCopy: true });
  assert.deepEqual(parseVolumeFlag('/h:/c:rslave,z'), { type: 'bind', source: '/h', target: '/c', readonly: false, createHostPath: true, propagation: 'rslave' });
  // A relative host path is a volume name; the name rule refuses it at create (services).
  assert.equal(parseVolumeFlag('foo/bar:/x').type, 'volume');
  assert.equal(message(() => parseVolumeFlag('/x:ro')), "invalid volume specification: '/x:ro'");
  assert.equal(message(() => parseVolumeFlag('/a:/b:ro,rw')), 'invalid mode: ro,rw');
  assert.equal(message(() => parseVolumeFlag('a:/b:c:d')), "invalid volume specification: 'a:/b:c:d'");
  assert.match(message(() => parseVolumeFlag('/a:/b:nocopy')), /field VolumeOptions must not be specified/);
  assert.match(message(() => parseVolumeFlag('v:/b:shared')), /field BindOptions must not be specified/);
});

test('--mount: keys, defaults and refusals with the docker CLI and dockerd wording', () => {
  assert.deepEqual(parseMountFlag('target=/x'), { type: 'volume', source: '', target: '/x', readonly: false, anonymous: true });
  assert.deepEqual(parseMountFlag('type=bind,"src=/a,b",dst=/x,ro'), { type: 'bind', source: '/a,b', target: '/x', readonly: true });
  assert.deepEqual(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=700,readonly=true'),
    { type: 'tmpfs', source: 'tmpfs', target: '/t', readonly: true, options: ['noexec', 'mode=700', 'size=1048576', 'ro'] });
  assert.deepEqual(parseMountFlag('type=volume,src=v,dst=/x,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-nocopy'), {
    type: 'volume', source: 'v', target: '/x', readonly: false, noCopy: true, volumeLabels: { a: 'b' }, volumeOptions: { type: 'tmpfs', device: 'tmpfs' },
  });
  assert.equal(message(() => parseMountFlag('type=bind')), 'invalid argument "type=bind" for "--mount" flag: target is required');
  assert.match(message(() => parseMountFlag('type=bind,src=/a,dst=/x,readonly=maybe')), /invalid value for readonly: maybe$/);
  assert.match(message(() => parseMountFlag('type=tmpfs,dst=/x,tmpfs-mode=999')), /invalid value for tmpfs-mode: 999$/);
  assert.match(message(() => parseMountFlag('type=tmpfs,dst=/x,bind-propagation=shared')), /cannot mix 'bind-\*' options with mount type 'tmpfs'$/);
  assert.match(message(() => parseMountFlag('type=bind,src=rel,dst=/x')), /invalid mount path: 'rel' mount path must be absolute$/);
  assert.match(message(() => parseMountFlag('type=bind,src=/a,dst=/x,bind-nonrecursive')), /bind-nonrecursive is not supported/);
  assert.match(message(() => parseMountFlag('src,dst=/x')), /invalid field 'src' must be a key=value pair$/);
});

test('--volumes-from, targets, filters and local driver options', () => {
  assert.deepEqual(parseVolumesFrom('web'), { container: 'web' });
  assert.deepEqual(parseVolumesFrom('web:ro'), { container: 'web', readonly: true });
  assert.equal(message(() => parseVolumesFrom('web:bad')), 'invalid mode: bad');
  assert.equal(cleanTarget('/a//b/./c/'), '/a/b/c');
  assert.equal(message(() => parseVolumeFilters(['bogus=1'], ['name'])), "Invalid filter 'bogus'");
  assert.equal(message(() => parseVolumeFilters(['dangling=maybe'], ['dangling'])), "Invalid filter 'dangling=[maybe]'");
  validateVolumeOptions('v', {});
  validateVolumeOptions('v', { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=0700,noexec' });
  validateVolumeOptions('v', { type: 'none', device: '/srv', o: 'bind,ro' });
  assert.equal(message(() => validateVolumeOptions('v', { foo: 'bar' })), 'create v: invalid option: "foo"');
  assert.equal(message(() => validateVolumeOptions('v', { o: 'bind' })), 'create v: missing required option: "device"');
  assert.match(message(() => validateVolumeOptions('v', { type: 'nfs', device: ':/x', o: 'addr=1.2.3.4' })), /volume type "nfs" is not supported/);
  assert.match(message(() => validateVolumeOptions('v', { type: 'none', device: 'rel', o: 'bind' })), /must be an absolute host path/);
});
