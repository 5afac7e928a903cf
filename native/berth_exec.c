/*
 * berth-exec: the native fast path of `berth exec`. `docker exec` answers in ~85 ms here, and a Node
 * process alone takes ~65 ms to start, so `berth exec CONTAINER CMD` can only be quick without
 * Node. bin/berth hands command lines that contain an `exec` word to this program; it runs the
 * common forms itself and gives everything else to the Node CLI (bin/berth.cjs), unchanged.
 *
 * It runs only what it can run exactly as the Node CLI would (services/container-exec.ts):
 *   berth [--root DIR] exec [-i] [-t] [--interactive] [--tty] CONTAINER COMMAND [ARG...]
 * with CONTAINER a full id, a name or a unique id prefix of a container whose record says
 * "running" and whose monitor is alive. The process is the container's own (user, working
 * directory, environment, capabilities...) with COMMAND as its arguments: the template that
 * `berth start` wrote beside config.json (containers/<id>/exec-template, see
 * services/exec-template.ts), completed with the arguments and the terminal flag, and handed to
 * `<runtime> exec --process FILE`. Any other flag, an odd record, a missing template, an argument
 * that is not valid UTF-8 (Node would have replaced its bytes): the Node CLI decides instead.
 *
 * When the runtime fails, the Node CLI words the error (`berth container exec-report`), so a
 * failure reads the same on both paths.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#define TEMPLATE_MAGIC "berth-exec-template 1"

static char **orig_argv;
static int orig_argc;

/* Gives the whole command line to the Node CLI: bin/berth.cjs beside this checkout's bin/. */
static void fallback(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("berth: /proc/self/exe");
    exit(125);
  }
  self[n] = '\0';
  /* <checkout>/build/Release/berth-exec -> <checkout>/bin/berth.cjs */
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(self, '/');
    if (slash == NULL) exit(125);
    *slash = '\0';
  }
  char script[PATH_MAX];
  if (snprintf(script, sizeof script, "%s/bin/berth.cjs", self) >= (int)sizeof script) exit(125);
  char **args = calloc((size_t)orig_argc + 3, sizeof *args);
  if (args == NULL) exit(125);
  int k = 0;
  args[k++] = "node";
  args[k++] = "--"; /* see bin/berth: Node must not read our arguments as its own options */
  args[k++] = script;
  for (int i = 1; i < orig_argc; i++) args[k++] = orig_argv[i];
  args[k] = NULL;
  execvp("node", args);
  fprintf(stderr, "berth: cannot run node: %s\n", strerror(errno));
  exit(125);
}

/* snprintf into a path buffer; a path too long for it is not for the fast path. */
static void format_path(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void format_path(char *buf, size_t size, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(buf, size, format, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size) fallback();
}

static char *read_file(const char *path, size_t limit) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 8192, len = 0;
  char *buf = malloc(cap + 1);
  while (buf != NULL) {
    if (len == cap) {
      if (cap >= limit) break;
      cap *= 2;
      char *bigger = realloc(buf, cap + 1);
      if (bigger == NULL) break;
      buf = bigger;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (r == 0) {
      close(fd);
      buf[len] = '\0';
      if (strlen(buf) != len) break; /* a NUL inside: not ours */
      return buf;
    }
    len += (size_t)r;
  }
  close(fd);
  free(buf);
  return NULL;
}

static int is_hex(const char *s) {
  if (*s == '\0') return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
  return 1;
}

/* Docker's precedence: a full id, then a name, then a unique id prefix. NULL: let Node decide. */
static char *resolve_container(const char *root, const char *ref) {
  char path[PATH_MAX];
  size_t len = strlen(ref);
  if (len == 0 || len > 128 || strchr(ref, '/') != NULL || ref[0] == '.') return NULL;
  if (len == 64 && is_hex(ref)) {
    format_path(path, sizeof path, "%s/metadata/containers/%s.json", root, ref);
    if (access(path, F_OK) == 0) return strdup(ref);
  }
  format_path(path, sizeof path, "%s/metadata/names/%s", root, ref);
  char target[128];
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n > 0) {
    target[n] = '\0';
    return n == 64 && is_hex(target) ? strdup(target) : NULL;
  }
  if (!is_hex(ref)) return NULL;
  format_path(path, sizeof path, "%s/metadata/containers", root);
  DIR *dir = opendir(path);
  if (dir == NULL) return NULL;
  char *found = NULL;
  int matches = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    size_t l = strlen(e->d_name);
    if (l != 69 || strcmp(e->d_name + 64, ".json") != 0 || strncmp(e->d_name, ref, len) != 0) continue;
    if (++matches == 1) found = strndup(e->d_name, 64);
  }
  closedir(dir);
  if (matches != 1) {
    free(found);
    return NULL;
  }
  return found;
}

