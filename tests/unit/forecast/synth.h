/* synth.h — synthetic series and feeding helpers for the forecast tests.
 * Deterministic: noise comes from check_rand (each test its own fixed seed,
 * or CHECK_SEED). */
#ifndef AUG_TESTS_FORECAST_SYNTH_H
#define AUG_TESTS_FORECAST_SYNTH_H

#include "util/common.h"

#include "forecast/forecast.h"

#include "../check.h"

#define PI 3.14159265358979323846
#define T0 INT64_C(1399680000) /* a UTC midnight */
#define STEP 300
#define DAY 288                 /* 5-minute slots per day */

/* Uniform in [0, 1). */
static inline double urand(void)
{
    return (double)(check_rand() >> 11) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static inline double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * PI * v);
}

/* level + amp * sin(2 pi k / DAY): a pure daily cycle on the 5-minute grid. */
static inline double sine(int64_t k, double level, double amp)
{
    return level + amp * sin(2.0 * PI * (double)(k % DAY) / (double)DAY);
}

/* A model built from p; aborts with fc_model_new's message when it refuses. */
static inline fc_model *new_model_from(const fc_params *p)
{
    fc_model *m = NULL;
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_new(p, &m, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "fc_model_new(kind %s, step %" PRId64 ", season %" PRId64 "): %s\n", fc_kind_name(p->kind),
                p->step_s, p->season_s, aug_errmsg(&eb, e));
        abort();
    }
    return m;
}

/* The default parameters for step and horizon H, with member kind. */
static inline fc_model *new_model(fc_kind kind, int64_t step, int32_t H)
{
    fc_params p;
    fc_params_default(&p, step, H);
    p.kind = kind;
    return new_model_from(&p);
}

/* Feeds slot k (value v) and refits when the schedule asks, as the daemon does. */
static inline void feed(fc_model *m, int64_t k, double v)
{
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_update(m, T0 + k * STEP, v, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "fc_model_update(slot %" PRId64 "): %s\n", k, aug_errmsg(&eb, e));
        abort();
    }
    if (fc_model_refit_due(m) && fc_model_refit(m) != AUG_OK)
        abort();
}

/* Largest |mean - truth(k_last + s)| over s = 1..h. */
static inline double max_err(const fc_model *m, int32_t h, int64_t k_last, double (*truth)(int64_t))
{
    fc_forecast f[FC_MAX_HORIZON];
    if (fc_model_predict(m, h, f) != AUG_OK)
        return HUGE_VAL;
    double worst = 0.0;
    for (int32_t s = 1; s <= h; s++) {
        double e = fabs(f[s - 1].mean - truth(k_last + s));
        if (!(e <= worst))
            worst = isnan(e) ? HUGE_VAL : e;
    }
    return worst;
}

#endif
