/* client.c — augur's outgoing HTTP POST over one reused libcurl easy handle
 * (contract in client.h), shared by remote-write (post.c) and the scaler
 * webhook (src/predict/scale.c).
 *
 * Design notes
 * ------------
 * 1. Headers: the protocol's (the spec's list, e.g. remote-write's
 *    Content-Encoding/Content-Type/version or the webhook's Content-Type),
 *    then "Expect:" to stop libcurl from waiting for a 100-continue on
 *    bodies over 1 KiB, then the configured headers (config/ refuses the
 *    ones augur sets itself), then Host when server_name rewrites the url
 *    (note 3). User-Agent: augur/<version>.
 * 2. Credentials. bearer_token(_file): an "Authorization: Bearer …" node is
 *    put in front of the target's header list for the one request (a stack
 *    node, no allocation). basic_auth: CURLAUTH_BASIC with the user and the
 *    password (or password_file). Files are read at every request, so a
 *    rotated token is picked up without a reload, and the buffer is wiped
 *    after the request. Trailing whitespace (the newline editors add) is
 *    cut, as Prometheus does.
 * 3. TLS: ca_file → CURLOPT_CAINFO, cert_file/key_file → client certificate,
 *    insecure_skip_verify → no peer or host verification. server_name (the
 *    name to verify the certificate against and send as SNI, as in
 *    Prometheus): libcurl verifies against the URL's host, so the URL's host
 *    is replaced by server_name, CURLOPT_CONNECT_TO sends the connection to
 *    the real host and port, and a Host header keeps the original host.
 * 4. No proxy (CURLOPT_NOPROXY "*"): Prometheus' remote_write ignores the
 *    proxy environment unless told otherwise, and a proxy variable set for
 *    other tools must not reroute augur's requests. No redirects: a 3xx is
 *    not retryable (export_client_classify).
 * 5. Timeouts: the whole request within the target's timeout; connect
 *    within the same or 10 s, whichever is shorter. A stop request is seen
 *    by the progress callback, which libcurl calls at least once a second
 *    and on every chunk.
 * 6. Result: the status and the first bytes of the body (receivers explain
 *    a 400 there), Retry-After when present (curl ≥ 7.66 parses it).
 * 7. One handle, many targets (the webhook's sender serves every scaler).
 *    The handle is set up for one target at a time (bind): posting to
 *    another one resets every option first (curl_easy_reset keeps the
 *    connection cache) and applies the new target's. The client holds a
 *    reference to the bound target, so comparing pointers is safe: a target
 *    cannot be freed and another allocated at its address while bound.
 */
#include "util/common.h"
#include "export/client.h"
#include "util/mem.h"

#include <curl/curl.h>
#include <stdatomic.h>

#define SECRET_FILE_MAX ((size_t)64 << 10)

struct export_client_target {
    _Atomic unsigned refs;
    struct curl_slist *hdrs;       /* notes 1 and 3 */
    struct curl_slist *connect_to; /* server_name routing (note 3) */
    char *what, *url;
    long timeout_ms;
    char *bearer_token, *bearer_token_file;
    char *username, *password, *password_file;
    char *ca_file, *cert_file, *key_file;
    bool insecure;
};

struct export_client {
    CURL *h;
    export_client_target *bound; /* the target the handle is set up for (one reference) */
    bool (*should_abort)(void *arg);
    void *abort_arg;
    char errbuf[CURL_ERROR_SIZE];
    char body_head[200]; /* first bytes of the response body */
    size_t body_len;
};

export_class export_client_classify(long status)
{
    if (status >= 200 && status <= 299)
        return EXPORT_CLASS_SENT;
    if (status == 0 || status == 429 || (status >= 500 && status <= 599))
        return EXPORT_CLASS_RETRY;
    if (status >= 400 && status <= 499)
        return EXPORT_CLASS_DROP_4XX;
    return EXPORT_CLASS_DROP_OTHER;
}

static char *dup_opt(const char *s, bool *oom)
{
    if (s == NULL)
        return NULL;
    char *d = aug_strndup(s, strlen(s));
    if (d == NULL)
        *oom = true;
    return d;
}

static void wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        aug_free(s);
    }
}

