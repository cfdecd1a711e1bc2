/* decide.h — the scaling decision engine (src/decide/).
 *
 * Purpose: turn a forecast path, the observed load and the current replica
 * count of one workload into a desired replica count, an action
 * (scale_up_now, scale_up_prepared, scale_down, hold) and a reason a human can
 * audit, with the usual brakes: clamping to [min, max], separate token buckets
 * for scale-up and scale-down, a scale-down stabilization window (the highest
 * recommendation in the window wins, as in the Kubernetes HPA), a cooldown
 * between actions, and confidence gating (a cold or inaccurate model falls
 * back to a reactive rule and says so). A rate-limited scale-up starts early
 * when the forecast shows a need it could not otherwise reach in time. docs/decide.md gives the formulas and
 * the reason formats with worked examples.
 *
 * Pure: no I/O, no clock (time is the now_s parameter, Unix seconds), no
 * logging, no globals, no heap. The daemon, `augurctl simulate` and the tests
 * run exactly this code.
 *
 * Threads: every function is reentrant. A decide_state belongs to one scaler
 * and is used by one thread at a time.
 *
 * Lifetimes: decide_params, decide_input and everything they point to are
 * borrowed for the duration of a call. decide_state and decide_output are
 * caller-owned values with no pointers inside, so they can be embedded,
 * copied and serialized (decide_state_encode) without allocation.
 *
 * Why decide_state and decide_output are visible structs although
 * CONVENTIONS 3 prefers opaque types: the caller keeps one state per scaler
 * for the life of the process and persists it next to the model blobs; a
 * fixed-size value type needs no allocator and no failure path. Its fields
 * are private: only decide_* functions read or write them.
 */
#ifndef AUG_DECIDE_DECIDE_H
#define AUG_DECIDE_DECIDE_H

#include "util/common.h"
#include "util/err.h"

/* ------------------------------------------------------------------------
 * Parameters of one scaler (independent of the config module, which fills
 * them in).
 * ------------------------------------------------------------------------ */

typedef enum decide_mode {
    DECIDE_MODE_UTILIZATION = 0, /* forecast of a load vs a per-replica target */
    DECIDE_MODE_QUEUE = 1,       /* Little's law: arrivals + backlog drain */
} decide_mode;

/* Which forecast value stands for "the load" when deciding. */
typedef enum decide_margin {
    DECIDE_MARGIN_NONE = 0, /* the mean */
    DECIDE_MARGIN_80 = 1,   /* the upper bound of the 80% interval */
    DECIDE_MARGIN_95 = 2,   /* the upper bound of the 95% interval */
} decide_margin;

/* A token bucket: `capacity` tokens at most, refilled continuously at
 * `per_minute` tokens per minute; one token per replica added (scale-up
 * bucket) or removed (scale-down bucket). capacity == 0 disables the bucket
 * (no rate limit); otherwise capacity must be >= 1. */
typedef struct decide_bucket {
    double capacity;
    double per_minute;
} decide_bucket;

typedef struct decide_params {
    decide_mode mode;
    /* Target utilization of a replica, in (0, 1]. Utilization mode: the load
     * one replica should carry is target × capacity_per_replica. Queue mode:
     * the arrivals term is divided by it (1 = the bare Little's-law count). */
    double target;
    int64_t lead_time_s;  /* >= 0: a replica requested now is useful after this */
    int64_t window_s;     /* >= 0: the decision covers [now+lead, now+lead+window] */
    decide_margin margin; /* which forecast bound to provision for */
    int32_t min_replicas; /* >= 0 (>= 1 when capacity_per_replica == 0) */
    int32_t max_replicas; /* >= max(1, min_replicas) */
    decide_bucket up;     /* scale-up rate limit */
    decide_bucket down;   /* scale-down rate limit */
    int64_t stabilization_s; /* >= 0: scale-down stabilization window */
    int64_t cooldown_s;      /* >= 0: minimum time between two actions */
    /* Confidence gating: a recent forecast error (a fraction, 0.25 = 25%)
     * above max_error makes the scaler fall back to the reactive rule.
     * 0 disables error gating; a cold model always falls back. */
    double max_error;
    /* Sensitivities, in [0, 1): no scale-up while need <= current ×
     * (1 + tolerance_up), no scale-down while need >= current × (1 -
     * tolerance_down). The Kubernetes HPA uses 0.1 for both. */
    double tolerance_up;
    double tolerance_down;
    /* Scale-down floor: a scale-down stops at the replicas that the
     * floor_quantile-quantile hour of the last floor_window_s needed at least
     * (each hour's lowest need of the observed load, see decide_state). It
     * never scales up by itself. 0 = off; else in (0, 1], and floor_window_s in
     * [3600, DECIDE_FLOOR_HOURS × 3600] (whole hours count). The observed
     * load must be in replicas' terms: capacity_per_replica > 0, queue mode,
     * or a utilization fraction (then the need is current × load / target). */
    double floor_quantile;
    int64_t floor_window_s;
    /* Utilization mode: load units one replica serves at 100% (e.g. 250
     * req/s). 0 means the load is itself a utilization fraction averaged over
     * the current replicas (e.g. CPU 0.84), so need = current × load / target. */
    double capacity_per_replica;
    /* Queue mode (all > 0): mean service time of one job, the wait the
     * backlog should drain within, and jobs one replica serves at once. */
    double service_time_s;
    double target_latency_s;
    double concurrency;
} decide_params;

