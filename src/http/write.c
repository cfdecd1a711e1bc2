/* write.c — POST /api/v1/write (remote-write 1.0).
 *
 * Status codes (DESIGN §2): 204 only after the kept samples are durably
 * committed; 400 for bytes that can never be accepted (Prometheus drops the
 * batch); 413 over a size limit; 415 wrong content type or encoding; 503 for
 * backpressure or a failed commit (Prometheus retries 5xx). Nothing of a
 * rejected request is stored: decoding and validation finish before any
 * sample reaches the writer.
 */
#include "util/common.h"
#include "http/handlers.h"
#include "http/http.h"
#include "util/arena.h"
#include "util/mem.h"

#include <strings.h>

/* Accepts "application/x-protobuf" with optional parameters. */
static bool is_protobuf(const char *ct)
{
    static const char want[] = "application/x-protobuf";
    return ct != NULL && strncasecmp(ct, want, sizeof want - 1) == 0 &&
           (ct[sizeof want - 1] == '\0' || ct[sizeof want - 1] == ';' || ct[sizeof want - 1] == ' ');
}

/* The value of the `proto` parameter of a Content-Type (quotes removed),
 * into buf; false when there is none. Remote-write 2.0 names its message
 * there ("application/x-protobuf;proto=io.prometheus.write.v2.Request"); a
 * 1.0 sender sends none or proto=prometheus.WriteRequest. */
static bool proto_param(const char *ct, char *buf, size_t cap)
{
    for (const char *p = strchr(ct, ';'); p != NULL; p = strchr(p, ';')) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t nl = strcspn(p, "=;");
        if (p[nl] != '=' || nl != 5 || strncasecmp(p, "proto", 5) != 0)
            continue;
        const char *v = p + nl + 1;
        size_t vl = strcspn(v, ";");
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v++;
            vl -= 2;
        }
        snprintf(buf, cap, "%.*s", (int)AUG_MIN(vl, cap - 1), v);
        return true;
    }
    return false;
}

/* Shared by write and read: both carry snappy-block protobuf bodies. */
bool http_check_protobuf_snappy(const http_ctx *hc, http_reply *r, const char *proto)
{
    const char *ct = http_header(hc, "Content-Type");
    if (!is_protobuf(ct)) {
        http_reply_text(r, 415, "unsupported Content-Type '%s': want application/x-protobuf", ct ? ct : "");
        return false;
    }
    /* 415 rather than decoding another message as this one: a remote-write
     * 2.0 body parsed as a 1.0 WriteRequest has no field 1, so it would be
     * "accepted" as zero series (204) and lost. The 2.0 spec asks a receiver
     * for 415 here, and the sender then falls back to 1.0. */
    char got[128];
    if (proto_param(ct, got, sizeof got) && strcmp(got, proto) != 0) {
        http_reply_text(r, 415, "unsupported Content-Type proto '%s': want %s", got, proto);
        return false;
    }
    const char *ce = http_header(hc, "Content-Encoding");
    if (ce == NULL || strcasecmp(ce, "snappy") != 0) {
        http_reply_text(r, 415, "unsupported Content-Encoding '%s': want snappy", ce ? ce : "");
        return false;
    }
    return true;
}

static void count_not_kept(augur_server *srv, uint64_t n)
{
    if (n == 0)
        return;
    metrics_counter_add(metrics_counter_get(srv->metrics, "augur_ingest_samples_total",
                                            "Samples received by remote-write, by what happened to them.",
                                            "result=\"not_kept\""),
                        n);
}

void http_handle_write(http_ctx *hc, http_reply *r)
{
    if (!http_check_protobuf_snappy(hc, r, "prometheus.WriteRequest"))
        return;
    augur_server *srv = hc->srv;
    server_cfg *c = server_cfg_acquire(srv);
    /* The arena holds the decoded body plus the views into it: about 3.4x
     * the decoded size for real requests, at worst 14x + 64 KiB (series of
     * one 1-byte label), so 16x never refuses a request the limits allow. */
    util_arena *a = util_arena_new(c->wire.max_decoded_bytes * 16 + ((size_t)1 << 20));
    if (a == NULL) {
        server_cfg_release(srv, c);
        http_reply_text(r, 503, "out of memory");
        return;
    }
    aug_errbuf eb = {{0}};
    wire_write_req req;
    aug_err err = wire_write_decode(a, hc->body, &c->wire, &req, &eb);
    if (err != AUG_OK) {
        http_reply_text(r, http_status_for(err), "remote-write: %s", aug_errmsg(&eb, err));
        goto done;
    }
    wire_series *kept = util_arena_alloc(a, (req.nseries ? req.nseries : 1) * sizeof *kept);
    if (kept == NULL) {
        http_reply_text(r, 503, "out of memory");
        goto done;
    }
    size_t nkept = 0;
    uint64_t dropped = 0;
    for (size_t i = 0; i < req.nseries; i++) {
        if (server_cfg_keeps(c, req.series[i].labels, req.series[i].nlabels))
            kept[nkept++] = req.series[i];
        else
            dropped += req.series[i].nsamples;
    }
    /* Release the config before sleeping on the commit so a reload is never
     * held up by slow disks. */
    server_cfg_release(srv, c);
    c = NULL;
    count_not_kept(srv, dropped);
    ingest_result res;
    err = ingest_write(srv->ingest, kept, nkept, &res);
    if (err != AUG_OK) {
        /* "retry" only where Prometheus does retry (5xx); a 400 is final. */
        unsigned st = http_status_for(err);
        http_reply_text(r, st, "remote-write: samples not stored%s: %s", st >= 500 ? ", retry" : "",
                        aug_strerror(err));
        goto done;
    }
    r->status = 204;
    r->body = NULL;
    r->len = 0;
    r->owned = false;
done:
    if (c != NULL)
        server_cfg_release(srv, c);
    util_arena_free(a);
}
