/* ingest.h — the ingest writer: rollups, group commit, WAL, recovery.
 *
 * Owns the in-memory table of every known series (128-bit label hash → dense
 * id, plus the per-series state: dedup point, counter base, open minute and
 * hour buckets) and the one thread that writes to the store.
 *
 * Write path (DESIGN §1): an HTTP thread decodes a request into wire_series
 * views (its arena), filters out what is not kept, then calls ingest_write,
 * which queues the batch and sleeps until the group commit that covers it is
 * durable. The writer takes every queued batch, applies them to the series
 * table, appends ONE write-ahead-log record with every sample that changed
 * state, writes the buckets that closed, and commits. The waiting requests
 * are released with AUG_OK only once a flush has made that commit durable:
 * the next commit's fdatasync, or store_sync when nothing else is queued
 * (ingest.c invariant 8). So a 2xx reply means the samples survive kill -9
 * and an OS crash or power loss. Open buckets live in memory; they are reconstructed after
 * a crash from the last checkpoint of series states plus the WAL after it.
 *
 * Semantics (DESIGN §4): a sample with ts <= the series' last accepted ts is
 * a duplicate and changes nothing (retries are idempotent); a staleness
 * marker ends the series (closes its buckets, never aggregated); other
 * NaN/±Inf are counted and skipped; a bucket closes when a later sample of
 * its series arrives, or when the wall clock is past its end + close_delay
 * and the series has been quiet for close_delay.
 *
 * Threads: ingest_write is called from any number of threads; everything else
 * about the table belongs to the writer thread. ingest_stats reads atomics.
 * Lifetimes: the wire_series views passed to ingest_write are borrowed until
 * it returns (the writer reads them while the caller sleeps).
 */
#ifndef AUG_INGEST_INGEST_H
#define AUG_INGEST_INGEST_H

#include "storage/store.h"
#include "util/common.h"
#include "util/err.h"
#include "wire/wire.h"

typedef struct ingest ingest;
struct metrics_registry;

typedef struct ingest_opts {
    int64_t close_delay_ms;         /* wall-clock grace before closing a quiet series' bucket */
    int64_t checkpoint_interval_ms; /* how often series states are checkpointed and the WAL truncated */
    int64_t minute_retention_s;     /* minute rollups older than this are deleted */
    int64_t hour_retention_s;       /* hour rollups older than this are deleted */
    size_t max_series;              /* series table limit; samples of new series past it are dropped */
    size_t queue_limit_samples;     /* samples waiting for a commit before ingest_write says AUG_EAGAIN */
    size_t checkpoint_chunk;        /* series states written per commit while a checkpoint is in
                                       progress; 0 = 8192 (a tuning knob for tests, not in the config) */
} ingest_opts;

/* Per-request outcome, filled by ingest_write. */
typedef struct ingest_result {
    uint64_t accepted;     /* samples folded into rollups */
    uint64_t duplicate;    /* ts <= last stored ts of the series */
    uint64_t stale;        /* staleness markers (end the series) */
    uint64_t nonfinite;    /* NaN/±Inf other than staleness markers */
    uint64_t series_limit; /* samples of new series refused by max_series */
    uint64_t new_series;   /* series created by this request */
} ingest_result;

/* Called by the writer thread for each closed bucket, after it is written
 * but possibly before the commit is durable. Must be quick; the rollup is
 * borrowed for the call. */
typedef void (*ingest_bucket_fn)(void *arg, uint32_t id, store_res res, int64_t start_s, const store_rollup *r);

/* Loads the series table and states from the store, replays the WAL after the
 * last checkpoint, registers ingest's self-metrics in reg, and starts the
 * writer thread. Caller frees with ingest_close. */
aug_err ingest_open(store *s, const ingest_opts *opts, struct metrics_registry *reg, ingest **out,
                    aug_errbuf *eb);

/* Installs the closed-bucket hook (NULL to remove). Thread-safe. */
void ingest_set_bucket_hook(ingest *g, ingest_bucket_fn fn, void *arg);

/* Updates options that can change on reload (close delay, retention,
 * limits). Thread-safe. */
void ingest_set_opts(ingest *g, const ingest_opts *opts);

/* Sample timestamps ingest_write accepts: |ts_ms| <= this (~285 million
 * years either side of 1970); past it no rollup bucket can be keyed. */
#define INGEST_TS_LIMIT_MS INT64_C(9000000000000000000)

/* Queues n series and blocks until they are durably committed (flushed).
 * Returns AUG_OK (res filled), AUG_EINVAL (a sample timestamp beyond
 * ±INGEST_TS_LIMIT_MS: nothing of the request is queued → 400), AUG_EAGAIN (queue full: retry later → 503),
 * AUG_EIO/AUG_EFULL (the commit failed; nothing of this request is stored →
 * 503), AUG_EIO also when a flush failed after the commit (the samples may
 * or may not be on disk; the store refuses writes from then on, see
 * store_status → 503 until a restart), AUG_ESHUTDOWN (closing). */
aug_err ingest_write(ingest *g, const wire_series *series, size_t n, ingest_result *res);

typedef struct ingest_stats {
    uint64_t series;         /* series in the table */
    uint64_t commits;        /* group commits done */
    uint64_t pending;        /* samples waiting for a commit */
} ingest_stats;
void ingest_stats_get(ingest *g, ingest_stats *out);

/* Stops accepting writes, commits everything queued, writes a final
 * checkpoint, stops the writer and frees. NULL is a no-op. */
void ingest_close(ingest *g);

#endif