/* Fills *p with the documented defaults for `mode` (docs/decide.md):
 * target 0.7, lead 10 min, window 5 min, margin 80, replicas [1, 100],
 * scale-up bucket {4, 4/min}, scale-down bucket {1, 1/min}, stabilization
 * 5 min, cooldown 0, max_error 0.5, tolerances 0.1; capacity_per_replica 0;
 * service time 50 ms, target latency 500 ms, concurrency 1. */
void decide_params_init(decide_params *p, decide_mode mode);

/* Checks every field of *p against the ranges above.
 * Returns AUG_OK, or AUG_EINVAL with the field name and value in eb (eb may
 * be NULL). */
aug_err decide_params_check(const decide_params *p, aug_errbuf *eb);

/* ------------------------------------------------------------------------
 * Inputs: a forecast path and what is observed now.
 * ------------------------------------------------------------------------ */

typedef enum decide_model_state {
    DECIDE_MODEL_COLD = 0,    /* not enough history: the forecast is not used */
    DECIDE_MODEL_WARMING = 1, /* usable, said so in the reason */
    DECIDE_MODEL_READY = 2,
} decide_model_state;

/* One forecast step: mean and the 80% / 95% interval bounds. */
typedef struct decide_point {
    double mean;
    double lo80, hi80;
    double lo95, hi95;
} decide_point;

/* A forecast path: points[i] is the forecast for origin_s + (i+1) × step_s.
 * The buffer belongs to whoever filled the path (borrowed by readers); `cap`
 * is its capacity in points, `n` how many are filled. */
typedef struct decide_forecast_path {
    int64_t origin_s;          /* time of the last observation the model saw */
    int64_t step_s;            /* > 0 when n > 0; also the evaluation cadence an
                                * early start assumes (one evaluation per step) */
    decide_model_state model;
    double recent_error;       /* rolling error as a fraction (forecast/accuracy.h); NaN = unknown */
    size_t n;
    size_t cap;
    decide_point *points;      /* borrowed; NULL only when n == 0 */
} decide_forecast_path;

typedef struct decide_input {
    int64_t now_s;             /* evaluation time, Unix seconds */
    int32_t current_replicas;  /* >= 0: requested replicas now (spec.replicas) */
    /* Observed load now, in the forecast's units (utilization: the load;
     * queue: the arrival rate per second). NaN = unknown; else finite >= 0. */
    double observed;
    const decide_forecast_path *fc; /* borrowed; NULL = no forecast */
    /* Queue mode only. */
    double queue_length;       /* jobs waiting now, finite >= 0 */
    double service_time_s;     /* observed mean service time; 0 = use the configured one */
} decide_input;

/* ------------------------------------------------------------------------
 * State kept by the caller per scaler across evaluations.
 * ------------------------------------------------------------------------ */

/* Bound on the stabilization history. The history is a monotonic deque that
 * keeps only recommendations higher than every later one, so 64 entries hold
 * the exact window maximum unless the recommendation falls through more
 * than 64 distinct values inside one window; past that the newest entry
 * absorbs the new one and keeps its higher value (scale-down is delayed, never
 * hastened). */
#define DECIDE_HISTORY_MAX 64

#define DECIDE_NEVER INT64_MIN

/* Hours of need means the scale-down floor can look back on (14 days). */
#define DECIDE_FLOOR_HOURS 336

/* Times (now_s, forecast origins, saved state times) lie in
 * [-DECIDE_TS_LIMIT, DECIDE_TS_LIMIT] (about ±year 5138), so that sums of a
 * time and a duration cannot overflow int64. */
#define DECIDE_TS_LIMIT INT64_C(100000000000)

