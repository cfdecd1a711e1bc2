/* simulate.h — replay a demand trace through three scaling policies and a
 * capacity model (the pure core of `augurctl simulate`).
 *
 * Policies:
 *   augur   the configured scaler: decide_evaluate on each step, with the
 *           forecast from a caller-supplied callback fed point by point
 *           (the real forecast engine in augurctl; a scripted one in tests);
 *   hpa     the reactive baseline: the Kubernetes HPA algorithm on the
 *           current value (desired = ceil(current × utilization / target),
 *           10% tolerance, pending replicas counted at 0% on scale-up,
 *           5-minute scale-down stabilization), same lead time and bounds;
 *   oracle  perfect foresight: requests, a lead time ahead, exactly the
 *           replicas the demand will need at the target utilization — the
 *           cost floor of this capacity model.
 *
 * Capacity model (docs/decide.md has the worked example):
 *   - Step k covers [ts[k], ts[k+1]) with demand[k]; its duration is
 *     min(ts[k+1] - ts[k], step_s), and step_s for the last step, so a gap
 *     in the trace counts as one step, not as hours of guessed demand.
 *   - At ts[k] every policy sees demand[k] and sets its requested replicas
 *     R[k]. Before the trace, R = the initial replicas, all ready.
 *   - A replica requested at t is ready at t + lead_time; scale-down is
 *     immediate and removes replicas that are not ready yet first. Hence the
 *     ready count at t is the minimum of R over [t - lead_time, t].
 *   - One replica serves capacity_per_replica demand units (queue mode:
 *     concurrency / service_time jobs per second). Step k is under capacity
 *     when demand[k] > ready[k] × capacity.
 *   - In queue mode augur is also given the backlog of its own fluid queue:
 *     backlog += (demand - ready × capacity) × duration, floored at 0.
 * Metrics per policy, over the steps with ts >= score_from_s: minutes under
 * capacity, replica-hours of requested replicas (booting ones are paid for),
 * scale actions (steps where R changed), peak shortfall (demand units).
 *
 * Pure: no I/O, no clock, no logging; heap only through aug_malloc, freed
 * before return. Threads: reentrant. Lifetimes: every pointer parameter is
 * borrowed for the duration of the call; the forecast path handed to the
 * forecaster and the input/output handed to the observer are borrowed for
 * the duration of that callback.
 */
#ifndef AUG_DECIDE_SIMULATE_H
#define AUG_DECIDE_SIMULATE_H

#include "decide/decide.h"

typedef enum decide_policy {
    DECIDE_POLICY_AUGUR = 0,
    DECIDE_POLICY_HPA = 1,
    DECIDE_POLICY_ORACLE = 2,
    DECIDE_POLICY__COUNT
} decide_policy;

/* "augur", "hpa", "oracle"; "?" if out of range. */
const char *decide_policy_name(decide_policy p);

/* Feeds one observation (ts_s, v) to a forecast model and returns its path
 * for the next h_steps steps. out->points and out->cap are set by the
 * simulator (a buffer of h_steps points, borrowed for the call); the
 * forecaster fills out->n (<= cap), origin_s, step_s, model and
 * recent_error. A non-AUG_OK return stops the simulation with that code. */
typedef aug_err (*decide_forecaster)(void *ctx, int64_t ts_s, double v, size_t h_steps, decide_forecast_path *out);

/* Called after each augur evaluation (e.g. to write decisions.jsonl lines). */
typedef void (*decide_sim_observer)(void *ctx, size_t step, const decide_input *in, const decide_output *out);

typedef struct decide_sim_params {
    decide_params scaler;        /* the augur scaler; its target, lead time, bounds and
                                    capacity also define the baseline and the oracle */
    int64_t step_s;              /* the trace's regular step, > 0 */
    size_t horizon_steps;        /* steps asked of the forecaster, in [1, 100000] */
    int32_t initial_replicas;    /* 0: ceil(demand[0] / (capacity × target)), clamped */
    double hpa_tolerance;        /* 0.1 */
    int64_t hpa_stabilization_s; /* 300 */
    int64_t score_from_s;        /* steps before this are simulated, not scored */
    decide_forecaster forecaster;
    void *forecaster_ctx;
    decide_sim_observer observer; /* may be NULL */
    void *observer_ctx;
} decide_sim_params;

/* Fills *sp with the scaler, step_s, horizon_steps = ceil((lead_time +
 * window + 1 h) / step_s), the HPA defaults above, initial 0, scoring from
 * the first step, and no callbacks (the caller sets forecaster). */
void decide_sim_params_init(decide_sim_params *sp, const decide_params *scaler, int64_t step_s);

/* Demand units one replica serves at 100%: capacity_per_replica in
 * utilization mode, concurrency / service_time_s in queue mode. */
double decide_sim_capacity(const decide_params *p);

typedef struct decide_sim_metrics {
    double minutes_under;   /* minutes with demand > ready capacity */
    double replica_hours;   /* sum of requested replicas × step duration */
    int64_t actions;        /* steps where the requested count changed */
    double peak_shortfall;  /* max(demand - ready capacity), demand units, >= 0 */
    int64_t steps_under;    /* scored steps under capacity */
    int64_t steps;          /* scored steps */
    int64_t fallback_steps; /* augur only: steps decided by the reactive rule */
    int64_t early_steps;    /* augur only: steps whose need came from an early start (DECIDE_LIMIT_EARLY) */
    int64_t floor_steps;    /* augur only: steps whose scale-down stopped at the floor (DECIDE_LIMIT_FLOOR) */
    double peak_backlog;    /* augur in queue mode: largest fluid backlog, else 0 */
} decide_sim_metrics;

/* One timeline row per trace step. */
typedef struct decide_sim_row {
    int64_t ts_s;
    double demand;
    int32_t requested[DECIDE_POLICY__COUNT];
    int32_t ready[DECIDE_POLICY__COUNT];
    /* The forecast band for this step as issued ceil(lead_time / step_s)
     * steps earlier (at least one): mean and the 80% interval (95% when the
     * scaler's margin is 95). NaN where no such forecast exists. */
    double fc_mean, fc_lo, fc_hi;
    decide_action action; /* augur's action at this step */
    bool fell_back;       /* augur used the reactive rule */
    int32_t floor;        /* augur's scale-down floor in force (decide_output.floor); -1: none */
} decide_sim_row;

typedef struct decide_sim_result {
    decide_sim_metrics policy[DECIDE_POLICY__COUNT];
    double capacity_per_replica; /* decide_sim_capacity(&sp->scaler) */
    int32_t initial_replicas;    /* as used */
} decide_sim_result;

/* Simulates the trace (ts_s[i], demand[i]), i < n.
 *
 * sp     [in]  parameters; sp->forecaster is required.
 * ts_s   [in]  n strictly increasing Unix timestamps.
 * demand [in]  n finite values >= 0.
 * rows   [out] NULL, or n rows to fill with the timeline.
 * out    [out] metrics per policy; written only on AUG_OK.
 * eb           details of an error (may be NULL).
 *
 * Returns AUG_OK; AUG_EINVAL for invalid parameters or trace (the step
 * index is in eb), or a utilization scaler without capacity_per_replica;
 * AUG_ENOMEM; or the first error of the forecaster or of decide_evaluate. */
aug_err decide_simulate(const decide_sim_params *sp, const int64_t *ts_s, const double *demand, size_t n,
                        decide_sim_row *rows, decide_sim_result *out, aug_errbuf *eb);

#endif
