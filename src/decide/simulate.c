/* simulate.c — the capacity model and the three policies of simulate.h.
 *
 * Design notes.
 *
 *  1. Requested history. For each policy, req[0] is the initial count and
 *     req[k+1] the count requested at step k, so "the request in force at
 *     time t" is req[idx(t) + 1] with idx(t) the last step with ts <= t
 *     (-1 before the trace).
 *  2. Ready count. With lead time L, ready at ts[j] after the decision of
 *     step m (m = j, or j - 1 for the count a policy sees before deciding)
 *     is min(req[lo .. m+1]) with lo = idx(ts[j] - L) + 1: every request in
 *     force during [ts[j] - L, ts[j]]. A replica survives a dip only if it
 *     existed throughout, which is exactly "ready after L, scale-down
 *     immediate, pending replicas removed first". lo only moves forward.
 *  3. Oracle. R[k] is in the range of ready[j] iff k <= j and
 *     ts[j] < ts[k+1] + L (ts[n] := ts[n-1] + step_s), so the cheapest R
 *     that keeps every ready[j] >= need[j] is
 *     R[k] = max(ceil(need[j]) : j >= k, ts[j] < ts[k+1] + L), clamped.
 *     Only the initial count (before the trace) can leave it short.
 *  4. HPA (hpa_replicas) follows GetResourceReplicas of the Kubernetes
 *     replica calculator with pending replicas as unready pods, then the
 *     scale-down stabilization of stabilizeRecommendationWithBehaviors
 *     (scale-up window 0), then [min, max]. It runs once per trace step;
 *     the default HPA rate policies (100% or 4 pods per 15 s) never bind
 *     over a step of a minute or more, so they are not modelled.
 *  5. Each policy works on its own history; the only coupling is the
 *     demand. A failure anywhere frees everything in one place and leaves
 *     *out untouched.
 */
#include "util/common.h"
#include "decide/simulate.h"
#include "util/mem.h"

#define DUR_LIMIT INT64_C(100000000)
#define HORIZON_MAX ((size_t)100000)

const char *decide_policy_name(decide_policy p)
{
    static const char *const names[DECIDE_POLICY__COUNT] = {
        [DECIDE_POLICY_AUGUR] = "augur",
        [DECIDE_POLICY_HPA] = "hpa",
        [DECIDE_POLICY_ORACLE] = "oracle",
    };
    if ((int)p < 0 || p >= DECIDE_POLICY__COUNT)
        return "?";
    return names[p];
}

void decide_sim_params_init(decide_sim_params *sp, const decide_params *scaler, int64_t step_s)
{
    int64_t look = scaler->lead_time_s + scaler->window_s + 3600;
    *sp = (decide_sim_params){
        .scaler = *scaler,
        .step_s = step_s,
        .horizon_steps = step_s > 0 ? (size_t)((look + step_s - 1) / step_s) : 1,
        .initial_replicas = 0,
        .hpa_tolerance = 0.1,
        .hpa_stabilization_s = 300,
        .score_from_s = INT64_MIN,
    };
}

double decide_sim_capacity(const decide_params *p)
{
    if (p->mode == DECIDE_MODE_QUEUE)
        return p->service_time_s > 0 ? p->concurrency / p->service_time_s : 0;
    return p->capacity_per_replica;
}


static int32_t min_range(const int32_t *req, size_t lo, size_t hi)
{
    int32_t m = req[hi];
    for (size_t i = lo; i < hi; i++)
        m = AUG_MIN(m, req[i]);
    return m;
}

/* The HPA replica calculator (note 4) before stabilization: `need` is
 * demand / (capacity × target), R the requested and `ready` the ready count. */
static int32_t hpa_replicas(double need, int32_t R, int32_t ready, double tol)
{
    if (ready <= 0)
        return R > 0 ? R : decide_ceil_replicas(need); /* no metrics from ready pods: no change */
    double ratio = need / (double)ready;
    bool unready = R > ready;
    if (!(unready && ratio > 1.0)) {
        if (fabs(1.0 - ratio) <= tol)
            return R;
        return decide_ceil_replicas(ratio * (double)ready);
    }
    /* Scale-up with pending replicas: count them at 0% usage. */
    double nratio = need / (double)R;
    if (fabs(1.0 - nratio) <= tol || nratio < 1.0)
        return R;
    int32_t r = decide_ceil_replicas(nratio * (double)R);
    return r < R ? R : r;
}

