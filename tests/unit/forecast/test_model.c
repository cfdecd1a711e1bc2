/* Unit tests for the engine (src/forecast/model.c) through the public API:
 * parameters, the time grid (gaps are missing points, older points are
 * rejected), bad values, cold/warming/ready with reasons, interval
 * calibration on noise, no replay warm-up errors in the interval rings,
 * constant series, zeros and negatives, bounded memory, the refit schedule
 * and determinism. */
#include "util/common.h"

#include "forecast/fc_impl.h"
#include "util/mem.h"

#include "synth.h"

static void test_params_rejected(void)
{
    fc_params p;
    fc_model *m = NULL;
    aug_errbuf eb = {{0}};
    fc_params_default(&p, 0, 12);
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "step") != NULL);
    fc_params_default(&p, 300, 0);
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "max_horizon") != NULL);
    fc_params_default(&p, 300, FC_MAX_HORIZON + 1);
    CHECK_EQ_I64(fc_model_new(&p, &m, NULL), AUG_EINVAL);
    fc_params_default(&p, 300, 12);
    p.kind = FC_KIND_COUNT;
    CHECK_EQ_I64(fc_model_new(&p, &m, NULL), AUG_EINVAL);
    fc_params_default(&p, 300, 12);
    p.combine = (fc_combine)7;
    CHECK_EQ_I64(fc_model_new(&p, &m, NULL), AUG_EINVAL);
    fc_params_default(&p, 300, 12);
    p.history = FC_MAX_HISTORY + 1;
    CHECK_EQ_I64(fc_model_new(&p, &m, NULL), AUG_EINVAL);
    /* A daily step has no daily season and 14 weeks would not fit: a weekly
     * seasonal naive still works; a 7-day step has neither. */
    fc_params_default(&p, 7 * 86400, 4);
    p.kind = FC_SNAIVE;
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "snaive") != NULL);
    CHECK(m == NULL);
}

/* Seasonal periods follow from the step (DESIGN: minute 1440/10080,
 * 5-minute 288/2016, hourly 24/168). */
static void test_periods_follow_step(void)
{
    static const struct {
        int64_t step;
        int32_t p1, p2, nw;
    } cases[] = {{60, 1440, 10080, 168}, {300, 288, 2016, 168}, {3600, 24, 168, 168}, {86400, 0, 7, 7}};
    for (size_t i = 0; i < AUG_ARRAY_LEN(cases); i++) {
        fc_params p, norm;
        fc_cfg c;
        fc_params_default(&p, cases[i].step, 24);
        CHECK(fc_cfg_derive(&p, &norm, &c, NULL) == AUG_OK);
        CHECK_EQ_I64(c.p1, cases[i].p1);
        CHECK_EQ_I64(c.p2, cases[i].p2);
        CHECK_EQ_I64(c.nw, cases[i].nw);
        CHECK(c.cap >= 2 * c.p1);
        CHECK(c.cap <= FC_MAX_HISTORY);
    }
}

static fc_model *new_seasonal(int64_t step, int64_t season, int32_t H)
{
    fc_params p;
    fc_params_default(&p, step, H);
    p.season_s = season;
    return new_model_from(&p);
}

/* The season replaces the daily period; the weekly terms stay only when the
 * season is shorter than a week and divides it; season 0 has no period and
 * no seasonal naive in the pool. */
static void test_periods_follow_season(void)
{
    static const struct {
        int64_t step, season;
        int32_t p1, p2, nw;
        double P1;
    } cases[] = {
        {60, 3600, 60, 10080, 168, 60.0},     /* 1h divides a week */
        {60, 86400, 1440, 10080, 168, 1440.0}, /* the default, spelled out */
        {300, 3 * 86400, 864, 0, 0, 864.0},   /* 3d does not divide a week */
        {300, 5 * 3600, 60, 0, 0, 60.0},      /* nor does 5h */
        {3600, 7 * 86400, 168, 0, 0, 168.0},  /* a week leaves nothing weekly to add */
        {60, 90, 2, 10080, 168, 1.5},         /* rounded slots, exact Fourier period */
        {60, 0, 0, 0, 0, 0.0},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(cases); i++) {
        fc_params p, norm;
        fc_cfg c;
        fc_params_default(&p, cases[i].step, 24);
        p.season_s = cases[i].season;
        CHECK(fc_cfg_derive(&p, &norm, &c, NULL) == AUG_OK);
        CHECK_EQ_I64(norm.season_s, cases[i].season);
        CHECK_EQ_I64(c.p1, cases[i].p1);
        CHECK_EQ_I64(c.p2, cases[i].p2);
        CHECK_EQ_I64(c.nw, cases[i].nw);
        CHECK_NEAR(c.P1, cases[i].P1, 1e-12);
        CHECK_EQ_I64((c.pool >> (FC_SNAIVE - 1)) & 1u, cases[i].season > 0);
        /* Refits stay daily whatever the season (fc_cfg_derive). */
        CHECK_EQ_I64(c.refit_every, AUG_MAX(86400 / cases[i].step, 24));
    }
}

