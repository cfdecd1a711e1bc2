/* server.h — struct augur_server: the one documented piece of process-wide
 * state (CONVENTIONS 9). main.c creates it and passes it explicitly to the
 * HTTP layer; nothing else reaches it through a global. The pure cores
 * (fc_, decide_, wire_) never see it.
 *
 * Config snapshots: the live configuration is an immutable object reached
 * through server_cfg_acquire/release. Reload builds a complete new snapshot,
 * validates it, and swaps the pointer; the old one is freed when its last
 * user releases it (nginx cycles, CONVENTIONS 11).
 */
#ifndef AUG_SERVER_H
#define AUG_SERVER_H

#include "config/config.h"
#include "export/export.h"
#include "ingest/ingest.h"
#include "metrics/metrics.h"
#include "predict/predict.h"
#include "storage/store.h"
#include "wire/wire.h"
#include "util/common.h"
#include "util/err.h"

#include <pthread.h>
#include <stdatomic.h>

struct http_server;

/* A refcounted, immutable config plus the values derived from it once, at
 * load, so request paths never re-derive them. */
typedef struct server_cfg {
    cfg_config *cfg;             /* owned; freed with the snapshot */
    int refs;                    /* guarded by augur_server.cfg_lock */
    size_t max_body_bytes;       /* compressed request body cap (413 past it) */
    wire_limits wire;            /* decoder limits for write and read */
    size_t read_max_series;      /* series one remote-read query may return */
    size_t read_max_points;      /* samples one remote-read response may hold */
    size_t read_max_bytes;       /* encoded size one remote-read response may have */
    unsigned max_connections;    /* concurrent HTTP connections (restart to change) */
    unsigned connection_timeout_s; /* idle connection timeout (restart to change) */
    int read_concurrency;        /* remote-read requests served at once; more get 503 */
    int64_t minute_retention_s;  /* reads older than this use hour rollups */
    size_t store_initial_map;    /* storage.initial_map_size */
    size_t store_max_map;        /* storage.max_map_size */
    ingest_opts ingest;          /* writer options */
} server_cfg;

typedef struct augur_server {
    /* Set by main before anything starts; read-only afterwards. */
    const char *config_path;    /* --config.file */
    const char *storage_path;   /* --storage.path */

    /* Live config snapshot; swap and refcounts under cfg_lock. reload_lock
     * serializes reloads from SIGHUP and POST /-/reload. */
    pthread_mutex_t cfg_lock;
    pthread_mutex_t reload_lock;
    server_cfg *cfg;

    /* Components, created in this order by main and closed in reverse. */
    metrics_registry *metrics;  /* owned */
    store *store;               /* owned */
    ingest *ingest;             /* owned */
    predict *predict;           /* owned; forecast targets, fed by the ingest
                                 * bucket hook; created after ingest, closed
                                 * after it (ingest's last commit still
                                 * reports buckets) and before the store */
    struct http_server *http;   /* owned */

    /* The remote-write exporter. It is rebuilt on reload (the outbox is
     * durable, so nothing queued is lost), hence reached only under
     * export_lock: by server_export_sink on the predict thread and by
     * server_reload. NULL while it could not be opened. */
    pthread_mutex_t export_lock;
    export *export;             /* owned */
    metrics_counter *m_export_unqueued; /* points the exporter refused */

    _Atomic bool ready;         /* /-/ready answers 200 */
    _Atomic bool shutting_down;

    int64_t start_ms;           /* wall clock at start */
    metrics_gauge *m_reload_ok; /* augur_config_last_reload_successful */
    metrics_gauge *m_reload_ts; /* augur_config_last_reload_success_timestamp_seconds */
} augur_server;

/* Takes a reference to the current config snapshot; never NULL once main
 * has loaded the first config. Release with server_cfg_release. */
server_cfg *server_cfg_acquire(augur_server *srv);
void server_cfg_release(augur_server *srv, server_cfg *c);

/* Loads config_path, validates it, hands the forecast targets to predict
 * (predict_reload: unchanged targets keep their models), swaps it in and
 * rebuilds the exporter. On failure the old config stays, the reason is in
 * eb and logged, and the reload gauge drops to 0; except when only the
 * exporter fails to reopen: then the new config is in force, nothing is
 * exported, and the error and the gauge say so. Safe from any thread;
 * reloads are serialized. */
aug_err server_reload(augur_server *srv, aug_errbuf *eb);

/* True when a series with these labels gets rollups: it matches an
 * ingest.keep selector, a forecast input selector, or a scaler input
 * selector (replicas, queue_length, service_time). */
bool server_cfg_keeps(const server_cfg *c, const aug_label *labels, size_t nlabels);

/* Opens the exporter for the current config: at start-up, and on reload,
 * where the one in place is closed first (drain_ms for its in-flight sends)
 * under the same hold of export_lock. On failure there is none (NULL). */
aug_err server_export_open(augur_server *srv, int64_t drain_ms, aug_errbuf *eb);

/* The predict sink: hands one evaluation's ai_* points to the exporter
 * (one durable outbox record per target). Runs on the predict thread. */
void server_export_sink(void *arg, const predict_point *pts, size_t n);

/* Closes the exporter, giving in-flight sends drain_ms to finish. */
void server_export_close(augur_server *srv, int64_t drain_ms);

/* Registers the store's gauges (bytes, map size) in srv->metrics. */
void server_register_store_metrics(augur_server *srv);

/* Loads and validates the config file (path NULL: no file, every key at its
 * default) into a new snapshot with refs = 1, the one mapping of a config
 * onto the components' options (the daemon and augurctl backfill use it).
 * Caller releases it with server_cfg_free (or hands it to the server). */
aug_err server_cfg_load(const char *path, server_cfg **out, aug_errbuf *eb);
void server_cfg_free(server_cfg *c);

#endif
