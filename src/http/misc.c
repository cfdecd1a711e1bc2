/* misc.c — /metrics, /api/v1/status, /-/healthy, /-/ready, /-/reload. */
#include "util/common.h"
#include "http/handlers.h"
#include "http/http.h"
#include "util/json.h"
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
    /* store_status: after a failed flush the store refuses writes until a
     * restart (store.h), so route remote-write traffic elsewhere. */
    if (atomic_load(&hc->srv->ready) && !atomic_load(&hc->srv->shutting_down) &&
        store_status(hc->srv->store) == AUG_OK)
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
    /* The config and store paths are user text: escaped like every JSON
     * string (util/json.h). Two escaped paths and the numbers fit in 1 MiB. */
    util_json_buf b = {.max = fclen + sclen + ((size_t)1 << 20)};
    util_json_buf_fmt(&b,
                      "{\"status\":\"success\",\"data\":{\"version\":\"%s\",\"start_time\":%" PRId64
                      ",\"ready\":%s,\"config\":{\"file\":",
                      AUG_VERSION, srv->start_ms / 1000, atomic_load(&srv->ready) ? "true" : "false");
    util_json_buf_cstr(&b, srv->config_path);
    util_json_buf_fmt(&b,
                      ",\"last_reload_successful\":%s},\"ingest\":{\"series\":%" PRIu64 ",\"commits\":%" PRIu64
                      ",\"pending_samples\":%" PRIu64 "},\"store\":{\"path\":",
                      metrics_gauge_value(srv->m_reload_ok) > 0 ? "true" : "false", is.series, is.commits, is.pending);
    util_json_buf_cstr(&b, srv->storage_path);
    util_json_buf_fmt(&b,
                      ",\"ok\":%s,\"map_bytes\":%zu,\"used_bytes\":%zu,\"file_bytes\":%zu,\"rollups\":%" PRIu64
                      ",\"wal_records\":%" PRIu64 "},\"forecasts\":",
                      serr == AUG_OK ? "true" : "false", ss.map_bytes, ss.used_bytes, ss.file_bytes, ss.rollups,
                      ss.wal_records);
    util_json_buf_lit(&b, fc != NULL ? fc : "[]");
    util_json_buf_lit(&b, ",\"scalers\":");
    util_json_buf_lit(&b, sc != NULL ? sc : "[]");
    util_json_buf_lit(&b, "}}\n");
    aug_free(fc);
    aug_free(sc);
    char *text = NULL;
    size_t len = 0;
    aug_err err = util_json_buf_take(&b, &text, &len);
    if (err != AUG_OK) {
        http_reply_text(r, http_status_for(err), "status: %s", aug_strerror(err));
        return;
    }
    r->status = 200;
    r->content_type = "application/json";
    r->body = text;
    r->len = len;
    r->owned = true;
}
