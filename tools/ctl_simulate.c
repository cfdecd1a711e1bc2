/* ctl_simulate.c — `augurctl simulate`: replays a demand trace through the
 * configured scaler (driven by the real forecast engine), a Kubernetes-HPA
 * baseline and a perfect-foresight oracle over one capacity model, and
 * reports minutes under capacity, replica-hours, scale actions and peak
 * shortfall per policy (docs/simulate.md).
 *
 * Design notes.
 *
 *  1. Everything that decides is in the core library: cfg_load_file and
 *     cfg_scaler_decide_params (config/scaler.h) turn the YAML into
 *     decide_params exactly as the daemon will; decide_simulate
 *     (decide/simulate.h) owns the capacity model and the three policies;
 *     fc_model (forecast/forecast.h) forecasts. This file reads the trace,
 *     adapts the forecast engine to the simulator's forecaster callback and
 *     writes the outputs (table, JSON lines, timeline CSV, SVG).
 *  2. The adapter (feed_*) feeds each point to one fc_model built from the
 *     scaler's forecast by cfg_forecast_fc_params (config/forecast.h), the
 *     daemon's mapping (model, season), at the trace's step and the
 *     simulator's horizon, so the replay models what the daemon would,
 *     fed exactly as `augurctl forecast` and the daemon do
 *     (update, then refit when the schedule says so), and returns
 *     the next `horizon` steps. A point whose slot is not after the model's
 *     last one (an irregular timestamp) is not fed; the scaler still sees it
 *     as the observed load. The model state maps cold → cold, warming →
 *     warming, ready → ready.
 *  3. recent_error, the confidence gate's input, is what the daemon would
 *     compute: the rolling error of forecast/accuracy.h (the weighted absolute
 *     percentage error of the last 64 forecasts) at the horizon the daemon
 *     gates on, decide_gate_horizon() over the scaler's forecast's horizons
 *     (the first at or beyond the lead time), in trace steps rounded up.
 *     Unknown (NaN: the gate stays open) until one forecast is matched.
 *  4. Capacity per replica. A utilization scaler in the config has none (its
 *     forecast is a per-replica utilization), so for a trace of demand units
 *     the tool takes --capacity, or derives one: the median of the non-zero
 *     demand needs 5 replicas at the target (capacity = median / (5 ×
 *     target)); 1 if the trace is all zero. Queue scalers have one
 *     (concurrency / service time); --capacity overrides it.
 *  5. Points whose timestamp is not after the previous one are dropped and
 *     counted on stderr (the NAB disk trace repeats 03:00:00 over a DST
 *     change); a negative or non-finite demand is an error naming its line.
 */
#include "util/common.h"

#include "augurctl.h"
#include "config/config.h"
#include "config/forecast.h"
#include "config/scaler.h"
#include "ctl_csv.h"
#include "decide/simulate.h"
#include "forecast/accuracy.h"
#include "forecast/forecast.h"
#include "util/json.h"
#include "util/mem.h"

static const char usage_text[] =
    "usage: augurctl simulate --trace F.csv --config FILE [--scaler NAME]\n"
    "                         [--format table|json] [--timeline out.csv] [--plot out.svg]\n"
    "                         [--capacity N] [--step S] [--warmup DUR]\n"
    "                         [--plot-from T] [--plot-to T] [--forecast engine|perfect]\n"
    "\n"
    "Replays a demand trace through a capacity model for three policies and reports,\n"
    "per policy, minutes under capacity, replica-hours, scale actions and peak\n"
    "shortfall:\n"
    "  augur   the configured scaler (decide engine), fed by augur's forecast engine\n"
    "          point by point, forecasting lead_time + window + 1h ahead\n"
    "  hpa     the Kubernetes HPA algorithm on the current value: ceil(current x\n"
    "          utilization / target), 10% tolerance, 5 min scale-down stabilization\n"
    "  oracle  perfect foresight: requests, a lead time ahead, exactly what the\n"
    "          demand will need at the target (the cost floor)\n"
    "Capacity model: a replica serves capacity_per_replica demand units; a new one\n"
    "is ready lead_time after it is requested; scale-down is immediate. A step is\n"
    "under capacity when demand > ready replicas x capacity_per_replica.\n"
    "\n"
    "  --trace F.csv      `timestamp,value` after one header line; timestamps in Unix\n"
    "                     seconds or YYYY-MM-DD HH:MM:SS (UTC); values >= 0\n"
    "  --config FILE      an augur config; errors are printed as by `augurctl check config`\n"
    "  --scaler NAME      which scaler of the config (default: the first)\n"
    "  --format F         table (default) or json: one JSON object per policy and line\n"
    "  --timeline F.csv   one row per step: timestamp, demand, requested and ready\n"
    "                     replicas per policy, augur's forecast band and action\n"
    "  --plot F.svg       an SVG of demand, ready capacity per policy, forecast band\n"
    "  --plot-from T, --plot-to T\n"
    "                     plot only the steps in [T1, T2) (timestamps as in the trace)\n"
    "  --capacity N       demand units one replica serves at 100%; default for a\n"
    "                     utilization scaler: median non-zero demand / (5 x target),\n"
    "                     i.e. the median needs 5 replicas; queue: from the config\n"
    "  --step S           the trace's step in seconds; default: the median spacing\n"
    "  --warmup DUR       simulate but do not score the first DUR (default 1d: the\n"
    "                     forecast model learns its first day); 0 scores everything\n"
    "  --forecast F       engine (default): augur's forecast engine; perfect: give the\n"
    "                     scaler the trace's true future with a zero-width band, to\n"
    "                     see what the decision rules reach when the forecast is exact\n"
    "\n"
    "Exit status: 0 ok, 1 on bad input or config, 2 on usage errors.\n";

