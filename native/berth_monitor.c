/*
 * berth-monitor: the small per-container process that watches one container, as conmon does for
 * podman and containerd-shim for Docker. It outlives the berth command that started it, so a
 * container keeps running, logging and being reaped when no berth process exists.
 *
 * It creates the container through the OCI runtime (`<runtime> create`, or `run --detach` and
 * `run`, where the container runs before its owner's go-ahead), holds the container's
 * standard streams (pipes, or a pseudo-terminal received over the runtime's console socket),
 * writes them to the log (Docker's json-file format, with rotation), relays them to attached
 * clients, waits for the container's process (as a child subreaper), writes the exit file, and
 * then replaces itself with the exit command (`berth container cleanup ID`), which unmounts,
 * records the exit and applies the restart policy.
 *
 * Clients speak one framed protocol, on fd 3 (the owner: the berth process that spawned the
 * monitor) and on the `attach` socket in the monitor's directory. A frame is Docker's stream
 * header: 1 byte kind, 3 zero bytes, a 32-bit big-endian length, then the payload.
 *   monitor -> client: 1 stdout, 2 stderr (raw output), 3 an event (JSON: created, started,
 *                      create-failed, start-failed, exited).
 *   client -> monitor: 0 stdin bytes, 4 close stdin, 5 resize ("ROWS COLS"), 6 start (owner
 *                      only), 7 done (owner only: it cleaned up itself), 9 hello (JSON flags:
 *                      "stdout", "stderr", "stdin", "cleanup" — the owner will clean up).
 * The owner's hangup before `start` kills the container; after it, the container runs on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sealed_copy.h"

#define MAX_CLIENTS 64
#define MAX_ARGS 64
#define LINE_MAX_BYTES (16 * 1024) /* Docker splits longer lines into partial entries */
#define ATTRS_MAX_BYTES (64 * 1024) /* the largest --log-attrs berth passes */

enum { K_STDIN = 0, K_STDOUT = 1, K_STDERR = 2, K_EVENT = 3, K_CLOSE_STDIN = 4, K_RESIZE = 5, K_START = 6, K_DONE = 7, K_HELLO = 9 };

struct client {
  int fd;
  int want_out, want_err, want_in;
  int said_hello;
  int owner;
  /* Partial frame being read. */
  unsigned char hdr[8];
  size_t hdr_len;
  char *body;
  size_t body_len, body_want;
};

static struct {
  const char *id, *bundle, *runtime, *dir;
  const char *runtime_args[MAX_ARGS];
  int n_runtime_args;
  const char *log_driver, *log_path;
  long long log_max_size;
  int log_max_file;
  int log_compress;
  const char *log_attrs; /* JSON object written as each json-file entry's attrs, or NULL */
  int terminal, open_stdin, stdin_once;
  /* `<runtime> run` instead of create + start: one runtime process for a container whose owner
   * stays attached (the foreground path); the monitor waits for the runtime, which relays the
   * container's exit status and deletes it. */
  int run_mode;
  /* `<runtime> run --detach` instead of create + start for a container whose owner does not stay
   * (detached): one runtime process instead of two. As under `run`, the container runs before the
   * owner's go-ahead, and its output and exit wait for it. */
  int run_detached;
  const char *health_command;
  const char *health_args[MAX_ARGS];
  int n_health_args;
  long long health_interval_ms, health_start_period_ms, health_start_interval_ms;
  const char *exit_command;
  const char *exit_args[MAX_ARGS];
  int n_exit_args;
} opt = { .log_driver = "json-file", .log_max_file = 1 };

static struct client clients[MAX_CLIENTS];
static int n_clients;
static int log_fd = -1;
static long long log_size;
static int out_fd = -1, err_fd = -1, in_fd = -1, master_fd = -1;
static pid_t container_pid;
static int owner_cleans, owner_done, started;
/* Health probes: the health command runs every interval (start-interval during the start period,
 * until a probe succeeds); one at a time. */
