/* Tests of `augurctl backfill` (tools/ctl_backfill.c) in-process with real
 * LMDB stores: the default series name, minute rollups checked against sums
 * computed here, batch size not changing what is stored, a rerun skipping
 * everything, and a rejected file leaving the store untouched. The daemon
 * side (remote-read, equivalence with remote-write, the lock) is in
 * tests/integration/test_backfill.py. */
#include "../../../tools/ctl_backfill.c"

#include "../storage/helpers.h"
#include "../ctl_capture.h"

#include <sys/stat.h>

static void test_series_from_path(void)
{
    util_arena *a = util_arena_new(1 << 16);
    CHECK_STR(series_from_path(a, "data/ec2_cpu-utilization.24ae8d.csv"), "ec2_cpu_utilization_24ae8d");
    CHECK_STR(series_from_path(a, "Twitter_volume_AAPL.csv"), "Twitter_volume_AAPL");
    CHECK_STR(series_from_path(a, "/x/9lives"), "_9lives");
    CHECK_STR(series_from_path(a, "rec:rule.csv"), "rec:rule");
    CHECK_STR(series_from_path(a, ".hidden"), "_hidden");
    CHECK_STR(series_from_path(a, "caf\xc3\xa9.csv"), "caf__");
    CHECK(series_from_path(a, "dir/") == NULL);
    util_arena_free(a);
}

static char csv[512];

/* n samples 13 s apart from t0 (value k*1.5 at sample k, a NaN at 40),
 * written out of order: the lines of each pair are swapped. */
static void write_csv(const char *dir, int64_t t0, int n)
{
    snprintf(csv, sizeof csv, "%s/unit_bf.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "timestamp,value\n");
    for (int k = 0; k < n; k += 2)
        for (int j = 1; j >= 0; j--)
            if (k + j < n) {
                if (k + j == 40)
                    fprintf(f, "%" PRId64 ",NaN\n", t0 + (k + j) * 13);
                else
                    fprintf(f, "%" PRId64 ",%.1f\n", t0 + (k + j) * 13, (k + j) * 1.5);
            }
    fclose(f);
}

/* All minute rollups of series 1 as text (start count sum min max last). */
static void dump_minutes(const char *dir, char *buf, size_t cap)
{
    store *s = open_at(dir, 0, 0);
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, false, &t), AUG_OK);
    store_rollup_iter *it = NULL;
    CHECK_EQ_I64(store_rollup_iter_open(t, 1, STORE_RES_MINUTE, INT64_MIN / 2, INT64_MAX / 2, &it), AUG_OK);
    size_t off = 0;
    int64_t start;
    store_rollup r;
    buf[0] = '\0';
    while (store_rollup_iter_next(it, &start, &r) == AUG_OK && off < cap)
        off += (size_t)snprintf(buf + off, cap - off, "%" PRId64 " %u %.17g %.17g %.17g %.17g\n", start, r.count,
                                r.sum, r.min, r.max, r.last);
    store_rollup_iter_close(it);
    store_txn_abort(t);
    store_close(s);
}

static void test_import_batches_and_rerun(void)
{
    const char *dir = tmp_new();
    char d1[300], d2[300];
    snprintf(d1, sizeof d1, "%s/one", dir);
    snprintf(d2, sizeof d2, "%s/many", dir);
    int64_t t0 = 1700000040; /* a minute boundary */
    write_csv(dir, t0, 300);
    CHECK_EQ_I64(ctl_runv(ctl_backfill, "backfill", "--storage.path", d1, csv, (const char *)NULL), 0);
    CHECK(strstr(ctl_err, "unit_bf: 300 samples 2023-11-14 22:14:00 .. 2023-11-14 23:18:47 UTC: 299 imported, "
                          "1 skipped (0 repeated timestamps in the file, 0 at or before the newest stored sample, "
                          "1 NaN/Inf); 150 lines were out of order and were sorted\n") != NULL);
    CHECK(strstr(ctl_err, "1 new series") != NULL);
    CHECK_EQ_I64(ctl_runv(ctl_backfill, "backfill", "--storage.path=", csv, (const char *)NULL), 2);
    CHECK_EQ_I64(ctl_runv(ctl_backfill, "backfill", "--batch-samples=7", "--storage.path", d2, csv,
                          (const char *)NULL), 0);

    static char a[1 << 15], b[1 << 15];
    dump_minutes(d1, a, sizeof a);
    dump_minutes(d2, b, sizeof b);
    CHECK_STR(a, b); /* 43 commits of 7 samples store what one commit does */

    /* Every closed minute against sums computed here; the newest minute
     * (of sample 299) stays open in the checkpoint. */
    char want[1 << 15];
    size_t off = 0;
    for (int64_t m = t0; m < t0 + 13 * 299 / 60 * 60; m += 60) {
        uint32_t count = 0;
        double sum = 0, min = (double)INFINITY, max = -(double)INFINITY, last = 0;
        for (int k = 0; k < 300; k++) {
            int64_t ts = t0 + k * 13;
            if (ts < m || ts >= m + 60 || k == 40)
                continue;
            count++;
            sum += k * 1.5;
            min = fmin(min, k * 1.5);
            max = fmax(max, k * 1.5);
            last = k * 1.5;
        }
        off += (size_t)snprintf(want + off, sizeof want - off, "%" PRId64 " %u %.17g %.17g %.17g %.17g\n", m, count,
                                sum, min, max, last);
    }
    CHECK_STR(a, want);
    size_t lines = 0;
    for (const char *c = a; *c != '\0'; c++)
        lines += *c == '\n';
    CHECK_EQ_I64(lines, 13 * 299 / 60); /* 64 closed minutes */

    CHECK_EQ_I64(ctl_runv(ctl_backfill, "backfill", "--storage.path", d1, csv, (const char *)NULL), 0);
    CHECK(strstr(ctl_err, "0 imported, 300 skipped (0 repeated timestamps in the file, 300 at or before the "
                          "newest stored sample, 0 NaN/Inf)") != NULL);
    dump_minutes(d1, b, sizeof b);
    CHECK_STR(a, b);
    tmp_remove();
}

static void test_rejected_file_touches_nothing(void)
{
    const char *dir = tmp_new();
    char store_dir[300], bad[300];
    snprintf(store_dir, sizeof store_dir, "%s/data", dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    write_csv(dir, 1700000040, 50);
    FILE *f = fopen(bad, "w");
    fputs("timestamp,value\n1700000000,1\n1700000010,2,3\n", f);
    fclose(f);
    CHECK_EQ_I64(ctl_runv(ctl_backfill, "backfill", "--storage.path", store_dir, csv, bad, (const char *)NULL), 1);
    char want[400];
    snprintf(want, sizeof want,
             "augurctl backfill: %s:3: expected two comma-separated fields\naugurctl backfill: nothing imported\n",
             bad);
    CHECK_STR(ctl_err, want);
    struct stat st;
    CHECK(stat(store_dir, &st) != 0); /* not even created */
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_series_from_path), CHECK_CASE(test_import_batches_and_rerun),
           CHECK_CASE(test_rejected_file_touches_nothing))
