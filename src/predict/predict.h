/* predict.h — forecasts in the running daemon (src/predict/).
 *
 * Purpose. Turns closed rollup buckets (the ingest hook) into forecasts:
 * each configured forecast target (cfg_forecast: selector, rate, aggregate,
 * resolution, horizons, model) gets one fc_model per group of input series;
 * every time a group's bucket is final the model learns it, forecasts up to
 * the longest horizon, checks its past forecasts against what happened (the
 * feedback loop), and the resulting points go to a sink callback:
 *
 *   ai_<name>_forecast{<group labels>, horizon="1h"}             mean at t+1h
 *   ai_<name>_forecast_lower{..., horizon, interval="80"|"95"}   interval bounds
 *   ai_<name>_forecast_upper{..., horizon, interval="80"|"95"}
 *   ai_<name>_forecast_error{..., horizon}      rolling weighted abs. percentage error (forecast/accuracy.h)
 *   ai_<name>_anomaly_score{...}                |actual - 1-step forecast| / σ
 *   ai_<name>_forecast_state{..., state="cold"|"warming"|"ready"}   1 / 0
 *
 * all stamped t = the end of the bucket just learned (never in the future,
 * strictly increasing per series). The latest forecast path of each group is
 * kept in memory for remote-read (`ai_<name>_forecast_path`, `_lower`,
 * `_upper`, at future timestamps), and each model is saved in the store's
 * blob table so a restart resumes without refitting. docs/predict.md has the
 * rules (finalization, feedback, cold start, persistence) for users; the
 * design notes and invariants are at the top of predict.c; the byte format
 * of a saved model at the top of record.c.
 *
 * Scalers (scale.c): each configured scaler is evaluated with the decision
 * engine when its forecast emits a new bucket, from inputs (replicas,
 * queue_length, service_time selectors) tracked from the same closed-bucket
 * events; it emits ai_scaling_* points through the same sink at that
 * bucket's end, appends to decisions.jsonl (predict_set_decisions_dir),
 * publishes for predict_scalers_json, and, with shadow off and a webhook,
 * queues a POST for its own sender thread. Notes at the top of scale.c.
 *
 * Threads.
 *   - predict_on_bucket runs on the ingest writer thread (it is the ingest
 *     bucket hook): it copies the event into a bounded queue and returns; it
 *     never waits for the predict thread. A full queue drops the event and
 *     counts it (augur_predict_events_dropped_total).
 *   - One predict thread, started by predict_open, owns the targets, groups,
 *     models and the membership table: it resolves series, aggregates,
 *     updates, refits, emits (the sink runs on this thread), and saves
 *     models (short write transactions of its own).
 *   - predict_read and predict_status_json may be called from any thread
 *     (HTTP pool threads); they read published snapshots under a lock.
 *   - predict_reload, predict_flush and predict_close come from the control
 *     thread (main, or an HTTP thread for /-/reload); reload and flush are
 *     thread-safe, close must be the last call.
 *
 * Lifetimes. predict_open copies everything it needs from the config (the
 * config may be freed afterwards) and keeps the store and registry borrowed
 * until predict_close. The sink's points and their labels are borrowed for
 * the duration of one sink call only.
 */
#ifndef AUG_PREDICT_PREDICT_H
#define AUG_PREDICT_PREDICT_H

#include "config/config.h"
#include "storage/store.h"
#include "util/common.h"
#include "util/err.h"
#include "wire/wire.h"

struct metrics_registry;

typedef struct predict predict;

/* Bounds (every queue and table has one; docs/predict.md lists them). */
#define PREDICT_QUEUE_MAX 65536u        /* closed-bucket events waiting for the predict thread */
#define PREDICT_MAX_MEMBERS 1000000u    /* (input series, target) memberships tracked */
#define PREDICT_MAX_PENDING 4096u       /* open buckets per group before the oldest is forced final */
#define PREDICT_SAVE_EVERY 60           /* a model is saved after this many updates (and at close) */
#define PREDICT_EMIT_MAX_AGE_MS 3600000 /* points stamped older than this are not emitted */
#define PREDICT_FINALIZE_SLACK_MS 10000 /* added to ingest.close_delay: how long a group bucket waits */
#define PREDICT_DECISIONS_MAX_BYTES ((int64_t)16 << 20) /* the daemon's decisions.jsonl rotation size */
#define PREDICT_SEED_MAX_READS 1048576u /* stored buckets one seed or gap fill reads, all members together */
#define PREDICT_SEED_MAX_MS 2000        /* time one seed or gap fill spends reading; what is read by then is fed */

/* One sample for the sink. labels are sorted by name (bytewise), unique,
 * and include __name__; all borrowed for the sink call. */
typedef struct predict_point {
    const aug_label *labels;
    size_t nlabels;
    int64_t ts_ms;
    double value;
} predict_point;

/* Receives the points of one or more finalized buckets (n >= 1), on the
 * predict thread. Must not call back into predict. */
typedef void (*predict_sink)(void *arg, const predict_point *pts, size_t n);

/* Creates the forecaster for cfg's forecast targets and starts its thread.
 *   s        [in] borrowed until predict_close; series labels are read from
 *                 it and models are saved to its blob table
 *   cfg      [in] borrowed for the call (targets are copied)
 *   reg      [in] self-metrics are registered there (augur_predict_*)
 *   sink     [in] where points go; NULL drops them (still counted)
 *   out      [out] caller frees with predict_close; untouched on error
 * Returns AUG_OK; AUG_ECONFIG (a target the engine cannot model, eb names
 * it); AUG_ENOMEM. A config with no targets is fine (nothing happens). */
