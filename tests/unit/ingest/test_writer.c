/* Unit tests for the ingest writer (src/ingest/ingest.c) against a real LMDB
 * store in a temporary directory: rollups per minute and hour, duplicates,
 * staleness and non-finite values, the series limit, closed-bucket hooks,
 * crash recovery from the WAL (a forked child that exits without closing),
 * and that a commit failing part-way leaves memory exactly as before. */
#include "util/common.h"
#include "ingest/ingest.h"
#include "metrics/metrics.h"
#include "util/mem.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../storage/helpers.h"

#define MIN_MS 60000

static const ingest_opts opts = {
    .close_delay_ms = 3600 * 1000, /* no wall-clock closes during a test */
    .checkpoint_interval_ms = 3600 * 1000,
    .minute_retention_s = 400 * 86400,
    .hour_retention_s = 4000 * 86400,
    .max_series = 1000,
    .queue_limit_samples = 1000000,
};

typedef struct tseries {
    wire_series ws;
    uint8_t key[128];
    aug_sample samples[64];
} tseries;

/* A series named `name` with label job="t". */
static void tseries_init(tseries *t, const char *name)
{
    int n = snprintf((char *)t->key, sizeof t->key, "__name__\xff%s\xffjob\xfft\xff", name);
    memset(&t->ws, 0, sizeof t->ws);
    t->ws.key = (aug_bytes){t->key, (size_t)n};
    t->ws.hash = util_hash128_of(t->key, (size_t)n);
    t->ws.samples = t->samples;
    t->ws.nsamples = 0;
}

static void add(tseries *t, int64_t ts, double v)
{
    t->samples[t->ws.nsamples].ts_ms = ts;
    t->samples[t->ws.nsamples].value = v;
    t->ws.nsamples++;
}

/* Hour-aligned, two days ago: inside every retention the tests use. */
static int64_t base_ms(void)
{
    return ((int64_t)time(NULL) - 2 * 86400) / 3600 * 3600000;
}

static const ingest_opts *cur_opts = &opts; /* open_ingest's options */

static ingest *open_ingest(store *s, metrics_registry **reg)
{
    *reg = metrics_registry_new();
    ingest *g = NULL;
    aug_errbuf eb = {{0}};
    aug_err e = ingest_open(s, cur_opts, *reg, &g, &eb);
    if (e != AUG_OK)
        fprintf(stderr, "ingest_open: %s\n", aug_errmsg(&eb, e));
    CHECK_EQ_I64(e, AUG_OK);
    return g;
}

static bool get_rollup(store *s, uint32_t id, store_res res, int64_t start_s, store_rollup *out)
{
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, false, &t), AUG_OK);
    aug_err e = store_rollup_get(t, id, res, start_s, out);
    store_txn_abort(t);
    return e == AUG_OK;
}

static void test_minute_rollups_and_duplicates(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    metrics_registry *reg;
    ingest *g = open_ingest(s, &reg);
    tseries a;
    tseries_init(&a, "m");
    int64_t b = base_ms();
    for (int i = 0; i < 8; i++)
        add(&a, b + i * 15000, (double)(i + 1)); /* minutes 0 and 1 */
    add(&a, b + 2 * MIN_MS, 100);                /* closes minute 1 */
    ingest_result r;
    CHECK_EQ_I64(ingest_write(g, &a.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.accepted, 9);
    CHECK_EQ_I64(r.new_series, 1);

    /* A retry of the same request changes nothing. */
    CHECK_EQ_I64(ingest_write(g, &a.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.duplicate, 9);
    CHECK_EQ_I64(r.accepted, 0);
    CHECK_EQ_I64(r.new_series, 0);

    store_rollup m0, m1;
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, b / 1000, &m0));
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, b / 1000 + 60, &m1));
    CHECK_EQ_I64(m0.count, 4);
    CHECK_NEAR(m0.sum, 10, 0);
    CHECK_NEAR(m0.min, 1, 0);
    CHECK_NEAR(m0.max, 4, 0);
    CHECK_NEAR(m0.last, 4, 0);
    CHECK_NEAR(m0.increase, 3, 0);
    CHECK_EQ_I64(m1.count, 4);
    CHECK_NEAR(m1.sum, 26, 0);
    CHECK_NEAR(m1.increase, 4, 0); /* 4→5 crosses the boundary, counted in minute 1 */
    store_rollup open;
    CHECK(!get_rollup(s, 1, STORE_RES_MINUTE, b / 1000 + 120, &open)); /* still open */
    CHECK(!get_rollup(s, 1, STORE_RES_HOUR, b / 1000, &open));         /* hour open */

    /* The next hour's first closed minute closes the hour. */
    tseries later;
    tseries_init(&later, "m");
    add(&later, b + 61 * MIN_MS, 1);
    add(&later, b + 62 * MIN_MS, 1);
    CHECK_EQ_I64(ingest_write(g, &later.ws, 1, &r), AUG_OK);
    store_rollup h;
    CHECK(get_rollup(s, 1, STORE_RES_HOUR, b / 1000, &h));
    CHECK_EQ_I64(h.count, 9);
    CHECK_NEAR(h.sum, 136, 0);
    CHECK_NEAR(h.max, 100, 0);
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

