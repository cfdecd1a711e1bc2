/* table.c — every configuration key, one row each (CONVENTIONS 10).
 *
 * Adding a key: add the field to the struct in config.h, a row here, the key
 * with its default to config/augur.yml, then regenerate docs/config.md with
 * `augurctl check keys --markdown > docs/config.md`. tests/unit/config checks
 * all three agree. Cross-key rules (a scaler's forecast exists, min <= max,
 * …) live in load.c's validators.
 *
 * Defaults and bounds are written in the key's YAML syntax and parsed by the
 * same setters as user input; a unit test checks that each one parses.
 */
#include "util/common.h"
#include "config/cfg_int.h"

#define V "0.1.0" /* version that introduced the keys below */

#define K(path, ty, st, field) .key = (path), .type = (ty), .off = offsetof(st, field), .since = V

_Static_assert(sizeof(cfg_resolution) == sizeof(int) && sizeof(cfg_model) == sizeof(int) &&
                   sizeof(cfg_scaler_mode) == sizeof(int) && sizeof(cfg_margin) == sizeof(int),
               "enum fields are written as int");

static const char *const resolutions[] = {"auto", "minute", "hour", NULL};
static const char *const models[] = {"auto", "naive", "seasonal_naive", "holt", "holt_winters", NULL};
static const char *const modes[] = {"utilization", "queue", NULL};
static const char *const margins[] = {"none", "upper80", "upper95", NULL};

/* The HTTP client options of remote_write and scalers[].webhook
 * (cfg_http_client): written once, expanded into both sections with the key
 * prefix pre and the cfg_http_client member st.f, so the keys, defaults,
 * secret flags and docs cannot drift apart. load.c validate_http_client
 * holds their cross-key rules. */
#define HTTP_CLIENT_ROWS(pre, st, f)                                                                      \
    {K(pre "headers", CFG_T_MAP, st, f.headers), .def = "{}", .max_items = 64,                            \
     .doc = "Extra HTTP headers; those augur sets itself (Authorization, Content-Type, …) are refused."}, \
    {K(pre "bearer_token", CFG_T_STRING, st, f.bearer_token), .defdoc = "none", .flags = CFG_F_SECRET,    \
     .doc = "Sent as Authorization: Bearer; exclusive with bearer_token_file and basic_auth."},           \
    {K(pre "bearer_token_file", CFG_T_PATH, st, f.bearer_token_file), .defdoc = "none",                   \
     .doc = "File holding the bearer token, read at each request."},                                      \
    {K(pre "basic_auth.username", CFG_T_STRING, st, f.basic_auth.username), .defdoc = "none",             \
     .doc = "HTTP basic auth user."},                                                                     \
    {K(pre "basic_auth.password", CFG_T_STRING, st, f.basic_auth.password), .defdoc = "none",             \
     .flags = CFG_F_SECRET, .doc = "HTTP basic auth password; exclusive with password_file."},            \
    {K(pre "basic_auth.password_file", CFG_T_PATH, st, f.basic_auth.password_file), .defdoc = "none",     \
     .doc = "File holding the basic auth password."},                                                     \
    {K(pre "tls.ca_file", CFG_T_PATH, st, f.tls.ca_file), .defdoc = "system CAs",                         \
     .doc = "CA bundle to verify the server with."},                                                      \
    {K(pre "tls.cert_file", CFG_T_PATH, st, f.tls.cert_file), .defdoc = "none",                           \
     .doc = "Client certificate (with key_file)."},                                                       \
    {K(pre "tls.key_file", CFG_T_PATH, st, f.tls.key_file), .defdoc = "none",                             \
     .doc = "Client key (with cert_file)."},                                                              \
    {K(pre "tls.server_name", CFG_T_STRING, st, f.tls.server_name), .defdoc = "the url's host",           \
     .doc = "Name to verify the server certificate against; https urls only."},                                            \
    {K(pre "tls.insecure_skip_verify", CFG_T_BOOL, st, f.tls.insecure_skip_verify), .def = "false",       \
     .doc = "Do not verify the server certificate (testing only)."}

