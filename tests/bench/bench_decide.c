/* bench_decide — figures for src/decide/ (run by hand; not a test).
 *
 *   build/tests/bench/bench_decide [DATA_DIR]     (default ../shared/data)
 *
 * 1. Cost of one decide_evaluate call (64-point path, all brakes on).
 * 2. decide_simulate on every trace listed in DATA_DIR/series.csv, scored
 *    after the first day, against the goal: >= 90% fewer minutes
 *    under capacity than the HPA baseline, <= 1.2x the oracle's
 *    replica-hours, no more scale actions than the HPA baseline.
 *
 * The forecaster here is a STAND-IN until the real engine (fc_) is merged:
 * persistence (the last value) with a normal band whose width per horizon
 * is the RMS of the h-step differences over the last day. It exists to
 * exercise the decision rules on real demand shapes; the numbers it gives
 * say nothing about augur's forecasts. augurctl simulate will drive the
 * same core with the real engine.
 *
 * Capacity per replica is set per trace so that the median demand needs
 * about 5 replicas at 100% (the traces are metrics of one machine, not
 * request rates; what matters is the shape).
 */
#include "util/common.h"
#include "decide/simulate.h"
#include "util/mem.h"

#include <time.h>

/* ---------------------------------------------------------- trace I/O */

typedef struct trace {
    int64_t *ts;
    double *v;
    size_t n, cap;
} trace;

static int64_t parse_ts(const char *s, bool *ok)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    *ok = sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) == 6;
    if (!*ok) {
        char *end;
        long long u = strtoll(s, &end, 10);
        *ok = end != s;
        return (int64_t)u;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return (int64_t)timegm(&tm);
}

static bool trace_read(const char *path, trace *t)
{
    *t = (trace){0};
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[256];
    bool first = true;
    while (fgets(line, sizeof line, f) != NULL) {
        char *comma = strchr(line, ',');
        if (comma == NULL)
            continue;
        *comma = '\0';
        bool ok;
        int64_t ts = parse_ts(line, &ok);
        char *end;
        double v = strtod(comma + 1, &end);
        if (!ok || end == comma + 1) {
            if (first) {
                first = false;
                continue; /* header */
            }
            continue;
        }
        first = false;
        if (!isfinite(v) || v < 0 || (t->n > 0 && ts <= t->ts[t->n - 1]))
            continue;
        if (t->n == t->cap) {
            size_t nc = t->cap ? t->cap * 2 : 4096;
            int64_t *nts = aug_realloc(t->ts, nc * sizeof *nts);
            if (nts == NULL)
                break;
            t->ts = nts;
            double *nv = aug_realloc(t->v, nc * sizeof *nv);
            if (nv == NULL)
                break;
            t->v = nv;
            t->cap = nc;
        }
        t->ts[t->n] = ts;
        t->v[t->n] = v;
        t->n++;
    }
    fclose(f);
    return t->n > 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------ stand-in forecaster */

typedef struct standin {
    const double *v; /* the trace: only values up to the current step are read */
    size_t n;
    bool perfect;    /* read the future instead: the rules' ceiling */
    size_t k;        /* steps seen */
    int64_t step_s;
    size_t lead_steps;
    size_t day;      /* steps per day */
} standin;

static aug_err standin_forecast(void *ctx, int64_t ts, double v, size_t h, decide_forecast_path *out)
{
    standin *s = ctx;
    AUG_UNUSED(v);
    size_t k = s->k++; /* index of v */
    if (s->perfect) {
        out->origin_s = ts;
        out->step_s = s->step_s;
        out->model = DECIDE_MODEL_READY;
        out->recent_error = 0;
        out->n = h;
        for (size_t i = 0; i < h; i++) {
            double m = s->v[AUG_MIN(k + i + 1, s->n - 1)];
            out->points[i] = (decide_point){m, m, m, m, m};
        }
        return AUG_OK;
    }
    out->origin_s = ts;
    out->step_s = s->step_s;
    out->model = k < 24 ? DECIDE_MODEL_COLD : k < s->day ? DECIDE_MODEL_WARMING : DECIDE_MODEL_READY;
    out->n = h;
    size_t from = k > s->day ? k - s->day : 0;
    double sigma_last = 0;
    for (size_t i = 0; i < h; i++) {
        size_t hh = i + 1;
        if (hh <= 8) { /* beyond 8 steps the band stops widening */
            double ss = 0;
            size_t cnt = 0;
            for (size_t t = from + hh; t <= k; t++) {
                double dd = s->v[t] - s->v[t - hh];
                ss += dd * dd;
                cnt++;
            }
            sigma_last = cnt ? sqrt(ss / (double)cnt) : 0;
        }
        double m = s->v[k];
        out->points[i] = (decide_point){m, m - 1.2816 * sigma_last, m + 1.2816 * sigma_last, m - 1.96 * sigma_last,
                                        m + 1.96 * sigma_last};
    }
    /* Recent error: mean |x_t - x_{t-lead}| / mean x over the last day. */
    double ae = 0, lvl = 0;
    size_t cnt = 0;
    for (size_t t = from + s->lead_steps; t <= k; t++) {
        ae += fabs(s->v[t] - s->v[t - s->lead_steps]);
        lvl += s->v[t];
        cnt++;
    }
    out->recent_error = cnt && lvl > 0 ? ae / lvl : (double)NAN;
    return AUG_OK;
}

/* ---------------------------------------------------------- figures */

static double now_s(void)
{
    struct timespec tsp;
    clock_gettime(CLOCK_MONOTONIC, &tsp);
    return (double)tsp.tv_sec + (double)tsp.tv_nsec * 1e-9;
}

static void bench_evaluate(void)
{
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    p.capacity_per_replica = 100;
    p.cooldown_s = 60;
    decide_state st;
    decide_state_init(&st, &p);
    decide_point pts[64];
    decide_forecast_path fc = {.step_s = 60, .model = DECIDE_MODEL_READY, .recent_error = 0.1, .n = 64, .cap = 64,
                               .points = pts};
    const int iters = 1000000;
    int32_t cur = 5, sum = 0;
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        double base = 500 + 400 * sin((double)i / 50.0);
        for (int j = 0; j < 64; j++) {
            double m = base + (double)j;
            pts[j] = (decide_point){m, m - 40, m + 40, m - 70, m + 70};
        }
        fc.origin_s = 1700000000 + (int64_t)i * 60;
        decide_input in = {.now_s = fc.origin_s, .current_replicas = cur, .observed = base, .fc = &fc};
        decide_output out;
        if (decide_evaluate(&p, &st, &in, &out, NULL) != AUG_OK)
            abort();
        cur = out.desired;
        sum += cur;
    }
    double dt = now_s() - t0;
    printf("decide_evaluate: %.0f ns per call incl. filling a 64-point path and the reason (%d evaluations, checksum "
           "%d)\n\n",
           dt / iters * 1e9, iters, (int)sum);
}

