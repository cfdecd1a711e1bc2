/* Unit tests for each forecaster (src/forecast/members.c) on synthetic series
 * with known answers: a pure daily sine is forecast within tight error, a
 * level step is adapted to within a day, an isolated spike is absorbed and
 * does not come back over the next week. Each model runs through the public
 * API with kind forced (its hyper-parameters tuned by the scheduled refits),
 * except where a fixed member setting is the point of the test. */
#include "util/common.h"

#include "forecast/fc_impl.h"

#include "synth.h"

/* ------------------------------------------------------------ pure sine */

static double sine50(int64_t k)
{
    return sine(k, 50.0, 10.0);
}

/* Six days of a noiseless daily sine (amplitude 10): every seasonal model
 * forecasts the next day within a small fraction of the amplitude. */
static void check_sine(fc_kind kind, double tol)
{
    fc_model *m = new_model(kind, STEP, DAY);
    int64_t n = 6 * DAY;
    for (int64_t k = 0; k < n; k++)
        feed(m, k, sine50(k));
    double e = max_err(m, DAY, n - 1, sine50);
    if (!(e <= tol))
        fprintf(stderr, "  %s: max error %.6g over 24 h (tolerance %g)\n", fc_kind_name(kind), e, tol);
    CHECK(e <= tol);
    fc_model_free(m);
}

static void test_sine_snaive_exact(void)
{
    check_sine(FC_SNAIVE, 1e-9);
}

static void test_sine_holt_winters(void)
{
    check_sine(FC_HW, 0.1); /* 1% of the amplitude */
}

static void test_sine_fourier(void)
{
    check_sine(FC_FOURIER, 0.01);
}

static void test_sine_auto(void)
{
    check_sine(FC_AUTO, 0.1);
}

/* A large offset (bytes/s around 1e9) with a small cycle: the regression
 * fits y minus its first value, so its prior does not bias the level. */
static double big(int64_t k)
{
    return sine(k, 1e9, 1000.0);
}

static void test_large_offset_fourier(void)
{
    fc_model *m = new_model(FC_FOURIER, STEP, DAY);
    for (int64_t k = 0; k < 5 * DAY; k++)
        feed(m, k, big(k) + 10.0 * (urand() - 0.5));
    double e = max_err(m, DAY, 5 * DAY - 1, big);
    if (!(e <= 20.0))
        fprintf(stderr, "  fourier: max error %.4g on a 1e9 + 1000 sin series\n", e);
    CHECK(e <= 20.0);
    fc_model_free(m);
}

/* Flat models on a sine are not expected to follow it; check their
 * definitions instead: naive = last value, lmed = median of the window. */
static void test_naive_and_local_median(void)
{
    fc_model *m = new_model(FC_NAIVE, STEP, 12);
    static const double v[] = {5, 1, 9, 3, 7, 2, 8};
    for (int k = 0; k < 7; k++)
        feed(m, k, v[k]);
    fc_forecast f[12];
    CHECK(fc_model_predict(m, 12, f) == AUG_OK);
    for (int s = 0; s < 12; s++)
        CHECK_NEAR(f[s].mean, 8.0, 0.0);
    fc_model_free(m);

    fc_lmed l = {.w = 5};
    fc_lmed_reset(&l);
    CHECK(isnan(fc_lmed_forecast(&l)));
    for (int k = 0; k < 7; k++)
        fc_lmed_update(&l, v[k]);
    fc_lmed_update(&l, FC_NAN); /* missing: no change */
    CHECK_NEAR(fc_lmed_forecast(&l), 7.0, 0.0); /* median of 9 3 7 2 8 */
    fc_lmed_update(&l, 1.0);
    CHECK_NEAR(fc_lmed_forecast(&l), 3.0, 0.0); /* median of 3 7 2 8 1 */
}

/* ----------------------------------------------------------------- step */

static double step_truth(int64_t k)
{
    return sine(k, k >= 4 * DAY ? 90.0 : 50.0, 10.0);
}

/* Noise +-1 on a daily sine, level +40 at day 4. `days` after the step the
 * next 24 h are forecast within tol on average (4 = 10% of the step). */