#define TOOL "augurctl simulate"

/* --------------------------------------------------------- the adapter */

/* A forecast issued `gate` steps ahead, waiting for its actual. */
typedef struct pending {
    int64_t target_ts;
    double mean;
} pending;

typedef struct feed {
    fc_model *m;
    fc_kind kind;         /* the model's, for the report */
    fc_forecast *buf;     /* max_horizon points */
    int32_t max_horizon;
    int64_t step_s;
    int64_t last_ts;      /* of the last point the model took (valid when fed) */
    bool fed;             /* the model took at least one point */
    long skipped;         /* points not fed (slot not after the last) */
    long refits;
    /* note 3: forecasts `gate` steps ahead waiting for their actual (FIFO) */
    int32_t gate;
    pending *pend;
    size_t pend_cap, pend_head, pend_len;
    fc_acc acc;
} feed;

static void feed_free(feed *f)
{
    fc_model_free(f->m);
    aug_free(f->buf);
    aug_free(f->pend);
    *f = (feed){0};
}

static aug_err feed_init(feed *f, const cfg_forecast *cf, int64_t step_s, int32_t max_horizon, int32_t gate_steps,
                         aug_errbuf *eb)
{
    fc_params fp;
    cfg_forecast_fc_params(cf, step_s, max_horizon, &fp);
    *f = (feed){.step_s = step_s, .max_horizon = max_horizon, .kind = fp.kind};
    aug_err e = fc_model_new(&fp, &f->m, eb);
    if (e != AUG_OK)
        return e;
    f->gate = AUG_MIN(AUG_MAX(gate_steps, 1), max_horizon);
    f->pend_cap = (size_t)f->gate + 2;
    fc_acc_reset(&f->acc);
    f->buf = aug_calloc((size_t)max_horizon, sizeof *f->buf);
    f->pend = aug_calloc(f->pend_cap, sizeof *f->pend);
    if (f->buf == NULL || f->pend == NULL) {
        feed_free(f);
        return aug_errf(eb, AUG_ENOMEM, "out of memory for the forecast model");
    }
    return AUG_OK;
}

/* Matches the actual (ts, v) with the forecast issued for it, if any. */
static void feed_score(feed *f, int64_t ts, double v)
{
    while (f->pend_len > 0) {
        pending *p = &f->pend[f->pend_head];
        if (p->target_ts > ts + f->step_s / 2)
            break; /* for a later point */
        bool match = p->target_ts >= ts - f->step_s / 2;
        if (match)
            fc_acc_add(&f->acc, v, p->mean);
        f->pend_head = (f->pend_head + 1) % f->pend_cap;
        f->pend_len--;
        if (match)
            break;
    }
}

static decide_model_state map_state(fc_state s)
{
    return s == FC_READY ? DECIDE_MODEL_READY : s == FC_WARMING ? DECIDE_MODEL_WARMING : DECIDE_MODEL_COLD;
}

/* The decide_forecaster of simulate.h (notes 2 and 3). */
static aug_err feed_forecast(void *ctx, int64_t ts, double v, size_t h, decide_forecast_path *out)
{
    feed *f = ctx;
    feed_score(f, ts, v);
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_update(f->m, ts, v, &eb);
    if (e == AUG_EINVAL && f->fed) {
        f->skipped++; /* same slot as the last point: predict from where the model is */
    } else if (e != AUG_OK) {
        return e;
    } else {
        f->last_ts = ts;
        f->fed = true;
        if (fc_model_refit_due(f->m)) {
            if ((e = fc_model_refit(f->m)) != AUG_OK)
                return e;
            f->refits++;
        }
    }
    if (h > (size_t)f->max_horizon || h > out->cap)
        return AUG_EINVAL;
    if ((e = fc_model_predict(f->m, (int32_t)h, f->buf)) != AUG_OK)
        return e;
    fc_status st;
    fc_model_state(f->m, &st);
    for (size_t i = 0; i < h; i++) {
        const fc_forecast *p = &f->buf[i];
        out->points[i] = (decide_point){p->mean, p->lo80, p->hi80, p->lo95, p->hi95};
    }
    out->n = h;
    out->origin_s = f->last_ts;
    out->step_s = f->step_s;
    out->model = map_state(st.state);
    out->recent_error = fc_acc_error(&f->acc);
    /* Remember the forecast at the gate horizon for note 3. */
    if (f->pend_len == f->pend_cap) {
        f->pend_head = (f->pend_head + 1) % f->pend_cap;
        f->pend_len--;
    }
    f->pend[(f->pend_head + f->pend_len) % f->pend_cap] =
        (pending){.target_ts = f->last_ts + (int64_t)f->gate * f->step_s, .mean = f->buf[f->gate - 1].mean};
    f->pend_len++;
    return AUG_OK;
}

/* --forecast perfect: the true future, a zero-width band, a ready model.
 * Past the end of the trace the last value holds. */
