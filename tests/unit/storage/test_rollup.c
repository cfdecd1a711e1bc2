/* Unit tests for storage/rollup.c: bucket arithmetic against hand-computed
 * expectations, counter resets, merge, and the invariant checker. */
#include "util/common.h"
#include "storage/rollup.h"

#include <float.h>

#include "../check.h"

/* Field by field: the struct has padding. */
static bool same(const store_rollup *a, const store_rollup *b)
{
    return a->count == b->count && a->sum == b->sum && a->min == b->min && a->max == b->max && a->last == b->last &&
           a->last_ts_ms == b->last_ts_ms && a->increase == b->increase;
}

typedef struct sample {
    int64_t ts_ms;
    double v;
} sample;

/* Feeds samples into per-minute buckets the way ingest does: prev is the
 * previous sample of the series, whatever bucket it fell in. */
static void feed(store_rollup *b, const sample *s, size_t n, bool *has_prev, double *prev)
{
    for (size_t i = 0; i < n; i++) {
        store_rollup_add(b, s[i].ts_ms, s[i].v, *has_prev, *prev);
        *has_prev = true;
        *prev = s[i].v;
    }
}

static void test_counter_with_resets(void)
{
    /* minute A: 10 (first sample), 15 (+5), 3 (reset: +3)
     * minute B:  8 (+5), 2 (reset: +2), 2 (+0)
     * total increase = 5 + 3 + 5 + 2 + 0 = 15 */
    const sample a[] = {{10000, 10}, {30000, 15}, {50000, 3}};
    const sample b[] = {{70000, 8}, {90000, 2}, {110000, 2}};
    store_rollup ra = {0}, rb = {0};
    bool has_prev = false;
    double prev = 0;
    feed(&ra, a, 3, &has_prev, &prev);
    feed(&rb, b, 3, &has_prev, &prev);

    CHECK_EQ_I64(ra.count, 3);
    CHECK(ra.sum == 28 && ra.min == 3 && ra.max == 15 && ra.last == 3);
    CHECK_EQ_I64(ra.last_ts_ms, 50000);
    CHECK(ra.increase == 8);
    CHECK(store_rollup_check(&ra));

    CHECK_EQ_I64(rb.count, 3);
    CHECK(rb.sum == 12 && rb.min == 2 && rb.max == 8 && rb.last == 2);
    CHECK_EQ_I64(rb.last_ts_ms, 110000);
    CHECK(rb.increase == 7);
    CHECK(store_rollup_check(&rb));

    /* The hour built from its minutes equals the hour fed directly. */
    store_rollup hour = {0}, direct = {0};
    store_rollup_merge(&hour, &ra);
    store_rollup_merge(&hour, &rb);
    has_prev = false;
    feed(&direct, a, 3, &has_prev, &prev);
    feed(&direct, b, 3, &has_prev, &prev);
    CHECK_EQ_I64(hour.count, 6);
    CHECK(hour.sum == 40 && hour.min == 2 && hour.max == 15 && hour.last == 2 && hour.increase == 15);
    CHECK_EQ_I64(hour.last_ts_ms, 110000);
    CHECK(same(&hour, &direct));
    CHECK(store_rollup_check(&hour));
}

static void test_first_sample_and_increase_base(void)
{
    /* A bucket whose first sample continues an earlier bucket gets the
     * increase across the boundary: prev 100 → 130 = +30. */
    store_rollup r = {0};
    store_rollup_add(&r, 60000, 130, true, 100);
    CHECK(r.count == 1 && r.sum == 130 && r.min == 130 && r.max == 130 && r.last == 130 && r.increase == 30);
    /* A series' very first sample contributes nothing. */
    store_rollup f = {0};
    store_rollup_add(&f, 60000, 130, false, 0);
    CHECK(f.increase == 0);
    /* A drop to a negative value (a gauge fed through) adds 0, keeping
     * increase >= 0; a drop to a positive value adds the value. */
    store_rollup g = {0};
    store_rollup_add(&g, 1000, -1, true, 0);   /* -1 < 0: reset to a negative → 0 */
    store_rollup_add(&g, 2000, -5, true, -1);  /* → 0 */
    store_rollup_add(&g, 3000, -2, true, -5);  /* rise of 3 → +3 */
    CHECK(g.increase == 3 && g.min == -5 && g.max == -1 && g.last == -2 && g.sum == -8);
    CHECK(store_rollup_check(&g));
}

static void test_merge_edges(void)
{
    store_rollup empty = {0}, r = {0};
    store_rollup_add(&r, 5000, 1.5, false, 0);
    store_rollup dst = empty;
    store_rollup_merge(&dst, &r); /* empty dst takes src */
    CHECK(same(&dst, &r));
    store_rollup_merge(&dst, &empty); /* empty src is a no-op */
    CHECK(same(&dst, &r));
    /* An earlier src does not replace last. */
    store_rollup early = {0};
    store_rollup_add(&early, 1000, 9, false, 0);
    store_rollup_merge(&dst, &early);
    CHECK(dst.last == 1.5 && dst.last_ts_ms == 5000 && dst.max == 9 && dst.count == 2);
    /* count saturates instead of wrapping */
    store_rollup big = {.count = UINT32_MAX - 1, .sum = 0, .last_ts_ms = 1};
    store_rollup_merge(&big, &dst);
    CHECK_EQ_I64(big.count, UINT32_MAX);
}

static void test_check_rejects_broken_buckets(void)
{
    store_rollup ok = {0};
    CHECK(store_rollup_check(&ok));
    store_rollup_add(&ok, 1000, 2, false, 0);
    store_rollup_add(&ok, 2000, 4, true, 2);
    CHECK(store_rollup_check(&ok));

    store_rollup r = {.sum = 1};
    CHECK(!store_rollup_check(&r)); /* count 0 with a non-zero field */
    r = ok;
    r.min = 5;
    CHECK(!store_rollup_check(&r)); /* min > max */
    r = ok;
    r.last = 10;
    CHECK(!store_rollup_check(&r)); /* last outside [min, max] */
    r = ok;
    r.sum = 100;
    CHECK(!store_rollup_check(&r)); /* mean outside [min, max] */
    r = ok;
    r.increase = -1;
    CHECK(!store_rollup_check(&r));
    r = ok;
    r.increase = (double)NAN;
    CHECK(!store_rollup_check(&r));
    r = ok;
    r.max = (double)INFINITY;
    CHECK(!store_rollup_check(&r));
    /* A sum that overflowed from legitimately huge values is accepted... */
    store_rollup huge = {0};
    store_rollup_add(&huge, 1, DBL_MAX, false, 0);
    store_rollup_add(&huge, 2, DBL_MAX, true, DBL_MAX);
    CHECK(isinf(huge.sum));
    CHECK(store_rollup_check(&huge));
    /* ...but not from small ones. */
    r = ok;
    r.sum = (double)INFINITY;
    CHECK(!store_rollup_check(&r));
    /* Rounding in a long sum stays within tolerance. */
    store_rollup many = {0};
    for (int i = 0; i < 100000; i++)
        store_rollup_add(&many, i, 0.1, i > 0, 0.1);
    CHECK(store_rollup_check(&many));
}

CHECK_MAIN(CHECK_CASE(test_counter_with_resets), CHECK_CASE(test_first_sample_and_increase_base),
           CHECK_CASE(test_merge_edges), CHECK_CASE(test_check_rejects_broken_buckets))
