// berth_sys: the few Linux system calls Node does not expose and berth needs on a hot path
// (mounting a container's overlay root costs ~0.1 ms here against ~3 ms for spawning mount(8)).
// Errors are thrown as JS errors with the errno name in `code`, like Node's own fs errors.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <signal.h>
#include <spawn.h>
#include <termios.h>
#include <unistd.h>

#include "api_lane.h"
#include "napi_errors.h"
#include "sealed_copy.h"

static const char *errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EACCES: return "EACCES";
    case ENOTDIR: return "ENOTDIR";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTBLK: return "ENOTBLK";
    case EROFS: return "EROFS";
    case EEXIST: return "EEXIST";
    case ENODATA: return "ENODATA";
    case EOPNOTSUPP: return "ENOTSUP";
    case ERANGE: return "ERANGE";
    case E2BIG: return "E2BIG";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOLCK: return "ENOLCK";
    case ECANCELED: return "ECANCELED";
    case EIO: return "EIO";
    case ENOSYS: return "ENOSYS";
    case EXDEV: return "EXDEV";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EMLINK: return "EMLINK";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ECONNRESET: return "ECONNRESET";
    case EBADMSG: return "EBADMSG";
    case ENOTTY: return "ENOTTY";
    case ENOTSOCK: return "ENOTSOCK";
    default: {
      // The rest by glibc's own names (EADDRINUSE, ...).
      const char *name = strerrorname_np(err);
      return name ? name : "EUNKNOWN";
    }
  }
}

// A JS error like Node's fs errors: message, `code` (the errno name), `errno` and `syscall`.
static napi_value errno_error(napi_env env, const char *syscall, const char *path, int err) {
  char message[4200];
  snprintf(message, sizeof message, "%s: %s, %s '%s'", errno_name(err), strerror(err), syscall, path ? path : "");
  napi_value msg, code, error, errnum, sys;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_create_int32(env, -err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  return error;
}

napi_value throw_errno(napi_env env, const char *syscall, const char *path, int err) {
  napi_throw(env, errno_error(env, syscall, path, err));
  return NULL;
}

// Returns a malloc'd copy of a JS string argument, or NULL for null/undefined.
char *string_arg(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_string) return NULL;
  size_t len = 0;
  napi_get_value_string_utf8(env, value, NULL, 0, &len);
  char *buf = malloc(len + 1);
  if (!buf) return NULL;
  napi_get_value_string_utf8(env, value, buf, len + 1, &len);
  return buf;
}

// mount(source, target, fstype, flags, data)
static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "mount(source, target, fstype, flags, data) takes 5 arguments");
    return NULL;
  }
  char *source = string_arg(env, argv[0]);
  char *target = string_arg(env, argv[1]);
  char *fstype = string_arg(env, argv[2]);
  double flags = 0;
  napi_get_value_double(env, argv[3], &flags);
  char *data = string_arg(env, argv[4]);
  int rc = target ? mount(source, target, fstype, (unsigned long)flags, data) : -1;
  int err = target ? errno : EINVAL;
  napi_value result = NULL;
  if (rc != 0) throw_errno(env, "mount", target, err);
  free(source);
  free(target);
  free(fstype);
  free(data);
  return result;
}

// umount2(target, flags)
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *target = argc > 0 ? string_arg(env, argv[0]) : NULL;
  int32_t flags = 0;
  if (argc > 1) napi_get_value_int32(env, argv[1], &flags);
  if (!target) {
    napi_throw_type_error(env, NULL, "umount2(target, flags) needs a target path");
    return NULL;
  }
  if (umount2(target, flags) != 0) throw_errno(env, "umount2", target, errno);
  free(target);
  return NULL;
}

// umount2Async(target, flags) -> Promise<void>: umount2 on a thread of libuv's pool. Unmounting
// an overlay flushes its upper filesystem (a sync of the whole backing filesystem unless it was
// mounted volatile), which can take hundreds of milliseconds: not on the event loop.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *target;
  int flags;
  int err;
} umount_job;

static void umount_execute(napi_env env, void *data) {
  (void)env;
  umount_job *job = data;
  job->err = umount2(job->target, job->flags) == 0 ? 0 : errno;
}

static void umount_complete(napi_env env, napi_status status, void *data) {
  umount_job *job = data;
  if (status != napi_ok) job->err = status == napi_cancelled ? ECANCELED : EIO;
  if (job->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_reject_deferred(env, job->deferred, errno_error(env, "umount2", job->target, job->err));
  }
  napi_delete_async_work(env, job->work);
  free(job->target);
  free(job);
}