static const cfg_row storage_rows[] = {
    {K("minute_retention", CFG_T_DURATION, cfg_storage, minute_retention_ms), .def = "14d", .min = "1h",
     .max = "5y", .doc = "How long minute rollups are kept; remote-read serves hourly rollups beyond it."},
    {K("hour_retention", CFG_T_DURATION, cfg_storage, hour_retention_ms), .def = "400d", .min = "1d",
     .max = "20y", .doc = "How long hourly rollups are kept; must be at least minute_retention."},
    {K("initial_map_size", CFG_T_SIZE, cfg_storage, initial_map_size), .def = "256MiB", .min = "1MiB",
     .max = "1TiB", .flags = CFG_F_RESTART,
     .doc = "Initial size of the LMDB memory map; the store doubles it when full, up to max_map_size."},
    {K("max_map_size", CFG_T_SIZE, cfg_storage, max_map_size), .def = "1TiB", .min = "16MiB", .max = "64TiB",
     .flags = CFG_F_RESTART,
     .doc = "Largest the map (and data file) may grow; beyond it commits fail and remote-write answers 503."},
};

static const cfg_row ingest_rows[] = {
    {K("keep", CFG_T_LIST, cfg_ingest, keep), .elem = CFG_T_SELECTOR, .def = "[]", .max_items = 1000,
     .doc = "Selectors of series whose rollups are kept besides forecast and scaler inputs; [] keeps only those."},
    {K("close_delay", CFG_T_DURATION, cfg_ingest, close_delay_ms), .def = "30s", .min = "0", .max = "1h",
     .doc = "A bucket closes when the wall clock passes its end plus this delay (or a later sample arrives)."},
    {K("checkpoint_interval", CFG_T_DURATION, cfg_ingest, checkpoint_interval_ms), .def = "5m", .min = "1s",
     .max = "1h", .doc = "How often per-series ingest state is checkpointed so the write-ahead log is truncated."},
    {K("max_body_bytes", CFG_T_SIZE, cfg_ingest, max_body_bytes), .def = "8MiB", .min = "1KiB", .max = "1GiB",
     .doc = "Largest compressed remote-write or remote-read body; larger requests get 413."},
    {K("max_decoded_bytes", CFG_T_SIZE, cfg_ingest, max_decoded_bytes), .def = "32MiB", .min = "1KiB",
     .max = "4GiB", .doc = "Largest body after snappy decoding, checked before decoding; larger requests get 413."},
    {K("max_series", CFG_T_INT, cfg_ingest, max_series), .def = "1_000_000", .min = "1", .max = "100_000_000",
     .doc = "Active series limit; samples of new series beyond it are dropped and counted."},
    {K("max_series_per_request", CFG_T_INT, cfg_ingest, max_series_per_request), .def = "1_000_000", .min = "1",
     .max = "100_000_000", .doc = "Series in one remote-write request; more gets 413."},
    {K("max_samples_per_request", CFG_T_INT, cfg_ingest, max_samples_per_request), .def = "10_000_000",
     .min = "1", .max = "1_000_000_000", .doc = "Samples in one remote-write request; more gets 413."},
    {K("max_labels_per_series", CFG_T_INT, cfg_ingest, max_labels_per_series), .def = "128", .min = "1",
     .max = "1024", .doc = "Labels on one series; a request with more gets 413."},
    {K("max_label_bytes", CFG_T_SIZE, cfg_ingest, max_label_bytes), .def = "16KiB", .min = "64B", .max = "1MiB",
     .doc = "Bytes in one label name or value; a request with a longer one gets 413."},
    {K("queue_limit", CFG_T_INT, cfg_ingest, queue_limit), .def = "2_000_000", .min = "1000",
     .max = "1_000_000_000", .doc = "Samples decoded but not yet committed; beyond it remote-write answers 503."},
};

static const cfg_row web_rows[] = {
    {K("max_connections", CFG_T_INT, cfg_web, max_connections), .def = "256", .min = "1", .max = "65536",
     .flags = CFG_F_RESTART, .doc = "Open HTTP connections; more are refused."},
    {K("connection_timeout", CFG_T_DURATION, cfg_web, connection_timeout_ms), .def = "30s", .min = "1s",
     .max = "1h", .flags = CFG_F_RESTART, .doc = "Idle HTTP connections are closed after this."},
    {K("read_concurrency", CFG_T_INT, cfg_web, read_concurrency), .def = "4", .min = "1", .max = "256",
     .doc = "Remote-read requests served at once; more get 503."},
    {K("read_max_series", CFG_T_INT, cfg_web, read_max_series), .def = "10_000", .min = "1",
     .max = "10_000_000", .doc = "Series one remote-read query may return; a query selecting more gets 413."},
    {K("read_max_samples", CFG_T_INT, cfg_web, read_max_samples), .def = "50_000_000", .min = "1",
     .max = "10_000_000_000", .doc = "Samples one remote-read request may return; more gets 413."},
    {K("read_max_bytes", CFG_T_SIZE, cfg_web, read_max_bytes), .def = "128MiB", .min = "1MiB", .max = "4GiB",
     .doc = "Encoded size of one remote-read response; larger gets 413."},
};

