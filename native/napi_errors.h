/*
 * What berth_sys.c gives the addon's other files (api_lane.c): errors as Node's own carry them,
 * and string arguments.
 */
#ifndef BERTH_NAPI_ERRORS_H
#define BERTH_NAPI_ERRORS_H

#include <node_api.h>

/* Throws an Error like Node's fs errors: message, `code` (the errno name), `errno`, `syscall`; returns NULL. */
napi_value throw_errno(napi_env env, const char *syscall, const char *path, int err);

/* A malloc'd copy of a JS string argument; NULL for anything else (or out of memory). */
char *string_arg(napi_env env, napi_value value);

#endif