static napi_value js_umount2_async(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *target = argc > 0 ? string_arg(env, argv[0]) : NULL;
  int32_t flags = 0;
  if (argc > 1) napi_get_value_int32(env, argv[1], &flags);
  if (!target) {
    napi_throw_type_error(env, NULL, "umount2Async(target, flags) needs a target path");
    return NULL;
  }
  umount_job *job = calloc(1, sizeof *job);
  if (!job) {
    free(target);
    return throw_errno(env, "umount2", NULL, ENOMEM);
  }
  job->target = target;
  job->flags = flags;
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "berth:umount2", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, umount_execute, umount_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    napi_reject_deferred(env, job->deferred, errno_error(env, "umount2", target, EIO));
    free(target);
    free(job);
  }
  return promise;
}

// Reads argument `index` as a malloc'd string; throws a TypeError and returns NULL when missing.
static char *required_string(napi_env env, napi_value *argv, size_t argc, size_t index, const char *usage) {
  char *value = index < argc ? string_arg(env, argv[index]) : NULL;
  if (!value) napi_throw_type_error(env, NULL, usage);
  return value;
}

// lgetxattr(path, name) -> Buffer | null (null when the attribute is absent: ENODATA)
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "lgetxattr(path, name) takes 2 strings";
  char *path = required_string(env, argv, argc, 0, usage);
  char *name = path ? required_string(env, argv, argc, 1, usage) : NULL;
  napi_value result = NULL;
  if (path && name) {
    char buf[65536]; // XATTR_SIZE_MAX
    ssize_t len = lgetxattr(path, name, buf, sizeof buf);
    if (len >= 0) {
      void *data;
      napi_create_buffer_copy(env, (size_t)len, buf, &data, &result);
    } else if (errno == ENODATA) {
      napi_get_null(env, &result);
    } else {
      throw_errno(env, "lgetxattr", path, errno);
    }
  }
  free(path);
  free(name);
  return result;
}

// llistxattr(path) -> string[]
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = required_string(env, argv, argc, 0, "llistxattr(path) takes a string");
  if (!path) return NULL;
  char buf[65536]; // XATTR_LIST_MAX
  ssize_t len = llistxattr(path, buf, sizeof buf);
  napi_value result = NULL;
  if (len < 0) {
    throw_errno(env, "llistxattr", path, errno);
  } else {
    napi_create_array(env, &result);
    uint32_t count = 0;
    for (ssize_t offset = 0; offset < len;) {
      size_t nlen = strnlen(buf + offset, (size_t)(len - offset));
      napi_value name;
      napi_create_string_utf8(env, buf + offset, nlen, &name);
      napi_set_element(env, result, count++, name);
      offset += (ssize_t)nlen + 1;
    }
  }
  free(path);
  return result;
}

// lsetxattr(path, name, value: Buffer)
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "lsetxattr(path, name, value) takes 2 strings and a Buffer";
  bool is_buffer = false;
  if (argc == 3) napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  char *path = required_string(env, argv, argc, 0, usage);
  char *name = path ? required_string(env, argv, argc, 1, usage) : NULL;
  if (path && name) {
    void *data = NULL;
    size_t len = 0;
    napi_get_buffer_info(env, argv[2], &data, &len);
    if (lsetxattr(path, name, data, len, 0) != 0) throw_errno(env, "lsetxattr", path, errno);
  }
  free(path);
  free(name);
  return NULL;
}

// mknod(path, mode, major, minor): mode includes the file type (S_IFCHR, S_IFBLK, S_IFIFO)
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "mknod(path, mode, major, minor) takes 4 arguments");
    return NULL;
  }
  char *path = required_string(env, argv, argc, 0, "mknod(path, mode, major, minor) needs a path");
  if (!path) return NULL;
  uint32_t mode = 0, major_num = 0, minor_num = 0;
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &major_num);
  napi_get_value_uint32(env, argv[3], &minor_num);
  if (mknod(path, (mode_t)mode, makedev(major_num, minor_num)) != 0) throw_errno(env, "mknod", path, errno);
  free(path);
  return NULL;
}