typedef struct perfect {
    const int64_t *ts;
    const double *v;
    size_t n, k; /* k: index of the next point to be fed */
    int64_t step_s;
} perfect;

static aug_err perfect_forecast(void *ctx, int64_t ts, double v, size_t h, decide_forecast_path *out)
{
    perfect *pf = ctx;
    AUG_UNUSED(v);
    while (pf->k < pf->n && pf->ts[pf->k] <= ts)
        pf->k++;
    size_t j = pf->k; /* first point after ts */
    for (size_t i = 0; i < h; i++) {
        int64_t t = ts + (int64_t)(i + 1) * pf->step_s;
        while (j < pf->n && pf->ts[j] < t)
            j++;
        double m = pf->v[j < pf->n ? j : pf->n - 1];
        out->points[i] = (decide_point){m, m, m, m, m};
    }
    out->n = h;
    out->origin_s = ts;
    out->step_s = pf->step_s;
    out->model = DECIDE_MODEL_READY;
    out->recent_error = 0;
    return AUG_OK;
}

/* ------------------------------------------------------------- helpers */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the values > 0; 0 if none, NaN when out of memory. */
static double median_positive(const double *v, size_t n)
{
    double *s = aug_malloc(AUG_MAX(n, (size_t)1) * sizeof *s);
    if (s == NULL)
        return (double)NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > 0)
            s[m++] = v[i];
    double med = 0;
    if (m > 0) {
        qsort(s, m, sizeof *s, cmp_double);
        med = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
    }
    aug_free(s);
    return med;
}

static const char *fmt_secs(int64_t s, char *buf, size_t cap)
{
    return cfg_format_duration(s * 1000, buf, cap);
}

static const char *margin_name(decide_margin m)
{
    return m == DECIDE_MARGIN_95 ? "upper95" : m == DECIDE_MARGIN_80 ? "upper80" : "none";
}

/* A JSON number, or null when not finite. */
static void json_num(FILE *o, double x)
{
    if (isfinite(x))
        fprintf(o, "%.10g", x);
    else
        fputs("null", o);
}

/* A JSON string, escaped by the daemon's escaper in chunks. */
static void json_str(FILE *o, const char *s)
{
    size_t n = strlen(s), at = 0;
    fputc('"', o);
    while (at < n) {
        char buf[256];
        size_t used;
        size_t w = util_json_escape(buf, sizeof buf, s + at, n - at, &used);
        fwrite(buf, 1, w, o);
        at += used;
    }
    fputc('"', o);
}

/* ----------------------------------------------------------- the goal */

/* The goal for augur: >= 90% fewer minutes under capacity than the
 * HPA baseline, <= 1.2x the oracle's replica-hours, no more scale actions
 * than the HPA baseline. */
typedef struct goal {
    double under_cut;   /* 1 - augur/hpa minutes under; 1 when hpa has none and augur none; -inf when hpa none */
    double cost_ratio;  /* augur / oracle replica-hours */
    bool under_ok, cost_ok, actions_ok, met;
} goal;

static goal goal_of(const decide_sim_result *r)
{
    const decide_sim_metrics *a = &r->policy[DECIDE_POLICY_AUGUR], *h = &r->policy[DECIDE_POLICY_HPA],
                             *o = &r->policy[DECIDE_POLICY_ORACLE];
    goal g;
    if (h->minutes_under > 0)
        g.under_cut = 1 - a->minutes_under / h->minutes_under;
    else
        g.under_cut = a->minutes_under > 0 ? -(double)INFINITY : 1;
    g.cost_ratio = o->replica_hours > 0 ? a->replica_hours / o->replica_hours : (a->replica_hours > 0 ? (double)INFINITY : 1);
    g.under_ok = g.under_cut >= 0.9;
    g.cost_ok = g.cost_ratio <= 1.2;
    g.actions_ok = a->actions <= h->actions;
    g.met = g.under_ok && g.cost_ok && g.actions_ok;
    return g;
}

/* ------------------------------------------------------------- outputs */

typedef struct run_info {
    const char *trace;
    const char *config;
    const char *scaler;
    const decide_params *p;
    int64_t step_s;
    size_t points, dropped;
    int64_t score_from;
    int64_t warmup_s;
    const char *cap_source; /* "--capacity", "derived", "config" */
    bool perfect;           /* --forecast perfect */
    double cap_median;      /* for "derived" */
    const feed *fd;
} run_info;