typedef struct decide_state {
    int64_t last_eval_s;   /* DECIDE_NEVER before the first evaluation */
    int64_t last_action_s; /* DECIDE_NEVER before the first action */
    double tokens_up;
    double tokens_down;
    uint32_t hist_head;    /* index of the oldest entry */
    uint32_t hist_len;
    int64_t hist_ts[DECIDE_HISTORY_MAX];
    int32_t hist_rec[DECIDE_HISTORY_MAX];
    /* Scale-down floor (kept only when floor_quantile > 0): the lowest need
     * of the observed load (need_of without backlog) per UTC hour, the base
     * load a burst does not inflate. floor_hour is the hour (t / 3600, rounded
     * down) being watched, DECIDE_NEVER before the first; floor_low its lowest
     * need so far (NaN: none); floor_lows[i] that of hour floor_hour - 1 - i
     * (NaN for an hour without an observed load). */
    int64_t floor_hour;
    double floor_low;
    float floor_lows[DECIDE_FLOOR_HOURS];
} decide_state;

/* The UTC hour t falls in (t / 3600 rounded towards minus infinity), as
 * decide_state.floor_hour counts it; the saved-state decoder checks against
 * it. t within [-DECIDE_TS_LIMIT, DECIDE_TS_LIMIT]. */
int64_t decide_floor_hour(int64_t t);

/* Starts a scaler's state: no history, no action yet, both buckets full. */
void decide_state_init(decide_state *st, const decide_params *p);

/* Invariant check for AUG_DEBUG_ASSERT: history timestamps non-decreasing and
 * recommendations strictly decreasing front to back, counts in range, tokens
 * finite and >= 0; floor lows NaN or finite and >= 0 (floor_low NaN while
 * floor_hour is DECIDE_NEVER). */
bool decide_state_check(const decide_state *st);

/* ---- the saved state (byte format at the top of src/decide/state.c) ----
 * So a restarted daemon keeps its cooldown, stabilization history and spent
 * tokens, and the desired count of its last decision (which a scaler
 * without a replicas selector takes as its current count). The caller
 * stores the bytes (the daemon: the store's blob table) together with a
 * fingerprint of whatever the state belongs to (the daemon: its scaler's
 * definition), so a state is never applied to other parameters. The last
 * desired count is the caller's (decide_output.desired of its last
 * successful decide_evaluate, -1 for none): the engine neither reads nor
 * keeps it, the record only carries it next to the state. */

/* Bytes decide_state_encode writes at most (68 + 12 × DECIDE_HISTORY_MAX + 4
 * × DECIDE_FLOOR_HOURS). */
#define DECIDE_STATE_BLOB_MAX (68 + 12 * DECIDE_HISTORY_MAX + 4 * DECIDE_FLOOR_HOURS)

/* Encodes *st, last_desired and the caller's fingerprint fp into buf (the
 * current version, 3).
 * st           [in]   a state that passes decide_state_check.
 * last_desired [in]   the desired count of the last decision; -1: none (only
 *                     -1 while st was never evaluated).
 * buf          [out]  cap bytes; *len receives the bytes written
 *                     (<= DECIDE_STATE_BLOB_MAX).
 * Returns AUG_OK; AUG_EINVAL for a state failing decide_state_check or a
 * last_desired below -1 or set before any evaluation; AUG_ETOOBIG when cap
 * is short (nothing useful is written). */
aug_err decide_state_encode(const decide_state *st, int32_t last_desired, uint64_t fp, uint8_t *buf, size_t cap,
                            size_t *len);

/* Decodes a saved state (version 3; version 2, which has no floor hours, and
 * version 1, which has no last desired count either) for parameters p
 * (checked: decide_params_check).
 * in           [in]   the bytes; nothing is read outside them, nothing is
 *                     allocated.
 * fp           [in]   the fingerprint the caller expects.
 * out          [out]  written only on AUG_OK; its history starts at index 0.
 * last_desired [out]  on AUG_OK: -1 (none; always for version 1) or a count
 *                     within [min_replicas, max_replicas]. On AUG_ENOTFOUND
 *                     (an intact record of another definition): its count,
 *                     >= -1 but NOT checked against p (the replicas running
 *                     do not depend on the definition; the caller clamps).
 *                     Otherwise -1.
 * eb                  the detail on error (may be NULL).
 * Returns AUG_OK; AUG_EVERSION for an unknown version byte; AUG_ENOTFOUND
 * when the record was saved under another fingerprint (no state exists for
 * these parameters: start afresh); AUG_ECORRUPT for anything else wrong
 * (length, checksum, a time out of range or after the last evaluation,
 * tokens outside [0, capacity], a recommendation or last desired count
 * outside [min_replicas, max_replicas], a last desired count without an
 * evaluation, a history failing decide_state_check, a floor hour after the
 * last evaluation or a floor low negative or infinite); AUG_EINVAL for invalid
 * p or a NULL last_desired. */
