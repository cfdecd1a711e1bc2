/* http.c — libmicrohttpd wiring: daemon start/stop, request bodies with a
 * cap, routing, replies with one-line reasons, request metrics.
 *
 * Request lifecycle (one connection thread):
 *   1. first callback: a request context is allocated; if Content-Length
 *      already exceeds the body cap the 413 is queued at once;
 *   2. upload callbacks: bytes are appended up to the cap; past it the rest
 *      is discarded and the request is marked too big;
 *   3. final callback: route → handler → reply (status, headers, body);
 *   4. completion callback: the context is freed.
 */
#include "util/common.h"
#include "http/http.h"
#include "http/handlers.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <strings.h>

struct http_server {
    struct MHD_Daemon *d;
    augur_server *srv;
    uint16_t port;
    _Atomic int reads_inflight; /* bounded by web.read_concurrency */
};

typedef struct request {
    uint8_t *body;
    size_t len, cap, limit;
    bool too_big;
    bool replied;
    int64_t t0_ns;
} request;

static const struct {
    aug_err err;
    unsigned status;
} status_table[] = {
    {AUG_OK, 200},
    {AUG_ENOMEM, 503},
    {AUG_EINVAL, 400},
    {AUG_EMALFORMED, 400},
    {AUG_ETOOBIG, 413},
    {AUG_EUNSUPPORTED, 415},
    {AUG_EFULL, 503},
    {AUG_ECORRUPT, 500},
    {AUG_EAGAIN, 503},
    {AUG_EIO, 503},
    {AUG_ENOTFOUND, 404},
    {AUG_ECONFIG, 500},
    {AUG_ESHUTDOWN, 503},
    {AUG_EVERSION, 500},
};

unsigned http_status_for(aug_err err)
{
    for (size_t i = 0; i < AUG_ARRAY_LEN(status_table); i++) {
        if (status_table[i].err == err)
            return status_table[i].status;
    }
    return 500;
}

static void free_body(void *p)
{
    aug_free(p);
}