static aug_err slist_add(struct curl_slist **l, const char *line)
{
    struct curl_slist *n = curl_slist_append(*l, line);
    if (n == NULL)
        return AUG_ENOMEM;
    *l = n;
    return AUG_OK;
}

/* "Name: value" into a temporary buffer, appended to l. */
static aug_err add_header(struct curl_slist **l, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = aug_malloc(n);
    if (line == NULL)
        return AUG_ENOMEM;
    snprintf(line, n, "%s: %s", name, value);
    aug_err e = slist_add(l, line);
    aug_free(line);
    return e;
}

/* Note 3: rewrite the URL's host to server_name, route the connection to
 * the real host, keep the Host header. */
static aug_err route_server_name(export_client_target *t, const char *server_name, aug_errbuf *eb)
{
    CURLU *u = curl_url();
    if (u == NULL)
        return AUG_ENOMEM;
    char *scheme = NULL, *host = NULL, *port = NULL, *url = NULL;
    aug_err e = AUG_OK;
    if (curl_url_set(u, CURLUPART_URL, t->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        e = aug_errf(eb, AUG_EINVAL, "%s url %s: cannot parse", t->what, t->url);
        goto done;
    }
    if (strcmp(scheme, "https") != 0) {
        e = aug_errf(eb, AUG_EINVAL, "%s url %s: tls.server_name needs an https url", t->what, t->url);
        goto done;
    }
    char *port_given = NULL;
    bool explicit_port = curl_url_get(u, CURLUPART_PORT, &port_given, 0) == CURLUE_OK;
    curl_free(port_given);
    if (curl_url_set(u, CURLUPART_HOST, server_name, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        e = aug_errf(eb, AUG_EINVAL, "%s tls.server_name %s: not a valid host name", t->what, server_name);
        goto done;
    }
    size_t n = strlen(server_name) + strlen(host) + 2 * strlen(port) + 4;
    char *line = aug_malloc(n);
    char *newurl = aug_strndup(url, strlen(url));
    if (line == NULL || newurl == NULL) {
        aug_free(line);
        aug_free(newurl);
        e = AUG_ENOMEM;
        goto done;
    }
    snprintf(line, n, "%s:%s:%s:%s", server_name, port, host, port);
    e = slist_add(&t->connect_to, line);
    aug_free(line);
    if (e == AUG_OK) {
        size_t hn = strlen(host) + strlen(port) + 2;
        char *hostval = aug_malloc(hn);
        if (hostval == NULL) {
            e = AUG_ENOMEM;
        } else {
            snprintf(hostval, hn, explicit_port ? "%s:%s" : "%s", host, port);
            e = add_header(&t->hdrs, "Host", hostval);
            aug_free(hostval);
        }
    }
    if (e == AUG_OK) {
        aug_free(t->url);
        t->url = newurl;
    } else {
        aug_free(newurl);
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(url);
    curl_url_cleanup(u);
    return e;
}

aug_err export_client_target_new(const export_client_spec *s, export_client_target **out, aug_errbuf *eb)
{
    *out = NULL;
    export_client_target *t = aug_calloc(1, sizeof *t);
    if (t == NULL)
        return AUG_ENOMEM;
    atomic_init(&t->refs, 1u);
    const cfg_http_client *hc = s->http;
    bool oom = false;
    t->what = dup_opt(s->what, &oom);
    t->url = dup_opt(s->url, &oom);
    t->timeout_ms = (long)AUG_MAX(s->timeout_ms, (int64_t)1);
    t->bearer_token = dup_opt(hc->bearer_token, &oom);
    t->bearer_token_file = dup_opt(hc->bearer_token_file, &oom);
    t->username = dup_opt(hc->basic_auth.username, &oom);
    t->password = dup_opt(hc->basic_auth.password, &oom);
    t->password_file = dup_opt(hc->basic_auth.password_file, &oom);
    t->ca_file = dup_opt(hc->tls.ca_file, &oom);
    t->cert_file = dup_opt(hc->tls.cert_file, &oom);
    t->key_file = dup_opt(hc->tls.key_file, &oom);
    t->insecure = hc->tls.insecure_skip_verify;
    aug_err e = oom ? AUG_ENOMEM : AUG_OK;
    for (size_t i = 0; s->headers != NULL && s->headers[i] != NULL && e == AUG_OK; i++)
        e = slist_add(&t->hdrs, s->headers[i]);
    if (e == AUG_OK)
        e = slist_add(&t->hdrs, "Expect:");
    for (size_t i = 0; i < hc->headers.n && e == AUG_OK; i++)
        e = add_header(&t->hdrs, hc->headers.v[i].name, hc->headers.v[i].value);
    if (e == AUG_OK && hc->tls.server_name != NULL)
        e = route_server_name(t, hc->tls.server_name, eb);
    if (e != AUG_OK) {
        export_client_target_unref(t);
        return e;
    }
    *out = t;
    return AUG_OK;
}

export_client_target *export_client_target_ref(export_client_target *t)
{
    atomic_fetch_add(&t->refs, 1u);
    return t;
}

void export_client_target_unref(export_client_target *t)
{
    if (t == NULL || atomic_fetch_sub(&t->refs, 1u) != 1u)
        return;
    curl_slist_free_all(t->hdrs);
    curl_slist_free_all(t->connect_to);
    aug_free(t->what);
    aug_free(t->url);
    wipe_free(t->bearer_token);
    aug_free(t->bearer_token_file);
    aug_free(t->username);
    wipe_free(t->password);
    aug_free(t->password_file);
    aug_free(t->ca_file);
    aug_free(t->cert_file);
    aug_free(t->key_file);
    aug_free(t);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    export_client *c = arg;
    size_t n = size * nmemb;
    size_t room = sizeof c->body_head - 1 - c->body_len;
    size_t take = AUG_MIN(n, room);
    memcpy(c->body_head + c->body_len, ptr, take);
    c->body_len += take;
    return n; /* keep reading (and discarding): the connection stays reusable */
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    export_client *c = arg;
    return c->should_abort != NULL && c->should_abort(c->abort_arg) ? 1 : 0;
}

/* Note 7: sets the handle up for t (everything but the per-request
 * credentials and body). */
static CURLcode bind_target(export_client *c, export_client_target *t)
{
    CURL *h = c->h;
    if (c->bound != NULL)
        curl_easy_reset(h);
    export_client_target_unref(c->bound);
    c->bound = export_client_target_ref(t);
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { \
        if (rc == CURLE_OK) \
            rc = curl_easy_setopt(h, opt, val); \
    } while (0)
    SET(CURLOPT_URL, t->url);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_TIMEOUT_MS, t->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, AUG_MIN(t->timeout_ms, 10000L));
    SET(CURLOPT_USERAGENT, "augur/" AUG_VERSION);
    SET(CURLOPT_HTTPHEADER, t->hdrs);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, c);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, c);
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (t->connect_to != NULL)
        SET(CURLOPT_CONNECT_TO, t->connect_to);
    if (t->ca_file != NULL)
        SET(CURLOPT_CAINFO, t->ca_file);
    if (t->cert_file != NULL)
        SET(CURLOPT_SSLCERT, t->cert_file);
    if (t->key_file != NULL)
        SET(CURLOPT_SSLKEY, t->key_file);
    if (t->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (t->username != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, t->username);
    }
#undef SET
    if (rc != CURLE_OK) {
        /* Half set up: the next post must start over. */
        export_client_target_unref(c->bound);
        c->bound = NULL;
        curl_easy_reset(h);
    }
    return rc;
}

