/* backoff.c — retry delays for a remote-write target (contract in
 * export_int.h).
 *
 * Retry k (k = 0 for the first) waits a delay drawn uniformly from
 * [min, min(max, min·2^k)]: the ceiling doubles per failure as in
 * Prometheus' queue manager, and the jitter spreads the retries of several
 * augur instances (or targets) that failed together, so a receiver coming
 * back is not hit by all of them at once. The floor stays at min so a
 * retry never turns into a busy loop. Unlike the AWS "full jitter" formula
 * ([0, ceiling]) this keeps the first retry from happening immediately,
 * which for remote-write (a receiver that just said 503) is the point.
 *
 * The PRNG is splitmix64, seeded per target by export.c from the exporter's
 * seed, so tests get the same delays on every run and never touch rand().
 */
#include "util/common.h"
#include "export/export_int.h"

uint64_t export_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int64_t export_backoff_ms(int64_t min_ms, int64_t max_ms, unsigned attempt, uint64_t *rng)
{
    if (min_ms < 1)
        min_ms = 1;
    if (max_ms < min_ms)
        max_ms = min_ms;
    int64_t ceil = max_ms;
    if (attempt < 62 && min_ms <= (max_ms >> attempt))
        ceil = min_ms << attempt;
    uint64_t span = (uint64_t)(ceil - min_ms) + 1;
    /* span <= 1 h in ms (< 2^22), so the modulo bias over 64 random bits
     * is below 2^-42. */
    return min_ms + (int64_t)(export_rng_next(rng) % span);
}
