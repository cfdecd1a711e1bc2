/* Unit tests for storage/store.c on a real LMDB environment in a mkdtemp
 * directory: open/reopen, meta, schema stamp, sticky failure, map growth
 * (proactive, on EFULL, at the max, by another process), the map lock, stats
 * and allocation fault injection. */
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

static void test_open_reopen_persists(void)
{
    const char *dir = tmp_new();
    char sub[512];
    snprintf(sub, sizeof sub, "%s/a/b", dir); /* created with parents */
    store *s = open_at(sub, 0, 0);
    if (s == NULL)
        return;
    store_txn *t = begin(s, true);
    aug_bytes key = cstr_bytes("__name__\xffup\xffjob\xffnode\xff");
    store_rollup r = {.count = 2, .sum = 3, .min = 1, .max = 2, .last = 2, .last_ts_ms = 61000, .increase = 1};
    store_wal_entry we = {1, 61000, 2};
    store_series_state st = {.last_ts_ms = 61000, .prev_value = 2, .has_prev = true, .minute_start_s = 60, .minute = r};
    CHECK_EQ_I64(store_meta_put(t, "next_id", 2), AUG_OK);
    CHECK_EQ_I64(store_series_put(t, 1, key), AUG_OK);
    CHECK_EQ_I64(store_rollup_put(t, 1, STORE_RES_MINUTE, 60, &r), AUG_OK);
    CHECK_EQ_I64(store_wal_append(t, 1, &we, 1), AUG_OK);
    CHECK_EQ_I64(store_state_put(t, 1, &st), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);

    s = open_at(sub, 0, 0);
    t = begin(s, false);
    uint64_t v = 0;
    aug_bytes got;
    store_rollup gr;
    CHECK_EQ_I64(store_meta_get(t, "next_id", &v), AUG_OK);
    CHECK_EQ_I64(v, 2);
    CHECK_EQ_I64(store_series_get(t, 1, &got), AUG_OK);
    CHECK(got.len == key.len && memcmp(got.p, key.p, key.len) == 0);
    CHECK_EQ_I64(store_rollup_get(t, 1, STORE_RES_MINUTE, 60, &gr), AUG_OK);
    CHECK(rollup_eq(&gr, &r));
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_stats ss;
    CHECK_EQ_I64(store_stats_get(s, &ss), AUG_OK);
    CHECK_EQ_I64(ss.series, 1);
    CHECK_EQ_I64(ss.rollups, 1);
    CHECK_EQ_I64(ss.wal_records, 1);
    CHECK_EQ_I64(ss.map_grows, 0);
    CHECK(ss.used_bytes > 0 && ss.used_bytes <= ss.high_water_bytes && ss.high_water_bytes <= ss.map_bytes);
    CHECK(ss.file_bytes >= ss.high_water_bytes);
    CHECK_EQ_I64(ss.map_bytes, 256u << 20);
    store_close(s);
    store_close(NULL);
    tmp_remove();
}

