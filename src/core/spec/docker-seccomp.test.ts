import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seccompFromDockerProfile, type SeccompHost } from './index.js';

const host: SeccompHost = { goArch: 'amd64', nativeArch: 'SCMP_ARCH_X86_64', kernel: '5.10.0-30-amd64', capabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] };

test("a Docker profile becomes the OCI section: archMap for this host, includes/excludes by arch, caps and kernel", () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13, comment: 'legacy single name' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
      { names: ['set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['reboot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_BOOT'] } },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      { names: ['futex_waitv'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.16' } },
      { names: ['uname'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
    ],
  };
  const out = seccompFromDockerProfile(profile, host);
  assert.equal(out.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(out.defaultErrnoRet, 1);
  assert.deepEqual(out.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(out.syscalls?.map((s) => s.names.join(',')), ['read,write', 'mkdir', 'personality', 'arch_prctl', 'mount', 'ptrace']);
  assert.deepEqual(out.syscalls?.[1], { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
  assert.deepEqual(out.syscalls?.[2]?.args, [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }]);
  const arm = seccompFromDockerProfile(profile, { ...host, goArch: 'arm64', nativeArch: 'SCMP_ARCH_AARCH64' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(arm.syscalls?.some((s) => s.names.includes('set_tls')));
  const plain = seccompFromDockerProfile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'] }, host);
  assert.deepEqual(plain, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [] });
});

test('a broken profile is refused naming what is wrong', () => {
  const refused = { code: 'BERTH_E_INVALID_SECCOMP_PROFILE' };
  const bad: unknown[] = [
    [],
    {},
    { defaultAction: 'SCMP_ACT_MAYBE' },
    { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] },
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] },
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] },
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, value: 0, op: 'SCMP_CMP_EQ' }] }] },
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'EQ' }] }] },
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: 'all' },
    { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'new' } }] },
  ];
  for (const profile of bad) assert.throws(() => seccompFromDockerProfile(profile, host), refused, JSON.stringify(profile));
});