static void check_step_after(fc_kind kind, int days, double tol)
{
    fc_model *m = new_model(kind, STEP, DAY);
    int64_t n = (4 + days) * DAY;
    for (int64_t k = 0; k < n; k++)
        feed(m, k, step_truth(k) + 2.0 * (urand() - 0.5));
    fc_forecast f[DAY];
    CHECK(fc_model_predict(m, DAY, f) == AUG_OK);
    double sum = 0.0, worst = 0.0;
    for (int s = 1; s <= DAY; s++) {
        double e = fabs(f[s - 1].mean - step_truth(n - 1 + s));
        sum += e;
        worst = fmax(worst, e);
    }
    if (!(sum / DAY <= tol))
        fprintf(stderr, "  %s: mean error %.4g, max %.4g one day after a +40 step\n", fc_kind_name(kind), sum / DAY,
                worst);
    CHECK(sum / DAY <= tol);
    fc_model_free(m);
}

static void check_step(fc_kind kind, double tol)
{
    check_step_after(kind, 1, tol);
}

static void test_step_adapted_holt_winters(void)
{
    check_step(FC_HW, 4.0);
}

static void test_step_adapted_fourier(void)
{
    check_step(FC_FOURIER, 4.0);
}

static void test_step_adapted_auto(void)
{
    check_step(FC_AUTO, 4.0);
}

/* The tuned seasonal median (K <= 7 days, see test_step_seasonal_median_lag)
 * is adapted once more than K/2 days follow the step: after 4 days. */
static void test_step_adapted_snaive(void)
{
    check_step_after(FC_SNAIVE, 4, 4.0);
}

/* Flat models: within the daily swing (amplitude 10) of the new level. */
static void test_step_adapted_flat(void)
{
    check_step(FC_NAIVE, 12.0);
    check_step(FC_LMED, 12.0);
}

/* The seasonal median of K days needs more than K/2 days after a step:
 * K = 1 is adapted after one day, K = 3 after two, not after one. */
static void test_step_seasonal_median_lag(void)
{
    fc_params p;
    fc_params_default(&p, STEP, DAY);
    fc_params norm;
    fc_cfg c;
    CHECK(fc_cfg_derive(&p, &norm, &c, NULL) == AUG_OK);
    double *hist = calloc((size_t)c.cap, sizeof(double));
    uint64_t *flag = calloc(((size_t)c.cap + 63) / 64, sizeof(uint64_t));
    for (int64_t k = 0; k < c.cap; k++)
        hist[k] = step_truth(k);
    fc_sn one = {.week = 0, .K = 1}, three = {.week = 0, .K = 3};
    int64_t after1 = 5 * DAY - 1, after2 = 6 * DAY - 1;
    fc_ctx x1 = {.c = &c, .hist = hist, .flag = flag, .k = after1, .k_lo = 0};
    fc_ctx x2 = {.c = &c, .hist = hist, .flag = flag, .k = after2, .k_lo = 0};
    double e1 = 0, e3a = 0, e3b = 0;
    for (int64_t s = 1; s <= DAY; s++) {
        e1 = fmax(e1, fabs(fc_sn_forecast(&one, &x1, s) - step_truth(after1 + s)));
        e3a = fmax(e3a, fabs(fc_sn_forecast(&three, &x1, s) - step_truth(after1 + s)));
        e3b = fmax(e3b, fabs(fc_sn_forecast(&three, &x2, s) - step_truth(after2 + s)));
    }
    CHECK(e1 < 1e-9);
    CHECK(e3a > 39.0); /* two of three days still before the step */
    CHECK(e3b < 1e-9);
    free(hist);
    free(flag);
}

/* ---------------------------------------------------------------- spike */

static double spike_truth(int64_t k)
{
    return sine(k, 50.0, 10.0);
}

/* Noise +-0.5 on a daily sine; one point at day 4 slot 100 is +200. At the
 * end of each of the next 7 days, the forecast of the next 24 h (which
 * includes slot 100) stays within 1.5 of the truth: the spike corrupted
 * neither the level nor the seasonal state. */
static void check_spike(fc_kind kind, double tol)
{
    fc_model *m = new_model(kind, STEP, DAY);
    int64_t spike = 4 * DAY + 100;
    double worst = 0.0;
    for (int64_t k = 0; k < 12 * DAY; k++) {
        double v = spike_truth(k) + (urand() - 0.5);
        feed(m, k, k == spike ? v + 200.0 : v);
        if (k >= spike + 10 && (k + 1) % DAY == 0)
            worst = fmax(worst, max_err(m, DAY, k, spike_truth));
    }
    if (!(worst <= tol))
        fprintf(stderr, "  %s: worst 24 h error %.4g in the week after a +200 spike\n", fc_kind_name(kind), worst);
    CHECK(worst <= tol);
    fc_model_free(m);
}

