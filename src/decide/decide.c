/* decide.c — one scaler evaluation: need → recommendation → brakes → action.
 *
 * Design notes.
 *
 * The pipeline (decide_evaluate), in this order, mirrors the Kubernetes HPA
 * (compute, stabilize, rate-limit, clamp) with a forecast in front:
 *
 *  1. Time. t = max(now, last evaluation): the state never sees time go
 *     backwards, so a clock step cannot refill tokens or expire history.
 *     Buckets refill by per_minute × (t - last_eval) / 60, up to capacity.
 *  2. Gate (gate_forecast). The forecast is used unless: no path, the model
 *     is cold, its recent error is above max_error, no point reaches
 *     now + lead, or a used point is not finite. Otherwise the reactive rule
 *     decides on the observed load and fell_back is set.
 *  3. Need (fractional replicas, need_of). A replica requested now is ready
 *     at now + lead, so scale-up provisions for the window
 *     W = [now+lead, now+lead+window] (need_up). Scale-down is immediate, so
 *     nothing may be removed that is needed in [now, now+lead+window] or by
 *     the load observed now (need_hold >= need_up). The reactive rule has
 *     need_up = need_hold = need(observed).
 *     Early start (find_early): a rate-limited scale-up cannot jump, so a
 *     need later in the path that the scale-up bucket cannot reach by then
 *     must be started now. With one evaluation per forecast step s (the
 *     daemon evaluates at every forecast update, simulate at every trace
 *     step; with a cooldown longer than the step only every
 *     s = step × ceil(cooldown / step) seconds) and a point at t_i after W,
 *     the requests still ready by t_i are the K = floor((t_i - lead - now) /
 *     s) later evaluations that may act, each adding at most a =
 *     min(capacity, per_minute × s / 60). So now needs at least
 *     min(need(t_i), max) - K × a; the highest such value over the path
 *     raises need_up and need_hold (a ramp in progress is not scaled back
 *     down), and the up tolerance does not hold it back (it would make the
 *     ramp skip steps). Non-finite points after W are skipped. Without a
 *     scale-up bucket there is nothing to start early.
 *  4. Tolerance. Up when need_up > cur × (1 + tol_up): rec = ceil(need_up);
 *     down when need_hold < cur × (1 - tol_down): rec = ceil(need_hold);
 *     else rec = cur.
 *  5. Clamp rec to [min, max]; it is pushed into the history.
 *  6. Stabilize (HPA): rec > cur stands; otherwise the result is
 *     min(cur, highest rec in (t - stabilization, t]).
 *     Floor (floor_quantile > 0): a scale-down then stops at min(cur, F),
 *     F = ceil(the floor_quantile-quantile of the lowest need of each closed
 *     UTC hour of the last floor_window), clamped; F never raises cur.
 *     Why hours and their lows: a scale-down cannot be undone faster than
 *     the lead time, and a dip or collapse the forecast follows down usually
 *     ends in a return to the usual load; the lowest need of an hour is the
 *     base load a burst does not inflate, so the floor remembers what the
 *     service usually runs at without paying for its peaks. The need of the
 *     observed load is recorded at every evaluation (floor_track) before the
 *     floor is read, so the hour just closed counts.
 *  7. Cooldown: a change within cooldown_s of the last action is refused.
 *  8. Buckets: a change is cut to floor(tokens) replicas.
 *  9. Clamp again (bounds beat the cooldown and the buckets), spend tokens,
 *     start the cooldown if desired != cur, and name the action; with no
 *     change and a usable forecast, the mean crossing cur's capacity after
 *     the window makes the action scale_up_prepared.
 *
 * Invariants of decide_state (decide_state_check):
 *  I1. hist_len <= DECIDE_HISTORY_MAX; hist_head < DECIDE_HISTORY_MAX.
 *  I2. Front to back, hist_ts is non-decreasing and hist_rec strictly
 *      decreasing (a monotonic deque: the front is the window maximum).
 *  I3. tokens are finite and >= 0.
 *  I4. floor_low and every floor_lows[i] are NaN (nothing observed) or
 *      finite and >= 0; floor_low is NaN while floor_hour is DECIDE_NEVER.
 * The state is written only at the end of a successful evaluation (a local
 * copy is worked on), so a failed call changes nothing.
 *
 * Transitions of decide_state:
 *   (none) ──decide_state_init──▶ fresh (buckets full, no history)
 *   any ──decide_evaluate (AUG_OK)──▶ refilled, history pushed/expired,
 *                                     tokens spent, last_action_s moved
 *   any ──decide_evaluate (error)──▶ unchanged
 */
#include "util/common.h"
#include "decide/decide.h"

/* Durations are bounded (about 3 years; times by DECIDE_TS_LIMIT) so that
 * sums of them cannot overflow int64. */
#define DUR_LIMIT INT64_C(100000000)
#define PATH_MAX_POINTS ((size_t)1000000)

/* ---------------------------------------------------------------- text */

typedef struct sbuf {
    char *p;
    size_t cap;
    size_t len;
    bool full; /* truncated once: later text is dropped */
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->full || b->len + 1 >= b->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    b->len += (size_t)n;
    if (b->len >= b->cap) {
        /* Truncated: never end inside a UTF-8 sequence ("→", "×"). */
        b->full = true;
        b->len = b->cap - 1;
        size_t i = b->len;
        while (i > 0 && ((unsigned char)b->p[i - 1] & 0xC0) == 0x80)
            i--;
        if (i > 0 && ((unsigned char)b->p[i - 1] & 0xC0) == 0xC0) {
            unsigned char lead = (unsigned char)b->p[i - 1];
            size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (b->len - (i - 1) < want)
                b->len = i - 1;
        }
        b->p[b->len] = '\0';
    }
}

/* "replica" for ±1, else "replicas". */
static const char *replicas_word(int64_t n)
{
    return n == 1 || n == -1 ? "replica" : "replicas";
}

typedef struct numstr {
    char s[40];
} numstr;

/* A number as people write it: 0, 2 or 1 decimals by size, trailing zeros
 * dropped ("70", "130.5", "0.84", "5000"). */