// flock(fd, operation): LOCK_SH / LOCK_EX / LOCK_UN, or'ed with LOCK_NB for a try-lock (EAGAIN
// when held). Blocks the calling thread while waiting: berth's locks guard a few small file
// writes, so a wait is short. A signal interrupting the wait (EINTR) just restarts it.
static napi_value js_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, operation = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &operation) != napi_ok) {
    napi_throw_type_error(env, NULL, "flock(fd, operation) takes 2 integers");
    return NULL;
  }
  int rc;
  do {
    rc = flock(fd, operation);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    char what[32];
    snprintf(what, sizeof what, "fd %d", fd);
    throw_errno(env, "flock", what, errno);
  }
  return NULL;
}

// ---- Writing inside a root that another process may change (CVE-2018-15664 class) ----
// Every path below is resolved by the kernel relative to an open directory fd: openat2(2) with
// RESOLVE_IN_ROOT treats that fd as `/` for every component (symlinks and `..` included), and the
// *at calls take one name relative to a directory fd berth holds. No path is ever re-walked from
// `/`, so a directory swapped for a symlink cannot redirect a write outside the root.

// Reads argument `index` as an int32 fd/flag; throws a TypeError when it is not a number.
static bool int_arg(napi_env env, napi_value *argv, size_t argc, size_t index, int32_t *out, const char *usage) {
  if (index >= argc || napi_get_value_int32(env, argv[index], out) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

// openInRoot(rootFd, path, flags, mode) -> fd: openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
// O_CLOEXEC always. EAGAIN (a concurrent rename raced a `..` walk) is retried a few times.
static napi_value js_open_in_root(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "openInRoot(rootFd, path, flags, mode) takes an fd, a path and 2 integers";
  int32_t root_fd, flags, mode;
  if (!int_arg(env, argv, argc, 0, &root_fd, usage) || !int_arg(env, argv, argc, 2, &flags, usage) || !int_arg(env, argv, argc, 3, &mode, usage)) return NULL;
  char *path = required_string(env, argv, argc, 1, usage);
  if (!path) return NULL;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(uint32_t)flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? (uint64_t)(uint32_t)mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = -1;
  for (int attempt = 0; attempt < 16; attempt++) {
    fd = syscall(SYS_openat2, root_fd, path[0] == '\0' ? "." : path, &how, sizeof how);
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) break;
  }
  napi_value result = NULL;
  if (fd < 0) throw_errno(env, "openat2", path, errno);
  else napi_create_int32(env, (int32_t)fd, &result);
  free(path);
  return result;
}

// mkdirat(dirFd, name, mode)
static napi_value js_mkdirat(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "mkdirat(dirFd, name, mode) takes an fd, a name and a mode";
  int32_t dir_fd, mode;
  if (!int_arg(env, argv, argc, 0, &dir_fd, usage) || !int_arg(env, argv, argc, 2, &mode, usage)) return NULL;
  char *name = required_string(env, argv, argc, 1, usage);
  if (!name) return NULL;
  if (mkdirat(dir_fd, name, (mode_t)mode) != 0) throw_errno(env, "mkdirat", name, errno);
  free(name);
  return NULL;
}

// lstatAt(dirFd, name) -> st_mode, or null when nothing is there (ENOENT)
static napi_value js_lstat_at(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "lstatAt(dirFd, name) takes an fd and a name";
  int32_t dir_fd;
  if (!int_arg(env, argv, argc, 0, &dir_fd, usage)) return NULL;
  char *name = required_string(env, argv, argc, 1, usage);
  if (!name) return NULL;
  struct stat st;
  napi_value result = NULL;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) napi_create_uint32(env, st.st_mode, &result);
  else if (errno == ENOENT) napi_get_null(env, &result);
  else throw_errno(env, "fstatat", name, errno);
  free(name);
  return result;
}

// readlinkAt(dirFd, name) -> the symlink's target
static napi_value js_readlink_at(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "readlinkAt(dirFd, name) takes an fd and a name";
  int32_t dir_fd;
  if (!int_arg(env, argv, argc, 0, &dir_fd, usage)) return NULL;
  char *name = required_string(env, argv, argc, 1, usage);
  if (!name) return NULL;
  char buf[4097];
  ssize_t len = readlinkat(dir_fd, name, buf, sizeof buf - 1);
  napi_value result = NULL;
  if (len < 0) throw_errno(env, "readlinkat", name, errno);
  else napi_create_string_utf8(env, buf, (size_t)len, &result);
  free(name);
  return result;
}

// symlinkAt(target, dirFd, name)
static napi_value js_symlink_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "symlinkAt(target, dirFd, name) takes a target, an fd and a name";
  int32_t dir_fd;
  if (!int_arg(env, argv, argc, 1, &dir_fd, usage)) return NULL;
  char *target = required_string(env, argv, argc, 0, usage);
  char *name = target ? required_string(env, argv, argc, 2, usage) : NULL;
  if (target && name && symlinkat(target, dir_fd, name) != 0) throw_errno(env, "symlinkat", name, errno);
  free(target);
  free(name);
  return NULL;
}

