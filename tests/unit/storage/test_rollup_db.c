/* Unit tests for storage/rollup_db.c: bucket put/get, range iterators and
 * their bounds, retention deletes, and stored garbage. */
#include "helpers.h"

static store_rollup bucket(double v, int64_t ts_ms)
{
    return (store_rollup){.count = 1, .sum = v, .min = v, .max = v, .last = v, .last_ts_ms = ts_ms};
}

/* Series 1..3, minute buckets at -120..540 s step 60, and hour buckets. */
static store *fixture(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    for (uint32_t id = 1; id <= 3; id++) {
        for (int64_t st = -120; st < 600; st += 60) {
            store_rollup r = bucket((double)(id * 1000 + (uint32_t)(st + 120)), st * 1000 + 5000);
            CHECK_EQ_I64(store_rollup_put(t, id, STORE_RES_MINUTE, st, &r), AUG_OK);
        }
        for (int64_t st = -3600; st <= 7200; st += 3600) {
            store_rollup r = bucket(-(double)id, st * 1000);
            CHECK_EQ_I64(store_rollup_put(t, id, STORE_RES_HOUR, st, &r), AUG_OK);
        }
    }
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    return s;
}

/* Collects [from, to) of one series; returns the count, starts into out. */
static size_t range(store_txn *t, uint32_t id, store_res res, int64_t from, int64_t to, int64_t *out, size_t cap)
{
    store_rollup_iter *it = NULL;
    CHECK_EQ_I64(store_rollup_iter_open(t, id, res, from, to, &it), AUG_OK);
    if (it == NULL)
        return 0;
    size_t n = 0;
    int64_t st;
    store_rollup r;
    aug_err e;
    while ((e = store_rollup_iter_next(it, &st, &r)) == AUG_OK) {
        CHECK(st >= from && st < to);
        if (res == STORE_RES_MINUTE)
            CHECK(r.sum == (double)(id * 1000 + (uint32_t)(st + 120)) && r.last_ts_ms == st * 1000 + 5000);
        else
            CHECK(r.sum == -(double)id);
        if (n < cap)
            out[n] = st;
        n++;
    }
    CHECK_EQ_I64(e, AUG_ENOTFOUND);
    CHECK_EQ_I64(store_rollup_iter_next(it, &st, &r), AUG_ENOTFOUND); /* stays at the end */
    store_rollup_iter_close(it);
    return n;
}

static void test_put_get(void)
{
    store *s = fixture();
    store_txn *t = begin(s, false);
    store_rollup r;
    CHECK_EQ_I64(store_rollup_get(t, 2, STORE_RES_MINUTE, -60, &r), AUG_OK);
    CHECK(r.sum == 2060 && r.last_ts_ms == -55000 && r.count == 1);
    CHECK_EQ_I64(store_rollup_get(t, 2, STORE_RES_MINUTE, 600, &r), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_rollup_get(t, 4, STORE_RES_MINUTE, 0, &r), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_rollup_get(t, 2, (store_res)3, 0, &r), AUG_EINVAL);
    store_txn_abort(t);
    /* Overwrite in place (an open bucket updated by a later group commit). */
    t = begin(s, true);
    store_rollup two = bucket(7, 65000);
    store_rollup_add(&two, 70000, 9, true, 7);
    CHECK_EQ_I64(store_rollup_put(t, 2, STORE_RES_MINUTE, 60, &two), AUG_OK);
    CHECK_EQ_I64(store_rollup_get(t, 2, STORE_RES_MINUTE, 60, &r), AUG_OK);
    CHECK(rollup_eq(&r, &two));
    /* Validation: id 0, unknown resolution, unaligned starts, out of range. */
    CHECK_EQ_I64(store_rollup_put(t, 0, STORE_RES_MINUTE, 60, &two), AUG_EINVAL);
    store_txn_abort(t);
    const struct {
        store_res res;
        int64_t start;
    } bad[] = {{(store_res)0, 60}, {STORE_RES_MINUTE, 30}, {STORE_RES_HOUR, 60}, {STORE_RES_MINUTE, -61},
               {STORE_RES_MINUTE, INT64_MAX / 1000 + 60}};
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad); i++) {
        t = begin(s, true);
        CHECK_EQ_I64(store_rollup_put(t, 1, bad[i].res, bad[i].start, &two), AUG_EINVAL);
        store_txn_abort(t);
    }
    store_close(s);
    tmp_remove();
}