static const cfg_row forecast_rows[] = {
    {K("name", CFG_T_METRIC_NAME, cfg_forecast, name), .flags = CFG_F_REQUIRED,
     .doc = "Unique name; written back as ai_<name>_forecast."},
    {K("series", CFG_T_SELECTOR, cfg_forecast, series), .flags = CFG_F_REQUIRED,
     .doc = "Input series, a PromQL selector."},
    {K("rate", CFG_T_BOOL, cfg_forecast, rate), .def = "false",
     .doc = "Inputs are counters: forecast their per-second rate (reset-aware, as PromQL rate())."},
    {K("aggregate", CFG_T_AGGREGATE, cfg_forecast, aggregate), .def = "none",
     .doc = "Combine inputs first: sum|avg|min|max|count [by|without (label, ...)], or none."},
    {K("resolution", CFG_T_ENUM, cfg_forecast, resolution), .names = resolutions, .def = "auto",
     .doc = "Rollup the model learns from; auto = minute if the longest horizon is at most 6h, else hour."},
    {K("horizons", CFG_T_LIST, cfg_forecast, horizons), .elem = CFG_T_DURATION, .def = "[1h]", .min = "1m",
     .max = "90d", .max_items = 16, .flags = CFG_F_SORTED,
     .doc = "How far ahead to forecast; one series per horizon (label horizon); at most 14d at minute resolution."},
    {K("model", CFG_T_ENUM, cfg_forecast, model), .names = models, .def = "auto",
     .doc = "Forecast model; auto picks by recent accuracy."},
    {K("season", CFG_T_DURATION, cfg_forecast, season_ms), .def = "1d", .min = "0", .max = "8w",
     .doc = "Length of the seasonal cycle the model looks for: 2 steps up to half the history (minute 7d, hour 42d); 0 = none."},
    {K("max_series", CFG_T_INT, cfg_forecast, max_series), .def = "1000", .min = "1", .max = "1_000_000",
     .doc = "Forecast series (after aggregation) tracked; new ones beyond it are dropped and counted."},
};

