/* model.c — the forecast engine: time grid, member ensemble, out-of-sample
 * error tracking, combination, calibrated intervals, states, refit.
 *
 * Invariants (checked by fc_model_decode for stored models):
 *  1. has_first == 0 means nothing was fed: every counter is 0.
 *  2. k_start <= k_last; slots k_last-cap+1 .. k_last of the run are in hist
 *     (NaN = missing); members only read slots >= max(k_start, k-cap+1).
 *  3. For each bucket b the pending list holds cnt[b] <= FC_PEND forecasts
 *     made at origins k (k % stride[b] == 0), oldest first, for targets
 *     k + origin_lead(b, k) with lead_lo[b] <= lead <= lead[b]; every target
 *     is > k_last.
 *  4. Member i forecasts are stored (and its errors tracked) only if i is in
 *     the pool or is the naive fallback; other members are never updated.
 *  5. n_obs >= n_run; next_refit > 0.
 *
 * Tracking. Lead times are grouped in buckets (1, 2, 3-4, 5-8, ... doubling,
 * the last one ending at max_horizon). After each observed slot that is an
 * origin of bucket b (every ceil(lead[b]/8) slots) every updated member and
 * the combination forecast one lead of the bucket, cycling through its
 * leads from origin to origin, so a bucket's statistics describe its whole
 * range (an exact lead such as one day would flatter the naive forecast on
 * a daily series: at one period naive equals seasonal naive). When the target
 * slot arrives the absolute error feeds a discounted mean per member and
 * bucket (half-life two days of slots), and the combination's signed error
 * feeds a ring of the last FC_ERRN per bucket. Errors are therefore always
 * out of sample, at the lead time they describe.
 *
 * Combination (fc_cfg.pool, FC_COMBINE_*). At bucket b a member is eligible
 * once it has FC_WMIN errors there. Its score is its discounted MAE at b
 * times rho = max(1, median of its last 3 lead-1 errors / (3 x its lead-1
 * MAE over a 4x longer half-life)): a member whose short-lead error just
 * jumped (a level shift it did not follow) is distrusted at every lead
 * before its long-lead errors can show it, and stays distrusted while it
 * keeps missing. Weighted:
 * w ∝ (best/score)^2 for scores within 2x of the best. Select: the best.
 * With no eligible member the next shorter bucket decides; at lead 1 the
 * naive forecast is the fallback. Between the buckets' mid leads, weights
 * and quantiles are interpolated linearly.
 *
 * Intervals. Quantiles 2.5/10/50/90/97.5% of the bucket's error ring
 * (Hyndman-Fan type 6, unbiased coverage for exchangeable errors) are added
 * to the combined forecast. After a refit's replay, the ring keeps only the
 * errors of forecasts issued once the bucket had a member with FC_WMIN
 * errors of its own (at least the newest FC_NMIN): the earlier ones come
 * from members still warming up (drop_warmup_errors). A bucket with fewer
 * than FC_NMIN errors borrows the nearest shorter bucket's quantiles scaled
 * by sqrt(mid-lead ratio) x 1.25; with none at all (cold) the spread of the
 * data seen is used, x 1.5.
 *
 * Outliers. A point whose error against the combined lead-1 forecast is over
 * FC_OUT_C times that forecast's lead-1 MAE is flagged in a bit per history
 * slot; the seasonal naive member skips flagged slots, so an isolated spike
 * is not repeated a day later. When shift_m flagged points in a row have the
 * same sign they are a level shift, not outliers, and their flags are
 * cleared. A point flagged at the slot one season after a flagged one that
 * was off the same way by a like amount (within 3x, both measured from the
 * new point's forecast) clears both flags: a burst that recurs at its time
 * of day is the season.
 * The other members have their own robust filter (members.c).
 *
 * States and transitions (computed by state_of from the counters, never
 * stored):
 *   cold    -> warming  fc_model_update: the lead-1 bucket has FC_NMIN errors
 *   warming -> ready    fc_model_update: two seasonal cycles seen in this run and
 *                       every bucket has FC_NMIN errors
 *   any     -> cold     fc_model_update: a gap longer than the history
 *                       (fc_model_reset_run)
 *   ready/warming stay  fc_model_refit (replays the same history)
 */
#include "util/common.h"

#include "forecast/fc_impl.h"
#include "util/assert.h"
#include "util/mem.h"

#define FC_WMIN 8     /* errors a member needs at a bucket before it is used there */
#define FC_RHO_C 3.0  /* recent lead-1 error over this many long-run MAEs = distrust */
#define FC_OUT_C 5.0  /* a point this many lead-1 MAEs off the combined forecast is an outlier */
#define FC_NMIN 16    /* combined errors a bucket needs for its own quantiles */
#define FC_MAX_V 1e100
#define FC_MAX_TS (INT64_C(1) << 40)
#define NQ 5

static const double qprob[NQ] = {0.025, 0.10, 0.50, 0.90, 0.975};

/* ------------------------------------------------------------------ names */

const char *fc_state_name(fc_state s)
{
    switch (s) {
    case FC_COLD:
        return "cold";
    case FC_WARMING:
        return "warming";
    case FC_READY:
        return "ready";
    }
    return "?";
}

static const char *const kind_names[FC_KIND_COUNT] = {"auto", "naive", "lmed", "snaive", "hw", "fourier"};

const char *fc_kind_name(fc_kind k)
{
    if ((int)k < 0 || k >= FC_KIND_COUNT)
        return "?";
    return kind_names[k];
}

aug_err fc_kind_parse(const char *s, fc_kind *out)
{
    for (int i = 0; i < FC_KIND_COUNT; i++) {
        if (s != NULL && strcmp(s, kind_names[i]) == 0) {
            *out = (fc_kind)i;
            return AUG_OK;
        }
    }
    return AUG_EINVAL;
}

/* ------------------------------------------------------------- parameters */

