/* export.h — the durable remote-write client (src/export/): augur's ai_*
 * series, written back to every configured remote_write target.
 *
 * Flow: the daemon hands export_enqueue the samples of one evaluation. For
 * each target, samples that would break the receiver's rules are refused
 * and counted (a timestamp in the future, or not after the last one written
 * for that series to that target); the rest are appended to the target's
 * outbox in LMDB (storage/outbox.c) and committed before export_enqueue
 * returns. A sender thread per target drains its outbox oldest first, in
 * requests of at most remote_write.batch_size samples (snappy + protobuf,
 * remote-write 1.0), and deletes what the receiver acknowledged:
 *
 *   2xx                          → sent: deleted
 *   5xx, 429, no response        → retried, same batch, after a jittered
 *                                  exponential backoff (min_backoff ..
 *                                  max_backoff, or Retry-After if longer),
 *                                  forever: the queue limit bounds the cost
 *   other 4xx                    → dropped (counted, logged): a receiver
 *                                  that refuses a batch will refuse it again
 *   1xx/3xx (not followed)       → dropped likewise
 *   a record that cannot be read → dropped (counted, logged)
 *
 * Guarantees:
 * - Durable: a sample export_enqueue accepted survives a crash or restart
 *   of augur and a target being down, until the receiver acknowledges it or
 *   the queue limit drops it. Reopening on the same store resumes the
 *   backlog; a batch that was acknowledged and deleted is never sent again.
 *   A crash between a 2xx and the delete commit resends that one batch,
 *   which receivers accept (an identical resend is not out of order).
 * - Strictly increasing per series and target: export never sends a sample
 *   whose timestamp is <= one it already enqueued for the same label set
 *   to the same target (see "series map" below), and sends each target's
 *   samples in enqueue order.
 * - Never in the future: a sample with ts > now + future_tolerance_ms
 *   (default 0) at enqueue is refused (DESIGN: never remote-write future
 *   timestamps; the future is reached by remote-read).
 * - Bounded: each target's outbox holds at most remote_write.queue_limit
 *   samples; an enqueue that would pass it deletes the OLDEST records first
 *   (whole records, so possibly a few more samples than needed), counted as
 *   dropped_queue_full. Fresh forecasts are worth more than stale ones.
 *
 * Series map: per target, at most export_opts.series_limit (default
 * 100000) entries of series hash → last timestamp enqueued; memory follows
 * the number of series (~50-100 bytes each; 8.3 MiB for a full default
 * map, ~200 KiB for 2000 series). When full, the oldest quarter (by
 * timestamp) is forgotten and the map's floor rises to the newest
 * timestamp forgotten; a series not in the map is admitted only above the
 * floor. The floor is also persisted per target (store meta
 * "export.<target id hex>.max_ts" = newest timestamp ever enqueued) and
 * restored at open, so after a restart the first sample of every series
 * must be newer than anything enqueued before it. More new series in one
 * call than the limit → the excess is refused (rejected_series_limit).
 *
 * Targets are identified by remote_write `name` (default: the url). The
 * outbox of a name that is no longer configured is deleted at open, with a
 * warning giving its sample count: renaming a target drops its backlog.
 *
 * Reload = export_close(old, drain) + export_open(new config) on the same
 * store: the backlog is durable, so nothing is lost; metric children are
 * looked up again by name and keep counting. (A reconfigure in place would
 * save one thread restart per target on a rare event, at the price of a
 * second code path for every setting.) An in-flight request cut short by
 * close is resent by the new exporter.
 *
 * Self-metrics (registered at open; label target = the target's name):
 *   augur_export_samples_total{target, result}   counter; result is one of
 *       sent, dropped_4xx, dropped_other_status, dropped_queue_full,
 *       dropped_corrupt, rejected_out_of_order, rejected_future,
 *       rejected_series_limit
 *   augur_export_requests_total{target, code}    counter; code = HTTP status,
 *       or "network" when no response arrived
 *   augur_export_queue_samples{target}           gauge
 *   augur_export_retries_total{target}           counter
 *   augur_export_send_duration_seconds{target}   histogram, per attempt
 *   augur_export_last_success_timestamp_seconds{target}  gauge (clock of opts)
 *
 * Threads: export_enqueue, export_wait_idle and export_target_stats_get are
 * thread-safe (enqueues are serialized). export_close must not run
 * concurrently with any other call on the same exporter, and nothing may be
 * called after it. Each sender thread takes short LMDB transactions of its
 * own (a read txn to build a batch — never held across a request — and a
 * write txn to delete what was acknowledged); export_enqueue takes one
 * write txn for all targets. They are separate from the ingest writer's;
 * LMDB serializes them.
 *
 * Lifetimes: export_open copies what it needs from the config (which may be
 * freed afterwards); the store and the registry must outlive the exporter.
 */
