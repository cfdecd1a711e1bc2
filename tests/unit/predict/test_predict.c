/* Unit tests for src/predict/: synthetic closed-bucket events through the
 * real hook, thread, models and a real LMDB store, checked against the exact
 * points the sink receives (names, labels, timestamps, values), the
 * aggregation and finalization rules, rate, the error and anomaly math on a
 * hand-computed case, bounds, persistence and resume, remote-read paths,
 * status, reload, seeding new models and filling resumed models' gaps from
 * the store, and a hook that never blocks. */
#include "helpers.h"

#include "forecast/forecast.h"
#include "predict/predict_int.h"
#include "util/log.h"
#include "util/time.h"

#define Z80 1.2815515655446004

/* A minute start ten minutes before the real wall clock: the predict
 * thread's first scan may use the real clock, so the fake one stays close. */
static int64_t base_s(void)
{
    return (util_now_ms() / 60000) * 60 - 600;
}

static const char cfg_single[] = "forecasts:\n"
                                 "  - name: cpu\n"
                                 "    series: 'cpu{job=\"a\"}'\n"
                                 "    horizons: [2m, 5m]\n"
                                 "    model: naive\n";

/* The exact series of one final bucket, values of a cold naive model. */
static void test_points_exact(void)
{
    harness h;
    h_open(&h, cfg_single);
    add_series(h.s, 1, "__name__", "cpu", "instance", "x", "job", "a", NULL);
    add_series(h.s, 2, "__name__", "cpu", "instance", "y", "job", "b", NULL); /* not selected */
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 1.0, 0);
    bucket(h.p, 2, STORE_RES_MINUTE, S, 50.0, 0);
    bucket(h.p, 1, STORE_RES_HOUR, S - S % 3600, 9.0, 0); /* a resolution no target uses */
    predict_flush(h.p);
    int64_t T = (S + 60) * 1000;
    const char *want[] = {
        "ai_cpu_forecast{horizon=\"2m\",instance=\"x\",job=\"a\"}",
        "ai_cpu_forecast_lower{horizon=\"2m\",instance=\"x\",interval=\"80\",job=\"a\"}",
        "ai_cpu_forecast_upper{horizon=\"2m\",instance=\"x\",interval=\"80\",job=\"a\"}",
        "ai_cpu_forecast_lower{horizon=\"2m\",instance=\"x\",interval=\"95\",job=\"a\"}",
        "ai_cpu_forecast_upper{horizon=\"2m\",instance=\"x\",interval=\"95\",job=\"a\"}",
        "ai_cpu_forecast{horizon=\"5m\",instance=\"x\",job=\"a\"}",
        "ai_cpu_forecast_lower{horizon=\"5m\",instance=\"x\",interval=\"80\",job=\"a\"}",
        "ai_cpu_forecast_upper{horizon=\"5m\",instance=\"x\",interval=\"80\",job=\"a\"}",
        "ai_cpu_forecast_lower{horizon=\"5m\",instance=\"x\",interval=\"95\",job=\"a\"}",
        "ai_cpu_forecast_upper{horizon=\"5m\",instance=\"x\",interval=\"95\",job=\"a\"}",
        "ai_cpu_forecast_state{instance=\"x\",job=\"a\",state=\"cold\"}",
        "ai_cpu_forecast_state{instance=\"x\",job=\"a\",state=\"warming\"}",
        "ai_cpu_forecast_state{instance=\"x\",job=\"a\",state=\"ready\"}",
    };
    CHECK_EQ_I64(h.rec.n, AUG_ARRAY_LEN(want));
    for (size_t i = 0; i < AUG_ARRAY_LEN(want); i++) {
        double v = TNAN;
        CHECK_EQ_I64(rec_find(&h.rec, want[i], T, &v), 1);
        if (strstr(want[i], "_forecast{") != NULL)
            CHECK_NEAR(v, 1.0, 0); /* cold naive: the last value */
        if (strstr(want[i], "state=\"cold\"") != NULL)
            CHECK_NEAR(v, 1.0, 0);
        if (strstr(want[i], "state=\"ready\"") != NULL)
            CHECK_NEAR(v, 0.0, 0);
    }
    for (size_t i = 0; i < h.rec.n; i++) {
        CHECK(h.rec.p[i].sorted);
        CHECK_EQ_I64(h.rec.p[i].ts_ms, T);
    }

    /* Two more buckets: each emits at its own end, strictly later; the 2m
     * forecast made at S is checked at S+120 (an error appears). */
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 2.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 120, 4.0, 0);
    predict_flush(h.p);
    double v = TNAN;
    CHECK_EQ_I64(rec_find(&h.rec, "ai_cpu_forecast{horizon=\"2m\",instance=\"x\",job=\"a\"}", T + 60000, &v), 1);
    CHECK_NEAR(v, 2.0, 0);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_cpu_forecast_error{horizon=\"2m\",instance=\"x\",job=\"a\"}", T + 60000,
                          NULL),
                 0);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_cpu_forecast_error{horizon=\"2m\",instance=\"x\",job=\"a\"}", T + 120000,
                          &v),
                 1);
    CHECK_NEAR(v, 3.0 / 4.0, 1e-15); /* |4 - 1| / 4 */
    CHECK_EQ_I64(rec_find(&h.rec, "ai_cpu_forecast_error{horizon=\"5m\",instance=\"x\",job=\"a\"}", 0, NULL), 0);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.updates, 3);
    CHECK_EQ_I64(st.groups, 1);
    CHECK_EQ_I64(st.late, 0);
    h_close(&h);
}

/* Buckets end in the past only; older than an hour they train but emit
 * nothing; the same bucket twice is late; a future end is never emitted. */
static void test_emission_rules(void)
{
    harness h;
    h_open(&h, cfg_single);
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    int64_t S = base_s();
    set_now((S + 60) * 1000 + 5);
    bucket(h.p, 1, STORE_RES_MINUTE, S - 7200, 1.0, 0); /* two hours old */
    predict_flush(h.p);
    CHECK_EQ_I64(h.rec.n, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 1.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 5.0, 0); /* again: late */
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 2.0, 0); /* ends in the future */
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.updates, 3);
    CHECK_EQ_I64(st.late, 1);
    CHECK_EQ_I64(rec_count_at(&h.rec, (S + 60) * 1000), 13);
    CHECK_EQ_I64(rec_count_at(&h.rec, (S + 120) * 1000), 0);
    CHECK_EQ_I64(h.rec.n, 13);
    h_close(&h);
}

static const char cfg_agg[] = "ingest:\n"
                              "  close_delay: 5s\n"
                              "forecasts:\n"
                              "  - name: req\n"
                              "    series: 'req'\n"
                              "    aggregate: sum by (job)\n"
                              "    horizons: [1m]\n"
                              "    model: naive\n"
                              "  - name: reqmax\n"
                              "    series: 'req'\n"
                              "    aggregate: max without (instance)\n"
                              "    horizons: [1m]\n"
                              "    model: naive\n"
                              "  - name: reqavg\n"
                              "    series: 'req'\n"
                              "    aggregate: avg\n"
                              "    horizons: [1m]\n"
                              "    model: naive\n"
                              "  - name: reqcount\n"
                              "    series: 'req'\n"
                              "    aggregate: count by (job)\n"
                              "    horizons: [1m]\n"
                              "    model: naive\n"
                              "  - name: reqmin\n"
                              "    series: 'req{job=\"a\"}'\n"
                              "    aggregate: min by (job)\n"
                              "    horizons: [1m]\n"
                              "    model: naive\n";

static double fc_at(harness *h, const char *series, int64_t T)
{
    double v = TNAN;
    if (rec_find(&h->rec, series, T, &v) != 1)
        return TNAN;
    return v;
}

