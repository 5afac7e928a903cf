/* The fast paths' shared part: see berth_fast.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "berth_fast.h"

char **fast_argv;
int fast_argc;

void fallback(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("berth: /proc/self/exe");
    exit(125);
  }
  self[n] = '\0';
  /* <checkout>/build/Release/berth-<command> -> <checkout>/bin/berth.cjs */
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(self, '/');
    if (slash == NULL) exit(125);
    *slash = '\0';
  }
  char script[PATH_MAX];
  if (snprintf(script, sizeof script, "%s/bin/berth.cjs", self) >= (int)sizeof script) exit(125);
  char **args = calloc((size_t)fast_argc + 3, sizeof *args);
  if (args == NULL) exit(125);
  int k = 0;
  args[k++] = "node";
  args[k++] = "--"; /* see bin/berth: Node must not read our arguments as its own options */
  args[k++] = script;
  for (int i = 1; i < fast_argc; i++) args[k++] = fast_argv[i];
  args[k] = NULL;
  execvp("node", args);
  fprintf(stderr, "berth: cannot run node: %s\n", strerror(errno));
  exit(125);
}

void format_path(char *buf, size_t size, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(buf, size, format, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size) fallback();
}

char *read_file(const char *path, size_t limit) {
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

void store_root(const char *root_flag, char *root, size_t size) {
  const char *root_in = root_flag != NULL ? root_flag : getenv("BERTH_ROOT");
  if (root_in == NULL || *root_in == '\0') root_in = "/var/lib/berth";
  char real[PATH_MAX];
  if (realpath(root_in, real) == NULL) fallback();
  format_path(root, size, "%s", real);
}

char *resolve_container(const char *root, const char *ref, int *by_name) {
  if (by_name != NULL) *by_name = 0;
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
    if (by_name != NULL) *by_name = 1;
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

long long number_after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  if (p == NULL) return -1;
  p += strlen(key);
  if (*p < '0' || *p > '9') return -1;
  char *end;
  long long v = strtoll(p, &end, 10);
  return (*end == ',' || *end == '}') ? v : -1;
}

long long process_start_time(long long pid) {
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

int valid_utf8(const unsigned char *s) {
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

int fast_command_start(int argc, char **argv, const char *command, const char **root_flag) {
  fast_argc = argc;
  fast_argv = argv;
  int i = 1;
  *root_flag = NULL;
  if (i < argc && strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
    *root_flag = argv[i + 1];
    i += 2;
  } else if (i < argc && strncmp(argv[i], "--root=", 7) == 0) {
    *root_flag = argv[i] + 7;
    i++;
  }
  if (i >= argc || strcmp(argv[i], command) != 0) fallback();
  return i + 1;
}
