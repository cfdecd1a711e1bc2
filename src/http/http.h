/* http.h — augur's HTTP front door (libmicrohttpd): routing, body limits,
 * the aug_err → HTTP status table, and the handlers for remote-write,
 * remote-read, /metrics, /api/v1/status, health, readiness and reload.
 *
 * Threads: libmicrohttpd runs one thread per connection (bounded by
 * max_connections), so a handler may block while its samples are committed.
 * Handlers reach shared state only through the augur_server passed at start.
 * Every 4xx/5xx reply carries a one-line text reason.
 */
#ifndef AUG_HTTP_HTTP_H
#define AUG_HTTP_HTTP_H

#include "server.h"
#include "util/common.h"
#include "util/err.h"

typedef struct http_server http_server;

typedef struct http_opts {
    const char *host;          /* bind address; only loopback or a given IP */
    uint16_t port;             /* 0 = pick a free port (see http_server_port) */
    unsigned max_connections;  /* concurrent connections (threads) */
    unsigned connection_timeout_s; /* idle connections are closed after this */
} http_opts;

/* Binds and starts serving. Caller frees with http_server_stop. */
aug_err http_server_start(augur_server *srv, const http_opts *opts, http_server **out, aug_errbuf *eb);

/* The port actually bound. */
uint16_t http_server_port(const http_server *h);

/* Stops accepting connections, lets in-flight requests finish, frees. */
void http_server_stop(http_server *h);

/* The one mapping from aug_err to HTTP status (CONVENTIONS 4):
 * EMALFORMED/EINVAL → 400, ETOOBIG → 413, EUNSUPPORTED → 415,
 * ENOTFOUND → 404, EAGAIN/EFULL/EIO/ENOMEM/ESHUTDOWN → 503 (Prometheus
 * retries 5xx), ECONFIG/ECORRUPT/EVERSION → 500. */
unsigned http_status_for(aug_err err);

#endif