/* A season the step and history cannot show is an error naming the season,
 * the step and the history, not a season silently dropped; only the default
 * day is left out where it cannot fit, as before seasons were configurable. */
static void test_season_rejected(void)
{
    fc_params p;
    fc_model *m = NULL;
    aug_errbuf eb = {{0}};
    fc_params_default(&p, 3600, 12);
    p.season_s = 3600; /* one step */
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "season 3600s is 1 step(s) of 3600s") != NULL);
    CHECK(strstr(eb.msg, "history of 2016 steps") != NULL);
    fc_params_default(&p, 60, 12);
    p.season_s = 14 * 86400; /* 20160 slots: more than half of the 20160 kept */
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "season 1209600s is 20160 step(s) of 60s") != NULL);
    fc_params_default(&p, 300, 12);
    p.history = 400;
    p.season_s = 86400 + 300; /* 289 slots, 2 x 289 > 400 */
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "history of 400 steps") != NULL);
    fc_params_default(&p, 300, 12);
    p.season_s = -1;
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "season -1s outside") != NULL);
    fc_params_default(&p, 300, 12);
    p.season_s = 0;
    p.kind = FC_SNAIVE;
    CHECK_EQ_I64(fc_model_new(&p, &m, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "snaive needs a seasonal or weekly period: season 0s") != NULL);
    CHECK(m == NULL);
    /* The default day at a daily step, or in a short history: left out. */
    fc_params_default(&p, 86400, 4);
    CHECK(fc_model_new(&p, &m, NULL) == AUG_OK);
    CHECK(m != NULL && m->c.p1 == 0 && m->c.p2 == 7);
    fc_model_free(m);
    fc_params_default(&p, 300, 12);
    p.history = 400;
    CHECK(fc_model_new(&p, &m, NULL) == AUG_OK);
    CHECK(m != NULL && m->c.p1 == 0);
    fc_model_free(m);
}

/* 10 + 10 sin(2 pi k / 60) + N(0, 0.2): a pure one-hour cycle on a
 * one-minute grid. */
static double hourly(int64_t k)
{
    return 10.0 + 10.0 * sin(2.0 * PI * (double)(k % 60) / 60.0) + 0.2 * nrand();
}

/* After one day of a pure hourly cycle, a model with season 1h has seen 24
 * cycles: it is ready, and its next hour is within noise (seasonal naive
 * alone would miss by |e1 - e2|, mean 0.2 * 2/sqrt(pi) = 0.23; bound 0.4).
 * With season 0 nothing can follow the cycle: over a whole cycle the best
 * constant misses a sine of amplitude 10 by 20/pi = 6.4 on average, and the
 * best straight line by still more than 4 (bound 4). The default daily
 * season has not seen two of its cycles yet: warming, and it says so. */