static void test_aggregation(void)
{
    harness h;
    h_open(&h, cfg_agg);
    add_series(h.s, 1, "__name__", "req", "instance", "1", "job", "a", "zone", "z", NULL);
    add_series(h.s, 2, "__name__", "req", "instance", "2", "job", "a", "zone", "z", NULL);
    add_series(h.s, 3, "__name__", "req", "instance", "1", "job", "b", "zone", "z", NULL);
    int64_t S = base_s();
    set_now((S + 120) * 1000);
    /* Only one of job a's two members reported: its sum waits (rule a). */
    bucket(h.p, 1, STORE_RES_MINUTE, S, 10.0, 0);
    predict_flush(h.p);
    int64_t T = (S + 60) * 1000;
    CHECK(isnan(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T)));
    bucket(h.p, 2, STORE_RES_MINUTE, S, 5.0, 0);
    bucket(h.p, 3, STORE_RES_MINUTE, S, 7.0, 0);
    predict_flush(h.p);
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T), 15.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"b\"}", T), 7.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_reqmax_forecast{horizon=\"1m\",job=\"a\",zone=\"z\"}", T), 10.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_reqmax_forecast{horizon=\"1m\",job=\"b\",zone=\"z\"}", T), 7.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_reqavg_forecast{horizon=\"1m\"}", T), 22.0 / 3.0, 1e-12);
    CHECK_NEAR(fc_at(&h, "ai_reqcount_forecast{horizon=\"1m\",job=\"a\"}", T), 2.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_reqcount_forecast{horizon=\"1m\",job=\"b\"}", T), 1.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_reqmin_forecast{horizon=\"1m\",job=\"a\"}", T), 5.0, 0);

    /* A member that skips a bucket but reports a later one does not hold
     * the group back (rule a); one that reports nothing holds it back until
     * the grace (close_delay 5s + 10s slack) has passed (rule b). */
    set_now((S + 180) * 1000);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 1.0, 0);
    bucket(h.p, 2, STORE_RES_MINUTE, S + 120, 2.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 120, 3.0, 0);
    predict_flush(h.p);
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 60000), 1.0, 0);
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 120000), 5.0, 0);
    CHECK(isnan(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"b\"}", T + 60000)));
    set_now((S + 240) * 1000); /* the bucket's first report arrives now */
    bucket(h.p, 1, STORE_RES_MINUTE, S + 180, 4.0, 0);
    predict_flush(h.p);
    CHECK(isnan(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 180000)));
    set_now((S + 240) * 1000 + 14000); /* 14 s later: not yet */
    predict_flush(h.p);
    CHECK(isnan(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 180000)));
    set_now((S + 240) * 1000 + 15000); /* grace reached: final with what came */
    predict_flush(h.p);
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 180000), 4.0, 0);
    /* Member 2's report for the bucket that is final now is late. */
    predict_stats st;
    predict_stats_get(h.p, &st);
    uint64_t late = st.late;
    bucket(h.p, 2, STORE_RES_MINUTE, S + 180, 100.0, 0);
    predict_flush(h.p);
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.late, late + 5); /* one per target: member 2 is in all five */
    h_close(&h);
}

/* A member whose report comes after its group bucket was final (late) is
 * alive and past that bucket: the next bucket waits for it again. */
static void test_late_member_stays_live(void)
{
    harness h;
    h_open(&h, cfg_agg);
    add_series(h.s, 1, "__name__", "req", "instance", "1", "job", "a", "zone", "z", NULL);
    add_series(h.s, 2, "__name__", "req", "instance", "2", "job", "a", "zone", "z", NULL);
    int64_t S = base_s() - 600;
    set_now((S + 60) * 1000);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 1.0, 0);
    bucket(h.p, 2, STORE_RES_MINUTE, S, 2.0, 0);
    predict_flush(h.p);
    /* Member 2 goes quiet for longer than width + grace (75 s): bucket S+60
     * is final with member 1 alone once it is overdue. */
    set_now((S + 200) * 1000);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 10.0, 0);
    set_now((S + 216) * 1000);
    predict_flush(h.p);
    int64_t T = (S + 120) * 1000;
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T), 10.0, 0);
    /* Member 2's S+60 arrives late (dropped), then member 1's S+120: the
     * group waits for member 2 again instead of treating it as gone. */
    bucket(h.p, 2, STORE_RES_MINUTE, S + 60, 20.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 120, 100.0, 0);
    predict_flush(h.p);
    CHECK(isnan(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 60000)));
    bucket(h.p, 2, STORE_RES_MINUTE, S + 120, 200.0, 0);
    predict_flush(h.p);
    CHECK_NEAR(fc_at(&h, "ai_req_forecast{horizon=\"1m\",job=\"a\"}", T + 60000), 300.0, 0);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.late, 5); /* member 2's S+60, once per target: it is in all five */
    h_close(&h);
}

static void test_rate(void)
{
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: http\n"
               "    series: 'http_requests_total'\n"
               "    rate: true\n"
               "    aggregate: sum\n"
               "    horizons: [1m]\n"
               "    model: naive\n"
               "  - name: httph\n"
               "    series: 'http_requests_total'\n"
               "    rate: true\n"
               "    resolution: hour\n"
               "    horizons: [1h]\n"
               "    model: naive\n");
    add_series(h.s, 1, "__name__", "http_requests_total", "code", "200", NULL);
    add_series(h.s, 2, "__name__", "http_requests_total", "code", "500", NULL);
    int64_t S = base_s();
    set_now((S + 60) * 1000 + 1);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 1e6, 120.0); /* counter level is irrelevant: 2/s */
    bucket(h.p, 2, STORE_RES_MINUTE, S, 3.0, 30.0);  /* 0.5/s */
    predict_flush(h.p);
    CHECK_NEAR(fc_at(&h, "ai_http_forecast{horizon=\"1m\"}", (S + 60) * 1000), 2.5, 1e-12);
    int64_t H = S - S % 3600 - 3600;
    set_now((H + 3600) * 1000 + 1000);
    bucket(h.p, 1, STORE_RES_HOUR, H, 1e6, 7200.0); /* 2/s over the hour */
    predict_flush(h.p);
    double v = TNAN;
    CHECK_EQ_I64(rec_find(&h.rec, "ai_httph_forecast{code=\"200\",horizon=\"1h\"}", (H + 3600) * 1000, &v), 1);
    CHECK_NEAR(v, 2.0, 1e-12);
    h_close(&h);
}

/* Hand-computed feedback: a naive model forecasts the last value at every
 * lead, so the errors are known; the anomaly score uses the 1-step interval
 * the previous bucket published. */
static void test_error_and_anomaly_math(void)
{
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: m\n"
               "    series: 'm'\n"
               "    horizons: [1m, 2m]\n"
               "    model: naive\n");
    add_series(h.s, 1, "__name__", "m", NULL);
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    const double y[] = {100, 110, 99, 120};
    for (int i = 0; i < 4; i++)
        bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * i, y[i], 0);
    predict_flush(h.p);
    int64_t T = (S + 60) * 1000;
    double e1 = TNAN, e2 = TNAN;
    /* bucket 1: 1m forecast from bucket 0 was 100 */
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_error{horizon=\"1m\"}", T + 60000, &e1), 1);
    CHECK_NEAR(e1, 10.0 / 110.0, 1e-15);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_error{horizon=\"2m\"}", T + 60000, NULL), 0);
    /* bucket 2: 1m forecast 110 (|99-110|/99), 2m forecast from bucket 0 was 100 (|99-100|/99) */
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_error{horizon=\"1m\"}", T + 120000, &e1), 1);
    CHECK_NEAR(e1, (10.0 + 11.0) / (110.0 + 99.0), 1e-15);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_error{horizon=\"2m\"}", T + 120000, &e2), 1);
    CHECK_NEAR(e2, 1.0 / 99.0, 1e-15);
    /* bucket 3: the weighted error of every forecast so far (forecast/accuracy.h) */
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_error{horizon=\"1m\"}", T + 180000, &e1), 1);
    CHECK_NEAR(e1, (10.0 + 11.0 + 21.0) / (110.0 + 99.0 + 120.0), 1e-15);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_error{horizon=\"2m\"}", T + 180000, &e2), 1);
    CHECK_NEAR(e2, (1.0 + 10.0) / (99.0 + 120.0), 1e-15);
    /* Anomaly at bucket 3 from the 1-step forecast published at bucket 2. */
    double mean = TNAN, lo = TNAN, hi = TNAN, score = TNAN;
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast{horizon=\"1m\"}", T + 120000, &mean), 1);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_lower{horizon=\"1m\",interval=\"80\"}", T + 120000, &lo), 1);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_forecast_upper{horizon=\"1m\",interval=\"80\"}", T + 120000, &hi), 1);
    CHECK_NEAR(mean, 99.0, 0);
    CHECK(hi > lo);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_m_anomaly_score{}", T + 180000, &score), 1);
    CHECK_NEAR(score, fabs(120.0 - 99.0) / ((hi - lo) / (2 * Z80)), 1e-9);
    h_close(&h);
}

