/* bench_store.c — storage/ figures on a real LMDB environment with normal
 * (fsync) commits. Usage: bench_store [DIR]  (default: a mkdtemp directory
 * under $TMPDIR or /tmp, removed afterwards). Runs in well under 30 s.
 *
 *   WAL append      2000-entry remote-write-like records, commit (fsync)
 *                   every 10 appends: entries/s, bytes/entry, ms/commit
 *   state ckpt      100k series' ingest state in one txn: puts/s, ms/ckpt
 *   rollup put      10k series × 60 minute buckets, 10k puts per commit
 *   rollup read     the same buckets through range iterators
 *   postings        lookup latency of a 1-id and a 10k-id posting, and
 *                   one store_postings_values pass over a 10-value label
 */
#include "util/common.h"
#include "storage/store.h"
#include "util/mem.h"

#include <ftw.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, aug_err e)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, aug_strerror(e));
    exit(1);
}

#define TRY(x) \
    do { \
        aug_err e_ = (x); \
        if (e_ != AUG_OK) \
            die(#x, e_); \
    } while (0)

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static store_txn *begin(store *s, bool write)
{
    store_txn *t;
    TRY(store_txn_begin(s, write, &t));
    return t;
}

static void bench_wal(store *s)
{
    enum { ENTRIES = 2000, APPENDS = 300, PER_COMMIT = 10, SERIES = 20000 };
    static store_wal_entry e[ENTRIES];
    static double counters[SERIES];
    store_stats before, after;
    TRY(store_stats_get(s, &before));
    uint64_t seq = 1;
    size_t commits = 0;
    double t0 = now(), commit_time = 0;
    for (int a = 0; a < APPENDS; a += PER_COMMIT) {
        store_txn *t = begin(s, true);
        for (int j = 0; j < PER_COMMIT; j++, seq++) {
            /* One remote-write batch: 2000 consecutive series of a scrape,
             * 3/4 counters (integral), 1/4 gauges (arbitrary doubles). */
            uint32_t base = (uint32_t)((seq * ENTRIES) % SERIES);
            int64_t ts = 1700000000000 + (int64_t)(seq * ENTRIES / SERIES) * 15000;
            for (int i = 0; i < ENTRIES; i++) {
                uint32_t id = base + (uint32_t)i + 1;
                double v;
                if (id % 4) {
                    counters[id % SERIES] += (double)(next_rand() % 1000);
                    v = counters[id % SERIES];
                } else {
                    v = (double)(next_rand() >> 11) / 9007199254740992.0 * 100;
                }
                e[i] = (store_wal_entry){id, ts, v};
            }
            TRY(store_wal_append(t, seq, e, ENTRIES));
        }
        double c0 = now();
        TRY(store_txn_commit(t));
        commit_time += now() - c0;
        commits++;
    }
    double dt = now() - t0;
    TRY(store_stats_get(s, &after));
    double entries = (double)APPENDS * ENTRIES;
    printf("wal append      %9.0f entries/s  (%d × %d-entry records, fsync every %d: %.2f ms/commit; %.2f B/entry "
           "on disk incl. btree)\n",
           entries / dt, APPENDS, ENTRIES, PER_COMMIT, commit_time / (double)commits * 1e3,
           (double)(after.used_bytes - before.used_bytes) / entries);
    printf("wal append      %9.0f entries/s  (encode + put only, commits excluded: %.1f µs per record)\n",
           entries / (dt - commit_time), (dt - commit_time) / APPENDS * 1e6);
    store_txn *t = begin(s, true);
    double tt = now();
    TRY(store_wal_truncate(t, seq));
    TRY(store_txn_commit(t));
    printf("wal truncate    %9.2f ms for %d records (drop + fsync)\n", (now() - tt) * 1e3, APPENDS);
}

static void bench_state(store *s)
{
    enum { SERIES = 100000, ROUNDS = 3 };
    double total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now();
        store_txn *t = begin(s, true);
        for (uint32_t id = 1; id <= SERIES; id++) {
            double v = (double)(id + (uint32_t)round * 7);
            store_rollup m = {.count = 4, .sum = 4 * v, .min = v - 1, .max = v + 1, .last = v,
                              .last_ts_ms = 1700000055000 + round * 60000, .increase = 3};
            store_rollup h = m;
            h.count = 120;
            store_series_state st = {.last_ts_ms = m.last_ts_ms, .prev_value = v, .has_prev = true,
                                     .minute_start_s = 1700000040 + round * 60, .minute = m,
                                     .hour_start_s = 1699999200, .hour = h};
            TRY(store_state_put(t, id, &st));
        }
        TRY(store_txn_commit(t));
        total += now() - t0;
    }
    printf("state ckpt      %9.0f puts/s     (%d series: %.1f ms per checkpoint incl. fsync, mean of %d)\n",
           SERIES * ROUNDS / total, SERIES, total / ROUNDS * 1e3, ROUNDS);
}