static void test_iterator_bounds(void)
{
    store *s = fixture();
    store_txn *t = begin(s, false);
    int64_t st[32];
    size_t n = range(t, 2, STORE_RES_MINUTE, INT64_MIN, INT64_MAX, st, 32);
    CHECK_EQ_I64(n, 12);
    CHECK(st[0] == -120 && st[11] == 540);
    for (size_t i = 1; i < n && i < 32; i++)
        CHECK(st[i] == st[i - 1] + 60);
    /* [0, 180): 0, 60, 120 — to is exclusive, from inclusive */
    n = range(t, 2, STORE_RES_MINUTE, 0, 180, st, 32);
    CHECK(n == 3 && st[0] == 0 && st[2] == 120);
    /* unaligned bounds */
    n = range(t, 2, STORE_RES_MINUTE, -59, 61, st, 32);
    CHECK(n == 2 && st[0] == 0 && st[1] == 60);
    /* empty and inverted ranges, ranges past either end */
    CHECK_EQ_I64(range(t, 2, STORE_RES_MINUTE, 60, 60, st, 32), 0);
    CHECK_EQ_I64(range(t, 2, STORE_RES_MINUTE, 600, 0, st, 32), 0);
    CHECK_EQ_I64(range(t, 2, STORE_RES_MINUTE, 600, 6000, st, 32), 0);
    CHECK_EQ_I64(range(t, 2, STORE_RES_MINUTE, -9999, -120, st, 32), 0);
    /* the last series and resolution end at the end of the DBI */
    CHECK_EQ_I64(range(t, 3, STORE_RES_HOUR, 0, INT64_MAX, st, 32), 3);
    CHECK_EQ_I64(range(t, 1, STORE_RES_HOUR, INT64_MIN, INT64_MAX, st, 32), 4);
    CHECK_EQ_I64(range(t, 9, STORE_RES_MINUTE, INT64_MIN, INT64_MAX, st, 32), 0);
    /* two iterators at once on one txn */
    store_rollup_iter *a, *b;
    int64_t sa, sb;
    store_rollup ra, rb;
    CHECK_EQ_I64(store_rollup_iter_open(t, 1, STORE_RES_MINUTE, 0, 600, &a), AUG_OK);
    CHECK_EQ_I64(store_rollup_iter_open(t, 3, STORE_RES_MINUTE, 0, 600, &b), AUG_OK);
    CHECK_EQ_I64(store_rollup_iter_next(a, &sa, &ra), AUG_OK);
    CHECK_EQ_I64(store_rollup_iter_next(b, &sb, &rb), AUG_OK);
    CHECK(ra.sum == 1120 && rb.sum == 3120);
    store_rollup_iter_close(a);
    store_rollup_iter_close(b);
    store_rollup_iter_close(NULL);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

static void test_expire_bounded(void)
{
    store *s = fixture();
    store_txn *t = begin(s, true);
    size_t del;
    /* 12 minute buckets of series 2 from -120; expire those before 300 (7) in steps of 3. */
    CHECK_EQ_I64(store_rollup_expire(t, 2, STORE_RES_MINUTE, 300, 3, &del), AUG_OK);
    CHECK_EQ_I64(del, 3);
    CHECK_EQ_I64(store_rollup_expire(t, 2, STORE_RES_MINUTE, 300, 3, &del), AUG_OK);
    CHECK_EQ_I64(del, 3);
    CHECK_EQ_I64(store_rollup_expire(t, 2, STORE_RES_MINUTE, 300, 3, &del), AUG_OK);
    CHECK_EQ_I64(del, 1); /* < max: done */
    CHECK_EQ_I64(store_rollup_expire(t, 2, STORE_RES_MINUTE, 300, 3, &del), AUG_OK);
    CHECK_EQ_I64(del, 0);
    CHECK_EQ_I64(store_rollup_expire(t, 2, STORE_RES_MINUTE, 300, 0, &del), AUG_OK);
    CHECK_EQ_I64(del, 0);
    CHECK_EQ_I64(store_rollup_expire(t, 9, STORE_RES_MINUTE, 300, 10, &del), AUG_OK);
    CHECK_EQ_I64(del, 0);
    /* the last series/resolution in the DBI */
    CHECK_EQ_I64(store_rollup_expire(t, 3, STORE_RES_HOUR, INT64_MAX, 100, &del), AUG_OK);
    CHECK_EQ_I64(del, 4);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    int64_t st[16];
    size_t n = range(t, 2, STORE_RES_MINUTE, INT64_MIN, INT64_MAX, st, 16);
    CHECK(n == 5 && st[0] == 300);
    /* neighbours untouched */
    CHECK_EQ_I64(range(t, 1, STORE_RES_MINUTE, INT64_MIN, INT64_MAX, st, 16), 12);
    CHECK_EQ_I64(range(t, 3, STORE_RES_MINUTE, INT64_MIN, INT64_MAX, st, 16), 12);
    CHECK_EQ_I64(range(t, 2, STORE_RES_HOUR, INT64_MIN, INT64_MAX, st, 16), 4);
    CHECK_EQ_I64(store_rollup_expire(t, 2, STORE_RES_MINUTE, 300, 3, &del), AUG_EINVAL); /* read txn */
    store_txn_abort(t);
    store_stats ss;
    CHECK_EQ_I64(store_stats_get(s, &ss), AUG_OK);
    CHECK_EQ_I64(ss.rollups, 3 * 12 + 3 * 4 - 7 - 4);
    store_close(s);
    tmp_remove();
}

static void test_garbage_and_versions(void)
{
    store *s = fixture();
    store_txn *t = begin(s, true);
    uint8_t k[STORE_ROLLUP_KEY_LEN];
    store_record_rollup_key_encode(2, STORE_RES_MINUTE, 60, k);
    CHECK_EQ_I64(raw_put(t, s->rollup, k, sizeof k, "\x09\x03\x01\x00", 4), 0); /* version 9 */
    store_record_rollup_key_encode(2, STORE_RES_MINUTE, 120, k);
    CHECK_EQ_I64(raw_put(t, s->rollup, k, sizeof k, "\x01\x03\x01\x00\x3f", 5), 0); /* truncated */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, false);
    store_rollup r;
    CHECK_EQ_I64(store_rollup_get(t, 2, STORE_RES_MINUTE, 60, &r), AUG_EVERSION);
    CHECK_EQ_I64(store_rollup_get(t, 2, STORE_RES_MINUTE, 120, &r), AUG_ECORRUPT);
    store_rollup_iter *it;
    int64_t st;
    CHECK_EQ_I64(store_rollup_iter_open(t, 2, STORE_RES_MINUTE, 0, 600, &it), AUG_OK);
    CHECK_EQ_I64(store_rollup_iter_next(it, &st, &r), AUG_OK); /* 0 is fine */
    CHECK_EQ_I64(store_rollup_iter_next(it, &st, &r), AUG_EVERSION);
    CHECK_EQ_I64(store_rollup_iter_next(it, &st, &r), AUG_ENOTFOUND);
    store_rollup_iter_close(it);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_put_get), CHECK_CASE(test_iterator_bounds), CHECK_CASE(test_expire_bounded),
           CHECK_CASE(test_garbage_and_versions))
