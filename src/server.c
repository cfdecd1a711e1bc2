/* server.c — config snapshots (load, derive, refcount, swap) and the store
 * gauges. The only code that maps cfg_config fields onto component options,
 * so a renamed config key touches one place. */
#include "util/common.h"
#include "server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

/* Formats the first config error (and how many more there are) into eb. */
static aug_err diag_to_errbuf(aug_err err, const cfg_diag *d, const char *path, aug_errbuf *eb)
{
    size_t n = cfg_diag_count(d);
    if (n == 0)
        return aug_errf(eb, err, "%s: %s", path, aug_strerror(err));
    const cfg_error *e = cfg_diag_error(d, 0);
    if (n == 1)
        return aug_errf(eb, err, "%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
    return aug_errf(eb, err, "%s:%u:%u: %s (and %zu more; augurctl check config %s lists all)", e->file, e->line,
                    e->col, e->msg, n - 1, path);
}

aug_err server_cfg_load(const char *path, server_cfg **out, aug_errbuf *eb)
{
    cfg_config *cfg = NULL;
    cfg_diag *diag = NULL;
    /* An empty document is every key at its table default. */
    aug_err err = path != NULL ? cfg_load_file(path, &cfg, &diag) : cfg_load_buffer("(defaults)", "", 0, &cfg, &diag);
    if (err != AUG_OK) {
        diag_to_errbuf(err, diag, path != NULL ? path : "(defaults)", eb);
        cfg_diag_free(diag);
        return err;
    }
    server_cfg *c = aug_calloc(1, sizeof *c);
    if (c == NULL) {
        cfg_free(cfg);
        return AUG_ENOMEM;
    }
    const cfg_ingest *in = &cfg->ingest;
    c->cfg = cfg;
    c->refs = 1;
    c->max_body_bytes = (size_t)in->max_body_bytes;
    c->wire = wire_limits_default();
    c->wire.max_decoded_bytes = (size_t)in->max_decoded_bytes;
    c->wire.max_series = (size_t)in->max_series_per_request;
    c->wire.max_samples = (size_t)in->max_samples_per_request;
    c->wire.max_labels = (size_t)in->max_labels_per_series;
    c->wire.max_label_bytes = (size_t)in->max_label_bytes;
    c->read_max_series = (size_t)cfg->web.read_max_series;
    c->read_max_points = (size_t)cfg->web.read_max_samples;
    c->read_max_bytes = (size_t)cfg->web.read_max_bytes;
    c->max_connections = (unsigned)cfg->web.max_connections;
    c->connection_timeout_s = (unsigned)(cfg->web.connection_timeout_ms / 1000);
    c->read_concurrency = (int)cfg->web.read_concurrency;
    c->minute_retention_s = cfg->storage.minute_retention_ms / 1000;
    c->store_initial_map = (size_t)cfg->storage.initial_map_size;
    c->store_max_map = (size_t)cfg->storage.max_map_size;
    c->ingest = (ingest_opts){
        .close_delay_ms = in->close_delay_ms,
        .checkpoint_interval_ms = in->checkpoint_interval_ms,
        .minute_retention_s = cfg->storage.minute_retention_ms / 1000,
        .hour_retention_s = cfg->storage.hour_retention_ms / 1000,
        .max_series = (size_t)in->max_series,
        .queue_limit_samples = (size_t)in->queue_limit,
    };
    *out = c;
    return AUG_OK;
}

void server_cfg_free(server_cfg *c)
{
    if (c == NULL)
        return;
    cfg_free(c->cfg);
    aug_free(c);
}

bool server_cfg_keeps(const server_cfg *c, const aug_label *labels, size_t nlabels)
{
    const cfg_selectors *keep = &c->cfg->ingest.keep;
    for (size_t i = 0; i < keep->n; i++) {
        if (ingest_selector_match_labels(keep->v[i], labels, nlabels))
            return true;
    }
    for (size_t i = 0; i < c->cfg->nforecasts; i++) {
        if (ingest_selector_match_labels(c->cfg->forecasts[i].series, labels, nlabels))
            return true;
    }
    /* Scaler inputs: predict reads their closed buckets (current replicas,
     * queue length, observed service time). */
    for (size_t i = 0; i < c->cfg->nscalers; i++) {
        const cfg_scaler *s = &c->cfg->scalers[i];
        const ingest_selector *sels[3] = {s->replicas, s->queue_length, s->service_time.sel};
        for (size_t k = 0; k < 3; k++) {
            if (sels[k] != NULL && ingest_selector_match_labels(sels[k], labels, nlabels))
                return true;
        }
    }
    return false;
}

server_cfg *server_cfg_acquire(augur_server *srv)
{
    pthread_mutex_lock(&srv->cfg_lock);
    server_cfg *c = srv->cfg;
    c->refs++;
    pthread_mutex_unlock(&srv->cfg_lock);
    return c;
}

void server_cfg_release(augur_server *srv, server_cfg *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&srv->cfg_lock);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&srv->cfg_lock);
    if (last)
        server_cfg_free(c);
}

