/*
 * The daemon's native lane (src/daemon/native-lane.ts): a thread of the daemon's process that
 * owns its unix listening sockets, accepts every connection and answers the two requests of each
 * `docker ps` — `HEAD`/`GET /_ping` and `GET /containers/json` with no query — without waking
 * Node. Everything else, and a listing it cannot vouch for, goes to Node with the connection
 * itself: the descriptor, the bytes read and not answered, and any answer not yet written.
 *
 * Why a thread: the docker CLI's own start-up is ~95% of `docker ps`. A server written in C that
 * answers from memory makes the whole command ~4% faster than dockerd does; Node's event loop,
 * socket objects and JS callbacks for the same answers (src/daemon/fast-lane.ts) left berth level
 * with dockerd (BENCHMARKS.md, session 11).
 *
 * What it answers, and why that is safe:
 * - The heads it reads are whole HTTP/1.1 GET or HEAD heads with no body and no Upgrade, parsed
 *   as fast-lane.ts parses them (it is stricter where it differs: anything odd goes to Node).
 * - The ping answer's head is given by Node at start (the same bytes the HTTP server writes).
 * - The listing is a snapshot Node publishes after it listed the containers itself: a template of
 *   the answer's body whose Status times are left as markers (rendered here with the request's
 *   clock, as src/api/human.ts's `ago` renders them), and what would make it stale: the stamp of
 *   the directory every container record change goes through (plugins/metadata-fs), and the
 *   monitor of every listed container, held open through /proc/<pid>/stat. A changed stamp or a
 *   monitor gone, and the request goes to Node, which reconciles, lists and publishes again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api_lane.h"
#include "napi_errors.h"

/* Longer heads go to Node, as fast-lane.ts's maxHead. */
#define MAX_HEAD 8192
/* One read: a head (or several, pipelined) and its terminator. */
#define READ_SIZE (MAX_HEAD + 4)
#define MAX_LISTENERS 16

/* Markers in a listing template: "\x01<ms>\x01" is a duration ("2 minutes"), "\x02<ms>\x02" the same with " ago". */
#define MARK_SINCE '\x01'
#define MARK_AGO '\x02'

typedef struct {
  char *data;
  size_t len, cap;
} bytes;

static int bytes_add(bytes *b, const void *data, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + len) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

static int bytes_str(bytes *b, const char *s) { return bytes_add(b, s, strlen(s)); }

typedef struct {
  /* containers/ of the store, and the stamp it had when the listing was made ("ino:mtimeNs:ctimeNs:size"). */
  char *dir;
  char *stamp;
  /* /proc/<pid>/stat of each listed container's monitor, opened while it was that very process. */
  int *monitors;
  size_t monitor_count;
  char *template;
  size_t template_len;
} snapshot;

typedef struct {
  int listeners[MAX_LISTENERS];
  size_t listener_count;
  int epoll_fd;
  int stop_fd;
  pthread_t thread;
  int thread_started;
  napi_threadsafe_function hand_over;
  /* The ping answer's head up to its Date header; the listing's up to its Content-Length value. */
  char *ping_head;
  char *list_head;
  int min_version, max_version;
  /* Connections the thread holds (idle between requests): a flag per descriptor. */
  unsigned char *held;
  size_t held_cap;
  pthread_mutex_t mutex; /* guards `current` and the counters */
  snapshot *current;
  uint64_t answered, handed_over;
} lane;

typedef struct {
  int fd;
  char *unread;
  size_t unread_len;
  char *unwritten;
  size_t unwritten_len;
} hand_over_job;

static void snapshot_free(snapshot *s) {
  if (!s) return;
  for (size_t i = 0; i < s->monitor_count; i++) close(s->monitors[i]);
  free(s->monitors);
  free(s->dir);
  free(s->stamp);
  free(s->template);
  free(s);
}

/* ---------- the clock's words, as src/api/human.ts writes them ---------- */

