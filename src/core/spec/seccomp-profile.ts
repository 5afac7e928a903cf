import type { LinuxSeccomp, LinuxSyscall, SeccompArch } from '../../oci/index.js';

/*
 * berth's default seccomp profile: an allow-list in the spirit of Docker's default profile.
 * Everything not listed fails with EPERM. Calls that only make sense with a capability are
 * allowed only when the container holds that capability, so `--cap-add SYS_ADMIN` lets `mount`
 * through the filter and the kernel's capability check decides. Names a kernel or libseccomp
 * does not know are skipped by the runtime, so one list serves every architecture.
 */

const words = (text: string): string[] => text.trim().split(/\s+/);

/** Calls any container may make: files, memory, signals, sockets, time, ids, IPC, events. */
const baseSyscalls = words(`
  read write readv writev pread64 pwrite64 preadv preadv2 pwritev pwritev2 open openat openat2 creat close close_range
  lseek _llseek dup dup2 dup3 fcntl fcntl64 flock fsync fdatasync sync syncfs sync_file_range readahead fadvise64
  fadvise64_64 fallocate truncate truncate64 ftruncate ftruncate64 sendfile sendfile64 splice tee vmsplice copy_file_range
  stat stat64 lstat lstat64 fstat fstat64 fstatat64 newfstatat statx statfs statfs64 fstatfs fstatfs64
  access faccessat faccessat2 chdir fchdir getcwd mkdir mkdirat rmdir rename renameat renameat2 link linkat unlink
  unlinkat symlink symlinkat readlink readlinkat mknod mknodat getdents getdents64 umask chroot
  chmod fchmod fchmodat chown chown32 fchown fchown32 fchownat lchown lchown32 utime utimes utimensat utimensat_time64
  futimesat getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr removexattr
  lremovexattr fremovexattr
  brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 mlockall munlock munlockall membarrier
  memfd_create memfd_secret remap_file_pages pkey_alloc pkey_free pkey_mprotect
  execve execveat exit exit_group fork vfork wait4 waitid waitpid kill tkill tgkill getpid getppid gettid getpgid
  setpgid getpgrp getsid setsid set_tid_address set_robust_list get_robust_list futex futex_time64 futex_waitv rseq
  restart_syscall pidfd_open pidfd_send_signal process_mrelease prctl capget capset seccomp
  get_thread_area set_thread_area getcpu getrandom sysinfo uname ioctl ioprio_get ioprio_set getpriority setpriority
  sched_yield sched_getaffinity sched_setaffinity sched_getattr sched_setattr sched_getparam sched_setparam
  sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval
  sched_rr_get_interval_time64
  getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid getresuid32 getresgid getresgid32
  getgroups getgroups32 setuid setuid32 setgid setgid32 setreuid setreuid32 setregid setregid32 setresuid
  setresuid32 setresgid setresgid32 setfsuid setfsuid32 setfsgid setfsgid32 setgroups setgroups32
  getrlimit ugetrlimit setrlimit prlimit64 getrusage times
  rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
  rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack signalfd signalfd4 sigprocmask sigreturn pause
  alarm nanosleep clock_nanosleep clock_nanosleep_time64 clock_gettime clock_gettime64 clock_getres
  clock_getres_time64 clock_adjtime clock_adjtime64 adjtimex gettimeofday time getitimer setitimer timer_create
  timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
  timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64
  pipe pipe2 poll ppoll ppoll_time64 select _newselect pselect6 pselect6_time64 epoll_create epoll_create1
  epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 eventfd eventfd2 inotify_init
  inotify_init1 inotify_add_watch inotify_rm_watch fanotify_mark
  io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents io_pgetevents_time64 io_uring_setup
  io_uring_enter io_uring_register
  socketpair socketcall bind connect listen accept accept4 getsockname getpeername getsockopt setsockopt shutdown
  send sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg recvmmsg_time64
  ipc msgget msgctl msgsnd msgrcv semget semctl semop semtimedop semtimedop_time64 shmget shmctl shmat shmdt
  mq_open mq_unlink mq_notify mq_getsetattr mq_timedsend mq_timedsend_time64 mq_timedreceive mq_timedreceive_time64
  landlock_create_ruleset landlock_add_rule landlock_restrict_self
`);

/** Calls allowed only with a capability (Docker's gating), by capability. */
const capabilitySyscalls: Readonly<Record<string, readonly string[]>> = {
  CAP_SYS_ADMIN: words(`
    mount umount umount2 mount_setattr move_mount open_tree fsopen fsconfig fsmount fspick unshare setns
    sethostname setdomainname quotactl quotactl_fd lookup_dcookie name_to_handle_at fanotify_init
    bpf perf_event_open syslog clone clone3`),
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

/** ptrace is safe to allow since Linux 4.8 (seccomp is re-checked after a tracer's changes). */
const ptraceSyscalls = ['ptrace', 'process_vm_readv', 'process_vm_writev'];

/** personality(2) values that change nothing dangerous: PER_LINUX, UNAME26, PER_LINUX32, query. */
const safePersonalities = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone may not create namespaces. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const AF_VSOCK = 40;
const EPERM = 1;
const ENOSYS = 38;

export type SeccompArchName = 'x64' | 'arm64';

const archMap: Record<SeccompArchName, { architectures: SeccompArch[]; syscalls: string[] }> = {
  x64: { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: ['arch_prctl', 'modify_ldt'] },
  arm64: {
    architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
  },
};

export interface SeccompProfileOptions {
  /** The host architecture (Node's `process.arch` names); defaults to this process's. */
  arch?: SeccompArchName | undefined;
  /**
   * Also filter the 32-bit compat ABIs (x86 and x32 on x86_64, arm on aarch64), as Docker does.
   * Off by default: every extra architecture multiplies the runtime's filter compile time
   * (crun 1.8 here: 12 ms for x86_64 alone, 30 ms with x86 and x32), and without them a 32-bit
   * binary in a container is refused by the filter rather than allowed.
   */
  compatArchitectures?: boolean | undefined;
}

/**
 * The default profile for a container holding `capabilities` (`CAP_*` names). Without
 * CAP_SYS_ADMIN, clone() may not set namespace flags and clone3() fails with ENOSYS, whose
 * flags seccomp cannot inspect, so libc falls back to clone().
 */
export function defaultSeccompProfile(capabilities: readonly string[], options: SeccompProfileOptions = {}): LinuxSeccomp {
  const arch = archMap[options.arch ?? (process.arch === 'arm64' ? 'arm64' : 'x64')];
  const held = new Set(capabilities);
  const allowed = new Set([...baseSyscalls, ...ptraceSyscalls, ...arch.syscalls]);
  for (const [cap, names] of Object.entries(capabilitySyscalls)) {
    if (held.has(cap)) names.forEach((n) => allowed.add(n));
  }
  const syscalls: LinuxSyscall[] = [{ names: [...allowed].sort(), action: 'SCMP_ACT_ALLOW' }];
  syscalls.push({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] });
  for (const value of safePersonalities) {
    syscalls.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] });
  }
  if (!held.has('CAP_SYS_ADMIN')) {
    syscalls.push({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  const architectures = options.compatArchitectures ? [...arch.architectures] : arch.architectures.slice(0, 1);
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures, syscalls };
}
