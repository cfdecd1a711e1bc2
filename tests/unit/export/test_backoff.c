/* Unit tests for src/export/backoff.c (retry delays) and the status
 * classification of client.c (export_client_classify): which answers are retried, which dropped. */
#include "util/common.h"
#include "export/export_int.h"

#include "../check.h"

static void test_bounds_double_per_attempt(void)
{
    uint64_t rng = 42;
    for (unsigned a = 0; a < 70; a++) {
        int64_t ceil = a < 10 ? AUG_MIN((int64_t)30 << a, 5000) : 5000;
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (int i = 0; i < 2000; i++) {
            int64_t d = export_backoff_ms(30, 5000, a, &rng);
            lo = AUG_MIN(lo, d);
            hi = AUG_MAX(hi, d);
        }
        CHECK(lo >= 30 && hi <= ceil);
        /* The range is used, not a point: both ends are approached. */
        CHECK(lo <= 30 + (ceil - 30) / 10 && hi >= ceil - (ceil - 30) / 10);
    }
    /* Attempts far past 64 do not overflow the shift. */
    CHECK(export_backoff_ms(1, 3600000, 1000000, &rng) <= 3600000);
    CHECK(export_backoff_ms(1, 3600000, 63, &rng) >= 1);
}

static void test_clamps(void)
{
    uint64_t rng = 1;
    CHECK_EQ_I64(export_backoff_ms(0, 0, 5, &rng), 1);    /* min below 1 → 1 */
    CHECK_EQ_I64(export_backoff_ms(50, 10, 0, &rng), 50); /* max below min → min */
    CHECK_EQ_I64(export_backoff_ms(7, 7, 9, &rng), 7);
}

static void test_uniform_and_seeded(void)
{
    /* Attempt 3 with min 10: uniform over [10, 80], mean 45. */
    uint64_t rng = 0x1234;
    double sum = 0;
    int hist[8] = {0};
    enum { N = 70000 };
    for (int i = 0; i < N; i++) {
        int64_t d = export_backoff_ms(10, 1000, 3, &rng);
        sum += (double)d;
        hist[(d - 10) * 8 / 71]++;
    }
    CHECK_NEAR(sum / N, 45.0, 0.5);
    for (int b = 0; b < 8; b++)
        CHECK(hist[b] > N / 8 * 9 / 10 && hist[b] < N / 8 * 11 / 10);

    uint64_t a = 99, b = 99, c = 100;
    bool differ = false;
    for (int i = 0; i < 32; i++) {
        int64_t x = export_backoff_ms(1, 100000, 20, &a);
        CHECK_EQ_I64(x, export_backoff_ms(1, 100000, 20, &b)); /* same seed, same delays */
        differ |= x != export_backoff_ms(1, 100000, 20, &c);
    }
    CHECK(differ);
}

static void test_classify(void)
{
    CHECK_EQ_I64(export_client_classify(200), EXPORT_CLASS_SENT);
    CHECK_EQ_I64(export_client_classify(204), EXPORT_CLASS_SENT);
    CHECK_EQ_I64(export_client_classify(299), EXPORT_CLASS_SENT);
    CHECK_EQ_I64(export_client_classify(0), EXPORT_CLASS_RETRY); /* no response */
    CHECK_EQ_I64(export_client_classify(429), EXPORT_CLASS_RETRY);
    CHECK_EQ_I64(export_client_classify(500), EXPORT_CLASS_RETRY);
    CHECK_EQ_I64(export_client_classify(503), EXPORT_CLASS_RETRY);
    CHECK_EQ_I64(export_client_classify(599), EXPORT_CLASS_RETRY);
    CHECK_EQ_I64(export_client_classify(400), EXPORT_CLASS_DROP_4XX);
    CHECK_EQ_I64(export_client_classify(401), EXPORT_CLASS_DROP_4XX);
    CHECK_EQ_I64(export_client_classify(404), EXPORT_CLASS_DROP_4XX);
    CHECK_EQ_I64(export_client_classify(413), EXPORT_CLASS_DROP_4XX);
    CHECK_EQ_I64(export_client_classify(499), EXPORT_CLASS_DROP_4XX);
    CHECK_EQ_I64(export_client_classify(100), EXPORT_CLASS_DROP_OTHER);
    CHECK_EQ_I64(export_client_classify(301), EXPORT_CLASS_DROP_OTHER);
    CHECK_EQ_I64(export_client_classify(600), EXPORT_CLASS_DROP_OTHER);
}

CHECK_MAIN(CHECK_CASE(test_bounds_double_per_attempt), CHECK_CASE(test_clamps), CHECK_CASE(test_uniform_and_seeded),
           CHECK_CASE(test_classify))