aug_err export_client_new(export_client_target *first, bool (*should_abort)(void *arg), void *arg,
                          export_client **out, aug_errbuf *eb)
{
    *out = NULL;
    export_client *c = aug_calloc(1, sizeof *c);
    if (c == NULL)
        return AUG_ENOMEM;
    c->should_abort = should_abort;
    c->abort_arg = arg;
    if ((c->h = curl_easy_init()) == NULL) {
        aug_free(c);
        return AUG_ENOMEM;
    }
    CURLcode rc = bind_target(c, first);
    if (rc != CURLE_OK) {
        aug_err e = aug_errf(eb, rc == CURLE_OUT_OF_MEMORY ? AUG_ENOMEM : AUG_EINVAL, "%s %s: libcurl: %s",
                             first->what, first->url, curl_easy_strerror(rc));
        export_client_free(c);
        return e;
    }
    *out = c;
    return AUG_OK;
}

/* Reads a credential file (note 2) into a fresh buffer the caller wipes
 * and frees. */
static aug_err read_secret(const char *path, char **out, export_client_result *res, const char *what)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(res->detail, sizeof res->detail, "cannot read %s %s: %s", what, path, strerror(errno));
        return AUG_EIO;
    }
    char *buf = aug_malloc(SECRET_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return AUG_ENOMEM;
    }
    size_t n = fread(buf, 1, SECRET_FILE_MAX + 1, f);
    bool bad = ferror(f) != 0 || n > SECRET_FILE_MAX;
    fclose(f);
    if (bad) {
        snprintf(res->detail, sizeof res->detail, "cannot read %s %s: %s", what, path,
                 n > SECRET_FILE_MAX ? "larger than 64 KiB" : "read error");
        explicit_bzero(buf, SECRET_FILE_MAX + 1);
        aug_free(buf);
        return AUG_EIO;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    buf[n] = '\0';
    *out = buf;
    return AUG_OK;
}

