/* forecast.h — augur's forecast engine (src/forecast/): one model per series,
 * fed one point at a time, forecasting h steps ahead with 80% and 95%
 * intervals calibrated on its own recent out-of-sample errors.
 *
 * Purpose. An fc_model is a small ensemble of cheap online forecasters
 * ("members": naive, local median, seasonal naive/median, additive damped
 * Holt-Winters with the season and an hour-of-week season, trend + Fourier
 * regression by recursive least squares with forgetting). Every update
 * costs O(1) (no refit); each member's forecasts at a few lead times are
 * kept until the actual arrives, so the model knows every member's recent
 * out-of-sample error per lead time. The point forecast weights the members
 * by that error (or picks the best one), and the intervals are empirical
 * quantiles of the combined forecast's own recent errors per lead time.
 * Hyper-parameters (smoothing constants, damping, forgetting factor,
 * harmonics, window lengths) are re-tuned by fc_model_refit on the history
 * the model keeps, on a schedule the caller follows (fc_status.refit_due).
 *
 * Purity. No clock, no I/O, no logging, no global state: time comes only
 * from the timestamps passed to fc_model_update. The same code runs in the
 * daemon and in `augurctl forecast`.
 *
 * Time. A model has a fixed step (seconds). The first point fixes the grid:
 * a point at time ts belongs to slot round((ts - t0) / step). A point whose
 * slot is not after the last slot fed is rejected (AUG_EINVAL) and changes
 * nothing. Skipped slots are missing points (never zeros); a gap longer
 * than the history the model keeps restarts the model (state goes back to
 * cold, tuned parameters are kept). Seasonal periods follow from the season
 * (fc_params.season_s, default one day) and the step: the season in steps,
 * and a weekly period when the season divides a week (the default: minute
 * data 1440/10080, 5-minute 288/2016, hourly 24/168); seasons are aligned to
 * the Unix epoch, so a daily season is UTC time of day.
 *
 * States (fc_status.state), see model.c for the transition table:
 *   cold     fewer than 3 points, or too few measured errors even at lead 1:
 *            the forecast is the last value and intervals come from the
 *            spread of the data seen, widened (honest, wide);
 *   warming  less than two seasonal cycles, or some lead times have no measured
 *            errors yet (their intervals are extrapolated from shorter leads
 *            and widened); only members that have proven themselves at a lead
 *            time are used there;
 *   ready    every lead time has its own measured errors and the seasonal
 *            members have seen two cycles.
 *
 * Memory. Everything a model owns is allocated by fc_model_new/decode in one
 * block whose size depends only on the parameters (history length, season,
 * horizon); fc_model_bytes reports it. Nothing grows afterwards.
 *
 * Thread rules. A model is used by one thread at a time for update, refit
 * and free. predict, state, encode and bytes only read the model, so several
 * threads may call them concurrently when nobody updates it.
 *
 * Lifetimes. fc_model_new/fc_model_decode return a model the caller frees
 * with fc_model_free. All other pointers are borrowed for the call only.
 */
#ifndef AUG_FORECAST_FORECAST_H
#define AUG_FORECAST_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/common.h"
#include "util/err.h"

typedef struct fc_model fc_model;

/* Longest horizon a model accepts, in steps. */
#define FC_MAX_HORIZON 20160
/* Most history a model keeps for refits, in steps (14 days of minutes). */
#define FC_MAX_HISTORY 20160
/* Smallest and largest step, in seconds. */
#define FC_MIN_STEP 1
#define FC_MAX_STEP (7 * 86400)
/* The default season (fc_params_default), in seconds: one day. */
#define FC_SEASON_DAY 86400
/* Longest season fc_params accepts, in seconds (a season must also fit twice
 * in the history, so at most FC_MAX_HISTORY / 2 steps of FC_MAX_STEP). */
#define FC_MAX_SEASON ((int64_t)FC_MAX_HISTORY / 2 * FC_MAX_STEP)

/* Which forecaster a model uses. Values are stored in model blobs: never
 * renumber, only append. */
