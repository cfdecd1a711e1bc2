/* Unit tests for storage/wal.c and storage/state.c: WAL append / replay
 * after a seq / truncate, ingest state checkpoints, stored garbage. */
#include "helpers.h"

typedef struct seen {
    uint64_t seqs[64];
    size_t counts[64];
    size_t n;
    bool values_ok;
} seen;

static aug_err record(void *arg, uint64_t seq, const store_wal_entry *e, size_t n)
{
    seen *s = arg;
    if (s->n < 64) {
        s->seqs[s->n] = seq;
        s->counts[s->n] = n;
    }
    s->n++;
    for (size_t i = 0; i < n; i++)
        if (e[i].id != (uint32_t)(seq * 10 + i) || e[i].ts_ms != (int64_t)seq * 1000 ||
            util_f64_bits(e[i].value) != (i == 0 ? STALE_NAN_BITS : util_f64_bits((double)i / 3)))
            s->values_ok = false;
    return AUG_OK;
}

static void append(store_txn *t, uint64_t seq, size_t n, aug_err want)
{
    store_wal_entry e[16];
    for (size_t i = 0; i < n; i++)
        e[i] = (store_wal_entry){(uint32_t)(seq * 10 + i), (int64_t)seq * 1000,
                                 i == 0 ? util_bits_f64(STALE_NAN_BITS) : (double)i / 3};
    CHECK_EQ_I64(store_wal_append(t, seq, e, n), want);
}

static seen replay(store *s, uint64_t after)
{
    seen r = {.values_ok = true};
    store_txn *t = begin(s, false);
    CHECK_EQ_I64(store_wal_foreach(t, after, record, &r), AUG_OK);
    store_txn_abort(t);
    CHECK(r.values_ok);
    return r;
}

static aug_err fail_on_third(void *arg, uint64_t seq, const store_wal_entry *e, size_t n)
{
    (void)seq;
    (void)e;
    (void)n;
    return ++*(int *)arg == 3 ? AUG_ESHUTDOWN : AUG_OK;
}