aug_err predict_open(store *s, const cfg_config *cfg, struct metrics_registry *reg, predict_sink sink,
                     void *sink_arg, predict **out, aug_errbuf *eb);

/* The ingest bucket hook (matches ingest_bucket_fn; arg is the predict).
 * Copies the event and returns at once: never blocks on the predict thread,
 * drops and counts the event when the queue holds PREDICT_QUEUE_MAX.
 * Buckets of a resolution no target uses are ignored without queueing. */
void predict_on_bucket(void *arg, uint32_t id, store_res res, int64_t start_s, const store_rollup *r);

/* Replaces the targets with cfg's. A target whose definition is unchanged
 * (same name, selector text, rate, aggregate, resolution, horizons, model)
 * keeps its groups and models; a changed one restarts (its saved models no
 * longer match and are replaced at the next save); a removed one is saved
 * and dropped. Memberships are re-resolved from the series dictionary.
 * Takes effect before the next event is processed. Returns AUG_OK,
 * AUG_ECONFIG, AUG_ENOMEM (then the old targets stay). */
aug_err predict_reload(predict *p, const cfg_config *cfg, aug_errbuf *eb);

/* Blocks until every event queued before the call has been processed and a
 * finalization pass (wall-clock rule included) has run. For tests and for
 * an orderly shutdown; cheap when idle. */
void predict_flush(predict *p);

/* Remote-read of forecast paths. When the query's __name__ matchers select
 * ai_<name>_forecast_path, _path_lower or _path_upper of a configured target,
 * *handled is set and fn is called once per matching series (labels sorted,
 * __name__ included, `interval` on lower/upper; samples at the group's
 * bucket end + k*step, k = 1..longest horizon, restricted to
 * [start_ms, end_ms]; a series with no sample in range is skipped). All
 * matchers apply to the full label set. fn's arrays are borrowed for the
 * call; fn returning non-OK stops and that error is returned.
 * Returns AUG_OK; the errors of ingest_selector_from_matchers for a matcher
 * augur cannot compile (AUG_EMALFORMED, AUG_EUNSUPPORTED, AUG_ETOOBIG; eb
 * says which); AUG_ENOMEM; or fn's error.
 * When *handled is false nothing was called and the caller serves the query
 * from rollups. */
typedef aug_err (*predict_series_fn)(void *arg, const aug_label *labels, size_t nlabels, const aug_sample *samples,
                                     size_t nsamples);
aug_err predict_read(predict *p, const wire_matcher *m, size_t n, int64_t start_ms, int64_t end_ms,
                     predict_series_fn fn, void *arg, bool *handled, aug_errbuf *eb);

/* A JSON array describing every target (name, selector, rate, aggregate,
 * resolution, model, horizons, max_series, groups, groups_refused, models by
 * state) and, under "series", up to max_groups groups per target (labels,
 * state and reason, points learned, refits, last_bucket, forecast_until,
 * rolling error per horizon, last anomaly score), for /api/v1/status.
 * *out is NUL-terminated; caller frees with aug_free. AUG_ENOMEM,
 * AUG_ETOOBIG (over 64 MiB). */
aug_err predict_status_json(predict *p, size_t max_groups, char **out, size_t *len);

/* Counters for tests and the status page (atomics; any thread). */
typedef struct predict_stats {
    uint64_t events;         /* events queued by the hook */
    uint64_t dropped;        /* events dropped because the queue was full */
    uint64_t processed;      /* events taken by the predict thread */
    uint64_t groups;         /* groups over all targets */
    uint64_t updates;        /* model updates */
    uint64_t refits;         /* model refits */
    uint64_t points;         /* points handed to the sink */
    uint64_t late;           /* member buckets that came after their group bucket was final */
    uint64_t groups_refused; /* memberships refused by a target's max_series */
    uint64_t saves;          /* models saved */
    uint64_t loads;          /* models resumed from the store */
    uint64_t seeded;         /* stored buckets models learned before their first live one (seeds, gap fills) */
} predict_stats;
void predict_stats_get(predict *p, predict_stats *out);

/* Where scaler decisions are logged: dir/decisions.jsonl, one JSON line
 * per decision (NULL: not logged; the default). Call before events arrive.
 * A line that would take the file past max_bytes (> 0; the daemon passes
 * PREDICT_DECISIONS_MAX_BYTES, 16 MiB) first renames it to
 * decisions.jsonl.1, replacing the previous one. AUG_EINVAL for max_bytes
 * <= 0, AUG_ENOMEM. */
aug_err predict_set_decisions_dir(predict *p, const char *dir, int64_t max_bytes);

/* A JSON array describing every scaler (name, mode, shadow, forecast,
 * webhook, current, desired, action, fell_back, predicted_peak, reason,
 * last_evaluation), for /api/v1/status data.scalers. *out is
 * NUL-terminated; caller frees with aug_free. AUG_ENOMEM, AUG_ETOOBIG
 * (over 64 MiB). */
aug_err predict_scalers_json(predict *p, char **out, size_t *len);

/* For tests: replaces the wall clock (milliseconds) used by the
 * finalization rule and the emission age limit. Call before any event. */
void predict_set_clock(predict *p, int64_t (*now_ms)(void *arg), void *arg);

/* Stops the thread after it has processed what is queued, saves every model
 * that changed since its last save, frees everything. NULL is a no-op. The
 * registry given to predict_open holds a gauge callback on p: do not render
 * it after this call (main closes predict after the HTTP server stops). */
void predict_close(predict *p);

#endif