static pid_t probe_pid;
static long long next_probe_ms, started_ms;
static int probe_succeeded;
/* Partial lines per stream (1 stdout, 2 stderr), flushed at a newline, at 16 KiB or at exit. */
static char line_buf[3][LINE_MAX_BYTES];
static size_t line_len[3];

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("berth-monitor: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(125);
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int send_frame(int fd, int kind, const void *data, size_t len) {
  unsigned char hdr[8] = { (unsigned char)kind, 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len };
  struct iovec iov[2] = { { hdr, 8 }, { (void *)data, len } };
  size_t total = 8 + len, done = 0;
  while (done < total) {
    ssize_t n = writev(fd, iov, 2);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += (size_t)n;
    /* Advance the iovecs past what was written. */
    size_t skip = (size_t)n;
    for (int i = 0; i < 2 && skip > 0; i++) {
      size_t s = skip < iov[i].iov_len ? skip : iov[i].iov_len;
      iov[i].iov_base = (char *)iov[i].iov_base + s;
      iov[i].iov_len -= s;
      skip -= s;
    }
  }
  return 0;
}

static void drop_client(int i) {
  close(clients[i].fd);
  free(clients[i].body);
  clients[i] = clients[--n_clients];
}

static void broadcast_event(const char *json) {
  for (int i = 0; i < n_clients; i++) {
    if (send_frame(clients[i].fd, K_EVENT, json, strlen(json)) < 0) drop_client(i--);
  }
}

static void owner_event(const char *json) {
  for (int i = 0; i < n_clients; i++) {
    if (clients[i].owner && send_frame(clients[i].fd, K_EVENT, json, strlen(json)) < 0) drop_client(i--);
  }
}

static int owner_connected(void) {
  for (int i = 0; i < n_clients; i++)
    if (clients[i].owner) return 1;
  return 0;
}

/* ---- log: Docker's json-file format ------------------------------------------------------- */

static void timestamp(char *out, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* Go's RFC3339Nano, as Docker's json-file writes times: trailing zeros of the fraction dropped. */
static void timestamp_go(char *out, size_t size) {
  timestamp(out, size);
  char *dot = strchr(out, '.');
  char *z = strchr(out, 'Z');
  if (!dot || !z) return;
  char *end = z;
  while (end > dot + 1 && end[-1] == '0') end--;
  if (end == dot + 1) end = dot;
  memmove(end, "Z", 2);
}

/* Length of the valid UTF-8 sequence at p (0 when invalid), as Go's encoding/json judges it. */
static size_t utf8_len(const unsigned char *p, size_t left) {
  unsigned char c = p[0];
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
  else return 0;
  if (left < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/* Appends `data` as a JSON string body (no quotes), escaped like Docker's json-file writer:
 * \n and \r short, other control characters and <, >, & as \u00XX (a tab too), invalid UTF-8
 * as \ufffd (observed with dockerd 20.10). */
static size_t json_escape(char *out, const char *data, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)data;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    unsigned char c = p[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\', out[o++] = (char)c, i++;
    } else if (c == '\n') {
      out[o++] = '\\', out[o++] = 'n', i++;
    } else if (c == '\r') {
      out[o++] = '\\', out[o++] = 'r', i++;
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      memcpy(out + o, "\\u00", 4), o += 4, out[o++] = hex[c >> 4], out[o++] = hex[c & 15], i++;
    } else if (c < 0x80) {
      out[o++] = (char)c, i++;
    } else {
      size_t n = utf8_len(p + i, len - i);
      if (n == 0) {
        memcpy(out + o, "\\ufffd", 6), o += 6, i++;
      } else if (n == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
        memcpy(out + o, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6), o += 6, i += 3;
      } else {
        memcpy(out + o, p + i, n), o += n, i += n;
      }
    }
  }
  return o;
}

static void open_log(void) {
  log_fd = open(opt.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) die("cannot open log %s: %s", opt.log_path, strerror(errno));
  struct stat st;
  log_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

/* The gzip compressing the last rotated file, while it runs. */
static pid_t gzip_pid;

/* Compresses a rotated file in the background (gzip FILE -> FILE.gz), as Docker's compress=true does. */
static void compress_file(const char *path) {
  pid_t pid = fork();
  if (pid > 0) gzip_pid = pid;
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execlp("gzip", "gzip", "-f", path, (char *)NULL);
    _exit(127);
  }
}

/* Keeps at most max-file files: log.N-1 -> log.N ... log -> log.1 (or truncates when max-file is 1);
 * with compress, rotated files are log.N.gz. */
static void rotate_log(void) {
  char from[4096], to[4096];
  const char *gz = opt.log_compress ? ".gz" : "";
  /* The previous rotation's file must be compressed before it moves on (rotations can come faster). */
  if (gzip_pid > 0) {
    waitpid(gzip_pid, NULL, 0);
    gzip_pid = 0;
  }
  if (opt.log_max_file > 1) {
    for (int i = opt.log_max_file - 1; i >= 2; i--) {
      snprintf(from, sizeof from, "%s.%d%s", opt.log_path, i - 1, gz);
      snprintf(to, sizeof to, "%s.%d%s", opt.log_path, i, gz);
      rename(from, to);
    }
    snprintf(to, sizeof to, "%s.1", opt.log_path);
    rename(opt.log_path, to);
    close(log_fd);
    open_log();
    if (opt.log_compress) compress_file(to);
  } else if (ftruncate(log_fd, 0) == 0) {
    log_size = 0;
  }
}

/* Appends a protobuf varint. */
static size_t put_varint(unsigned char *out, unsigned long long v) {
  size_t n = 0;
  do {
    out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return n;
}

/* Docker's `local` driver entry: a LogEntry protobuf (source, time_nano, line, partial) framed by
 * its 32-bit big-endian length before and after. */
static size_t local_entry(unsigned char *out, int stream, const char *data, size_t len) {
  int partial = len == 0 || data[len - 1] != '\n';
  size_t line_len = partial ? len : len - 1;
  const char *source = stream == K_STDERR ? "stderr" : "stdout";
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  size_t o = 4;
  out[o++] = 0x0a;
  o += put_varint(out + o, strlen(source));
  memcpy(out + o, source, strlen(source)), o += strlen(source);
  out[o++] = 0x10;
  o += put_varint(out + o, (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec);
  out[o++] = 0x1a;
  o += put_varint(out + o, line_len);
  memcpy(out + o, data, line_len), o += line_len;
  if (partial) out[o++] = 0x20, out[o++] = 1;
  uint32_t size = (uint32_t)(o - 4);
  unsigned char be[4] = { (unsigned char)(size >> 24), (unsigned char)(size >> 16), (unsigned char)(size >> 8), (unsigned char)size };
  memcpy(out, be, 4);
  memcpy(out + o, be, 4), o += 4;
  return o;
}

static void log_entry(int stream, const char *data, size_t len) {
  if (log_fd < 0 || len == 0) return;
  static char buf[LINE_MAX_BYTES * 6 + ATTRS_MAX_BYTES + 256];
  size_t o = 0;
  if (!strcmp(opt.log_driver, "local")) {
    o = local_entry((unsigned char *)buf, stream, data, len);
  } else {
    char ts[64];
    timestamp_go(ts, sizeof ts);
    memcpy(buf, "{\"log\":\"", 8), o = 8;
    o += json_escape(buf + o, data, len);
    /* dockerd's field order: log, stream, attrs (when any), time. */
    o += (size_t)snprintf(buf + o, sizeof buf - o, "\",\"stream\":\"%s\",%s%s%s\"time\":\"%s\"}\n", stream == K_STDERR ? "stderr" : "stdout",
                          opt.log_attrs ? "\"attrs\":" : "", opt.log_attrs ? opt.log_attrs : "", opt.log_attrs ? "," : "", ts);
  }
  if (opt.log_max_size > 0 && log_size > 0 && log_size + (long long)o > opt.log_max_size) rotate_log();
  if (write_all(log_fd, buf, o) == 0) log_size += (long long)o;
}

/* Splits output into lines (each entry ends with its newline) and 16 KiB partial entries. */
static void log_output(int stream, const char *data, size_t len) {
  if (log_fd < 0) return;
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    size_t room = LINE_MAX_BYTES - line_len[stream];
    if (take > room) take = room;
    memcpy(line_buf[stream] + line_len[stream], data, take);
    line_len[stream] += take;
    data += take;
    len -= take;
    if (line_buf[stream][line_len[stream] - 1] == '\n' || line_len[stream] == LINE_MAX_BYTES) {
      log_entry(stream, line_buf[stream], line_len[stream]);
      line_len[stream] = 0;
    }
  }
}

static void flush_partial_lines(void) {
  for (int s = 1; s <= 2; s++) {
    log_entry(s, line_buf[s], line_len[s]);
    line_len[s] = 0;
  }
}

/* ---- output: log it and relay it to attached clients -------------------------------------- */

/* Reads what `fd` has: 1 when it read, -1 when nothing is there yet, 0 at end of file (or EIO:
 * a terminal whose other side closed). */
static int pump(int fd, int stream) {
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? -1 : 0;
  if (n == 0) return 0;
  log_output(stream, buf, (size_t)n);
  for (int i = 0; i < n_clients; i++) {
    struct client *c = &clients[i];
    if ((stream == K_STDOUT && c->want_out) || (stream == K_STDERR && c->want_err)) {
      if (send_frame(c->fd, stream, buf, (size_t)n) < 0) drop_client(i--);
    }
  }
  return 1;
}

/* ---- running the runtime ------------------------------------------------------------------ */

/* A small runtime only (crun: ~0.5 MiB, held in memory as long as `crun run` waits): runc, a Go
 * binary of ~9 MiB, would cost about what its own copy does, and hold it for the container's life. */
#define SEALED_RUNTIME_MAX (4 << 20)

/*
 * A sealed in-memory copy of the runtime's binary (an absolute path), or -1 (see sealed_copy.c):
 * started from it, the runtime skips executing itself a second time. Named after the runtime, its
 * process shows as `memfd:crun`.
 */
static int sealed_runtime_copy(void) {
  if (opt.runtime[0] != '/') return -1;
  return sealed_copy(opt.runtime, strrchr(opt.runtime, '/') + 1, SEALED_RUNTIME_MAX);
}

/* `sealed`: run the runtime from a sealed copy (the verbs that create a container). */
static pid_t spawn_runtime_from(const char **verb_args, int n_verb, int fd_in, int fd_out, int fd_err, int sealed) {
  const char *argv[MAX_ARGS * 2 + 16];
  int n = 0;
  argv[n++] = opt.runtime;
  for (int i = 0; i < opt.n_runtime_args; i++) argv[n++] = opt.runtime_args[i];
  for (int i = 0; i < n_verb; i++) argv[n++] = verb_args[i];
  argv[n] = NULL;
  int exe = sealed ? sealed_runtime_copy() : -1;
  pid_t pid = fork();
  if (pid < 0) {
    if (exe >= 0) close(exe);
    return -1;
  }
  if (pid == 0) {
    if (fd_in >= 0) dup2(fd_in, 0);
    if (fd_out >= 0) dup2(fd_out, 1);
    if (fd_err >= 0) dup2(fd_err, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (exe >= 0) fexecve(exe, (char *const *)argv, environ);
    execvp(opt.runtime, (char *const *)argv);
    _exit(127);
  }
  if (exe >= 0) close(exe);
  return pid;
}

static pid_t spawn_runtime(const char **verb_args, int n_verb, int fd_in, int fd_out, int fd_err) {
  return spawn_runtime_from(verb_args, n_verb, fd_in, fd_out, fd_err, 0);
}

static int wait_for(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_runtime(const char **verb_args, int n_verb) {
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = spawn_runtime(verb_args, n_verb, devnull, devnull, devnull);
  close(devnull);
  return pid < 0 ? -1 : wait_for(pid);
}

static void kill_container(void) {
  const char *args[] = { "delete", "--force", opt.id };
  run_runtime(args, 3);
}

/* Receives the pseudo-terminal's master side the runtime sends over the console socket. */
static int receive_master(int listen_fd) {
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  char name[256];
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { name, sizeof name };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  int fd = -1;
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0) {
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  }
  close(conn);
  return fd;
}

static int listen_unix(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (fd < 0 || strlen(path) >= sizeof addr.sun_path) return -1;
  strcpy(addr.sun_path, path);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) return -1;
  chmod(path, 0600);
  return fd;
}

/* The container's pid from the runtime's pid file; 0 while it is missing or not yet written. */
static int read_pid_file(void) {
  char buf[32] = { 0 };
  int fd = open("pid", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  int pid = n > 0 ? atoi(buf) : 0;
  return pid > 0 ? pid : 0;
}

/* ---- client frames ------------------------------------------------------------------------ */

static void close_stdin(void) {
  if (in_fd >= 0) {
    close(in_fd);
    in_fd = -1;
  }
  /* A terminal has no separate stdin: send the end-of-file character. */
  if (master_fd >= 0) write_all(master_fd, "\x04", 1);
}

static void start_container(void) {
  if (opt.run_mode || opt.run_detached) {
    /* Already running under `<runtime> run`: the owner's go-ahead only means it recorded it. */
    started = 1;
    owner_event("{\"event\":\"started\"}");
    return;
  }
  const char *args[] = { "start", opt.id };
  int code = run_runtime(args, 2);
  if (code == 0) {
    started = 1;
    owner_event("{\"event\":\"started\"}");
  } else {
    char ev[128];
    snprintf(ev, sizeof ev, "{\"event\":\"start-failed\",\"status\":%d}", code);
    owner_event(ev);
    kill_container();
  }
}

static void handle_frame(struct client *c, int kind, const char *body, size_t len) {
  switch (kind) {
  case K_HELLO:
    c->said_hello = 1;
    c->want_out = strstr(body, "\"stdout\":true") != NULL;
    c->want_err = strstr(body, "\"stderr\":true") != NULL;
    c->want_in = strstr(body, "\"stdin\":true") != NULL;
    if (c->owner && strstr(body, "\"cleanup\":true")) owner_cleans = 1;
    break;
  case K_STDIN:
    if (c->want_in) {
      int fd = master_fd >= 0 ? master_fd : in_fd;
      if (fd >= 0) write_all(fd, body, len);
    }
    break;
  case K_CLOSE_STDIN:
    if (c->want_in && (opt.stdin_once || c->owner)) close_stdin();
    break;
  case K_RESIZE: {
    unsigned rows = 0, cols = 0;
    if (master_fd >= 0 && sscanf(body, "%u %u", &rows, &cols) == 2) {
      struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
      ioctl(master_fd, TIOCSWINSZ, &ws);
    }
    break;
  }
  case K_START:
    if (c->owner && !started) start_container();
    break;
  case K_DONE:
    if (c->owner) owner_done = 1;
    break;
  }
}

/* Reads from a client; returns 0 when it hung up. */
static int read_client(struct client *c) {
  char buf[65536];
  ssize_t n = read(c->fd, buf, sizeof buf);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? 1 : 0;
  if (n == 0) return 0;
  size_t i = 0;
  while (i < (size_t)n) {
    if (c->hdr_len < 8) {
      c->hdr[c->hdr_len++] = (unsigned char)buf[i++];
      if (c->hdr_len == 8) {
        c->body_want = ((size_t)c->hdr[4] << 24) | ((size_t)c->hdr[5] << 16) | ((size_t)c->hdr[6] << 8) | c->hdr[7];
        if (c->body_want > (1 << 20)) return 0;
        c->body = realloc(c->body, c->body_want + 1);
        c->body_len = 0;
      }
    } else {
      size_t take = (size_t)n - i < c->body_want - c->body_len ? (size_t)n - i : c->body_want - c->body_len;
      memcpy(c->body + c->body_len, buf + i, take);
      c->body_len += take;
      i += take;
    }
    if (c->hdr_len == 8 && c->body_len == c->body_want) {
      c->body[c->body_len] = 0;
      handle_frame(c, c->hdr[0], c->body, c->body_len);
      c->hdr_len = 0;
    }
  }
  return 1;
}

static void add_client(int fd, int owner) {
  if (n_clients == MAX_CLIENTS) {
    close(fd);
    return;
  }
  memset(&clients[n_clients], 0, sizeof clients[0]);
  clients[n_clients].fd = fd;
  clients[n_clients].owner = owner;
  n_clients++;
}

/* ---- exit --------------------------------------------------------------------------------- */

static void write_exit_file(int code, int durable) {
  char ts[64], json[256];
  timestamp(ts, sizeof ts);
  int len = snprintf(json, sizeof json, "{\"exitCode\":%d,\"finishedAt\":\"%s\"}\n", code, ts);
  int fd = open("exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    write_all(fd, json, (size_t)len);
    if (durable) fsync(fd);
    close(fd);
    rename("exit.tmp", "exit");
  }
}

/* Makes the log and the exit file durable (after a write_exit_file that was not). */
static void sync_exit_files(void) {
  if (log_fd >= 0) fsync(log_fd);
  int fd = open("exit", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static void run_exit_command(void) {
  if (!opt.exit_command) exit(0);
  const char *argv[MAX_ARGS + 2];
  int n = 0;
  argv[n++] = opt.exit_command;
  for (int i = 0; i < opt.n_exit_args; i++) argv[n++] = opt.exit_args[i];
  argv[n] = NULL;
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0), dup2(devnull, 1);
  int err = open("cleanup.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(err >= 0 ? err : devnull, 2);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(opt.exit_command, (char *const *)argv);
  exit(127);
}

/* ---- health probes ------------------------------------------------------------------------ */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long probe_interval(void) {
  int in_start = !probe_succeeded && now_ms() - started_ms < opt.health_start_period_ms;
  return in_start && opt.health_start_interval_ms > 0 ? opt.health_start_interval_ms : opt.health_interval_ms;
}

static void run_probe(void) {
  const char *argv[MAX_ARGS + 2];
  int n = 0;
  argv[n++] = opt.health_command;
  for (int i = 0; i < opt.n_health_args; i++) argv[n++] = opt.health_args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0), dup2(devnull, 1);
    int err = open("health.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(err >= 0 ? err : devnull, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(opt.health_command, (char *const *)argv);
    _exit(127);
  }
  if (pid > 0) probe_pid = pid;
}

/* ---- main --------------------------------------------------------------------------------- */

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE() (v ? (i++, v) : (die("%s needs a value", a), ""))
    if (!strcmp(a, "--id")) opt.id = VALUE();
    else if (!strcmp(a, "--bundle")) opt.bundle = VALUE();
    else if (!strcmp(a, "--runtime")) opt.runtime = VALUE();
    else if (!strcmp(a, "--runtime-arg")) {
      if (opt.n_runtime_args == MAX_ARGS) die("too many runtime arguments");
      opt.runtime_args[opt.n_runtime_args++] = VALUE();
    } else if (!strcmp(a, "--dir")) opt.dir = VALUE();
    else if (!strcmp(a, "--log-driver")) opt.log_driver = VALUE();
    else if (!strcmp(a, "--log-path")) opt.log_path = VALUE();
    else if (!strcmp(a, "--log-max-size")) opt.log_max_size = atoll(VALUE());
    else if (!strcmp(a, "--log-max-file")) opt.log_max_file = atoi(VALUE());
    else if (!strcmp(a, "--log-compress")) opt.log_compress = 1;
    else if (!strcmp(a, "--log-attrs")) {
      opt.log_attrs = VALUE();
      if (strlen(opt.log_attrs) > ATTRS_MAX_BYTES || opt.log_attrs[0] != '{') die("--log-attrs must be a JSON object of at most %d bytes", ATTRS_MAX_BYTES);
    }
    else if (!strcmp(a, "--terminal")) opt.terminal = 1;
    else if (!strcmp(a, "--stdin")) opt.open_stdin = 1;
    else if (!strcmp(a, "--stdin-once")) opt.stdin_once = 1;
    else if (!strcmp(a, "--run")) opt.run_mode = 1;
    else if (!strcmp(a, "--run-detached")) opt.run_detached = 1;
    else if (!strcmp(a, "--exit-command")) opt.exit_command = VALUE();
    else if (!strcmp(a, "--health-command")) opt.health_command = VALUE();
    else if (!strcmp(a, "--health-arg")) {
      if (opt.n_health_args == MAX_ARGS) die("too many health command arguments");
      opt.health_args[opt.n_health_args++] = VALUE();
    } else if (!strcmp(a, "--health-interval-ms")) opt.health_interval_ms = atoll(VALUE());
    else if (!strcmp(a, "--health-start-period-ms")) opt.health_start_period_ms = atoll(VALUE());
    else if (!strcmp(a, "--health-start-interval-ms")) opt.health_start_interval_ms = atoll(VALUE());
    else if (!strcmp(a, "--exit-arg")) {
      if (opt.n_exit_args == MAX_ARGS) die("too many exit command arguments");
      opt.exit_args[opt.n_exit_args++] = VALUE();
    } else die("unknown option %s", a);
#undef VALUE
  }
  if (!opt.id || !opt.bundle || !opt.runtime || !opt.dir) die("--id, --bundle, --runtime and --dir are required");
  if (opt.run_mode && opt.run_detached) die("--run and --run-detached exclude each other");
  if (opt.log_max_file < 1) opt.log_max_file = 1;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  if (chdir(opt.dir) < 0) die("cannot enter %s: %s", opt.dir, strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  /* Orphaned container processes are reparented to us, so we can wait for the container. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  /* fd 3, when open, is the owner's connection. */
  if (fcntl(3, F_GETFD) >= 0) {
    fcntl(3, F_SETFD, FD_CLOEXEC);
    add_client(3, 1);
  }
  if (opt.log_path && strcmp(opt.log_driver, "none") != 0) open_log();
  /* The owner's hello says which streams it wants: know it before the container can write. */
  while (n_clients > 0 && clients[0].owner && !clients[0].said_hello) {
    if (!read_client(&clients[0])) {
      drop_client(0);
      break;
    }
  }

  int attach_fd = listen_unix("attach");
  if (attach_fd < 0) die("cannot listen on %s/attach: %s", opt.dir, strerror(errno));

  /* The container's standard streams. */
  int child_in = -1, child_out = -1, child_err = -1, console_fd = -1;
  char console_path[64];
  if (opt.terminal) {
    console_fd = listen_unix("console");
    if (console_fd < 0) die("cannot listen on the console socket: %s", strerror(errno));
    /* A short path to our directory, whatever its length (sun_path holds 108 bytes). */
    snprintf(console_path, sizeof console_path, "/proc/%d/cwd/console", getpid());
    child_in = child_out = child_err = open("/dev/null", O_RDWR | O_CLOEXEC);
  } else {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
    out_fd = p[0], child_out = p[1];
    if (pipe2(p, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
    err_fd = p[0], child_err = p[1];
    if (opt.open_stdin) {
      if (pipe2(p, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
      child_in = p[0], in_fd = p[1];
    } else {
      child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    fcntl(out_fd, F_SETFL, O_NONBLOCK);
    fcntl(err_fd, F_SETFL, O_NONBLOCK);
  }

  const char *create[10];
  int nc = 0;
  create[nc++] = opt.run_mode || opt.run_detached ? "run" : "create";
  if (opt.run_detached) create[nc++] = "--detach";
  create[nc++] = "--bundle";
  create[nc++] = opt.bundle;
  create[nc++] = "--pid-file";
  create[nc++] = "pid";
  if (opt.terminal) {
    create[nc++] = "--console-socket";
    create[nc++] = console_path;
  }
  create[nc++] = opt.id;
  /* Under a terminal the runtime's own messages cannot share the container's output: they go to a
   * file. (Without one, to the container's stderr; either way the runtime's JSON log has them.) */
  int rt_err = opt.terminal ? open("runtime.err", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
  unlink("pid");
  pid_t rt = spawn_runtime_from(create, nc, child_in, child_out, opt.terminal ? rt_err : child_err, 1);
  int code = 0, rt_exited = 0, rt_status = 0;
  if (rt < 0) {
    code = -1;
  } else if (!opt.run_mode) {
    code = wait_for(rt);
  } else {
    /* `run` goes on after creating: created once the pid file is there, or failed if the
     * runtime exits without one. The terminal's master comes meanwhile. Polled every 0.5 ms: an
     * inotify watch instead measured ~15 ms slower here, as closing an inotify instance waits
     * for an SRCU grace period. */
    for (;;) {
      if (opt.terminal && master_fd < 0) {
        struct pollfd pfd = { console_fd, POLLIN, 0 };
        if (poll(&pfd, 1, 0) > 0) {
          master_fd = receive_master(console_fd);
          if (master_fd >= 0) fcntl(master_fd, F_SETFL, O_NONBLOCK);
        }
      }
      int pid_ready = read_pid_file() > 0;
      if (!rt_exited) {
        int status;
        if (waitpid(rt, &status, WNOHANG) == rt) {
          rt_exited = 1;
          rt_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          pid_ready = read_pid_file() > 0;
        }
      }
      if (pid_ready && (!opt.terminal || master_fd >= 0 || rt_exited)) break;
      /* Ended already (its pid file may be gone with it): its status says how; a failure to
       * create is in the runtime's log, which the owner reads. */
      if (rt_exited) break;
      struct timespec ts = { 0, 500000 };
      nanosleep(&ts, NULL);
    }
  }
  if (rt_err >= 0) close(rt_err);
  if (child_in >= 0) close(child_in);
  if (child_out >= 0 && child_out != child_in) close(child_out);
  if (child_err >= 0 && child_err != child_in && child_err != child_out) close(child_err);
  if (code == 0 && opt.terminal && master_fd < 0 && !rt_exited) {
    master_fd = receive_master(console_fd);
    if (master_fd < 0) code = -2;
    else fcntl(master_fd, F_SETFL, O_NONBLOCK);
  }
  if (console_fd >= 0) {
    close(console_fd);
    unlink("console");
  }
  if (code == 0) {
    container_pid = read_pid_file();
    if (container_pid == 0 && !rt_exited) code = -3;
  }
  /* Under `run`, the runtime is the process to wait for: its status is the container's. */
  pid_t waited = opt.run_mode ? rt : container_pid;
  if (code != 0) {
    char ev[128];
    snprintf(ev, sizeof ev, "{\"event\":\"create-failed\",\"status\":%d}", code);
    owner_event(ev);
    if (code == -2) kill_container();
    unlink("attach");
    if (owner_connected()) return 1;
    run_exit_command();
  }
  {
    char ev[128];
    snprintf(ev, sizeof ev, "{\"event\":\"created\",\"pid\":%d,\"monitor\":%d}", container_pid, getpid());
    owner_event(ev);
  }
  /* Without an owner (it died already), nobody will say start: the container must not linger. */
  if (!owner_connected()) kill_container();

  int exited = rt_exited, exit_code = rt_status;
  /* Under `run` the container may end before its owner said start: hold the exit until it has
   * (or hung up), so that it hears `started` before `exited`. */
  int runs_early = opt.run_mode || opt.run_detached;
  while (!exited || (runs_early && !started && owner_connected())) {
    struct pollfd fds[MAX_CLIENTS + 8];
    int nfds = 0;
    fds[nfds++] = (struct pollfd){ sig_fd, POLLIN, 0 };
    fds[nfds++] = (struct pollfd){ attach_fd, POLLIN, 0 };
    int out_slot = -1, err_slot = -1, master_slot = -1;
    /* Under `run`, output waits in the pipes until the owner has recorded the container as
     * running (its start): an owner gone before that stops the container, unseen. */
    int relay = started || !runs_early;
    if (relay && out_fd >= 0) out_slot = nfds, fds[nfds++] = (struct pollfd){ out_fd, POLLIN, 0 };
    if (relay && err_fd >= 0) err_slot = nfds, fds[nfds++] = (struct pollfd){ err_fd, POLLIN, 0 };
    if (relay && master_fd >= 0) master_slot = nfds, fds[nfds++] = (struct pollfd){ master_fd, POLLIN, 0 };
    int first_client = nfds;
    for (int i = 0; i < n_clients; i++) fds[nfds++] = (struct pollfd){ clients[i].fd, POLLIN, 0 };
    int timeout = -1;
    if (opt.health_command && started && opt.health_interval_ms > 0) {
      if (next_probe_ms == 0) started_ms = now_ms(), next_probe_ms = started_ms + probe_interval();
      long long wait = next_probe_ms - now_ms();
      if (wait <= 0 && probe_pid == 0) {
        run_probe();
        wait = 0;
      }
      timeout = probe_pid ? -1 : (int)(wait < 0 ? 0 : wait);
    }
    if (poll(fds, (nfds_t)nfds, timeout) < 0) {
      if (errno == EINTR) continue;
      die("poll: %s", strerror(errno));
    }
    if (out_slot >= 0 && fds[out_slot].revents && !pump(out_fd, K_STDOUT)) close(out_fd), out_fd = -1;
    if (err_slot >= 0 && fds[err_slot].revents && !pump(err_fd, K_STDERR)) close(err_fd), err_fd = -1;
    if (master_slot >= 0 && fds[master_slot].revents && !pump(master_fd, K_STDOUT)) close(master_fd), master_fd = -1;
    /* Clients, from the last so that dropping one does not skip another. */
    int polled_clients = nfds - first_client;
    for (int i = polled_clients - 1; i >= 0; i--) {
      if (i >= n_clients || !fds[first_client + i].revents) continue;
      int owner = clients[i].owner;
      if (!read_client(&clients[i])) {
        drop_client(i);
        if (owner && !started) kill_container();
      }
    }
    if (fds[1].revents & POLLIN) {
      int fd = accept4(attach_fd, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0) add_client(fd, 0);
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo != SIGCHLD) continue; /* SIGTERM/SIGINT/SIGHUP: the monitor stays with its container */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
          if (pid == gzip_pid) gzip_pid = 0;
          if (pid == probe_pid) {
            probe_pid = 0;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) probe_succeeded = 1;
            next_probe_ms = now_ms() + probe_interval();
          }
          if (pid == waited) {
            exited = 1;
            exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          }
        }
      }
    }
  }

  /* Drain what the container wrote before it exited. Other processes may still hold the pipes. */
  if (out_fd >= 0) while (pump(out_fd, K_STDOUT) == 1) {}
  if (err_fd >= 0) while (pump(err_fd, K_STDERR) == 1) {}
  if (master_fd >= 0) while (pump(master_fd, K_STDOUT) == 1) {}
  flush_partial_lines();
  /* An owner that cleans up records the exit itself (and removes an --rm container's files): the
   * log and exit file need to reach the disk only if it hangs up without doing so. Not waiting
   * for the disk here takes 1-10 ms off a foreground run's exit. */
  int owner_waits = owner_cleans && owner_connected();
  if (log_fd >= 0 && !owner_waits) fsync(log_fd);
  close(attach_fd);
  unlink("attach");
  write_exit_file(exit_code, !owner_waits);
  {
    char ev[128];
    snprintf(ev, sizeof ev, "{\"event\":\"exited\",\"exitCode\":%d}", exit_code);
    broadcast_event(ev);
  }
  for (int i = n_clients - 1; i >= 0; i--)
    if (!clients[i].owner) drop_client(i);
  /* An owner that cleans up says done; if it hangs up without, the exit command does it. */
  while (owner_cleans && owner_connected() && !owner_done) {
    struct client *c = &clients[0];
    struct pollfd pfd = { c->fd, POLLIN, 0 };
    if (poll(&pfd, 1, -1) < 0 && errno != EINTR) break;
    if (!read_client(c)) drop_client(0);
  }
  if (owner_done) return 0;
  if (owner_waits) sync_exit_files();
  run_exit_command();
  return 0;
}
