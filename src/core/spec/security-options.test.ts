import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseSecurityOptions } from './index.js';

test('security options Docker knows parse in both spellings', () => {
  assert.deepEqual(parseSecurityOptions([]), { seccomp: { kind: 'default' }, noNewPrivileges: false });
  assert.equal(parseSecurityOptions(['no-new-privileges']).noNewPrivileges, true);
  assert.equal(parseSecurityOptions(['no-new-privileges:true']).noNewPrivileges, true);
  assert.equal(parseSecurityOptions(['no-new-privileges=false']).noNewPrivileges, false);
  assert.equal(parseSecurityOptions(['no-new-privileges', 'no-new-privileges=false']).noNewPrivileges, false);
  assert.deepEqual(parseSecurityOptions(['seccomp=unconfined']).seccomp, { kind: 'unconfined' });
  assert.deepEqual(parseSecurityOptions(['seccomp:unconfined']).seccomp, { kind: 'unconfined' });
  assert.deepEqual(parseSecurityOptions(['seccomp=builtin']).seccomp, { kind: 'default' });
  assert.deepEqual(parseSecurityOptions(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp, { kind: 'profile', profile: { defaultAction: 'SCMP_ACT_ALLOW' } });
  parseSecurityOptions(['apparmor=unconfined', 'label=disable', 'label:disable', 'disable']);
});

test('unknown, malformed and unenforceable security options are refused, naming the option', () => {
  // Before: anything unknown was silently ignored (`--security-opt bogus=1` ran and exited 0).
  for (const opt of ['bogus=1', 'bogus', 'no-new-privileges=maybe', 'seccomp=/not/json', 'systempaths=unconfined']) {
    assert.throws(() => parseSecurityOptions([opt]), { code: 'BERTH_E_INVALID_SECURITY_OPT' }, opt);
  }
  for (const opt of ['apparmor=docker-default', 'label=type:svirt_apache_t', 'label=level:s0:c100,c200']) {
    assert.throws(() => parseSecurityOptions([opt]), { code: 'BERTH_E_SECURITY_OPT_UNSUPPORTED', kind: 'NotImplemented' }, opt);
  }
});