static void bench_rollup(store *s)
{
    enum { SERIES = 10000, BUCKETS = 60 };
    /* The ingest pattern: every commit writes one bucket of every series,
     * so each put lands on another leaf page (key = id | res | start). */
    double t0 = now(), commit_time = 0;
    for (int b = 0; b < BUCKETS; b++) {
        store_txn *t = begin(s, true);
        for (uint32_t id = 1; id <= SERIES; id++) {
            double v = (double)(next_rand() % 100000) / 100;
            store_rollup r = {.count = 4, .sum = 4 * v, .min = v, .max = v + 1, .last = v + 0.5,
                              .last_ts_ms = (int64_t)(1700000040 + b * 60) * 1000 + 45000, .increase = 0};
            TRY(store_rollup_put(t, id, STORE_RES_MINUTE, 1700000040 + b * 60, &r));
        }
        double c0 = now();
        TRY(store_txn_commit(t));
        commit_time += now() - c0;
    }
    double dt = now() - t0;
    printf("rollup put      %9.0f puts/s     (%d series × %d minutes, one minute of every series per commit: "
           "%.1f ms puts + %.1f ms commit)\n",
           SERIES * BUCKETS / dt, SERIES, BUCKETS, (dt - commit_time) / BUCKETS * 1e3, commit_time / BUCKETS * 1e3);
    /* Backfill pattern: all buckets of one series after another (hour
     * resolution so the keys are new), 10k puts per commit. */
    t0 = now();
    store_txn *bt = begin(s, true);
    size_t in_txn = 0;
    for (uint32_t id = 1; id <= SERIES; id++) {
        for (int b = 0; b < BUCKETS; b++) {
            store_rollup r = {.count = 1, .sum = 1, .min = 1, .max = 1, .last = 1,
                              .last_ts_ms = (int64_t)(1699999200 + b * 3600) * 1000};
            TRY(store_rollup_put(bt, id, STORE_RES_HOUR, 1699999200 + b * 3600, &r));
            if (++in_txn == SERIES) {
                TRY(store_txn_commit(bt));
                bt = begin(s, true);
                in_txn = 0;
            }
        }
    }
    TRY(store_txn_commit(bt));
    dt = now() - t0;
    printf("rollup put      %9.0f puts/s     (backfill order: series by series, %d puts per commit)\n",
           SERIES * BUCKETS / dt, SERIES);

    store_txn *t = begin(s, false);
    double sum = 0;
    size_t n = 0;
    t0 = now();
    for (uint32_t id = 1; id <= SERIES; id++) {
        store_rollup_iter *it;
        TRY(store_rollup_iter_open(t, id, STORE_RES_MINUTE, 1700000040, 1700000040 + BUCKETS * 60, &it));
        int64_t start;
        store_rollup r;
        aug_err e;
        while ((e = store_rollup_iter_next(it, &start, &r)) == AUG_OK) {
            sum += r.sum;
            n++;
        }
        if (e != AUG_ENOTFOUND)
            die("iter", e);
        store_rollup_iter_close(it);
    }
    dt = now() - t0;
    store_txn_abort(t);
    printf("rollup read     %9.0f buckets/s  (%zu buckets in %d range reads of %d; checksum %.0f)\n", (double)n / dt,
           n, SERIES, BUCKETS, sum);
}

