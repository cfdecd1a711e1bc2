/* rollup.c — the arithmetic of one bucket (see rollup.h).
 *
 * Invariants of a store_rollup (store_rollup_check):
 *   1. count == 0 ⇒ every field is zero.
 *   2. count > 0 ⇒ min <= last <= max, all of min/max/last finite.
 *   3. count > 0 ⇒ min - tol <= sum/count <= max + tol, where tol covers the
 *      rounding of `count` additions; sum may be ±Inf only when count × the
 *      largest magnitude can overflow a double.
 *   4. increase >= 0 (it may overflow to +Inf the same way as sum).
 * Invariant 4 is why a drop to a negative value contributes 0 rather than v:
 * a counter never goes below 0, and a gauge fed through here must not make
 * the invariant depend on its sign.
 */
#include "util/common.h"
#include "storage/rollup.h"

#include <float.h>

void store_rollup_add(store_rollup *r, int64_t ts_ms, double v, bool has_prev, double prev)
{
    if (r->count == 0) {
        r->sum = r->min = r->max = v;
        r->last = v;
        r->last_ts_ms = ts_ms;
    } else {
        r->sum += v;
        if (v < r->min)
            r->min = v;
        if (v > r->max)
            r->max = v;
        if (ts_ms >= r->last_ts_ms) {
            r->last = v;
            r->last_ts_ms = ts_ms;
        }
    }
    if (r->count < UINT32_MAX)
        r->count++;
    if (has_prev)
        r->increase += v >= prev ? v - prev : (v > 0 ? v : 0);
}

void store_rollup_merge(store_rollup *dst, const store_rollup *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0) {
        *dst = *src;
        return;
    }
    dst->count = src->count > UINT32_MAX - dst->count ? UINT32_MAX : dst->count + src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    if (src->last_ts_ms >= dst->last_ts_ms) {
        dst->last = src->last;
        dst->last_ts_ms = src->last_ts_ms;
    }
    dst->increase += src->increase;
}

/* Could adding `count` values of magnitude <= mag overflow a double? */
static bool may_overflow(double mag, uint32_t count)
{
    return mag >= DBL_MAX / ((double)count + 1.0);
}

bool store_rollup_check(const store_rollup *r)
{
    if (r->count == 0)
        return r->sum == 0 && r->min == 0 && r->max == 0 && r->last == 0 && r->last_ts_ms == 0 &&
               r->increase == 0;
    if (!isfinite(r->min) || !isfinite(r->max) || !isfinite(r->last))
        return false;
    if (!(r->min <= r->last && r->last <= r->max))
        return false;
    double mag = fmax(fabs(r->min), fabs(r->max));
    if (isfinite(r->sum)) {
        double mean = r->sum / r->count;
        double tol = mag * DBL_EPSILON * 2.0 * r->count + DBL_MIN;
        if (!(mean >= r->min - tol && mean <= r->max + tol))
            return false;
    } else if (isnan(r->sum) || !may_overflow(mag, r->count)) {
        return false;
    }
    if (!(r->increase >= 0))
        return false;
    return isfinite(r->increase) || may_overflow(mag, r->count);
}
