/*
 * libaddr: a tiny street-address normaliser (in the spirit of libpostal,
 * but a few hundred lines of C). Public API; ABI version 1.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

/* configure reads the version from these three lines; keep their format. */
#define ADDR_VERSION_MAJOR 1
#define ADDR_VERSION_MINOR 0
#define ADDR_VERSION_PATCH 0
#define ADDR_VERSION "1.0.0"

/* The library's own build sets ADDR_API to mark exported symbols. */
#ifndef ADDR_API
#define ADDR_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the library actually loaded, e.g. "1.0.0". Never NULL. */
ADDR_API const char *addr_version(void);

/*
 * Normalise a NUL-terminated address: ASCII letters are lowercased,
 * punctuation and runs of whitespace become single spaces, apostrophes and
 * the dots of initials ("N.W.") are dropped, and common abbreviations are
 * expanded ("st" -> "street", "ave" -> "avenue", "nw" -> "northwest").
 * Bytes >= 0x80 (UTF-8) are copied unchanged.
 *
 * Works like snprintf: writes at most outlen bytes including the final NUL
 * (nothing if outlen is 0) and returns the length of the full result, so a
 * return value >= outlen means the output was truncated. NULL input is
 * treated as the empty string.
 */
ADDR_API size_t addr_normalize(const char *in, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif /* ADDR_H */