aug_err server_reload(augur_server *srv, aug_errbuf *eb)
{
    pthread_mutex_lock(&srv->reload_lock);
    server_cfg *fresh = NULL;
    aug_err err = server_cfg_load(srv->config_path, &fresh, eb);
    char key[128] = "";
    if (err == AUG_OK && cfg_needs_restart(srv->cfg->cfg, fresh->cfg, key, sizeof key)) {
        err = aug_errf(eb, AUG_ECONFIG, "%s changed: this key needs a restart; the old config stays", key);
        server_cfg_free(fresh);
    }
    if (err == AUG_OK && srv->predict != NULL && (err = predict_reload(srv->predict, fresh->cfg, eb)) != AUG_OK)
        server_cfg_free(fresh);
    if (err != AUG_OK) {
        metrics_gauge_set(srv->m_reload_ok, 0);
        LOG_ERROR("config", "reload failed, keeping the old config", "err", aug_errmsg(eb, err));
        pthread_mutex_unlock(&srv->reload_lock);
        return err;
    }
    ingest_set_opts(srv->ingest, &fresh->ingest);
    pthread_mutex_lock(&srv->cfg_lock);
    server_cfg *old = srv->cfg;
    srv->cfg = fresh;
    pthread_mutex_unlock(&srv->cfg_lock);
    server_cfg_release(srv, old);
    /* remote_write targets may have changed: rebuild the exporter on the
     * same durable outbox (a queued backlog is kept for targets that stay). */
    aug_errbuf xeb = {{0}};
    aug_err xerr = server_export_open(srv, 2000, &xeb);
    if (xerr != AUG_OK) {
        /* The new config is in force (predict already runs it), but nothing
         * is exported: an operator watching the reload gauge must see it. */
        metrics_gauge_set(srv->m_reload_ok, 0);
        err = aug_errf(eb, xerr, "the new config is in force, but the exporter could not be reopened (%s): "
                                 "ai_* series are not exported until a reload succeeds",
                       aug_errmsg(&xeb, xerr));
        LOG_ERROR("export", "exporter could not be reopened after reload", "err", aug_errmsg(eb, err));
        pthread_mutex_unlock(&srv->reload_lock);
        return err;
    }
    metrics_gauge_set(srv->m_reload_ok, 1);
    metrics_gauge_set(srv->m_reload_ts, (double)util_now_ms() / 1000.0);
    LOG_INFO("config", "config reloaded", "file", srv->config_path);
    pthread_mutex_unlock(&srv->reload_lock);
    return AUG_OK;
}

aug_err server_export_open(augur_server *srv, int64_t drain_ms, aug_errbuf *eb)
{
    server_cfg *c = server_cfg_acquire(srv);
    /* One hold of the lock for the close and the open: the sink never finds
     * no exporter in between (its points would be counted and dropped); it
     * waits for the drain instead. */
    pthread_mutex_lock(&srv->export_lock);
    export_close(srv->export, drain_ms);
    srv->export = NULL;
    aug_err err = export_open(srv->store, c->cfg, srv->metrics, NULL, &srv->export, eb);
    pthread_mutex_unlock(&srv->export_lock);
    server_cfg_release(srv, c);
    return err;
}

void server_export_close(augur_server *srv, int64_t drain_ms)
{
    pthread_mutex_lock(&srv->export_lock);
    export_close(srv->export, drain_ms);
    srv->export = NULL;
    pthread_mutex_unlock(&srv->export_lock);
}

void server_export_sink(void *arg, const predict_point *pts, size_t n)
{
    augur_server *srv = arg;
    export_series *xs = aug_malloc(n * sizeof *xs);
    aug_errbuf eb = {{0}};
    aug_err err = xs ? AUG_OK : AUG_ENOMEM;
    for (size_t i = 0; xs != NULL && i < n; i++)
        xs[i] = (export_series){pts[i].labels, pts[i].nlabels, pts[i].ts_ms, pts[i].value};
    pthread_mutex_lock(&srv->export_lock);
    if (err == AUG_OK)
        err = srv->export ? export_enqueue(srv->export, xs, n, &eb) : AUG_ESHUTDOWN;
    pthread_mutex_unlock(&srv->export_lock);
    aug_free(xs);
    if (err != AUG_OK) {
        metrics_counter_add(srv->m_export_unqueued, n);
        LOG_WARN("export", "forecast points not queued for remote-write", "points", LOG_I64(n), "err",
                 aug_errmsg(&eb, err));
    }
}

static double store_stat(augur_server *srv, int which)
{
    store_stats st;
    if (store_stats_get(srv->store, &st) != AUG_OK)
        return (double)NAN;
    switch (which) {
    case 0: return (double)st.file_bytes;
    case 1: return (double)st.used_bytes;
    case 2: return (double)st.map_bytes;
    default: return (double)st.wal_records;
    }
}

static double g_file(void *a) { return store_stat(a, 0); }
static double g_used(void *a) { return store_stat(a, 1); }
static double g_map(void *a) { return store_stat(a, 2); }
static double g_wal(void *a) { return store_stat(a, 3); }
static double g_heap(void *a)
{
    AUG_UNUSED(a);
    return (double)aug_mem_used();
}

void server_register_store_metrics(augur_server *srv)
{
    metrics_gauge_func(srv->metrics, "augur_store_bytes", "Size of the LMDB data file on disk.", NULL, g_file, srv);
    metrics_gauge_func(srv->metrics, "augur_store_used_bytes", "LMDB pages in use, in bytes.", NULL, g_used, srv);
    metrics_gauge_func(srv->metrics, "augur_store_map_bytes", "Current LMDB map size (grows automatically).", NULL,
                       g_map, srv);
    metrics_gauge_func(srv->metrics, "augur_store_wal_records", "WAL records not yet covered by a checkpoint.",
                       NULL, g_wal, srv);
    metrics_gauge_func(srv->metrics, "augur_heap_bytes", "Bytes allocated through augur's allocator.", NULL,
                       g_heap, srv);
}
