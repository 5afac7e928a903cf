/*
 * berth-inspect: the native fast path of `berth inspect`. `docker inspect` answers in ~22 ms, as
 * long as Node alone takes to start: no Node program can match it. bin/berth hands command lines
 * whose command is `inspect` to this program; it answers the common form itself and gives
 * everything else to the Node CLI (bin/berth.cjs), unchanged.
 *
 * It answers only
 *   berth [--root DIR] inspect [--type container] REF [REF...]
 * with every REF a full id, a name or a unique id prefix of a container (Node's lookup order,
 * which puts containers before images, networks and volumes) whose render cache is valid: the
 * file `containers/<id>/inspect-cache` that the Node CLI writes each time it inspects the
 * container (services/inspect-cache.ts, which describes its conditions: the stat of every file
 * the answer was made from, the existence of others, the monitor a running record depends on).
 * It prints the cached texts framed as Node does (api/inspect.ts inspectJsonText). Any other flag
 * (-f, -s, another --type), a REF that is not such a container, a cache that is missing, stale or
 * not exactly as expected, a condition line it does not know: the Node CLI answers (and writes a
 * fresh cache).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_fast.h"

#define CACHE_MAGIC "berth-inspect-cache 1"

/* Whether lstat(path) gives exactly the stamp "DEV INO MODE SIZE MTIME_NS CTIME_NS". */
static int stamp_holds(const char *stamp, const char *path) {
  unsigned long long dev, ino, mode;
  long long size, mtime, ctime;
  int used = 0;
  if (sscanf(stamp, "%llu %llu %llu %lld %lld %lld %n", &dev, &ino, &mode, &size, &mtime, &ctime, &used) != 6 || stamp + used != path) return 0;
  struct stat st;
  if (lstat(path, &st) != 0) return 0;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino && (unsigned long long)st.st_mode == mode && (long long)st.st_size == size &&
         (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec == mtime && (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec == ctime;
}

/*
 * The cached text of container `id` if its cache holds now, else NULL. `ref_name`: the REF when
 * the name link resolved it (the record must still carry that name, as Node's byName checks).
 */
static char *cached_text(const char *root, const char *id, const char *ref_name) {
  char path[PATH_MAX], record[PATH_MAX];
  format_path(path, sizeof path, "%s/containers/%s/inspect-cache", root, id);
  format_path(record, sizeof record, "%s/metadata/containers/%s.json", root, id);
  char *cache = read_file(path, 64 << 20);
  if (cache == NULL) return NULL;
  int named = 0, record_stamped = 0;
  char *line = cache;
  char *nl = strchr(line, '\n');
  if (nl == NULL) goto stale;
  *nl = '\0';
  if (strcmp(line, CACHE_MAGIC) != 0) goto stale;
  for (line = nl + 1; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
    *nl = '\0';
    if (strncmp(line, "name ", 5) == 0) {
      if (named || (ref_name != NULL && strcmp(line + 5, ref_name) != 0)) goto stale;
      named = 1;
    } else if (strncmp(line, "alive ", 6) == 0) {
      char *end;
      long long pid = strtoll(line + 6, &end, 10);
      if (*end != ' ') goto stale;
      char *end2;
      long long start = strtoll(end + 1, &end2, 10);
      if (*end2 != '\0' || pid <= 0 || start < 0 || process_start_time(pid) != start) goto stale;
    } else if (strncmp(line, "file ", 5) == 0) {
      /* The path: after the six numbers. */
      char *p = line + 5;
      for (int k = 0; k < 6 && p != NULL; k++) {
        p = strchr(p, ' ');
        if (p != NULL) p++;
      }
      if (p == NULL || *p != '/' || !stamp_holds(line + 5, p)) goto stale;
      if (strcmp(p, record) == 0) record_stamped = 1;
    } else if (strncmp(line, "exists ", 7) == 0) {
      struct stat st;
      if (line[7] != '/' || stat(line + 7, &st) != 0) goto stale;
    } else if (strncmp(line, "absent ", 7) == 0) {
      struct stat st;
      if (line[7] != '/' || lstat(line + 7, &st) == 0 || errno != ENOENT) goto stale;
    } else if (strncmp(line, "path-env ", 9) == 0) {
      const char *path_env = getenv("PATH");
      if (strcmp(line + 9, path_env != NULL ? path_env : "") != 0) goto stale;
    } else if (strncmp(line, "exec ", 5) == 0 || strncmp(line, "noexec ", 7) == 0) {
      int want = line[0] == 'e';
      const char *file = line + (want ? 5 : 7);
      if (file[0] != '/' || (access(file, X_OK) == 0) != want) goto stale;
    } else if (strncmp(line, "blank ", 6) == 0) {
      if (line[6] != '/') goto stale;
      char *text = read_file(line + 6, 1 << 16);
      int blank = text != NULL && text[strspn(text, " \t\n\r")] == '\0';
      free(text);
      if (!blank) goto stale;
    } else if (strncmp(line, "body ", 5) == 0) {
      char *end;
      long long length = strtoll(line + 5, &end, 10);
      char *body = nl + 1;
      /* The whole body, to the end of the file (read_file refused a NUL inside). */
      if (*end != '\0' || length <= 0 || (size_t)length != strlen(body) || !named || !record_stamped) goto stale;
      char *text = strdup(body);
      free(cache);
      return text;
    } else {
      goto stale;
    }
  }
stale:
  free(cache);
  return NULL;
}

static void write_all(const char *data, size_t len) {
  while (len > 0) {
    ssize_t w = write(STDOUT_FILENO, data, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) exit(1);
    data += w;
    len -= (size_t)w;
  }
}

int main(int argc, char **argv) {
  const char *root_flag;
  int i = fast_command_start(argc, argv, "inspect", &root_flag);
  /* `--type container` (once) is the only flag; containers come first without it anyway. */
  if (i + 1 < argc && strcmp(argv[i], "--type") == 0 && strcmp(argv[i + 1], "container") == 0) i += 2;
  else if (i < argc && strcmp(argv[i], "--type=container") == 0) i++;
  if (i >= argc) fallback();
  for (int k = i; k < argc; k++)
    if (argv[k][0] == '-' || argv[k][0] == '\0' || !valid_utf8((const unsigned char *)argv[k])) fallback();

  char root[PATH_MAX];
  store_root(root_flag, root, sizeof root);
  int count = argc - i;
  char **texts = calloc((size_t)count, sizeof *texts);
  if (texts == NULL) fallback();
  size_t total = 0;
  for (int k = 0; k < count; k++) {
    const char *ref = argv[i + k];
    int by_name;
    char *id = resolve_container(root, ref, &by_name);
    if (id == NULL) fallback();
    texts[k] = cached_text(root, id, by_name ? ref : NULL);
    free(id);
    if (texts[k] == NULL) fallback();
    total += strlen(texts[k]) + 2;
  }
  /* inspectJsonText: "[\n" + the elements joined by ",\n" + "\n]\n". */
  char *out = malloc(total + 8);
  if (out == NULL) fallback();
  size_t len = 0;
  memcpy(out, "[\n", 2);
  len += 2;
  for (int k = 0; k < count; k++) {
    if (k > 0) {
      memcpy(out + len, ",\n", 2);
      len += 2;
    }
    size_t n = strlen(texts[k]);
    memcpy(out + len, texts[k], n);
    len += n;
  }
  memcpy(out + len, "\n]\n", 3);
  len += 3;
  write_all(out, len);
  /* For tests and benchmarks that must know which path answered. */
  const char *trace = getenv("BERTH_FAST_TRACE");
  if (trace != NULL && *trace != '\0') {
    static const char said[] = "berth: inspect answered by the native fast path\n";
    if (write(STDERR_FILENO, said, sizeof said - 1) < 0) return 0;
  }
  return 0;
}