typedef enum fc_kind {
    FC_AUTO = 0,    /* all members, combined by recent out-of-sample error */
    FC_NAIVE = 1,   /* last observed value */
    FC_LMED = 2,    /* median of the last w points (w tuned) */
    FC_SNAIVE = 3,  /* seasonal naive: median of the same slot K seasons or weeks back (period, K tuned) */
    FC_HW = 4,      /* additive Holt-Winters, damped trend, season + hour-of-week seasons (constants tuned) */
    FC_FOURIER = 5, /* trend + season/weekly Fourier terms by RLS with forgetting (harmonics, forgetting tuned) */
    FC_KIND_COUNT
} fc_kind;

/* How FC_AUTO turns its members into one forecast (stored in blobs). */
typedef enum fc_combine {
    FC_COMBINE_WEIGHTED = 0, /* weights ∝ 1/error² per lead time, members over 2x the best dropped */
    FC_COMBINE_SELECT = 1,   /* the member with the lowest recent error per lead time */
} fc_combine;

typedef enum fc_state {
    FC_COLD = 0,
    FC_WARMING = 1,
    FC_READY = 2,
} fc_state;

typedef struct fc_params {
    int64_t step_s;      /* seconds between points, FC_MIN_STEP..FC_MAX_STEP */
    int64_t season_s;    /* the seasonal cycle, seconds, 0..FC_MAX_SEASON; default FC_SEASON_DAY.
                          * The season in steps (rounded) is the seasonal period of snaive,
                          * Holt-Winters and the Fourier terms; it must span at least 2
                          * steps and fit twice in the history, else AUG_EINVAL, except the
                          * default day, which is left out where it does not fit (steps
                          * over 16h or under 9s, a history under two days), as it was
                          * before the season was a parameter. A season shorter than a
                          * week that divides it (1d, 12h, 1h, 30m, ...; not 5h, 1w, 8d)
                          * adds the weekly period and the hour-of-week Holt-Winters
                          * season; other seasons stand alone. 0 = no seasonality: no seasonal
                          * period at all, snaive leaves the FC_AUTO pool (FC_SNAIVE alone
                          * is AUG_EINVAL), Holt-Winters is a damped Holt and the
                          * regression has no harmonics. */
    int32_t max_horizon; /* longest forecast asked of fc_model_predict, 1..FC_MAX_HORIZON steps */
    fc_kind kind;        /* FC_AUTO (default) or one member; until that member can forecast
                          * and has measured errors (at that lead or a shorter one), the
                          * naive forecast stands in */
    fc_combine combine;  /* for FC_AUTO */
    int32_t history;     /* steps kept for refits; 0 = default: max(14 days, 2016 steps),
                          * at most FC_MAX_HISTORY; at least 2*max_horizon and 64 */
    int32_t refit_every; /* observed points between scheduled refits; 0 = one day of steps
                          * (at least 24), whatever the season: a cost budget, see
                          * fc_cfg_derive; refits also happen at 32, 64, 128... points while warming */
} fc_params;

/* One forecast step. lo95 <= lo80 <= hi80 <= hi95 always holds. */
typedef struct fc_forecast {
    double mean; /* point forecast (a combination of member forecasts) */
    double lo80, hi80;
    double lo95, hi95;
} fc_forecast;

/* What the daemon publishes about a model (all fields written). */
typedef struct fc_status {
    fc_state state;
    int64_t points;            /* observed points fed since creation */
    int64_t last_ts;           /* timestamp of the last point (0 if none) */
    int64_t refits;            /* refits done since creation */
    bool refit_due;            /* the schedule asks for fc_model_refit now */
    uint32_t in_use;           /* bit (1u << kind) for each member with weight > 0 at lead 1 or at max_horizon */
    double weight_first[FC_KIND_COUNT]; /* member weights at lead 1 (index FC_AUTO unused, 0) */
    double weight_last[FC_KIND_COUNT];  /* member weights at max_horizon */
    double mae_first;          /* recent mean absolute error of the forecast at lead 1 (NaN if unknown) */
    double mae_last;           /* same at max_horizon (NaN if unknown) */
    char reason[384];          /* one human line, e.g. "ready: hw 0.61, snaive 0.39 at 1 step; ..." */
    char tuned[192];           /* the members' current hyper-parameters, e.g. "lmed w=6; snaive season K=1; ..." */
} fc_status;

/* Fills p with defaults for a step and horizon: FC_AUTO, weighted, a season
 * of one day (FC_SEASON_DAY), default history and refit schedule. */
void fc_params_default(fc_params *p, int64_t step_s, int32_t max_horizon);

