/* receiver.h — a real remote-write receiver for the export tests and the
 * export benchmark: libmicrohttpd on 127.0.0.1 (port 0, or a given port to
 * come back on), optionally over TLS (and requiring a client certificate),
 * that records every request's method, path, headers and body, and answers
 * with scripted status codes.
 *
 * Script: rx_script(r, codes, n) queues statuses for the next n requests,
 * after which r->dflt (204 unless changed) answers. Status 0 means "close
 * the connection without an answer" (a network error for the client).
 * Waiting: rx_wait(r, n, timeout) blocks until n requests were recorded;
 * the timeout is only a safety net (tests never depend on speed).
 *
 * Connections: r->conns counts the connections accepted, so a test can see
 * a client keep one alive across requests. The test PKI: rx_tls_path,
 * rx_tls_read.
 *
 * Header-only (static functions): each test binary and the bench compile it.
 */
#ifndef AUG_TESTS_EXPORT_RECEIVER_H
#define AUG_TESTS_EXPORT_RECEIVER_H

#include "util/common.h"
#include "util/mem.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#ifdef RX_WITH_GNUTLS
#include <gnutls/gnutls.h>
#endif

#define RX_UNUSED __attribute__((unused))
#define RX_MAX_BODY ((size_t)64 << 20)

typedef struct rx_request {
    char method[16];
    char path[256];
    char *headers; /* "name: value\n" per header, as received */
    uint8_t *body;
    size_t len;
    unsigned status;      /* what was answered (0: connection closed) */
    bool client_cert_ok;  /* TLS: a client certificate verified by the trust CA */
} rx_request;

typedef struct receiver {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rx_request *reqs;
    size_t n, cap;
    unsigned script[256];
    size_t nscript, pos;
    unsigned dflt;
    bool count_only;      /* bench: keep no bodies, only count requests and bytes */
    uint64_t bytes;
    bool require_client_cert;
    char retry_after[16]; /* sent with 429/503 answers when not empty */
    size_t conns;         /* connections accepted (a kept-alive client opens one) */
} receiver;

typedef struct rx_conn {
    uint8_t *body;
    size_t len, cap;
    bool too_big;
} rx_conn;

static RX_UNUSED void rx_free_request(rx_request *q)
{
    free(q->headers);
    free(q->body);
}

static enum MHD_Result rx_header_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    char **acc = cls;
    size_t old = *acc ? strlen(*acc) : 0, add = strlen(key) + strlen(value ? value : "") + 3;
    char *n = realloc(*acc, old + add + 1);
    if (n == NULL)
        return MHD_NO;
    snprintf(n + old, add + 1, "%s: %s\n", key, value ? value : "");
    *acc = n;
    return MHD_YES;
}

#ifdef RX_WITH_GNUTLS
static bool rx_client_cert_ok(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return false;
    gnutls_session_t s = (gnutls_session_t)ci->tls_session;
    unsigned int listsize = 0, status = 1;
    if (gnutls_certificate_get_peers(s, &listsize) == NULL || listsize == 0)
        return false;
    return gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
}
#endif

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **ctx)
{
    (void)version;
    receiver *r = cls;
    rx_conn *cc = *ctx;
    if (cc == NULL) {
        cc = calloc(1, sizeof *cc);
        if (cc == NULL)
            return MHD_NO;
        *ctx = cc;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (cc->len + *upload_size > RX_MAX_BODY) {
            cc->too_big = true;
        } else {
            if (cc->len + *upload_size > cc->cap) {
                size_t cap = (cc->len + *upload_size) * 2;
                uint8_t *nb = realloc(cc->body, cap);
                if (nb == NULL)
                    return MHD_NO;
                cc->body = nb;
                cc->cap = cap;
            }
            memcpy(cc->body + cc->len, upload_data, *upload_size);
            cc->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    /* The whole body is in: record, pick a status, answer. */
    pthread_mutex_lock(&r->mu);
    unsigned status = r->pos < r->nscript ? r->script[r->pos++] : r->dflt;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        rx_request *nr = realloc(r->reqs, cap * sizeof *nr);
        if (nr == NULL) {
            pthread_mutex_unlock(&r->mu);
            return MHD_NO;
        }
        r->reqs = nr;
        r->cap = cap;
    }
    rx_request *q = &r->reqs[r->n];
    memset(q, 0, sizeof *q);
    snprintf(q->method, sizeof q->method, "%s", method);
    snprintf(q->path, sizeof q->path, "%s", url);
    q->status = status;
    r->bytes += cc->len;
    if (!r->count_only) {
        MHD_get_connection_values(c, MHD_HEADER_KIND, rx_header_iter, &q->headers);
        q->body = cc->body;
        q->len = cc->len;
        cc->body = NULL;
    }
#ifdef RX_WITH_GNUTLS
    q->client_cert_ok = rx_client_cert_ok(c);
#endif
    if (r->require_client_cert && !q->client_cert_ok)
        status = q->status = 403;
    r->n++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (status == 0)
        return MHD_NO; /* drop the connection: the client sees no response */
    static const char msg_err[] = "err: scripted failure\n";
    const char *msg = status >= 400 ? msg_err : "";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(msg), (void *)(uintptr_t)msg, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    pthread_mutex_lock(&r->mu);
    if (r->retry_after[0] != '\0' && (status == 429 || status == 503))
        MHD_add_response_header(resp, "Retry-After", r->retry_after);
    pthread_mutex_unlock(&r->mu);
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void rx_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    rx_conn *cc = *ctx;
    if (cc != NULL) {
        free(cc->body);
        free(cc);
        *ctx = NULL;
    }
}

static void rx_conn_started(void *cls, struct MHD_Connection *c, void **socket_ctx,
                            enum MHD_ConnectionNotificationCode code)
{
    (void)c;
    (void)socket_ctx;
    receiver *r = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&r->mu);
        r->conns++;
        pthread_mutex_unlock(&r->mu);
    }
}