static void test_meta(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_txn *t = begin(s, true);
    uint64_t v = 99;
    CHECK_EQ_I64(store_meta_get(t, "nope", &v), AUG_ENOTFOUND);
    CHECK_EQ_I64(v, 99);
    CHECK_EQ_I64(store_meta_put(t, "checkpoint_seq", UINT64_MAX), AUG_OK);
    CHECK_EQ_I64(store_meta_get(t, "checkpoint_seq", &v), AUG_OK);
    CHECK(v == UINT64_MAX);
    CHECK_EQ_I64(store_meta_get(t, "store.schema", &v), AUG_OK); /* readable, not writable */
    CHECK_EQ_I64(v, STORE_SCHEMA_VERSION);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    t = begin(s, true);
    CHECK_EQ_I64(store_meta_put(t, "store.schema", 2), AUG_EINVAL);
    CHECK_EQ_I64(store_txn_commit(t), AUG_EINVAL); /* sticky */
    char longname[200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    t = begin(s, true);
    CHECK_EQ_I64(store_meta_put(t, longname, 1), AUG_EINVAL);
    store_txn_abort(t);
    t = begin(s, true);
    CHECK_EQ_I64(store_meta_put(t, "", 1), AUG_EINVAL);
    store_txn_abort(t);
    t = begin(s, false);
    CHECK_EQ_I64(store_meta_put(t, "x", 1), AUG_EINVAL); /* read txn */
    CHECK_EQ_I64(store_meta_get(t, "store.schema", &v), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);
    tmp_remove();
}

static void test_schema_stamp_checked(void)
{
    const char *dir = tmp_new();
    store *s = open_at(dir, 0, 0);
    store_txn *t = begin(s, true);
    uint8_t rec[STORE_META_RECORD_LEN];
    store_record_meta_encode(7, rec);
    CHECK_EQ_I64(raw_put(t, s->meta, "store.schema", 12, rec, sizeof rec), 0);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_close(s);

    store_opts o = {.path = dir};
    aug_errbuf eb = {{0}};
    s = NULL;
    CHECK_EQ_I64(store_open(&o, &s, &eb), AUG_EVERSION);
    CHECK(s == NULL);
    char want[512];
    snprintf(want, sizeof want, "store at %s has schema version 7, this augur understands 1", dir);
    CHECK_STR(eb.msg, want);
    tmp_remove();

    /* An LMDB environment that is not an augur store is refused, untouched. */
    dir = tmp_new();
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK_EQ_I64(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    CHECK_EQ_I64(mdb_env_open(env, dir, 0, 0600), 0);
    CHECK_EQ_I64(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_EQ_I64(mdb_dbi_open(txn, "foreign", MDB_CREATE, &dbi), 0);
    CHECK_EQ_I64(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    eb.msg[0] = '\0';
    CHECK_EQ_I64(store_open(&o, &s, &eb), AUG_ECORRUPT);
    CHECK(strstr(eb.msg, "not an augur store") != NULL);
    tmp_remove();

    /* Bad options. */
    store_opts bad = {.path = ""};
    CHECK_EQ_I64(store_open(&bad, &s, &eb), AUG_EINVAL);
    bad = (store_opts){.path = "/tmp", .initial_map_bytes = 2u << 20, .max_map_bytes = 1u << 20};
    CHECK_EQ_I64(store_open(&bad, &s, &eb), AUG_EINVAL);
    bad = (store_opts){.path = "/proc/augur-cannot-exist"};
    CHECK_EQ_I64(store_open(&bad, &s, &eb), AUG_EIO);
}

static void test_sticky_failure(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    store_rollup r = {.count = 1, .sum = 1, .min = 1, .max = 1, .last = 1, .last_ts_ms = 60000};
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_rollup_put(t, 1, STORE_RES_MINUTE, 60, &r), AUG_OK);
    CHECK_EQ_I64(store_rollup_put(t, 1, STORE_RES_MINUTE, 61, &r), AUG_EINVAL); /* unaligned */
    /* Every later call returns the first error, reads included. */
    CHECK_EQ_I64(store_rollup_put(t, 1, STORE_RES_MINUTE, 120, &r), AUG_EINVAL);
    CHECK_EQ_I64(store_meta_put(t, "x", 1), AUG_EINVAL);
    store_rollup g;
    CHECK_EQ_I64(store_rollup_get(t, 1, STORE_RES_MINUTE, 60, &g), AUG_EINVAL);
    CHECK_EQ_I64(store_txn_commit(t), AUG_EINVAL);
    /* Nothing of the failed txn reached the store. */
    t = begin(s, false);
    CHECK_EQ_I64(store_rollup_get(t, 1, STORE_RES_MINUTE, 60, &g), AUG_ENOTFOUND);
    store_txn_abort(t);
    /* Reads that find nothing do not fail a write txn. */
    t = begin(s, true);
    CHECK_EQ_I64(store_rollup_get(t, 1, STORE_RES_MINUTE, 60, &g), AUG_ENOTFOUND);
    CHECK_EQ_I64(store_rollup_put(t, 1, STORE_RES_MINUTE, 60, &r), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    /* A read txn refuses writes without failing. */
    t = begin(s, false);
    CHECK_EQ_I64(store_rollup_put(t, 1, STORE_RES_MINUTE, 60, &r), AUG_EINVAL);
    CHECK_EQ_I64(store_rollup_get(t, 1, STORE_RES_MINUTE, 60, &g), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    store_txn_abort(NULL);
    store_close(s);
    tmp_remove();
}

/* Deterministic WAL payload of txn i, append j: 2000 entries that do not
 * compress (random ids, timestamps and bits) so the map fills quickly. */
static void fill_entries(store_wal_entry *e, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t k = 0; k < n; k++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t r = x * 0x2545F4914F6CDD1DULL;
        e[k] = (store_wal_entry){(uint32_t)(r >> 32) | 1, (int64_t)(r >> 8), util_bits_f64(r)};
    }
}

typedef struct wal_check {
    uint64_t next_seq;
    size_t records;
    bool ok;
    store_wal_entry want[2000];
} wal_check;

static aug_err check_record(void *arg, uint64_t seq, const store_wal_entry *e, size_t n)
{
    wal_check *c = arg;
    fill_entries(c->want, 2000, seq);
    if (seq != c->next_seq || n != 2000)
        c->ok = false;
    for (size_t i = 0; i < n && i < 2000; i++)
        if (e[i].id != c->want[i].id || e[i].ts_ms != c->want[i].ts_ms ||
            util_f64_bits(e[i].value) != util_f64_bits(c->want[i].value))
            c->ok = false;
    c->next_seq = seq + 1;
    c->records++;
    return AUG_OK;
}

static void test_map_growth_to_far_past_initial(void)
{
    /* 1 MiB map; 40 txns × 5 appends × ~45 KiB: ~9 MiB of WAL plus rollups. */
    store *s = open_at(tmp_new(), 1u << 20, 0);
    static store_wal_entry e[2000];
    size_t efull = 0;
    uint64_t seq = 1;
    for (int txn = 0; txn < 40; txn++) {
        for (;;) {
            store_txn *t = begin(s, true);
            aug_err err = AUG_OK;
            for (int j = 0; j < 5 && err == AUG_OK; j++) {
                fill_entries(e, 2000, seq + (uint64_t)j);
                err = store_wal_append(t, seq + (uint64_t)j, e, 2000);
            }
            for (uint32_t id = 1; id <= 200 && err == AUG_OK; id++) {
                store_rollup r = {.count = 1, .sum = id, .min = id, .max = id, .last = id, .last_ts_ms = txn * 60000};
                err = store_rollup_put(t, id, STORE_RES_MINUTE, txn * 60, &r);
            }
            if (err == AUG_OK)
                err = store_txn_commit(t);
            else
                store_txn_abort(t);
            if (err == AUG_EFULL) {
                efull++;
                CHECK_EQ_I64(store_map_grow(s), AUG_OK);
                continue;
            }
            CHECK_EQ_I64(err, AUG_OK);
            break;
        }
        seq += 5;
    }
    store_stats st;
    CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    fprintf(stderr, "  map %zu KiB after %" PRIu64 " grows (%zu on EFULL), used %zu KiB, file %zu KiB\n",
            st.map_bytes >> 10, st.map_grows, efull, st.used_bytes >> 10, st.file_bytes >> 10);
    CHECK(st.map_bytes >= (8u << 20));
    CHECK(st.map_grows >= 3);
    CHECK(st.used_bytes > (8u << 20));
    CHECK_EQ_I64(st.wal_records, 200);
    CHECK_EQ_I64(st.rollups, 200 * 40);

    /* Everything reads back, also after reopening at the initial size. */
    for (int pass = 0; pass < 2; pass++) {
        store_txn *t = begin(s, false);
        static wal_check c;
        c = (wal_check){.next_seq = 1, .ok = true};
        CHECK_EQ_I64(store_wal_foreach(t, 0, check_record, &c), AUG_OK);
        CHECK(c.ok);
        CHECK_EQ_I64(c.records, 200);
        store_rollup r;
        CHECK_EQ_I64(store_rollup_get(t, 137, STORE_RES_MINUTE, 39 * 60, &r), AUG_OK);
        CHECK(r.sum == 137 && r.last_ts_ms == 39 * 60000);
        store_txn_abort(t);
        if (pass == 0) {
            char dir[256];
            snprintf(dir, sizeof dir, "%s", tmp_dir);
            store_close(s);
            s = open_at(dir, 1u << 20, 0);
            CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
            CHECK(st.map_bytes >= st.file_bytes); /* did not restart tiny */
        }
    }
    store_close(s);
    tmp_remove();
}

static void test_efull_sticky_then_grow_and_retry(void)
{
    /* One txn bigger than the whole map: proactive growth cannot help. */
    store *s = open_at(tmp_new(), 1u << 20, 4u << 20);
    static store_wal_entry e[2000];
    store_txn *t = begin(s, true);
    aug_err err = AUG_OK;
    int appended = 0;
    for (uint64_t seq = 1; seq <= 40 && err == AUG_OK; seq++) {
        fill_entries(e, 2000, seq);
        err = store_wal_append(t, seq, e, 2000);
        appended += err == AUG_OK;
    }
    CHECK_EQ_I64(err, AUG_EFULL);
    CHECK(appended > 5 && appended < 40);
    CHECK_EQ_I64(store_wal_append(t, 100, e, 1), AUG_EFULL); /* sticky */
    CHECK_EQ_I64(store_txn_commit(t), AUG_EFULL);
    CHECK_EQ_I64(store_map_grow(s), AUG_OK); /* 2 MiB */
    CHECK_EQ_I64(store_map_grow(s), AUG_OK); /* 4 MiB = max */
    CHECK_EQ_I64(store_map_grow(s), AUG_EFULL);
    t = begin(s, true);
    for (uint64_t seq = 1; seq <= 40; seq++) {
        fill_entries(e, 2000, seq);
        CHECK_EQ_I64(store_wal_append(t, seq, e, 2000), AUG_OK);
    }
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    /* At the max, EFULL is final. */
    aug_err last = AUG_OK;
    for (uint64_t seq = 41; seq <= 200 && last == AUG_OK; seq++) {
        t = begin(s, true);
        fill_entries(e, 2000, seq);
        last = store_wal_append(t, seq, e, 2000);
        last = last == AUG_OK ? store_txn_commit(t) : (store_txn_abort(t), last);
    }
    CHECK_EQ_I64(last, AUG_EFULL);
    CHECK_EQ_I64(store_map_grow(s), AUG_EFULL);
    store_stats st;
    CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    CHECK_EQ_I64(st.map_bytes, 4u << 20);
    store_close(s);
    tmp_remove();
}

typedef struct grow_arg {
    store *s;
    atomic_int done;
    aug_err err;
} grow_arg;

static void *grow_thread(void *p)
{
    grow_arg *g = p;
    g->err = store_map_grow(g->s);
    atomic_store(&g->done, 1);
    return NULL;
}

static void test_grow_waits_for_readers(void)
{
    store *s = open_at(tmp_new(), 1u << 20, 0);
    store_txn *t = begin(s, true);
    aug_bytes key = cstr_bytes("__name__\xffup\xff");
    CHECK_EQ_I64(store_series_put(t, 1, key), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    store_txn *r = begin(s, false);
    aug_bytes got;
    CHECK_EQ_I64(store_series_get(r, 1, &got), AUG_OK);
    /* Growing from a thread that holds a txn would deadlock: refused. */
    CHECK_EQ_I64(store_map_grow(s), AUG_EINVAL);
    /* A nested txn in the same thread does not take the lock again. */
    store_txn *r2 = begin(s, false);
    store_txn_abort(r2);

    grow_arg g = {.s = s};
    pthread_t th;
    CHECK_EQ_I64(pthread_create(&th, NULL, grow_thread, &g), 0);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK_EQ_I64(atomic_load(&g.done), 0); /* waits for our read txn */
    CHECK(memcmp(got.p, key.p, key.len) == 0); /* borrowed bytes still mapped */
    store_txn_abort(r);
    pthread_join(th, NULL);
    CHECK_EQ_I64(g.err, AUG_OK);
    store_stats st;
    CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    CHECK_EQ_I64(st.map_grows, 1);
    CHECK_EQ_I64(st.map_bytes, 2u << 20);
    store_close(s);
    tmp_remove();
}

typedef struct reader_arg {
    store *s;
    atomic_int *stop;
    long reads;
    aug_err err;
} reader_arg;

static void *reader_thread(void *p)
{
    reader_arg *r = p;
    const char *want = "__name__\xffup\xffjob\xffnode\xff";
    while (!atomic_load(r->stop) && r->err == AUG_OK) {
        store_txn *t;
        if ((r->err = store_txn_begin(r->s, false, &t)) != AUG_OK)
            break;
        aug_bytes k;
        r->err = store_series_get(t, 1, &k);
        if (r->err == AUG_OK && (k.len != strlen(want) || memcmp(k.p, want, k.len) != 0))
            r->err = AUG_ECORRUPT;
        store_rollup_iter *it = NULL;
        if (r->err == AUG_OK)
            r->err = store_rollup_iter_open(t, 1, STORE_RES_MINUTE, INT64_MIN, INT64_MAX, &it);
        int64_t start, prev = INT64_MIN;
        store_rollup b;
        aug_err e;
        while (r->err == AUG_OK && (e = store_rollup_iter_next(it, &start, &b)) != AUG_ENOTFOUND) {
            if (e != AUG_OK || start <= prev || b.sum != (double)start)
                r->err = e != AUG_OK ? e : AUG_ECORRUPT;
            prev = start;
        }
        store_rollup_iter_close(it);
        /* the borrowed key must still be mapped at the end of the txn */
        if (r->err == AUG_OK && memcmp(k.p, want, k.len) != 0)
            r->err = AUG_ECORRUPT;
        store_txn_abort(t);
        r->reads++;
    }
    return NULL;
}

static void test_readers_during_growth(void)
{
    /* Two reader threads walk borrowed LMDB memory in a loop while the writer
     * grows a 1 MiB map six times. A remap under a live read txn would make
     * them read unmapped pages (SEGV / ASan) or garbage (ECORRUPT). */
    store *s = open_at(tmp_new(), 1u << 20, 0);
    store_txn *t = begin(s, true);
    CHECK_EQ_I64(store_series_put(t, 1, cstr_bytes("__name__\xffup\xffjob\xffnode\xff")), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    atomic_int stop = 0;
    reader_arg ra[2] = {{.s = s, .stop = &stop}, {.s = s, .stop = &stop}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        CHECK_EQ_I64(pthread_create(&th[i], NULL, reader_thread, &ra[i]), 0);
    static store_wal_entry e[2000];
    uint64_t seq = 1;
    int64_t minute = 0;
    store_stats st = {0};
    while (st.map_grows < 6) {
        t = begin(s, true);
        fill_entries(e, 2000, seq);
        aug_err err = store_wal_append(t, seq, e, 2000);
        for (int j = 0; j < 50 && err == AUG_OK; j++, minute += 60) {
            store_rollup r = {.count = 1, .sum = (double)minute, .min = (double)minute, .max = (double)minute,
                              .last = (double)minute, .last_ts_ms = minute * 1000};
            err = store_rollup_put(t, 1, STORE_RES_MINUTE, minute, &r);
        }
        err = err == AUG_OK ? store_txn_commit(t) : (store_txn_abort(t), err);
        if (err == AUG_EFULL) {
            CHECK_EQ_I64(store_map_grow(s), AUG_OK);
            minute -= 50 * 60;
            continue;
        }
        CHECK_EQ_I64(err, AUG_OK);
        if (err != AUG_OK)
            break;
        seq++;
        CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_I64(ra[i].err, AUG_OK);
        CHECK(ra[i].reads > 0);
    }
    fprintf(stderr, "  %" PRIu64 " grows to %zu KiB (high water %zu KiB, %" PRIu64 " commits), %ld + %ld reads\n",
            st.map_grows, st.map_bytes >> 10, st.high_water_bytes >> 10, seq, ra[0].reads, ra[1].reads);
    store_close(s);
    tmp_remove();
}

static void test_map_resized_by_another_process(void)
{
    const char *dir = tmp_new();
    store *s = open_at(dir, 1u << 20, 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* Child: its own environment on the same files (the parent's handle
         * is never touched here), grows the map and commits past 1 MiB. */
        store *c = NULL;
        store_opts o = {.path = dir, .initial_map_bytes = 1u << 20};
        static store_wal_entry e[2000];
        if (store_open(&o, &c, NULL) != AUG_OK)
            _exit(2);
        for (uint64_t seq = 1; seq <= 60; seq++) {
            store_txn *t;
            aug_err err = store_txn_begin(c, true, &t);
            if (err != AUG_OK)
                _exit(3);
            fill_entries(e, 2000, seq);
            err = store_wal_append(t, seq, e, 2000);
            err = err == AUG_OK ? store_txn_commit(t) : (store_txn_abort(t), err);
            if (err == AUG_EFULL && store_map_grow(c) == AUG_OK) {
                seq--;
                continue;
            }
            if (err != AUG_OK)
                _exit(4);
        }
        _exit(0);
    }
    CHECK(pid > 0);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Our map is now smaller than the data: LMDB says MDB_MAP_RESIZED and
     * the store adopts the new size transparently. */
    store_txn *t = begin(s, false);
    if (t != NULL) {
        static wal_check c;
        c = (wal_check){.next_seq = 1, .ok = true};
        CHECK_EQ_I64(store_wal_foreach(t, 0, check_record, &c), AUG_OK);
        CHECK(c.ok);
        CHECK_EQ_I64(c.records, 60);
        store_txn_abort(t);
    }
    store_stats st;
    CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    CHECK(st.map_bytes > (2u << 20));
    store_close(s);
    tmp_remove();
}

/* One run of open + writes + reads + commit + close; returns the first error. */
static aug_err torture_run(const char *dir)
{
    store *s = NULL;
    store_opts o = {.path = dir, .initial_map_bytes = 1u << 20};
    aug_errbuf eb = {{0}};
    aug_err e = store_open(&o, &s, &eb);
    if (e != AUG_OK)
        return e;
    store_txn *t = NULL;
    static store_wal_entry we[2000];
    fill_entries(we, 2000, 1);
    store_rollup r = {.count = 1, .sum = 1, .min = 1, .max = 1, .last = 1, .last_ts_ms = 60000};
    store_series_state st = {.last_ts_ms = INT64_MIN};
    if ((e = store_txn_begin(s, true, &t)) != AUG_OK)
        goto out;
    if ((e = store_series_put(t, 1, cstr_bytes("__name__\xffup\xffjob\xffnode\xff"))) == AUG_OK &&
        (e = store_rollup_put(t, 1, STORE_RES_MINUTE, 60, &r)) == AUG_OK &&
        (e = store_wal_append(t, 1, we, 2000)) == AUG_OK && (e = store_state_put(t, 1, &st)) == AUG_OK)
        e = store_txn_commit(t);
    else
        store_txn_abort(t);
    if (e != AUG_OK)
        goto out;
    if ((e = store_txn_begin(s, false, &t)) != AUG_OK)
        goto out;
    store_rollup_iter *it = NULL;
    if ((e = store_rollup_iter_open(t, 1, STORE_RES_MINUTE, 0, 600, &it)) == AUG_OK) {
        int64_t start;
        store_rollup g;
        e = store_rollup_iter_next(it, &start, &g);
        store_rollup_iter_close(it);
    }
    store_txn_abort(t);
out:
    store_close(s);
    return e;
}

static void test_allocation_fault_injection(void)
{
    int64_t base = aug_mem_used();
    long n;
    for (n = 0; n < 200; n++) {
        const char *dir = tmp_new();
        aug_mem_fail_after(n);
        aug_err e = torture_run(dir);
        long failures = aug_mem_failures();
        aug_mem_fail_reset();
        CHECK_EQ_I64(aug_mem_used(), base); /* nothing leaked on any path */
        tmp_remove();
        if (failures == 0) {
            CHECK_EQ_I64(e, AUG_OK);
            break;
        }
        if (e != AUG_ENOMEM)
            fprintf(stderr, "  fail_after(%ld) → %s\n", n, aug_strerror(e));
        CHECK_EQ_I64(e, AUG_ENOMEM);
    }
    fprintf(stderr, "  %ld allocation points exercised\n", n);
    CHECK(n > 5 && n < 200);
}

CHECK_MAIN(CHECK_CASE(test_open_reopen_persists), CHECK_CASE(test_meta), CHECK_CASE(test_schema_stamp_checked),
           CHECK_CASE(test_sticky_failure), CHECK_CASE(test_map_growth_to_far_past_initial),
           CHECK_CASE(test_efull_sticky_then_grow_and_retry), CHECK_CASE(test_grow_waits_for_readers),
           CHECK_CASE(test_readers_during_growth),
           CHECK_CASE(test_map_resized_by_another_process), CHECK_CASE(test_allocation_fault_injection))