// linkAt(oldDirFd, oldName, newDirFd, newName, flags): flags AT_EMPTY_PATH links the file oldDirFd is open on
static napi_value js_link_at(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "linkAt(oldDirFd, oldName, newDirFd, newName, flags) takes fds, names and flags";
  int32_t old_fd, new_fd, flags;
  if (!int_arg(env, argv, argc, 0, &old_fd, usage) || !int_arg(env, argv, argc, 2, &new_fd, usage) || !int_arg(env, argv, argc, 4, &flags, usage)) return NULL;
  char *old_name = required_string(env, argv, argc, 1, usage);
  char *new_name = old_name ? required_string(env, argv, argc, 3, usage) : NULL;
  if (old_name && new_name && linkat(old_fd, old_name, new_fd, new_name, flags) != 0) throw_errno(env, "linkat", new_name, errno);
  free(old_name);
  free(new_name);
  return NULL;
}

// lchownAt(dirFd, name, uid, gid): fchownat with AT_SYMLINK_NOFOLLOW
static napi_value js_lchown_at(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "lchownAt(dirFd, name, uid, gid) takes an fd, a name and 2 integers";
  int32_t dir_fd, uid, gid;
  if (!int_arg(env, argv, argc, 0, &dir_fd, usage) || !int_arg(env, argv, argc, 2, &uid, usage) || !int_arg(env, argv, argc, 3, &gid, usage)) return NULL;
  char *name = required_string(env, argv, argc, 1, usage);
  if (!name) return NULL;
  if (fchownat(dir_fd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(env, "fchownat", name, errno);
  free(name);
  return NULL;
}

// lutimesAt(dirFd, name, atimeMs, mtimeMs): utimensat with AT_SYMLINK_NOFOLLOW
static napi_value js_lutimes_at(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "lutimesAt(dirFd, name, atimeMs, mtimeMs) takes an fd, a name and 2 numbers";
  int32_t dir_fd;
  double times_ms[2];
  if (!int_arg(env, argv, argc, 0, &dir_fd, usage)) return NULL;
  if (argc < 4 || napi_get_value_double(env, argv[2], &times_ms[0]) != napi_ok || napi_get_value_double(env, argv[3], &times_ms[1]) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  char *name = required_string(env, argv, argc, 1, usage);
  if (!name) return NULL;
  struct timespec ts[2];
  for (int i = 0; i < 2; i++) {
    double sec = times_ms[i] / 1000.0;
    ts[i].tv_sec = (time_t)sec;
    if ((double)ts[i].tv_sec > sec) ts[i].tv_sec--; // floor for times before 1970
    ts[i].tv_nsec = (long)((sec - (double)ts[i].tv_sec) * 1e9);
    if (ts[i].tv_nsec >= 1000000000L) ts[i].tv_nsec = 999999999L;
  }
  if (utimensat(dir_fd, name, ts, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(env, "utimensat", name, errno);
  free(name);
  return NULL;
}

// Removes `name` in `dir_fd` and, for a directory, everything under it, walking only through
// fds opened with O_NOFOLLOW: a symlink is removed, never followed. Returns 0 or an errno.
static int remove_all_at(int dir_fd, const char *name, int depth) {
  if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR && errno != EPERM) return errno;
  if (depth > 4096) return ELOOP;
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : errno;
  DIR *dir = fdopendir(fd);
  if (!dir) {
    int err = errno;
    close(fd);
    return err;
  }
  int err = 0;
  // Passes until one finds nothing left: entries removed while reading may make a pass miss some.
  for (bool removed = true; removed && err == 0;) {
    removed = false;
    rewinddir(dir);
    for (;;) {
      errno = 0;
      struct dirent *ent = readdir(dir);
      if (!ent) {
        if (errno != 0) err = errno;
        break;
      }
      if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
      err = remove_all_at(dirfd(dir), ent->d_name, depth + 1);
      if (err != 0) break;
      removed = true;
    }
  }
  closedir(dir);
  if (err != 0) return err;
  if (unlinkat(dir_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return errno;
  return 0;
}

// removeAllAt(dirFd, name): like `rm -rf name` relative to dirFd, never following a symlink
static napi_value js_remove_all_at(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *usage = "removeAllAt(dirFd, name) takes an fd and a name";
  int32_t dir_fd;
  if (!int_arg(env, argv, argc, 0, &dir_fd, usage)) return NULL;
  char *name = required_string(env, argv, argc, 1, usage);
  if (!name) return NULL;
  int err = strchr(name, '/') || name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ? EINVAL : remove_all_at(dir_fd, name, 0);
  if (err != 0) throw_errno(env, "removeAllAt", name, err);
  free(name);
  return NULL;
}

// ---- Terminals for execs the daemon relays (runtime-oci exec-streams.ts) ----

// recvFd(socketFd): the descriptor a peer sent over a unix socket (SCM_RIGHTS), as an OCI runtime
// sends a pseudo-terminal's master to its --console-socket; null while nothing has arrived yet
// (the socket is non-blocking). The descriptor is close-on-exec.
static napi_value js_recv_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "recvFd(fd) takes a socket descriptor");
    return NULL;
  }
  char data[4096];
  struct iovec iov = { data, sizeof data };
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * 4)];
  } control;
  struct msghdr msg = { 0 };
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  char what[32];
  snprintf(what, sizeof what, "fd %d", fd);
  napi_value result;
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, "recvmsg", what, errno);
  }
  int received = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *fds = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < count; i++) {
      if (received < 0) received = fds[i];
      else close(fds[i]);
    }
  }
  if (received < 0) return throw_errno(env, "recvmsg", what, n == 0 ? ECONNRESET : EBADMSG);
  napi_create_int32(env, received, &result);
  return result;
}