static void test_hourly_cycle_needs_hourly_season(void)
{
    const int32_t H = 60;
    const int64_t n = 1440;
    fc_forecast f[60];
    double mae[2];
    static const int64_t seasons[2] = {3600, 0};
    uint64_t seed = check_seed; /* every model sees the same noise */
    for (int s = 0; s < 2; s++) {
        fc_model *m = new_seasonal(60, seasons[s], H);
        for (int64_t k = 0; k < n; k++) {
            CHECK(fc_model_update(m, T0 + k * 60, hourly(k), NULL) == AUG_OK);
            if (fc_model_refit_due(m))
                CHECK(fc_model_refit(m) == AUG_OK);
        }
        CHECK(fc_model_predict(m, H, f) == AUG_OK);
        double sum = 0;
        for (int64_t h = 1; h <= H; h++)
            sum += fabs(f[h - 1].mean - hourly(n - 1 + h));
        mae[s] = sum / H;
        fc_status st;
        fc_model_state(m, &st);
        if (s == 0) {
            CHECK_EQ_I64(st.state, FC_READY);
        } else {
            /* No seasonal member at all: snaive out of the pool, Holt-Winters
             * without seasons, the regression without harmonics. */
            CHECK(!(m->c.pool >> (FC_SNAIVE - 1) & 1u) && m->c.p1 == 0 && m->c.p2 == 0 && m->c.nw == 0);
            CHECK(!(st.in_use & (1u << FC_SNAIVE)));
            CHECK(strstr(st.tuned, "gamma=0 gammaw=0") != NULL && strstr(st.tuned, "k1=0 k2=0") != NULL);
        }
        fc_model_free(m);
        check_seed = seed;
    }
    fprintf(stderr, "  next-hour MAE: season 1h %.3f, season 0 %.3f\n", mae[0], mae[1]);
    CHECK(mae[0] < 0.4);
    CHECK(mae[1] > 4.0);

    fc_model *d = new_seasonal(60, FC_SEASON_DAY, H);
    for (int64_t k = 0; k < n; k++)
        CHECK(fc_model_update(d, T0 + k * 60, hourly(k), NULL) == AUG_OK);
    fc_status st;
    fc_model_state(d, &st);
    CHECK_EQ_I64(st.state, FC_WARMING);
    CHECK(strstr(st.reason, "of 2 seasonal cycles seen") != NULL);
    fc_model_free(d);
}

static void test_names(void)
{
    for (int k = 0; k < FC_KIND_COUNT; k++) {
        fc_kind back;
        CHECK(fc_kind_parse(fc_kind_name((fc_kind)k), &back) == AUG_OK);
        CHECK_EQ_I64(back, k);
    }
    fc_kind x;
    CHECK_EQ_I64(fc_kind_parse("prophet", &x), AUG_EINVAL);
    CHECK_STR(fc_kind_name(FC_KIND_COUNT), "?");
    CHECK_STR(fc_state_name(FC_COLD), "cold");
    CHECK_STR(fc_state_name(FC_WARMING), "warming");
    CHECK_STR(fc_state_name(FC_READY), "ready");
}

/* Copies the model's blob so tests can assert "unchanged". */
static uint8_t *blob_of(const fc_model *m, size_t *len)
{
    size_t n = fc_model_blob_size(m);
    uint8_t *b = aug_malloc(n);
    if (b == NULL || fc_model_encode(m, b, n, len) != AUG_OK)
        abort();
    return b;
}

static void test_bad_points_rejected_model_unchanged(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    aug_errbuf eb = {{0}};
    fc_forecast f[12];
    CHECK_EQ_I64(fc_model_predict(m, 1, f), AUG_EINVAL); /* nothing fed yet */
    for (int64_t k = 0; k < 100; k++)
        feed(m, k, sine(k, 5, 1));
    size_t n0, n1;
    uint8_t *before = blob_of(m, &n0);
    int64_t ts = T0 + 99 * STEP;
    CHECK_EQ_I64(fc_model_update(m, ts + STEP, FC_NAN, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "finite") != NULL);
    CHECK_EQ_I64(fc_model_update(m, ts + STEP, HUGE_VAL, NULL), AUG_EINVAL);
    CHECK_EQ_I64(fc_model_update(m, ts + STEP, -HUGE_VAL, NULL), AUG_EINVAL);
    CHECK_EQ_I64(fc_model_update(m, ts + STEP, 1e101, NULL), AUG_EINVAL);
    CHECK_EQ_I64(fc_model_update(m, ts, 1.0, &eb), AUG_EINVAL); /* equal */
    CHECK(strstr(eb.msg, "not after") != NULL);
    CHECK_EQ_I64(fc_model_update(m, ts - STEP, 1.0, NULL), AUG_EINVAL); /* older */
    CHECK_EQ_I64(fc_model_update(m, ts + STEP / 3, 1.0, &eb), AUG_EINVAL); /* same slot */
    CHECK(strstr(eb.msg, "slot") != NULL);
    CHECK_EQ_I64(fc_model_update(m, -5, 1.0, NULL), AUG_EINVAL);
    CHECK_EQ_I64(fc_model_update(m, (INT64_C(1) << 40) + 1, 1.0, NULL), AUG_EINVAL);
    uint8_t *after = blob_of(m, &n1);
    CHECK(n0 == n1 && memcmp(before, after, n0) == 0);
    CHECK_EQ_I64(fc_model_predict(m, 0, f), AUG_EINVAL);
    CHECK_EQ_I64(fc_model_predict(m, 13, f), AUG_EINVAL);
    CHECK_EQ_I64(fc_model_predict(m, 12, f), AUG_OK);
    /* A point a little late still lands in the next slot. */
    CHECK_EQ_I64(fc_model_update(m, ts + STEP + 100, 5.0, NULL), AUG_OK);
    aug_free(before);
    aug_free(after);
    fc_model_free(m);
}