static void test_spike_absorbed_holt_winters(void)
{
    check_spike(FC_HW, 1.5);
}

static void test_spike_absorbed_fourier(void)
{
    check_spike(FC_FOURIER, 1.5);
}

static void test_spike_absorbed_auto(void)
{
    check_spike(FC_AUTO, 1.5);
}

/* Holt-Winters starts its season from the first day: a 14-point burst of
 * +1000 in that day (a news event on a tweet series) must not become part
 * of the season. Found on Twitter_volume_AAPL, where it wrecked HW for days. */
static void test_first_day_burst_not_in_season(void)
{
    fc_model *m = new_model(FC_HW, STEP, DAY);
    double worst = 0.0;
    for (int64_t k = 0; k < 5 * DAY; k++) {
        double v = spike_truth(k) + (urand() - 0.5) + (k >= 150 && k < 164 ? 1000.0 : 0.0);
        feed(m, k, v);
        if (k >= 3 * DAY && (k + 1) % DAY == 0)
            worst = fmax(worst, max_err(m, DAY, k, spike_truth));
    }
    if (!(worst <= 2.0))
        fprintf(stderr, "  hw: worst 24 h error %.4g after a first-day burst\n", worst);
    CHECK(worst <= 2.0);
    fc_model_free(m);
}

/* A burst at the same time every day (a nightly batch, network_in's bursts
 * at fixed minutes) is the season, not an outlier: from day 4 on, slot 100
 * is +200 every day. The engine flags the first one; the second one at the
 * same slot unflags both, so seasonal naive repeats the burst. From the end
 * of day 9, seasonal naive forecasts at least 3/4 of it for slot 100 of
 * day 10; the combination at least 1/5 (Holt-Winters and the regression
 * winsorize the burst and keep about 70% of the weight at 24 h, measured:
 * 58 of 200). Without the recurrence rule every occurrence was flagged in
 * turn and the burst was never forecast (measured: -8.7 and 0.3). */
static double burst_truth(int64_t k)
{
    return spike_truth(k) + (k >= 4 * DAY && k % DAY == 100 ? 200.0 : 0.0);
}

static void check_daily_burst(fc_kind kind, double at_least)
{
    fc_model *m = new_model(kind, STEP, DAY);
    int64_t end = 10 * DAY - 1;
    for (int64_t k = 0; k <= end; k++)
        feed(m, k, burst_truth(k) + (urand() - 0.5));
    fc_forecast f[DAY];
    CHECK_EQ_I64(fc_model_predict(m, DAY, f), AUG_OK);
    double got = f[100].mean - spike_truth(end + 101);
    if (!(got >= at_least))
        fprintf(stderr, "  %s: forecast of the daily burst %.4g above the sine (burst 200)\n", fc_kind_name(kind), got);
    CHECK(got >= at_least);
    fc_model_free(m);
}

static void test_daily_burst_snaive(void)
{
    check_daily_burst(FC_SNAIVE, 150.0);
}

static void test_daily_burst_auto(void)
{
    check_daily_burst(FC_AUTO, 40.0);
}

/* Not a recurrence (found in review): a one-off +200 spike at day 4 slot
 * 100, then a one-off -40 drop (an outage) at day 5 slot 100. Both stay
 * flagged, so seasonal naive with K = 1 repeats neither on day 6; when the
 * drop cleared both flags it forecast day 6 slot 100 40 too low. A second
 * spike at the same slot but 20x smaller is no recurrence of the first
 * either. */
static bool flagged_slot(const fc_model *m, int64_t k)
{
    fc_ctx x = {.c = &m->c, .flag = m->flag};
    return fc_flagged(&x, T0 / STEP + k);
}

static void test_opposite_or_unlike_outliers_stay_flagged(void)
{
    for (int unlike = 0; unlike < 2; unlike++) {
        fc_model *m = new_model(FC_SNAIVE, STEP, DAY);
        int64_t spike = 4 * DAY + 100, next = 5 * DAY + 100, end = 6 * DAY - 1;
        double second = unlike ? 10.0 : -40.0;
        for (int64_t k = 0; k <= end; k++)
            feed(m, k, spike_truth(k) + (urand() - 0.5) + (k == spike ? 200.0 : k == next ? second : 0.0));
        CHECK(flagged_slot(m, spike));
        CHECK(flagged_slot(m, next));
        m->sn.K = 1;
        fc_forecast f[DAY];
        CHECK_EQ_I64(fc_model_predict(m, DAY, f), AUG_OK);
        double err = f[100].mean - spike_truth(end + 101);
        if (!(fabs(err) <= 5))
            fprintf(stderr, "  day-6 slot-100 forecast %.4g off the sine (second outlier %+g)\n", err, second);
        CHECK(fabs(err) <= 5);
        fc_model_free(m);
    }
}

