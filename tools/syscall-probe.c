/*
 * syscall-probe: makes system calls a test names and prints what the kernel said, one line each:
 * `NAME=ok` or `NAME=<errno name>`. The end-to-end tests run it inside containers to show what the
 * seccomp filter and the capability set allow, with calls busybox has no applet for.
 * Built static by the test harness (src/testing/syscall-probe.ts): cc -static -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ENOSYS: return "ENOSYS";
  case EINVAL: return "EINVAL";
  case ENOKEY: return "ENOKEY";
  case EDQUOT: return "EDQUOT";
  case ENOSPC: return "ENOSPC";
  default: return "EOTHER";
  }
}

static long probe(const char *name) {
  if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2 /* process keyring */, 1);
  if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "berth-probe", "x", 1, -2);
  if (!strcmp(name, "unshare-user")) return unshare(CLONE_NEWUSER);
  if (!strcmp(name, "unshare-uts")) return unshare(CLONE_NEWUTS);
  if (!strcmp(name, "getpid")) return syscall(SYS_getpid);
  errno = EINVAL;
  return -2;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    errno = 0;
    long r = probe(argv[i]);
    if (r == -2 && errno == EINVAL) {
      fprintf(stderr, "syscall-probe: unknown probe %s\n", argv[i]);
      return 2;
    }
    printf("%s=%s\n", argv[i], r >= 0 ? "ok" : errname(errno));
  }
  return 0;
}