// setWindowSize(fd, rows, cols): TIOCSWINSZ on a terminal (its foreground process group gets SIGWINCH).
static napi_value js_set_window_size(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, rows = 0, cols = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &rows) != napi_ok ||
      napi_get_value_int32(env, argv[2], &cols) != napi_ok || rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
    napi_throw_type_error(env, NULL, "setWindowSize(fd, rows, cols) takes a descriptor and two sizes (0-65535)");
    return NULL;
  }
  struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) {
    char what[32];
    snprintf(what, sizeof what, "fd %d", fd);
    return throw_errno(env, "ioctl(TIOCSWINSZ)", what, errno);
  }
  return NULL;
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

// ptyPeer(master): a descriptor of the pseudo-terminal's other side (TIOCGPTPEER, Linux 4.13),
// whatever mount namespace its /dev/pts is in. While it is open, reading the master never ends
// with EIO: the reader decides when the terminal's output is over.
static napi_value js_pty_peer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "ptyPeer(fd) takes a pseudo-terminal master");
    return NULL;
  }
  int peer = ioctl(fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0) {
    char what[32];
    snprintf(what, sizeof what, "fd %d", fd);
    return throw_errno(env, "ioctl(TIOCGPTPEER)", what, errno);
  }
  napi_value result;
  napi_create_int32(env, peer, &result);
  return result;
}

// openPty(): [master, slave], a new pseudo-terminal, both close-on-exec, neither a controlling
// terminal of this process (O_NOCTTY).
static napi_value js_open_pty(napi_env env, napi_callback_info info) {
  (void)info;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return throw_errno(env, "posix_openpt", "/dev/ptmx", errno);
  char name[128];
  int err = grantpt(master) != 0 || unlockpt(master) != 0 ? errno : ptsname_r(master, name, sizeof name);
  int slave = err == 0 ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (slave < 0) {
    if (err == 0) err = errno;
    close(master);
    return throw_errno(env, "open", "the pseudo-terminal's slave", err);
  }
  napi_value result, m, sl;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, master, &m);
  napi_create_int32(env, slave, &sl);
  napi_set_element(env, result, 0, m);
  napi_set_element(env, result, 1, sl);
  return result;
}

// pinLinkAddress(name): sets a network interface's MAC address to the one it has, which makes the
// kernel keep it (addr_assign_type NET_ADDR_SET). A bridge whose address was never set takes the
// lowest address of its ports and changes it as ports come and go; containers that cached the
// gateway's old address then lose their route out until their ARP entry expires (~30 s).
static napi_value js_pin_link_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *name = required_string(env, argv, argc, 0, "pinLinkAddress(name) needs an interface name");
  if (!name) return NULL;
  if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ) {
    napi_value r = throw_errno(env, "ioctl(SIOCGIFHWADDR)", name, EINVAL);
    free(name);
    return r;
  }
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    napi_value r = throw_errno(env, "socket", name, errno);
    free(name);
    return r;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  const char *call = "ioctl(SIOCGIFHWADDR)";
  int rc = ioctl(sock, SIOCGIFHWADDR, &ifr);
  if (rc == 0) {
    call = "ioctl(SIOCSIFHWADDR)";
    rc = ioctl(sock, SIOCSIFHWADDR, &ifr);
  }
  int err = errno;
  close(sock);
  napi_value r = rc == 0 ? NULL : throw_errno(env, call, name, err);
  free(name);
  return r;
}

