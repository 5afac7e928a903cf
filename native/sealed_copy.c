/*
 * sealed_copy: crun and runc guard against CVE-2019-5736 (a container overwriting the host's
 * runtime through /proc/PID/exe) by running from a copy the container cannot write: unless their
 * executable is already a memfd with exactly SEALED_COPY_SEALS, each first copies (or read-only
 * bind-mounts) itself and executes itself again, a second exec and dynamic link of the runtime on
 * every create and exec. Started from such a copy, the runtime finds itself protected and goes on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sealed_copy.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

int sealed_copy(const char *path, const char *name, off_t max_size) {
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return -1;
  struct stat st;
  int fd = -1, err = 0;
  if (fstat(src, &st) != 0) {
    err = errno;
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    err = EINVAL;
    goto out;
  }
  if (max_size > 0 && st.st_size > max_size) {
    err = EFBIG;
    goto out;
  }
  /* MFD_EXEC: kernels with vm.memfd_noexec know it and may refuse an executable memfd without it;
   * older kernels reject the flag (EINVAL) and make every memfd executable. */
  fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    err = errno;
    goto out;
  }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO; /* EIO: the file shrank while it was copied */
      goto out;
    }
  }
  if (fcntl(fd, F_ADD_SEALS, SEALED_COPY_SEALS) != 0) err = errno;
  else if (fcntl(fd, F_GET_SEALS) != SEALED_COPY_SEALS) err = EINVAL;
out:
  close(src);
  if (err != 0) {
    if (fd >= 0) close(fd);
    errno = err;
    return -1;
  }
  return fd;
}
