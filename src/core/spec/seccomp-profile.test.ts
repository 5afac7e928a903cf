import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LinuxSeccomp } from '../../oci/index.js';
import { defaultCapabilities, defaultSeccompProfile } from './index.js';

/** Names allowed with no argument condition. */
function allowed(profile: LinuxSeccomp): Set<string> {
  return new Set(profile.syscalls?.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
}

const forbidden = `mount umount umount2 unshare setns kexec_load kexec_file_load init_module finit_module delete_module
  keyctl add_key request_key bpf perf_event_open reboot swapon swapoff acct pivot_root clock_settime settimeofday stime
  open_by_handle_at name_to_handle_at lookup_dcookie userfaultfd quotactl vm86 vm86old iopl ioperm create_module
  get_kernel_syms query_module nfsservctl uselib sysfs _sysctl personality clone clone3 syslog`.split(/\s+/);

test('an allow-list that fails everything else with EPERM', () => {
  const p = defaultSeccompProfile([...defaultCapabilities], { arch: 'x64' });
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64']);
  assert.deepEqual(defaultSeccompProfile([], { arch: 'x64', compatArchitectures: true }).architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const names = allowed(p);
  for (const name of ['read', 'openat', 'execve', 'futex', 'epoll_pwait', 'io_uring_setup', 'chroot', 'ptrace', 'arch_prctl']) {
    assert.ok(names.has(name), name);
  }
  for (const name of forbidden) assert.ok(!names.has(name), name);
});

test('aarch64 hosts get the arm architectures and calls', () => {
  const p = defaultSeccompProfile([], { arch: 'arm64', compatArchitectures: true });
  assert.deepEqual(p.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(allowed(p).has('set_tls'));
  assert.ok(!allowed(p).has('arch_prctl'));
});

test('without CAP_SYS_ADMIN clone may not create namespaces and clone3 is ENOSYS', () => {
  const p = defaultSeccompProfile([...defaultCapabilities]);
  const clone = p.syscalls?.find((r) => r.names.includes('clone'));
  assert.deepEqual(clone?.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  assert.deepEqual(
    p.syscalls?.find((r) => r.names.includes('clone3')),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  );
});

test('personality is allowed only for the harmless values', () => {
  const p = defaultSeccompProfile([]);
  const values = p.syscalls?.filter((r) => r.names.includes('personality')).map((r) => r.args?.[0]?.value);
  assert.deepEqual(values, [0, 8, 0x20000, 0x20008, 0xffffffff]);
});

test('capabilities open the calls they gate', () => {
  const cases: [string, string[]][] = [
    ['CAP_SYS_ADMIN', ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'sethostname']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_TIME', ['settimeofday', 'clock_settime', 'stime']],
    ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
    ['CAP_SYS_PACCT', ['acct']],
    ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
    ['CAP_BPF', ['bpf']],
  ];
  for (const [cap, names] of cases) {
    const without = allowed(defaultSeccompProfile([...defaultCapabilities]));
    const withCap = allowed(defaultSeccompProfile([...defaultCapabilities, cap]));
    for (const name of names) {
      assert.ok(!without.has(name), `${name} without ${cap}`);
      assert.ok(withCap.has(name), `${name} with ${cap}`);
    }
  }
  const admin = defaultSeccompProfile(['CAP_SYS_ADMIN']);
  assert.equal(admin.syscalls?.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'), false);
  // kexec and the keyring stay closed whatever the capabilities.
  const all = allowed(defaultSeccompProfile(['CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_MODULE']));
  for (const name of ['kexec_load', 'keyctl', 'add_key', 'swapon', 'pivot_root', 'userfaultfd']) assert.ok(!all.has(name), name);
});