extern char **environ;

/*
 * The `n` strings of the JS array `list` as a NULL-terminated C array (for posix_spawn's argv); NULL
 * when even the array cannot be allocated. A string that cannot be read sets *err (EINVAL, ENOMEM);
 * the array is returned anyway, for free_string_list.
 */
static char **string_list(napi_env env, napi_value list, uint32_t n, int *err) {
  char **strings = calloc((size_t)n + 1, sizeof *strings);
  if (strings == NULL) return NULL;
  for (uint32_t i = 0; i < n && *err == 0; i++) {
    napi_value item;
    size_t len = 0;
    if (napi_get_element(env, list, i, &item) != napi_ok || napi_get_value_string_utf8(env, item, NULL, 0, &len) != napi_ok) {
      *err = EINVAL;
      break;
    }
    strings[i] = malloc(len + 1);
    if (strings[i] == NULL) *err = ENOMEM;
    else napi_get_value_string_utf8(env, item, strings[i], len + 1, NULL);
  }
  return strings;
}

static void free_string_list(char **strings, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(strings[i]);
  free(strings);
}

/*
 * A spawn's program and arguments: `file_value` a path (into `file`), `argv_value` a non-empty list
 * of at most 4096 strings (its length into *n). False when either is not that: the caller throws,
 * naming its own signature.
 */
static bool spawn_program(napi_env env, napi_value file_value, napi_value argv_value, char *file, size_t size, uint32_t *n) {
  bool is_array = false;
  return napi_get_value_string_utf8(env, file_value, file, size, NULL) == napi_ok && napi_is_array(env, argv_value, &is_array) == napi_ok && is_array &&
         napi_get_array_length(env, argv_value, n) == napi_ok && *n > 0 && *n <= 4096;
}

/*
 * posix_spawn of `path` with `actions` in a session of its own, as libuv starts its children:
 * default signal dispositions (Node ignores SIGPIPE) and nothing blocked. 0 or an errno.
 */
static int spawn_in_session(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions, char **args) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int err = posix_spawn(pid, path, actions, &attr, args, environ);
  posix_spawnattr_destroy(&attr);
  return err;
}

/*
 * sealedCopy(path): a memfd (close-on-exec) holding the bytes of the program at `path`, sealed
 * against any change (native/sealed_copy.c): started from it, crun and runc skip copying and
 * re-executing themselves (CVE-2019-5736), ~4 ms of every `crun exec` here. spawnPiped's execFd
 * runs it.
 */
static napi_value js_sealed_copy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "sealedCopy(path) takes a path");
    return NULL;
  }
  const char *slash = strrchr(path, '/');
  char name[64];
  snprintf(name, sizeof name, "berth-sealed:%.40s", slash ? slash + 1 : path);
  int fd = sealed_copy(path, name, 0);
  if (fd < 0) return throw_errno(env, "sealedCopy", path, errno);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/*
 * spawnPiped(file, argv, pipeStdin[, execFd]): posix_spawn of `file` (or of the sealedCopy in
 * execFd, with argv as given) in a session of its own, stdout and
 * stderr (and stdin when asked, else /dev/null) on socketpairs, as child_process.spawn makes them.
 * glibc's posix_spawn is clone(CLONE_VM|CLONE_VFORK): no copy of the caller's page tables, so it
 * costs the same for a 60 MiB daemon as for a small process, where libuv's fork() blocked the
 * daemon's event loop for ~1 ms per 20 MiB of heap. Returns [pid, stdinFd, stdoutFd, stderrFd]
 * (stdinFd -1 when not piped), the parent's ends close-on-exec. The child is not libuv's: reap it
 * with reapChild (see src/sys/spawn-piped.ts).
 */