static void test_wal_append_foreach_truncate(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    for (uint64_t seq = 1; seq <= 10; seq++)
        append(t, seq * 2, seq % 4, AUG_OK); /* seqs 2,4,..,20; 0 entries for some */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, true);
    append(t, 20, 1, AUG_EINVAL); /* not above the last */
    store_txn_abort(t);
    t = begin(s, true);
    append(t, 3, 1, AUG_EINVAL);
    store_txn_abort(t);
    t = begin(s, true);
    store_wal_entry zero = {0, 1, 1};
    CHECK_EQ_I64(store_wal_append(t, 100, &zero, 1), AUG_EINVAL); /* id 0 */
    store_txn_abort(t);

    seen r = replay(s, 0);
    CHECK_EQ_I64(r.n, 10);
    CHECK(r.seqs[0] == 2 && r.counts[0] == 1 && r.seqs[9] == 20 && r.counts[9] == 2);
    r = replay(s, 13); /* after a seq that is not present */
    CHECK(r.n == 4 && r.seqs[0] == 14);
    r = replay(s, 14);
    CHECK(r.n == 3 && r.seqs[0] == 16);
    CHECK_EQ_I64(replay(s, 20).n, 0);
    CHECK_EQ_I64(replay(s, UINT64_MAX).n, 0);
    int calls = 0;
    t = begin(s, false);
    CHECK_EQ_I64(store_wal_foreach(t, 0, fail_on_third, &calls), AUG_ESHUTDOWN);
    store_txn_abort(t);

    /* partial truncate, then truncate of everything, then appends go on */
    t = begin(s, true);
    CHECK_EQ_I64(store_wal_truncate(t, 9), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    r = replay(s, 0);
    CHECK(r.n == 6 && r.seqs[0] == 10);
    t = begin(s, true);
    CHECK_EQ_I64(store_wal_truncate(t, 1), AUG_OK); /* nothing that old */
    CHECK_EQ_I64(store_wal_truncate(t, 20), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    CHECK_EQ_I64(replay(s, 0).n, 0);
    t = begin(s, true);
    CHECK_EQ_I64(store_wal_truncate(t, 100), AUG_OK); /* empty WAL */
    append(t, 21, 3, AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    r = replay(s, 0);
    CHECK(r.n == 1 && r.seqs[0] == 21 && r.counts[0] == 3);
    store_stats st;
    CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    CHECK_EQ_I64(st.wal_records, 1);
    store_close(s);
    tmp_remove();
}

static void test_wal_garbage_and_versions(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    append(t, 1, 2, AUG_OK);
    uint8_t k[8];
    store_key_u64_encode(2, k);
    CHECK_EQ_I64(raw_put(t, s->wal, k, 8, "\x02\x00", 2), 0);
    store_key_u64_encode(3, k);
    CHECK_EQ_I64(raw_put(t, s->wal, k, 8, "\x01\x05\x00", 3), 0); /* count past the bytes */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    seen r = {.values_ok = true};
    t = begin(s, false);
    CHECK_EQ_I64(store_wal_foreach(t, 0, record, &r), AUG_EVERSION);
    CHECK_EQ_I64(r.n, 1);
    r.n = 0;
    CHECK_EQ_I64(store_wal_foreach(t, 2, record, &r), AUG_ECORRUPT);
    CHECK_EQ_I64(r.n, 0);
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

typedef struct states {
    uint32_t ids[8];
    store_series_state st[8];
    size_t n;
} states;

static aug_err keep_state(void *arg, uint32_t id, const store_series_state *st)
{
    states *s = arg;
    if (s->n == 8)
        return AUG_ETOOBIG;
    s->ids[s->n] = id;
    s->st[s->n++] = *st;
    return AUG_OK;
}

static void test_state_round_trip(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_rollup m = {.count = 3, .sum = 6, .min = 1, .max = 3, .last = 2, .last_ts_ms = 1700000059000, .increase = 4};
    store_rollup h = {.count = 40, .sum = 100, .min = 1, .max = 3, .last = 2, .last_ts_ms = 1700000059000};
    store_series_state full = {.last_ts_ms = 1700000059000, .prev_value = 2, .has_prev = true,
                               .minute_start_s = 1700000040, .minute = m, .hour_start_s = 1699999200, .hour = h};
    store_series_state stale = {.last_ts_ms = 1700000001000, .stale = true};
    store_series_state fresh = {.last_ts_ms = INT64_MIN};
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_state_put(t, 7, &full), AUG_OK);
    CHECK_EQ_I64(store_state_put(t, 3, &stale), AUG_OK);
    CHECK_EQ_I64(store_state_put(t, 300, &fresh), AUG_OK);
    CHECK_EQ_I64(store_state_put(t, 3, &stale), AUG_OK); /* overwrite */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    t = begin(s, true);
    CHECK_EQ_I64(store_state_put(t, 0, &fresh), AUG_EINVAL);
    store_txn_abort(t);

    states got = {0};
    t = begin(s, false);
    CHECK_EQ_I64(store_state_foreach(t, keep_state, &got), AUG_OK);
    store_txn_abort(t);
    CHECK_EQ_I64(got.n, 3);
    CHECK(got.ids[0] == 3 && got.ids[1] == 7 && got.ids[2] == 300); /* id order */
    CHECK(state_eq(&got.st[1], &full));
    CHECK(got.st[0].stale && !got.st[0].has_prev && got.st[0].last_ts_ms == 1700000001000);
    CHECK(got.st[0].minute.count == 0 && got.st[0].hour.count == 0);
    CHECK_EQ_I64(got.st[2].last_ts_ms, INT64_MIN);

    /* garbage */
    t = begin(s, true);
    uint8_t k[4];
    store_key_u32_encode(400, k);
    CHECK_EQ_I64(raw_put(t, s->state, k, 4, "\x01\x0d", 2), 0); /* flags promise more */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    got = (states){0};
    t = begin(s, false);
    CHECK_EQ_I64(store_state_foreach(t, keep_state, &got), AUG_ECORRUPT);
    CHECK_EQ_I64(got.n, 3);
    store_txn_abort(t);
    t = begin(s, true);
    CHECK_EQ_I64(raw_put(t, s->state, k, 3, "\x01\x00", 2), 0); /* 3-byte key */
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    got = (states){0};
    t = begin(s, false);
    CHECK_EQ_I64(store_state_foreach(t, keep_state, &got), AUG_ECORRUPT);
    CHECK_EQ_I64(got.n, 2); /* 00 00 01 sorts after ids 3 and 7, before 300 */
    store_txn_abort(t);
    store_close(s);
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_wal_append_foreach_truncate), CHECK_CASE(test_wal_garbage_and_versions),
           CHECK_CASE(test_state_round_trip))