static void print_table(FILE *o, const run_info *ri, const decide_sim_result *r)
{
    char b1[64], b2[64], b3[64], b4[64];
    const decide_params *p = ri->p;
    const decide_sim_metrics *a = &r->policy[DECIDE_POLICY_AUGUR];
    fprintf(o, "trace     %s: %zu points, step %s", ri->trace, ri->points, fmt_secs(ri->step_s, b1, sizeof b1));
    if (ri->dropped > 0)
        fprintf(o, " (%zu dropped: timestamp not after the previous one)", ri->dropped);
    fprintf(o, "; scored from %s (warm-up %s): %" PRId64 " steps\n", ctl_format_ts(ri->score_from, b2, sizeof b2),
            fmt_secs(ri->warmup_s, b3, sizeof b3), a->steps);
    fprintf(o, "scaler    %s (%s): %s, target %g, lead %s, window %s, margin %s, replicas [%d, %d],\n", ri->scaler,
            ri->config, p->mode == DECIDE_MODE_QUEUE ? "queue" : "utilization", p->target,
            fmt_secs(p->lead_time_s, b1, sizeof b1), fmt_secs(p->window_s, b2, sizeof b2), margin_name(p->margin),
            (int)p->min_replicas, (int)p->max_replicas);
    fprintf(o, "          up %g/min burst %g, down %g/min burst %g, stabilization %s, cooldown %s, max_error %g\n",
            p->up.per_minute, p->up.capacity, p->down.per_minute, p->down.capacity,
            fmt_secs(p->stabilization_s, b3, sizeof b3), fmt_secs(p->cooldown_s, b4, sizeof b4), p->max_error);
    if (p->floor_quantile > 0)
        fprintf(o, "          scale-down floor: quantile %g of the hourly lows over the last %s\n", p->floor_quantile,
                fmt_secs(p->floor_window_s, b1, sizeof b1));
    fprintf(o, "capacity  %.6g demand units per replica at 100%%", r->capacity_per_replica);
    if (strcmp(ri->cap_source, "derived") == 0)
        fprintf(o, " (derived: the median non-zero demand %.6g needs 5 replicas at target %g; --capacity "
                   "overrides)\n",
                ri->cap_median, p->target);
    else
        fprintf(o, " (from %s)\n", ri->cap_source);
    double early_pct = a->steps ? 100.0 * (double)a->early_steps / (double)a->steps : 0.0;
    double floor_pct = a->steps ? 100.0 * (double)a->floor_steps / (double)a->steps : 0.0;
    if (ri->perfect)
        fprintf(o, "forecast  PERFECT: the scaler sees the trace's true future (zero-width band), not augur's "
                   "engine; early start on %.1f%%, floor held on %.1f%% of scored steps; initial replicas %d\n\n",
                early_pct, floor_pct, (int)r->initial_replicas);
    else
        fprintf(o,
                "forecast  augur's engine (%s), fed point by point: %ld refits, %ld points not fed (same slot); "
                "reactive rule on %.1f%%, early start on %.1f%%, floor held on %.1f%% of scored steps; initial "
                "replicas %d\n\n",
                fc_kind_name(ri->fd->kind), ri->fd->refits, ri->fd->skipped,
                a->steps ? 100.0 * (double)a->fallback_steps / (double)a->steps : 0.0, early_pct, floor_pct,
                (int)r->initial_replicas);
    fprintf(o, "%-8s %14s %14s %8s %15s\n", "policy", "min_under_cap", "replica_hours", "actions", "peak_shortfall");
    for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++) {
        const decide_sim_metrics *m = &r->policy[pol];
        fprintf(o, "%-8s %14.0f %14.1f %8" PRId64 " %15.6g\n", decide_policy_name((decide_policy)pol),
                m->minutes_under, m->replica_hours, m->actions, m->peak_shortfall);
    }
    goal g = goal_of(r);
    const decide_sim_metrics *h = &r->policy[DECIDE_POLICY_HPA];
    fprintf(o, "\ngoal: under capacity %.1f%% fewer minutes than hpa (>= 90%%): %s; replica-hours %.2fx oracle "
               "(<= 1.2x): %s; actions %" PRId64 " vs hpa %" PRId64 " (<=): %s => %s\n",
            100 * g.under_cut, g.under_ok ? "met" : "MISSED", g.cost_ratio, g.cost_ok ? "met" : "MISSED", a->actions,
            h->actions, g.actions_ok ? "met" : "MISSED", g.met ? "goal met" : "goal MISSED");
}

static void print_json(FILE *o, const run_info *ri, const decide_sim_result *r)
{
    goal g = goal_of(r);
    for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++) {
        const decide_sim_metrics *m = &r->policy[pol];
        fputs("{\"policy\":", o);
        json_str(o, decide_policy_name((decide_policy)pol));
        fputs(",\"trace\":", o);
        json_str(o, ri->trace);
        fputs(",\"scaler\":", o);
        json_str(o, ri->scaler);
        fprintf(o, ",\"step_s\":%" PRId64 ",\"scored_steps\":%" PRId64 ",\"capacity_per_replica\":", ri->step_s,
                m->steps);
        json_num(o, r->capacity_per_replica);
        fputs(",\"capacity_source\":", o);
        json_str(o, ri->cap_source);
        fprintf(o, ",\"lead_time_s\":%" PRId64 ",\"target\":", ri->p->lead_time_s);
        json_num(o, ri->p->target);
        fputs(",\"forecast\":", o);
        json_str(o, ri->perfect ? "perfect" : "engine");
        fputs(",\"minutes_under_capacity\":", o);
        json_num(o, m->minutes_under);
        fputs(",\"replica_hours\":", o);
        json_num(o, m->replica_hours);
        fprintf(o, ",\"scale_actions\":%" PRId64 ",\"peak_shortfall\":", m->actions);
        json_num(o, m->peak_shortfall);
        fprintf(o, ",\"steps_under_capacity\":%" PRId64, m->steps_under);
        if (pol == DECIDE_POLICY_AUGUR) {
            fprintf(o, ",\"fallback_steps\":%" PRId64 ",\"early_start_steps\":%" PRId64 ",\"floor_steps\":%" PRId64
                       ",\"under_reduction_vs_hpa\":",
                    m->fallback_steps, m->early_steps, m->floor_steps);
            json_num(o, g.under_cut);
            fputs(",\"replica_hours_vs_oracle\":", o);
            json_num(o, g.cost_ratio);
            fprintf(o, ",\"goal_met\":%s", g.met ? "true" : "false");
        }
        fputs("}\n", o);
    }
}