/* The number after `key` in `text`, or -1. */
static long long number_after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  if (p == NULL) return -1;
  p += strlen(key);
  if (*p < '0' || *p > '9') return -1;
  char *end;
  long long v = strtoll(p, &end, 10);
  return (*end == ',' || *end == '}') ? v : -1;
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks), or -1 when gone or a zombie. */
static long long process_start_time(long long pid) {
  char path[64];
  format_path(path, sizeof path, "/proc/%lld/stat", pid);
  char *stat = read_file(path, 4096);
  if (stat == NULL) return -1;
  char *p = strrchr(stat, ')');
  long long result = -1;
  if (p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X') {
    p += 2;
    for (int field = 0; field < 19 && p != NULL; field++) {
      p = strchr(p, ' ');
      if (p != NULL) p++;
    }
    if (p != NULL) result = strtoll(p, NULL, 10);
  }
  free(stat);
  return result;
}

/*
 * Whether the record (JSON.stringify's compact output) says the container runs under a live
 * monitor. Anything unexpected — another state, a start in progress, another layout — is "no".
 */
static int record_running(const char *record) {
  const char *state = strstr(record, "\"state\":{\"status\":\"running\",");
  if (state == NULL || strstr(state, "\"starting\":") != NULL) return 0;
  const char *sup = strstr(state, "\"supervisor\":{\"pid\":");
  if (sup == NULL) return 0;
  long long pid = number_after(sup, "\"supervisor\":{\"pid\":");
  long long start = number_after(sup, ",\"startTime\":");
  return pid > 0 && start >= 0 && process_start_time(pid) == start;
}

static int valid_utf8(const unsigned char *s) {
  while (*s) {
    int extra;
    unsigned int cp;
    if (*s < 0x80) {
      s++;
      continue;
    } else if ((*s & 0xe0) == 0xc0) {
      extra = 1;
      cp = *s & 0x1f;
    } else if ((*s & 0xf0) == 0xe0) {
      extra = 2;
      cp = *s & 0x0f;
    } else if ((*s & 0xf8) == 0xf0) {
      extra = 3;
      cp = *s & 0x07;
    } else {
      return 0;
    }
    s++;
    for (int i = 0; i < extra; i++, s++) {
      if ((*s & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (*s & 0x3f);
    }
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
  }
  return 1;
}

/* Appends `s` as a JSON string, escaped as JSON.stringify does. */
static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\b': fputs("\\b", out); break;
      case '\f': fputs("\\f", out); break;
      case '\n': fputs("\\n", out); break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      default:
        if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
  }
  fputc('"', out);
}