static numstr fmt_num(double x)
{
    numstr r;
    if (!isfinite(x)) {
        snprintf(r.s, sizeof r.s, "n/a");
        return r;
    }
    double a = fabs(x);
    if (a >= 1e15) {
        snprintf(r.s, sizeof r.s, "%.3g", x);
        return r;
    }
    int dec = a >= 1000 ? 0 : a >= 10 ? 1 : 2;
    snprintf(r.s, sizeof r.s, "%.*f", dec, x);
    if (strchr(r.s, '.') != NULL) {
        size_t n = strlen(r.s);
        while (n > 0 && r.s[n - 1] == '0')
            r.s[--n] = '\0';
        if (n > 0 && r.s[n - 1] == '.')
            r.s[--n] = '\0';
    }
    if (strcmp(r.s, "-0") == 0)
        snprintf(r.s, sizeof r.s, "0");
    return r;
}

static numstr fmt_pct(double fraction)
{
    numstr r, n = fmt_num(fraction * 100.0);
    snprintf(r.s, sizeof r.s, "%.30s%%", n.s);
    return r;
}

/* "45 s", "10 min", "2 min 30 s", "2 h 5 min", "1 d 3 h". */
static numstr fmt_dur(int64_t s)
{
    numstr r;
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(r.s, sizeof r.s, "%" PRId64 " s", s);
    else if (s < 3600 && s % 60 != 0)
        snprintf(r.s, sizeof r.s, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
    else if (s < 3600)
        snprintf(r.s, sizeof r.s, "%" PRId64 " min", s / 60);
    else if (s < 86400 && s % 3600 / 60 != 0)
        snprintf(r.s, sizeof r.s, "%" PRId64 " h %" PRId64 " min", s / 3600, s % 3600 / 60);
    else if (s < 86400)
        snprintf(r.s, sizeof r.s, "%" PRId64 " h", s / 3600);
    else if (s % 86400 / 3600 != 0)
        snprintf(r.s, sizeof r.s, "%" PRId64 " d %" PRId64 " h", s / 86400, s % 86400 / 3600);
    else
        snprintf(r.s, sizeof r.s, "%" PRId64 " d", s / 86400);
    return r;
}

/* Seconds as "50 ms" below one second, else "1.5 s". */
static numstr fmt_secs(double s)
{
    numstr r, n = fmt_num(s < 1.0 ? s * 1000.0 : s);
    snprintf(r.s, sizeof r.s, "%.30s %s", n.s, s < 1.0 ? "ms" : "s");
    return r;
}

/* ------------------------------------------------------------- params */

void decide_params_init(decide_params *p, decide_mode mode)
{
    *p = (decide_params){
        .mode = mode,
        .target = 0.7,
        .lead_time_s = 600,
        .window_s = 300,
        .margin = DECIDE_MARGIN_80,
        .min_replicas = 1,
        .max_replicas = 100,
        .up = {.capacity = 4, .per_minute = 4},
        .down = {.capacity = 1, .per_minute = 1},
        .stabilization_s = 300,
        .cooldown_s = 0,
        .max_error = 0.5,
        .tolerance_up = 0.1,
        .tolerance_down = 0.1,
        .floor_quantile = 0,
        .floor_window_s = 7 * 86400,
        .capacity_per_replica = 0,
        .service_time_s = 0.05,
        .target_latency_s = 0.5,
        .concurrency = 1,
    };
}

static bool dur_ok(int64_t d)
{
    return d >= 0 && d <= DUR_LIMIT;
}

static bool bucket_ok(decide_bucket b)
{
    return isfinite(b.capacity) && isfinite(b.per_minute) && b.per_minute >= 0 &&
           (b.capacity == 0 || (b.capacity >= 1 && b.capacity <= 1e9)) && b.per_minute <= 1e9;
}

aug_err decide_params_check(const decide_params *p, aug_errbuf *eb)
{
    if (p == NULL)
        return aug_errf(eb, AUG_EINVAL, "decide: no parameters");
    if (p->mode != DECIDE_MODE_UTILIZATION && p->mode != DECIDE_MODE_QUEUE)
        return aug_errf(eb, AUG_EINVAL, "decide: mode %d is neither utilization nor queue", (int)p->mode);
    if (!(p->target > 0 && p->target <= 1))
        return aug_errf(eb, AUG_EINVAL, "decide: target %g not in (0, 1]", p->target);
    if (!dur_ok(p->lead_time_s))
        return aug_errf(eb, AUG_EINVAL, "decide: lead_time %" PRId64 " s out of range", p->lead_time_s);
    if (!dur_ok(p->window_s))
        return aug_errf(eb, AUG_EINVAL, "decide: window %" PRId64 " s out of range", p->window_s);
    if (p->margin != DECIDE_MARGIN_NONE && p->margin != DECIDE_MARGIN_80 && p->margin != DECIDE_MARGIN_95)
        return aug_errf(eb, AUG_EINVAL, "decide: margin %d is not none, 80 or 95", (int)p->margin);
    if (p->min_replicas < 0)
        return aug_errf(eb, AUG_EINVAL, "decide: min_replicas %d < 0", (int)p->min_replicas);
    if (p->max_replicas < 1 || p->max_replicas < p->min_replicas)
        return aug_errf(eb, AUG_EINVAL, "decide: max_replicas %d < max(1, min_replicas %d)", (int)p->max_replicas,
                        (int)p->min_replicas);
    if (!bucket_ok(p->up))
        return aug_errf(eb, AUG_EINVAL, "decide: scale_up bucket {capacity %g, per_minute %g} invalid",
                        p->up.capacity, p->up.per_minute);
    if (!bucket_ok(p->down))
        return aug_errf(eb, AUG_EINVAL, "decide: scale_down bucket {capacity %g, per_minute %g} invalid",
                        p->down.capacity, p->down.per_minute);
    if (!dur_ok(p->stabilization_s))
        return aug_errf(eb, AUG_EINVAL, "decide: stabilization %" PRId64 " s out of range", p->stabilization_s);
    if (!dur_ok(p->cooldown_s))
        return aug_errf(eb, AUG_EINVAL, "decide: cooldown %" PRId64 " s out of range", p->cooldown_s);
    if (!(p->max_error >= 0 && isfinite(p->max_error)))
        return aug_errf(eb, AUG_EINVAL, "decide: max_error %g not finite and >= 0", p->max_error);
    if (!(p->tolerance_up >= 0 && p->tolerance_up < 1))
        return aug_errf(eb, AUG_EINVAL, "decide: tolerance_up %g not in [0, 1)", p->tolerance_up);
    if (!(p->tolerance_down >= 0 && p->tolerance_down < 1))
        return aug_errf(eb, AUG_EINVAL, "decide: tolerance_down %g not in [0, 1)", p->tolerance_down);
    if (!(p->floor_quantile >= 0 && p->floor_quantile <= 1))
        return aug_errf(eb, AUG_EINVAL, "decide: floor_quantile %g not in [0, 1]", p->floor_quantile);
    if (p->floor_quantile > 0 && (p->floor_window_s < 3600 || p->floor_window_s > DECIDE_FLOOR_HOURS * INT64_C(3600)))
        return aug_errf(eb, AUG_EINVAL, "decide: floor_window %" PRId64 " s not in [1 h, %d h]", p->floor_window_s,
                        DECIDE_FLOOR_HOURS);
    if (p->mode == DECIDE_MODE_UTILIZATION) {
        if (!(p->capacity_per_replica >= 0 && isfinite(p->capacity_per_replica)))
            return aug_errf(eb, AUG_EINVAL, "decide: capacity_per_replica %g not finite and >= 0",
                            p->capacity_per_replica);
        if (p->capacity_per_replica == 0 && p->min_replicas < 1)
            return aug_errf(eb, AUG_EINVAL,
                            "decide: min_replicas must be >= 1 when the load is a utilization (capacity_per_replica 0)");
    } else {
        if (!(p->service_time_s > 0 && isfinite(p->service_time_s)))
            return aug_errf(eb, AUG_EINVAL, "decide: service_time %g s not > 0", p->service_time_s);
        if (!(p->target_latency_s > 0 && isfinite(p->target_latency_s)))
            return aug_errf(eb, AUG_EINVAL, "decide: target_latency %g s not > 0", p->target_latency_s);
        if (!(p->concurrency > 0 && isfinite(p->concurrency)))
            return aug_errf(eb, AUG_EINVAL, "decide: concurrency %g not > 0", p->concurrency);
    }
    return AUG_OK;
}

/* -------------------------------------------------------------- state */

void decide_state_init(decide_state *st, const decide_params *p)
{
    memset(st, 0, sizeof *st);
    st->last_eval_s = DECIDE_NEVER;
    st->last_action_s = DECIDE_NEVER;
    st->tokens_up = p->up.capacity;
    st->tokens_down = p->down.capacity;
    st->floor_hour = DECIDE_NEVER;
    for (size_t i = 0; i < DECIDE_FLOOR_HOURS; i++)
        st->floor_lows[i] = NAN;
    st->floor_low = (double)NAN;
}

static uint32_t hist_at(const decide_state *st, uint32_t i)
{
    return (st->hist_head + i) % DECIDE_HISTORY_MAX;
}

bool decide_state_check(const decide_state *st)
{
    if (st->hist_len > DECIDE_HISTORY_MAX || st->hist_head >= DECIDE_HISTORY_MAX)
        return false;
    for (uint32_t i = 1; i < st->hist_len; i++) {
        uint32_t a = hist_at(st, i - 1), b = hist_at(st, i);
        if (st->hist_ts[a] > st->hist_ts[b] || st->hist_rec[a] <= st->hist_rec[b])
            return false;
    }
    if ((!isnan(st->floor_low) && !(isfinite(st->floor_low) && st->floor_low >= 0)) ||
        (st->floor_hour == DECIDE_NEVER && !isnan(st->floor_low)))
        return false;
    for (size_t i = 0; i < DECIDE_FLOOR_HOURS; i++)
        if (!isnan(st->floor_lows[i]) && !(isfinite(st->floor_lows[i]) && st->floor_lows[i] >= 0))
            return false;
    return isfinite(st->tokens_up) && st->tokens_up >= 0 && isfinite(st->tokens_down) && st->tokens_down >= 0;
}

/* Pushes rec at time t into the monotonic deque and returns the highest
 * recommendation in (t - window, t], rec included. */
static int32_t hist_push_max(decide_state *st, int64_t t, int64_t window, int32_t rec)
{
    while (st->hist_len > 0 && st->hist_ts[st->hist_head] <= t - window) {
        st->hist_head = (st->hist_head + 1) % DECIDE_HISTORY_MAX;
        st->hist_len--;
    }
    while (st->hist_len > 0 && st->hist_rec[hist_at(st, st->hist_len - 1)] <= rec)
        st->hist_len--;
    if (st->hist_len == DECIDE_HISTORY_MAX) {
        /* Full: the newest entry is higher than rec; let it live on to t. */
        st->hist_ts[hist_at(st, st->hist_len - 1)] = t;
    } else {
        uint32_t at = hist_at(st, st->hist_len);
        st->hist_ts[at] = t;
        st->hist_rec[at] = rec;
        st->hist_len++;
    }
    return st->hist_rec[st->hist_head];
}

static void bucket_refill(double *tokens, decide_bucket b, int64_t dt_s)
{
    if (b.capacity == 0 || dt_s <= 0)
        return;
    *tokens = AUG_MIN(b.capacity, *tokens + b.per_minute * (double)dt_s / 60.0);
}

/* ---------------------------------------------------------- decision */

const char *decide_action_name(decide_action a)
{
    static const char *const names[DECIDE_ACTION__COUNT] = {
        [DECIDE_HOLD] = "hold",
        [DECIDE_SCALE_UP_NOW] = "scale_up_now",
        [DECIDE_SCALE_UP_PREPARED] = "scale_up_prepared",
        [DECIDE_SCALE_DOWN] = "scale_down",
    };
    if ((int)a < 0 || a >= DECIDE_ACTION__COUNT)
        return "?";
    return names[a];
}

static double bound_of(const decide_point *pt, decide_margin m)
{
    switch (m) {
    case DECIDE_MARGIN_80:
        return pt->hi80;
    case DECIDE_MARGIN_95:
        return pt->hi95;
    case DECIDE_MARGIN_NONE:
    default:
        return pt->mean;
    }
}

static const char *bound_name(decide_margin m)
{
    return m == DECIDE_MARGIN_80 ? "upper-80" : m == DECIDE_MARGIN_95 ? "upper-95" : "mean";
}

int32_t decide_ceil_replicas(double x)
{
    if (!(x > 0))
        return 0;
    double c = ceil(x - 1e-9 * AUG_MAX(1.0, x));
    if (c >= (double)INT32_MAX)
        return INT32_MAX;
    return c < 0 ? 0 : (int32_t)c;
}

size_t decide_gate_horizon(const int64_t *horizon_s, size_t n, int64_t lead_time_s)
{
    for (size_t i = 0; i < n; i++)
        if (horizon_s[i] >= lead_time_s)
            return i;
    return n - 1;
}

int32_t decide_clamp_replicas(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Everything one evaluation works with. */
typedef struct eval {
    const decide_params *p;
    const decide_input *in;
    const decide_forecast_path *fc;
    int32_t cur;
    int64_t t;           /* state time: max(now, last_eval) */
    double svc;          /* service time in use (queue) */
    double backlog_need; /* queue: replicas to drain the backlog within target latency */

    /* gate */
    bool use_fc;
    char gate_why[120];
    /* forecast window, as point indexes (use_fc only) */
    size_t w_first, w_last; /* W: provisioned for by scale-up */
    size_t h_last;          /* last point not after now+lead+window (or w_last) */
    double up_load;         /* max bound over W */
    int64_t up_at;          /* its time offset from now */
    double hold_load;       /* max bound over [now, h_last] and observed */
    double hold_fc;         /* the same without the observed load (for the reason) */
    double peak;            /* max bound over the whole path, NaN if none */
    /* early start (find_early; valid when early) */
    bool early;
    double early_need;      /* replicas needed now for the ramp, before rounding */
    double early_load;      /* the bound that needs it */
    int64_t early_at;       /* its offset from now */
    double early_add;       /* replicas one later evaluation may add */
    double early_point_need;/* need at early_at, at most max_replicas */
    int64_t early_every;    /* seconds between evaluations that may act (step, or the cooldown rounded up to steps) */

    double need_up, need_hold;
    int32_t rec, recc, stab, fin;
    /* scale-down floor (p->floor_quantile > 0) */
    int32_t floor;        /* replicas, clamped; -1: none (no hour with data yet) */
    double floor_need;    /* the quantile of the hourly lows */
    int32_t floor_from;   /* the scale-down target it stopped (DECIDE_LIMIT_FLOOR) */
    uint32_t limits;
    int64_t since;        /* seconds since the last action (INT64_MAX: never) */
    int32_t bucket_allow; /* replicas the bucket allowed when it cut */
    double bucket_tokens; /* tokens before spending, for the reason */
    /* prepared */
    bool prepared;
    int64_t prep_at;     /* offset of the first crossing */
    double prep_load;    /* highest mean after the window */
    int64_t prep_peak_at;/* its offset */
    int32_t prep_need;
} eval;

static int64_t point_t(const decide_forecast_path *fc, size_t i)
{
    return fc->origin_s + (int64_t)(i + 1) * fc->step_s;
}

/* Load → replicas needed at the target, before rounding. */
static double need_of(const eval *e, double load, bool with_backlog)
{
    const decide_params *p = e->p;
    if (!(load > 0))
        load = 0;
    if (p->mode == DECIDE_MODE_QUEUE)
        return load * e->svc / p->target / p->concurrency + (with_backlog ? e->backlog_need : 0);
    if (p->capacity_per_replica > 0)
        return load / (p->capacity_per_replica * p->target);
    return (double)e->cur * load / p->target;
}

/* ------------------------------------------------- scale-down floor */

int64_t decide_floor_hour(int64_t t)
{
    return t >= 0 ? t / 3600 : -((-t + 3599) / 3600);
}

/* Adds `need` (NaN: nothing observed) to the hour of t, first closing the
 * hours before it: their lows shift into floor_lows, hours without an
 * evaluation become NaN. t never goes backwards (step 1). */
static void floor_track(decide_state *s, int64_t t, double need)
{
    int64_t h = decide_floor_hour(t);
    if (s->floor_hour != DECIDE_NEVER && h > s->floor_hour) {
        int64_t gap = h - s->floor_hour;
        size_t shift = gap < DECIDE_FLOOR_HOURS ? (size_t)gap : DECIDE_FLOOR_HOURS;
        memmove(s->floor_lows + shift, s->floor_lows, (DECIDE_FLOOR_HOURS - shift) * sizeof *s->floor_lows);
        for (size_t i = 0; i < shift; i++)
            s->floor_lows[i] = NAN;
        if (gap <= DECIDE_FLOOR_HOURS)
            s->floor_lows[gap - 1] = (float)s->floor_low;
        s->floor_low = (double)NAN;
    }
    if (s->floor_hour == DECIDE_NEVER || h > s->floor_hour)
        s->floor_hour = h;
    /* Capped so that it always fits a float; a need that high is far above
     * any max_replicas anyway. */
    if (!isnan(need)) {
        need = AUG_MIN(need, (double)INT32_MAX); /* an overflow to +inf is a huge need, not "none" */
        if (isnan(s->floor_low) || need < s->floor_low)
            s->floor_low = need;
    }
}

/* The k-th smallest (0-based) of v[0..n), no NaN in it, reordering v
 * (Hoare's selection as Wirth writes it): linear on average, where sorting
 * the 336 hours at every evaluation cost 10 us (bench_decide). */
static float kth_smallest(float *v, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float x = v[k];
        int i = lo, j = hi;
        do {
            while (v[i] < x)
                i++;
            while (x < v[j])
                j--;
            if (i <= j) {
                float t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        } while (i <= j);
        if (j < k)
            lo = i;
        if (k < i)
            hi = j;
    }
    return v[k];
}

/* The floor_quantile-quantile of the closed hours' lows within the floor
 * window: the smallest low with at least that share of the hours at or
 * below it (so 0.5 of 168 hours is the 84th smallest). NaN with no hour. */
static double floor_need(const decide_state *s, const decide_params *p)
{
    float v[DECIDE_FLOOR_HOURS];
    int n = 0, w = (int)AUG_MIN(p->floor_window_s / 3600, (int64_t)DECIDE_FLOOR_HOURS);
    for (int i = 0; i < w; i++)
        if (!isnan(s->floor_lows[i]))
            v[n++] = s->floor_lows[i];
    if (n == 0)
        return (double)NAN;
    int k = (int)ceil(p->floor_quantile * (double)n - 1e-9);
    return (double)kth_smallest(v, n, AUG_MAX(k, 1) - 1);
}

/* Step 2: decides whether the forecast is used and finds the window. */
static void gate_forecast(eval *e)
{
    const decide_params *p = e->p;
    const decide_forecast_path *fc = e->fc;
    int64_t now = e->in->now_s, t_lo = now + p->lead_time_s, t_hi = t_lo + p->window_s;
    e->use_fc = false;
    e->peak = (double)NAN;
    if (fc == NULL || fc->n == 0) {
        snprintf(e->gate_why, sizeof e->gate_why, "no forecast");
        return;
    }
    if (fc->model == DECIDE_MODEL_COLD) {
        snprintf(e->gate_why, sizeof e->gate_why, "model in cold start");
        return;
    }
    if (p->max_error > 0 && fc->recent_error > p->max_error) {
        snprintf(e->gate_why, sizeof e->gate_why, "recent forecast error %s > %s", fmt_pct(fc->recent_error).s,
                 fmt_pct(p->max_error).s);
        return;
    }
    size_t n = fc->n, first = n, last = n;
    for (size_t i = 0; i < n; i++) {
        int64_t ti = point_t(fc, i);
        if (ti >= t_lo && ti <= t_hi) {
            if (first == n)
                first = i;
            last = i;
        }
    }
    if (first == n) {
        /* No point inside W (window narrower than the step): the first
         * point at or after now + lead stands for it. */
        for (size_t i = 0; i < n && first == n; i++)
            if (point_t(fc, i) >= t_lo)
                first = last = i;
    }
    if (first == n) {
        snprintf(e->gate_why, sizeof e->gate_why, "forecast ends at +%s, before the %s lead time",
                 fmt_dur(point_t(fc, n - 1) - now).s, fmt_dur(p->lead_time_s).s);
        return;
    }
    e->w_first = first;
    e->w_last = last;
    e->h_last = last;
    while (e->h_last + 1 < n && point_t(fc, e->h_last + 1) <= t_hi)
        e->h_last++;
    e->up_load = -(double)INFINITY;
    e->hold_load = -(double)INFINITY;
    for (size_t i = 0; i <= e->h_last; i++) {
        int64_t ti = point_t(fc, i);
        if (ti < now)
            continue;
        double b = bound_of(&fc->points[i], p->margin);
        if (!isfinite(b)) {
            snprintf(e->gate_why, sizeof e->gate_why, "forecast not finite at +%s", fmt_dur(ti - now).s);
            return;
        }
        if (i >= first && b > e->up_load) {
            e->up_load = b;
            e->up_at = ti - now;
        }
        e->hold_load = AUG_MAX(e->hold_load, b);
    }
    e->hold_fc = e->hold_load;
    if (isfinite(e->in->observed))
        e->hold_load = AUG_MAX(e->hold_load, e->in->observed);
    for (size_t i = 0; i < n; i++) {
        double b = bound_of(&fc->points[i], p->margin);
        if (point_t(fc, i) >= now && isfinite(b) && !(b <= e->peak))
            e->peak = b;
    }
    e->use_fc = true;
}

/* Step 3, early start (design note 3): the highest need(t_i) - K × a over
 * the points after the window, when it exceeds the window's need. */
static void find_early(eval *e)
{
    const decide_params *p = e->p;
    const decide_forecast_path *fc = e->fc;
    e->early = false;
    if (!e->use_fc || p->up.capacity <= 0)
        return;
    /* A cooldown longer than the step lets only every ceil(cooldown / step)-th
     * evaluation act. */
    int64_t every = fc->step_s;
    if (p->cooldown_s > every)
        every *= (p->cooldown_s + fc->step_s - 1) / fc->step_s;
    double add = AUG_MIN(p->up.capacity, p->up.per_minute * (double)every / 60.0);
    int64_t ready_by = e->in->now_s + p->lead_time_s;
    double best = e->need_up;
    for (size_t i = e->w_last + 1; i < fc->n; i++) {
        double b = bound_of(&fc->points[i], p->margin);
        if (!isfinite(b))
            continue;
        /* More than max_replicas is never asked for, so the ramp aims at the
         * clamped need (a far peak above max would start it too soon). */
        double at = AUG_MIN(need_of(e, b, false), (double)p->max_replicas);
        int64_t later = (point_t(fc, i) - ready_by) / every;
        double need = at - (double)later * add;
        if (need > best) {
            best = need;
            e->early = true;
            e->early_load = b;
            e->early_at = point_t(fc, i) - e->in->now_s;
            e->early_point_need = at;
        }
    }
    if (e->early) {
        e->early_need = best;
        e->early_add = add;
        e->early_every = every;
        e->need_up = best;
        e->need_hold = AUG_MAX(e->need_hold, best);
        e->limits |= DECIDE_LIMIT_EARLY;
    }
}

/* Step 9 (no change): does the mean cross cur's capacity after the window? */
static void check_prepared(eval *e)
{
    const decide_params *p = e->p;
    const decide_forecast_path *fc = e->fc;
    if (!e->use_fc || e->recc > e->cur || e->cur >= p->max_replicas)
        return;
    double limit = (double)e->cur * (1 + p->tolerance_up), best = -(double)INFINITY;
    for (size_t i = e->h_last + 1; i < fc->n; i++) {
        double m = fc->points[i].mean;
        if (!isfinite(m) || !(need_of(e, m, false) > limit))
            continue;
        if (!e->prepared) {
            e->prepared = true;
            e->prep_at = point_t(fc, i) - e->in->now_s;
        }
        if (m > best) {
            best = m;
            e->prep_peak_at = point_t(fc, i) - e->in->now_s;
        }
    }
    if (e->prepared) {
        e->prep_load = best;
        e->prep_need = decide_clamp_replicas(decide_ceil_replicas(need_of(e, best, false)), p->min_replicas, p->max_replicas);
    }
}

static aug_err check_input(const decide_input *in, aug_errbuf *eb)
{
    if (in == NULL)
        return aug_errf(eb, AUG_EINVAL, "decide: no input");
    if (in->now_s < -DECIDE_TS_LIMIT || in->now_s > DECIDE_TS_LIMIT)
        return aug_errf(eb, AUG_EINVAL, "decide: now %" PRId64 " out of range", in->now_s);
    if (in->current_replicas < 0)
        return aug_errf(eb, AUG_EINVAL, "decide: current replicas %d < 0", (int)in->current_replicas);
    if (isinf(in->observed) || in->observed < 0)
        return aug_errf(eb, AUG_EINVAL, "decide: observed load %g not finite and >= 0", in->observed);
    if (!(in->queue_length >= 0 && isfinite(in->queue_length)))
        return aug_errf(eb, AUG_EINVAL, "decide: queue length %g not finite and >= 0", in->queue_length);
    if (!(in->service_time_s >= 0 && isfinite(in->service_time_s)))
        return aug_errf(eb, AUG_EINVAL, "decide: service time %g s not finite and >= 0", in->service_time_s);
    const decide_forecast_path *fc = in->fc;
    if (fc != NULL && fc->n > 0) {
        if (fc->points == NULL || fc->n > fc->cap || fc->n > PATH_MAX_POINTS)
            return aug_errf(eb, AUG_EINVAL, "decide: forecast path has %zu points, capacity %zu", fc->n, fc->cap);
        if (fc->step_s <= 0 || fc->step_s > DUR_LIMIT)
            return aug_errf(eb, AUG_EINVAL, "decide: forecast step %" PRId64 " s out of range", fc->step_s);
        if (fc->origin_s < -DECIDE_TS_LIMIT || fc->origin_s > DECIDE_TS_LIMIT)
            return aug_errf(eb, AUG_EINVAL, "decide: forecast origin %" PRId64 " out of range", fc->origin_s);
        if ((int)fc->model < DECIDE_MODEL_COLD || fc->model > DECIDE_MODEL_READY)
            return aug_errf(eb, AUG_EINVAL, "decide: forecast model state %d unknown", (int)fc->model);
    }
    return AUG_OK;
}

/* ------------------------------------------------------------- reason */

static void reason_load(sbuf *b, const eval *e, double load)
{
    if (e->p->mode == DECIDE_MODE_UTILIZATION && e->p->capacity_per_replica == 0)
        sb_printf(b, "%s", fmt_pct(load).s);
    else
        sb_printf(b, "%s", fmt_num(load).s);
}

static void reason_core(sbuf *b, const eval *e, bool down)
{
    const decide_params *p = e->p;
    const decide_input *in = e->in;
    bool frac = p->mode == DECIDE_MODE_UTILIZATION && p->capacity_per_replica == 0;
    const char *rate = p->mode == DECIDE_MODE_QUEUE ? "/s" : "";
    const char *sep = "";

    if (p->mode == DECIDE_MODE_QUEUE) {
        sb_printf(b, "queue %s, arrivals ", fmt_num(in->queue_length).s);
        if (isfinite(in->observed)) {
            sb_printf(b, "%s/s now", fmt_num(in->observed).s);
            sep = ", ";
        }
    } else if (isfinite(in->observed)) {
        sb_printf(b, "%s ", frac ? "utilization" : "load");
        reason_load(b, e, in->observed);
        sb_printf(b, " now");
        sep = ", ";
    }
    if (e->use_fc) {
        sb_printf(b, "%s%s forecast ", sep, bound_name(p->margin));
        if (down) {
            sb_printf(b, "at most ");
            reason_load(b, e, e->hold_fc);
            sb_printf(b, "%s until +%s", rate, fmt_dur(p->lead_time_s + p->window_s).s);
        } else {
            reason_load(b, e, e->up_load);
            sb_printf(b, "%s at +%s", rate, fmt_dur(e->up_at).s);
            if (p->mode == DECIDE_MODE_QUEUE && in->observed > 0)
                sb_printf(b, " (×%s)", fmt_num(e->up_load / in->observed).s);
        }
    }
    if (p->mode == DECIDE_MODE_QUEUE) {
        double conf = p->service_time_s;
        if (in->service_time_s > 0 && fabs(in->service_time_s / conf - 1) > 0.1)
            sb_printf(b, ", service time %s (configured %s)", fmt_secs(e->svc).s, fmt_secs(conf).s);
        else
            sb_printf(b, ", service time %s steady", fmt_secs(e->svc).s);
    } else if (frac) {
        sb_printf(b, " over %d replicas, target %s", (int)e->cur, fmt_pct(p->target).s);
    } else {
        sb_printf(b, "; %d replicas carry %s at %s target", (int)e->cur,
                  fmt_num((double)e->cur * p->capacity_per_replica * p->target).s, fmt_pct(p->target).s);
    }
}

static void build_reason(const eval *e, decide_output *out)
{
    const decide_params *p = e->p;
    sbuf b = {out->reason, sizeof out->reason, 0, false};
    out->reason[0] = '\0';
    bool fallback = !e->use_fc;
    bool no_data = fallback && !isfinite(e->in->observed);

    if (fallback)
        sb_printf(&b, "%s → reactive rule: ", e->gate_why);
    else if (e->fc->model == DECIDE_MODEL_WARMING)
        sb_printf(&b, "model warming: ");
    if (no_data) {
        sb_printf(&b, "no observed load");
    } else {
        bool down = e->recc < e->cur && !fallback;
        reason_core(&b, e, down);
    }

    /* The need and the outcome. */
    double need = out->need;
    sb_printf(&b, " → ");
    if (p->mode == DECIDE_MODE_QUEUE && !no_data)
        sb_printf(&b, "%s needed (%s for arrivals + %s for backlog): ", fmt_num(need).s,
                  fmt_num(need - e->backlog_need).s, fmt_num(e->backlog_need).s);
    int32_t d = e->fin - e->cur;
    const char *wait = p->mode == DECIDE_MODE_QUEUE ? " to keep wait < " : "";
    numstr latency = fmt_secs(p->target_latency_s);
    const char *lat = p->mode == DECIDE_MODE_QUEUE ? latency.s : "";
    if (d > 0) {
        sb_printf(&b, "+%d %s (%d → %d)%s%s", (int)d, replicas_word(d), (int)e->cur, (int)e->fin, wait, lat);
        if (p->lead_time_s > 0)
            sb_printf(&b, ", ready by +%s", fmt_dur(p->lead_time_s).s);
    } else if (d < 0) {
        sb_printf(&b, "-%d %s (%d → %d)%s%s", (int)-d, replicas_word(d), (int)e->cur, (int)e->fin, wait, lat);
    } else {
        sb_printf(&b, "hold %d %s", (int)e->cur, replicas_word(e->cur));
    }

    /* Only when the early start's need is the one that decided (not, say, a
     * scale-down held by the load observed now). */
    if (e->early && out->need == e->early_need) {
        sb_printf(&b, "; early start: %s forecast ", bound_name(p->margin));
        reason_load(&b, e, e->early_load);
        sb_printf(&b, "%s at +%s needs %s, the scale-up limit adds at most %s per %s, so %s now",
                  p->mode == DECIDE_MODE_QUEUE ? "/s" : "", fmt_dur(e->early_at).s, fmt_num(e->early_point_need).s,
                  fmt_num(e->early_add).s, fmt_dur(e->early_every).s, fmt_num(e->early_need).s);
    }
    /* Why the outcome differs from ceil(need). */
    if (e->limits & DECIDE_LIMIT_TOLERANCE)
        sb_printf(&b, "; %s needed is within the %s tolerance", fmt_num(need).s,
                  fmt_pct(need > (double)e->cur ? p->tolerance_up : p->tolerance_down).s);
    if (e->limits & DECIDE_LIMIT_MAX)
        sb_printf(&b, "; capped at max %d", (int)p->max_replicas);
    if (e->limits & DECIDE_LIMIT_MIN)
        sb_printf(&b, "; raised to min %d", (int)p->min_replicas);
    if (e->limits & DECIDE_LIMIT_STABILIZED)
        sb_printf(&b, "; scale-down to %d held at %d: highest recommendation in the last %s", (int)e->recc,
                  (int)(e->limits & DECIDE_LIMIT_FLOOR ? e->floor_from : e->stab), fmt_dur(p->stabilization_s).s);
    if (e->limits & DECIDE_LIMIT_FLOOR) {
        sb_printf(&b, "; floor %d (the ", (int)e->floor);
        if (p->floor_quantile == 0.5)
            sb_printf(&b, "median");
        else
            sb_printf(&b, "p%s", fmt_num(p->floor_quantile * 100).s);
        sb_printf(&b, " hour of the last %s needed at least %s): scale-down to %d held at %d", fmt_dur(p->floor_window_s).s,
                  fmt_num(e->floor_need).s, (int)e->floor_from, (int)e->stab);
    }
    if (e->limits & DECIDE_LIMIT_COOLDOWN)
        sb_printf(&b, "; wanted %d, but the last action was %s ago (cooldown %s)", (int)e->stab,
                  fmt_dur(e->since).s, fmt_dur(p->cooldown_s).s);
    if (e->limits & (DECIDE_LIMIT_BUCKET_UP | DECIDE_LIMIT_BUCKET_DOWN)) {
        bool up = (e->limits & DECIDE_LIMIT_BUCKET_UP) != 0;
        const decide_bucket *bk = up ? &p->up : &p->down;
        numstr tok = fmt_num(e->bucket_tokens);
        sb_printf(&b, "; wanted %s%d, the scale-%s budget allows %d (%s %s, refill %s/min)", up ? "+" : "-",
                  (int)(up ? e->stab - e->cur : e->cur - e->stab), up ? "up" : "down", (int)e->bucket_allow, tok.s,
                  strcmp(tok.s, "1") == 0 ? "token" : "tokens", fmt_num(bk->per_minute).s);
    }
    if (e->prepared) {
        sb_printf(&b, "; mean forecast outgrows %d %s at +%s (peak ", (int)e->cur, replicas_word(e->cur),
                  fmt_dur(e->prep_at).s);
        reason_load(&b, e, e->prep_load);
        sb_printf(&b, "%s at +%s): prepare +%d (%d %s)", p->mode == DECIDE_MODE_QUEUE ? "/s" : "",
                  fmt_dur(e->prep_peak_at).s, (int)(e->prep_need - e->cur), (int)e->prep_need,
                  replicas_word(e->prep_need));
    }
}

/* ------------------------------------------------------------ evaluate */

aug_err decide_evaluate(const decide_params *p, decide_state *st, const decide_input *in, decide_output *out,
                        aug_errbuf *eb)
{
    aug_err err = decide_params_check(p, eb);
    if (err != AUG_OK)
        return err;
    if (st == NULL || out == NULL)
        return aug_errf(eb, AUG_EINVAL, "decide: no state or output");
    if ((err = check_input(in, eb)) != AUG_OK)
        return err;
    if (!decide_state_check(st))
        return aug_errf(eb, AUG_EINVAL, "decide: state fails its invariants");

    decide_state s = *st;
    eval e = {.p = p, .in = in, .fc = in->fc, .cur = in->current_replicas};

    /* 1. time and refill */
    e.t = in->now_s;
    if (s.last_eval_s != DECIDE_NEVER) {
        if (e.t < s.last_eval_s)
            e.t = s.last_eval_s;
        bucket_refill(&s.tokens_up, p->up, e.t - s.last_eval_s);
        bucket_refill(&s.tokens_down, p->down, e.t - s.last_eval_s);
    }
    s.last_eval_s = e.t;

    e.svc = in->service_time_s > 0 ? in->service_time_s : p->service_time_s;
    if (p->mode == DECIDE_MODE_QUEUE)
        e.backlog_need = in->queue_length / p->target_latency_s * e.svc / p->concurrency;

    /* The floor learns the load observed now before it is read, so the hour
     * just closed counts. */
    if (p->floor_quantile > 0)
        floor_track(&s, e.t, isfinite(in->observed) ? need_of(&e, in->observed, false) : (double)NAN);

    /* 2-3. gate and need */
    gate_forecast(&e);
    if (e.use_fc) {
        e.need_up = need_of(&e, e.up_load, true);
        e.need_hold = need_of(&e, e.hold_load, true);
        find_early(&e);
    } else if (isfinite(in->observed)) {
        e.need_up = e.need_hold = need_of(&e, in->observed, true);
    } else {
        e.need_up = e.need_hold = (double)e.cur; /* no data: hold */
    }

    /* 4. tolerance. An early start is sized to the replica: the tolerance
     * would make the ramp skip steps and arrive short. */
    bool up = e.need_up > (double)e.cur * (1 + p->tolerance_up) ||
              ((e.limits & DECIDE_LIMIT_EARLY) && decide_ceil_replicas(e.need_up) > e.cur);
    bool down = !up && e.need_hold < (double)e.cur * (1 - p->tolerance_down);
    /* The need that speaks for the outcome: the window's for a scale-up,
     * the hold range's for a scale-down, else the side that came closest. */
    double need = up ? e.need_up : down || e.need_hold < (double)e.cur ? e.need_hold : e.need_up;
    e.rec = up || down ? decide_ceil_replicas(need) : e.cur;
    if (!up && !down && decide_ceil_replicas(need) != e.cur)
        e.limits |= DECIDE_LIMIT_TOLERANCE;

    /* 5. clamp */
    e.recc = decide_clamp_replicas(e.rec, p->min_replicas, p->max_replicas);

    /* 6. stabilize */
    int32_t win_max = hist_push_max(&s, e.t, p->stabilization_s, e.recc);
    if (e.recc > e.cur) {
        e.stab = e.recc;
    } else {
        e.stab = AUG_MIN(e.cur, win_max);
        if (e.stab > e.recc)
            e.limits |= DECIDE_LIMIT_STABILIZED;
    }

    /* 6b. floor: a scale-down stops at it; it never scales up by itself */
    e.floor = -1;
    if (p->floor_quantile > 0) {
        e.floor_need = floor_need(&s, p);
        if (!isnan(e.floor_need)) {
            e.floor = decide_clamp_replicas(decide_ceil_replicas(e.floor_need), p->min_replicas, p->max_replicas);
            int32_t stop = AUG_MIN(e.cur, e.floor);
            if (e.stab < e.cur && stop > e.stab) {
                e.floor_from = e.stab;
                e.stab = stop;
                e.limits |= DECIDE_LIMIT_FLOOR;
            }
        }
    }

    /* 7-8. cooldown, buckets */
    e.fin = e.stab;
    e.since = s.last_action_s == DECIDE_NEVER ? INT64_MAX : e.t - s.last_action_s;
    if (e.stab != e.cur && e.since < p->cooldown_s) {
        e.fin = e.cur;
        e.limits |= DECIDE_LIMIT_COOLDOWN;
    } else if (e.stab > e.cur && p->up.capacity > 0) {
        e.bucket_tokens = s.tokens_up;
        e.bucket_allow = (int32_t)floor(s.tokens_up + 1e-9);
        if (e.stab - e.cur > e.bucket_allow) {
            e.fin = e.cur + e.bucket_allow;
            e.limits |= DECIDE_LIMIT_BUCKET_UP;
        }
    } else if (e.stab < e.cur && p->down.capacity > 0) {
        e.bucket_tokens = s.tokens_down;
        e.bucket_allow = (int32_t)floor(s.tokens_down + 1e-9);
        if (e.cur - e.stab > e.bucket_allow) {
            e.fin = e.cur - e.bucket_allow;
            e.limits |= DECIDE_LIMIT_BUCKET_DOWN;
        }
    }

    /* 9. clamp again, spend, act */
    int32_t before = e.fin;
    e.fin = decide_clamp_replicas(e.fin, p->min_replicas, p->max_replicas);
    if (e.recc != e.rec)
        e.limits |= e.rec > p->max_replicas ? DECIDE_LIMIT_MAX : DECIDE_LIMIT_MIN;
    if (e.fin != before)
        e.limits |= before > p->max_replicas ? DECIDE_LIMIT_MAX : DECIDE_LIMIT_MIN;
    if (e.fin > e.cur && p->up.capacity > 0)
        s.tokens_up = AUG_MAX(0.0, s.tokens_up - (double)(e.fin - e.cur));
    if (e.fin < e.cur && p->down.capacity > 0)
        s.tokens_down = AUG_MAX(0.0, s.tokens_down - (double)(e.cur - e.fin));

    decide_action action = DECIDE_HOLD;
    if (e.fin > e.cur) {
        action = DECIDE_SCALE_UP_NOW;
    } else if (e.fin < e.cur) {
        action = DECIDE_SCALE_DOWN;
    } else {
        check_prepared(&e);
        if (e.prepared)
            action = DECIDE_SCALE_UP_PREPARED;
    }
    if (e.fin != e.cur)
        s.last_action_s = e.t;

    *out = (decide_output){
        .desired = e.fin,
        .action = action,
        .fell_back = !e.use_fc,
        .limits = e.limits,
        .need = need,
        .recommended = e.recc,
        .floor = e.floor,
        .predicted_peak = e.use_fc ? e.peak : in->observed,
    };
    build_reason(&e, out);
    *st = s;
    return AUG_OK;
}
