import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveUser } from './index.js';

const files = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  group: 'root:x:0:\nwheel:x:10:app\napp:x:1000:\ndocker:x:999:root,app\nnogroup:x:65534:\n',
};
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

test('no user is root from passwd', () => {
  assert.deepEqual(resolveUser(undefined, files), { uid: 0, gid: 0, additionalGids: [0, 999], home: '/root' });
  assert.deepEqual(resolveUser('', {}), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
});

test('a name or a uid in passwd brings its group and supplementary groups', () => {
  const app = { uid: 1000, gid: 1000, additionalGids: [1000, 10, 999], home: '/home/app' };
  assert.deepEqual(resolveUser('app', files), app);
  assert.deepEqual(resolveUser('1000', files), app);
});

test('an explicit group replaces the supplementary groups', () => {
  assert.deepEqual(resolveUser('app:wheel', files), { uid: 1000, gid: 10, additionalGids: [10], home: '/home/app' });
  assert.deepEqual(resolveUser('1000:10', files), { uid: 1000, gid: 10, additionalGids: [10], home: '/home/app' });
  assert.deepEqual(resolveUser('4242:app', files), { uid: 4242, gid: 1000, additionalGids: [1000], home: '/' });
  assert.deepEqual(resolveUser('app:4321', files), { uid: 1000, gid: 4321, additionalGids: [4321], home: '/home/app' });
});

test('a numeric uid missing from passwd runs with gid 0 and home /', () => {
  assert.deepEqual(resolveUser('4242', files), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
  assert.deepEqual(resolveUser('1000', {}), { uid: 1000, gid: 0, additionalGids: [0], home: '/' });
});

test('an unknown user or group name is not found', () => {
  assert.throws(() => resolveUser('ghost', files), (err: unknown) => code('BERTH_E_USER_NOT_FOUND')(err) && (err as Error).message.includes('"ghost"'));
  assert.throws(() => resolveUser('app:ghosts', files), code('BERTH_E_GROUP_NOT_FOUND'));
  assert.throws(() => resolveUser('app', {}), code('BERTH_E_USER_NOT_FOUND'));
  assert.throws(() => resolveUser('99999999999', files), code('BERTH_E_INVALID_USER'));
});