int main(int argc, char **argv) {
  orig_argc = argc;
  orig_argv = argv;
  int i = 1;
  const char *root_flag = NULL;
  if (i < argc && strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
    root_flag = argv[i + 1];
    i += 2;
  } else if (i < argc && strncmp(argv[i], "--root=", 7) == 0) {
    root_flag = argv[i] + 7;
    i++;
  }
  if (i >= argc || strcmp(argv[i], "exec") != 0) fallback();
  i++;
  int interactive = 0, tty = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-i") == 0 || strcmp(a, "--interactive") == 0) interactive = 1;
    else if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0) tty = 1;
    else if (strcmp(a, "-it") == 0 || strcmp(a, "-ti") == 0) interactive = tty = 1;
    else fallback();
  }
  if (argc - i < 2) fallback();
  /* -it needs a terminal on stdin: Node says so when there is none. */
  if (tty && interactive && !isatty(STDIN_FILENO)) fallback();
  const char *ref = argv[i];
  char **cmd = argv + i + 1;
  int ncmd = argc - i - 1;
  for (int k = 0; k < ncmd; k++)
    if (!valid_utf8((const unsigned char *)cmd[k])) fallback();
  if (!valid_utf8((const unsigned char *)ref)) fallback();

  const char *root_in = root_flag != NULL ? root_flag : getenv("BERTH_ROOT");
  if (root_in == NULL || *root_in == '\0') root_in = "/var/lib/berth";
  char root[PATH_MAX];
  if (realpath(root_in, root) == NULL) fallback();
  char *id = resolve_container(root, ref);
  if (id == NULL) fallback();

  char path[PATH_MAX];
  format_path(path, sizeof path, "%s/metadata/containers/%s.json", root, id);
  char *record = read_file(path, 16 << 20);
  if (record == NULL || !record_running(record)) fallback();

  format_path(path, sizeof path, "%s/containers/%s/exec-template", root, id);
  char *template = read_file(path, 1 << 20);
  if (template == NULL) fallback();
  /* Lines: magic, runtime binary, runtime --root, runtime log directory, the process JSON. */
  char *lines[5];
  char *cursor = template;
  for (int k = 0; k < 5; k++) {
    lines[k] = cursor;
    char *nl = strchr(cursor, '\n');
    if (nl == NULL) fallback();
    *nl = '\0';
    cursor = nl + 1;
  }
  const char *binary = lines[1], *state_dir = lines[2], *log_dir = lines[3], *process = lines[4];
  if (strcmp(lines[0], TEMPLATE_MAGIC) != 0 || binary[0] != '/' || process[0] != '{' || process[1] == '\0' || process[1] == '}') fallback();

  struct timeval now;
  gettimeofday(&now, NULL);
  char log_file[PATH_MAX];
  format_path(log_file, sizeof log_file, "%s/%s.exec-%d-%lld.json", log_dir, id, (int)getpid(),
           (long long)now.tv_sec * 1000 + now.tv_usec / 1000);

  unsigned char rnd[6];
  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) fallback();
  char process_file[PATH_MAX];
  format_path(process_file, sizeof process_file, "%s/containers/%s/exec-%02x%02x%02x%02x%02x%02x.json", root, id, rnd[0], rnd[1], rnd[2], rnd[3],
           rnd[4], rnd[5]);
  FILE *out = fopen(process_file, "wxe");
  if (out == NULL) fallback();
  fputs("{\"args\":[", out);
  for (int k = 0; k < ncmd; k++) {
    if (k > 0) fputc(',', out);
    json_string(out, cmd[k]);
  }
  fprintf(out, "],\"terminal\":%s,%s", tty ? "true" : "false", process + 1);
  if (fclose(out) != 0) {
    unlink(process_file);
    fallback();
  }

  char *rt[16];
  int n = 0;
  rt[n++] = (char *)binary;
  rt[n++] = "--root";
  rt[n++] = (char *)state_dir;
  rt[n++] = "--log";
  rt[n++] = log_file;
  rt[n++] = "--log-format";
  rt[n++] = "json";
  rt[n++] = "exec";
  rt[n++] = "--process";
  rt[n++] = process_file;
  if (tty) rt[n++] = "--tty";
  rt[n++] = id;
  rt[n] = NULL;

  pid_t child = fork();
  if (child < 0) {
    unlink(process_file);
    fallback();
  }
  if (child == 0) {
    /* As the Node CLI spawns it: its own session unless it holds the terminal. */
    if (!tty) setsid();
    if (!interactive) {
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0 && null != STDIN_FILENO) {
        dup2(null, STDIN_FILENO);
        close(null);
      }
    }
    execv(binary, rt);
    fprintf(stderr, "berth: Cannot run OCI runtime \"%s\": %s\n", binary, strerror(errno));
    _exit(125);
  }
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      status = 125 << 8;
      break;
    }
  }
  unlink(process_file);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  struct stat log_stat;
  if (code != 0 && stat(log_file, &log_stat) == 0 && log_stat.st_size > 0) {
    /* The runtime logged something: the Node CLI tells a failed exec from the command's own status. */
    char code_text[16];
    snprintf(code_text, sizeof code_text, "%d", code);
    char *report[] = {argv[0], "--root", root, "container", "exec-report", "--log", log_file, "--code", code_text, id, NULL};
    orig_argv = report;
    orig_argc = 10;
    fallback();
  }
  unlink(log_file);
  return code;
}