aug_err decide_state_decode(aug_bytes in, uint64_t fp, const decide_params *p, decide_state *out,
                            int32_t *last_desired, aug_errbuf *eb);

/* ------------------------------------------------------------------------
 * Output.
 * ------------------------------------------------------------------------ */

typedef enum decide_action {
    DECIDE_HOLD = 0,
    DECIDE_SCALE_UP_NOW = 1,      /* desired > current */
    DECIDE_SCALE_UP_PREPARED = 2, /* desired == current; the mean crosses later */
    DECIDE_SCALE_DOWN = 3,        /* desired < current */
    DECIDE_ACTION__COUNT
} decide_action;

/* The action's label value for ai_scaling_decision{action=…}: "hold",
 * "scale_up_now", "scale_up_prepared", "scale_down"; "?" if out of range. */
const char *decide_action_name(decide_action a);

/* Which rules changed the outcome (bit set in decide_output.limits). */
enum {
    DECIDE_LIMIT_TOLERANCE = 1u << 0, /* a change within the tolerance was ignored */
    DECIDE_LIMIT_MIN = 1u << 1,       /* raised to min_replicas */
    DECIDE_LIMIT_MAX = 1u << 2,       /* lowered to max_replicas */
    DECIDE_LIMIT_STABILIZED = 1u << 3,/* scale-down held by the stabilization window */
    DECIDE_LIMIT_COOLDOWN = 1u << 4,  /* change refused: cooldown */
    DECIDE_LIMIT_BUCKET_UP = 1u << 5, /* scale-up cut by its token bucket */
    DECIDE_LIMIT_BUCKET_DOWN = 1u << 6,/* scale-down cut by its token bucket */
    /* the need comes from a later forecast point that the scale-up bucket
     * could not reach in time if started later (early start) */
    DECIDE_LIMIT_EARLY = 1u << 7,
    DECIDE_LIMIT_FLOOR = 1u << 8,     /* scale-down stopped at the floor */
};

#define DECIDE_REASON_MAX 512

typedef struct decide_output {
    int32_t desired;        /* replicas to run now */
    decide_action action;
    bool fell_back;         /* the reactive rule decided, not the forecast */
    uint32_t limits;        /* DECIDE_LIMIT_* bits */
    double need;            /* replicas the rule asked for, before rounding */
    int32_t recommended;    /* ceil(need) after tolerance and clamping (stored in the history) */
    int32_t floor;          /* the scale-down floor in force (clamped to [min, max]); -1: none */
    /* Highest decision-bound forecast over the path (load units); the
     * observed load when the forecast was not used; NaN if neither. */
    double predicted_peak;
    char reason[DECIDE_REASON_MAX]; /* NUL-terminated, plain words with the numbers */
} decide_output;

/* Evaluates one scaler at in->now_s.
 *
 * p   [in]      parameters; checked with decide_params_check.
 * st  [in,out]  the scaler's state; updated only when AUG_OK is returned
 *               (the decision is assumed to be applied: tokens are spent and
 *               the cooldown starts when desired != current).
 * in  [in]      observations and the forecast path (see decide_input).
 * out [out]     the decision; written only when AUG_OK is returned.
 *
 * A now_s earlier than the previous evaluation (a clock step) refills no
 * tokens and keeps the history and cooldown as they are.
 *
 * Returns AUG_OK; AUG_EINVAL for invalid params or input (negative replica
 * count, negative or infinite load, a path with n > 0 and no points or a
 * step <= 0, n > cap), with the reason in eb (may be NULL). Unusable but
 * well-formed forecasts (cold model, high error, non-finite values, horizon
 * shorter than the lead time) are not errors: the reactive rule decides and
 * the output says why. */
aug_err decide_evaluate(const decide_params *p, decide_state *st, const decide_input *in, decide_output *out,
                        aug_errbuf *eb);

/* Which of a forecast's horizons (lengths in seconds, ascending, n >= 1)
 * gates a scaler with this lead time: the index of the first at or beyond
 * the lead time, else the longest. Its rolling error (forecast/accuracy.h)
 * is decide_forecast_path.recent_error, in the daemon and in `augurctl
 * simulate` alike. */
size_t decide_gate_horizon(const int64_t *horizon_s, size_t n, int64_t lead_time_s);

/* ceil() that ignores floating-point noise just above an integer, so that
 * 0.7 × 10 / 0.7 asks for 10 replicas, not 11. NaN and values <= 0 give 0;
 * huge values saturate at INT32_MAX. Shared by the rules and the simulator. */
int32_t decide_ceil_replicas(double x);

/* v clamped to [lo, hi]. */
int32_t decide_clamp_replicas(int32_t v, int32_t lo, int32_t hi);

#endif