static void test_stale_and_nonfinite(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    metrics_registry *reg;
    ingest *g = open_ingest(s, &reg);
    tseries a;
    tseries_init(&a, "n");
    int64_t b = base_ms();
    uint64_t stale_bits = 0x7ff0000000000002ULL;
    double stale;
    memcpy(&stale, &stale_bits, sizeof stale);
    add(&a, b, 2);
    add(&a, b + 1000, (double)NAN);
    add(&a, b + 2000, (double)INFINITY);
    add(&a, b + 3000, 4);
    add(&a, b + 4000, stale);
    ingest_result r;
    CHECK_EQ_I64(ingest_write(g, &a.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.accepted, 2);
    CHECK_EQ_I64(r.nonfinite, 2);
    CHECK_EQ_I64(r.stale, 1);
    store_rollup m;
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, b / 1000, &m)); /* closed by the marker */
    CHECK_EQ_I64(m.count, 2);
    CHECK_NEAR(m.sum, 6, 0);

    /* A late sample for the closed minute is folded into the stored record. */
    tseries late;
    tseries_init(&late, "n");
    add(&late, b + 5000, 6);
    CHECK_EQ_I64(ingest_write(g, &late.ws, 1, &r), AUG_OK);
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, b / 1000, &m));
    CHECK_EQ_I64(m.count, 3);
    CHECK_NEAR(m.sum, 12, 0);
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

static uint32_t hook_calls[3];
static void on_bucket(void *arg, uint32_t id, store_res res, int64_t start_s, const store_rollup *r)
{
    AUG_UNUSED(arg);
    AUG_UNUSED(id);
    AUG_UNUSED(start_s);
    AUG_UNUSED(r);
    hook_calls[res]++;
}