static void test_bounded_groups(void)
{
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: b\n"
               "    series: 'b'\n"
               "    horizons: [1m]\n"
               "    max_series: 2\n");
    add_series(h.s, 1, "__name__", "b", "i", "1", NULL);
    add_series(h.s, 2, "__name__", "b", "i", "2", NULL);
    add_series(h.s, 3, "__name__", "b", "i", "3", NULL);
    int64_t S = base_s();
    set_now((S + 60) * 1000);
    for (uint32_t id = 1; id <= 3; id++)
        bucket(h.p, id, STORE_RES_MINUTE, S, (double)id, 0);
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.groups, 2);
    CHECK_EQ_I64(st.groups_refused, 1);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_b_forecast{horizon=\"1m\",i=\"1\"}", 0, NULL), 1);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_b_forecast{horizon=\"1m\",i=\"2\"}", 0, NULL), 1);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_b_forecast{horizon=\"1m\",i=\"3\"}", 0, NULL), 0);
    char *json = NULL;
    size_t len = 0;
    CHECK_EQ_I64(predict_status_json(h.p, 1, &json, &len), AUG_OK);
    CHECK(json != NULL && strlen(json) == len);
    CHECK(json != NULL && strstr(json, "\"groups\":2,\"groups_refused\":1") != NULL);
    CHECK(json != NULL && strstr(json, "\"series_truncated\":true") != NULL);
    aug_free(json);
    h_close(&h);
}

static const char cfg_persist[] = "forecasts:\n"
                                  "  - name: p\n"
                                  "    series: 'p'\n"
                                  "    horizons: [5m, 30m]\n";
/* The same target with the default season spelled out, and with another. */
static const char cfg_persist_1d[] = "forecasts:\n"
                                     "  - name: p\n"
                                     "    series: 'p'\n"
                                     "    horizons: [5m, 30m]\n"
                                     "    season: 1d\n";
static const char cfg_persist_1h[] = "forecasts:\n"
                                     "  - name: p\n"
                                     "    series: 'p'\n"
                                     "    horizons: [5m, 30m]\n"
                                     "    season: 1h\n";
static const char cfg_persist_changed[] = "forecasts:\n"
                                          "  - name: p\n"
                                          "    series: 'p'\n"
                                          "    horizons: [5m, 1h]\n";

static double wave(int64_t k)
{
    /* a daily-ish cycle plus deterministic wiggle */
    return 100 + 20 * sin((double)k * 2 * 3.14159265358979 / 240) + (double)((k * 7919) % 13) / 4;
}

/* Points of one bucket end, sorted by series text, as one string. */
static void points_at(recorder *r, int64_t ts, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    /* selection sort by series text on a copy of the indices */
    size_t idx[256], n = 0;
    for (size_t i = 0; i < r->n && n < 256; i++)
        if (r->p[i].ts_ms == ts)
            idx[n++] = i;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(r->p[idx[j]].series, r->p[idx[i]].series) < 0) {
                size_t t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s %.17g\n", r->p[idx[i]].series, r->p[idx[i]].value);
}

static void test_persist_and_resume(void)
{
    enum { N = 400 };
    int64_t S = base_s() - 60 * N;
    /* Reference: one predict fed N+1 buckets without a restart. */
    harness ref;
    h_open(&ref, cfg_persist);
    add_series(ref.s, 1, "__name__", "p", "job", "x", NULL);
    set_now((S + 60 * (N + 1)) * 1000);
    for (int64_t k = 0; k <= N; k++)
        bucket(ref.p, 1, STORE_RES_MINUTE, S + 60 * k, wave(k), 0);
    predict_flush(ref.p);

    /* Resumed: N buckets, close (saves), reopen on the same store, bucket N. */
    harness h;
    h_open(&h, cfg_persist);
    add_series(h.s, 1, "__name__", "p", "job", "x", NULL);
    for (int64_t k = 0; k < N; k++)
        bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * k, wave(k), 0);
    predict_flush(h.p);
    predict_close(h.p);
    h_open_predict(&h);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * (N - 1), 1.0, 0); /* already learned before the restart: late */
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * N, wave(N), 0);
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 1);
    CHECK_EQ_I64(st.updates, 1);
    CHECK_EQ_I64(st.late, 1);
    static char a[16384], b[16384];
    int64_t T = (S + 60 * (N + 1)) * 1000;
    points_at(&ref.rec, T, a, sizeof a);
    points_at(&h.rec, T, b, sizeof b);
    CHECK(strlen(a) > 0);
    CHECK(strstr(a, "ai_p_forecast_error{horizon=\"5m\",job=\"x\"}") != NULL);
    CHECK(strstr(a, "ai_p_anomaly_score{job=\"x\"}") != NULL);
    CHECK_STR(a, b); /* identical next forecast, errors and anomaly score, bit for bit */
    /* The previous emission's timestamp was kept: nothing at or before it again. */
    CHECK_EQ_I64(rec_count_at(&h.rec, T - 60000), rec_count_at(&ref.rec, T - 60000));
    predict_close(h.p);

    /* The default season spelled out is the same definition: the saved
     * model (with every model saved before seasons were honoured) is kept,
     * and the status shows the season. */
    cfg_free(h.cfg);
    h.cfg = config_of(cfg_persist_1d);
    h_open_predict(&h);
    predict_flush(h.p);
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 1);
    char *json = NULL;
    size_t jlen = 0;
    CHECK_EQ_I64(predict_status_json(h.p, 10, &json, &jlen), AUG_OK);
    CHECK(json != NULL && strstr(json, "\"model\":\"auto\",\"season\":\"1d\",") != NULL);
    CHECK(json != NULL && strstr(json, "\"points\":401,") != NULL);
    aug_free(json);
    predict_close(h.p);

    /* Another definition does not adopt the saved model: a season of 1h
     * (the saved model is daily), then other horizons. */
    for (int d = 0; d < 2; d++) {
        cfg_free(h.cfg);
        h.cfg = config_of(d == 0 ? cfg_persist_1h : cfg_persist_changed);
        h_open_predict(&h);
        set_now((S + 60 * (N + 2 + d)) * 1000);
        bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * (N + 1 + d), wave(N + 1 + d), 0);
        predict_flush(h.p);
        predict_stats_get(h.p, &st);
        CHECK_EQ_I64(st.loads, 0);
        CHECK_EQ_I64(st.updates, 1);
        double v = TNAN;
        CHECK_EQ_I64(rec_find(&h.rec, "ai_p_forecast_state{job=\"x\",state=\"cold\"}", T + 60000 * (1 + d), &v),
                     1);
        CHECK_NEAR(v, 1.0, 0);
        if (d == 0) {
            CHECK_EQ_I64(predict_status_json(h.p, 10, &json, &jlen), AUG_OK);
            CHECK(json != NULL && strstr(json, "\"season\":\"1h\"") != NULL);
            CHECK(json != NULL && strstr(json, "\"points\":1,") != NULL);
            aug_free(json);
        }
        predict_close(h.p);
    }
    h.p = NULL;
    h_close(&h);
    h_close(&ref);
}

typedef struct read_rec {
    char series[16][256];
    size_t nsamples[16];
    aug_sample first[16], last[16];
    size_t n;
} read_rec;

static aug_err read_cb(void *arg, const aug_label *labels, size_t nlabels, const aug_sample *samples, size_t n)
{
    read_rec *r = arg;
    if (r->n == 16)
        return AUG_ETOOBIG;
    size_t o = 0;
    for (size_t i = 0; i < nlabels; i++)
        o += (size_t)snprintf(r->series[r->n] + o, sizeof r->series[0] - o, "%s%.*s=%.*s", i ? "," : "",
                              (int)labels[i].name.len, labels[i].name.p, (int)labels[i].value.len,
                              labels[i].value.p);
    r->nsamples[r->n] = n;
    r->first[r->n] = samples[0];
    r->last[r->n] = samples[n - 1];
    r->n++;
    return AUG_OK;
}

static wire_matcher M(const char *name, wire_match_type t, const char *value)
{
    return (wire_matcher){t, {name, strlen(name)}, {value, strlen(value)}};
}