/* JS's Math.round for a non-negative number. */
static double js_round(double x) {
  double r = floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

/* durationSince(since, now) of src/api/human.ts (go-units' HumanDuration), with " ago" if `with_ago`. */
static void lane_format_ago(char *out, size_t size, double since_ms, double now_ms, int with_ago) {
  const char *tail = with_ago ? " ago" : "";
  double ms = now_ms - since_ms;
  double seconds = trunc(ms / 1000);
  if (seconds < 1) {
    snprintf(out, size, "Less than a second%s", tail);
    return;
  }
  if (seconds == 1) {
    snprintf(out, size, "1 second%s", tail);
    return;
  }
  if (seconds < 60) {
    snprintf(out, size, "%.0f seconds%s", seconds, tail);
    return;
  }
  double minutes = trunc(ms / 60000);
  if (minutes == 1) {
    snprintf(out, size, "About a minute%s", tail);
    return;
  }
  if (minutes < 60) {
    snprintf(out, size, "%.0f minutes%s", minutes, tail);
    return;
  }
  double hours = js_round(ms / 3600000);
  if (hours == 1) snprintf(out, size, "About an hour%s", tail);
  else if (hours < 48) snprintf(out, size, "%.0f hours%s", hours, tail);
  else if (hours < 24 * 7 * 2) snprintf(out, size, "%.0f days%s", trunc(hours / 24), tail);
  else if (hours < 24 * 30 * 2) snprintf(out, size, "%.0f weeks%s", trunc(hours / 24 / 7), tail);
  else if (hours < 24 * 365 * 2) snprintf(out, size, "%.0f months%s", trunc(hours / 24 / 30), tail);
  else snprintf(out, size, "%.0f years%s", trunc(trunc(ms / 3600000) / 24 / 365), tail);
}

/* Appends `template` with each marker replaced by its duration at `now_ms`; -1 on a malformed marker. */
static int lane_render_template(bytes *out, const char *template, size_t len, double now_ms) {
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    while (i < len && template[i] != MARK_SINCE && template[i] != MARK_AGO) i++;
    if (i > start && bytes_add(out, template + start, i - start) < 0) return -1;
    if (i == len) break;
    char mark = template[i++];
    double since = 0;
    size_t digits = 0;
    while (i < len && template[i] >= '0' && template[i] <= '9' && digits < 16) since = since * 10 + (template[i++] - '0'), digits++;
    if (digits == 0 || i == len || template[i] != mark) return -1;
    i++;
    char text[64];
    lane_format_ago(text, sizeof text, since, now_ms, mark == MARK_AGO);
    if (bytes_str(out, text) < 0) return -1;
  }
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000 + (double)(ts.tv_nsec / 1000000);
}

