/* members.c — the forecasters a model combines. Each has O(1) state updates
 * (the local median O(w), Fourier O(p^2) with p <= 30) and a forecast for any
 * lead h; a member that cannot forecast yet returns NaN.
 *
 * Design notes.
 *  1. Missing points (y = NaN) advance time but teach nothing: Holt-Winters
 *     moves its level along the damped trend, the others keep their state.
 *  2. Outliers. Holt-Winters and Fourier feed their state with the error
 *     filtered by fc_rob_filter: an error above FC_ROB_C times the running
 *     mean absolute error is winsorized, so one spike moves a seasonal slot
 *     by at most gamma*FC_ROB_C*mad instead of the spike. shift_m outliers in
 *     a row with the same sign are a level shift: the level (intercept)
 *     jumps by their median and the trend restarts at 0.
 *  3. Warm-up. Holt-Winters watches its first two seasonal cycles, then starts
 *     from them robustly (init_from_cycles); its season constant is
 *     max(gamma, 1/cycles) so the next cycles average instead of smoothing
 *     from two noisy ones (without a season the level
 *     starts as a running mean: alpha = max(alpha, 1/points)). RLS
 *     starts from theta = 0, P = FC_P0 * I; the diagonal of P is clamped at
 *     FC_P0 so directions the data does not excite cannot wind up.
 *  4. Seasonal slots are absolute (slot mod the season from the Unix epoch,
 *     i.e. UTC time of day for the default daily season; hour of week), so
 *     a model restarts aligned and the Fourier phase never drifts.
 */
#include "util/common.h"

#include "forecast/fc_impl.h"

#define FC_ROB_C 3.0      /* outlier threshold, in running mean absolute errors */
#define FC_ROB_RATE 0.05  /* EWMA rate of the running mean absolute error */
#define FC_ROB_WARM 8     /* errors before the filter starts clipping */
#define FC_P0 100.0       /* RLS prior variance and windup clamp */
#define FC_TWO_PI 6.283185307179586476925286766559