/* Queues a reply; takes ownership of body (aug_malloc'd) or copies a literal. */
static enum MHD_Result reply(struct MHD_Connection *c, const http_reply *r)
{
    struct MHD_Response *resp;
    if (r->owned) {
        resp = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, free_body);
    } else {
        resp = MHD_create_response_from_buffer(r->len, (void *)(uintptr_t)r->body, MHD_RESPMEM_MUST_COPY);
    }
    if (resp == NULL) {
        if (r->owned)
            aug_free(r->body);
        return MHD_NO;
    }
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->content_encoding)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, r->content_encoding);
    if (r->status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

void http_reply_text(http_reply *r, unsigned status, const char *fmt, ...)
{
    char *buf = aug_malloc(512);
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->content_encoding = NULL;
    if (buf == NULL) {
        r->body = (char *)(uintptr_t) "out of memory\n";
        r->len = strlen(r->body);
        r->owned = false;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, 510, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    size_t len = AUG_MIN((size_t)n, (size_t)509);
    buf[len++] = '\n';
    buf[len] = '\0';
    r->body = buf;
    r->len = len;
    r->owned = true;
}

const char *http_header(const http_ctx *hc, const char *name)
{
    return MHD_lookup_connection_value(hc->conn, MHD_HEADER_KIND, name);
}

const char *http_query_arg(const http_ctx *hc, const char *name)
{
    return MHD_lookup_connection_value(hc->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct route {
    const char *path;
    const char *methods; /* space-separated */
    const char *name;    /* handler label in metrics */
    void (*fn)(http_ctx *hc, http_reply *r);
    bool has_body;
} route;

static const route routes[] = {
    {"/api/v1/write", "POST", "write", http_handle_write, true},
    {"/api/v1/read", "POST", "read", http_handle_read, true},
    {"/metrics", "GET", "metrics", http_handle_metrics, false},
    {"/api/v1/status", "GET", "status", http_handle_status, false},
    {"/-/healthy", "GET HEAD", "healthy", http_handle_healthy, false},
    {"/-/ready", "GET HEAD", "ready", http_handle_ready, false},
    {"/-/reload", "POST PUT", "reload", http_handle_reload, false},
};

static bool method_allowed(const char *methods, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = methods; *p;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (len == n && strncmp(p, method, n) == 0)
            return true;
        if (sp == NULL)
            break;
        p = sp + 1;
    }
    return false;
}

static void count_request(augur_server *srv, const char *handler, unsigned status, int64_t t0_ns)
{
    char labels[96];
    snprintf(labels, sizeof labels, "handler=\"%s\",code=\"%u\"", handler, status);
    metrics_counter_add(metrics_counter_get(srv->metrics, "augur_http_requests_total",
                                            "HTTP requests by handler and status code.", labels),
                        1);
    static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    char hl[48];
    snprintf(hl, sizeof hl, "handler=\"%s\"", handler);
    metrics_histogram_observe(metrics_histogram_get(srv->metrics, "augur_http_request_duration_seconds",
                                                    "HTTP request latency by handler.", hl, bounds,
                                                    AUG_ARRAY_LEN(bounds)),
                              (double)(util_mono_ns() - t0_ns) / 1e9);
}

static size_t body_limit(augur_server *srv)
{
    server_cfg *c = server_cfg_acquire(srv);
    size_t lim = c->max_body_bytes;
    server_cfg_release(srv, c);
    return lim;
}

/* Remote-read is the one request whose memory scales with the data asked
 * for, so at most web.read_concurrency run at once. */
static bool read_slot_take(http_server *h)
{
    server_cfg *c = server_cfg_acquire(h->srv);
    int limit = c->read_concurrency;
    server_cfg_release(h->srv, c);
    if (atomic_fetch_add(&h->reads_inflight, 1) >= limit) {
        atomic_fetch_sub(&h->reads_inflight, 1);
        return false;
    }
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    AUG_UNUSED(version);
    http_server *h = cls;
    request *rq = *con_cls;
    if (rq == NULL) {
        rq = aug_calloc(1, sizeof *rq);
        if (rq == NULL)
            return MHD_NO;
        rq->t0_ns = util_mono_ns();
        rq->limit = body_limit(h->srv);
        *con_cls = rq;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > rq->limit)
            rq->too_big = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->too_big || rq->len + n > rq->limit) {
            rq->too_big = true;
            return MHD_YES;
        }
        if (rq->len + n > rq->cap) {
            size_t ncap = rq->cap ? rq->cap : 65536;
            while (ncap < rq->len + n)
                ncap *= 2;
            ncap = AUG_MIN(ncap, rq->limit);
            uint8_t *nb = aug_realloc(rq->body, ncap);
            if (nb == NULL)
                return MHD_NO;
            rq->body = nb;
            rq->cap = ncap;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        return MHD_YES;
    }
    if (rq->replied)
        return MHD_YES;
    rq->replied = true;

    http_reply r = {0};
    const route *rt = NULL;
    for (size_t i = 0; i < AUG_ARRAY_LEN(routes); i++) {
        if (strcmp(url, routes[i].path) == 0)
            rt = &routes[i];
    }
    const char *name = rt ? rt->name : "other";
    if (rt == NULL) {
        http_reply_text(&r, 404, "not found: %s", url);
    } else if (!method_allowed(rt->methods, method)) {
        http_reply_text(&r, 405, "method %s not allowed on %s (use %s)", method, url, rt->methods);
    } else if (rq->too_big) {
        http_reply_text(&r, 413, "request body over the %zu byte limit (ingest.max_body_bytes)", rq->limit);
    } else if (rt->fn == http_handle_read && !read_slot_take(h)) {
        http_reply_text(&r, 503, "too many remote-read requests at once (web.read_concurrency); retry");
    } else {
        http_ctx hc = {.srv = h->srv, .conn = conn, .body = {rq->body, rq->len}, .method = method};
        rt->fn(&hc, &r);
        if (rt->fn == http_handle_read)
            atomic_fetch_sub(&h->reads_inflight, 1);
    }
    if (r.status >= 400 && rt != NULL && rt->has_body)
        LOG_DEBUG("http", "request rejected", "path", url, "code", LOG_I64(r.status), "reason",
                  r.content_type && strncmp(r.content_type, "text/", 5) == 0 ? (const char *)r.body : "");
    count_request(h->srv, name, r.status, rq->t0_ns);
    return reply(conn, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    AUG_UNUSED(cls);
    AUG_UNUSED(conn);
    AUG_UNUSED(toe);
    request *rq = *con_cls;
    if (rq == NULL)
        return;
    aug_free(rq->body);
    aug_free(rq);
    *con_cls = NULL;
}

/* libmicrohttpd hands us its own printf format; the attribute tells the
 * compiler so, which -Wformat-nonliteral needs. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    AUG_UNUSED(cls);
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    LOG_WARN("http", "libmicrohttpd", "detail", line);
}

aug_err http_server_start(augur_server *srv, const http_opts *opts, http_server **out, aug_errbuf *eb)
{
    const http_listen *l = opts->listen;
    http_server *h = aug_calloc(1, sizeof *h);
    if (h == NULL)
        return AUG_ENOMEM;
    h->srv = srv;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    /* MHD reads MHD_OPTION_SOCK_ADDR as a sockaddr_in6 only with the IPv6
     * flag. It sets IPV6_V6ONLY unless told DUAL_STACK, which [::] needs to
     * take IPv4 connections as well (the documented meaning of [::]). */
    if (l->sa.ss_family == AF_INET6)
        flags |= l->dual_stack ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    /* The logger must be the first option so every message goes through it. */
    h->d = MHD_start_daemon(flags, l->port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
                            NULL, MHD_OPTION_SOCK_ADDR, &l->sa, MHD_OPTION_CONNECTION_LIMIT,
                            opts->max_connections ? opts->max_connections : 64u, MHD_OPTION_CONNECTION_TIMEOUT,
                            opts->connection_timeout_s ? opts->connection_timeout_s : 30u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (h->d == NULL) {
        aug_free(h);
        char where[96];
        http_listen_format(l, l->port, where, sizeof where);
        return aug_errf(eb, AUG_EIO, "cannot listen on %s (address in use or not permitted)", where);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : l->port;
    *out = h;
    return AUG_OK;
}

uint16_t http_server_port(const http_server *h)
{
    return h->port;
}

void http_server_stop(http_server *h)
{
    if (h == NULL)
        return;
    /* Quiesce first so no new connection is accepted while in-flight
     * requests (possibly waiting on a commit) finish. */
    MHD_quiesce_daemon(h->d);
    MHD_stop_daemon(h->d);
    aug_free(h);
}
