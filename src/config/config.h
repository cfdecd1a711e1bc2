/* config.h — augur's YAML configuration: load, validate, expose (src/config/).
 *
 * One table (config/table.c) lists every key: YAML path, type, target field,
 * default, bounds, whether a reload applies it, and a one-line doc. That
 * table drives parsing, defaults, bounds checks, error messages, the
 * reference docs (cfg_doc_write → docs/config.md) and `augurctl check config`
 * (CONVENTIONS 10). The key reference is docs/config.md; the commented default
 * file is config/augur.yml.
 *
 * Loading builds one immutable cfg_config: the YAML is parsed with a
 * temporary arena that is freed before cfg_load_* returns; everything the
 * config points to (strings, lists, compiled selectors) lives in the
 * config's own arena and is released by cfg_free. Reload = load a new config,
 * check cfg_needs_restart against the old one, swap a pointer; the old one
 * is freed when no thread uses it any more (the daemon's job, CONVENTIONS 11).
 *
 * Errors: a load that fails returns AUG_ECONFIG (or AUG_EIO/AUG_ETOOBIG/
 * AUG_ENOMEM) and a cfg_diag listing every problem found (up to
 * CFG_MAX_ERRORS), each with file, 1-based line and column (libyaml marks;
 * columns count characters) and the offending source line, e.g.
 *
 *     augur.yml:12:5: unknown key 'horizon' in forecasts[0] (did you mean 'horizons'?)
 *         horizon: [1h]
 *         ^
 *
 * Inside a selector or aggregate string the column points at the offending
 * character when the YAML scalar is plain or single-line quoted without
 * escapes; otherwise at the start of the scalar.
 *
 * Units: durations are int64_t milliseconds (fields end in _ms), sizes are
 * uint64_t bytes, counts are int64_t.
 *
 * Thread rules: a cfg_config is immutable after load and may be read by any
 * number of threads; the config structs below are visible (not opaque) so
 * modules can read fields directly, but they are read-only by contract.
 * Loading is reentrant; cfg_diag objects belong to one thread.
 */
#ifndef AUG_CONFIG_CONFIG_H
#define AUG_CONFIG_CONFIG_H

#include "ingest/selector.h"
#include "util/arena.h"
#include "util/common.h"
#include "util/err.h"

#define CFG_MAX_FILE_BYTES ((size_t)1 << 20) /* a config file larger than this → AUG_ETOOBIG */
#define CFG_MAX_ERRORS 20                    /* errors collected before giving up */

/* ---- value types shared by several sections ---- */

typedef struct cfg_durations {
    const int64_t *v; /* milliseconds, in the order written */
    size_t n;
} cfg_durations;

typedef struct cfg_selectors {
    const ingest_selector *const *v;
    size_t n;
} cfg_selectors;

typedef struct cfg_strings {
    const char *const *v;
    size_t n;
} cfg_strings;

typedef struct cfg_pair {
    const char *name;
    const char *value;
} cfg_pair;

typedef struct cfg_map {
    const cfg_pair *v; /* in the order written; names unique */
    size_t n;
} cfg_map;

/* A duration or a selector (scalers[].service_time): exactly one is set. */
typedef struct cfg_dur_or_sel {
    int64_t ms;                /* > 0 when a duration was given */
    const ingest_selector *sel; /* non-NULL when a selector was given */
} cfg_dur_or_sel;

typedef enum cfg_agg_op {
    CFG_AGG_NONE = 0, /* no aggregation: one forecast per input series */
    CFG_AGG_SUM = 1,
    CFG_AGG_AVG = 2,
    CFG_AGG_MIN = 3,
    CFG_AGG_MAX = 4,
    CFG_AGG_COUNT = 5,
} cfg_agg_op;

/* `sum by (job, env)`, `max without (instance)`, `avg`, or `none`. */
typedef struct cfg_aggregate {
    cfg_agg_op op;
    bool without;       /* labels are dropped (without) rather than kept (by) */
    cfg_strings labels; /* sorted, unique; empty with `by` = one group */
} cfg_aggregate;

/* After load a forecast's resolution is never AUTO: auto resolves to MINUTE
 * when its longest horizon is at most 6h, else HOUR. */
typedef enum cfg_resolution {
    CFG_RES_AUTO = 0,   /* only as written in YAML; resolved at load */
    CFG_RES_MINUTE = 1,
    CFG_RES_HOUR = 2,
} cfg_resolution;

typedef enum cfg_model {
    CFG_MODEL_AUTO = 0, /* chosen by the forecaster from recent accuracy */
    CFG_MODEL_NAIVE = 1,
    CFG_MODEL_SEASONAL_NAIVE = 2,
    CFG_MODEL_HOLT = 3,
    CFG_MODEL_HOLT_WINTERS = 4,
} cfg_model;

typedef enum cfg_scaler_mode {
    CFG_MODE_UTILIZATION = 0, /* forecast vs target with a safety margin */
    CFG_MODE_QUEUE = 1,       /* Little's law: arrivals + backlog drain */
} cfg_scaler_mode;