static double sine50(int64_t k)
{
    return sine(k, 50.0, 10.0);
}

/* A gap is missing points, never zeros: two hours missing out of a sine do
 * not pull the forecast towards 0, and only observed points are counted. */
static void test_gap_is_missing_not_zero(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    int64_t n = 6 * DAY, fed = 0;
    for (int64_t k = 0; k < n; k++) {
        if (k >= 5 * DAY + 100 && k < 5 * DAY + 124)
            continue;
        feed(m, k, sine50(k));
        fed++;
    }
    fc_status st;
    fc_model_state(m, &st);
    CHECK_EQ_I64(st.points, fed);
    CHECK_EQ_I64(st.last_ts, T0 + (n - 1) * STEP);
    double e = max_err(m, DAY, n - 1, sine50);
    CHECK(e < 0.5);
    /* The gap's slots are NaN in the history. */
    CHECK(isnan(m->hist[(T0 / STEP + 5 * DAY + 110) % m->c.cap]));
    fc_model_free(m);
}

/* A gap longer than the history restarts the model: cold again. */
static void test_long_gap_restarts_cold(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    for (int64_t k = 0; k < 3 * DAY; k++)
        feed(m, k, sine50(k));
    fc_status st;
    fc_model_state(m, &st);
    CHECK(st.state != FC_COLD);
    int64_t k = 3 * DAY + m->c.cap + 5;
    feed(m, k, 50.0);
    fc_model_state(m, &st);
    CHECK_EQ_I64(st.state, FC_COLD);
    CHECK(strncmp(st.reason, "cold:", 5) == 0);
    CHECK_EQ_I64(st.points, 3 * DAY + 1);
    fc_forecast f[12];
    CHECK(fc_model_predict(m, 12, f) == AUG_OK);
    CHECK_NEAR(f[0].mean, 50.0, 1e-12);
    fc_model_free(m);
}

/* cold -> warming -> ready, with reasons, and wide honest intervals while
 * cold. */
static void test_cold_warming_ready(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    fc_status st;
    fc_forecast f[DAY];
    double cold_w = 0, ready_w = 0;
    int seen[3] = {0, 0, 0};
    fc_state prev = FC_COLD;
    for (int64_t k = 0; k < 6 * DAY; k++) {
        feed(m, k, sine50(k) + nrand());
        fc_model_state(m, &st);
        CHECK(st.state >= prev); /* never goes back without a restart */
        prev = st.state;
        seen[st.state]++;
        CHECK(strncmp(st.reason, fc_state_name(st.state), strlen(fc_state_name(st.state))) == 0);
        if (k == 5) {
            CHECK_EQ_I64(st.state, FC_COLD);
            CHECK(fc_model_predict(m, DAY, f) == AUG_OK);
            cold_w = f[DAY - 1].hi95 - f[DAY - 1].lo95;
        }
    }
    CHECK(seen[FC_COLD] > 0 && seen[FC_WARMING] > 0 && seen[FC_READY] > 0);
    CHECK_EQ_I64(st.state, FC_READY);
    /* Warming lasts at least two daily cycles. */
    CHECK(seen[FC_COLD] + seen[FC_WARMING] >= 2 * DAY);
    CHECK(fc_model_predict(m, DAY, f) == AUG_OK);
    ready_w = f[DAY - 1].hi95 - f[DAY - 1].lo95;
    CHECK(cold_w > 2 * ready_w);
    double wsum = 0;
    for (int i = 1; i < FC_KIND_COUNT; i++)
        wsum += st.weight_first[i];
    CHECK_NEAR(wsum, 1.0, 1e-9);
    CHECK(st.in_use != 0);
    CHECK(st.mae_first > 0 && st.mae_first < 3);
    CHECK(strstr(st.tuned, "hw alpha=") != NULL);
    fc_model_free(m);
}