static void test_read_paths(void)
{
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: cpu\n"
               "    series: 'cpu'\n"
               "    horizons: [15m, 1h]\n");
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    add_series(h.s, 2, "__name__", "cpu", "job", "b", NULL);
    int64_t S = base_s();
    set_now((S + 60) * 1000);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 3.0, 0);
    bucket(h.p, 2, STORE_RES_MINUTE, S, 4.0, 0);
    predict_flush(h.p);
    int64_t base = (S + 60) * 1000;
    read_rec r = {0};
    bool handled = false;
    aug_errbuf eb = {{0}};
    wire_matcher q1[] = {M("__name__", WIRE_MATCH_EQ, "ai_cpu_forecast_path"), M("job", WIRE_MATCH_EQ, "a")};
    CHECK_EQ_I64(predict_read(h.p, q1, 2, base, base + 7200000, read_cb, &r, &handled, &eb), AUG_OK);
    CHECK(handled);
    CHECK_EQ_I64(r.n, 1);
    CHECK_STR(r.series[0], "__name__=ai_cpu_forecast_path,job=a");
    CHECK_EQ_I64(r.nsamples[0], 60);
    CHECK_EQ_I64(r.first[0].ts_ms, base + 60000);
    CHECK_EQ_I64(r.last[0].ts_ms, base + 3600000);
    CHECK_NEAR(r.first[0].value, 3.0, 0);
    /* lower/upper with interval, a range cut on both sides */
    memset(&r, 0, sizeof r);
    wire_matcher q2[] = {M("__name__", WIRE_MATCH_RE, "ai_cpu_forecast_path_(lower|upper)"),
                         M("interval", WIRE_MATCH_EQ, "95"), M("job", WIRE_MATCH_EQ, "b")};
    CHECK_EQ_I64(predict_read(h.p, q2, 3, base + 120000, base + 600000, read_cb, &r, &handled, &eb), AUG_OK);
    CHECK(handled);
    CHECK_EQ_I64(r.n, 2);
    CHECK_STR(r.series[0], "__name__=ai_cpu_forecast_path_lower,interval=95,job=b");
    CHECK_STR(r.series[1], "__name__=ai_cpu_forecast_path_upper,interval=95,job=b");
    CHECK_EQ_I64(r.nsamples[0], 9);
    CHECK_EQ_I64(r.first[0].ts_ms, base + 120000);
    CHECK_EQ_I64(r.last[0].ts_ms, base + 600000);
    CHECK(r.first[0].value <= 4.0 && r.first[1].value >= 4.0);
    /* the past: handled, nothing */
    memset(&r, 0, sizeof r);
    CHECK_EQ_I64(predict_read(h.p, q1, 2, 0, base, read_cb, &r, &handled, &eb), AUG_OK);
    CHECK(handled);
    CHECK_EQ_I64(r.n, 0);
    /* other names are not handled */
    wire_matcher q3[] = {M("__name__", WIRE_MATCH_EQ, "cpu")};
    CHECK_EQ_I64(predict_read(h.p, q3, 1, 0, base + 7200000, read_cb, &r, &handled, &eb), AUG_OK);
    CHECK(!handled);
    wire_matcher q4[] = {M("__name__", WIRE_MATCH_EQ, "ai_other_forecast_path")};
    CHECK_EQ_I64(predict_read(h.p, q4, 1, 0, base + 7200000, read_cb, &r, &handled, &eb), AUG_OK);
    CHECK(!handled);
    /* a callback error stops the walk */
    r.n = 16;
    wire_matcher q5[] = {M("__name__", WIRE_MATCH_EQ, "ai_cpu_forecast_path")};
    CHECK_EQ_I64(predict_read(h.p, q5, 1, 0, base + 7200000, read_cb, &r, &handled, &eb), AUG_ETOOBIG);
    h_close(&h);
}

/* A resumed model serves its path before any new bucket arrives. */
static void test_path_after_restart(void)
{
    harness h;
    h_open(&h, cfg_persist);
    add_series(h.s, 1, "__name__", "p", "job", "x", NULL);
    int64_t S = base_s() - 600;
    set_now((S + 600) * 1000);
    for (int64_t k = 0; k < 10; k++)
        bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * k, wave(k), 0);
    predict_flush(h.p);
    wire_matcher q[] = {M("__name__", WIRE_MATCH_EQ, "ai_p_forecast_path")};
    read_rec a = {0}, b = {0};
    bool handled = false;
    CHECK_EQ_I64(predict_read(h.p, q, 1, 0, INT64_MAX / 2, read_cb, &a, &handled, NULL), AUG_OK);
    CHECK_EQ_I64(a.n, 1);
    CHECK_EQ_I64(a.nsamples[0], 30);
    CHECK_EQ_I64(a.first[0].ts_ms, (S + 660) * 1000);
    predict_close(h.p);
    h_open_predict(&h);
    predict_flush(h.p);
    CHECK_EQ_I64(predict_read(h.p, q, 1, 0, INT64_MAX / 2, read_cb, &b, &handled, NULL), AUG_OK);
    CHECK_EQ_I64(b.n, 1);
    CHECK_EQ_I64(b.nsamples[0], 30);
    CHECK_EQ_I64(b.first[0].ts_ms, a.first[0].ts_ms);
    CHECK_EQ_I64(b.last[0].ts_ms, a.last[0].ts_ms);
    CHECK(memcmp(&b.first[0].value, &a.first[0].value, sizeof(double)) == 0);
    CHECK(memcmp(&b.last[0].value, &a.last[0].value, sizeof(double)) == 0);
    h_close(&h);
}

static void test_reload(void)
{
    harness h;
    h_open(&h, cfg_persist);
    add_series(h.s, 1, "__name__", "p", "job", "x", NULL);
    int64_t S = base_s() - 600;
    set_now((S + 60 * 11) * 1000);
    for (int64_t k = 0; k < 5; k++)
        bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * k, wave(k), 0);
    predict_flush(h.p);
    /* Same definition plus a new target: the group and its model stay. */
    cfg_config *c2 = config_of("forecasts:\n"
                               "  - name: p\n"
                               "    series: 'p'\n"
                               "    horizons: [5m, 30m]\n"
                               "  - name: q\n"
                               "    series: 'p'\n"
                               "    aggregate: sum\n"
                               "    horizons: [1m]\n");
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(predict_reload(h.p, c2, &eb), AUG_OK);
    cfg_free(c2);
    predict_flush(h.p);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 300, wave(5), 0);
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.groups, 2);
    CHECK_EQ_I64(st.updates, 7);
    CHECK_EQ_I64(st.loads, 0); /* kept in memory, not reloaded from the store */
    char *json = NULL;
    size_t len = 0;
    CHECK_EQ_I64(predict_status_json(h.p, 10, &json, &len), AUG_OK);
    CHECK(json != NULL && strstr(json, "\"name\":\"p\"") != NULL && strstr(json, "\"points\":6") != NULL);
    CHECK(json != NULL && strstr(json, "\"name\":\"q\"") != NULL && strstr(json, "\"points\":1") != NULL);
    aug_free(json);
    /* An invalid target is refused and changes nothing. The loader refuses
     * a horizon over FC_MAX_HORIZON steps, so a loaded config's copy gets
     * one to reach predict's own check. */
    cfg_config *ok = config_of("forecasts:\n"
                               "  - name: p\n"
                               "    series: 'p'\n"
                               "    resolution: minute\n"
                               "    horizons: [1h]\n");
    static const int64_t month[] = {30 * INT64_C(86400000)};
    cfg_forecast month_fc = ok->forecasts[0];
    month_fc.horizons = (cfg_durations){month, 1};
    cfg_config bad = *ok;
    bad.forecasts = &month_fc;
    CHECK_EQ_I64(predict_reload(h.p, &bad, &eb), AUG_ECONFIG);
    CHECK(strstr(eb.msg, "forecast p: horizon 4w2d is not 1..20160 steps") != NULL);
    cfg_free(ok);
    predict_flush(h.p);
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.groups, 2);
    h_close(&h);
}

/* ---- seeding a new model from stored rollups (predict.c note 9) ---- */

/* A stored bucket of a gauge averaging about v over 4 samples (the sum is
 * not 4v, so the bucket value sum / count is not v itself). */
static store_rollup gauge_rollup(int64_t start_s, double v)
{
    return (store_rollup){.count = 4, .sum = 4 * v + 0.3, .min = v - 1, .max = v + 1, .last = v,
                          .last_ts_ms = start_s * 1000 + 45000, .increase = 0};
}

/* Writes rollups of series id at resolution res for slots k = 0..n-1 at
 * from_s + k·width, skipping those where skip(k) holds, with values from r(k). */
static void put_rollups(store *s, uint32_t id, store_res res, int64_t from_s, int64_t n, bool (*skip)(int64_t),
                        store_rollup (*r)(int64_t start_s, int64_t k))
{
    int64_t w = res == STORE_RES_HOUR ? 3600 : 60;
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, true, &t), AUG_OK);
    for (int64_t k = 0; k < n; k++) {
        if (skip != NULL && skip(k))
            continue;
        store_rollup x = r(from_s + k * w, k);
        CHECK_EQ_I64(store_rollup_put(t, id, res, from_s + k * w, &x), AUG_OK);
    }
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
}