/* Starts on 127.0.0.1:port (0 = any free port). TLS when cert_pem is not
 * NULL; trust_pem (may be NULL) makes the server ask for client
 * certificates signed by it. Returns false on failure. */
static RX_UNUSED bool rx_start_at(receiver *r, uint16_t port, const char *cert_pem, const char *key_pem,
                                  const char *trust_pem)
{
    unsigned dflt = r->dflt ? r->dflt : 204;
    bool count_only = r->count_only, require = r->require_client_cert;
    memset(r, 0, sizeof *r);
    r->dflt = dflt;
    r->count_only = count_only;
    r->require_client_cert = require;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (cert_pem != NULL)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[4] = {{MHD_OPTION_END, 0, NULL}};
    size_t nt = 0;
    if (cert_pem != NULL) {
        tls[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cert_pem};
        tls[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key_pem};
        if (trust_pem != NULL)
            tls[nt++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)(uintptr_t)trust_pem};
    }
    tls[nt] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    r->d = MHD_start_daemon(flags, port, NULL, NULL, rx_handler, r, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED, rx_completed, NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, rx_conn_started, r,
                            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (r->d == NULL)
        return false;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
    r->port = di != NULL ? di->port : port;
    return true;
}

static RX_UNUSED bool rx_start(receiver *r)
{
    return rx_start_at(r, 0, NULL, NULL, NULL);
}

/* Stops the daemon and frees the recorded requests. */
static RX_UNUSED void rx_stop(receiver *r)
{
    if (r->d != NULL)
        MHD_stop_daemon(r->d);
    r->d = NULL;
    for (size_t i = 0; i < r->n; i++)
        rx_free_request(&r->reqs[i]);
    free(r->reqs);
    r->reqs = NULL;
    r->n = r->cap = 0;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

/* Queues statuses for the next requests (appends to what is left). */
static RX_UNUSED void rx_script(receiver *r, const unsigned *codes, size_t n)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < n && r->nscript < AUG_ARRAY_LEN(r->script); i++)
        r->script[r->nscript++] = codes[i];
    pthread_mutex_unlock(&r->mu);
}

static RX_UNUSED void rx_set_default(receiver *r, unsigned status)
{
    pthread_mutex_lock(&r->mu);
    r->dflt = status;
    pthread_mutex_unlock(&r->mu);
}

static RX_UNUSED size_t rx_count(receiver *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static RX_UNUSED size_t rx_conns(receiver *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->conns;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Waits until at least n requests were recorded; false after timeout_ms. */
static RX_UNUSED bool rx_wait(receiver *r, size_t n, int64_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(timeout_ms / 1000);
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&r->mu);
    int rc = 0;
    while (r->n < n && rc == 0)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    bool ok = r->n >= n;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* The value of header `name` (case-insensitive) of request q, copied into
 * buf; NULL if absent. */
static RX_UNUSED const char *rx_header(const rx_request *q, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = q->headers; line != NULL && *line; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':' && line[nl + 1] == ' ') {
            size_t vl = (size_t)(end - (line + nl + 2));
            snprintf(buf, cap, "%.*s", (int)vl, line + nl + 2);
            return buf;
        }
        if (end == NULL)
            break;
    }
    return NULL;
}

/* True when header `name` of q is `want` (absent when want is NULL); says
 * what it got on stderr otherwise. */
static RX_UNUSED bool rx_header_is(const rx_request *q, const char *name, const char *want)
{
    char buf[512];
    const char *v = rx_header(q, name, buf, sizeof buf);
    if (want == NULL)
        return v == NULL;
    if (v == NULL || strcmp(v, want) != 0) {
        fprintf(stderr, "  header %s: got \"%s\", want \"%s\"\n", name, v ? v : "(absent)", want);
        return false;
    }
    return true;
}

/* Writes content to path (credential files the requests read); false if
 * it cannot. */
static RX_UNUSED bool rx_write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    bool ok = fputs(content, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* ---- the test PKI in tests/unit/export/tls/ (tls/gen.sh), found through
 * EXPORT_TLS_DIR (set by meson): ca.pem signs server.pem (for the name
 * augur-test.invalid) and client.pem; other-ca.pem signs neither. ---- */

/* Path of a file of the PKI, in one of 8 rotating static buffers. */
static RX_UNUSED const char *rx_tls_path(const char *name)
{
    static char paths[8][1024];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 1024, "%s/%s", getenv("EXPORT_TLS_DIR") ? getenv("EXPORT_TLS_DIR") : ".", name);
    return p;
}

/* Contents of a file of the PKI (caller frees with free), or NULL. */
static RX_UNUSED char *rx_tls_read(const char *name)
{
    FILE *f = fopen(rx_tls_path(name), "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = buf != NULL ? fread(buf, 1, 65535, f) : 0;
    fclose(f);
    if (buf != NULL)
        buf[n] = '\0';
    return buf;
}

#endif