/* Intervals come from the model's own out-of-sample errors: on a daily
 * sine with Gaussian noise (sd 2) the 80% and 95% intervals cover about
 * 80% and 95% of what happens next, at every lead. Over 130 seeds
 * (CHECK_SEED=1..130) the 80% coverage was 0.760 to 0.855 (mean 0.815, sd
 * 0.015), the 95% coverage 0.953 to 0.980 and the mean 80% width 4.95 to
 * 6.10; the bounds sit just outside those spreads, so they fail with the
 * engine, not with the seed. Before the replay's warm-up errors were
 * dropped from the rings (model.c) the 80% coverage was 0.848 to 0.905 and
 * the width 6.2 to 7.4. */
static void test_intervals_calibrated_on_noise(void)
{
    enum { N = 16 * DAY };
    static double y[N + DAY];
    for (int64_t k = 0; k < N + DAY; k++)
        y[k] = sine50(k) + 2.0 * nrand();
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    fc_forecast f[DAY];
    long in80 = 0, in95 = 0, tot = 0;
    double w80 = 0;
    for (int64_t k = 0; k < N; k++) {
        feed(m, k, y[k]);
        if (k >= 8 * DAY && k % 97 == 0) {
            CHECK(fc_model_predict(m, DAY, f) == AUG_OK);
            for (int s = 1; s <= DAY; s++) {
                double a = y[k + s];
                in80 += a >= f[s - 1].lo80 && a <= f[s - 1].hi80;
                in95 += a >= f[s - 1].lo95 && a <= f[s - 1].hi95;
                w80 += f[s - 1].hi80 - f[s - 1].lo80;
                CHECK(f[s - 1].lo95 <= f[s - 1].lo80 && f[s - 1].lo80 <= f[s - 1].hi80 &&
                      f[s - 1].hi80 <= f[s - 1].hi95);
                tot++;
            }
        }
    }
    double c80 = (double)in80 / (double)tot, c95 = (double)in95 / (double)tot;
    fprintf(stderr, "  coverage 80%%: %.3f, 95%%: %.3f, mean 80%% width %.3f (noise sd 2: ideal 5.13)\n", c80, c95,
            w80 / (double)tot);
    CHECK(c80 >= 0.74 && c80 <= 0.88);
    CHECK(c95 >= 0.93 && c95 <= 0.99);
    CHECK(w80 / (double)tot < 6.5); /* not calibrated by being uselessly wide */
    fc_model_free(m);
}

/* A refit replays the history with every member restarted, and until a
 * lead bucket has a member with errors of its own the combination borrows
 * shorter-lead weights: on this sine those day-ahead forecasts miss by
 * 5-15 (the noise sd is 2). The long-lead rings span the whole history, so
 * those errors stayed in their tails. Over 150 seeds the largest 10-90%
 * spread of any ring right after this refit was 9.3 to 20.8 (median 14.4,
 * the 129-256 ring) before the replay dropped them, 5.5 to 8.2 (median 6.7)
 * after; the ideal is 5.13. */
static void test_refit_drops_warmup_errors(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    for (int64_t k = 0; k < 8 * DAY; k++)
        feed(m, k, sine50(k) + 2.0 * nrand());
    CHECK(fc_model_refit(m) == AUG_OK);
    for (int b = 0; b < m->c.nb; b++) {
        int n = m->tr.en[b];
        double v[FC_ERRN];
        CHECK(n >= 16);
        memcpy(v, m->tr.err + (size_t)b * FC_ERRN, sizeof(double) * (size_t)n);
        fc_median(v, n); /* sorts */
        double spread = v[(int)(0.9 * n)] - v[(int)(0.1 * n)];
        if (!(spread < 9.0))
            fprintf(stderr, "  bucket %d (leads %d-%d): 10-90%% spread %.2f\n", b, (int)m->c.lead_lo[b],
                    (int)m->c.lead[b], spread);
        CHECK(spread < 9.0);
    }
    fc_model_free(m);
}