static aug_err check_sim(const decide_sim_params *sp, const int64_t *ts, const double *d, size_t n,
                         decide_sim_result *out, aug_errbuf *eb)
{
    if (sp == NULL || out == NULL || ts == NULL || d == NULL)
        return aug_errf(eb, AUG_EINVAL, "simulate: missing argument");
    aug_err err = decide_params_check(&sp->scaler, eb);
    if (err != AUG_OK)
        return err;
    if (!(decide_sim_capacity(&sp->scaler) > 0) || !isfinite(decide_sim_capacity(&sp->scaler)))
        return aug_errf(eb, AUG_EINVAL, "simulate: the scaler needs capacity_per_replica > 0");
    if (sp->step_s <= 0 || sp->step_s > DUR_LIMIT)
        return aug_errf(eb, AUG_EINVAL, "simulate: step %" PRId64 " s out of range", sp->step_s);
    if (sp->horizon_steps < 1 || sp->horizon_steps > HORIZON_MAX)
        return aug_errf(eb, AUG_EINVAL, "simulate: horizon of %zu steps not in [1, %zu]", sp->horizon_steps,
                        HORIZON_MAX);
    if (sp->initial_replicas < 0)
        return aug_errf(eb, AUG_EINVAL, "simulate: initial replicas %d < 0", (int)sp->initial_replicas);
    if (!(sp->hpa_tolerance >= 0 && sp->hpa_tolerance < 1))
        return aug_errf(eb, AUG_EINVAL, "simulate: hpa tolerance %g not in [0, 1)", sp->hpa_tolerance);
    if (sp->hpa_stabilization_s < 0 || sp->hpa_stabilization_s > DUR_LIMIT)
        return aug_errf(eb, AUG_EINVAL, "simulate: hpa stabilization %" PRId64 " s out of range",
                        sp->hpa_stabilization_s);
    if (sp->forecaster == NULL)
        return aug_errf(eb, AUG_EINVAL, "simulate: no forecaster");
    if (n == 0)
        return aug_errf(eb, AUG_EINVAL, "simulate: empty trace");
    for (size_t i = 0; i < n; i++) {
        if (ts[i] < -DECIDE_TS_LIMIT || ts[i] > DECIDE_TS_LIMIT || (i > 0 && ts[i] <= ts[i - 1]))
            return aug_errf(eb, AUG_EINVAL, "simulate: step %zu: timestamp %" PRId64 " not after the previous one",
                            i, ts[i]);
        if (!(d[i] >= 0 && isfinite(d[i])))
            return aug_errf(eb, AUG_EINVAL, "simulate: step %zu: demand %g not finite and >= 0", i, d[i]);
    }
    return AUG_OK;
}

/* Stores the forecast issued now for ts[k] + h × step_s into the row of that
 * timestamp (the band of the timeline). */
static void store_band(const decide_sim_params *sp, const int64_t *ts, size_t n, size_t k,
                       const decide_forecast_path *fc, decide_sim_row *rows)
{
    int64_t L = sp->scaler.lead_time_s;
    int64_t h = AUG_MAX(INT64_C(1), (L + sp->step_s - 1) / sp->step_s);
    int64_t target = ts[k] + h * sp->step_s;
    if (fc->n == 0 || fc->step_s <= 0 || (target - fc->origin_s) % fc->step_s != 0)
        return;
    int64_t i = (target - fc->origin_s) / fc->step_s - 1;
    if (i < 0 || (size_t)i >= fc->n)
        return;
    size_t j = k + 1;
    while (j < n && ts[j] < target)
        j++;
    if (j >= n || ts[j] != target)
        return;
    const decide_point *pt = &fc->points[i];
    bool wide = sp->scaler.margin == DECIDE_MARGIN_95;
    rows[j].fc_mean = pt->mean;
    rows[j].fc_lo = wide ? pt->lo95 : pt->lo80;
    rows[j].fc_hi = wide ? pt->hi95 : pt->hi80;
}