/* A daily cycle with a deterministic wiggle, for minute slot k. */
static double daily(int64_t k)
{
    return 100 + 30 * sin((double)k * 2 * 3.14159265358979 / 1440) + (double)((k * 7919) % 11) / 3;
}

static store_rollup gauge_k(int64_t start_s, int64_t k)
{
    return gauge_rollup(start_s, daily(k));
}

static bool gap_k(int64_t k)
{
    return k % 997 == 5 || (k >= 2000 && k < 2010); /* single missing buckets and a 10-minute gap */
}

/* The reference: a model built as predict builds it (fc_params_default for
 * the target's step and longest horizon, kind), fed the values directly. */
static fc_model *ref_model(int64_t step, int32_t H, fc_kind kind)
{
    fc_params fp;
    fc_params_default(&fp, step, H);
    fp.kind = kind;
    fc_model *m = NULL;
    CHECK_EQ_I64(fc_model_new(&fp, &m, NULL), AUG_OK);
    return m;
}

/* The emitted forecast of target `name` at horizon hname at T equals the
 * reference's f, bit for bit: mean and both intervals. The group's labels
 * sort before (pre, ending in ",") or after (post, starting with ",") the
 * horizon and interval labels. */
static void check_emitted(harness *h, const char *name, const char *hname, const char *pre, const char *post,
                          int64_t T, const fc_forecast *f)
{
    char sr[512];
    snprintf(sr, sizeof sr, "ai_%s_forecast{%shorizon=\"%s\"%s}", name, pre, hname, post);
    CHECK(fc_at(h, sr, T) == f->mean);
    const double want[4] = {f->lo80, f->hi80, f->lo95, f->hi95};
    const char *const which[4] = {"lower", "upper", "lower", "upper"};
    for (int i = 0; i < 4; i++) {
        snprintf(sr, sizeof sr, "ai_%s_forecast_%s{%shorizon=\"%s\",interval=\"%s\"%s}", name, which[i], pre, hname,
                 i < 2 ? "80" : "95", post);
        double v = fc_at(h, sr, T);
        CHECK(v == want[i]);
        if (v != want[i])
            fprintf(stderr, "  %s: %.17g, want %.17g\n", sr, v, want[i]);
    }
}

/* The status JSON of the only group of target name holds `want`. */
static void check_status_has(harness *h, const char *want)
{
    char *json = NULL;
    size_t len = 0;
    CHECK_EQ_I64(predict_status_json(h->p, 10, &json, &len), AUG_OK);
    CHECK(json != NULL && strstr(json, want) != NULL);
    if (json != NULL && strstr(json, want) == NULL)
        fprintf(stderr, "  status lacks %s:\n  %s\n", want, json);
    aug_free(json);
}

static const char cfg_seed[] = "forecasts:\n"
                               "  - name: cpu\n"
                               "    series: 'cpu{job=\"a\"}'\n"
                               "    horizons: [15m, 1h]\n";

/* Three days of stored minutes (with gaps), then one live bucket: the model
 * learned the stored buckets before it, exactly as a model fed the same
 * values and refitted once, and is ready at its first forecast. The live
 * bucket is also stored (ingest writes it before the hook fires) and is fed
 * once, live. */
static void test_seed_from_store(void)
{
    enum { N = 3 * 1440 };
    harness h;
    h_open(&h, cfg_seed);
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    int64_t S = base_s(); /* the first live bucket */
    int64_t from = S - 60 * N;
    put_rollups(h.s, 1, STORE_RES_MINUTE, from, N + 1, gap_k, gauge_k); /* slot N is S itself */
    fc_model *ref = ref_model(60, 60, FC_AUTO);
    int64_t stored = 0;
    for (int64_t k = 0; k < N; k++) {
        if (gap_k(k))
            continue;
        store_rollup r = gauge_k(from + 60 * k, k);
        CHECK_EQ_I64(fc_model_update(ref, from + 60 * k, r.sum / (double)r.count, NULL), AUG_OK);
        stored++;
    }
    CHECK_EQ_I64(fc_model_refit(ref), AUG_OK);

    set_now((S + 60) * 1000 + 500);
    bucket(h.p, 1, STORE_RES_MINUTE, S, daily(N), 0); /* the hook's copy of the stored slot N */
    predict_flush(h.p);
    CHECK_EQ_I64(fc_model_update(ref, S, daily(N), NULL), AUG_OK);
    CHECK(!fc_model_refit_due(ref)); /* so predict does not refit after the live update either */
    fc_forecast f[60];
    CHECK_EQ_I64(fc_model_predict(ref, 60, f), AUG_OK);
    fc_status rs;
    fc_model_state(ref, &rs);
    CHECK_EQ_I64(rs.state, FC_READY);

    int64_t T = (S + 60) * 1000;
    check_emitted(&h, "cpu", "15m", "", ",job=\"a\"", T, &f[14]);
    check_emitted(&h, "cpu", "1h", "", ",job=\"a\"", T, &f[59]);
    double ready = TNAN;
    CHECK_EQ_I64(rec_find(&h.rec, "ai_cpu_forecast_state{job=\"a\",state=\"ready\"}", T, &ready), 1);
    CHECK(ready == 1.0);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.seeded, stored);
    CHECK_EQ_I64(st.updates, 1); /* the live bucket; seeded ones are not live updates */
    CHECK_EQ_I64(st.refits, 1);  /* once, after the seed */
    CHECK_EQ_I64(st.late, 0);
    char want[128];
    /* points = seeded + the live one: S was not fed twice */
    snprintf(want, sizeof want, "\"state\":\"ready\"");
    check_status_has(&h, want);
    snprintf(want, sizeof want, "\"points\":%" PRId64 ",\"seeded\":%" PRId64 ",\"refits\":1", stored + 1, stored);
    check_status_has(&h, want);
    fc_model_free(ref);
    h_close(&h);
}

/* The model keeps a bounded history (fc_model_history): a seed reads no
 * further back, so two weeks and a day of stored minutes seed 20160. */
static void test_seed_reads_history_length(void)
{
    enum { N = 15 * 1440 };
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: cpu\n"
               "    series: 'cpu'\n"
               "    horizons: [5m]\n"
               "    model: naive\n");
    add_series(h.s, 1, "__name__", "cpu", NULL);
    int64_t S = base_s();
    put_rollups(h.s, 1, STORE_RES_MINUTE, S - 60 * N, N, NULL, gauge_k);
    set_now((S + 60) * 1000 + 500);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 1.0, 0);
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.seeded, FC_MAX_HISTORY);
    CHECK_EQ_I64(st.updates, 1);
    h_close(&h);
}

/* With many members the range shrinks so that members × buckets stays
 * within PREDICT_SEED_MAX_READS: 64 members → 16384 buckets back, not
 * 20160; the bucket just outside is not read, for any member. */
static void test_seed_read_cap(void)
{
    enum { NMEMBERS = 64 };
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: many\n"
               "    series: 'many'\n"
               "    aggregate: sum\n"
               "    horizons: [5m]\n"
               "    model: naive\n");
    int64_t S = base_s(), n = PREDICT_SEED_MAX_READS / NMEMBERS;
    CHECK_EQ_I64(n, 16384);
    for (uint32_t id = 1; id <= NMEMBERS; id++) {
        char inst[16];
        snprintf(inst, sizeof inst, "%u", id);
        add_series(h.s, id, "__name__", "many", "i", inst, NULL);
        put_rollups(h.s, id, STORE_RES_MINUTE, S - 60 * (n + 1), 2, NULL, gauge_k); /* just outside, oldest inside */
        put_rollups(h.s, id, STORE_RES_MINUTE, S - 60, 1, NULL, gauge_k);
    }
    set_now((S + 60) * 1000 + 500);
    for (uint32_t id = 1; id <= NMEMBERS; id++)
        bucket(h.p, id, STORE_RES_MINUTE, S, 1.0, 0);
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.seeded, 2);
    CHECK_EQ_I64(st.updates, 1);
    h_close(&h);
}

static store_rollup gauge_b(int64_t start_s, int64_t k)
{
    return gauge_rollup(start_s, 50 + (double)(k % 7));
}

static store_rollup gauge_c(int64_t start_s, int64_t k)
{
    return gauge_rollup(start_s, 10 + (double)(k % 5) / 4);
}

static bool odd_k(int64_t k)
{
    return k % 2 == 1;
}

/* sum by (job) over two stored series (one reports only every other
 * bucket): the model learned the per-bucket sums of the members present; a
 * third series of another job seeds its own group. */
