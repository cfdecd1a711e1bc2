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

#include <sys/socket.h>

typedef struct http_server http_server;

/* A parsed --web.listen-address (listen.c has the grammar). */
typedef struct http_listen {
    struct sockaddr_storage sa; /* a sockaddr_in or sockaddr_in6, port set */
    bool dual_stack;            /* [::]: the IPv6 socket takes IPv4 too */
    uint16_t port;              /* as given; 0 = the kernel picks a free one */
    char host[64];              /* the host in canonical numeric form, IPv6
                                 * without brackets (46 for the address, '%'
                                 * and a 16-byte zone, NUL) */
} http_listen;

/* Parses addr ("[::1]:9201", "0.0.0.0:9201", ":9201" = 127.0.0.1,
 * "localhost:9201" = 127.0.0.1) into *out; hosts must be numeric.
 * AUG_EINVAL with a one-line reason in eb: missing ']' or port, IPv6
 * without brackets, a port outside 0 … 65535, a host that is not an IP
 * address of the expected family, an IPv4-mapped IPv6 address. */
aug_err http_listen_parse(const char *addr, http_listen *out, aug_errbuf *eb);

/* Writes "host:port" or "[host]:port" into buf (cut to cap, NUL-terminated). */
void http_listen_format(const http_listen *l, uint16_t port, char *buf, size_t cap);

typedef struct http_opts {
    const http_listen *listen;     /* borrowed for the call */
    unsigned max_connections;      /* concurrent connections (threads) */
    unsigned connection_timeout_s; /* idle connections are closed after this */
} http_opts;

/* Binds and starts serving. Caller frees with http_server_stop.
 * AUG_ENOMEM; AUG_EIO when the address cannot be bound (detail in eb). */
aug_err http_server_start(augur_server *srv, const http_opts *opts, http_server **out, aug_errbuf *eb);

/* The port actually bound (the kernel's pick when the flag said 0). */
uint16_t http_server_port(const http_server *h);

/* Stops accepting connections, lets in-flight requests finish, frees. */
void http_server_stop(http_server *h);

/* The one mapping from aug_err to HTTP status (CONVENTIONS 4):
 * EMALFORMED/EINVAL → 400, ETOOBIG → 413, EUNSUPPORTED → 415,
 * ENOTFOUND → 404, EAGAIN/EFULL/EIO/ENOMEM/ESHUTDOWN → 503 (Prometheus
 * retries 5xx), ECONFIG/ECORRUPT/EVERSION → 500. */
unsigned http_status_for(aug_err err);

#endif