#ifndef AUG_EXPORT_EXPORT_H
#define AUG_EXPORT_EXPORT_H

#include "config/config.h"
#include "metrics/metrics.h"
#include "storage/store.h"
#include "util/common.h"
#include "util/err.h"
#include "wire/wire.h"

typedef struct export export;

/* One sample of one series, as the daemon produces them. */
typedef struct export_series {
    const aug_label *labels; /* any order (export sorts a copy); 1..128 labels; names
                                [a-zA-Z_][a-zA-Z0-9_]*, unique; values non-empty UTF-8
                                without 0xFF bytes; __name__, if present, a valid
                                metric name. Borrowed for the call. */
    size_t nlabels;
    int64_t ts_ms;
    double value;            /* bits preserved (staleness NaN included) */
} export_series;

typedef struct export_opts {
    /* Wall clock in ms for the future check and the last-success gauge;
     * NULL → util_now_ms. Called from the enqueuing thread and from every
     * sender thread, so it must be thread-safe. Tests pass a fake. */
    int64_t (*now_ms)(void *arg);
    void *clock_arg;
    /* Seed of the backoff jitter PRNG; 0 → derived from the monotonic clock
     * and the process id. */
    uint64_t seed;
    /* A sample is refused when ts > now + this (>= 0). Default 0. */
    int64_t future_tolerance_ms;
    /* Series map entries per target; 0 → 100000. */
    size_t series_limit;
} export_opts;

/* Opens the exporter for cfg->remote_write (0 targets is valid: enqueue
 * then only validates), counts each target's backlog, deletes the outbox of
 * targets no longer configured, registers the metrics and starts one
 * sender thread per target.
 *  s:    in: the store; must outlive the exporter.
 *  cfg:  in: borrowed for the call (everything needed is copied).
 *  reg:  in: the self-metrics registry; must outlive the exporter.
 *  opts: in: may be NULL for the defaults.
 *  out:  out: caller frees with export_close.
 *  eb:   out: the reason on failure (may be NULL).
 * Errors: AUG_EINVAL (NULL store/config/registry, bad opts, two target names
 * with the same 64-bit id, a URL or TLS setting libcurl refuses),
 * AUG_ENOMEM, AUG_EIO/AUG_ECORRUPT (reading the outbox), AUG_EAGAIN (a
 * thread could not be started). */
aug_err export_open(store *s, const cfg_config *cfg, metrics_registry *reg, const export_opts *opts, export **out,
                    aug_errbuf *eb);

/* Enqueues one evaluation's samples for every target: for each target, one
 * write transaction appends the admitted samples as one outbox record (or
 * several of at most batch_size samples each) and drops the oldest records
 * past queue_limit; it is committed (fsync) before this returns. Refused
 * samples are counted per target, not errors.
 *  series: in: n samples, borrowed for the call.
 *  eb:     out: the reason on failure (may be NULL).
 * Errors: AUG_EINVAL (a label set breaking the rules above, named in eb:
 * nothing is enqueued), AUG_ETOOBIG (over 128 labels, a label over 16 KiB,
 * or an evaluation over 256 MiB of label keys), AUG_ENOMEM, AUG_EFULL (the
 * store is at its maximum size), AUG_EIO, AUG_ESHUTDOWN (closing). On
 * failure nothing was enqueued to any target and the series maps are
 * unchanged. */
aug_err export_enqueue(export *x, const export_series *series, size_t n, aug_errbuf *eb);

/* Waits until every target's outbox is empty (AUG_OK) or timeout_ms passed
 * (AUG_EAGAIN). For tests, benchmarks and orderly shutdown. */
aug_err export_wait_idle(export *x, int64_t timeout_ms);

/* What /api/v1/status shows about a target. */
typedef struct export_target_stats {
    const char *name;         /* borrowed until export_close */
    uint64_t queued_samples;  /* in the outbox */
    uint64_t queued_records;
    int64_t last_success_ms;  /* clock of opts; 0 if none since open */
    bool failing;             /* the last attempt failed and is being retried */
    long last_status;         /* HTTP status of the last attempt; 0 = none/network */
} export_target_stats;

size_t export_target_count(const export *x);
/* AUG_EINVAL if i >= export_target_count(x). */
aug_err export_target_stats_get(export *x, size_t i, export_target_stats *out);

/* Stops accepting, lets senders drain for up to drain_timeout_ms (0: stop
 * now; a request in flight is aborted and its batch stays queued), joins
 * them and frees everything. What was not sent stays in the outbox for the
 * next export_open. NULL is a no-op. */
void export_close(export *x, int64_t drain_timeout_ms);

#endif