static void test_seed_sum_by(void)
{
    enum { N = 1440 };
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: req\n"
               "    series: 'req'\n"
               "    aggregate: sum by (job)\n"
               "    horizons: [5m]\n");
    add_series(h.s, 1, "__name__", "req", "instance", "1", "job", "a", NULL);
    add_series(h.s, 2, "__name__", "req", "instance", "2", "job", "a", NULL);
    add_series(h.s, 3, "__name__", "req", "instance", "1", "job", "b", NULL);
    int64_t S = base_s(), from = S - 60 * N;
    put_rollups(h.s, 1, STORE_RES_MINUTE, from, N, NULL, gauge_k);
    put_rollups(h.s, 2, STORE_RES_MINUTE, from, N, odd_k, gauge_b);
    put_rollups(h.s, 3, STORE_RES_MINUTE, from, N, NULL, gauge_c);
    fc_model *ra = ref_model(60, 5, FC_AUTO), *rb = ref_model(60, 5, FC_AUTO);
    for (int64_t k = 0; k < N; k++) {
        int64_t ts = from + 60 * k;
        store_rollup r1 = gauge_k(ts, k), r2 = gauge_b(ts, k), r3 = gauge_c(ts, k);
        double sum = r1.sum / (double)r1.count;
        if (!odd_k(k))
            sum += r2.sum / (double)r2.count;
        CHECK_EQ_I64(fc_model_update(ra, ts, sum, NULL), AUG_OK);
        CHECK_EQ_I64(fc_model_update(rb, ts, r3.sum / (double)r3.count, NULL), AUG_OK);
    }
    CHECK_EQ_I64(fc_model_refit(ra), AUG_OK);
    CHECK_EQ_I64(fc_model_refit(rb), AUG_OK);
    set_now((S + 60) * 1000 + 500);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 20.0, 0);
    bucket(h.p, 2, STORE_RES_MINUTE, S, 22.0, 0);
    bucket(h.p, 3, STORE_RES_MINUTE, S, 5.0, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(fc_model_update(ra, S, 42.0, NULL), AUG_OK);
    CHECK_EQ_I64(fc_model_update(rb, S, 5.0, NULL), AUG_OK);
    CHECK(!fc_model_refit_due(ra) && !fc_model_refit_due(rb));
    fc_forecast fa[5], fb[5];
    CHECK_EQ_I64(fc_model_predict(ra, 5, fa), AUG_OK);
    CHECK_EQ_I64(fc_model_predict(rb, 5, fb), AUG_OK);
    int64_t T = (S + 60) * 1000;
    check_emitted(&h, "req", "5m", "", ",job=\"a\"", T, &fa[4]);
    check_emitted(&h, "req", "5m", "", ",job=\"b\"", T, &fb[4]);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.seeded, 2 * N);
    CHECK_EQ_I64(st.updates, 2);
    fc_model_free(ra);
    fc_model_free(rb);
    h_close(&h);
}

/* A counter stored as hour rollups (reset-aware increase per bucket, as
 * ingest computes it): an hour target with rate learns increase / 3600. */
static store_rollup counter_k(int64_t start_s, int64_t k)
{
    double inc = 3600 * (5 + 2 * sin((double)k * 2 * 3.14159265358979 / 24));
    return (store_rollup){.count = 240, .sum = 1e6 * 240, .min = 1e6, .max = 1e6 + inc, .last = 1e6 + inc,
                          .last_ts_ms = start_s * 1000 + 3599000, .increase = inc};
}

static void test_seed_rate_hour(void)
{
    enum { N = 10 * 24 };
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: http\n"
               "    series: 'http_requests_total'\n"
               "    rate: true\n"
               "    resolution: hour\n"
               "    horizons: [1h, 6h]\n");
    add_series(h.s, 1, "__name__", "http_requests_total", "code", "200", NULL);
    int64_t Hs = base_s() - base_s() % 3600 - 3600, from = Hs - 3600 * N;
    put_rollups(h.s, 1, STORE_RES_HOUR, from, N, NULL, counter_k);
    put_rollups(h.s, 1, STORE_RES_MINUTE, Hs - 600, 10, NULL, gauge_k); /* another resolution: not read */
    fc_model *ref = ref_model(3600, 6, FC_AUTO);
    for (int64_t k = 0; k < N; k++)
        CHECK_EQ_I64(fc_model_update(ref, from + 3600 * k, counter_k(from + 3600 * k, k).increase / 3600.0, NULL),
                     AUG_OK);
    CHECK_EQ_I64(fc_model_refit(ref), AUG_OK);
    set_now((Hs + 3600) * 1000 + 1000);
    bucket(h.p, 1, STORE_RES_HOUR, Hs, 1e6, 18000.0);
    predict_flush(h.p);
    CHECK_EQ_I64(fc_model_update(ref, Hs, 18000.0 / 3600.0, NULL), AUG_OK);
    CHECK(!fc_model_refit_due(ref));
    fc_forecast f[6];
    CHECK_EQ_I64(fc_model_predict(ref, 6, f), AUG_OK);
    int64_t T = (Hs + 3600) * 1000;
    check_emitted(&h, "http", "1h", "code=\"200\",", "", T, &f[0]);
    check_emitted(&h, "http", "6h", "code=\"200\",", "", T, &f[5]);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.seeded, N);
    fc_model_free(ref);
    h_close(&h);
}

/* A saved model of the same definition resumes and, with no gap since its
 * save, learns nothing from the store (note 10); a saved model of another
 * definition is not adopted, and the new one seeds from the store (now
 * including what the first run learned live). */
static void test_seed_only_without_saved_model(void)
{
    enum { N = 600 };
    harness h;
    h_open(&h, cfg_seed);
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    int64_t S = base_s() - 120, from = S - 60 * N;
    put_rollups(h.s, 1, STORE_RES_MINUTE, from, N + 1, NULL, gauge_k);
    set_now((S + 60) * 1000 + 500);
    bucket(h.p, 1, STORE_RES_MINUTE, S, daily(N), 0);
    predict_flush(h.p);
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.seeded, N);
    predict_close(h.p); /* saves the model */

    h_open_predict(&h);
    put_rollups(h.s, 1, STORE_RES_MINUTE, S + 60, 1, NULL, gauge_k);
    set_now((S + 120) * 1000 + 500);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, daily(N + 1), 0);
    predict_flush(h.p);
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 1);
    CHECK_EQ_I64(st.seeded, 0);
    CHECK_EQ_I64(st.updates, 1);
    check_status_has(&h, "\"seeded\":0,");
    predict_close(h.p);

    cfg_free(h.cfg);
    h.cfg = config_of("forecasts:\n"
                      "  - name: cpu\n"
                      "    series: 'cpu{job=\"a\"}'\n"
                      "    horizons: [15m, 2h]\n");
    h_open_predict(&h);
    put_rollups(h.s, 1, STORE_RES_MINUTE, S + 120, 1, NULL, gauge_k);
    set_now((S + 180) * 1000 + 500);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 120, daily(N + 2), 0);
    predict_flush(h.p);
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 0);
    CHECK_EQ_I64(st.seeded, N + 2); /* every stored bucket before S + 120 */
    CHECK_EQ_I64(st.updates, 1);
    h_close(&h);
}

/* ---- a resumed model fills its gap from stored rollups (predict.c note 10) ---- */

/* The saved record of target cpu, group {job="a"}: its model (caller frees
 * with fc_model_free) and its last final bucket. */
static fc_model *saved_model(store *s, int64_t *last_final_s)
{
    static const char key[] = "fc/cpu\xFF"
                              "job\xFF"
                              "a\xFF";
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, false, &t), AUG_OK);
    aug_bytes v = {0};
    CHECK_EQ_I64(store_blob_get(t, (aug_bytes){(const uint8_t *)key, sizeof key - 1}, &v), AUG_OK);
    predict_record r;
    CHECK_EQ_I64(predict_record_decode(v, &r), AUG_OK);
    fc_model *m = NULL;
    CHECK_EQ_I64(fc_model_decode(r.model, &m, NULL), AUG_OK);
    *last_final_s = r.last_final_s;
    store_txn_abort(t);
    return m;
}

/* The predict thread's log lines, captured while a test runs. */
typedef struct log_cap {
    FILE *f;
    char *buf;
    size_t len;
} log_cap;

static void log_cap_start(log_cap *c)
{
    memset(c, 0, sizeof *c);
    c->f = open_memstream(&c->buf, &c->len);
    CHECK(c->f != NULL);
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, c->f, NULL);
}