static void test_series_limit_and_hook(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    metrics_registry *reg = metrics_registry_new();
    ingest_opts o = opts;
    o.max_series = 2;
    ingest *g = NULL;
    CHECK_EQ_I64(ingest_open(s, &o, reg, &g, NULL), AUG_OK);
    memset(hook_calls, 0, sizeof hook_calls);
    ingest_set_bucket_hook(g, on_bucket, NULL);
    tseries t[3];
    const char *names[] = {"a", "b", "c"};
    int64_t b = base_ms();
    wire_series ws[3];
    for (int i = 0; i < 3; i++) {
        tseries_init(&t[i], names[i]);
        add(&t[i], b, 1);
        add(&t[i], b + MIN_MS, 1);
        ws[i] = t[i].ws;
    }
    ingest_result r;
    CHECK_EQ_I64(ingest_write(g, ws, 3, &r), AUG_OK);
    CHECK_EQ_I64(r.new_series, 2);
    CHECK_EQ_I64(r.series_limit, 2);
    CHECK_EQ_I64(r.accepted, 4);
    CHECK_EQ_I64(hook_calls[STORE_RES_MINUTE], 2);
    ingest_stats st;
    ingest_stats_get(g, &st);
    CHECK_EQ_I64(st.series, 2);
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

/* A series sent with no samples (only exemplars or native histograms,
 * which augur does not roll up) creates nothing: it used to take a slot of
 * ingest.max_series, so a sender of histograms could fill the table and get
 * the samples of real new series refused. */
static void test_series_without_samples_takes_no_slot(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    metrics_registry *reg = metrics_registry_new();
    ingest_opts o = opts;
    o.max_series = 1;
    ingest *g = NULL;
    CHECK_EQ_I64(ingest_open(s, &o, reg, &g, NULL), AUG_OK);
    tseries h, real;
    tseries_init(&h, "histogram_only");
    ingest_result r;
    CHECK_EQ_I64(ingest_write(g, &h.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.new_series, 0);
    tseries_init(&real, "real");
    add(&real, base_ms(), 1);
    CHECK_EQ_I64(ingest_write(g, &real.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.new_series, 1);
    CHECK_EQ_I64(r.series_limit, 0);
    CHECK_EQ_I64(r.accepted, 1);
    ingest_stats st;
    ingest_stats_get(g, &st);
    CHECK_EQ_I64(st.series, 1);
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

/* A child process writes and exits without closing anything (no final
 * checkpoint, like kill -9 after the reply); the parent reopens and every
 * acknowledged sample is there, including those of the still-open minute. */
static void test_recovery_replays_wal(void)
{
    const char *dir = tmp_new();
    int64_t b = base_ms();
    pid_t pid = fork();
    if (pid == 0) {
        store *s = open_at(dir, 0, 0);
        metrics_registry *reg;
        ingest *g = open_ingest(s, &reg);
        tseries a;
        tseries_init(&a, "crash");
        for (int i = 0; i < 12; i++)
            add(&a, b + i * 10000, (double)i); /* minute 0 closes, minute 1 stays open */
        ingest_result r;
        _exit(ingest_write(g, &a.ws, 1, &r) == AUG_OK && r.accepted == 12 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    store *s = open_at(dir, 0, 0);
    metrics_registry *reg;
    ingest *g = open_ingest(s, &reg);
    tseries a;
    tseries_init(&a, "crash");
    add(&a, b + 2 * MIN_MS, 0); /* closes minute 1, rebuilt from the WAL */
    ingest_result r;
    CHECK_EQ_I64(ingest_write(g, &a.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.new_series, 0);
    store_rollup m0, m1;
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, b / 1000, &m0));
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, b / 1000 + 60, &m1));
    CHECK_EQ_I64(m0.count, 6);
    CHECK_NEAR(m0.sum, 15, 0);
    CHECK_EQ_I64(m1.count, 6);
    CHECK_NEAR(m1.sum, 51, 0);
    /* A duplicate of an acknowledged sample is still recognised. */
    tseries d;
    tseries_init(&d, "crash");
    add(&d, b + 110000, 99);
    CHECK_EQ_I64(ingest_write(g, &d.ws, 1, &r), AUG_OK);
    CHECK_EQ_I64(r.duplicate, 1);
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

/* Fails the Nth allocation during a write for every N: each attempt either
 * succeeds or reports an error, and a clean retry then yields exactly the
 * same rollups as a run without faults. */
static void test_failed_commit_leaves_no_trace(void)
{
    int64_t b = base_ms();
    for (long n = 0; n < 40; n++) {
        store *s = open_at(tmp_new(), 0, 0);
        metrics_registry *reg;
        ingest *g = open_ingest(s, &reg);
        tseries t[4];
        wire_series ws[4];
        const char *names[] = {"f0", "f1", "f2", "f3"};
        for (int i = 0; i < 4; i++) {
            tseries_init(&t[i], names[i]);
            for (int k = 0; k < 10; k++)
                add(&t[i], b + k * 20000, (double)(i * 10 + k));
            ws[i] = t[i].ws;
        }
        ingest_result r;
        aug_mem_fail_after(n);
        aug_err e = ingest_write(g, ws, 4, &r);
        aug_mem_fail_reset();
        CHECK(e == AUG_OK || e == AUG_ENOMEM || e == AUG_EIO);
        aug_err e2 = ingest_write(g, ws, 4, &r);
        CHECK_EQ_I64(e2, AUG_OK);
        if (e == AUG_OK) {
            CHECK_EQ_I64(r.duplicate, 40);
        } else {
            CHECK_EQ_I64(r.accepted, 40);
            CHECK_EQ_I64(r.new_series, 4);
        }
        for (uint32_t id = 1; id <= 4; id++) {
            store_rollup m;
            CHECK(get_rollup(s, id, STORE_RES_MINUTE, b / 1000, &m));
            CHECK_EQ_I64(m.count, 3);
        }
        ingest_close(g);
        metrics_registry_free(reg);
        store_close(s);
        tmp_remove();
    }
}

/* Retention runs in the background: buckets older than the retention are
 * deleted soon after start-up, newer ones stay. */
static void test_retention_deletes_old_buckets(void)
{
    const char *dir = tmp_new();
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    int64_t old = (now_ms - 3 * 86400 * 1000LL) / 3600000 * 3600000;
    int64_t recent = (now_ms - 3600 * 1000LL) / 60000 * 60000;
    {
        store *s = open_at(dir, 0, 0);
        metrics_registry *reg;
        ingest *g = open_ingest(s, &reg);
        tseries a;
        tseries_init(&a, "ret");
        add(&a, old, 1);
        add(&a, old + 2 * 3600 * 1000LL, 1); /* closes the old minute and hour */
        add(&a, recent, 1);
        add(&a, recent + MIN_MS, 1); /* closes the recent minute */
        ingest_result r;
        CHECK_EQ_I64(ingest_write(g, &a.ws, 1, &r), AUG_OK);
        ingest_close(g);
        metrics_registry_free(reg);
        store_rollup m;
        CHECK(get_rollup(s, 1, STORE_RES_MINUTE, old / 1000, &m));
        store_close(s);
    }
    store *s = open_at(dir, 0, 0);
    metrics_registry *reg = metrics_registry_new();
    ingest_opts o = opts;
    o.minute_retention_s = 86400;
    o.hour_retention_s = 2 * 86400;
    ingest *g = NULL;
    CHECK_EQ_I64(ingest_open(s, &o, reg, &g, NULL), AUG_OK);
    store_rollup m;
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = !get_rollup(s, 1, STORE_RES_MINUTE, old / 1000, &m) && !get_rollup(s, 1, STORE_RES_HOUR, old / 1000, &m);
        if (!gone)
            usleep(50 * 1000); /* safety net only: the first pass runs at start-up */
    }
    CHECK(gone);
    CHECK(get_rollup(s, 1, STORE_RES_MINUTE, recent / 1000, &m));
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

/* ---- restart equivalence ---- */

#define RS_BATCHES 24
static bool rs_stale = true; /* include the staleness marker (see test_crash_after_stale_marker) */

/* Batch i of a fixed two-series workload over ~70 minutes (crossing an
 * hour): a gauge with a counter reset, a staleness marker followed by a
 * sample in the same minute (a late sample for a closed minute), a
 * non-finite value, and a second series at another pace. */
static void rs_batch(int i, tseries *a, tseries *c)
{
    int64_t b = base_ms();
    tseries_init(a, "rs_a");
    tseries_init(c, "rs_c");
    for (int k = i * 9; k < (i + 1) * 9; k++) {
        double v = k == 50 ? 0.5 : (double)(k % 50) * 1.25;
        if (k == 100 && rs_stale) {
            uint64_t bits = 0x7ff0000000000002ULL;
            memcpy(&v, &bits, sizeof v);
        }
        if (k == 120)
            v = (double)INFINITY;
        add(a, b + k * 20000, v);
        add(c, b + k * 23000 + 7, 1000.0 - k * 0.5);
    }
}

static void rs_write(ingest *g, int from, int to)
{
    for (int i = from; i < to; i++) {
        tseries a, c;
        rs_batch(i, &a, &c);
        wire_series ws[2] = {a.ws, c.ws};
        ws[0].samples = a.samples;
        ws[1].samples = c.samples;
        ingest_result r;
        CHECK_EQ_I64(ingest_write(g, ws, 2, &r), AUG_OK);
    }
}

/* Every rollup of ids 1..2 in both stores is bit-identical. */
static void rs_compare(store *x, store *y)
{
    int64_t b = base_ms() / 1000;
    int compared = 0;
    for (uint32_t id = 1; id <= 2; id++) {
        for (int res = STORE_RES_MINUTE; res <= STORE_RES_HOUR; res++) {
            int64_t step = res == STORE_RES_MINUTE ? 60 : 3600;
            for (int64_t t = b - 3600; t < b + 3 * 3600; t += step) {
                store_rollup rx, ry;
                bool hx = get_rollup(x, id, (store_res)res, t, &rx), hy = get_rollup(y, id, (store_res)res, t, &ry);
                CHECK(hx == hy);
                if (hx && hy) {
                    CHECK(memcmp(&rx, &ry, sizeof rx) == 0);
                    if (memcmp(&rx, &ry, sizeof rx) != 0)
                        fprintf(stderr, "  id %u res %d minute %" PRId64 ": count %u/%u sum %g/%g inc %g/%g last %g/%g\n",
                                id, res, (t - b) / 60, rx.count, ry.count, rx.sum, ry.sum, rx.increase, ry.increase,
                                rx.last, ry.last);
                    compared++;
                }
            }
        }
    }
    CHECK(compared > 60);
}

static store *rs_open(char *dir)
{
    return open_at(tmpdir_make(dir), 0, 0);
}

/* A clean restart (final checkpoint, then the states are loaded back into
 * the compact in-memory entries) and a crash (the child exits without
 * closing: WAL replay) at several points give exactly the rollups of an
 * uninterrupted run. The workload includes a staleness marker: replay
 * after it takes add_late's path into records the crashed run wrote later,
 * which add_late must recognise by their last timestamp instead of folding
 * the replayed samples in twice (a regression test for that bug). */
static void rs_run(const int *splits, size_t nsplits)
{
    char ref_dir[] = "/tmp/augur-ingest-ref.XXXXXX";
    store *ref = rs_open(ref_dir);
    metrics_registry *rreg;
    ingest *rg = open_ingest(ref, &rreg);
    rs_write(rg, 0, RS_BATCHES);
    ingest_close(rg);
    metrics_registry_free(rreg);

    for (size_t k = 0; k < nsplits; k++) {
        for (int crash = 0; crash <= 1; crash++) {
            char dir[] = "/tmp/augur-ingest-rs.XXXXXX";
            store *s = rs_open(dir);
            metrics_registry *reg;
            if (crash) {
                store_close(s);
                pid_t pid = fork();
                if (pid == 0) {
                    store *cs = open_at(dir, 0, 0);
                    metrics_registry *creg;
                    ingest *cg = open_ingest(cs, &creg);
                    rs_write(cg, 0, splits[k]);
                    _exit(0);
                }
                int status = 0;
                waitpid(pid, &status, 0);
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                s = open_at(dir, 0, 0);
            } else {
                ingest *g = open_ingest(s, &reg);
                rs_write(g, 0, splits[k]);
                ingest_close(g);
                metrics_registry_free(reg);
            }
            ingest *g = open_ingest(s, &reg);
            rs_write(g, splits[k], RS_BATCHES);
            ingest_close(g);
            metrics_registry_free(reg);
            int before = check_failed_in_test;
            check_failed_in_test = 0;
            rs_compare(ref, s);
            if (check_failed_in_test)
                fprintf(stderr, "  (restart after batch %d, %s)\n", splits[k], crash ? "crash" : "clean");
            check_failed_in_test |= before;
            store_close(s);
            CHECK(tmpdir_remove(dir) == 0);
        }
    }
    store_close(ref);
    CHECK(tmpdir_remove(ref_dir) == 0);
}

static void test_restart_matches_uninterrupted(void)
{
    rs_stale = true;
    static const int splits[] = {1, 5, 11, 12, 17};
    rs_run(splits, AUG_ARRAY_LEN(splits));
}

/* Checkpoint rounds (ingest.c invariant 7) one state per commit, a round
 * starting whenever something is dirty: a crash after every batch, so
 * mid-round too, still gives the rollups of an uninterrupted run, and the
 * rounds do truncate the WAL. */
static void test_checkpoint_rounds_in_chunks(void)
{
    ingest_opts o = opts;
    o.checkpoint_interval_ms = 0;
    o.checkpoint_chunk = 1;
    cur_opts = &o;
    rs_stale = false;
    int splits[RS_BATCHES - 1];
    for (int i = 0; i < RS_BATCHES - 1; i++)
        splits[i] = i + 1;
    rs_run(splits, AUG_ARRAY_LEN(splits));

    char dir[] = "/tmp/augur-ingest-wal.XXXXXX";
    store *s = rs_open(dir);
    metrics_registry *reg;
    ingest *g = open_ingest(s, &reg);
    rs_write(g, 0, RS_BATCHES);
    store_stats st;
    CHECK_EQ_I64(store_stats_get(s, &st), AUG_OK);
    CHECK(st.wal_records <= 4); /* not one per batch */
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    CHECK(tmpdir_remove(dir) == 0);
    cur_opts = &opts;
}

/* A sample whose minute bucket the store cannot key (its start would lie
 * below -INT64_MAX/1000 s: timestamps within ~1 min of INT64_MIN, e.g. a
 * client's "no timestamp" sentinel) is refused with its own request. It
 * used to be accepted into the open minute; the sweep closing that minute
 * then failed every later group commit with AUG_EINVAL (400 to every
 * write, and again after a restart: the WAL and checkpoint brought it back). */
static void test_unbucketable_timestamp_refused_alone(void)
{
    static const ingest_opts quick = {
        .close_delay_ms = 0, /* the sweep closes quiet minutes at once */
        .checkpoint_interval_ms = 3600 * 1000,
        .minute_retention_s = 400 * 86400,
        .hour_retention_s = 4000 * 86400,
        .max_series = 1000,
        .queue_limit_samples = 1000000,
    };
    cur_opts = &quick;
    store *s = open_at(tmp_new(), 0, 0);
    metrics_registry *reg;
    ingest *g = open_ingest(s, &reg);
    tseries bad, good;
    tseries_init(&bad, "sentinel");
    add(&bad, INT64_MIN + 1, 1);
    ingest_result r;
    CHECK_EQ_I64(ingest_write(g, &bad.ws, 1, &r), AUG_EINVAL);
    tseries_init(&bad, "sentinel");
    add(&bad, INT64_MAX, 1); /* its bucket end in ms would overflow */
    CHECK_EQ_I64(ingest_write(g, &bad.ws, 1, &r), AUG_EINVAL);
    /* Past the sweep interval and the close delay, other series still commit. */
    struct timespec ts = {2, 500 * 1000000};
    nanosleep(&ts, NULL);
    int64_t b = base_ms();
    for (int i = 0; i < 2; i++) {
        tseries_init(&good, "fine");
        add(&good, b + i * MIN_MS, 1);
        CHECK_EQ_I64(ingest_write(g, &good.ws, 1, &r), AUG_OK);
        CHECK_EQ_I64(r.accepted, 1);
    }
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
    cur_opts = &opts;
}

CHECK_MAIN(CHECK_CASE(test_retention_deletes_old_buckets), CHECK_CASE(test_minute_rollups_and_duplicates), CHECK_CASE(test_stale_and_nonfinite),
           CHECK_CASE(test_series_limit_and_hook), CHECK_CASE(test_recovery_replays_wal),
           CHECK_CASE(test_failed_commit_leaves_no_trace),
           CHECK_CASE(test_restart_matches_uninterrupted),
           CHECK_CASE(test_checkpoint_rounds_in_chunks), CHECK_CASE(test_unbucketable_timestamp_refused_alone),
           CHECK_CASE(test_series_without_samples_takes_no_slot))
