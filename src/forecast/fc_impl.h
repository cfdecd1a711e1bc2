/* fc_impl.h — internal to src/forecast/: the layout of a model, shared by
 * model.c (the engine: time, tracking, combination, refit), members.c (the
 * forecasters) and blob.c (serialization). Nothing outside src/forecast/ and
 * its tests includes this file; the contract is forecast.h.
 *
 * Slots. Every point lives in an absolute slot k = floor(t0/step) + round((ts
 * - t0)/step) >= 0, so slot k starts at k*step + phase (phase = t0 mod step)
 * and k mod p1 is the position in the season (for the default daily season,
 * the UTC time of day). The history ring holds the
 * value of slot j at hist[j % cap] (NaN = missing) for the slots of the
 * current run that are at most cap-1 older than the last one.
 *
 * Members are indexed by kind - 1 (0..FC_NMEM-1); the combined forecast is
 * tracked as index FC_NMEM.
 */
#ifndef AUG_FORECAST_FC_IMPL_H
#define AUG_FORECAST_FC_IMPL_H

#include "forecast/forecast.h"

#define FC_NAN ((double)NAN) /* NAN is a float constant */
#define FC_NMEM 5          /* naive, lmed, snaive, hw, fourier */
#define FC_NB_MAX 16       /* lead-time buckets: up to 1, 2, 4, ... doubling, then max_horizon */
#define FC_PEND 9          /* pending forecasts per bucket (origins every ceil(lead/8) slots) */
#define FC_ERRN 128        /* combined-forecast errors kept per bucket (interval quantiles) */
#define FC_LMED_MAX 64     /* longest local-median window */
#define FC_SN_KMAX 7       /* most periods a seasonal median looks back */
#define FC_FOU_K1MAX 10    /* harmonics of the season */
#define FC_FOU_K2MAX 4     /* weekly harmonics */
#define FC_FOU_PMAX (2 + 2 * FC_FOU_K1MAX + 2 * FC_FOU_K2MAX)
#define FC_SHIFT_MAX 12    /* longest run of same-sign outliers before a level shift is accepted */
#define FC_NW_MAX 168      /* hour-of-week season slots */

/* Configuration derived deterministically from fc_params (never stored:
 * decode derives it again from the stored parameters). */
typedef struct fc_cfg {
    int64_t step;
    int32_t H;           /* max horizon, steps */
    int32_t kind, combine;
    int32_t cap;         /* history slots */
    int32_t refit_every;
    int32_t p1, p2;      /* season / weekly period in slots, 0 = off (fc_cfg_derive) */
    double P1, P2;       /* exact periods in slots (Fourier terms) */
    int32_t nw;          /* hour-of-week slots for Holt-Winters, 0 = off */
    int64_t wwidth;      /* seconds per hour-of-week slot */
    int32_t nb;          /* lead buckets: bucket b covers leads lead_lo[b]..lead[b] */
    int32_t lead[FC_NB_MAX];
    int32_t lead_lo[FC_NB_MAX];
    double mid[FC_NB_MAX];   /* (lead_lo + lead) / 2: where a bucket's statistics sit */
    int32_t stride[FC_NB_MAX];
    double decay[FC_NB_MAX]; /* per-sample discount of the error statistics */
    double base_decay;       /* per-sample discount of the distrust baseline (4x slower) */
    int32_t shift_m;     /* same-sign outliers in a row that make a level shift */
    uint32_t pool;       /* bit i: member i may be used */
} fc_cfg;

/* Read-only view a member gets at each slot. */
typedef struct fc_ctx {
    const fc_cfg *c;
    const double *hist;
    const uint64_t *flag; /* bit j % cap: slot j was an isolated outlier */
    int64_t k;    /* the slot being updated, or the forecast origin */
    int64_t k_lo; /* oldest slot whose history value may be read */
    int64_t phase;
} fc_ctx;

/* Robust error filter: winsorizes outliers at FC_ROB_C times the running
 * mean absolute error and turns a run of shift_m same-sign outliers into a
 * level shift. */
typedef struct fc_rob {
    double mad;  /* EWMA of |error| (winsorized) */
    int64_t n;   /* errors seen */
    int32_t run; /* consecutive outliers of one sign */
    int32_t sign;
    double buf[FC_SHIFT_MAX];
} fc_rob;

typedef struct fc_naive {
    int32_t has;
    double last;
} fc_naive;

typedef struct fc_lmed {
    int32_t w; /* tuned window, 1..FC_LMED_MAX */
    int32_t n, head;
    double fifo[FC_LMED_MAX];   /* last n observed values, oldest at head */
    double sorted[FC_LMED_MAX]; /* the same values sorted */
} fc_lmed;