/* Stops capturing; the caller frees c->buf with free(). */
static void log_cap_stop(log_cap *c)
{
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, NULL, NULL);
    fclose(c->f);
}

/* The fill's log line: buckets learned (each read once, nothing else read)
 * from `from` to `to`. */
static void check_gap_log(const log_cap *c, int64_t buckets, int64_t from, int64_t to)
{
    char want[512];
    snprintf(want, sizeof want,
             "msg=\"forecast gap filled from stored history\" forecast=cpu group=\"{job=\\\"a\\\"}\" buckets=%" PRId64
             " from=%" PRId64 " to=%" PRId64 " reads=%" PRId64 " seconds=",
             buckets, from, to, buckets);
    CHECK(c->buf != NULL && strstr(c->buf, want) != NULL);
    if (c->buf == NULL || strstr(c->buf, want) == NULL)
        fprintf(stderr, "  log lacks %s:\n%s\n", want, c->buf != NULL ? c->buf : "");
}

/* Before the restart: series 1 reports n buckets from `from` live, then
 * predict closes, saving the model. */
static void live_then_close(harness *h, store_res res, int64_t from, int64_t n, double (*v)(int64_t))
{
    int64_t w = res == STORE_RES_HOUR ? 3600 : 60;
    set_now((from + w * n) * 1000);
    for (int64_t k = 0; k < n; k++)
        bucket(h->p, 1, res, from + w * k, v(k), 0);
    predict_flush(h->p);
    predict_close(h->p);
}

/* After the restart: a fresh predict on the same store resumes the saved
 * model, and series 1 reports its first live bucket s (value y), which
 * becomes final; the log lines meanwhile go to *lc. */
static void resume_live(harness *h, log_cap *lc, store_res res, int64_t s, double y)
{
    int64_t w = res == STORE_RES_HOUR ? 3600 : 60;
    log_cap_start(lc);
    h_open_predict(h);
    set_now((s + w) * 1000 + 1000);
    bucket(h->p, 1, res, s, y, 0);
    predict_flush(h->p);
    log_cap_stop(lc);
}

/* Hour k of the gap tests: a daily cycle around 100 before the restart,
 * around 300 from the gap on (a level shift the model can only know from
 * the gap), stored as ingest stores what the hook reports (bucket()). */
static double level_k(int64_t k)
{
    return (k < 48 ? 100 : 300) + 20 * sin((double)k * 2 * 3.14159265358979 / 24) + (double)((k * 7919) % 11) / 4;
}

static store_rollup hour_k(int64_t start_s, int64_t k)
{
    double v = level_k(k);
    return (store_rollup){.count = 4, .sum = 4 * v, .min = v, .max = v, .last = v,
                          .last_ts_ms = start_s * 1000 + 45000, .increase = 0};
}

static bool gap_hole(int64_t k)
{
    return k == 50; /* one hour of the gap has no data: a missing point, as live */
}

static const char cfg_gap_hour[] = "forecasts:\n"
                                   "  - name: cpu\n"
                                   "    series: 'cpu{job=\"a\"}'\n"
                                   "    resolution: hour\n"
                                   "    horizons: [1h, 6h]\n";

/* 48 live hours, saved at close; 12 hours written into the store while no
 * predict runs (one of them empty); a fresh predict resumes the saved
 * model and, at its first live hour, has learned exactly the 11 stored
 * gap hours, not one of the 48 stored before them (reads=11), with no
 * refit after the fill (the gap is shorter than the history; the gap's
 * hours count toward the refit schedule, which then refits after the live
 * hour): it forecasts bit for bit as the saved model fed the gap and the
 * live hour directly, and follows the gap's level shift. */
static void test_gap_fill_after_restart(void)
{
    enum { N1 = 48, G = 12 };
    harness h;
    h_open(&h, cfg_gap_hour);
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    int64_t S = base_s() - base_s() % 3600 - 3600; /* the first live hour after the restart */
    int64_t from = S - 3600 * (N1 + G), L = from + 3600 * (N1 - 1);
    /* Before the restart: ingest stores each hour, then the hook reports it. */
    put_rollups(h.s, 1, STORE_RES_HOUR, from, N1, NULL, hour_k);
    live_then_close(&h, STORE_RES_HOUR, from, N1, level_k);
    int64_t saved_last = 0;
    fc_model *ref = saved_model(h.s, &saved_last), *nofill = saved_model(h.s, &saved_last);
    CHECK_EQ_I64(saved_last, L);
    fc_status rs;
    fc_model_state(ref, &rs);
    CHECK_EQ_I64(rs.points, N1);
    int64_t refits_saved = rs.refits;

    /* While stopped: the gap's hours reach the store (a backfill), and the
     * first live hour S too (ingest writes it before the hook fires). */
    /* (The N1 hours before are written again, unchanged, so k is the hour's
     * index here too; gap hour k = 50 has no data.) */
    put_rollups(h.s, 1, STORE_RES_HOUR, from, N1 + G + 1, gap_hole, hour_k);
    int64_t stored = 0;
    for (int64_t k = N1; k < N1 + G; k++) {
        if (gap_hole(k))
            continue;
        CHECK_EQ_I64(fc_model_update(ref, from + 3600 * k, level_k(k), NULL), AUG_OK);
        stored++;
    }
    CHECK_EQ_I64(stored, G - 1);

    log_cap lc;
    resume_live(&h, &lc, STORE_RES_HOUR, S, level_k(N1 + G));

    /* The reference: the saved model, the gap, then the live hour as
     * finalize feeds it. An hour target refits whenever the schedule asks:
     * the gap's hours counted toward it (saved at 48 points, next refit
     * due at 56), and the due refit runs after the live hour's update, as
     * finalize does it, not right after the fill. */
    CHECK_EQ_I64(fc_model_update(ref, S, level_k(N1 + G), NULL), AUG_OK);
    CHECK(fc_model_refit_due(ref));
    CHECK_EQ_I64(fc_model_refit(ref), AUG_OK);
    CHECK_EQ_I64(fc_model_update(nofill, S, level_k(N1 + G), NULL), AUG_OK);
    fc_forecast f[6], fn[6];
    CHECK_EQ_I64(fc_model_predict(ref, 6, f), AUG_OK);
    CHECK_EQ_I64(fc_model_predict(nofill, 6, fn), AUG_OK);
    int64_t T = (S + 3600) * 1000;
    check_emitted(&h, "cpu", "1h", "", ",job=\"a\"", T, &f[0]);
    check_emitted(&h, "cpu", "6h", "", ",job=\"a\"", T, &f[5]);
    /* The level shift shows: the gap's level, not a mix with the old one. */
    double got = fc_at(&h, "ai_cpu_forecast{horizon=\"1h\",job=\"a\"}", T);
    fprintf(stderr, "  1h forecast after the gap fill %.3f, without it %.3f, live value %.3f\n", got, fn[0].mean,
            level_k(N1 + G));
    CHECK(fabs(got - level_k(N1 + G + 1)) < 30);
    CHECK(got != fn[0].mean);

    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 1);
    CHECK_EQ_I64(st.seeded, G - 1);
    CHECK_EQ_I64(st.updates, 1);
    CHECK_EQ_I64(st.refits, 1); /* the scheduled one after the live hour; none after the fill */
    CHECK_EQ_I64(st.late, 0);
    char want[512];
    snprintf(want, sizeof want, "\"points\":%d,\"seeded\":%d,\"refits\":%" PRId64, N1 + G, G - 1, refits_saved + 1);
    check_status_has(&h, want);
    check_gap_log(&lc, G - 1, L + 3600, S - 3600);
    snprintf(want, sizeof want, " after=%" PRId64 "\n", L);
    CHECK(lc.buf != NULL && strstr(lc.buf, want) != NULL);
    free(lc.buf);
    fc_model_free(ref);
    fc_model_free(nofill);
    h_close(&h);
}

/* A gap of g minutes at least as long as the model's history (two weeks
 * of minutes): only the newest 20160 stored minutes right before the first
 * live one are read and learned, never the older part of the gap, and the
 * model is refitted once, as after a seed (a gap of exactly 20160 replaces
 * the whole kept history too). */