static void csv_num(FILE *o, double x)
{
    if (isfinite(x))
        fprintf(o, ",%.10g", x);
    else
        fputs(",", o);
}

static int write_timeline(const char *path, const decide_sim_row *rows, size_t n)
{
    FILE *o = fopen(path, "w");
    if (o == NULL) {
        fprintf(stderr, TOOL ": cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    fputs("timestamp,demand", o);
    for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++)
        fprintf(o, ",%s_requested,%s_ready", decide_policy_name((decide_policy)pol),
                decide_policy_name((decide_policy)pol));
    fputs(",forecast_mean,forecast_lo,forecast_hi,augur_action,augur_reactive,augur_floor\n", o);
    for (size_t k = 0; k < n; k++) {
        const decide_sim_row *w = &rows[k];
        fprintf(o, "%" PRId64, w->ts_s);
        csv_num(o, w->demand);
        for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++)
            fprintf(o, ",%d,%d", (int)w->requested[pol], (int)w->ready[pol]);
        csv_num(o, w->fc_mean);
        csv_num(o, w->fc_lo);
        csv_num(o, w->fc_hi);
        fprintf(o, ",%s,%d,", decide_action_name(w->action), w->fell_back ? 1 : 0);
        if (w->floor >= 0)
            fprintf(o, "%d", (int)w->floor);
        fputc('\n', o);
    }
    if (fclose(o) != 0) {
        fprintf(stderr, TOOL ": writing %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- SVG */

#define SVG_W 1200.0
#define SVG_H 480.0
#define SVG_L 80.0  /* plot area margins */
#define SVG_R 20.0
#define SVG_T 40.0
#define SVG_B 70.0

typedef struct plot {
    FILE *o;
    int64_t t0, t1;
    double ymax;
} plot;

static double px(const plot *pl, int64_t t)
{
    double f = pl->t1 > pl->t0 ? (double)(t - pl->t0) / (double)(pl->t1 - pl->t0) : 0;
    return SVG_L + f * (SVG_W - SVG_L - SVG_R);
}

static double py(const plot *pl, double v)
{
    if (!(v > 0))
        v = 0;
    if (v > pl->ymax * 1.05)
        v = pl->ymax * 1.05; /* the band's outliers are clipped to the frame */
    return SVG_H - SVG_B - v / (pl->ymax * 1.05) * (SVG_H - SVG_T - SVG_B);
}

static void svg_text(FILE *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        default: fputc(*s, o);
        }
    }
}

/* A "nice" tick spacing: 1, 2 or 5 × 10^k, about `count` ticks up to max. */
static double nice_step(double max, int count)
{
    double raw = max / count, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* Ready capacity of one policy as a step line (it changes at each step). */
static void svg_capacity(const plot *pl, const decide_sim_row *rows, size_t n, int pol, double cap, const char *style)
{
    fprintf(pl->o, "<polyline fill=\"none\" %s points=\"", style);
    for (size_t k = 0; k < n; k++) {
        double y = py(pl, rows[k].ready[pol] * cap);
        int64_t tn = k + 1 < n ? rows[k + 1].ts_s : pl->t1;
        fprintf(pl->o, "%.1f,%.1f %.1f,%.1f ", px(pl, rows[k].ts_s), y, px(pl, tn), y);
    }
    fputs("\"/>\n", pl->o);
}

static int write_plot(const char *path, const run_info *ri, const decide_sim_row *rows, size_t n,
                      const decide_sim_result *r)
{
    FILE *o = fopen(path, "w");
    if (o == NULL) {
        fprintf(stderr, TOOL ": cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    double cap = r->capacity_per_replica;
    plot pl = {.o = o, .t0 = rows[0].ts_s, .t1 = rows[n - 1].ts_s + ri->step_s, .ymax = 0};
    for (size_t k = 0; k < n; k++) {
        pl.ymax = AUG_MAX(pl.ymax, rows[k].demand);
        for (int pol = 0; pol < DECIDE_POLICY__COUNT; pol++)
            pl.ymax = AUG_MAX(pl.ymax, rows[k].ready[pol] * cap);
    }
    if (!(pl.ymax > 0))
        pl.ymax = 1;
    char b1[64], b2[64];
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_W, SVG_H, SVG_W, SVG_H);
    fputs("<title>augurctl simulate: ", o);
    svg_text(o, ri->trace);
    fputs("</title>\n<text x=\"80\" y=\"22\" font-size=\"14\">", o);
    svg_text(o, ri->trace);
    fprintf(o, " — scaler %s, capacity %.4g per replica</text>\n", ri->scaler, cap);
    /* axes and grid */
    double ystep = nice_step(pl.ymax * 1.05, 5);
    for (double v = 0; v <= pl.ymax * 1.05 + 1e-12; v += ystep) {
        double y = py(&pl, v);
        fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", SVG_L, SVG_W - SVG_R,
                y, y);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", SVG_L - 6, y + 4, v);
    }
    for (int i = 0; i <= 4; i++) {
        int64_t t = pl.t0 + (pl.t1 - pl.t0) * i / 4;
        double x = px(&pl, t);
        fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, x, SVG_T,
                SVG_H - SVG_B);
        ctl_format_ts(t, b1, sizeof b1);
        b1[16] = '\0'; /* minutes */
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, SVG_H - SVG_B + 18, b1);
    }
    fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n",
            SVG_L, SVG_T, SVG_W - SVG_L - SVG_R, SVG_H - SVG_T - SVG_B);
    /* forecast band: one polygon per run of steps that have one */
    for (size_t k = 0; k < n;) {
        if (!isfinite(rows[k].fc_lo) || !isfinite(rows[k].fc_hi)) {
            k++;
            continue;
        }
        size_t e = k;
        while (e < n && isfinite(rows[e].fc_lo) && isfinite(rows[e].fc_hi))
            e++;
        fputs("<polygon fill=\"#4a90d9\" fill-opacity=\"0.25\" stroke=\"none\" points=\"", o);
        for (size_t j = k; j < e; j++)
            fprintf(o, "%.1f,%.1f ", px(&pl, rows[j].ts_s), py(&pl, rows[j].fc_hi));
        for (size_t j = e; j-- > k;)
            fprintf(o, "%.1f,%.1f ", px(&pl, rows[j].ts_s), py(&pl, rows[j].fc_lo));
        fputs("\"/>\n", o);
        k = e;
    }
    /* capacity per policy, then demand on top */
    svg_capacity(&pl, rows, n, DECIDE_POLICY_ORACLE, cap, "stroke=\"#777\" stroke-width=\"1\" stroke-dasharray=\"4 3\"");
    svg_capacity(&pl, rows, n, DECIDE_POLICY_HPA, cap, "stroke=\"#e8882a\" stroke-width=\"1.2\"");
    svg_capacity(&pl, rows, n, DECIDE_POLICY_AUGUR, cap, "stroke=\"#2a9d3a\" stroke-width=\"1.4\"");
    fputs("<polyline fill=\"none\" stroke=\"black\" stroke-width=\"1\" points=\"", o);
    for (size_t k = 0; k < n; k++)
        fprintf(o, "%.1f,%.1f ", px(&pl, rows[k].ts_s), py(&pl, rows[k].demand));
    fputs("\"/>\n", o);
    /* legend */
    static const struct {
        const char *label, *style;
    } legend[] = {
        {"demand", "stroke=\"black\""},
        {"augur ready capacity", "stroke=\"#2a9d3a\" stroke-width=\"2\""},
        {"hpa ready capacity", "stroke=\"#e8882a\" stroke-width=\"2\""},
        {"oracle ready capacity", "stroke=\"#777\" stroke-dasharray=\"4 3\""},
        {"forecast band (issued a lead time earlier)", "stroke=\"#4a90d9\" stroke-opacity=\"0.5\" stroke-width=\"8\""},
    };
    double lx = SVG_L;
    for (size_t i = 0; i < AUG_ARRAY_LEN(legend); i++) {
        double y = SVG_H - 22;
        fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" %s/>\n", lx, lx + 24, y - 4, y - 4,
                legend[i].style);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 30, y, legend[i].label);
        lx += 30 + 7.0 * (double)strlen(legend[i].label) + 24;
    }
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%s – %s UTC</text>\n", SVG_W - SVG_R,
            SVG_T - 8, ctl_format_ts(pl.t0, b1, sizeof b1), ctl_format_ts(pl.t1, b2, sizeof b2));
    fputs("</svg>\n", o);
    if (fclose(o) != 0) {
        fprintf(stderr, TOOL ": writing %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- main */

typedef struct opts {
    const char *trace, *config, *scaler, *timeline, *plot;
    bool json;
    double capacity; /* 0: not given */
    long step;
    int64_t warmup_s;
    int64_t plot_from, plot_to; /* INT64_MIN / INT64_MAX: not given */
    bool perfect;               /* --forecast perfect */
} opts;

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, opts *op)
{
    *op = (opts){.warmup_s = 86400, .plot_from = INT64_MIN, .plot_to = INT64_MAX};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (val == NULL) {
            fprintf(stderr, TOOL ": %s needs a value\n%s", a, usage_text);
            return 2;
        }
        i++;
        if (strcmp(a, "--trace") == 0) {
            op->trace = val;
        } else if (strcmp(a, "--config") == 0) {
            op->config = val;
        } else if (strcmp(a, "--scaler") == 0) {
            op->scaler = val;
        } else if (strcmp(a, "--timeline") == 0) {
            op->timeline = val;
        } else if (strcmp(a, "--plot") == 0) {
            op->plot = val;
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(val, "json") == 0) {
                op->json = true;
            } else if (strcmp(val, "table") != 0) {
                fprintf(stderr, TOOL ": --format is table or json, got '%s'\n", val);
                return 2;
            }
        } else if (strcmp(a, "--forecast") == 0) {
            if (strcmp(val, "perfect") == 0) {
                op->perfect = true;
            } else if (strcmp(val, "engine") != 0) {
                fprintf(stderr, TOOL ": --forecast is engine or perfect, got '%s'\n", val);
                return 2;
            }
        } else if (strcmp(a, "--capacity") == 0) {
            const char *why;
            if (!cfg_parse_float(val, strlen(val), &op->capacity, &why) || !(op->capacity > 0)) {
                fprintf(stderr, TOOL ": --capacity must be a number > 0, got '%s'\n", val);
                return 2;
            }
        } else if (strcmp(a, "--step") == 0) {
            if (!ctl_parse_long(val, FC_MIN_STEP, FC_MAX_STEP, &op->step)) {
                fprintf(stderr, TOOL ": --step must be %d..%d seconds, got '%s'\n", FC_MIN_STEP, FC_MAX_STEP, val);
                return 2;
            }
        } else if (strcmp(a, "--plot-from") == 0 || strcmp(a, "--plot-to") == 0) {
            int64_t t;
            if (!ctl_parse_ts(val, &t)) {
                fprintf(stderr, TOOL ": %s takes Unix seconds or YYYY-MM-DD HH:MM:SS, got '%s'\n", a, val);
                return 2;
            }
            *(strcmp(a, "--plot-from") == 0 ? &op->plot_from : &op->plot_to) = t;
        } else if (strcmp(a, "--warmup") == 0) {
            const char *why;
            int64_t ms;
            if (!cfg_parse_duration(val, strlen(val), &ms, &why) || ms < 0) {
                fprintf(stderr, TOOL ": --warmup must be a duration such as 1d or 0, got '%s'\n", val);
                return 2;
            }
            op->warmup_s = ms / 1000;
        } else {
            fprintf(stderr, TOOL ": unknown option %s\n%s", a, usage_text);
            return 2;
        }
    }
    if (op->trace == NULL || op->config == NULL) {
        fprintf(stderr, TOOL ": --trace and --config are required\n%s", usage_text);
        return 2;
    }
    return -1;
}