/* Checks parameters exactly as fc_model_new does, without allocating (the
 * config loader uses it so `augurctl check config` refuses what the daemon
 * would).
 * @return AUG_OK; AUG_EINVAL for a parameter out of range (eb names it). */
aug_err fc_params_check(const fc_params *p, aug_errbuf *eb);

/* Creates an empty (cold) model.
 * @param[in]  p    parameters, copied
 * @param[out] out  the model; caller frees with fc_model_free. Untouched on error.
 * @param[out] eb   detail on error (may be NULL)
 * @return AUG_OK; AUG_EINVAL for a parameter out of range (eb names it);
 *         AUG_ENOMEM. */
aug_err fc_model_new(const fc_params *p, fc_model **out, aug_errbuf *eb);

/* Feeds one point. Slots skipped since the last point count as missing.
 * Cost is O(1) per slot (about 1.2 us for FC_AUTO with every member, 0.3-0.9
 * us for one member; docs/forecast.md), except that a gap of g slots costs g
 * slot updates (at most the history length). Never refits.
 * @param[in] ts_s  Unix seconds, 0 <= ts_s <= 2^40
 * @param[in] v     finite, |v| <= 1e100
 * @return AUG_OK; AUG_EINVAL if v is NaN/Inf/out of range, ts_s out of range
 *         or not in a slot after the last point's (the model is unchanged). */
aug_err fc_model_update(fc_model *m, int64_t ts_s, double v, aug_errbuf *eb);

/* Forecasts the next h slots after the last point fed, i.e. at
 * last_ts + k*step for k = 1..h.
 * @param[out] out  h entries, caller memory
 * @return AUG_OK; AUG_EINVAL if h < 1 or h > max_horizon, or no point was fed yet. */
aug_err fc_model_predict(const fc_model *m, int32_t h, fc_forecast *out);

/* Re-tunes every member's hyper-parameters on the kept history (by rolling
 * out-of-sample error), then rebuilds the members and the error statistics
 * by replaying the history. Meant to run off the update path when
 * fc_status.refit_due says so (a few ms to a few tens of ms; docs/forecast.md).
 * The model is unchanged on error.
 * @return AUG_OK; AUG_ENOMEM. */
aug_err fc_model_refit(fc_model *m);

/* True when the refit schedule asks for fc_model_refit (cheap). */
bool fc_model_refit_due(const fc_model *m);

/* Steps of history the model keeps (fc_params.history after defaults and
 * bounds): a refit tunes on at most this many of the latest points, so a
 * caller replaying stored history into a new model needs no more. */
int32_t fc_model_history(const fc_model *m);

/* Fills *out with the model's state, member weights, recent errors and a
 * human reason. Always AUG_OK for a valid model. */
aug_err fc_model_state(const fc_model *m, fc_status *out);

/* Bytes of heap the model holds (struct + its one block). */
size_t fc_model_bytes(const fc_model *m);

/* Size of the blob fc_model_encode writes for this model. */
size_t fc_model_blob_size(const fc_model *m);

/* Serializes the model into buf (format and version in blob.c). A decoded
 * model predicts bit-identically and continues identically.
 * @param[out] len  bytes written
 * @return AUG_OK; AUG_ETOOBIG if cap < fc_model_blob_size(m). */
aug_err fc_model_encode(const fc_model *m, uint8_t *buf, size_t cap, size_t *len);

/* Rebuilds a model from a blob. Never crashes on any input.
 * @param[in]  blob  bytes, borrowed for the call
 * @param[out] out   the model; caller frees with fc_model_free. Untouched on error.
 * @return AUG_OK; AUG_EVERSION (unknown version byte); AUG_EMALFORMED (not a
 *         model blob, truncated); AUG_ECORRUPT (checksum or an invariant
 *         fails); AUG_ENOMEM. eb says which field. */
aug_err fc_model_decode(aug_bytes blob, fc_model **out, aug_errbuf *eb);

/* Frees the model. NULL is a no-op. */
void fc_model_free(fc_model *m);

/* "cold", "warming", "ready". */
const char *fc_state_name(fc_state s);
/* "auto", "naive", "lmed", "snaive", "hw", "fourier"; "?" if out of range. */
const char *fc_kind_name(fc_kind k);
/* Parses a name of fc_kind_name. AUG_EINVAL if unknown. */
aug_err fc_kind_parse(const char *s, fc_kind *out);

#endif