void fc_params_default(fc_params *p, int64_t step_s, int32_t max_horizon)
{
    memset(p, 0, sizeof *p);
    p->step_s = step_s;
    p->max_horizon = max_horizon;
    p->season_s = FC_SEASON_DAY;
    p->kind = FC_AUTO;
    p->combine = FC_COMBINE_WEIGHTED;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

aug_err fc_cfg_derive(const fc_params *p, fc_params *norm, fc_cfg *c, aug_errbuf *eb)
{
    if (p->step_s < FC_MIN_STEP || p->step_s > FC_MAX_STEP)
        return aug_errf(eb, AUG_EINVAL, "step %" PRId64 "s outside %d..%d", p->step_s, FC_MIN_STEP, FC_MAX_STEP);
    if (p->max_horizon < 1 || p->max_horizon > FC_MAX_HORIZON)
        return aug_errf(eb, AUG_EINVAL, "max_horizon %d outside 1..%d", (int)p->max_horizon, FC_MAX_HORIZON);
    if ((int)p->kind < 0 || p->kind >= FC_KIND_COUNT)
        return aug_errf(eb, AUG_EINVAL, "unknown model kind %d", (int)p->kind);
    if (p->combine != FC_COMBINE_WEIGHTED && p->combine != FC_COMBINE_SELECT)
        return aug_errf(eb, AUG_EINVAL, "unknown combine mode %d", (int)p->combine);
    if (p->history < 0 || p->history > FC_MAX_HISTORY)
        return aug_errf(eb, AUG_EINVAL, "history %d outside 0..%d", (int)p->history, FC_MAX_HISTORY);
    if (p->refit_every < 0 || p->refit_every > 10000000)
        return aug_errf(eb, AUG_EINVAL, "refit_every %d outside 0..10000000", (int)p->refit_every);
    if (p->season_s < 0 || p->season_s > FC_MAX_SEASON)
        return aug_errf(eb, AUG_EINVAL, "season %" PRId64 "s outside 0..%" PRId64 "s", p->season_s, FC_MAX_SEASON);

    memset(c, 0, sizeof *c);
    int64_t step = p->step_s;
    c->step = step;
    c->H = p->max_horizon;
    c->kind = (int32_t)p->kind;
    c->combine = (int32_t)p->combine;
    int64_t day = (86400 + step / 2) / step;
    int64_t cap = p->history ? p->history : AUG_MAX(14 * 86400 / step, 2016);
    cap = AUG_MAX(cap, AUG_MAX(2 * (int64_t)c->H, 64));
    cap = AUG_MIN(cap, FC_MAX_HISTORY);
    c->cap = (int32_t)cap;
    /* The season in slots, rounded as the daily period always was. Seeing a
     * cycle takes two slots of it, and two cycles must fit in the history
     * (Holt-Winters starts from two, the tuning windows judge after two). A
     * season that does not fit is refused, so a configured season is never
     * silently ignored; only the default day is left out where it cannot fit
     * (steps over 16h or under 9s), which keeps every model made before the
     * season was a parameter as it was. */
    int64_t season = p->season_s;
    int64_t p1 = (season + step / 2) / step;
    bool fits = p1 >= 2 && 2 * p1 <= cap;
    if (season > 0 && !fits && season != FC_SEASON_DAY)
        return aug_errf(eb, AUG_EINVAL, "season %" PRId64 "s is %" PRId64 " step(s) of %" PRId64 "s: it needs at"
                        " least 2 steps and at most half the history of %d steps", season, p1, step, (int)cap);
    c->p1 = season > 0 && fits ? (int32_t)p1 : 0;
    /* The weekly terms (weekly seasonal naive and Fourier terms, the
     * hour-of-week Holt-Winters season) are kept only when the season is
     * shorter than a week and divides it: then each week holds whole seasons,
     * every weekly term sees the season at the same phase week after week,
     * and it can only add what changes from one season to the next (the day
     * of the week for a daily season, the hour of the week for an hourly
     * one). A season that does not divide a week drifts against it, so the
     * weekly terms would fight the season; one of a week or more leaves
     * nothing weekly to add (1w would duplicate it). Season 0 has none. */
    bool weekly = season > 0 && season < 7 * 86400 && (7 * 86400) % season == 0;
    int64_t week = (7 * 86400 + step / 2) / step;
    c->p2 = (weekly && week >= 2 && week < cap) ? (int32_t)week : 0;
    c->P1 = c->p1 ? (double)season / (double)step : 0.0;
    c->P2 = c->p2 ? 7 * 86400.0 / (double)step : 0.0;
    c->wwidth = AUG_MAX(step, 3600);
    int64_t nw = (7 * 86400 + c->wwidth - 1) / c->wwidth;
    c->nw = (weekly && nw >= 2 && nw <= FC_NW_MAX) ? (int32_t)nw : 0;
    /* Refits are scheduled by time, not by season: a refit re-tunes on the
     * whole history (14 days by default) and costs up to ~0.3 s for a minute
     * model, so a day of new points is what can move the tuned values; an
     * hourly season refitting every hour would cost 24 times as much. */
    c->refit_every = p->refit_every ? p->refit_every : (int32_t)AUG_MAX(day, 24);

    int32_t nb = 0;
    for (int32_t l = 1; l < c->H && nb < FC_NB_MAX - 1; l *= 2)
        c->lead[nb++] = l;
    c->lead[nb++] = c->H;
    c->nb = nb;
    double half = (double)clamp64(2 * 86400 / step, 32, 8192);
    for (int32_t b = 0; b < nb; b++) {
        c->lead_lo[b] = b ? c->lead[b - 1] + 1 : 1;
        c->mid[b] = 0.5 * (double)(c->lead_lo[b] + c->lead[b]);
        c->stride[b] = (c->lead[b] + 7) / 8;
        c->decay[b] = exp2(-(double)c->stride[b] / half);
    c->base_decay = exp2(-1.0 / (4.0 * half));
    }
    c->shift_m = (int32_t)clamp64(3600 / step, 3, FC_SHIFT_MAX);

    if (p->kind == FC_AUTO) {
        c->pool = (1u << (FC_NAIVE - 1)) | (1u << (FC_LMED - 1)) | (1u << (FC_HW - 1)) | (1u << (FC_FOURIER - 1));
        if (c->p1 || c->p2)
            c->pool |= 1u << (FC_SNAIVE - 1);
    } else {
        if (p->kind == FC_SNAIVE && !c->p1 && !c->p2)
            return aug_errf(eb, AUG_EINVAL, "snaive needs a seasonal or weekly period: season %" PRId64
                            "s at step %" PRId64 "s with %d slots of history has none", season, step, (int)c->cap);
        c->pool = 1u << (p->kind - 1);
    }
    *norm = *p;
    norm->history = c->cap;
    norm->refit_every = c->refit_every;
    return AUG_OK;
}

aug_err fc_params_check(const fc_params *p, aug_errbuf *eb)
{
    fc_params norm;
    fc_cfg c;
    return fc_cfg_derive(p, &norm, &c, eb);
}

/* ---------------------------------------------------------------- memory */

aug_err fc_model_alloc(const fc_params *norm, const fc_cfg *c, fc_model **out)
{
    size_t nhist = (size_t)c->cap, ns = (size_t)c->p1, nw = (size_t)c->nw;
    size_t npt = (size_t)c->nb * FC_PEND, npf = (size_t)(FC_NMEM + 1) * npt, nerr = (size_t)c->nb * FC_ERRN;
    size_t nflag = ((size_t)c->cap + 63) / 64;
    size_t bytes = 8 * (nhist + nflag + ns + nw + npt + npf + nerr);
    fc_model *m = aug_calloc(1, sizeof *m);
    if (m == NULL)
        return AUG_ENOMEM;
    uint8_t *blk = aug_malloc(bytes);
    if (blk == NULL) {
        aug_free(m);
        return AUG_ENOMEM;
    }
    m->par = *norm;
    m->c = *c;
    m->block = blk;
    m->block_bytes = bytes;
    double *d = (double *)(void *)blk;
    m->hist = d;
    d += nhist;
    m->flag = (uint64_t *)(void *)d;
    d += nflag;
    m->hw.s = d;
    d += ns;
    m->hw.w = d;
    d += nw;
    m->tr.pt = (int64_t *)(void *)d;
    d += npt;
    m->tr.pf = d;
    d += npf;
    m->tr.err = d;
    /* Default hyper-parameters until the first refit. */
    m->lm.w = 6;
    m->sn.week = c->p1 ? 0 : 1;
    m->sn.K = 1;
    m->hw.alpha = 0.2;
    m->hw.beta = 0.0;
    m->hw.phi = 0.9;
    m->hw.gamma = c->p1 ? 0.1 : 0.0;
    m->hw.gammaw = c->p1 ? 0.0 : (c->nw ? 0.1 : 0.0);
    m->fo.k1 = c->p1 ? AUG_MIN(3, (c->p1 - 1) / 2) : 0;
    m->fo.k2 = (!c->p1 && c->p2) ? AUG_MIN(3, (c->p2 - 1) / 2) : 0;
    m->fo.trend = 0;
    m->fo.lambda = 1.0 - 1.0 / (double)AUG_MAX(3 * 86400 / c->step, 32);
    *out = m;
    return AUG_OK;
}

void fc_model_free(fc_model *m)
{
    if (m == NULL)
        return;
    aug_free(m->block);
    aug_free(m);
}

size_t fc_model_bytes(const fc_model *m)
{
    return sizeof *m + m->block_bytes;
}

/* --------------------------------------------------------------- members */

static bool updated(const fc_cfg *c, int i)
{
    return i == FC_NAIVE - 1 || (c->pool >> i & 1u);
}

static void members_reset(fc_model *m, int64_t k)
{
    fc_naive_reset(&m->nv);
    fc_lmed_reset(&m->lm);
    fc_hw_reset(&m->hw, &m->c);
    fc_fou_reset(&m->fo, k);
}

static void tracker_reset(fc_track *t)
{
    memset(t->cnt, 0, sizeof t->cnt);
    memset(t->mae_s, 0, sizeof t->mae_s);
    memset(t->mae_w, 0, sizeof t->mae_w);
    memset(t->ns, 0, sizeof t->ns);
    memset(t->last3, 0, sizeof t->last3);
    memset(t->base_s, 0, sizeof t->base_s);
    memset(t->base_w, 0, sizeof t->base_w);
    memset(t->ehead, 0, sizeof t->ehead);
    memset(t->en, 0, sizeof t->en);
}

void fc_model_reset_run(fc_model *m, int64_t k)
{
    for (int32_t i = 0; i < m->c.cap; i++)
        m->hist[i] = FC_NAN;
    memset(m->flag, 0, sizeof(uint64_t) * (((size_t)m->c.cap + 63) / 64));
    m->out_run = m->out_sign = 0;
    m->k_start = k;
    m->n_run = 0;
    m->next_refit = m->n_obs + 32;
    members_reset(m, k);
    tracker_reset(&m->tr);
}

static double member_forecast(const fc_model *m, int i, const fc_ctx *x, int64_t h)
{
    switch (i + 1) {
    case FC_NAIVE:
        return fc_naive_forecast(&m->nv);
    case FC_LMED:
        return fc_lmed_forecast(&m->lm);
    case FC_SNAIVE:
        return fc_sn_forecast(&m->sn, x, h);
    case FC_HW:
        return fc_hw_forecast(&m->hw, x, h);
    case FC_FOURIER:
        return fc_fou_forecast(&m->fo, x, h);
    }
    return FC_NAN;
}

static void member_update(fc_model *m, int i, const fc_ctx *x, double y)
{
    switch (i + 1) {
    case FC_NAIVE:
        fc_naive_update(&m->nv, y);
        break;
    case FC_LMED:
        fc_lmed_update(&m->lm, y);
        break;
    case FC_HW:
        fc_hw_update(&m->hw, x, y);
        break;
    case FC_FOURIER:
        fc_fou_update(&m->fo, x, y);
        break;
    default: /* snaive is stateless: it reads the history */
        break;
    }
}

static fc_ctx ctx_at(const fc_model *m, int64_t k, int64_t k_lo)
{
    fc_ctx x = {.c = &m->c, .hist = m->hist, .flag = m->flag, .k = k, .k_lo = k_lo, .phase = m->phase};
    return x;
}

/* ----------------------------------------------------------- combination */

static double mae_of(const fc_track *t, int i, int b)
{
    return t->mae_w[i][b] > 0 ? t->mae_s[i][b] / t->mae_w[i][b] : FC_NAN;
}

/* rho of the combination note: how much worse than usual member i's last
 * lead-1 errors are (median of the last three, so one spike that every
 * member missed changes nothing, while two misses in a row after a level
 * shift do). */
static double distrust(const fc_track *t, int i)
{
    double long1 = t->base_w[i] > 0 ? t->base_s[i] / t->base_w[i] : FC_NAN;
    if (t->ns[i][0] < 3)
        return 1.0;
    double v[3] = {t->last3[i][0], t->last3[i][1], t->last3[i][2]};
    double med = fc_median(v, 3);
    if (!(long1 > 0))
        return med > 0 ? 1e6 : 1.0;
    return fmin(fmax(med / (FC_RHO_C * long1), 1.0), 1e6);
}

static void distrust_all(const fc_model *m, double *rho)
{
    for (int i = 0; i < FC_NMEM; i++)
        rho[i] = (m->c.pool >> i & 1u) ? distrust(&m->tr, i) : 1.0;
}

/* Member weights at bucket b (sum 1), see the combination note above; rho
 * from distrust_all. */
static void weights(const fc_model *m, int b, const double *rho, double *w)
{
    const fc_track *t = &m->tr;
    for (int i = 0; i < FC_NMEM; i++)
        w[i] = 0.0;
    for (int bb = b; bb >= 0; bb--) {
        double score[FC_NMEM], best = HUGE_VAL;
        int ibest = -1;
        for (int i = 0; i < FC_NMEM; i++) {
            score[i] = FC_NAN;
            if (!(m->c.pool >> i & 1u) || t->ns[i][bb] < FC_WMIN)
                continue;
            score[i] = mae_of(t, i, bb) * rho[i];
            if (score[i] < best) {
                best = score[i];
                ibest = i;
            }
        }
        if (ibest < 0)
            continue;
        if (m->c.combine == FC_COMBINE_SELECT || !(best < HUGE_VAL)) {
            w[ibest] = 1.0;
            return;
        }
        double sum = 0.0;
        for (int i = 0; i < FC_NMEM; i++) {
            if (isnan(score[i]))
                continue;
            if (best == 0.0)
                w[i] = score[i] == 0.0 ? 1.0 : 0.0;
            else if (score[i] <= 2.0 * best)
                w[i] = (best / score[i]) * (best / score[i]);
            sum += w[i];
        }
        for (int i = 0; i < FC_NMEM; i++)
            w[i] /= sum;
        return;
    }
    w[FC_NAIVE - 1] = 1.0;
}

/* Weighted mean of the finite member forecasts; the naive forecast when no
 * weighted member has one. */
static double combine(const double *w, const double *f)
{
    double s = 0.0, ws = 0.0;
    for (int i = 0; i < FC_NMEM; i++) {
        if (w[i] > 0 && !isnan(f[i])) {
            s += w[i] * f[i];
            ws += w[i];
        }
    }
    return ws > 0 ? s / ws : f[FC_NAIVE - 1];
}

/* --------------------------------------------------------------- tracking */

static void record(fc_model *m, int i, int b, double e)
{
    fc_track *t = &m->tr;
    double a = fabs(e), d = m->c.decay[b];
    t->mae_s[i][b] = d * t->mae_s[i][b] + a;
    t->mae_w[i][b] = d * t->mae_w[i][b] + 1.0;
    if (b == 0) {
        t->last3[i][t->ns[i][0] % 3] = a;
        t->base_s[i] = m->c.base_decay * t->base_s[i] + a;
        t->base_w[i] = m->c.base_decay * t->base_w[i] + 1.0;
    }
    if (t->ns[i][b] < INT32_MAX)
        t->ns[i][b]++;
    if (i == FC_NMEM) {
        double *ring = t->err + (size_t)b * FC_ERRN;
        if (t->en[b] < FC_ERRN) {
            ring[(t->ehead[b] + t->en[b]) % FC_ERRN] = e;
            t->en[b]++;
        } else {
            ring[t->ehead[b]] = e;
            t->ehead[b] = (uint16_t)((t->ehead[b] + 1) % FC_ERRN);
        }
    }
}

static double *pf_at(const fc_model *m, int i, int b, int idx)
{
    return m->tr.pf + ((size_t)i * (size_t)m->c.nb + (size_t)b) * FC_PEND + (size_t)idx;
}

/* The lead an origin at slot k forecasts for bucket b: the bucket's leads
 * in turn, one per origin. */
static int32_t origin_lead(const fc_cfg *c, int b, int64_t k)
{
    int64_t width = c->lead[b] - c->lead_lo[b] + 1;
    return c->lead_lo[b] + (int32_t)((k / c->stride[b]) % width);
}

/* Scores the pending forecasts whose target is slot k (y may be NaN: then
 * they are dropped unscored), drops any older ones, keeps the rest in order. */
static double settle(fc_model *m, int64_t k, double y)
{
    fc_track *t = &m->tr;
    double combo1 = FC_NAN;
    for (int b = 0; b < m->c.nb; b++) {
        bool due = false;
        for (int j = 0; j < t->cnt[b] && !due; j++)
            due = t->pt[b * FC_PEND + j] <= k;
        if (!due)
            continue;
        int keep = 0;
        for (int j = 0; j < t->cnt[b]; j++) {
            int64_t tg = t->pt[b * FC_PEND + j];
            if (tg > k) {
                if (keep != j) {
                    t->pt[b * FC_PEND + keep] = tg;
                    for (int i = 0; i <= FC_NMEM; i++)
                        *pf_at(m, i, b, keep) = *pf_at(m, i, b, j);
                }
                keep++;
                continue;
            }
            if (tg == k && !isnan(y)) {
                if (b == 0)
                    combo1 = *pf_at(m, FC_NMEM, 0, j);
                for (int i = 0; i <= FC_NMEM; i++) {
                    double f = *pf_at(m, i, b, j);
                    if (!isnan(f))
                        record(m, i, b, y - f);
                }
            }
        }
        t->cnt[b] = (uint8_t)keep;
    }
    return combo1;
}

static void set_flag(fc_model *m, int64_t slot, bool on)
{
    int64_t i = slot % m->c.cap;
    uint64_t bit = UINT64_C(1) << (i & 63);
    if (on)
        m->flag[i >> 6] |= bit;
    else
        m->flag[i >> 6] &= ~bit;
}

/* Outlier flag of slot k (see the note above); combo1 is the combined
 * lead-1 forecast made for k (NaN if none). */
static void flag_outlier(fc_model *m, int64_t k, int64_t k_lo, double y, double combo1)
{
    const fc_track *t = &m->tr;
    double mae1 = t->ns[FC_NMEM][0] >= FC_WMIN ? mae_of(t, FC_NMEM, 0) : FC_NAN;
    double e = y - combo1;
    bool out = !isnan(y) && !isnan(combo1) && mae1 > 0 && fabs(e) > FC_OUT_C * mae1;
    int64_t prev = k - m->c.p1;
    if (out && m->c.p1 > 0 && prev >= k_lo) {
        fc_ctx x = {.c = &m->c, .flag = m->flag};
        double dp = m->hist[prev % m->c.cap] - combo1;
        if (fc_flagged(&x, prev) && dp * e > 0 && fabs(dp) <= 3 * fabs(e) && fabs(e) <= 3 * fabs(dp)) {
            /* The same slot a season ago was an outlier too, off the same
             * way by a like amount: a burst that recurs at its time of day
             * is the season, not an outlier. Unflagged, seasonal naive
             * repeats it; flagged, every occurrence would be missed and
             * flagged again, forever. A drop a day after a spike, or a
             * bump a day after a far larger one, are not a recurrence. */
            set_flag(m, prev, false);
            out = false;
        }
    }
    set_flag(m, k, out);
    if (!out) {
        if (!isnan(y))
            m->out_run = 0;
        return;
    }
    int32_t sign = e > 0 ? 1 : -1;
    if (m->out_run == 0 || sign != m->out_sign) {
        m->out_run = 0;
        m->out_sign = sign;
    }
    if (++m->out_run >= m->c.shift_m) {
        /* A level shift: the run is real data. */
        for (int64_t j = k; j >= k_lo && j > k - 2 * (int64_t)m->c.shift_m; j--)
            set_flag(m, j, false);
        m->out_run = 0;
    }
}

/* Drops the oldest pending forecast of bucket b (cannot happen with stride
 * ceil(lead/8); keeps the list bounded anyway). */
static void drop_oldest(fc_model *m, int b)
{
    fc_track *t = &m->tr;
    for (int j = 1; j < t->cnt[b]; j++) {
        t->pt[b * FC_PEND + j - 1] = t->pt[b * FC_PEND + j];
        for (int i = 0; i <= FC_NMEM; i++)
            *pf_at(m, i, b, j - 1) = *pf_at(m, i, b, j);
    }
    t->cnt[b]--;
}

/* Stores every updated member's forecast, and the combination's, for the
 * buckets that have an origin at slot k. */
static void issue(fc_model *m, const fc_ctx *x)
{
    fc_track *t = &m->tr;
    double rho[FC_NMEM];
    distrust_all(m, rho);
    for (int b = 0; b < m->c.nb; b++) {
        if (x->k % m->c.stride[b] != 0)
            continue;
        if (t->cnt[b] == FC_PEND)
            drop_oldest(m, b);
        int idx = t->cnt[b];
        int32_t lead = origin_lead(&m->c, b, x->k);
        double f[FC_NMEM], w[FC_NMEM];
        for (int i = 0; i < FC_NMEM; i++) {
            f[i] = updated(&m->c, i) ? member_forecast(m, i, x, lead) : FC_NAN;
            *pf_at(m, i, b, idx) = f[i];
        }
        weights(m, b, rho, w);
        *pf_at(m, FC_NMEM, b, idx) = combine(w, f);
        t->pt[b * FC_PEND + idx] = x->k + lead;
        t->cnt[b]++;
    }
}

/* One slot of the live path and of every replay. */
static void step_slot(fc_model *m, int64_t k, int64_t k_lo, double y)
{
    fc_ctx x = ctx_at(m, k, k_lo);
    double combo1 = settle(m, k, y);
    m->hist[k % m->c.cap] = y;
    flag_outlier(m, k, k_lo, y, combo1);
    for (int i = 0; i < FC_NMEM; i++) {
        if (updated(&m->c, i))
            member_update(m, i, &x, y);
    }
    if (!isnan(y))
        issue(m, &x);
}

static int64_t lo_slot(const fc_model *m, int64_t k)
{
    return AUG_MAX(m->k_start, k - m->c.cap + 1);
}

/* ------------------------------------------------------------- invariants */

bool fc_model_check(const fc_model *m)
{
    const fc_cfg *c = &m->c;
    const fc_track *t = &m->tr;
    if (!m->has_first && (m->n_obs != 0 || m->n_run != 0))
        return false; /* 1 */
    if (m->k_start > m->k_last || m->n_obs < m->n_run || m->next_refit <= 0)
        return false; /* 2, 5 */
    for (int b = 0; b < c->nb; b++) {
        if (t->cnt[b] > FC_PEND || t->en[b] > FC_ERRN)
            return false;
        for (int j = 0; j < t->cnt[b]; j++) {
            int64_t tg = t->pt[b * FC_PEND + j];
            if (tg <= m->k_last || tg > m->k_last + c->lead[b])
                return false; /* 3 */
        }
    }
    for (int i = 0; i < FC_NMEM; i++) {
        if (updated(c, i))
            continue;
        for (int b = 0; b < c->nb; b++)
            if (t->ns[i][b] != 0)
                return false; /* 4 */
    }
    if (m->lm.n < 0 || m->lm.n > m->lm.w || m->lm.w > FC_LMED_MAX)
        return false;
    for (int32_t i = 1; i < m->lm.n; i++)
        if (m->lm.sorted[i - 1] > m->lm.sorted[i])
            return false;
    return m->fo.p == fc_fou_nfeat(m->fo.k1, m->fo.k2, m->fo.trend) && m->fo.p <= FC_FOU_PMAX;
}

/* ------------------------------------------------------------------- API */

aug_err fc_model_new(const fc_params *p, fc_model **out, aug_errbuf *eb)
{
    fc_params norm;
    fc_cfg c;
    aug_err e = fc_cfg_derive(p, &norm, &c, eb);
    if (e != AUG_OK)
        return e;
    fc_model *m;
    e = fc_model_alloc(&norm, &c, &m);
    if (e != AUG_OK)
        return aug_errf(eb, e, "cannot allocate a model of %d history slots", (int)c.cap);
    fc_model_reset_run(m, 0);
    *out = m;
    return AUG_OK;
}

aug_err fc_model_update(fc_model *m, int64_t ts, double v, aug_errbuf *eb)
{
    if (!isfinite(v) || fabs(v) > FC_MAX_V)
        return aug_errf(eb, AUG_EINVAL, "value %g is not a finite number within +-1e100", v);
    if (ts < 0 || ts > FC_MAX_TS)
        return aug_errf(eb, AUG_EINVAL, "timestamp %" PRId64 " outside 0..2^40", ts);
    int64_t step = m->c.step;
    if (!m->has_first) {
        int64_t k = ts / step;
        m->has_first = 1;
        m->t0 = ts;
        m->phase = ts - k * step;
        fc_model_reset_run(m, k);
        step_slot(m, k, k, v);
        m->k_last = k;
    } else {
        if (ts <= m->last_ts)
            return aug_errf(eb, AUG_EINVAL, "timestamp %" PRId64 " is not after the last point's %" PRId64, ts,
                            m->last_ts);
        int64_t k = m->t0 / step + (ts - m->t0 + step / 2) / step;
        if (k <= m->k_last)
            return aug_errf(eb, AUG_EINVAL, "timestamp %" PRId64 " falls in the slot of the last point (%" PRId64
                            "), step %" PRId64 "s", ts, m->last_ts, step);
        if (k - m->k_last > m->c.cap) {
            fc_model_reset_run(m, k);
        } else {
            for (int64_t j = m->k_last + 1; j < k; j++)
                step_slot(m, j, lo_slot(m, j), FC_NAN);
        }
        step_slot(m, k, lo_slot(m, k), v);
        m->k_last = k;
    }
    m->last_ts = ts;
    m->n_obs++;
    m->n_run++;
    AUG_DEBUG_ASSERT(fc_model_check(m));
    return AUG_OK;
}

bool fc_model_refit_due(const fc_model *m)
{
    return m->has_first && m->n_obs >= m->next_refit;
}

int32_t fc_model_history(const fc_model *m)
{
    return m->c.cap;
}

/* Type-6 quantiles of a ring of n errors (n >= 1). */
static void quantiles(const double *ring, int n, double *q)
{
    double v[FC_ERRN];
    memcpy(v, ring, sizeof(double) * (size_t)n);
    fc_median(v, n); /* sorts */
    for (int j = 0; j < NQ; j++) {
        double pos = qprob[j] * (double)(n + 1);
        if (pos <= 1.0) {
            q[j] = v[0];
        } else if (pos >= (double)n) {
            q[j] = v[n - 1];
        } else {
            int lo = (int)pos;
            double fr = pos - (double)lo;
            q[j] = v[lo - 1] + fr * (v[lo] - v[lo - 1]);
        }
    }
}

/* Data-based spread for a cold model: robust level spread, random-walk
 * growth of lag-1 changes, and a floor relative to the level; widened. */
static void cold_quantiles(const fc_model *m, double lead, double *q)
{
    double v[64], d[64];
    int n = 0, nd = 0;
    double prev = FC_NAN;
    int64_t lo = AUG_MAX(lo_slot(m, m->k_last), m->k_last - 63);
    for (int64_t k = lo; k <= m->k_last; k++) {
        double y = m->hist[k % m->c.cap];
        if (isnan(y))
            continue;
        if (!isnan(prev))
            d[nd++] = fabs(y - prev);
        v[n++] = y;
        prev = y;
    }
    double med = fc_median(v, n);
    for (int i = 0; i < n; i++)
        v[i] = fabs(v[i] - med);
    double s_lvl = n > 1 ? 1.4826 * fc_median(v, n) : 0.0;
    double s_dif = nd > 0 ? 1.4826 * fc_median(d, nd) * sqrt(lead) : 0.0;
    double s = fmax(fmax(s_lvl, s_dif), 0.05 * fabs(med));
    if (m->n_run < 3)
        s = fmax(s, 0.5 * fabs(m->nv.last));
    static const double z[NQ] = {-1.959964, -1.281552, 0.0, 1.281552, 1.959964};
    for (int j = 0; j < NQ; j++)
        q[j] = 1.5 * z[j] * s;
}

/* Quantiles for every bucket; returns how many buckets have their own. */
static int bucket_quantiles(const fc_model *m, double q[][NQ])
{
    int own = 0, last_own = -1;
    for (int b = 0; b < m->c.nb; b++) {
        int n = m->tr.en[b];
        if (n >= FC_NMIN) {
            const double *ring = m->tr.err + (size_t)b * FC_ERRN;
            quantiles(ring, n, q[b]); /* order inside the ring does not matter */
            own++;
            last_own = b;
        } else if (last_own >= 0) {
            double f = sqrt(m->c.mid[b] / m->c.mid[last_own]) * 1.25;
            for (int j = 0; j < NQ; j++)
                q[b][j] = q[last_own][j] * f;
        } else {
            cold_quantiles(m, m->c.mid[b], q[b]);
        }
    }
    return own;
}

aug_err fc_model_predict(const fc_model *m, int32_t h, fc_forecast *out)
{
    if (h < 1 || h > m->c.H || !m->has_first)
        return AUG_EINVAL;
    const fc_cfg *c = &m->c;
    double q[FC_NB_MAX][NQ], w[FC_NB_MAX][FC_NMEM], rho[FC_NMEM];
    bucket_quantiles(m, q);
    distrust_all(m, rho);
    for (int b = 0; b < c->nb; b++)
        weights(m, b, rho, w[b]);
    fc_ctx x = ctx_at(m, m->k_last, lo_slot(m, m->k_last));
    int b = 0;
    for (int32_t s = 1; s <= h; s++) {
        /* Interpolate between the buckets whose mid leads bracket s. */
        while (b + 1 < c->nb && c->mid[b + 1] <= (double)s)
            b++;
        int b2 = b + 1 < c->nb ? b + 1 : b;
        double t = b2 == b ? 0.0 : ((double)s - c->mid[b]) / (c->mid[b2] - c->mid[b]);
        t = fmin(fmax(t, 0.0), 1.0);
        double wi[FC_NMEM], f[FC_NMEM], qq[NQ];
        for (int i = 0; i < FC_NMEM; i++) {
            wi[i] = (1.0 - t) * w[b][i] + t * w[b2][i];
            f[i] = (wi[i] > 0 || i == FC_NAIVE - 1) ? member_forecast(m, i, &x, s) : FC_NAN;
        }
        for (int j = 0; j < NQ; j++)
            qq[j] = (1.0 - t) * q[b][j] + t * q[b2][j];
        double mean = combine(wi, f);
        out[s - 1] = (fc_forecast){
            .mean = mean,
            .lo95 = mean + qq[0],
            .lo80 = mean + qq[1],
            .hi80 = mean + qq[3],
            .hi95 = mean + qq[4],
        };
    }
    return AUG_OK;
}

/* ----------------------------------------------------------------- state */

static fc_state state_of(const fc_model *m, int *own)
{
    *own = 0;
    for (int b = 0; b < m->c.nb; b++)
        *own += m->tr.en[b] >= FC_NMIN;
    if (!m->has_first || m->n_run < 3 || m->tr.en[0] < FC_NMIN)
        return FC_COLD;
    if ((m->c.p1 && m->k_last - m->k_start + 1 < 2 * (int64_t)m->c.p1) || *own < m->c.nb)
        return FC_WARMING;
    return FC_READY;
}

static size_t put_weights(char *buf, size_t cap, const double *w)
{
    size_t n = 0;
    for (int i = 0; i < FC_NMEM && n < cap; i++) {
        if (w[i] <= 0)
            continue;
        int r = snprintf(buf + n, cap - n, "%s%s %.2f", n ? ", " : "", kind_names[i + 1], w[i]);
        if (r < 0)
            break;
        n += (size_t)r;
    }
    return n < cap ? n : cap - 1;
}

aug_err fc_model_state(const fc_model *m, fc_status *out)
{
    memset(out, 0, sizeof *out);
    int own;
    fc_state st = state_of(m, &own);
    const fc_cfg *c = &m->c;
    int bl = c->nb - 1;
    double w0[FC_NMEM], wl[FC_NMEM], rho[FC_NMEM];
    distrust_all(m, rho);
    weights(m, 0, rho, w0);
    weights(m, bl, rho, wl);
    out->state = st;
    out->points = m->n_obs;
    out->last_ts = m->last_ts;
    out->refits = m->refits;
    out->refit_due = fc_model_refit_due(m);
    for (int i = 0; i < FC_NMEM; i++) {
        out->weight_first[i + 1] = w0[i];
        out->weight_last[i + 1] = wl[i];
        if (w0[i] > 0 || wl[i] > 0)
            out->in_use |= 1u << (i + 1);
    }
    out->mae_first = m->tr.ns[FC_NMEM][0] ? mae_of(&m->tr, FC_NMEM, 0) : FC_NAN;
    out->mae_last = m->tr.ns[FC_NMEM][bl] ? mae_of(&m->tr, FC_NMEM, bl) : FC_NAN;

    const fc_fou *fo = &m->fo;
    snprintf(out->tuned, sizeof out->tuned,
             "lmed w=%d; snaive %s K=%d; hw alpha=%g beta=%g phi=%g gamma=%g gammaw=%g;"
             " fourier k1=%d k2=%d memory=%.3gd trend=%d",
             (int)m->lm.w, m->sn.week ? "week" : "season", (int)m->sn.K, m->hw.alpha, m->hw.beta, m->hw.phi,
             m->hw.gamma, m->hw.gammaw, (int)fo->k1, (int)fo->k2,
             1.0 / (1.0 - fo->lambda) * (double)c->step / 86400.0, (int)fo->trend);
    char wa[80], wb[80];
    put_weights(wa, sizeof wa, w0);
    put_weights(wb, sizeof wb, wl);
    switch (st) {
    case FC_COLD:
        snprintf(out->reason, sizeof out->reason,
                 "cold: %" PRId64 " point(s) in this run, intervals need %d measured 1-step errors;"
                 " forecasting the last value with wide intervals from the data's spread",
                 m->n_run, FC_NMIN);
        break;
    case FC_WARMING:
        if (c->p1 && m->k_last - m->k_start + 1 < 2 * (int64_t)c->p1)
            snprintf(out->reason, sizeof out->reason,
                     "warming: %.2f of 2 seasonal cycles seen, %d of %d lead times with measured errors;"
                     " using %s at 1 step, %s at %d steps",
                     (double)(m->k_last - m->k_start + 1) / (double)c->p1, own, c->nb, wa, wb, (int)c->H);
        else
            snprintf(out->reason, sizeof out->reason,
                     "warming: %d of %d lead times with measured errors (the others borrow wider"
                     " intervals); using %s at 1 step, %s at %d steps",
                     own, c->nb, wa, wb, (int)c->H);
        break;
    case FC_READY:
        snprintf(out->reason, sizeof out->reason,
                 "ready: %s at 1 step (MAE %.4g), %s at %d steps (MAE %.4g)", wa, out->mae_first, wb,
                 (int)c->H, out->mae_last);
        break;
    }
    return AUG_OK;
}

/* ----------------------------------------------------------------- refit */

/* Replays member i alone over [k_lo, k_hi] and measures, per bucket, its
 * mean absolute error relative to the naive forecast's on the same targets
 * >= eval_from (only targets the member forecast count, so a candidate that
 * needs a long warm-up is judged on its own forecasts). ratio[b] is NaN with
 * fewer than FC_TUNE_MIN targets or none of them with a member forecast
 * coverage of at least half the targets. */
typedef struct replay_win {
    int64_t k_lo, k_hi, eval_from;
} replay_win;

#define FC_TUNE_MIN 8

static void solo_eval(fc_model *t, int i, const replay_win *rw, double eps, double *ratio)
{
    const fc_cfg *c = &t->c;
    int64_t tg[FC_NB_MAX][FC_PEND], next_org[FC_NB_MAX], due[FC_NB_MAX];
    double fv[FC_NB_MAX][FC_PEND], nvv[FC_NB_MAX][FC_PEND], sum[FC_NB_MAX], sumn[FC_NB_MAX];
    int cnt[FC_NB_MAX], ns[FC_NB_MAX], nall[FC_NB_MAX];
    for (int b = 0; b < c->nb; b++) {
        cnt[b] = ns[b] = nall[b] = 0;
        sum[b] = sumn[b] = 0.0;
        due[b] = INT64_MAX; /* earliest pending target */
        /* First origin whose target can be scored (k % stride == 0 as live). */
        int64_t k0 = AUG_MAX(rw->k_lo, rw->eval_from - c->lead[b]);
        next_org[b] = (k0 + c->stride[b] - 1) / c->stride[b] * c->stride[b];
    }
    members_reset(t, rw->k_lo);
    for (int64_t k = rw->k_lo; k <= rw->k_hi; k++) {
        double y = t->hist[k % c->cap];
        for (int b = 0; b < c->nb; b++) {
            if (k < due[b])
                continue;
            int keep = 0;
            due[b] = INT64_MAX;
            for (int j = 0; j < cnt[b]; j++) {
                if (tg[b][j] > k) {
                    tg[b][keep] = tg[b][j];
                    fv[b][keep] = fv[b][j];
                    nvv[b][keep] = nvv[b][j];
                    due[b] = AUG_MIN(due[b], tg[b][j]);
                    keep++;
                } else if (tg[b][j] == k && !isnan(y) && k >= rw->eval_from) {
                    nall[b]++;
                    if (!isnan(fv[b][j])) {
                        sum[b] += fabs(y - fv[b][j]);
                        sumn[b] += fabs(y - nvv[b][j]);
                        ns[b]++;
                    }
                }
            }
            cnt[b] = keep;
        }
        fc_ctx x = ctx_at(t, k, rw->k_lo);
        member_update(t, i, &x, y);
        for (int b = 0; b < c->nb; b++) {
            if (k != next_org[b])
                continue;
            next_org[b] += c->stride[b];
            if (isnan(y) || cnt[b] == FC_PEND)
                continue;
            int32_t lead = origin_lead(c, b, k);
            tg[b][cnt[b]] = k + lead;
            fv[b][cnt[b]] = member_forecast(t, i, &x, lead);
            nvv[b][cnt[b]] = y;
            due[b] = AUG_MIN(due[b], k + lead);
            cnt[b]++;
        }
    }
    for (int b = 0; b < c->nb; b++)
        ratio[b] = (ns[b] >= FC_TUNE_MIN && 2 * ns[b] >= nall[b]) ? (sum[b] + eps) / (sumn[b] + eps) : FC_NAN;
}

typedef struct tune_ctx {
    fc_model *t;
    int i; /* member */
    const replay_win *rw;
    double eps;
} tune_ctx;

static void apply_params(fc_model *t, int i, const double *v)
{
    switch (i + 1) {
    case FC_LMED:
        t->lm.w = (int32_t)v[0];
        break;
    case FC_SNAIVE:
        t->sn.week = (int32_t)v[0];
        t->sn.K = (int32_t)v[1];
        break;
    case FC_HW:
        t->hw.alpha = v[0];
        t->hw.beta = v[1];
        t->hw.phi = v[2];
        t->hw.gamma = v[3];
        t->hw.gammaw = v[4];
        break;
    case FC_FOURIER: {
        t->fo.k1 = (int32_t)v[0];
        t->fo.k2 = (int32_t)v[1];
        double mem = v[2] * 86400.0 / (double)t->c.step;
        t->fo.lambda = 1.0 - 1.0 / fmax(mem, 4.0 * (double)fc_fou_nfeat(t->fo.k1, t->fo.k2, (int32_t)v[3]));
        t->fo.trend = (int32_t)v[3];
        break;
    }
    default:
        break;
    }
}

/* Mean over buckets of member MAE / naive MAE; a bucket the candidate
 * cannot be judged at counts as 1 (no better than naive) when others can. */
static double tune_loss(tune_ctx *tc, const double *v)
{
    double ratio[FC_NB_MAX];
    apply_params(tc->t, tc->i, v);
    solo_eval(tc->t, tc->i, tc->rw, tc->eps, ratio);
    double s = 0.0;
    int n = 0;
    for (int b = 0; b < tc->t->c.nb; b++) {
        if (!isnan(ratio[b]))
            n++;
        s += isnan(ratio[b]) ? 1.0 : ratio[b];
    }
    return n ? s / (double)tc->t->c.nb : HUGE_VAL;
}

typedef struct tune_dim {
    const double *vals;
    int n;
} tune_dim;

/* Coordinate descent over a grid: each pass tries every value of each
 * dimension with the others fixed and keeps any improvement. */
static void coord_descent(tune_ctx *tc, const tune_dim *d, int nd, double *v, int passes)
{
    double best = tune_loss(tc, v);
    for (int p = 0; p < passes; p++) {
        bool changed = false;
        for (int j = 0; j < nd; j++) {
            for (int a = 0; a < d[j].n; a++) {
                double old = v[j];
                if (d[j].vals[a] == old)
                    continue;
                v[j] = d[j].vals[a];
                double l = tune_loss(tc, v);
                if (l < best - 1e-9 * fabs(best)) {
                    best = l;
                    changed = true;
                } else {
                    v[j] = old;
                }
            }
        }
        if (!changed)
            break;
    }
    apply_params(tc->t, tc->i, v);
}

/* Exhaustive search of a small grid (odometer order, first best kept). */
static void grid_search(tune_ctx *tc, const tune_dim *d, int nd, double *v)
{
    int idx[4] = {0, 0, 0, 0};
    double cur[4], best = HUGE_VAL;
    for (;;) {
        for (int j = 0; j < nd; j++)
            cur[j] = d[j].vals[idx[j]];
        double l = tune_loss(tc, cur);
        if (l < best) {
            best = l;
            memcpy(v, cur, sizeof(double) * (size_t)nd);
        }
        int j = 0;
        while (j < nd && ++idx[j] == d[j].n)
            idx[j++] = 0;
        if (j == nd)
            break;
    }
    apply_params(tc->t, tc->i, v);
}

static const double g_lmed[] = {2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
static const double g_week[] = {0, 1};
static const double g_season[] = {0};
static const double g_wk_only[] = {1};
static const double g_K[] = {1, 2, 3, 4, 5, 7};
static const double g_alpha[] = {0.02, 0.05, 0.1, 0.2, 0.4, 0.7};
static const double g_beta[] = {0, 0.05, 0.2};
static const double g_phi[] = {0.8, 0.9, 0.98};
static const double g_gamma[] = {0, 0.02, 0.05, 0.1, 0.2, 0.4};
static const double g_gammaw[] = {0, 0.05, 0.15};
static const double g_zero[] = {0};
static const double g_k1[] = {3, 6, 10};
static const double g_k2[] = {0, 3};
static const double g_mem[] = {1, 3, 10};
static const double g_trend[] = {0, 1};

static void tune_member(fc_model *t, int i, const replay_win *rw, double eps)
{
    const fc_cfg *c = &t->c;
    tune_ctx tc = {.t = t, .i = i, .rw = rw, .eps = eps};
    int64_t n = rw->k_hi - rw->k_lo + 1;
    switch (i + 1) {
    case FC_LMED: {
        tune_dim d[1] = {{g_lmed, (int)AUG_ARRAY_LEN(g_lmed)}};
        double v[1] = {t->lm.w};
        coord_descent(&tc, d, 1, v, 1);
        break;
    }
    case FC_SNAIVE: {
        /* A weekly candidate forecasts only from slot k_lo + p2 on: every
         * candidate is judged on that window, so it must hold two seasons. */
        bool season = c->p1 > 0, week = c->p2 > 0 && n >= c->p2 + 2 * (int64_t)AUG_MAX(c->p1, 1);
        replay_win common = *rw;
        if (week)
            common.eval_from = AUG_MAX(rw->eval_from, rw->k_lo + c->p2);
        tc.rw = &common;
        tune_dim d[2] = {{season && week ? g_week : season ? g_season : g_wk_only, season && week ? 2 : 1},
                         {g_K, (int)AUG_ARRAY_LEN(g_K)}};
        double v[2] = {season ? 0 : 1, 1};
        grid_search(&tc, d, 2, v);
        break;
    }
    case FC_HW: {
        bool wk = c->nw > 0 && n >= (c->p2 ? c->p2 : 7) + (c->p1 ? c->p1 : 0);
        tune_dim d[5] = {
            {g_alpha, (int)AUG_ARRAY_LEN(g_alpha)},
            {g_beta, (int)AUG_ARRAY_LEN(g_beta)},
            {g_phi, (int)AUG_ARRAY_LEN(g_phi)},
            {c->p1 ? g_gamma : g_zero, c->p1 ? (int)AUG_ARRAY_LEN(g_gamma) : 1},
            {wk ? g_gammaw : g_zero, wk ? (int)AUG_ARRAY_LEN(g_gammaw) : 1},
        };
        double v[5] = {0.2, 0.0, 0.9, c->p1 ? 0.1 : 0.0, (!c->p1 && wk) ? 0.1 : 0.0};
        coord_descent(&tc, d, 5, v, 1);
        break;
    }
    case FC_FOURIER: {
        double k1max = c->p1 ? (double)((c->p1 - 1) / 2) : 0;
        double k2max = (c->p2 && n >= c->p2 + c->p2 / 2) ? (double)((c->p2 - 1) / 2) : 0;
        double k1v[AUG_ARRAY_LEN(g_k1)], k2v[AUG_ARRAY_LEN(g_k2)];
        int n1 = 0, n2 = 0;
        for (size_t a = 0; a < AUG_ARRAY_LEN(g_k1); a++)
            if (g_k1[a] <= k1max)
                k1v[n1++] = g_k1[a];
        for (size_t a = 0; a < AUG_ARRAY_LEN(g_k2); a++)
            if (g_k2[a] <= k2max)
                k2v[n2++] = g_k2[a];
        if (n1 == 0)
            k1v[n1++] = 0;
        tune_dim d[4] = {{k1v, n1}, {k2v, n2}, {g_mem, (int)AUG_ARRAY_LEN(g_mem)}, {g_trend, 2}};
        double v[4] = {k1v[0], (!c->p1 && n2 > 1) ? k2v[1] : 0, 3, 0};
        coord_descent(&tc, d, 4, v, 1);
        break;
    }
    default:
        break;
    }
}

static void copy_member_params(fc_model *dst, const fc_model *src)
{
    dst->lm.w = src->lm.w;
    dst->sn = src->sn;
    dst->hw.alpha = src->hw.alpha;
    dst->hw.beta = src->hw.beta;
    dst->hw.phi = src->hw.phi;
    dst->hw.gamma = src->hw.gamma;
    dst->hw.gammaw = src->hw.gammaw;
    dst->fo.k1 = src->fo.k1;
    dst->fo.k2 = src->fo.k2;
    dst->fo.trend = src->fo.trend;
    dst->fo.lambda = src->fo.lambda;
}

static void schedule_next(fc_model *m)
{
    int64_t nxt = 32;
    while (nxt <= m->n_run)
        nxt *= 2;
    if (nxt > m->c.refit_every)
        m->next_refit = m->n_obs + m->c.refit_every;
    else
        m->next_refit = m->n_obs + (nxt - m->n_run);
}

/* Warm-up errors of a replay. The replay restarts every member at the
 * oldest kept slot. Until some member has FC_WMIN errors at bucket b,
 * weights() borrows a shorter bucket's weights (at lead 1 it uses naive), so
 * the combined forecasts issued before then are not made the way the model
 * forecasts now: on the unit test's noisy daily sine their day-ahead errors
 * are 3-8 times the settled ones. The ring of a long-lead bucket holds 128
 * errors one stride (ceil(lead/8)) apart, which spans the whole 14-day
 * history, so without this those errors sat in its tails after every refit
 * and there the 80% interval over leads 1..288 covered ~0.87, not 0.80
 * (test_intervals_calibrated_on_noise). Errors of forecasts made after that
 * point by members still settling (a season on its second day) are kept:
 * they leave that test's day-ahead bands ~10% wider than their errors.
 * own_from[b] is the first slot at which bucket b had a member of its own;
 * cut[b] the count of its combined errors when the first forecast issued
 * there could arrive (-1: never). */
static bool has_own_member(const fc_model *m, int b)
{
    for (int i = 0; i < FC_NMEM; i++)
        if ((m->c.pool >> i & 1u) && m->tr.ns[i][b] >= FC_WMIN)
            return true;
    return false;
}

static void note_warmup(const fc_model *t, int64_t k, int64_t *own_from, int32_t *cut)
{
    for (int b = 0; b < t->c.nb; b++) {
        if (own_from[b] == INT64_MAX && has_own_member(t, b))
            own_from[b] = k;
        if (own_from[b] != INT64_MAX && k == own_from[b] + t->c.lead[b])
            cut[b] = t->tr.ns[FC_NMEM][b];
    }
}

/* Drops from each bucket's ring the errors recorded before cut[b], keeping
 * at least the newest FC_NMIN (what a bucket needs for its own quantiles,
 * so no state changes). Only the rings: the discounted MAEs, hence the
 * weights and the forecasts, stay as they are. */
static void drop_warmup_errors(fc_track *tr, const fc_cfg *c, const int32_t *cut)
{
    for (int b = 0; b < c->nb; b++) {
        int32_t after = cut[b] < 0 ? 0 : tr->ns[FC_NMEM][b] - cut[b];
        int32_t keep = AUG_MIN((int32_t)tr->en[b], AUG_MAX(after, FC_NMIN));
        if (keep == tr->en[b])
            continue;
        /* The newest keep errors, moved to the front: a ring that is not
         * full starts at 0 (quantiles read ring[0..en-1]; blob.c decodes it
         * so). */
        double *ring = tr->err + (size_t)b * FC_ERRN, v[FC_ERRN];
        for (int32_t j = 0; j < keep; j++)
            v[j] = ring[(tr->ehead[b] + tr->en[b] - keep + j) % FC_ERRN];
        memcpy(ring, v, sizeof(double) * (size_t)keep);
        tr->ehead[b] = 0;
        tr->en[b] = (uint16_t)keep;
    }
}

aug_err fc_model_refit(fc_model *m)
{
    if (!m->has_first || m->n_run < 16) {
        if (m->has_first)
            schedule_next(m);
        return AUG_OK;
    }
    fc_model *t;
    aug_err e = fc_model_alloc(&m->par, &m->c, &t);
    if (e != AUG_OK)
        return e;
    t->has_first = m->has_first;
    t->t0 = m->t0;
    t->phase = m->phase;
    t->k_start = m->k_start;
    t->k_last = m->k_last;
    t->last_ts = m->last_ts;
    t->n_obs = m->n_obs;
    t->n_run = m->n_run;
    t->refits = m->refits + 1;
    memcpy(t->hist, m->hist, sizeof(double) * (size_t)m->c.cap);
    memcpy(t->flag, m->flag, sizeof(uint64_t) * (((size_t)m->c.cap + 63) / 64));
    copy_member_params(t, m);

    replay_win rw = {.k_lo = lo_slot(m, m->k_last), .k_hi = m->k_last};
    int64_t n = rw.k_hi - rw.k_lo + 1;
    rw.eval_from = rw.k_lo + AUG_MAX(n / 3, AUG_MIN(2 * (int64_t)m->c.p1, n / 2));

    double scale = 0.0;
    int64_t nobs = 0;
    for (int64_t k = rw.k_lo; k <= rw.k_hi; k++) {
        double y = t->hist[k % t->c.cap];
        if (!isnan(y)) {
            scale += fabs(y);
            nobs++;
        }
    }
    double eps = 1e-9 * (nobs ? scale / (double)nobs : 0.0) + 1e-300;
    for (int i = 0; i < FC_NMEM; i++) {
        if (i != FC_NAIVE - 1 && (t->c.pool >> i & 1u))
            tune_member(t, i, &rw, eps);
    }
    members_reset(t, rw.k_lo);
    tracker_reset(&t->tr);
    memset(t->flag, 0, sizeof(uint64_t) * (((size_t)t->c.cap + 63) / 64));
    t->out_run = t->out_sign = 0;
    int64_t own_from[FC_NB_MAX];
    int32_t cut[FC_NB_MAX];
    for (int b = 0; b < t->c.nb; b++) {
        own_from[b] = INT64_MAX;
        cut[b] = -1;
    }
    for (int64_t k = rw.k_lo; k <= rw.k_hi; k++) {
        note_warmup(t, k, own_from, cut);
        step_slot(t, k, rw.k_lo, t->hist[k % t->c.cap]);
    }
    drop_warmup_errors(&t->tr, &t->c, cut);
    schedule_next(t);

    aug_free(m->block);
    *m = *t;
    aug_free(t);
    AUG_DEBUG_ASSERT(fc_model_check(m));
    return AUG_OK;
}