/* A constant series: every model forecasts the constant with zero-width
 * intervals once ready, and no NaN anywhere. */
static void test_constant_series(void)
{
    for (int kind = 0; kind < FC_KIND_COUNT; kind++) {
        fc_model *m = new_model((fc_kind)kind, STEP, DAY);
        for (int64_t k = 0; k < 4 * DAY; k++)
            feed(m, k, 7.25);
        fc_forecast f[DAY];
        CHECK(fc_model_predict(m, DAY, f) == AUG_OK);
        double worst = 0.0;
        for (int s = 0; s < DAY; s++) {
            worst = fmax(worst, fabs(f[s].mean - 7.25));
            worst = fmax(worst, fabs(f[s].lo95 - 7.25));
            worst = fmax(worst, fabs(f[s].hi95 - 7.25));
            worst = isnan(f[s].mean) ? HUGE_VAL : worst;
        }
        if (!(worst <= 1e-9))
            fprintf(stderr, "  %s: off the constant by %g\n", fc_kind_name((fc_kind)kind), worst);
        CHECK(worst <= 1e-9);
        fc_model_free(m);
    }
}

/* Zeros and negatives are ordinary values. */
static double around_zero(int64_t k)
{
    return sine(k, 0.0, 5.0);
}

static void test_zeros_and_negatives(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    for (int64_t k = 0; k < 5 * DAY; k++)
        feed(m, k, k % 7 == 0 ? 0.0 : around_zero(k));
    fc_forecast f[DAY];
    CHECK(fc_model_predict(m, DAY, f) == AUG_OK);
    bool neg = false;
    for (int s = 0; s < DAY; s++) {
        CHECK(isfinite(f[s].mean) && isfinite(f[s].lo95) && isfinite(f[s].hi95));
        neg |= f[s].mean < -3.0;
    }
    CHECK(neg);
    fc_model_free(m);
}

/* Memory is fixed at creation: feeding weeks of data, refits and gaps do
 * not grow it, and the heap counter returns to its start after free. */
static void test_memory_bounded(void)
{
    int64_t heap0 = aug_mem_used();
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    size_t b0 = fc_model_bytes(m);
    CHECK(b0 < 100000);
    for (int64_t k = 0; k < 20 * DAY; k += (k % 1000 == 999) ? 7 : 1)
        feed(m, k, sine50(k) + nrand());
    CHECK_EQ_I64(fc_model_bytes(m), b0);
    fc_model_free(m);
    CHECK_EQ_I64(aug_mem_used(), heap0);
}

/* Refits at 32, 64, 128, 256 points while young, then every day of steps;
 * update never refits by itself. */
static void test_refit_schedule(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    int64_t due_at[16];
    int n = 0;
    for (int64_t k = 0; k < 2 * DAY + 300; k++) {
        CHECK(fc_model_update(m, T0 + k * STEP, sine50(k), NULL) == AUG_OK);
        if (fc_model_refit_due(m)) {
            if (n < 16)
                due_at[n++] = k + 1;
            fc_status st;
            fc_model_state(m, &st);
            CHECK(st.refit_due);
            int64_t r0 = st.refits;
            CHECK(fc_model_refit(m) == AUG_OK);
            fc_model_state(m, &st);
            CHECK(!st.refit_due);
            CHECK_EQ_I64(st.refits, r0 + 1);
        }
    }
    CHECK(n >= 6);
    CHECK_EQ_I64(due_at[0], 32);
    CHECK_EQ_I64(due_at[1], 64);
    CHECK_EQ_I64(due_at[2], 128);
    CHECK_EQ_I64(due_at[3], 256);
    CHECK_EQ_I64(due_at[4], 256 + DAY);
    CHECK_EQ_I64(due_at[5], 256 + 2 * DAY);
    fc_model_free(m);
}

/* A refit replays the history: the model stays usable and its forecast of
 * a clean series stays right. */
static void test_refit_keeps_model_usable(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, DAY);
    for (int64_t k = 0; k < 5 * DAY; k++)
        feed(m, k, sine50(k));
    for (int i = 0; i < 3; i++)
        CHECK(fc_model_refit(m) == AUG_OK);
    CHECK(max_err(m, DAY, 5 * DAY - 1, sine50) < 0.1);
    fc_status st;
    fc_model_state(m, &st);
    CHECK_EQ_I64(st.state, FC_READY);
    fc_model_free(m);
}