static aug_err count_values(void *arg, aug_str value, const uint32_t *ids, size_t n)
{
    (void)value;
    (void)ids;
    *(size_t *)arg += n;
    return AUG_OK;
}

static void bench_postings(store *s)
{
    enum { SERIES = 100000, LOOKUPS = 20000 };
    store_txn *t = begin(s, true);
    char key[160];
    double t0 = now();
    for (uint32_t id = 1; id <= SERIES; id++) {
        int len = snprintf(key, sizeof key,
                           "__name__\xffnode_cpu_seconds_total\xff" "cpu\xff%u\xffinstance\xffhost-%05u:9100\xff"
                           "job\xffjob%u\xffmode\xffidle\xff",
                           id % 8, id, id % 10);
        TRY(store_series_put(t, id, (aug_bytes){(const uint8_t *)key, (size_t)len}));
    }
    TRY(store_txn_commit(t));
    printf("series put      %9.0f series/s   (%d series × 5 labels, one commit)\n", SERIES / (now() - t0), SERIES);

    static uint32_t ids[SERIES];
    size_t n = 0;
    char val[32];
    t = begin(s, false);
    t0 = now();
    for (int i = 0; i < LOOKUPS; i++) {
        int len = snprintf(val, sizeof val, "host-%05u:9100", (unsigned)(next_rand() % SERIES) + 1);
        TRY(store_postings_get(t, (aug_str){"instance", 8}, (aug_str){val, (size_t)len}, ids, SERIES, &n));
    }
    double one = (now() - t0) / LOOKUPS;
    t0 = now();
    for (int i = 0; i < 200; i++) {
        int len = snprintf(val, sizeof val, "job%d", i % 10);
        TRY(store_postings_get(t, (aug_str){"job", 3}, (aug_str){val, (size_t)len}, ids, SERIES, &n));
    }
    double many = (now() - t0) / 200;
    size_t total = 0;
    t0 = now();
    TRY(store_postings_values(t, (aug_str){"job", 3}, count_values, &total));
    double values = now() - t0;
    store_txn_abort(t);
    printf("postings get    %9.2f µs         (instance=…: 1 id)\n", one * 1e6);
    printf("postings get    %9.2f µs         (job=…: %zu ids, %.1f ns/id)\n", many * 1e6, n, many / (double)n * 1e9);
    printf("postings values %9.2f ms         (job: 10 values, %zu ids)\n", values * 1e3, total);
}

int main(int argc, char **argv)
{
    char dir[512];
    bool own = argc < 2;
    if (own) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/augur-bench-store.XXXXXX", base ? base : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
    } else {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    }
    store_opts o = {.path = dir, .initial_map_bytes = 64u << 20};
    store *s;
    aug_errbuf eb = {{0}};
    aug_err e = store_open(&o, &s, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "bench_store: %s\n", aug_errmsg(&eb, e));
        return 1;
    }
    printf("bench_store: %s (initial map 64 MiB, fsync commits)\n", dir);
    double t0 = now();
    bench_wal(s);
    bench_state(s);
    bench_rollup(s);
    bench_postings(s);
    store_stats st;
    TRY(store_stats_get(s, &st));
    printf("store           map %zu MiB (%" PRIu64 " grows), used %zu MiB, file %zu MiB; total %.1f s\n",
           st.map_bytes >> 20, st.map_grows, st.used_bytes >> 20, st.file_bytes >> 20, now() - t0);
    store_close(s);
    if (own)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
