/* assert.c — the one place an assertion failure is reported. */
#include "util/common.h"
#include "util/assert.h"

#ifndef AUG_VERSION
#define AUG_VERSION "unknown"
#endif

_Noreturn void util_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "augur %s: assertion failed: %s (%s:%d)\n", AUG_VERSION, expr, file, line);
    fflush(stderr);
    abort();
}