aug_err decide_simulate(const decide_sim_params *sp, const int64_t *ts, const double *d, size_t n,
                        decide_sim_row *rows, decide_sim_result *out, aug_errbuf *eb)
{
    aug_err err = check_sim(sp, ts, d, n, out, eb);
    if (err != AUG_OK)
        return err;

    const decide_params *p = &sp->scaler;
    const int64_t L = p->lead_time_s;
    const double cap = decide_sim_capacity(p), unit = cap * p->target;
    int32_t *req[DECIDE_POLICY__COUNT] = {0};
    int32_t *hpa_rec = NULL;
    decide_point *points = NULL;
    decide_sim_result res = {.capacity_per_replica = cap};

    for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++) {
        req[pol] = aug_calloc(n + 1, sizeof(int32_t));
        if (req[pol] == NULL)
            goto nomem;
    }
    hpa_rec = aug_calloc(n, sizeof(int32_t));
    points = aug_calloc(sp->horizon_steps, sizeof(decide_point));
    if (hpa_rec == NULL || points == NULL)
        goto nomem;

    int32_t init = sp->initial_replicas > 0 ? sp->initial_replicas : decide_ceil_replicas(d[0] / unit);
    init = decide_clamp_replicas(init, p->min_replicas, p->max_replicas);
    res.initial_replicas = init;
    for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++)
        req[pol][0] = init;

    /* Oracle (note 3). */
    for (size_t k = 0; k < n; k++) {
        int64_t end = (k + 1 < n ? ts[k + 1] : ts[k] + sp->step_s) + L;
        int32_t mx = 0;
        for (size_t j = k; j < n && ts[j] < end; j++)
            mx = AUG_MAX(mx, decide_ceil_replicas(d[j] / unit));
        req[DECIDE_POLICY_ORACLE][k + 1] = decide_clamp_replicas(mx, p->min_replicas, p->max_replicas);
    }

    if (rows != NULL) {
        for (size_t k = 0; k < n; k++)
            rows[k] = (decide_sim_row){
                .ts_s = ts[k], .demand = d[k], .fc_mean = (double)NAN, .fc_lo = (double)NAN, .fc_hi = (double)NAN,
                .floor = -1};
    }

    decide_state st;
    decide_state_init(&st, p);
    double backlog = 0;
    size_t lo = 0; /* idx(ts[k] - L) + 1, note 2 */
    for (size_t k = 0; k < n; k++) {
        while (lo < n && ts[lo] <= ts[k] - L)
            lo++;
        int32_t *rh = req[DECIDE_POLICY_HPA], *ra = req[DECIDE_POLICY_AUGUR];

        /* HPA on the current value. */
        int32_t ready_pre = min_range(rh, AUG_MIN(lo, k), k);
        int32_t rec = hpa_replicas(d[k] / unit, rh[k], ready_pre, sp->hpa_tolerance);
        hpa_rec[k] = rec;
        int32_t r = rec;
        if (rec <= rh[k]) {
            int32_t down = rec;
            for (size_t j = k; j-- > 0 && ts[j] > ts[k] - sp->hpa_stabilization_s;)
                down = AUG_MAX(down, hpa_rec[j]);
            r = AUG_MIN(rh[k], down);
        }
        rh[k + 1] = decide_clamp_replicas(r, p->min_replicas, p->max_replicas);

        /* augur: forecast fed point by point, then the decision engine. */
        decide_forecast_path fc = {.points = points, .cap = sp->horizon_steps, .recent_error = (double)NAN};
        err = sp->forecaster(sp->forecaster_ctx, ts[k], d[k], sp->horizon_steps, &fc);
        if (err != AUG_OK) {
            if (eb != NULL && eb->msg[0] == '\0')
                aug_errf(eb, err, "simulate: step %zu: forecaster failed: %s", k, aug_strerror(err));
            goto fail;
        }
        fc.points = points;
        fc.cap = sp->horizon_steps;
        decide_input in = {
            .now_s = ts[k],
            .current_replicas = ra[k],
            .observed = d[k],
            .fc = &fc,
            .queue_length = p->mode == DECIDE_MODE_QUEUE ? backlog : 0,
        };
        decide_output dout;
        err = decide_evaluate(p, &st, &in, &dout, eb);
        if (err != AUG_OK)
            goto fail;
        ra[k + 1] = dout.desired;
        if (sp->observer != NULL)
            sp->observer(sp->observer_ctx, k, &in, &dout);
        if (rows != NULL) {
            rows[k].action = dout.action;
            rows[k].fell_back = dout.fell_back;
            rows[k].floor = dout.floor;
            store_band(sp, ts, n, k, &fc, rows);
        }

        /* Ready counts after the decisions, metrics, backlog. */
        int64_t dt = k + 1 < n ? AUG_MIN(ts[k + 1] - ts[k], sp->step_s) : sp->step_s;
        bool scored = ts[k] >= sp->score_from_s;
        for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++) {
            int32_t ready = min_range(req[pol], lo, k + 1);
            int32_t R = req[pol][k + 1];
            decide_sim_metrics *m = &res.policy[pol];
            if (rows != NULL) {
                rows[k].requested[pol] = R;
                rows[k].ready[pol] = ready;
            }
            double have = (double)ready * cap;
            if (pol == DECIDE_POLICY_AUGUR && p->mode == DECIDE_MODE_QUEUE) {
                backlog = AUG_MAX(0.0, backlog + (d[k] - have) * (double)dt);
                if (scored)
                    m->peak_backlog = AUG_MAX(m->peak_backlog, backlog);
            }
            if (!scored)
                continue;
            m->steps++;
            m->replica_hours += (double)R * (double)dt / 3600.0;
            if (R != req[pol][k])
                m->actions++;
            if (d[k] > have) {
                m->steps_under++;
                m->minutes_under += (double)dt / 60.0;
                m->peak_shortfall = AUG_MAX(m->peak_shortfall, d[k] - have);
            }
            if (pol == DECIDE_POLICY_AUGUR && dout.fell_back)
                m->fallback_steps++;
            if (pol == DECIDE_POLICY_AUGUR && (dout.limits & DECIDE_LIMIT_EARLY))
                m->early_steps++;
            if (pol == DECIDE_POLICY_AUGUR && (dout.limits & DECIDE_LIMIT_FLOOR))
                m->floor_steps++;
        }
    }
    *out = res;
    err = AUG_OK;
    goto done;

nomem:
    err = aug_errf(eb, AUG_ENOMEM, "simulate: out of memory for %zu steps", n);
fail:
done:
    for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++)
        aug_free(req[pol]);
    aug_free(hpa_rec);
    aug_free(points);
    return err;
}
