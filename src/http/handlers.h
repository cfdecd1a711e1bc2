/* handlers.h — internal to src/http: the request context handed to each
 * route handler and the reply it fills. Not for other modules. */
#ifndef AUG_HTTP_HANDLERS_H
#define AUG_HTTP_HANDLERS_H

#include "server.h"
#include "util/common.h"

struct MHD_Connection;

typedef struct http_ctx {
    augur_server *srv;
    struct MHD_Connection *conn;
    aug_bytes body;        /* borrowed until the handler returns */
    const char *method;
} http_ctx;

typedef struct http_reply {
    unsigned status;
    const char *content_type;
    const char *content_encoding;
    void *body;            /* owned (aug_malloc) when `owned`, else a literal */
    size_t len;
    bool owned;
} http_reply;

/* Fills r with a text/plain reply of one line (a newline is appended). */
void http_reply_text(http_reply *r, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Request header or query argument; NULL when absent. Borrowed for the request. */
const char *http_header(const http_ctx *hc, const char *name);
const char *http_query_arg(const http_ctx *hc, const char *name);

/* Checks Content-Type application/x-protobuf (whose `proto` parameter, when
 * present, must be `proto`, e.g. "prometheus.WriteRequest") and
 * Content-Encoding snappy; fills a 415 reply and returns false otherwise. */
bool http_check_protobuf_snappy(const http_ctx *hc, http_reply *r, const char *proto);

void http_handle_write(http_ctx *hc, http_reply *r);
void http_handle_read(http_ctx *hc, http_reply *r);
void http_handle_metrics(http_ctx *hc, http_reply *r);
void http_handle_status(http_ctx *hc, http_reply *r);
void http_handle_healthy(http_ctx *hc, http_reply *r);
void http_handle_ready(http_ctx *hc, http_reply *r);
void http_handle_reload(http_ctx *hc, http_reply *r);

#endif