static void gap_fill_of_history(int64_t G)
{
    enum { N1 = 3 };
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: cpu\n"
               "    series: 'cpu{job=\"a\"}'\n"
               "    horizons: [5m]\n"
               "    model: naive\n");
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    int64_t S = base_s(), from = S - 60 * (N1 + G);
    live_then_close(&h, STORE_RES_MINUTE, from, N1, daily);
    put_rollups(h.s, 1, STORE_RES_MINUTE, from + 60 * N1, G + 1, NULL, gauge_k); /* the gap and S */

    log_cap lc;
    resume_live(&h, &lc, STORE_RES_MINUTE, S, daily(N1 + G));
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 1);
    CHECK_EQ_I64(st.seeded, FC_MAX_HISTORY);
    CHECK_EQ_I64(st.updates, 1);
    CHECK_EQ_I64(st.refits, 1); /* once, after the fill */
    char want[512];
    snprintf(want, sizeof want, "\"points\":%d,\"seeded\":%d,", N1 + FC_MAX_HISTORY + 1, FC_MAX_HISTORY);
    check_status_has(&h, want);
    check_gap_log(&lc, FC_MAX_HISTORY, S - 60 * FC_MAX_HISTORY, S - 60);
    free(lc.buf);
    h_close(&h);
}

static void test_gap_fill_longer_than_history(void)
{
    gap_fill_of_history(FC_MAX_HISTORY + 100);
    gap_fill_of_history(FC_MAX_HISTORY);
}

/* No gap: the first live minute after the restart directly follows the
 * saved last one. Nothing is read or fed, even with stored minutes at and
 * before the saved one, and nothing is logged. */
static void test_gap_fill_no_gap(void)
{
    enum { N1 = 100 };
    harness h;
    h_open(&h, cfg_seed);
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    int64_t S = base_s(), from = S - 60 * N1;
    live_then_close(&h, STORE_RES_MINUTE, from, N1, daily);
    put_rollups(h.s, 1, STORE_RES_MINUTE, from, N1 + 1, NULL, gauge_k); /* all of them stored, and S */

    log_cap lc;
    resume_live(&h, &lc, STORE_RES_MINUTE, S, daily(N1));
    predict_stats st;
    predict_stats_get(h.p, &st);
    CHECK_EQ_I64(st.loads, 1);
    CHECK_EQ_I64(st.seeded, 0);
    CHECK_EQ_I64(st.updates, 1);
    char want[64];
    snprintf(want, sizeof want, "\"points\":%d,\"seeded\":0,", N1 + 1);
    check_status_has(&h, want);
    CHECK(lc.buf == NULL || strstr(lc.buf, "stored history") == NULL);
    free(lc.buf);
    /* Not even read: a fill that reads observes its time (neither run read
     * anything; the first had an empty store). */
    char *text = NULL;
    size_t tlen = 0;
    CHECK_EQ_I64(metrics_render(h.reg, &text, &tlen), AUG_OK);
    CHECK(text != NULL && strstr(text, "\naugur_predict_seed_duration_seconds_count 0\n") != NULL);
    CHECK(text != NULL && strstr(text, "\naugur_predict_seeded_buckets_total 0\n") != NULL);
    aug_free(text);
    h_close(&h);
}

/* ---- the hook never blocks: a sink that blocks the thread ---- */

typedef struct blocking {
    recorder rec;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    bool entered, release;
} blocking;

static void blocking_sink(void *arg, const predict_point *pts, size_t n)
{
    blocking *b = arg;
    pthread_mutex_lock(&b->lock);
    b->entered = true;
    pthread_cond_broadcast(&b->cv);
    while (!b->release)
        pthread_cond_wait(&b->cv, &b->lock);
    pthread_mutex_unlock(&b->lock);
    rec_sink(&b->rec, pts, n);
}

static void test_queue_full_drops_never_blocks(void)
{
    char dirbuf[256];
    tmpdir_new(dirbuf, sizeof dirbuf, "predict");
    store *s = store_at(dirbuf);
    add_series(s, 1, "__name__", "cpu", "job", "a", NULL);
    cfg_config *cfg = config_of(cfg_single);
    metrics_registry *reg = metrics_registry_new();
    blocking b;
    memset(&b, 0, sizeof b);
    rec_init(&b.rec);
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.cv, NULL);
    predict *p = NULL;
    CHECK_EQ_I64(predict_open(s, cfg, reg, blocking_sink, &b, &p, NULL), AUG_OK);
    predict_set_clock(p, fake_clock, NULL);
    int64_t S = base_s();
    set_now((S + 60) * 1000);
    bucket(p, 1, STORE_RES_MINUTE, S, 1.0, 0);
    pthread_mutex_lock(&b.lock);
    while (!b.entered)
        pthread_cond_wait(&b.cv, &b.lock);
    pthread_mutex_unlock(&b.lock);
    /* The thread is stuck in the sink: the hook fills the queue, then drops. */
    size_t extra = 1000;
    int64_t t0 = util_mono_ns();
    for (size_t i = 0; i < PREDICT_QUEUE_MAX + extra; i++)
        bucket(p, 1, STORE_RES_MINUTE, S - 86400 + 60 * (int64_t)(i % 1000), 1.0, 0);
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    predict_stats st;
    predict_stats_get(p, &st);
    CHECK_EQ_I64(st.dropped, extra);
    CHECK_EQ_I64(st.events, 1 + PREDICT_QUEUE_MAX);
    CHECK(secs < 5.0);
    pthread_mutex_lock(&b.lock);
    b.release = true;
    pthread_cond_broadcast(&b.cv);
    pthread_mutex_unlock(&b.lock);
    predict_flush(p);
    predict_stats_get(p, &st);
    CHECK_EQ_I64(st.processed, 1 + PREDICT_QUEUE_MAX);
    predict_close(p);
    metrics_registry_free(reg);
    cfg_free(cfg);
    store_close(s);
    rec_free(&b.rec);
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.lock);
    tmpdir_remove(dirbuf);
}

/* A save too big for the map even after the growths predict_write_txn
 * tries is an error (AUG_EFULL), not a success that saved nothing: model and
 * scaler state saves mark their records clean only on AUG_OK. A 6 MiB value
 * in a 1 MiB map needs three doublings; the loop grows after each of its
 * three attempts, so the third growth used to end it with AUG_OK. */
static aug_err put_big(void *arg, store_txn *txn)
{
    const aug_bytes *v = arg;
    static const uint8_t key[] = "fc/big";
    return store_blob_put(txn, (aug_bytes){key, sizeof key - 1}, *v);
}

static void test_write_txn_reports_a_full_map(void)
{
    char dir[256];
    tmpdir_new(dir, sizeof dir, "predict");
    store_opts o = {.path = dir, .initial_map_bytes = (size_t)1 << 20};
    predict p;
    memset(&p, 0, sizeof p);
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(store_open(&o, &p.s, &eb), AUG_OK);
    size_t n = (size_t)6 << 20;
    uint8_t *big = calloc(n, 1);
    aug_bytes v = {big, n};
    aug_err e = predict_write_txn(&p, put_big, &v);
    store_txn *txn = NULL;
    aug_bytes got = {NULL, 0};
    CHECK_EQ_I64(store_txn_begin(p.s, false, &txn), AUG_OK);
    static const uint8_t key[] = "fc/big";
    aug_err ge = store_blob_get(txn, (aug_bytes){key, sizeof key - 1}, &got);
    store_txn_abort(txn);
    /* Either it was saved, or the caller is told it was not. */
    CHECK(e == AUG_OK ? ge == AUG_OK && got.len == n : e == AUG_EFULL && ge == AUG_ENOTFOUND);
    free(big);
    store_close(p.s);
    tmpdir_remove(dir);
}

CHECK_MAIN(CHECK_CASE(test_points_exact), CHECK_CASE(test_emission_rules), CHECK_CASE(test_aggregation),
           CHECK_CASE(test_late_member_stays_live), CHECK_CASE(test_rate), CHECK_CASE(test_error_and_anomaly_math), CHECK_CASE(test_bounded_groups),
           CHECK_CASE(test_persist_and_resume), CHECK_CASE(test_read_paths), CHECK_CASE(test_path_after_restart), CHECK_CASE(test_reload),
           CHECK_CASE(test_seed_from_store), CHECK_CASE(test_seed_reads_history_length), CHECK_CASE(test_seed_read_cap),
           CHECK_CASE(test_seed_sum_by),
           CHECK_CASE(test_seed_rate_hour), CHECK_CASE(test_seed_only_without_saved_model),
           CHECK_CASE(test_gap_fill_after_restart), CHECK_CASE(test_gap_fill_longer_than_history),
           CHECK_CASE(test_gap_fill_no_gap),
           CHECK_CASE(test_queue_full_drops_never_blocks), CHECK_CASE(test_write_txn_reports_a_full_map))