double fc_median(double *v, int n)
{
    for (int i = 1; i < n; i++) {
        double x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
    if (n <= 0)
        return FC_NAN;
    return (n & 1) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double fc_rob_filter(fc_rob *r, double e, int32_t m, double *shift)
{
    double a = fabs(e);
    *shift = 0.0;
    if (r->n < FC_ROB_WARM) {
        r->n++;
        r->mad += (a - r->mad) / (double)r->n;
        r->run = 0;
        return e;
    }
    r->n++;
    double thr = FC_ROB_C * r->mad;
    double out = e;
    if (a > thr) {
        int32_t s = e > 0 ? 1 : -1;
        if (r->run == 0 || s != r->sign) {
            r->run = 0;
            r->sign = s;
        }
        r->buf[r->run++] = e;
        if (r->run >= m) {
            double tmp[FC_SHIFT_MAX];
            memcpy(tmp, r->buf, sizeof(double) * (size_t)r->run);
            *shift = fc_median(tmp, r->run);
            r->run = 0;
            out = 0.0;
        } else {
            out = (double)s * thr;
        }
    } else {
        r->run = 0;
    }
    /* A zero scale (a constant series so far) is set by the first change. */
    double upd = r->mad > 0 ? fmin(a, thr) : a;
    r->mad += FC_ROB_RATE * (upd - r->mad);
    return out;
}

/* ---- naive: the last observed value ---- */

void fc_naive_reset(fc_naive *n)
{
    n->has = 0;
    n->last = 0.0;
}

void fc_naive_update(fc_naive *n, double y)
{
    if (isnan(y))
        return;
    n->has = 1;
    n->last = y;
}

double fc_naive_forecast(const fc_naive *n)
{
    return n->has ? n->last : FC_NAN;
}

/* ---- local median of the last w observed points ---- */

void fc_lmed_reset(fc_lmed *l)
{
    l->n = 0;
    l->head = 0;
}

static void sorted_remove(double *a, int n, double x)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) { /* first index with a[i] >= x */
        int mid = (lo + hi) / 2;
        if (a[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(a + lo, a + lo + 1, sizeof(double) * (size_t)(n - lo - 1));
}

static void sorted_insert(double *a, int n, double x)
{
    int i = n;
    while (i > 0 && a[i - 1] > x) {
        a[i] = a[i - 1];
        i--;
    }
    a[i] = x;
}

void fc_lmed_update(fc_lmed *l, double y)
{
    if (isnan(y))
        return;
    if (l->n == l->w) {
        sorted_remove(l->sorted, l->n, l->fifo[l->head]);
        l->fifo[l->head] = y;
        l->head = (l->head + 1) % l->w;
        sorted_insert(l->sorted, l->n - 1, y);
    } else {
        l->fifo[(l->head + l->n) % l->w] = y;
        sorted_insert(l->sorted, l->n, y);
        l->n++;
    }
}

double fc_lmed_forecast(const fc_lmed *l)
{
    if (l->n == 0)
        return FC_NAN;
    return (l->n & 1) ? l->sorted[l->n / 2] : 0.5 * (l->sorted[l->n / 2 - 1] + l->sorted[l->n / 2]);
}

/* ---- seasonal naive / seasonal median ----
 * The median of the same slot K periods back. An isolated outlier (flagged
 * by the engine, model.c) is skipped like a missing point, so a spike is
 * not repeated a period later. */

double fc_sn_forecast(const fc_sn *s, const fc_ctx *x, int64_t h)
{
    const fc_cfg *c = x->c;
    int64_t per = s->week ? c->p2 : c->p1;
    if (per <= 0)
        return FC_NAN;
    double v[FC_SN_KMAX];
    int n = 0;
    int64_t j0 = (h + per - 1) / per;
    /* K values from the same slot of past periods, skipping missing points
     * and flagged outliers (looking at most two periods further back). */
    for (int64_t j = j0; j < j0 + s->K + 2 && n < s->K; j++) {
        int64_t slot = x->k + h - j * per;
        if (slot < x->k_lo)
            break;
        double y = x->hist[slot % c->cap];
        if (!isnan(y) && !fc_flagged(x, slot))
            v[n++] = y;
    }
    return n > 0 ? fc_median(v, n) : FC_NAN;
}

/* ---- additive Holt-Winters, damped trend, season + hour-of-week ---- */

static int64_t wslot(const fc_ctx *x, int64_t k)
{
    int64_t t = k * x->c->step + x->phase;
    return (t % (7 * 86400)) / x->c->wwidth;
}

void fc_hw_reset(fc_hw *h, const fc_cfg *c)
{
    h->l = h->b = 0.0;
    h->n_obs = h->n_steps = 0;
    memset(&h->rob, 0, sizeof h->rob);
    for (int32_t i = 0; i < c->p1; i++)
        h->s[i] = 0.0;
    for (int32_t i = 0; i < c->nw; i++)
        h->w[i] = 0.0;
}

bool fc_hw_ready(const fc_hw *h, const fc_cfg *c)
{
    return h->n_obs >= 3 && (c->p1 == 0 || h->n_steps >= 2 * (int64_t)c->p1);
}

static void renormalize(double *s, int32_t n, double *l)
{
    double mean = 0.0;
    for (int32_t i = 0; i < n; i++)
        mean += s[i];
    mean /= (double)n;
    for (int32_t i = 0; i < n; i++)
        s[i] -= mean;
    *l += mean;
}

/* In-place heapsort (no allocation, O(n log n) worst case). */
static void sift(double *v, int64_t n, int64_t i)
{
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && v[c + 1] > v[c])
            c++;
        if (!(v[c] > v[i]))
            return;
        double t = v[c];
        v[c] = v[i];
        v[i] = t;
        i = c;
    }
}

static void heapsort_d(double *v, int64_t n)
{
    for (int64_t i = n / 2 - 1; i >= 0; i--)
        sift(v, n, i);
    for (int64_t e = n - 1; e > 0; e--) {
        double t = v[0];
        v[0] = v[e];
        v[e] = t;
        sift(v, e, 0);
    }
}

/* Median of the observed values of the cycle starting at slot `first`,
 * and their median absolute deviation; *n = how many. Uses h->s as
 * scratch (p1 doubles). */
static double cycle_median(fc_hw *h, const fc_ctx *x, int64_t first, double *mad, int64_t *n)
{
    const fc_cfg *c = x->c;
    int64_t m = 0;
    for (int64_t j = first; j < first + c->p1; j++) {
        double y = j >= x->k_lo ? x->hist[j % c->cap] : FC_NAN;
        if (!isnan(y))
            h->s[m++] = y;
    }
    *n = m;
    *mad = 0.0;
    if (m == 0)
        return FC_NAN;
    heapsort_d(h->s, m);
    double med = (m & 1) ? h->s[m / 2] : 0.5 * (h->s[m / 2 - 1] + h->s[m / 2]);
    for (int64_t i = 0; i < m; i++)
        h->s[i] = fabs(h->s[i] - med);
    heapsort_d(h->s, m);
    *mad = (m & 1) ? h->s[m / 2] : 0.5 * (h->s[m / 2 - 1] + h->s[m / 2]);
    return med;
}

/* Running median of y - level over slots i-half..i+half of the cycle that
 * starts at `first` (circular within the cycle, missing skipped; NaN if all
 * are missing). */
static double smooth_dev(const fc_ctx *x, int64_t first, int64_t i, double level, int64_t half)
{
    const fc_cfg *c = x->c;
    int64_t p = c->p1;
    double win[5];
    int m = 0;
    for (int64_t d = -half; d <= half; d++) {
        int64_t j = first + (i + d + p) % p;
        double y = j >= x->k_lo ? x->hist[j % c->cap] : FC_NAN;
        if (!isnan(y))
            win[m++] = y - level;
    }
    return m > 0 ? fc_median(win, m) : FC_NAN;
}

/* Robust start from the first two seasonal cycles (still in the history), so
 * that neither an outlier nor a burst of many points in either cycle becomes
 * part of the season (in the spirit of the robust starting values of Gelper,
 * Fried & Croux 2010):
 *  - each cycle's deviations from its own median, through a running median
 *    of 5 slots (3 when a cycle has fewer than 96 slots);
 *  - per slot, the mean of the two cycles when they agree within 5 MADs (the
 *    cycles' mean median absolute deviation), else the deviation nearer zero
 *    (a burst is in one cycle only); winsorized at 5 MADs;
 *  - level = the second cycle's median; no trend.
 * Two cycles with no observation leave the model uninitialized; the next
 * point then sets the level. */
static void init_from_cycles(fc_hw *h, const fc_ctx *x)
{
    const fc_cfg *c = x->c;
    int64_t p = c->p1, first2 = x->k - p + 1, first1 = first2 - p, n1, n2;
    double mad1, mad2;
    double m1 = cycle_median(h, x, first1, &mad1, &n1);
    double m2 = cycle_median(h, x, first2, &mad2, &n2);
    if (n1 + n2 == 0) {
        for (int64_t i = 0; i < p; i++)
            h->s[i] = 0.0;
        return;
    }
    double lim = 5.0 * (n1 && n2 ? 0.5 * (mad1 + mad2) : n1 ? mad1 : mad2);
    int64_t half = p >= 96 ? 2 : 1;
    for (int64_t i = 0; i < p; i++) {
        double d1 = n1 ? smooth_dev(x, first1, i, m1, half) : FC_NAN;
        double d2 = n2 ? smooth_dev(x, first2, i, m2, half) : FC_NAN;
        double d;
        if (isnan(d1) || isnan(d2))
            d = isnan(d1) ? (isnan(d2) ? 0.0 : d2) : d1;
        else if (fabs(d1 - d2) <= lim)
            d = 0.5 * (d1 + d2);
        else
            d = fabs(d1) < fabs(d2) ? d1 : d2;
        h->s[(first2 + i) % p] = fmax(-lim, fmin(lim, d));
    }
    h->l = n2 ? m2 : m1;
    h->b = 0.0;
    h->n_obs = n1 + n2;
}

void fc_hw_update(fc_hw *h, const fc_ctx *x, double y)
{
    const fc_cfg *c = x->c;
    int64_t si = c->p1 ? x->k % c->p1 : 0;
    int64_t wi = c->nw ? wslot(x, x->k) : 0;
    /* Keep the seasons centred once per cycle (moves their mean into the level). */
    bool cycle_start = c->p1 ? si == 0 : (x->k * c->step + x->phase) % (7 * 86400) < c->step;
    if (h->n_steps > 0 && cycle_start) {
        if (c->p1)
            renormalize(h->s, c->p1, &h->l);
        if (c->nw)
            renormalize(h->w, c->nw, &h->l);
    }
    int64_t steps = h->n_steps++;
    if (c->p1 && steps < 2 * (int64_t)c->p1) {
        /* First two cycles: only watch; at the last slot start from them. */
        if (steps == 2 * (int64_t)c->p1 - 1)
            init_from_cycles(h, x);
        return;
    }
    if (isnan(y)) {
        h->l += h->phi * h->b;
        h->b *= h->phi;
        return;
    }
    double sv = c->p1 ? h->s[si] : 0.0;
    double wv = c->nw ? h->w[wi] : 0.0;
    if (h->n_obs == 0) {
        h->l = y - sv - wv;
        h->b = 0.0;
        h->n_obs = 1;
        return;
    }
    double e = y - (h->l + h->phi * h->b + sv + wv);
    double shift;
    double eu = fc_rob_filter(&h->rob, e, c->shift_m, &shift);
    h->n_obs++;
    /* Without a season the level starts as a running mean; with one it
     * starts from the first cycle's mean and smooths at once. */
    double a = c->p1 ? h->alpha : fmax(h->alpha, 1.0 / (double)h->n_obs);
    double g = 0.0, gw = 0.0;
    if (c->p1 && h->gamma > 0)
        g = fmax(h->gamma, 1.0 / (double)(steps / c->p1 + 1));
    if (c->nw && h->gammaw > 0 && (c->p1 == 0 || steps >= c->p1)) {
        int64_t per_slot = c->wwidth / c->step > 0 ? c->wwidth / c->step : 1;
        int64_t weeks = steps / ((int64_t)c->nw * per_slot) + 1;
        gw = fmax(h->gammaw, 1.0 / (double)(weeks * per_slot));
    }
    if (g + gw > 1.0) {
        double t = g + gw;
        g /= t;
        gw /= t;
    }
    h->l = h->l + h->phi * h->b + a * eu + shift;
    h->b = shift != 0.0 ? 0.0 : h->phi * h->b + a * h->beta * eu;
    if (c->p1)
        h->s[si] += g * (1.0 - a) * eu;
    if (c->nw)
        h->w[wi] += gw * (1.0 - a) * eu;
}

/* phi + phi^2 + ... + phi^h, with phi^h by squaring (h is an integer lead;
 * cheaper than pow on the tracking path). */
static double phisum(double phi, int64_t h)
{
    if (phi >= 1.0)
        return (double)h;
    double r = 1.0, base = phi;
    for (int64_t e = h; e > 0; e >>= 1) {
        if (e & 1)
            r *= base;
        base *= base;
    }
    return phi * (1.0 - r) / (1.0 - phi);
}

double fc_hw_forecast(const fc_hw *h, const fc_ctx *x, int64_t hs)
{
    const fc_cfg *c = x->c;
    if (!fc_hw_ready(h, c))
        return FC_NAN;
    double f = h->l + (h->b != 0.0 ? phisum(h->phi, hs) * h->b : 0.0);
    if (c->p1)
        f += h->s[(x->k + hs) % c->p1];
    if (c->nw)
        f += h->w[wslot(x, x->k + hs)];
    return f;
}

/* ---- trend + Fourier regression, recursive least squares ---- */

int32_t fc_fou_nfeat(int32_t k1, int32_t k2, int32_t trend)
{
    return 1 + (trend ? 1 : 0) + 2 * k1 + 2 * k2;
}

void fc_fou_reset(fc_fou *f, int64_t k)
{
    f->p = fc_fou_nfeat(f->k1, f->k2, f->trend);
    f->anchor = k;
    f->off = 0.0;
    f->n_obs = 0;
    memset(&f->rob, 0, sizeof f->rob);
    memset(f->th, 0, sizeof f->th);
    memset(f->P, 0, sizeof f->P);
    for (int32_t i = 0; i < f->p; i++)
        f->P[i * f->p + i] = FC_P0;
}

static int harmonics(double *v, int i, int64_t k, double per, int32_t K)
{
    double a = FC_TWO_PI * fmod((double)k, per) / per;
    double c1 = cos(a), s1 = sin(a), cs = c1, sn = s1;
    for (int32_t j = 0; j < K; j++) {
        v[i++] = cs;
        v[i++] = sn;
        double cn = cs * c1 - sn * s1;
        sn = sn * c1 + cs * s1;
        cs = cn;
    }
    return i;
}

static void features(const fc_fou *f, const fc_cfg *c, int64_t k, double *v)
{
    int i = 0;
    v[i++] = 1.0;
    if (f->trend)
        v[i++] = (double)(k - f->anchor) * (double)c->step / 86400.0;
    if (f->k1 > 0)
        i = harmonics(v, i, k, c->P1, f->k1);
    if (f->k2 > 0)
        harmonics(v, i, k, c->P2, f->k2);
}

/* Moves the trend origin forward by d days so the trend feature stays small:
 * theta' = T theta and P' = T P T' with T = I + d e0 e1'. */
static void reanchor(fc_fou *f, int64_t slots, double days)
{
    int32_t p = f->p;
    f->th[0] += f->th[1] * days;
    for (int32_t j = 0; j < p; j++)
        f->P[j] += days * f->P[p + j];
    for (int32_t i = 0; i < p; i++)
        f->P[i * p] += days * f->P[i * p + 1];
    f->anchor += slots;
}

void fc_fou_update(fc_fou *f, const fc_ctx *x, double y)
{
    const fc_cfg *c = x->c;
    if (isnan(y))
        return;
    int32_t p = f->p;
    if (f->trend && (x->k - f->anchor) * c->step > 30 * 86400) {
        int64_t slots = (x->k - f->anchor) / 2;
        reanchor(f, slots, (double)slots * (double)c->step / 86400.0);
    }
    if (f->n_obs == 0)
        f->off = y; /* the prior shrinks towards the first value, not 0 */
    double v[FC_FOU_PMAX], pv[FC_FOU_PMAX];
    features(f, c, x->k, v);
    double yhat = f->off;
    for (int32_t i = 0; i < p; i++)
        yhat += v[i] * f->th[i];
    double shift;
    double eu = fc_rob_filter(&f->rob, y - yhat, c->shift_m, &shift);
    if (shift != 0.0) {
        f->th[0] += shift;
        if (f->trend)
            f->th[1] = 0.0;
    }
    double den = f->lambda;
    for (int32_t i = 0; i < p; i++) {
        double s = 0.0;
        for (int32_t j = 0; j < p; j++)
            s += f->P[i * p + j] * v[j];
        pv[i] = s;
        den += v[i] * s;
    }
    for (int32_t i = 0; i < p; i++)
        f->th[i] += pv[i] / den * eu;
    double il = 1.0 / f->lambda;
    for (int32_t i = 0; i < p; i++) {
        double a = pv[i] / den;
        for (int32_t j = i; j < p; j++) {
            double nv = (f->P[i * p + j] - a * pv[j]) * il;
            f->P[i * p + j] = nv;
            f->P[j * p + i] = nv;
        }
    }
    for (int32_t i = 0; i < p; i++) {
        double d = f->P[i * p + i];
        if (d > FC_P0) {
            double s = sqrt(FC_P0 / d);
            for (int32_t j = 0; j < p; j++) {
                f->P[i * p + j] *= s;
                f->P[j * p + i] *= s;
            }
        }
    }
    f->n_obs++;
}

double fc_fou_forecast(const fc_fou *f, const fc_ctx *x, int64_t hs)
{
    const fc_cfg *c = x->c;
    int64_t need = c->p1 ? 2 * (int64_t)c->p1 : 2 * (int64_t)f->p;
    if (f->n_obs < need)
        return FC_NAN;
    double v[FC_FOU_PMAX];
    features(f, c, x->k + hs, v);
    double y = f->off;
    for (int32_t i = 0; i < f->p; i++)
        y += v[i] * f->th[i];
    return y;
}
