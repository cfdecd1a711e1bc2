/* export_int.h — what the files of src/export/ share and nobody else sees:
 * the per-target series map (smap.c), jittered backoff (backoff.c) and one
 * target's remote-write sender (post.c, over client.c's shared HTTP client).
 * export.c ties them to the outbox.
 *
 * All three are single-owner objects without locks: a target's series map
 * is used under the exporter's enqueue mutex, its post object and PRNG only
 * by its sender thread.
 */
#ifndef AUG_EXPORT_EXPORT_INT_H
#define AUG_EXPORT_EXPORT_INT_H

#include "config/config.h"
#include "export/client.h"
#include "util/common.h"
#include "util/err.h"
#include "util/hash.h"

/* ==== smap.c: series → last timestamp written, bounded ====================
 *
 * Remembers, per series (128-bit hash of its canonical label key), the
 * newest timestamp accepted for one target, so export never enqueues a
 * sample at or before one it already enqueued (DESIGN: strictly increasing
 * per series). At most `limit` entries. A series not in the map is admitted
 * only above the map's `floor`: the newest timestamp the map ever forgot
 * (by eviction) or was told about (the persisted high-water mark at open).
 * So forgetting a series never lets an out-of-order sample through; it can
 * only refuse a sample that would have been fine (a new series at or below
 * the floor), and that is counted.
 *
 * When full: export_smap_reserve evicts the oldest quarter of the entries
 * (by timestamp, or more if more room is asked for) in one O(limit) pass and
 * raises the floor to the newest timestamp evicted. Series written every
 * evaluation keep recent timestamps and stay; series that stopped being
 * written go first. If one call brings more new series than `limit`, the
 * excess is refused (EXPORT_SMAP_FULL).
 */

typedef struct export_smap export_smap;

typedef enum export_smap_rc {
    EXPORT_SMAP_OK = 0,  /* admitted and recorded */
    EXPORT_SMAP_OLD = 1, /* ts <= last ts of the series (or <= floor if unknown) */
    EXPORT_SMAP_FULL = 2 /* unknown series and no room left */
} export_smap_rc;

/* One admitted change, to undo it if the transaction that was to make it
 * durable fails. */
typedef struct export_smap_undo {
    util_hash128 h;
    int64_t prev_ts;
    bool existed;
} export_smap_undo;

/* limit >= 1 entries; floor as above (INT64_MIN: none). Caller frees with
 * export_smap_free. AUG_EINVAL, AUG_ENOMEM. */
aug_err export_smap_new(size_t limit, int64_t floor, export_smap **out);
void export_smap_free(export_smap *m);
size_t export_smap_count(const export_smap *m);
int64_t export_smap_floor(const export_smap *m);
/* Makes room for n more series: grows the table (memory follows the
 * number of series, up to what `limit` needs) and evicts (see above) if
 * count + n would pass the limit. Call it before admitting up to n series;
 * AUG_ENOMEM (the map is unchanged). */
aug_err export_smap_reserve(export_smap *m, size_t n);
/* Admits ts for series h: records it and fills *undo on EXPORT_SMAP_OK. */
export_smap_rc export_smap_admit(export_smap *m, util_hash128 h, int64_t ts, export_smap_undo *undo);
/* Undoes n admissions, newest first (pass them in the order admitted). */
void export_smap_rollback(export_smap *m, const export_smap_undo *u, size_t n);
/* Invariant checker: every entry is reachable from its home slot (no empty
 * slot between them), hashes are unique and the count matches. For
 * AUG_DEBUG_ASSERT and tests. */
bool export_smap_check(const export_smap *m);

/* ==== backoff.c: exponential backoff with jitter ========================== */

/* splitmix64: a seedable PRNG (never rand()); *state advances. */
uint64_t export_rng_next(uint64_t *state);

/* Delay before retry number `attempt` (0 for the first retry): uniform in
 * [min_ms, min(max_ms, min_ms * 2^attempt)], drawn from *rng. min_ms >= 1,
 * max_ms >= min_ms (else clamped). */
int64_t export_backoff_ms(int64_t min_ms, int64_t max_ms, unsigned attempt, uint64_t *rng);

/* ==== post.c: one target's remote-write sender ============================ */

/* A remote-write request over the shared HTTP client (client.h): the
 * remote-write headers, then the target's custom headers and credentials. */
typedef struct export_post export_post;

/* Builds a sender for rw (every string is copied: rw may be freed after).
 * should_abort(arg) is polled during a transfer (~ every 100 ms or faster,
 * per libcurl's progress callback); true aborts it. AUG_ENOMEM, AUG_EINVAL
 * (a URL libcurl refuses, a tls.server_name with a non-https URL), with the
 * reason in eb. */
aug_err export_post_new(const cfg_remote_write *rw, bool (*should_abort)(void *arg), void *arg, export_post **out,
                        aug_errbuf *eb);

/* POSTs one snappy-compressed WriteRequest with the remote-write headers,
 * custom headers and credentials (token and password files are read now,
 * at each request). Returns what export_client_post returns. body is
 * borrowed for the call. */
aug_err export_post_send(export_post *p, const uint8_t *body, size_t len, export_client_result *res);

/* NULL is a no-op. */
void export_post_free(export_post *p);

#endif