/* An HTTP Date, as Node's server writes it ("Mon, 30 Nov 2026 20:36:49 GMT"); no locale involved. */
static void http_date(char *out, size_t size) {
  static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, size, "%s, %02d %s %d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---------- requests ---------- */

enum route { ROUTE_NONE, ROUTE_PING, ROUTE_LIST };

typedef struct {
  enum route route;
  int head_only; /* HEAD */
  int close;     /* Connection: close */
} request;

static int is_token_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+.^_`|~-", c) != NULL);
}

/* JS's \s among the bytes a latin1 head can hold. */
static int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0; }

static int equals_nocase(const char *a, size_t alen, const char *b) {
  return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* The trimmed value: [*start, *end). */
static void trim(const char **start, const char **end) {
  while (*start < *end && is_space((unsigned char)**start)) (*start)++;
  while (*end > *start && is_space((unsigned char)(*end)[-1])) (*end)--;
}

/* Whether a Connection header's value holds the `close` token. */
static int says_close(const char *v, const char *end) {
  while (v <= end) {
    const char *comma = memchr(v, ',', (size_t)(end - v));
    const char *item_end = comma ? comma : end;
    const char *a = v, *b = item_end;
    trim(&a, &b);
    if (equals_nocase(a, (size_t)(b - a), "close")) return 1;
    if (!comma) break;
    v = comma + 1;
  }
  return 0;
}

/* The route of a request target, ROUTE_NONE for what Node answers (src/daemon/server.ts apiVersionOf, fast-routes.ts). */
static enum route route_of(const lane *l, const char *target, size_t len, int head_only) {
  const char *query = memchr(target, '?', len);
  size_t path_len = query ? (size_t)(query - target) : len;
  const char *path = target;
  if (path_len > 2 && path[0] == '/' && path[1] == 'v') {
    size_t i = 2;
    while (i < path_len && ((path[i] >= '0' && path[i] <= '9') || path[i] == '.')) i++;
    if (i > 2 && i < path_len && path[i] == '/') {
      /* A version prefix: only "1.N" or "1.NN" within the daemon's range is served here. */
      const char *v = path + 2;
      size_t vlen = i - 2;
      if (vlen < 3 || vlen > 4 || v[0] != '1' || v[1] != '.') return ROUTE_NONE;
      int minor = 0;
      for (size_t k = 2; k < vlen; k++) {
        if (v[k] < '0' || v[k] > '9') return ROUTE_NONE;
        minor = minor * 10 + (v[k] - '0');
      }
      int version = 100 + minor;
      if (version < l->min_version || version > l->max_version) return ROUTE_NONE;
      path += i;
      path_len -= i;
    }
  }
  if (path_len == 6 && memcmp(path, "/_ping", 6) == 0) return ROUTE_PING;
  if (!head_only && !query && path_len == 16 && memcmp(path, "/containers/json", 16) == 0) return ROUTE_LIST;
  return ROUTE_NONE;
}

/* Parses a head (without its blank line); 0 when it is one this lane answers. */
static int parse_head(const lane *l, const char *head, size_t len, request *req) {
  const char *end = head + len;
  const char *line_end = memmem(head, len, "\r\n", 2);
  if (!line_end) line_end = end;
  const char *p = head;
  if ((size_t)(line_end - p) > 4 && memcmp(p, "GET ", 4) == 0) {
    req->head_only = 0;
    p += 4;
  } else if ((size_t)(line_end - p) > 5 && memcmp(p, "HEAD ", 5) == 0) {
    req->head_only = 1;
    p += 5;
  } else return -1;
  const char *target = p;
  while (p < line_end && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f) p++;
  size_t target_len = (size_t)(p - target);
  if (target_len == 0 || target[0] != '/') return -1;
  if ((size_t)(line_end - p) != 9 || memcmp(p, " HTTP/1.1", 9) != 0) return -1;
  req->route = route_of(l, target, target_len, req->head_only);
  if (req->route == ROUTE_NONE) return -1;
  req->close = 0;
  for (p = line_end; p < end; ) {
    p += 2; /* past "\r\n" */
    const char *next = memmem(p, (size_t)(end - p), "\r\n", 2);
    const char *e = next ? next : end;
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (!colon || colon == p) return -1;
    for (const char *c = p; c < colon; c++) if (!is_token_char((unsigned char)*c)) return -1;
    size_t name_len = (size_t)(colon - p);
    const char *v = colon + 1, *v_end = e;
    trim(&v, &v_end);
    if (equals_nocase(p, name_len, "content-length")) {
      if (!((size_t)(v_end - v) == 1 && *v == '0')) return -1;
    } else if (equals_nocase(p, name_len, "transfer-encoding") || equals_nocase(p, name_len, "upgrade") || equals_nocase(p, name_len, "expect")) {
      return -1;
    } else if (equals_nocase(p, name_len, "connection") && says_close(v, v_end)) {
      req->close = 1;
    }
    p = e;
  }
  return 0;
}

/* The stamp of a directory, as plugins/metadata-fs writes it: "ino:mtimeNs:ctimeNs:size". */
static int stamp_of(const char *dir, char *out, size_t size) {
  struct stat st;
  if (stat(dir, &st) < 0) return -1;
  snprintf(out, size, "%llu:%llu:%llu:%lld", (unsigned long long)st.st_ino,
           (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec,
           (unsigned long long)st.st_ctim.tv_sec * 1000000000ULL + (unsigned long long)st.st_ctim.tv_nsec, (long long)st.st_size);
  return 0;
}

/* Field 22 of /proc/<pid>/stat read through `fd`; -1 once the process is gone or a zombie. */
static long long start_time_through(int fd) {
  char buf[1024];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return -1;
  p += 2;
  if (*p == 'Z' || *p == 'X') return -1;
  /* Field 3 is the state; field 22, the start time, is 19 fields after it. */
  for (int field = 0; field < 19; field++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  return strtoll(p, NULL, 10);
}

/* Appends the listing's answer; -1 when the snapshot is missing or stale (Node answers then). */
static int answer_list(lane *l, const request *req, bytes *out) {
  bytes body = { 0 };
  int ok = -1;
  pthread_mutex_lock(&l->mutex);
  snapshot *s = l->current;
  if (s) {
    char stamp[128];
    ok = stamp_of(s->dir, stamp, sizeof stamp) == 0 && strcmp(stamp, s->stamp) == 0 ? 0 : -1;
    for (size_t i = 0; ok == 0 && i < s->monitor_count; i++) if (start_time_through(s->monitors[i]) < 0) ok = -1;
    if (ok == 0) ok = lane_render_template(&body, s->template, s->template_len, now_ms());
  }
  pthread_mutex_unlock(&l->mutex);
  if (ok == 0) {
    char tail[160], date[40];
    http_date(date, sizeof date);
    snprintf(tail, sizeof tail, "%zu\r\nDate: %s\r\nConnection: %s\r\n\r\n", body.len, date, req->close ? "close" : "keep-alive");
    ok = bytes_str(out, l->list_head) < 0 || bytes_str(out, tail) < 0 || bytes_add(out, body.data, body.len) < 0 ? -1 : 0;
  }
  free(body.data);
  return ok;
}

static int answer_ping(lane *l, const request *req, bytes *out) {
  char tail[128], date[40];
  http_date(date, sizeof date);
  snprintf(tail, sizeof tail, "Date: %s\r\nConnection: %s\r\n\r\n%s", date, req->close ? "close" : "keep-alive", req->head_only ? "" : "OK");
  return bytes_str(out, l->ping_head) < 0 || bytes_str(out, tail) < 0 ? -1 : 0;
}

/* ---------- connections ---------- */

static void hold(lane *l, int fd) {
  if ((size_t)fd >= l->held_cap) {
    size_t cap = l->held_cap ? l->held_cap : 256;
    while (cap <= (size_t)fd) cap *= 2;
    unsigned char *grown = realloc(l->held, cap);
    if (!grown) return;
    memset(grown + l->held_cap, 0, cap - l->held_cap);
    l->held = grown;
    l->held_cap = cap;
  }
  l->held[fd] = 1;
}

static void let_go(lane *l, int fd) {
  epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  if ((size_t)fd < l->held_cap) l->held[fd] = 0;
}

static void drop(lane *l, int fd) {
  let_go(l, fd);
  close(fd);
}

static char *copy_of(const char *data, size_t len) {
  if (len == 0) return NULL;
  char *c = malloc(len);
  if (c) memcpy(c, data, len);
  return c;
}

/* Gives the connection to Node, with what was read and not answered and what was answered and not written. */
static void hand_over(lane *l, int fd, const char *unread, size_t unread_len, const char *unwritten, size_t unwritten_len) {
  let_go(l, fd);
  hand_over_job *job = calloc(1, sizeof *job);
  if (job) {
    job->fd = fd;
    job->unread = copy_of(unread, unread_len);
    job->unread_len = job->unread ? unread_len : 0;
    job->unwritten = copy_of(unwritten, unwritten_len);
    job->unwritten_len = job->unwritten ? unwritten_len : 0;
  }
  /* Counted first: Node may serve the connection before this thread would get to count it. */
  pthread_mutex_lock(&l->mutex);
  l->handed_over++;
  pthread_mutex_unlock(&l->mutex);
  if (!job || (unread_len && !job->unread) || (unwritten_len && !job->unwritten) ||
      napi_call_threadsafe_function(l->hand_over, job, napi_tsfn_nonblocking) != napi_ok) {
    if (job) {
      free(job->unread);
      free(job->unwritten);
      free(job);
    }
    close(fd);
    pthread_mutex_lock(&l->mutex);
    l->handed_over--;
    pthread_mutex_unlock(&l->mutex);
  }
}

/* Writes what it can of `out` without waiting; returns how much was written, or -1 on an error. */
static ssize_t write_some(int fd, const char *data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) return -1;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

/* One read from a connection, its requests answered while they are the lane's; the rest to Node. */
static void serve(lane *l, int fd) {
  char buf[READ_SIZE];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    /* The client's end (or an error) with nothing asked: as fast-lane.ts, the connection ends. */
    drop(l, fd);
    return;
  }
  bytes out = { 0 };
  size_t at = 0;
  int close_after = 0;
  uint64_t answered = 0;
  while (at < (size_t)n && !close_after) {
    const char *head = buf + at;
    const char *blank = memmem(head, (size_t)n - at, "\r\n\r\n", 4);
    request req;
    /* A head that did not come whole in this read goes to Node, as fast-lane.ts hands it over. */
    if (!blank || blank - head > MAX_HEAD || parse_head(l, head, (size_t)(blank - head), &req) != 0) break;
    int ok = req.route == ROUTE_PING ? answer_ping(l, &req, &out) : answer_list(l, &req, &out);
    if (ok != 0) break;
    answered++;
    at = (size_t)(blank - buf) + 4;
    close_after = req.close;
  }
  if (answered) {
    pthread_mutex_lock(&l->mutex);
    l->answered += answered;
    pthread_mutex_unlock(&l->mutex);
  }
  ssize_t written = out.len ? write_some(fd, out.data, out.len) : 0;
  if (written < 0 || (close_after && (size_t)written == out.len)) {
    drop(l, fd);
  } else if (at < (size_t)n || (size_t)written < out.len) {
    /* Pipelined requests after a `close` are not served, as Node's server serves none either. */
    size_t unread = close_after ? 0 : (size_t)n - at;
    hand_over(l, fd, buf + at, unread, out.data + written, out.len - (size_t)written);
  }
  free(out.data);
}

static void accept_all(lane *l, int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /*
       * EAGAIN: all taken. Out of descriptors or memory: the connections wait in the backlog until
       * some free up, and the thread pauses a little rather than spin on a listener that stays ready.
       */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
      }
      return;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
      close(fd);
      continue;
    }
    hold(l, fd);
  }
}

static int is_listener(const lane *l, int fd) {
  for (size_t i = 0; i < l->listener_count; i++) if (l->listeners[i] == fd) return 1;
  return 0;
}

static void *lane_main(void *arg) {
  lane *l = arg;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(l->epoll_fd, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == l->stop_fd) return NULL;
      if (is_listener(l, fd)) accept_all(l, fd);
      else serve(l, fd);
    }
  }
  return NULL;
}

/* ---------- Node's side ---------- */

static void call_hand_over(napi_env env, napi_value js_callback, void *context, void *data) {
  (void)context;
  hand_over_job *job = data;
  if (!job) return;
  if (env == NULL) {
    close(job->fd);
  } else {
    napi_value argv[3], undefined;
    napi_get_undefined(env, &undefined);
    napi_create_int32(env, job->fd, &argv[0]);
    if (job->unread_len) napi_create_buffer_copy(env, job->unread_len, job->unread, NULL, &argv[1]);
    else napi_get_null(env, &argv[1]);
    if (job->unwritten_len) napi_create_buffer_copy(env, job->unwritten_len, job->unwritten, NULL, &argv[2]);
    else napi_get_null(env, &argv[2]);
    if (napi_call_function(env, undefined, js_callback, 3, argv, NULL) != napi_ok) {
      /* The callback threw: Node has the exception; the connection cannot be served. */
      close(job->fd);
    }
  }
  free(job->unread);
  free(job->unwritten);
  free(job);
}

static lane *lane_of(napi_env env, napi_value value) {
  lane *l = NULL;
  if (napi_get_value_external(env, value, (void **)&l) != napi_ok) return NULL;
  return l;
}

static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/*
 * laneStart(listeners: number[], handOver: (fd, unread: Buffer|null, unwritten: Buffer|null) => void,
 *           pingHead: string, listHead: string, minVersion: number, maxVersion: number): lane
 * The lane owns the listening descriptors from here (laneStop closes them).
 */
static napi_value js_lane_start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t count = 0;
  int32_t min_version = 0, max_version = 0;
  if (argc < 6 || napi_get_array_length(env, argv[0], &count) != napi_ok || count == 0 || count > MAX_LISTENERS ||
      napi_get_value_int32(env, argv[4], &min_version) != napi_ok || napi_get_value_int32(env, argv[5], &max_version) != napi_ok) {
    return type_error(env, "laneStart(listeners, handOver, pingHead, listHead, minVersion, maxVersion)");
  }
  lane *l = calloc(1, sizeof *l);
  if (!l) return throw_errno(env, "malloc", "laneStart", ENOMEM);
  l->epoll_fd = -1;
  l->stop_fd = -1;
  pthread_mutex_init(&l->mutex, NULL);
  l->min_version = min_version;
  l->max_version = max_version;
  l->ping_head = string_arg(env, argv[2]);
  l->list_head = string_arg(env, argv[3]);
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    int32_t fd = -1;
    napi_get_element(env, argv[0], i, &item);
    napi_get_value_int32(env, item, &fd);
    l->listeners[l->listener_count++] = fd;
  }
  napi_value name;
  napi_create_string_utf8(env, "berth:api-lane", NAPI_AUTO_LENGTH, &name);
  int err = 0;
  if (!l->ping_head || !l->list_head) err = EINVAL;
  else if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_hand_over, &l->hand_over) != napi_ok) err = EINVAL;
  else if ((l->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 || (l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) err = errno;
  for (size_t i = 0; !err && i < l->listener_count; i++) {
    int fd = l->listeners[i];
    int flags = fcntl(fd, F_GETFL);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    /* Close-on-exec too: a socket systemd passed comes without it, and no child of the daemon should keep it. */
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
        epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) err = errno;
  }
  if (!err) {
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = l->stop_fd };
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0) err = errno;
  }
  if (!err) {
    /* Signals are Node's: the thread starts with all of them blocked (it inherits the mask). */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    err = pthread_create(&l->thread, NULL, lane_main, l);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (!err) l->thread_started = 1;
  }
  if (err) {
    if (l->hand_over) napi_release_threadsafe_function(l->hand_over, napi_tsfn_abort);
    if (l->epoll_fd >= 0) close(l->epoll_fd);
    if (l->stop_fd >= 0) close(l->stop_fd);
    free(l->ping_head);
    free(l->list_head);
    pthread_mutex_destroy(&l->mutex);
    free(l);
    return throw_errno(env, "laneStart", NULL, err);
  }
  napi_value result;
  napi_create_external(env, l, NULL, NULL, &result);
  return result;
}

/*
 * lanePublish(lane, snapshot: { dir, stamp, monitors: [pid, startTime, ...], template: Buffer } | null): boolean
 * False when a monitor is already gone (nothing is published then; the listing was stale).
 */
static napi_value js_lane_publish(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  lane *l = argc == 2 ? lane_of(env, argv[0]) : NULL;
  if (!l) return type_error(env, "lanePublish(lane, snapshot)");
  napi_valuetype type;
  napi_typeof(env, argv[1], &type);
  snapshot *s = NULL;
  napi_value result;
  int published = 1;
  if (type == napi_object) {
    napi_value dir, stamp, monitors, template;
    void *data = NULL;
    size_t len = 0;
    uint32_t count = 0;
    if (napi_get_named_property(env, argv[1], "dir", &dir) != napi_ok || napi_get_named_property(env, argv[1], "stamp", &stamp) != napi_ok ||
        napi_get_named_property(env, argv[1], "monitors", &monitors) != napi_ok || napi_get_named_property(env, argv[1], "template", &template) != napi_ok ||
        napi_get_buffer_info(env, template, &data, &len) != napi_ok || napi_get_array_length(env, monitors, &count) != napi_ok || count % 2 != 0) {
      return type_error(env, "lanePublish: the snapshot needs dir, stamp, monitors and template");
    }
    s = calloc(1, sizeof *s);
    if (!s) return throw_errno(env, "malloc", "lanePublish", ENOMEM);
    s->dir = string_arg(env, dir);
    s->stamp = string_arg(env, stamp);
    s->template = malloc(len ? len : 1);
    s->monitors = calloc(count / 2 + 1, sizeof(int));
    if (!s->dir || !s->stamp || !s->template || !s->monitors) {
      snapshot_free(s);
      return throw_errno(env, "malloc", "lanePublish", ENOMEM);
    }
    memcpy(s->template, data, len);
    s->template_len = len;
    for (uint32_t i = 0; i + 1 < count && published; i += 2) {
      napi_value pid_value, start_value;
      int32_t pid = 0;
      double start = -1;
      napi_get_element(env, monitors, i, &pid_value);
      napi_get_element(env, monitors, i + 1, &start_value);
      napi_get_value_int32(env, pid_value, &pid);
      napi_get_value_double(env, start_value, &start);
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/stat", pid);
      int fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
      if (fd < 0 || (double)start_time_through(fd) != start) {
        if (fd >= 0) close(fd);
        published = 0;
        break;
      }
      s->monitors[s->monitor_count++] = fd;
    }
    if (!published) {
      snapshot_free(s);
      s = NULL;
    }
  }
  pthread_mutex_lock(&l->mutex);
  snapshot *old = l->current;
  l->current = s;
  pthread_mutex_unlock(&l->mutex);
  snapshot_free(old);
  napi_get_boolean(env, published && s != NULL, &result);
  return result;
}

/* laneStats(lane): [answered, handedOver] */
static napi_value js_lane_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  lane *l = argc == 1 ? lane_of(env, argv[0]) : NULL;
  if (!l) return type_error(env, "laneStats(lane)");
  pthread_mutex_lock(&l->mutex);
  double answered = (double)l->answered, handed = (double)l->handed_over;
  pthread_mutex_unlock(&l->mutex);
  napi_value result, a, h;
  napi_create_array_with_length(env, 2, &result);
  napi_create_double(env, answered, &a);
  napi_create_double(env, handed, &h);
  napi_set_element(env, result, 0, a);
  napi_set_element(env, result, 1, h);
  return result;
}

/* laneStop(lane): stops the thread, closes the listeners and the connections it held. Once. */
static napi_value js_lane_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  lane *l = argc == 1 ? lane_of(env, argv[0]) : NULL;
  if (!l) return type_error(env, "laneStop(lane)");
  if (l->thread_started) {
    uint64_t one = 1;
    if (write(l->stop_fd, &one, sizeof one) < 0) { /* the eventfd cannot be full: one write */ }
    pthread_join(l->thread, NULL);
    l->thread_started = 0;
    for (size_t i = 0; i < l->listener_count; i++) close(l->listeners[i]);
    for (size_t fd = 0; fd < l->held_cap; fd++) if (l->held[fd]) close((int)fd);
    free(l->held);
    l->held = NULL;
    l->held_cap = 0;
    close(l->epoll_fd);
    close(l->stop_fd);
    napi_release_threadsafe_function(l->hand_over, napi_tsfn_release);
    pthread_mutex_lock(&l->mutex);
    snapshot *old = l->current;
    l->current = NULL;
    pthread_mutex_unlock(&l->mutex);
    snapshot_free(old);
  }
  /* The lane itself stays allocated: the external may still be used (stats after the stop). */
  return NULL;
}

/* listenUnix(path, backlog): a listening unix stream socket at `path` (which must not exist). */
static napi_value js_listen_unix(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t backlog = 511;
  char *path = argc >= 1 ? string_arg(env, argv[0]) : NULL;
  if (argc >= 2) napi_get_value_int32(env, argv[1], &backlog);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (!path || strlen(path) >= sizeof addr.sun_path) {
    free(path);
    return type_error(env, "listenUnix(path, backlog): the path must fit a unix socket address (107 bytes)");
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int err = fd < 0 ? errno : 0;
  if (!err && bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) err = errno;
  if (!err && listen(fd, backlog) < 0) err = errno;
  if (err) {
    if (fd >= 0) close(fd);
    throw_errno(env, "listen", path, err);
    free(path);
    return NULL;
  }
  free(path);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* isUnixStreamListener(fd): whether `fd` is a listening unix stream socket (one systemd passed, for the lane). */
static napi_value js_is_unix_stream_listener(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return type_error(env, "isUnixStreamListener(fd)");
  int domain = 0, type = 0, listening = 0;
  socklen_t len = sizeof(int);
  int yes = getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX &&
            (len = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0) && type == SOCK_STREAM &&
            (len = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0) && listening;
  napi_value result;
  napi_get_boolean(env, yes, &result);
  return result;
}

/* renderTemplate(template: Buffer, nowMs): string — the lane's rendering of a listing template (tests compare it with Node's). */
static napi_value js_render_template(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  size_t len = 0;
  double now = 0;
  if (argc < 2 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || napi_get_value_double(env, argv[1], &now) != napi_ok) {
    return type_error(env, "renderTemplate(template, nowMs)");
  }
  bytes out = { 0 };
  if (lane_render_template(&out, data, len, now) < 0) {
    free(out.data);
    return type_error(env, "renderTemplate: a malformed marker");
  }
  napi_value result;
  napi_create_string_utf8(env, out.data ? out.data : "", out.len, &result);
  free(out.data);
  return result;
}

void api_lane_register(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback cb; } functions[] = {
    { "laneStart", js_lane_start }, { "lanePublish", js_lane_publish }, { "laneStats", js_lane_stats },
    { "laneStop", js_lane_stop }, { "listenUnix", js_listen_unix }, { "renderTemplate", js_render_template },
    { "isUnixStreamListener", js_is_unix_stream_listener },
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].cb, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
}