/* Loads the config and picks the scaler; prints errors as `augurctl check
 * config` does. */
static int load_scaler(const opts *op, cfg_config **cfg_out, const cfg_scaler **sc_out, decide_params *p)
{
    cfg_config *cfg = NULL;
    cfg_diag *diag = NULL;
    aug_err err = cfg_load_file(op->config, &cfg, &diag);
    if (err != AUG_OK) {
        if (diag != NULL)
            cfg_diag_print(diag, stderr);
        else
            fprintf(stderr, "%s: %s\n", op->config, aug_strerror(err));
        size_t n = cfg_diag_count(diag);
        if (n > 0)
            fprintf(stderr, "%s: FAILED (%zu %s)\n", op->config, n, n == 1 ? "error" : "errors");
        cfg_diag_free(diag);
        return 1;
    }
    const cfg_scaler *sc = NULL;
    for (size_t i = 0; i < cfg->nscalers && sc == NULL; i++)
        if (op->scaler == NULL || strcmp(cfg->scalers[i].name, op->scaler) == 0)
            sc = &cfg->scalers[i];
    if (sc == NULL) {
        if (op->scaler == NULL)
            fprintf(stderr, TOOL ": %s has no scalers\n", op->config);
        else
            fprintf(stderr, TOOL ": %s has no scaler named '%s'\n", op->config, op->scaler);
        cfg_free(cfg);
        return 1;
    }
    aug_errbuf eb = {{0}};
    if ((err = cfg_scaler_decide_params(sc, p, &eb)) != AUG_OK) {
        fprintf(stderr, TOOL ": %s: %s\n", op->config, aug_errmsg(&eb, err));
        cfg_free(cfg);
        return 1;
    }
    *cfg_out = cfg;
    *sc_out = sc;
    return 0;
}