static napi_value js_spawn_piped(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  /* execFd (optional): run the program in that descriptor (a sealedCopy), handed over as fd 3. */
  int32_t exec_fd = -1;
  if (argc >= 4) {
    napi_valuetype type;
    napi_typeof(env, argv[3], &type);
    if (type != napi_undefined && (napi_get_value_int32(env, argv[3], &exec_fd) != napi_ok || exec_fd < 3)) {
      napi_throw_type_error(env, NULL, "spawnPiped's execFd must be a descriptor above 2");
      return NULL;
    }
  }
  char file[4096];
  bool pipe_stdin = false;
  uint32_t n = 0;
  if (argc < 3 || !spawn_program(env, argv[0], argv[1], file, sizeof file, &n) || napi_get_value_bool(env, argv[2], &pipe_stdin) != napi_ok) {
    napi_throw_type_error(env, NULL, "spawnPiped(file, argv, pipeStdin) takes a path, a non-empty list of strings and a boolean");
    return NULL;
  }
  int err = 0;
  char **args = string_list(env, argv[1], n, &err);
  if (args == NULL) return throw_errno(env, "calloc", file, ENOMEM);
  /* [stream][0] is the parent's end, [stream][1] the child's. */
  int pairs[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
  for (int i = pipe_stdin ? 0 : 1; i < 3 && err == 0; i++) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[i]) != 0) err = errno;
  }
  pid_t pid = -1;
  if (err == 0) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (pipe_stdin) posix_spawn_file_actions_adddup2(&actions, pairs[0][1], 0);
    else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pairs[1][1], 1);
    posix_spawn_file_actions_adddup2(&actions, pairs[2][1], 2);
    /* The program's sealed copy as fd 3, executed as /proc/self/fd/3 (its own descriptor in the child). */
    if (exec_fd >= 0) posix_spawn_file_actions_adddup2(&actions, exec_fd, 3);
    /* Nothing else of the daemon's leaks into the runtime, CLOEXEC or not. */
    posix_spawn_file_actions_addclosefrom_np(&actions, exec_fd >= 0 ? 4 : 3);
    err = spawn_in_session(&pid, exec_fd >= 0 ? "/proc/self/fd/3" : file, &actions, args);
    posix_spawn_file_actions_destroy(&actions);
  }
  for (int i = 0; i < 3; i++) {
    if (pairs[i][1] >= 0) close(pairs[i][1]);
    if (err != 0 && pairs[i][0] >= 0) close(pairs[i][0]);
  }
  free_string_list(args, n);
  if (err != 0) return throw_errno(env, "posix_spawn", file, err);
  napi_value result, value;
  napi_create_array_with_length(env, 4, &result);
  napi_create_int32(env, pid, &value);
  napi_set_element(env, result, 0, value);
  for (int i = 0; i < 3; i++) {
    napi_create_int32(env, pairs[i][0], &value);
    napi_set_element(env, result, (uint32_t)i + 1, value);
  }
  return result;
}

/*
 * spawnChannel(file, argv, stderrFd, preamble): posix_spawn of `file` in a session of its own with
 * stdin and stdout on /dev/null, stderr on `stderrFd`, and fd 3 on a socketpair whose other end
 * is returned: the channel to berth-monitor, its owner's connection. `preamble` (a Buffer) is
 * written to the channel first, so the child finds it there as it starts (the monitor waits for
 * its owner's hello before it starts the runtime). As for spawnPiped, no copy of the caller's page
 * tables (child_process.spawn forks the whole CLI). Returns [pid, channelFd], the parent's end
 * close-on-exec; reap the child with reapChild.
 */
static napi_value js_spawn_channel(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char file[4096];
  bool is_buffer = false;
  uint32_t n = 0;
  int32_t stderr_fd = -1;
  void *preamble = NULL;
  size_t preamble_len = 0;
  if (argc < 4 || !spawn_program(env, argv[0], argv[1], file, sizeof file, &n) || napi_get_value_int32(env, argv[2], &stderr_fd) != napi_ok || stderr_fd < 0 ||
      napi_is_buffer(env, argv[3], &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, argv[3], &preamble, &preamble_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "spawnChannel(file, argv, stderrFd, preamble) takes a path, a non-empty list of strings, a descriptor and a Buffer");
    return NULL;
  }
  int err = 0;
  char **args = string_list(env, argv[1], n, &err);
  if (args == NULL) return throw_errno(env, "calloc", file, ENOMEM);
  /* [0] is the parent's end, [1] the child's (its fd 3). */
  int pair[2] = { -1, -1 };
  if (err == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) err = errno;
  for (size_t done = 0; err == 0 && done < preamble_len;) {
    ssize_t w = write(pair[0], (const char *)preamble + done, preamble_len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) err = errno;
    else done += (size_t)w;
  }
  pid_t pid = -1;
  if (err == 0) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    posix_spawn_file_actions_adddup2(&actions, pair[1], 3);
    posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    err = spawn_in_session(&pid, file, &actions, args);
    posix_spawn_file_actions_destroy(&actions);
  }
  if (pair[1] >= 0) close(pair[1]);
  if (err != 0 && pair[0] >= 0) close(pair[0]);
  free_string_list(args, n);
  if (err != 0) return throw_errno(env, "posix_spawn", file, err);
  napi_value result, value;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, pid, &value);
  napi_set_element(env, result, 0, value);
  napi_create_int32(env, pair[0], &value);
  napi_set_element(env, result, 1, value);
  return result;
}