static const cfg_row scaler_rows[] = {
    {K("name", CFG_T_NAME, cfg_scaler, name), .flags = CFG_F_REQUIRED,
     .doc = "Unique name; the scaler label on ai_scaling_* series."},
    {K("mode", CFG_T_ENUM, cfg_scaler, mode), .names = modes, .def = "utilization",
     .doc = "utilization: forecast vs target; queue: arrivals and backlog by Little's law."},
    {K("forecast", CFG_T_METRIC_NAME, cfg_scaler, forecast), .defdoc = "required in utilization mode",
     .doc = "utilization: name of the forecast of per-replica utilization."},
    {K("replicas", CFG_T_SELECTOR, cfg_scaler, replicas), .defdoc = "required in utilization mode",
     .doc = "Selector of the current replica count."},
    {K("target", CFG_T_FLOAT, cfg_scaler, target), .defdoc = "required in utilization mode",
     .flags = CFG_F_POSITIVE,
     .doc = "utilization: wanted per-replica value of the forecast, a fraction of capacity in (0, 1], e.g. 0.7."},
    {K("lead_time", CFG_T_DURATION, cfg_scaler, lead_time_ms), .def = "5m", .min = "0", .max = "24h",
     .doc = "How long a new replica takes to be useful; decisions look this far ahead."},
    {K("window", CFG_T_DURATION, cfg_scaler, window_ms), .def = "15m", .min = "1m", .max = "7d",
     .doc = "Span after lead_time whose forecast peak the replicas must cover."},
    {K("margin", CFG_T_ENUM, cfg_scaler, margin), .names = margins, .def = "upper80",
     .doc = "Safety margin: plan on the forecast mean (none) or an interval's upper bound."},
    {K("min_replicas", CFG_T_INT, cfg_scaler, min_replicas), .def = "1", .min = "0", .max = "100_000",
     .doc = "Fewest replicas ever asked for; at least 1 in utilization mode."},
    {K("max_replicas", CFG_T_INT, cfg_scaler, max_replicas), .def = "10", .min = "1", .max = "100_000",
     .doc = "Most replicas ever asked for; at least min_replicas."},
    {K("scale_up.max_per_minute", CFG_T_FLOAT, cfg_scaler, scale_up.max_per_minute), .def = "4",
     .max = "10_000", .flags = CFG_F_POSITIVE, .doc = "Token bucket rate: replicas added per minute."},
    {K("scale_up.burst", CFG_T_INT, cfg_scaler, scale_up.burst), .defdoc = "max_per_minute, rounded up",
     .min = "1", .max = "100_000", .doc = "Token bucket size: replicas added at once."},
    {K("scale_up.stabilization", CFG_T_DURATION, cfg_scaler, scale_up.stabilization_ms), .def = "0",
     .min = "0", .max = "24h", .doc = "Only 0 is supported for now: a scale-up happens as soon as it is wanted."},
    {K("scale_up.tolerance", CFG_T_FLOAT, cfg_scaler, scale_up.tolerance), .def = "0.1", .min = "0", .max = "0.99",
     .doc = "Sensitivity: no scale-up while the need is at most current × (1 + tolerance), as the HPA's 10%."},
    {K("scale_down.max_per_minute", CFG_T_FLOAT, cfg_scaler, scale_down.max_per_minute), .def = "1",
     .max = "10_000", .flags = CFG_F_POSITIVE, .doc = "Token bucket rate: replicas removed per minute."},
    {K("scale_down.burst", CFG_T_INT, cfg_scaler, scale_down.burst), .defdoc = "max_per_minute, rounded up",
     .min = "1", .max = "100_000", .doc = "Token bucket size: replicas removed at once."},
    {K("scale_down.stabilization", CFG_T_DURATION, cfg_scaler, scale_down.stabilization_ms), .def = "5m",
     .min = "0", .max = "24h", .doc = "A scale-down must be wanted this long (the highest wish in it wins)."},
    {K("scale_down.tolerance", CFG_T_FLOAT, cfg_scaler, scale_down.tolerance), .def = "0.1", .min = "0",
     .max = "0.99", .doc = "Sensitivity: no scale-down while the need is at least current × (1 - tolerance)."},
    {K("scale_down.floor_quantile", CFG_T_FLOAT, cfg_scaler, scale_down.floor_quantile), .def = "0", .min = "0",
     .max = "1", .doc = "A scale-down stops at what this quantile of floor_window's hours needed (0.5: median); 0 = off."},
    {K("scale_down.floor_window", CFG_T_DURATION, cfg_scaler, scale_down.floor_window_ms), .def = "7d",
     .min = "1h", .max = "14d", .doc = "Hours the scale-down floor looks back on (whole hours count)."},
    {K("cooldown", CFG_T_DURATION, cfg_scaler, cooldown_ms), .def = "3m", .min = "0", .max = "24h",
     .doc = "Least time between two actions of this scaler."},
    {K("max_error", CFG_T_FLOAT, cfg_scaler, max_error), .def = "0.3", .min = "0", .max = "10",
     .doc = "Confidence gate: above this rolling forecast error (0.3 = 30%) plan on current load instead; 0 turns it off."},
    {K("arrival_rate", CFG_T_METRIC_NAME, cfg_scaler, arrival_rate), .defdoc = "required in queue mode",
     .doc = "queue: name of the forecast of arrivals per second."},
    {K("queue_length", CFG_T_SELECTOR, cfg_scaler, queue_length), .defdoc = "none (no backlog term)",
     .doc = "queue: selector of the current backlog, drained within target_latency."},
    {K("service_time", CFG_T_DUR_OR_SEL, cfg_scaler, service_time), .defdoc = "required in queue mode",
     .min = "1ms", .max = "1h", .doc = "queue: time one replica spends per item: a duration or a selector in seconds."},
    {K("target_latency", CFG_T_DURATION, cfg_scaler, target_latency_ms), .defdoc = "required in queue mode",
     .min = "1ms", .max = "24h", .doc = "queue: wanted time from arrival to done."},
    {K("capacity_per_replica", CFG_T_FLOAT, cfg_scaler, capacity_per_replica), .def = "0", .min = "0",
     .doc = "queue: items per second one replica handles (used by simulate; needs service_time as a duration); 0 = 1 / service_time."},
    {K("webhook.url", CFG_T_URL, cfg_scaler, webhook.url), .defdoc = "none",
     .doc = "Called with each decision as JSON when shadow is false."},
    {K("webhook.timeout", CFG_T_DURATION, cfg_scaler, webhook.timeout_ms), .def = "5s", .min = "100ms",
     .max = "5m", .doc = "Timeout of one webhook call."},
    {K("webhook.retries", CFG_T_INT, cfg_scaler, webhook.retries), .def = "3", .min = "0", .max = "100",
     .doc = "Retries of a failed webhook call, with backoff."},
    HTTP_CLIENT_ROWS("webhook.", cfg_scaler, webhook.http),
    {K("shadow", CFG_T_BOOL, cfg_scaler, shadow), .def = "true",
     .doc = "Only record decisions (series and decisions.jsonl); never call the webhook."},
};

