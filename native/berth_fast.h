/*
 * What the native fast paths of the berth command (berth_exec.c: `berth exec`; berth_inspect.c:
 * `berth inspect`) share: handing the command line to the Node CLI, reading the store, and
 * resolving a container as the Node CLI does (plugins/metadata-fs/fs-metadata-store.ts).
 */
#ifndef BERTH_FAST_H
#define BERTH_FAST_H

#include <stddef.h>

/* The command line the program was started with (set by main, before any fallback). */
extern char **fast_argv;
extern int fast_argc;

/*
 * Starts a fast path's main: keeps the command line in fast_argv/fast_argc, reads an optional
 * leading `--root DIR` / `--root=DIR` into *root_flag (NULL without), and returns the index of the
 * word after `command`; any other command line goes to the Node CLI (fallback).
 */
int fast_command_start(int argc, char **argv, const char *command, const char **root_flag);

/* Gives the whole command line (fast_argv) to the Node CLI: bin/berth.cjs beside this checkout's bin/. */
void fallback(void) __attribute__((noreturn));

/* snprintf into a path buffer; a path too long for it is not for the fast path (fallback). */
void format_path(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* A whole file, NUL-terminated, at most `limit` bytes (about); NULL when unreadable or holding a NUL. */
char *read_file(const char *path, size_t limit);

/* The store root: --root's value, else BERTH_ROOT, else /var/lib/berth, as a real path (fallback if none). */
void store_root(const char *root_flag, char *root, size_t size);

/* Docker's precedence: a full id, then a name, then a unique id prefix. NULL: let Node decide.
 * `by_name` (may be NULL) says whether the name link gave the id. */
char *resolve_container(const char *root, const char *ref, int *by_name);

/* Field 22 of /proc/<pid>/stat (start time in clock ticks), or -1 when gone or a zombie. */
long long process_start_time(long long pid);

/* The number after `key` in `text`, or -1. */
long long number_after(const char *text, const char *key);

int valid_utf8(const unsigned char *s);

#endif
