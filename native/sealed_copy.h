/* A sealed in-memory copy of a program, shared by the addon (berth_sys.c) and berth-monitor. */
#ifndef BERTH_SEALED_COPY_H
#define BERTH_SEALED_COPY_H

#include <sys/types.h>

/* The seals crun and runc look for on their own executable (cloned_binary.c, CVE-2019-5736). */
#define SEALED_COPY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/*
 * A memfd (close-on-exec) named `name` holding the bytes of the regular file at `path`, sealed
 * with SEALED_COPY_SEALS; -1 with errno set when it cannot be made, or EFBIG when the file is
 * larger than `max_size` (0: no limit).
 */
int sealed_copy(const char *path, const char *name, off_t max_size);

#endif