static const cfg_row remote_write_rows[] = {
    {K("url", CFG_T_URL, cfg_remote_write, url), .flags = CFG_F_REQUIRED,
     .doc = "Remote-write endpoint, e.g. http://127.0.0.1:9090/api/v1/write."},
    {K("name", CFG_T_STRING, cfg_remote_write, name), .defdoc = "the url",
     .doc = "Unique name: the target label on augur_export_* metrics and the key of its outbox."},
    {K("timeout", CFG_T_DURATION, cfg_remote_write, timeout_ms), .def = "30s", .min = "100ms", .max = "10m",
     .doc = "Timeout of one request."},
    HTTP_CLIENT_ROWS("", cfg_remote_write, http),
    {K("queue_limit", CFG_T_INT, cfg_remote_write, queue_limit), .def = "1_000_000", .min = "1000",
     .max = "1_000_000_000", .doc = "Samples waiting for this target; beyond it the oldest are dropped and counted."},
    {K("batch_size", CFG_T_INT, cfg_remote_write, batch_size), .def = "2000", .min = "1", .max = "100_000",
     .doc = "Samples per request."},
    {K("min_backoff", CFG_T_DURATION, cfg_remote_write, min_backoff_ms), .def = "30ms", .min = "1ms",
     .max = "1h", .doc = "First retry delay after a failed request; doubles per retry."},
    {K("max_backoff", CFG_T_DURATION, cfg_remote_write, max_backoff_ms), .def = "5s", .min = "1ms",
     .max = "1h", .doc = "Longest retry delay; at least min_backoff."},
};

#define ROWS(r) (r), AUG_ARRAY_LEN(r)

const cfg_section cfg_sections[] = {
    {"storage", false, ROWS(storage_rows), offsetof(cfg_config, storage), 0, 0, 0,
     "The LMDB store under --storage.path."},
    {"ingest", false, ROWS(ingest_rows), offsetof(cfg_config, ingest), 0, 0, 0,
     "Remote-write intake: what is kept, limits, durability."},
    {"web", false, ROWS(web_rows), offsetof(cfg_config, web), 0, 0, 0,
     "HTTP server and remote-read limits (the listen address is a flag)."},
    {"forecasts", true, ROWS(forecast_rows), offsetof(cfg_config, forecasts), offsetof(cfg_config, nforecasts),
     sizeof(cfg_forecast), 256, "What to forecast; each entry writes ai_<name>_forecast series."},
    {"scalers", true, ROWS(scaler_rows), offsetof(cfg_config, scalers), offsetof(cfg_config, nscalers),
     sizeof(cfg_scaler), 256, "Scaling decisions driven by forecasts."},
    {"remote_write", true, ROWS(remote_write_rows), offsetof(cfg_config, remote_write),
     offsetof(cfg_config, nremote_write), sizeof(cfg_remote_write), 32,
     "Where forecasts and decisions are written (Prometheus, VictoriaMetrics, Mimir, …)."},
};

const size_t cfg_nsections = AUG_ARRAY_LEN(cfg_sections);
