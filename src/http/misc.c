/* misc.c — /metrics, /api/v1/status, /-/healthy, /-/ready, /-/reload. */
#include "util/common.h"
#include "http/handlers.h"
#include "http/http.h"
#include "util/mem.h"
#include "util/time.h"

void http_handle_metrics(http_ctx *hc, http_reply *r)
{
    char *text = NULL;
    size_t len = 0;
    aug_err err = metrics_render(hc->srv->metrics, &text, &len);
    if (err != AUG_OK) {
        http_reply_text(r, http_status_for(err), "metrics: %s", aug_strerror(err));
        return;
    }
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->body = text;
    r->len = len;
    r->owned = true;
}

void http_handle_healthy(http_ctx *hc, http_reply *r)
{
    AUG_UNUSED(hc);
    http_reply_text(r, 200, "augur is Healthy.");
}

void http_handle_ready(http_ctx *hc, http_reply *r)
{
    if (atomic_load(&hc->srv->ready) && !atomic_load(&hc->srv->shutting_down))
        http_reply_text(r, 200, "augur is Ready.");
    else
        http_reply_text(r, 503, "augur is not ready.");
}

void http_handle_reload(http_ctx *hc, http_reply *r)
{
    aug_errbuf eb = {{0}};
    aug_err err = server_reload(hc->srv, &eb);
    if (err == AUG_OK)
        http_reply_text(r, 200, "config reloaded");
    else
        http_reply_text(r, 500, "failed to reload config: %s", aug_errmsg(&eb, err));
}

/* Forecast groups listed per target in /api/v1/status (the counts cover all). */
#define STATUS_MAX_GROUPS 100

void http_handle_status(http_ctx *hc, http_reply *r)
{
    augur_server *srv = hc->srv;
    ingest_stats is;
    ingest_stats_get(srv->ingest, &is);
    store_stats ss;
    memset(&ss, 0, sizeof ss);
    aug_err serr = store_stats_get(srv->store, &ss);
    char *fc = NULL;
    size_t fclen = 0;
    if (srv->predict == NULL || predict_status_json(srv->predict, STATUS_MAX_GROUPS, &fc, &fclen) != AUG_OK) {
        aug_free(fc);
        fc = NULL;
        fclen = 0;
    }
    char *sc = NULL;
    size_t sclen = 0;
    if (srv->predict == NULL || predict_scalers_json(srv->predict, &sc, &sclen) != AUG_OK) {
        aug_free(sc);
        sc = NULL;
        sclen = 0;
    }
    size_t cap = 4096 + fclen + sclen;
    char *buf = aug_malloc(cap);
    if (buf == NULL) {
        aug_free(fc);
        aug_free(sc);
        http_reply_text(r, 503, "out of memory");
        return;
    }
    int n = snprintf(buf, cap,
                     "{\"status\":\"success\",\"data\":{"
                     "\"version\":\"%s\",\"start_time\":%" PRId64 ",\"ready\":%s,"
                     "\"config\":{\"file\":\"%s\",\"last_reload_successful\":%s},"
                     "\"ingest\":{\"series\":%" PRIu64 ",\"commits\":%" PRIu64 ",\"pending_samples\":%" PRIu64 "},"
                     "\"store\":{\"path\":\"%s\",\"ok\":%s,\"map_bytes\":%zu,\"used_bytes\":%zu,"
                     "\"file_bytes\":%zu,\"rollups\":%" PRIu64 ",\"wal_records\":%" PRIu64 "},"
                     "\"forecasts\":%s,\"scalers\":%s}}\n",
                     AUG_VERSION, srv->start_ms / 1000, atomic_load(&srv->ready) ? "true" : "false",
                     srv->config_path, metrics_gauge_value(srv->m_reload_ok) > 0 ? "true" : "false", is.series,
                     is.commits, is.pending, srv->storage_path, serr == AUG_OK ? "true" : "false", ss.map_bytes,
                     ss.used_bytes, ss.file_bytes, ss.rollups, ss.wal_records, fc != NULL ? fc : "[]", sc != NULL ? sc : "[]");
    aug_free(fc);
    aug_free(sc);
    r->status = 200;
    r->content_type = "application/json";
    r->body = buf;
    r->len = n > 0 ? AUG_MIN((size_t)n, cap - 1) : 0;
    r->owned = true;
}
