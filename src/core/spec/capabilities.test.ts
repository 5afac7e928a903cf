import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allCapabilities, buildSpec, capabilitiesFromMask, defaultCapabilities, resolveCapabilities } from './index.js';

test("the default set is Docker's 14", () => {
  assert.equal(defaultCapabilities.length, 14);
  assert.deepEqual(resolveCapabilities({}), [...defaultCapabilities]);
});

test('add and drop accept NET_ADMIN, CAP_NET_ADMIN and any case', () => {
  const caps = resolveCapabilities({ add: ['net_admin', 'CAP_SYS_PTRACE'], drop: ['Cap_Chown', 'mknod'] });
  assert.ok(caps.includes('CAP_NET_ADMIN'));
  assert.ok(caps.includes('CAP_SYS_PTRACE'));
  assert.ok(!caps.includes('CAP_CHOWN'));
  assert.ok(!caps.includes('CAP_MKNOD'));
  assert.equal(caps.length, 14);
});

test('drop ALL keeps only the adds; add ALL keeps all but the drops', () => {
  assert.deepEqual(resolveCapabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(resolveCapabilities({ drop: ['all'] }), []);
  const most = resolveCapabilities({ add: ['ALL'], drop: ['SYS_ADMIN'] });
  assert.equal(most.length, allCapabilities.length - 1);
  assert.ok(!most.includes('CAP_SYS_ADMIN'));
});

test('an add wins over a drop of the same capability', () => {
  assert.ok(resolveCapabilities({ add: ['CHOWN'], drop: ['CHOWN'] }).includes('CAP_CHOWN'));
});

test('privileged gets every capability, or those the host has', () => {
  assert.deepEqual(resolveCapabilities({ privileged: true, drop: ['ALL'] }), [...allCapabilities]);
  assert.deepEqual(resolveCapabilities({ privileged: true, available: ['CAP_KILL', 'sys_admin'] }), ['CAP_KILL', 'CAP_SYS_ADMIN']);
});

test('an unknown capability is an invalid argument naming it', () => {
  assert.throws(
    () => resolveCapabilities({ add: ['CAP_WHATEVER'] }),
    (err: unknown) =>
      (err as { code?: string }).code === 'BERTH_E_UNKNOWN_CAPABILITY' &&
      (err as { kind?: string }).kind === 'InvalidArgument' &&
      (err as Error).message.includes('CAP_WHATEVER'),
  );
  assert.throws(() => resolveCapabilities({ drop: ['bogus'] }), (err: unknown) => (err as { code?: string }).code === 'BERTH_E_UNKNOWN_CAPABILITY');
});

// This host's bounding set lacks CAP_SYS_RESOURCE (bit 24): crun and runc failed "capset:
// Operation not permitted" when --privileged asked for every capability Linux knows.
const withoutSysResource = capabilitiesFromMask('000001fffeffffff');

test('the bounding-set mask names capabilities by bit', () => {
  assert.ok(!withoutSysResource.includes('CAP_SYS_RESOURCE'));
  assert.equal(withoutSysResource.length, allCapabilities.length - 1);
  assert.deepEqual(capabilitiesFromMask('0000000000000021'), ['CAP_CHOWN', 'CAP_KILL']);
});

test('privileged and add ALL grant only what the host bounding set holds; an add it lacks is refused', () => {
  const spec = (extra: object) => buildSpec({
    id: 'c1', rootfs: '/r', args: ['sh'], env: [], cwd: '/', user: { uid: 0, gid: 0 }, hostname: 'h',
    network: { mode: 'none' }, cgroupsPath: '/berth/c1', hostCapabilities: withoutSysResource, ...extra,
  });
  // Mutation: returning allCapabilities for privileged (ignoring the bounding set) turns these red.
  assert.deepEqual(spec({ privileged: true }).process?.capabilities?.bounding, withoutSysResource);
  assert.ok(!spec({ capAdd: ['ALL'] }).process?.capabilities?.bounding?.includes('CAP_SYS_RESOURCE'));
  assert.throws(() => spec({ capAdd: ['SYS_RESOURCE'] }), (err: unknown) => (err as { code?: string }).code === 'BERTH_E_CAPABILITY_UNAVAILABLE');
  assert.ok(spec({ capAdd: ['SYS_ADMIN'], capDrop: ['SYS_RESOURCE'] }).process?.capabilities?.bounding?.includes('CAP_SYS_ADMIN'));
});