int ctl_simulate(int argc, char **argv)
{
    opts op;
    int rc = parse_args(argc, argv, &op);
    if (rc >= 0)
        return rc;
    rc = 1;

    cfg_config *cfg = NULL;
    const cfg_scaler *sc = NULL;
    decide_params p;
    ctl_point *pts = NULL;
    int64_t *ts = NULL;
    double *dem = NULL;
    decide_sim_row *rows = NULL;
    feed fd = {0};
    size_t n = 0, dropped = 0;
    long first_drop = 0;

    if (load_scaler(&op, &cfg, &sc, &p) != 0)
        goto done;
    if (ctl_csv_read("simulate", op.trace, &pts, &n) != 0)
        goto done;

    /* Note 5: validate values, drop non-increasing timestamps. */
    ts = aug_malloc(n * sizeof *ts);
    dem = aug_malloc(n * sizeof *dem);
    if (ts == NULL || dem == NULL) {
        fprintf(stderr, TOOL ": out of memory for %zu points\n", n);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pts[i].v) || pts[i].v < 0) {
            fprintf(stderr, TOOL ": %s:%ld: demand %g is not a finite number >= 0\n", op.trace, pts[i].line,
                    pts[i].v);
            goto done;
        }
        if (m > 0 && pts[i].ts <= ts[m - 1]) {
            if (dropped++ == 0)
                first_drop = pts[i].line;
            continue;
        }
        ts[m] = pts[i].ts;
        dem[m] = pts[i].v;
        m++;
    }
    if (dropped > 0)
        fprintf(stderr, TOOL ": %s: dropped %zu point(s) whose timestamp is not after the previous one (first at "
                        "line %ld)\n",
                op.trace, dropped, first_drop);
    int64_t step = op.step;
    if (step == 0) {
        step = ctl_infer_step(pts, n);
        if (step < FC_MIN_STEP || step > FC_MAX_STEP) {
            fprintf(stderr, TOOL ": %s: cannot infer the step from %zu point(s); give --step\n", op.trace, n);
            goto done;
        }
    }

    /* Note 4: capacity per replica. */
    const char *cap_source = "config";
    double cap_median = 0;
    if (op.capacity > 0) {
        cap_source = "--capacity";
        if (p.mode == DECIDE_MODE_QUEUE)
            p.concurrency = op.capacity * p.service_time_s;
        else
            p.capacity_per_replica = op.capacity;
    } else if (p.mode == DECIDE_MODE_UTILIZATION) {
        cap_source = "derived";
        cap_median = median_positive(dem, m);
        if (!isfinite(cap_median)) {
            fprintf(stderr, TOOL ": out of memory\n");
            goto done;
        }
        p.capacity_per_replica = cap_median > 0 ? cap_median / (5 * p.target) : 1;
    }

    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, step);
    /* Note 3: the horizon the daemon would gate on, in trace steps. */
    int gfi = sc->mode == CFG_MODE_UTILIZATION ? sc->forecast_idx : sc->arrival_rate_idx;
    if (gfi < 0 || (size_t)gfi >= cfg->nforecasts || cfg->forecasts[gfi].horizons.n == 0) {
        fprintf(stderr, TOOL ": %s: scaler %s has no forecast to decide on\n", op.config, sc->name);
        goto done;
    }
    const cfg_forecast *gf = &cfg->forecasts[gfi];
    int64_t hs[64];
    size_t nhs = AUG_MIN(gf->horizons.n, sizeof hs / sizeof hs[0]);
    for (size_t i = 0; i < nhs; i++)
        hs[i] = gf->horizons.v[i] / 1000;
    int64_t gate_s = hs[decide_gate_horizon(hs, nhs, p.lead_time_s)];
    int64_t gate_steps = AUG_MAX(INT64_C(1), (gate_s + step - 1) / step);
    sp.horizon_steps = AUG_MAX(sp.horizon_steps, (size_t)gate_steps);
    if (sp.horizon_steps > FC_MAX_HORIZON) {
        fprintf(stderr, TOOL ": lead_time + window + 1h (or the gating horizon) is %zu steps of %" PRId64
                        " s, more than the %d the forecast engine allows\n",
                sp.horizon_steps, step, FC_MAX_HORIZON);
        goto done;
    }
    sp.score_from_s = ts[0] + op.warmup_s;
    aug_errbuf eb = {{0}};
    aug_err e = feed_init(&fd, gf, step, (int32_t)sp.horizon_steps, (int32_t)gate_steps, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, TOOL ": forecast model: %s\n", aug_errmsg(&eb, e));
        goto done;
    }
    perfect pf = {.ts = ts, .v = dem, .n = m, .step_s = step};
    if (op.perfect) {
        sp.forecaster = perfect_forecast;
        sp.forecaster_ctx = &pf;
    } else {
        sp.forecaster = feed_forecast;
        sp.forecaster_ctx = &fd;
    }
    if (op.timeline != NULL || op.plot != NULL) {
        rows = aug_calloc(m, sizeof *rows);
        if (rows == NULL) {
            fprintf(stderr, TOOL ": out of memory for the timeline\n");
            goto done;
        }
    }
    decide_sim_result res;
    e = decide_simulate(&sp, ts, dem, m, rows, &res, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, TOOL ": %s: %s\n", op.trace, aug_errmsg(&eb, e));
        goto done;
    }
    if (res.policy[DECIDE_POLICY_AUGUR].steps == 0) {
        fprintf(stderr, TOOL ": %s: no step after the warm-up (--warmup %" PRId64 " s); nothing scored\n", op.trace,
                op.warmup_s);
        goto done;
    }

    run_info ri = {.trace = op.trace,
                   .config = op.config,
                   .scaler = sc->name,
                   .p = &p,
                   .step_s = step,
                   .points = m,
                   .dropped = dropped,
                   .score_from = sp.score_from_s > ts[0] ? sp.score_from_s : ts[0],
                   .warmup_s = op.warmup_s,
                   .cap_source = cap_source,
                   .cap_median = cap_median,
                   .perfect = op.perfect,
                   .fd = &fd};
    if (op.json)
        print_json(stdout, &ri, &res);
    else
        print_table(stdout, &ri, &res);
    if (fflush(stdout) != 0) {
        fprintf(stderr, TOOL ": writing the report: %s\n", strerror(errno));
        goto done;
    }
    if (op.timeline != NULL && write_timeline(op.timeline, rows, m) != 0)
        goto done;
    if (op.plot != NULL) {
        size_t lo = 0, hi = m;
        while (lo < m && rows[lo].ts_s < op.plot_from)
            lo++;
        while (hi > lo && rows[hi - 1].ts_s >= op.plot_to)
            hi--;
        if (hi == lo) {
            fprintf(stderr, TOOL ": no step of the trace in the --plot-from/--plot-to range\n");
            goto done;
        }
        if (write_plot(op.plot, &ri, rows + lo, hi - lo, &res) != 0)
            goto done;
    }
    rc = 0;
done:
    feed_free(&fd);
    aug_free(rows);
    aug_free(ts);
    aug_free(dem);
    aug_free(pts);
    cfg_free(cfg);
    return rc;
}