/* Seasonal naive (K = 1) repeats yesterday, spike included, unless the
 * engine flagged it; the seasonal median (K >= 3) does not either way. */
static void test_spike_seasonal_median(void)
{
    fc_params p;
    fc_params_default(&p, STEP, DAY);
    fc_params norm;
    fc_cfg c;
    CHECK(fc_cfg_derive(&p, &norm, &c, NULL) == AUG_OK);
    double *hist = calloc((size_t)c.cap, sizeof(double));
    uint64_t *flag = calloc(((size_t)c.cap + 63) / 64, sizeof(uint64_t));
    int64_t spike = 4 * DAY + 100;
    for (int64_t k = 0; k < c.cap; k++)
        hist[k] = spike_truth(k) + (k == spike ? 200.0 : 0.0);
    fc_sn one = {.week = 0, .K = 1}, three = {.week = 0, .K = 3};
    fc_ctx x = {.c = &c, .hist = hist, .flag = flag, .k = 5 * DAY - 1, .k_lo = 0};
    CHECK_NEAR(fc_sn_forecast(&one, &x, 101), spike_truth(5 * DAY + 100) + 200.0, 1e-9);
    CHECK_NEAR(fc_sn_forecast(&three, &x, 101), spike_truth(5 * DAY + 100), 1e-9);
    /* Once the engine flags the spike as an outlier, even K = 1 skips it and
     * takes the day before. */
    flag[(spike % c.cap) >> 6] |= UINT64_C(1) << ((spike % c.cap) & 63);
    CHECK_NEAR(fc_sn_forecast(&one, &x, 101), spike_truth(3 * DAY + 100), 1e-9);
    free(hist);
    free(flag);
}

/* The robust filter: outliers are winsorized, a run of shift_m same-sign
 * outliers becomes a level shift equal to their median. */
static void test_robust_filter(void)
{
    fc_rob r;
    memset(&r, 0, sizeof r);
    double shift;
    for (int i = 0; i < 50; i++)
        fc_rob_filter(&r, (i & 1) ? 1.0 : -1.0, 3, &shift);
    CHECK_NEAR(r.mad, 1.0, 1e-9);
    double out = fc_rob_filter(&r, 100.0, 3, &shift);
    CHECK_NEAR(out, 3.0, 1e-9); /* clipped at 3 x mad */
    CHECK(shift == 0.0);
    fc_rob_filter(&r, 0.5, 3, &shift); /* run broken */
    fc_rob_filter(&r, 20.0, 3, &shift);
    fc_rob_filter(&r, 30.0, 3, &shift);
    CHECK(shift == 0.0);
    out = fc_rob_filter(&r, 25.0, 3, &shift);
    CHECK_NEAR(shift, 25.0, 1e-9); /* median of 20, 30, 25 */
    CHECK_NEAR(out, 0.0, 0.0);
}

CHECK_MAIN(CHECK_CASE(test_sine_snaive_exact), CHECK_CASE(test_sine_holt_winters), CHECK_CASE(test_sine_fourier),
           CHECK_CASE(test_sine_auto), CHECK_CASE(test_large_offset_fourier), CHECK_CASE(test_naive_and_local_median),
           CHECK_CASE(test_step_adapted_holt_winters), CHECK_CASE(test_step_adapted_fourier),
           CHECK_CASE(test_step_adapted_auto), CHECK_CASE(test_step_adapted_snaive),
           CHECK_CASE(test_step_adapted_flat), CHECK_CASE(test_step_seasonal_median_lag),
           CHECK_CASE(test_spike_absorbed_holt_winters), CHECK_CASE(test_spike_absorbed_fourier),
           CHECK_CASE(test_spike_absorbed_auto), CHECK_CASE(test_first_day_burst_not_in_season), CHECK_CASE(test_daily_burst_snaive),
           CHECK_CASE(test_daily_burst_auto), CHECK_CASE(test_opposite_or_unlike_outliers_stay_flagged),
           CHECK_CASE(test_spike_seasonal_median),
           CHECK_CASE(test_robust_filter))