/* A refit that cannot allocate leaves the model exactly as it was. */
static void test_refit_enomem_leaves_model(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    for (int64_t k = 0; k < 200; k++)
        CHECK(fc_model_update(m, T0 + k * STEP, sine50(k), NULL) == AUG_OK);
    size_t n0, n1;
    uint8_t *before = blob_of(m, &n0);
    aug_mem_fail_after(0);
    aug_err e = fc_model_refit(m);
    aug_mem_fail_reset();
    CHECK_EQ_I64(e, AUG_ENOMEM);
    uint8_t *after = blob_of(m, &n1);
    CHECK(n0 == n1 && memcmp(before, after, n0) == 0);
    aug_free(before);
    aug_free(after);
    fc_params p;
    fc_params_default(&p, STEP, 12);
    fc_model *m2 = NULL;
    for (long fail = 0; fail < 3; fail++) {
        aug_mem_fail_after(fail);
        e = fc_model_new(&p, &m2, NULL);
        aug_mem_fail_reset();
        if (e == AUG_OK) {
            fc_model_free(m2);
            break;
        }
        CHECK_EQ_I64(e, AUG_ENOMEM);
        CHECK(m2 == NULL);
    }
    fc_model_free(m);
}

/* Same input, same output, bit for bit. */
static void test_deterministic(void)
{
    fc_model *a = new_model(FC_AUTO, STEP, DAY), *b = new_model(FC_AUTO, STEP, DAY);
    uint64_t seed = check_seed;
    for (int64_t k = 0; k < 3 * DAY; k++)
        feed(a, k, sine50(k) + nrand());
    check_seed = seed;
    for (int64_t k = 0; k < 3 * DAY; k++)
        feed(b, k, sine50(k) + nrand());
    fc_forecast fa[DAY], fb[DAY];
    CHECK(fc_model_predict(a, DAY, fa) == AUG_OK && fc_model_predict(b, DAY, fb) == AUG_OK);
    CHECK(memcmp(fa, fb, sizeof fa) == 0);
    fc_model_free(a);
    fc_model_free(b);
}

/* A level shift of the whole series (no seasonality, hourly data): the
 * automatic model follows within a day. */
static void test_hourly_level_shift(void)
{
    fc_model *m = new_model(FC_AUTO, 3600, 24);
    aug_errbuf eb = {{0}};
    int64_t n = 20 * 24;
    for (int64_t k = 0; k < n; k++) {
        double v = (k < 15 * 24 ? 100.0 : 20.0) + nrand();
        CHECK(fc_model_update(m, T0 + k * 3600, v, &eb) == AUG_OK);
        if (fc_model_refit_due(m))
            CHECK(fc_model_refit(m) == AUG_OK);
        if (k == 15 * 24 + 23) { /* one day after the drop */
            fc_forecast f[24];
            CHECK(fc_model_predict(m, 24, f) == AUG_OK);
            double worst = 0.0;
            for (int s = 0; s < 24; s++)
                worst = fmax(worst, fabs(f[s].mean - 20.0));
            CHECK(worst < 3.0);
        }
    }
    fc_model_free(m);
}

CHECK_MAIN(CHECK_CASE(test_params_rejected), CHECK_CASE(test_periods_follow_step),
           CHECK_CASE(test_periods_follow_season), CHECK_CASE(test_season_rejected),
           CHECK_CASE(test_hourly_cycle_needs_hourly_season), CHECK_CASE(test_names),
           CHECK_CASE(test_bad_points_rejected_model_unchanged), CHECK_CASE(test_gap_is_missing_not_zero),
           CHECK_CASE(test_long_gap_restarts_cold), CHECK_CASE(test_cold_warming_ready),
           CHECK_CASE(test_intervals_calibrated_on_noise), CHECK_CASE(test_refit_drops_warmup_errors),
           CHECK_CASE(test_constant_series),
           CHECK_CASE(test_zeros_and_negatives), CHECK_CASE(test_memory_bounded), CHECK_CASE(test_refit_schedule),
           CHECK_CASE(test_refit_keeps_model_usable), CHECK_CASE(test_refit_enomem_leaves_model),
           CHECK_CASE(test_deterministic), CHECK_CASE(test_hourly_level_shift))