typedef enum cfg_margin {
    CFG_MARGIN_NONE = 0,    /* plan on the forecast mean */
    CFG_MARGIN_UPPER80 = 1, /* plan on the upper bound of the 80% interval */
    CFG_MARGIN_UPPER95 = 2, /* plan on the upper bound of the 95% interval */
} cfg_margin;

/* ---- sections ---- */

typedef struct cfg_storage {
    int64_t minute_retention_ms;
    int64_t hour_retention_ms;
    uint64_t initial_map_size;
    uint64_t max_map_size;
} cfg_storage;

typedef struct cfg_ingest {
    cfg_selectors keep;
    int64_t close_delay_ms;
    int64_t checkpoint_interval_ms;
    uint64_t max_body_bytes;
    uint64_t max_decoded_bytes;
    int64_t max_series;
    int64_t max_series_per_request;
    int64_t max_samples_per_request;
    int64_t max_labels_per_series;
    uint64_t max_label_bytes;
    int64_t queue_limit;
} cfg_ingest;

typedef struct cfg_web {
    int64_t max_connections;
    int64_t connection_timeout_ms;
    int64_t read_concurrency;
    int64_t read_max_series;
    int64_t read_max_samples;
    uint64_t read_max_bytes;
} cfg_web;

typedef struct cfg_forecast {
    const char *name;               /* metric-name safe: ai_<name>_forecast */
    const ingest_selector *series;
    bool rate;
    cfg_aggregate aggregate;
    cfg_resolution resolution;      /* MINUTE or HOUR (auto is resolved) */
    cfg_durations horizons;         /* unique, ascending, multiples of the resolution */
    cfg_model model;
    int64_t season_ms;              /* 0 = no seasonality */
    int64_t min_history_ms;
    int64_t max_series;
    double anomaly_threshold;
} cfg_forecast;

typedef struct cfg_rate_limit {
    double max_per_minute;    /* replicas added (or removed) per minute */
    int64_t burst;            /* token bucket size, in replicas */
    int64_t stabilization_ms; /* a change must be wanted this long first */
    double tolerance;         /* no change while the need is within this fraction of the current count */
    /* scale_down only: a scale-down stops at what the floor_quantile hour of
     * the last floor_window needed; 0 = off */
    double floor_quantile;
    int64_t floor_window_ms;
} cfg_rate_limit;

typedef struct cfg_basic_auth {
    const char *username;      /* NULL: no basic auth */
    const char *password;
    const char *password_file;
} cfg_basic_auth;

typedef struct cfg_tls {
    const char *ca_file;
    const char *cert_file;
    const char *key_file;
    const char *server_name;
    bool insecure_skip_verify;
} cfg_tls;

/* The HTTP client options remote_write and scalers[].webhook share, with the
 * same keys, rules and meaning (table.c HTTP_CLIENT_ROWS; the sender is
 * src/export/client.h). At most one of bearer_token, bearer_token_file and
 * basic_auth is set; headers never name one augur sets itself. */
typedef struct cfg_http_client {
    cfg_map headers;
    const char *bearer_token;  /* NULL: none */
    const char *bearer_token_file;
    cfg_basic_auth basic_auth;
    cfg_tls tls;
} cfg_http_client;

typedef struct cfg_webhook {
    const char *url;          /* NULL: no webhook */
    int64_t timeout_ms;
    int64_t retries;
    cfg_http_client http;     /* keys webhook.headers, webhook.bearer_token, … */
} cfg_webhook;

typedef struct cfg_scaler {
    const char *name;
    cfg_scaler_mode mode;
    const char *forecast;       /* utilization: the load forecast */
    int forecast_idx;           /* index into cfg_config.forecasts, -1 if unset */
    const ingest_selector *replicas; /* current replica count; NULL if unset */
    double target;
    int64_t lead_time_ms;
    int64_t window_ms;
    cfg_margin margin;
    int64_t min_replicas;
    int64_t max_replicas;
    cfg_rate_limit scale_up;
    cfg_rate_limit scale_down;
    int64_t cooldown_ms;
    double max_error;
    const char *arrival_rate;   /* queue: forecast of arrivals per second */
    int arrival_rate_idx;       /* index into cfg_config.forecasts, -1 if unset */
    const ingest_selector *queue_length; /* NULL if unset */
    cfg_dur_or_sel service_time;
    int64_t target_latency_ms;
    double capacity_per_replica; /* 0 = 1 / service_time */
    cfg_webhook webhook;
    bool shadow;
} cfg_scaler;

typedef struct cfg_remote_write {
    const char *url;
    const char *name;          /* defaults to the URL */
    int64_t timeout_ms;
    cfg_http_client http;      /* keys headers, bearer_token, basic_auth, tls at the entry's top level */
    int64_t queue_limit;
    int64_t batch_size;
    int64_t min_backoff_ms;
    int64_t max_backoff_ms;
} cfg_remote_write;