typedef struct fc_sn {
    int32_t week; /* 0: the season (p1), 1: the week (p2) */
    int32_t K;    /* periods looked back, 1..FC_SN_KMAX (1 = seasonal naive) */
} fc_sn;

typedef struct fc_hw {
    double alpha, beta, phi, gamma, gammaw; /* tuned */
    double l, b;
    int64_t n_obs, n_steps;
    fc_rob rob;
    double *s; /* p1 slots of the season (in the model's block) */
    double *w; /* nw hour-of-week season (in the block) */
} fc_hw;

typedef struct fc_fou {
    int32_t k1, k2, trend; /* tuned */
    double lambda;         /* tuned forgetting factor */
    int32_t p;             /* features */
    int64_t anchor;        /* slot where the trend feature is 0 */
    double off;            /* first observed value: the regression fits y - off */
    int64_t n_obs;
    fc_rob rob;
    double th[FC_FOU_PMAX];
    double P[FC_FOU_PMAX * FC_FOU_PMAX];
} fc_fou;

/* Out-of-sample error tracking, see model.c. */
typedef struct fc_track {
    uint8_t cnt[FC_NB_MAX]; /* pending forecasts per bucket, oldest first */
    int64_t *pt;  /* [nb][FC_PEND] target slot of each pending forecast */
    double *pf;   /* [FC_NMEM+1][nb][FC_PEND] forecasts, NaN = none */
    double mae_s[FC_NMEM + 1][FC_NB_MAX]; /* discounted sum of |error| */
    double mae_w[FC_NMEM + 1][FC_NB_MAX]; /* discounted count */
    int32_t ns[FC_NMEM + 1][FC_NB_MAX];   /* samples seen (saturating) */
    double last3[FC_NMEM + 1][3];         /* the last three |lead-1 errors|, newest at ns % 3 */
    double base_s[FC_NMEM + 1], base_w[FC_NMEM + 1]; /* slow discounted lead-1 MAE (distrust baseline) */
    double *err;  /* [nb][FC_ERRN] ring of signed combined errors */
    uint16_t ehead[FC_NB_MAX], en[FC_NB_MAX];
} fc_track;

struct fc_model {
    fc_params par; /* normalized */
    fc_cfg c;
    /* time */
    int32_t has_first;
    int64_t t0, phase;
    int64_t k_start; /* first slot of the current run */
    int64_t k_last;  /* last slot fed */
    int64_t last_ts;
    int64_t n_obs;   /* observed points since creation */
    int64_t n_run;   /* observed points since the run started */
    int64_t next_refit, refits;
    /* members */
    fc_naive nv;
    fc_lmed lm;
    fc_sn sn;
    fc_hw hw;
    fc_fou fo;
    fc_track tr;
    double *hist; /* [cap] */
    uint64_t *flag; /* [(cap + 63) / 64] outlier bits, see model.c */
    int32_t out_run, out_sign; /* current run of same-sign outliers */
    void *block;
    size_t block_bytes;
};

static inline bool fc_flagged(const fc_ctx *x, int64_t slot)
{
    int64_t i = slot % x->c->cap;
    return (x->flag[i >> 6] >> (i & 63)) & 1u;
}

/* model.c */
aug_err fc_cfg_derive(const fc_params *p, fc_params *norm, fc_cfg *c, aug_errbuf *eb);
aug_err fc_model_alloc(const fc_params *norm, const fc_cfg *c, fc_model **out);
void fc_model_reset_run(fc_model *m, int64_t k);
/* Invariant checker (model.c's numbered invariants) for AUG_DEBUG_ASSERT. */
bool fc_model_check(const fc_model *m);

/* members.c */
double fc_rob_filter(fc_rob *r, double e, int32_t m, double *shift);
double fc_median(double *v, int n); /* sorts v in place */

void fc_naive_reset(fc_naive *n);
void fc_naive_update(fc_naive *n, double y);
double fc_naive_forecast(const fc_naive *n);

void fc_lmed_reset(fc_lmed *l);
void fc_lmed_update(fc_lmed *l, double y);
double fc_lmed_forecast(const fc_lmed *l);

double fc_sn_forecast(const fc_sn *s, const fc_ctx *x, int64_t h);

void fc_hw_reset(fc_hw *h, const fc_cfg *c);
void fc_hw_update(fc_hw *h, const fc_ctx *x, double y);
double fc_hw_forecast(const fc_hw *h, const fc_ctx *x, int64_t hs);
bool fc_hw_ready(const fc_hw *h, const fc_cfg *c);

void fc_fou_reset(fc_fou *f, int64_t k);
void fc_fou_update(fc_fou *f, const fc_ctx *x, double y);
double fc_fou_forecast(const fc_fou *f, const fc_ctx *x, int64_t hs);
int32_t fc_fou_nfeat(int32_t k1, int32_t k2, int32_t trend);

#endif
