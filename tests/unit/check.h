/* check.h — augur's in-house unit test harness (CONVENTIONS 15).
 *
 * A test file defines `static void test_x(void)` functions and lists them in
 * CHECK_MAIN(test_a, test_b, ...). Run with no argument to run all, or with
 * test names to run only those. A failed CHECK prints file:line and the
 * expression, marks the test failed, and continues with the next test.
 * Random tests use check_rand(). Each test starts from its own fixed seed,
 * derived from its name, so what it draws does not depend on which tests ran
 * before it: a test run alone sees what it sees in the whole file. CHECK_SEED
 * (env) sets the seed every test starts from instead; a failure prints the
 * test's seed, so `CHECK_SEED=<seed> ./test_x test_name` replays it.
 */
#ifndef AUG_TESTS_CHECK_H
#define AUG_TESTS_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_in_test;
static uint64_t check_seed;

#define CHECK(x) \
    do { \
        if (!(x)) { \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #x); \
            check_failed_in_test = 1; \
        } \
    } while (0)

#define CHECK_EQ_I64(a, b) \
    do { \
        int64_t check_a_ = (int64_t)(a), check_b_ = (int64_t)(b); \
        if (check_a_ != check_b_) { \
            fprintf(stderr, "%s:%d: %s == %s failed: %" PRId64 " != %" PRId64 "\n", __FILE__, __LINE__, #a, \
                    #b, check_a_, check_b_); \
            check_failed_in_test = 1; \
        } \
    } while (0)

#define CHECK_NEAR(a, b, tol) \
    do { \
        double check_a_ = (double)(a), check_b_ = (double)(b); \
        if (!(fabs(check_a_ - check_b_) <= (double)(tol))) { \
            fprintf(stderr, "%s:%d: %s ~= %s failed: %.17g vs %.17g (tol %g)\n", __FILE__, __LINE__, #a, #b, \
                    check_a_, check_b_, (double)(tol)); \
            check_failed_in_test = 1; \
        } \
    } while (0)

#define CHECK_STR(a, b) \
    do { \
        const char *check_a_ = (a), *check_b_ = (b); \
        if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) { \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" vs \"%s\"\n", __FILE__, __LINE__, #a, #b, \
                    check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
            check_failed_in_test = 1; \
        } \
    } while (0)

/* Reads the file at $AUG_SRCDIR/rel (meson sets AUG_SRCDIR to the source
 * tree for tests that read checked-in fixtures) into buf. Returns the
 * number of bytes read, or 0 after a failed CHECK naming the problem (no
 * AUG_SRCDIR, no such file, or the file fills buf: cap too small). */
static inline size_t check_read_src(const char *rel, unsigned char *buf, size_t cap)
{
    const char *src = getenv("AUG_SRCDIR");
    char path[4096];
    if (src == NULL) {
        fprintf(stderr, "%s: AUG_SRCDIR is not set\n", rel);
        check_failed_in_test = 1;
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s", src, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        check_failed_in_test = 1;
        return 0;
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    if (n == cap) {
        fprintf(stderr, "%s: larger than the %zu-byte buffer\n", path, cap);
        check_failed_in_test = 1;
        return 0;
    }
    return n;
}

/* xorshift64*: deterministic, seedable. */
static inline uint64_t check_rand(void)
{
    check_seed ^= check_seed >> 12;
    check_seed ^= check_seed << 25;
    check_seed ^= check_seed >> 27;
    return check_seed * 0x2545F4914F6CDD1DULL;
}

/* FNV-1a of the name mixed into the default seed; never 0, which would
 * stick xorshift at 0. */
static inline uint64_t check_seed_of(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *c = name; *c; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    h ^= 0x5eed5eed12345678ULL;
    return h != 0 ? h : 0x5eed5eed12345678ULL;
}

typedef struct check_case {
    const char *name;
    void (*fn)(void);
} check_case;

static inline int check_run(const check_case *cases, size_t n, int argc, char **argv)
{
    const char *env = getenv("CHECK_SEED");
    int failed = 0, ran = 0;
    for (size_t i = 0; i < n; i++) {
        int wanted = argc <= 1;
        for (int a = 1; a < argc; a++)
            wanted |= strcmp(argv[a], cases[i].name) == 0;
        if (!wanted)
            continue;
        check_failed_in_test = 0;
        uint64_t seed0 = env != NULL ? strtoull(env, NULL, 0) : check_seed_of(cases[i].name);
        check_seed = seed0;
        cases[i].fn();
        ran++;
        if (check_failed_in_test) {
            failed++;
            fprintf(stderr, "FAIL %s (CHECK_SEED=0x%016" PRIx64 ")\n", cases[i].name, seed0);
        } else {
            fprintf(stderr, "ok   %s\n", cases[i].name);
        }
    }
    fprintf(stderr, "%d passed, %d failed\n", ran - failed, failed);
    return failed == 0 && ran > 0 ? 0 : 1;
}

#define CHECK_CASE(f) {#f, f}
#define CHECK_MAIN(...) \
    int main(int argc, char **argv) \
    { \
        static const check_case cases[] = {__VA_ARGS__}; \
        return check_run(cases, sizeof cases / sizeof cases[0], argc, argv); \
    }

#endif