/*
 * sha256Hex(string): the SHA-256 of a string's UTF-8 bytes as hex, with the SHA256() of the
 * OpenSSL inside the node executable, or undefined when it exports none (the caller uses
 * node:crypto). For the few small hashes of `berth run` (its state directory, an image record's
 * name, a seccomp filter's key), where node:crypto takes ~2 ms to load.
 */
typedef unsigned char *(*sha256_fn)(const unsigned char *, size_t, unsigned char *);
static napi_value js_sha256_hex(napi_env env, napi_callback_info info) {
  static sha256_fn sha256;
  static int looked;
  if (!looked) {
    sha256 = (sha256_fn)dlsym(RTLD_DEFAULT, "SHA256");
    looked = 1;
  }
  napi_value result;
  if (sha256 == NULL) {
    napi_get_undefined(env, &result);
    return result;
  }
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sha256Hex(text) takes a string");
    return NULL;
  }
  char *text = malloc(len + 1);
  if (text == NULL) return throw_errno(env, "malloc", "sha256Hex", ENOMEM);
  napi_get_value_string_utf8(env, argv[0], text, len + 1, NULL);
  unsigned char md[32];
  sha256((const unsigned char *)text, len, md);
  free(text);
  static const char hex[] = "0123456789abcdef";
  char out[65];
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  napi_create_string_latin1(env, out, 64, &result);
  return result;
}

/* reapChild(pid): waitpid(pid, WNOHANG): null while it runs, else [exitCode, signal] (one of them -1). */
static napi_value js_reap_child(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t pid = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "reapChild(pid) takes a process id");
    return NULL;
  }
  int status = 0;
  pid_t got;
  do {
    got = waitpid(pid, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  char what[32];
  snprintf(what, sizeof what, "pid %d", pid);
  if (got < 0) return throw_errno(env, "waitpid", what, errno);
  napi_value result, code, sig;
  if (got == 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1, &code);
  napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : -1, &sig);
  napi_set_element(env, result, 0, code);
  napi_set_element(env, result, 1, sig);
  return result;
}

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  export_function(env, exports, "mount", js_mount);
  export_function(env, exports, "umount2", js_umount2);
  export_function(env, exports, "umount2Async", js_umount2_async);
  export_function(env, exports, "lgetxattr", js_lgetxattr);
  export_function(env, exports, "llistxattr", js_llistxattr);
  export_function(env, exports, "lsetxattr", js_lsetxattr);
  export_function(env, exports, "mknod", js_mknod);
  export_function(env, exports, "flock", js_flock);
  export_function(env, exports, "openInRoot", js_open_in_root);
  export_function(env, exports, "mkdirat", js_mkdirat);
  export_function(env, exports, "lstatAt", js_lstat_at);
  export_function(env, exports, "readlinkAt", js_readlink_at);
  export_function(env, exports, "symlinkAt", js_symlink_at);
  export_function(env, exports, "linkAt", js_link_at);
  export_function(env, exports, "lchownAt", js_lchown_at);
  export_function(env, exports, "lutimesAt", js_lutimes_at);
  export_function(env, exports, "removeAllAt", js_remove_all_at);
  export_function(env, exports, "recvFd", js_recv_fd);
  export_function(env, exports, "setWindowSize", js_set_window_size);
  export_function(env, exports, "ptyPeer", js_pty_peer);
  export_function(env, exports, "openPty", js_open_pty);
  export_function(env, exports, "spawnPiped", js_spawn_piped);
  export_function(env, exports, "reapChild", js_reap_child);
  export_function(env, exports, "sealedCopy", js_sealed_copy);
  export_function(env, exports, "spawnChannel", js_spawn_channel);
  export_function(env, exports, "sha256Hex", js_sha256_hex);
  export_function(env, exports, "pinLinkAddress", js_pin_link_address);
  api_lane_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