aug_err export_client_post(export_client *c, export_client_target *t, const uint8_t *body, size_t len,
                           export_client_result *res)
{
    *res = (export_client_result){.status = 0, .retry_after_ms = -1};
    c->body_len = 0;
    c->errbuf[0] = '\0';
    if (t != c->bound) {
        CURLcode brc = bind_target(c, t);
        if (brc != CURLE_OK) {
            snprintf(res->detail, sizeof res->detail, "%s %s: libcurl: %s", t->what, t->url,
                     curl_easy_strerror(brc));
            return brc == CURLE_OUT_OF_MEMORY ? AUG_ENOMEM : AUG_EINVAL;
        }
    }
    char *token = NULL, *password = NULL, *auth_line = NULL;
    aug_err e = AUG_OK;
    const char *tok = t->bearer_token;
    if (t->bearer_token_file != NULL) {
        if ((e = read_secret(t->bearer_token_file, &token, res, "bearer_token_file")) != AUG_OK)
            goto done;
        tok = token;
    }
    struct curl_slist auth = {.data = NULL, .next = t->hdrs};
    struct curl_slist *hdrs = t->hdrs;
    if (tok != NULL) {
        size_t n = strlen(tok) + sizeof "Authorization: Bearer ";
        if ((auth_line = aug_malloc(n)) == NULL) {
            e = AUG_ENOMEM;
            goto done;
        }
        snprintf(auth_line, n, "Authorization: Bearer %s", tok);
        auth.data = auth_line;
        hdrs = &auth;
    }
    CURLcode rc = curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
    if (rc == CURLE_OK && t->username != NULL) {
        const char *pw = t->password != NULL ? t->password : "";
        if (t->password_file != NULL) {
            if ((e = read_secret(t->password_file, &password, res, "basic_auth.password_file")) != AUG_OK)
                goto done;
            pw = password;
        }
        rc = curl_easy_setopt(c->h, CURLOPT_PASSWORD, pw);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, (const char *)body);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c->h);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(res->detail, sizeof res->detail, "aborted: shutting down");
        e = AUG_ESHUTDOWN;
    } else if (rc != CURLE_OK) {
        snprintf(res->detail, sizeof res->detail, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
        e = rc == CURLE_OUT_OF_MEMORY ? AUG_ENOMEM : AUG_EIO;
    } else {
        long status = 0;
        curl_off_t retry_after = 0;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        if (curl_easy_getinfo(c->h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
            res->retry_after_ms = retry_after > INT64_MAX / 1000 ? INT64_MAX : (int64_t)retry_after * 1000;
        res->status = status;
        c->body_head[c->body_len] = '\0';
        /* One line for a log: control characters become spaces. */
        for (size_t i = 0; i < c->body_len; i++)
            if ((unsigned char)c->body_head[i] < 0x20)
                c->body_head[i] = ' ';
        snprintf(res->detail, sizeof res->detail, "%s", c->body_head);
    }
done:
    /* Do not leave a pointer to freed secrets in the handle. */
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, t->hdrs);
    if (password != NULL)
        curl_easy_setopt(c->h, CURLOPT_PASSWORD, "");
    wipe_free(auth_line);
    wipe_free(token);
    wipe_free(password);
    return e;
}

void export_client_free(export_client *c)
{
    if (c == NULL)
        return;
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    export_client_target_unref(c->bound);
    aug_free(c);
}
