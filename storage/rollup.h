/* rollup.h — the per-bucket aggregate kept for every kept series, and the
 * pure arithmetic on it. Owned by storage/ because it is what the store
 * persists; ingest/ feeds samples into it, http/ serves it.
 *
 * A bucket is UTC-aligned: minute [⌊t/60s⌋·60s, +60s), hour likewise.
 *
 * Counter semantics (reset-aware, as PromQL): each sample after the first of
 * a series contributes an increase of v - prev when v >= prev, else max(v, 0)
 * (the counter was reset and counted up from 0 to v; a counter is never
 * negative, and clamping keeps increase >= 0 for gauges fed through here).
 * The increase is attributed to the bucket that holds the later sample, so
 * summing `increase` over consecutive buckets equals the total increase of
 * the series.
 *
 * Staleness markers and other NaN/±Inf never reach these functions: ingest
 * filters them out first (DESIGN §4).
 *
 * Thread rules: pure functions on caller-owned structs.
 */
#ifndef AUG_STORAGE_ROLLUP_H
#define AUG_STORAGE_ROLLUP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct store_rollup {
    uint32_t count;      /* samples aggregated; 0 = empty bucket */
    double sum;          /* sum of values */
    double min;          /* smallest value */
    double max;          /* largest value */
    double last;         /* value of the latest sample */
    int64_t last_ts_ms;  /* timestamp of the latest sample */
    double increase;     /* reset-aware counter increase inside the bucket */
} store_rollup;

/* Adds one finite sample. `prev` is the series' previous sample value and
 * has_prev says whether there is one (false for a series' very first
 * sample); it drives `increase`. */
void store_rollup_add(store_rollup *r, int64_t ts_ms, double v, bool has_prev, double prev);

/* Merges `src` (a later or equal-time bucket of the same series) into dst:
 * counts add (saturating at UINT32_MAX), sums add, min/max combine,
 * last/last_ts come from the later one, increases add. Used to build an hour
 * from its minutes. */
void store_rollup_merge(store_rollup *dst, const store_rollup *src);

/* Invariant checker for AUG_DEBUG_ASSERT: count 0 means all-zero fields;
 * otherwise min <= last <= max, all finite, min <= sum/count <= max within
 * rounding, increase >= 0 (sum and increase may be +-Inf only when the
 * values are large enough to overflow a double). */
bool store_rollup_check(const store_rollup *r);

#endif
