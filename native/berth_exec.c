/*
 * berth-exec: the native fast path of `berth exec`. `docker exec` answers in ~85 ms here, and a Node
 * process alone takes ~65 ms to start, so `berth exec CONTAINER CMD` can only be quick without
 * Node. bin/berth hands command lines that contain an `exec` word to this program; it runs the
 * common forms itself and gives everything else to the Node CLI (bin/berth.cjs), unchanged.
 *
 * It runs only what it can run exactly as the Node CLI would (services/container-exec.ts):
 *   berth [--root DIR] exec [-i] [--interactive] CONTAINER COMMAND [ARG...]
 * with CONTAINER a full id, a name or a unique id prefix of a container whose record says
 * "running" and whose monitor is alive. The process is the container's own (user, working
 * directory, environment, capabilities...) with COMMAND as its arguments: the template that
 * `berth start` wrote beside config.json (containers/<id>/exec-template, see
 * services/exec-template.ts), completed with the arguments, and handed to `<runtime> exec
 * --process FILE`. `-t` goes to Node: the terminal comes over a console socket and Node copies
 * it (cli/commands/exec.ts). Any other flag, an odd record, a missing template, an argument
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth_fast.h"

#define TEMPLATE_MAGIC "berth-exec-template 1"

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
  const char *root_flag;
  int i = fast_command_start(argc, argv, "exec", &root_flag);
  int interactive = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-i") == 0 || strcmp(a, "--interactive") == 0) interactive = 1;
    else fallback();
  }
  if (argc - i < 2) fallback();
  const char *ref = argv[i];
  char **cmd = argv + i + 1;
  int ncmd = argc - i - 1;
  for (int k = 0; k < ncmd; k++)
    if (!valid_utf8((const unsigned char *)cmd[k])) fallback();
  if (!valid_utf8((const unsigned char *)ref)) fallback();

  char root[PATH_MAX];
  store_root(root_flag, root, sizeof root);
  char *id = resolve_container(root, ref, NULL);
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
  fprintf(out, "],\"terminal\":false,%s", process + 1);
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
  rt[n++] = id;
  rt[n] = NULL;

  pid_t child = fork();
  if (child < 0) {
    unlink(process_file);
    fallback();
  }
  if (child == 0) {
    /* As the Node CLI spawns it: its own session. */
    setsid();
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
    fast_argv = report;
    fast_argc = 10;
    fallback();
  }
  unlink(log_file);
  return code;
}
