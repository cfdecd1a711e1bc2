/* assert.h — two tiers of assertions (CONVENTIONS 13).
 *
 * AUG_ASSERT(x) is always compiled, also in release builds, and aborts with
 * file:line and the build version. AUG_DEBUG_ASSERT(x) is compiled only with
 * -Ddebug_asserts=true (CI turns it on) and is meant for expensive checks such
 * as `AUG_DEBUG_ASSERT(rollup_check(r))`. ALWAYS(x)/NEVER(x) mark defensive
 * branches: they abort in debug-assert builds and evaluate to x otherwise.
 *
 * Never assert on external input: bad input is an aug_err.
 */
#ifndef AUG_UTIL_ASSERT_H
#define AUG_UTIL_ASSERT_H

_Noreturn void util_assert_fail(const char *expr, const char *file, int line);

#define AUG_ASSERT(x) ((x) ? (void)0 : util_assert_fail(#x, __FILE__, __LINE__))

#if defined(AUG_DEBUG_ASSERTS) && AUG_DEBUG_ASSERTS
#define AUG_DEBUG_ASSERT(x) AUG_ASSERT(x)
#define ALWAYS(x) ((x) ? 1 : (util_assert_fail(#x, __FILE__, __LINE__), 0))
#define NEVER(x) ((x) ? (util_assert_fail(#x, __FILE__, __LINE__), 1) : 0)
#else
#define AUG_DEBUG_ASSERT(x) ((void)0)
#define ALWAYS(x) (x)
#define NEVER(x) (x)
#endif

#endif
