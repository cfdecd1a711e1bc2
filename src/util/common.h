/* common.h — the first include of every augur .c file.
 *
 * Pulls in the system headers nearly every module needs, then poisons the
 * libc functions that have no bound or no error report (CONVENTIONS 8). The
 * poison must come after every system include, so a .c includes this header
 * LAST among system headers or, simpler, first and only this one.
 */
#ifndef AUG_UTIL_COMMON_H
#define AUG_UTIL_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define AUG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define AUG_MAX(a, b) ((a) > (b) ? (a) : (b))
#define AUG_UNUSED(x) ((void)(x))

/* A non-owning view of input bytes (CONVENTIONS 6). */
typedef struct aug_bytes {
    const uint8_t *p;
    size_t len;
} aug_bytes;

/* A non-owning view of a string that need not be NUL-terminated. */
typedef struct aug_str {
    const char *p;
    size_t len;
} aug_str;

/* Integer division rounding towards -inf / +inf (C rounds towards 0): the
 * bucket of a negative timestamp is the one before zero, not zero's.
 * b > 0. */
static inline int64_t util_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static inline int64_t util_ceil_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a > 0) ? q + 1 : q;
}

#pragma GCC poison sprintf strcpy strcat strtok atoi atol gets

#endif