/* The whole configuration. Read-only. `arena` is private to config/. */
typedef struct cfg_config {
    const char *source;          /* the file name given at load */
    cfg_storage storage;
    cfg_ingest ingest;
    cfg_web web;
    const cfg_forecast *forecasts;
    size_t nforecasts;
    const cfg_scaler *scalers;
    size_t nscalers;
    const cfg_remote_write *remote_write;
    size_t nremote_write;
    util_arena *arena;
} cfg_config;

/* ---- diagnostics ---- */

typedef struct cfg_error {
    const char *file;   /* file name as given to the loader */
    unsigned line, col; /* 1-based; 0 when the error has no position */
    const char *msg;    /* one line, no trailing newline */
    const char *source; /* the offending source line (no newline), or NULL; the
                         * values of secret keys (bearer_token, password) in it
                         * read <secret> */
    unsigned caret;     /* 1-based column in source (characters) of what col
                         * points at: col moved by the masking; 0 with no line */
} cfg_error;

typedef struct cfg_diag cfg_diag;

/* Number of errors in d (0 for NULL). */
size_t cfg_diag_count(const cfg_diag *d);
/* The i-th error, sorted by position; borrowed from d. */
const cfg_error *cfg_diag_error(const cfg_diag *d, size_t i);
/* Writes every error as "FILE:LINE:COL: msg", then the source line and a
 * caret under the column. */
void cfg_diag_print(const cfg_diag *d, FILE *f);
/* NULL is a no-op. */
void cfg_diag_free(cfg_diag *d);

/* ---- loading ---- */

/* Reads and validates the config file at path.
 *   out   [out] the config on AUG_OK (caller frees with cfg_free); untouched
 *               otherwise
 *   diag  [out] may be NULL; on any error other than AUG_ENOMEM, the errors
 *               (caller frees with cfg_diag_free); NULL on success
 * Returns AUG_OK, AUG_ECONFIG (invalid: see diag), AUG_EIO (cannot read),
 * AUG_ETOOBIG (over CFG_MAX_FILE_BYTES), AUG_ENOMEM. */
aug_err cfg_load_file(const char *path, cfg_config **out, cfg_diag **diag);

/* Same, from memory: name is used in messages (e.g. "<buffer>"); buf need
 * not be NUL-terminated and is not retained. */
aug_err cfg_load_buffer(const char *name, const char *buf, size_t len, cfg_config **out, cfg_diag **diag);

/* Frees a config and everything it points to. NULL is a no-op. */
void cfg_free(cfg_config *c);

/* True when a key that a reload cannot apply (marked "restart" in the docs)
 * differs between old and new; its YAML path is written to key (cap bytes,
 * may be NULL). */
bool cfg_needs_restart(const cfg_config *old_cfg, const cfg_config *new_cfg, char *key, size_t cap);

/* ---- scalar syntax, shared with command-line flags and augurctl ---- */

/* Duration: Prometheus syntax, units in descending order, each at most once:
 * `1y2w3d4h5m6s7ms` (y = 365d, w = 7d), or `0`. *why gets a static reason on
 * failure. */
bool cfg_parse_duration(const char *s, size_t n, int64_t *ms, const char **why);
/* Size: an integer or decimal with an optional unit B, kB/KB, MB, GB, TB
 * (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024): `32MiB`, `1.5GB`,
 * `4096`. Fractions of a byte are truncated. */
bool cfg_parse_size(const char *s, size_t n, uint64_t *bytes, const char **why);
/* Integer: optional sign, digits, `_` between digits allowed (1_000_000). */
bool cfg_parse_int(const char *s, size_t n, int64_t *v, const char **why);
/* Float: decimal or exponent notation, finite. */
bool cfg_parse_float(const char *s, size_t n, double *v, const char **why);
/* Bool: true/false (also True/TRUE/False/FALSE). */
bool cfg_parse_bool(const char *s, size_t n, bool *v, const char **why);
/* Formats ms as the shortest duration string ("90s" → "1m30s"); returns buf. */
const char *cfg_format_duration(int64_t ms, char *buf, size_t cap);

/* ---- reference docs ---- */

typedef enum cfg_doc_format {
    CFG_DOC_MARKDOWN = 0, /* tables per section, for docs/config.md and README */
    CFG_DOC_TEXT = 1,     /* one key per line, for --help output */
} cfg_doc_format;

/* Writes the key reference generated from the table. AUG_EIO if f fails. */
aug_err cfg_doc_write(FILE *f, cfg_doc_format fmt);

/* One key of the table, for tests and tools. */
typedef struct cfg_key_info {
    const char *path;     /* e.g. "scalers[].scale_up.max_per_minute", in buf */
    const char *type;     /* "duration", "size", "selector", …; for lists the element type */
    const char *def;      /* default as written in YAML, or a phrase; "" if none */
    bool required;
    bool reloadable;
    const char *doc;
} cfg_key_info;

/* Number of keys; and the i-th (i < cfg_key_count()). path is built into
 * buf (cap >= 128). */
size_t cfg_key_count(void);
cfg_key_info cfg_key_get(size_t i, char *buf, size_t cap);

#endif