static void bench_trace(const char *dir, const char *rel, int64_t step_s, bool perfect, int *met, int *total)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    trace t = {0};
    if (!trace_read(path, &t)) {
        printf("%-48s unreadable\n", rel);
        aug_free(t.ts);
        aug_free(t.v);
        return;
    }
    double *sorted = aug_malloc(t.n * sizeof *sorted);
    if (sorted == NULL)
        abort();
    memcpy(sorted, t.v, t.n * sizeof *sorted);
    qsort(sorted, t.n, sizeof *sorted, cmp_double);
    double med = sorted[t.n * 95 / 100] / 2;
    aug_free(sorted);
    if (!(med > 0))
        med = 1;

    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    p.capacity_per_replica = med / 5;
    p.max_replicas = 10000;
    p.lead_time_s = 600;
    p.window_s = step_s;
    p.up = (decide_bucket){0, 0};
    p.down = (decide_bucket){0, 0};
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, step_s);
    standin s = {.v = t.v, .n = t.n, .perfect = perfect, .step_s = step_s, .lead_steps = (size_t)((600 + step_s - 1) / step_s),
                 .day = (size_t)(86400 / step_s)};
    sp.forecaster = standin_forecast;
    sp.forecaster_ctx = &s;
    sp.score_from_s = t.ts[0] + 86400;
    decide_sim_result r;
    aug_errbuf eb = {{0}};
    aug_err e = decide_simulate(&sp, t.ts, t.v, t.n, NULL, &r, &eb);
    if (e != AUG_OK) {
        printf("%-48s %s\n", rel, aug_errmsg(&eb, e));
    } else {
        const decide_sim_metrics *a = &r.policy[DECIDE_POLICY_AUGUR], *h = &r.policy[DECIDE_POLICY_HPA],
                                 *o = &r.policy[DECIDE_POLICY_ORACLE];
        double under_cut = h->minutes_under > 0 ? 1 - a->minutes_under / h->minutes_under : 1;
        double cost = o->replica_hours > 0 ? a->replica_hours / o->replica_hours : 0;
        bool ok = under_cut >= 0.9 && cost <= 1.2 && a->actions <= h->actions;
        const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        printf("%-38.38s %6.0f %6.0f %4.0f%% | %8.0f %8.0f %8.0f %5.2fx | %5" PRId64 " %5" PRId64 " %5" PRId64
               " | %5.1f%% | %s\n",
               name, a->minutes_under, h->minutes_under, under_cut * 100, a->replica_hours, h->replica_hours,
               o->replica_hours, cost, a->actions, h->actions, o->actions,
               a->steps ? 100.0 * (double)a->fallback_steps / (double)a->steps : 0.0, ok ? "met" : "NOT met");
        *met += ok;
        (*total)++;
    }
    aug_free(t.ts);
    aug_free(t.v);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data";
    bench_evaluate();
    char path[1024];
    snprintf(path, sizeof path, "%s/series.csv", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_decide: cannot open %s\n", path);
        return 1;
    }
    int met[2] = {0, 0}, total[2] = {0, 0};
    for (int mode = 0; mode < 2; mode++) {
        bool perfect = mode == 0;
        printf("%s\n", perfect ? "simulate, PERFECT foresight (exact future, no band): the ceiling of the decision rules"
                               : "simulate, STAND-IN persistence forecaster with an RMS band (not augur's engine)");
        printf("scaler: target 70%%, lead 10 min, window 1 step, upper-80, stabilization 5 min, tolerance 10%%, no "
               "buckets; scored after the first day\n");
        printf("%-38s %6s %6s %5s | %8s %8s %8s %6s | %5s %5s %5s | %6s | goal\n", "trace", "under", "hpa",
               "cut", "repl-h", "hpa", "oracle", "cost", "acts", "hpa", "orcl", "fallbk");
        rewind(f);
        char line[512];
        while (fgets(line, sizeof line, f) != NULL) {
            char *c1 = strchr(line, ',');
            if (c1 == NULL || strncmp(line, "path,", 5) == 0)
                continue;
            *c1 = '\0';
            long long step = strtoll(c1 + 1, NULL, 10);
            if (step <= 0)
                continue;
            bench_trace(dir, line, (int64_t)step, perfect, &met[mode], &total[mode]);
        }
        printf("goal met on %d of %d traces\n\n", met[mode], total[mode]);
    }
    fclose(f);
    return 0;
}
