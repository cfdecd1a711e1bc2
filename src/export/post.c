/* post.c — one remote-write target's HTTP sender: a libcurl easy handle set
 * up once, reused for every request (keep-alive), owned by the target's
 * sender thread (contract in export_int.h).
 *
 * Design notes
 * ------------
 * 1. Headers (remote-write 1.0): Content-Encoding: snappy, Content-Type:
 *    application/x-protobuf, X-Prometheus-Remote-Write-Version: 0.1.0,
 *    User-Agent: augur/<version>, then the configured headers (config/
 *    refuses the ones augur sets itself), and "Expect:" to stop libcurl from
 *    waiting for a 100-continue on bodies over 1 KiB.
 * 2. Credentials. bearer_token(_file): an "Authorization: Bearer …" node is
 *    put in front of the static header list for the one request (a stack
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
 *    other tools must not reroute augur's writes. No redirects: a 3xx is
 *    not retryable (export_post_classify).
 * 5. Timeouts: the whole request within remote_write.timeout; connect within
 *    the same or 10 s, whichever is shorter. A stop request is seen by the
 *    progress callback, which libcurl calls at least once a second and on
 *    every chunk.
 * 6. Result: the status and the first bytes of the body (receivers explain
 *    a 400 there), Retry-After when present (curl ≥ 7.66 parses it).
 */
#include "util/common.h"
#include "export/export_int.h"
#include "util/mem.h"

#include <curl/curl.h>

#define SECRET_FILE_MAX ((size_t)64 << 10)

struct export_post {
    CURL *h;
    struct curl_slist *hdrs;       /* static headers (note 1) */
    struct curl_slist *connect_to; /* server_name routing (note 3) */
    char *url;
    char *bearer_token, *bearer_token_file;
    char *username, *password, *password_file;
    char *ca_file, *cert_file, *key_file;
    bool (*should_abort)(void *arg);
    void *abort_arg;
    char errbuf[CURL_ERROR_SIZE];
    char body_head[200]; /* first bytes of the response body */
    size_t body_len;
};

export_class export_post_classify(long status)
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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    export_post *p = arg;
    size_t n = size * nmemb;
    size_t room = sizeof p->body_head - 1 - p->body_len;
    size_t take = AUG_MIN(n, room);
    memcpy(p->body_head + p->body_len, ptr, take);
    p->body_len += take;
    return n; /* keep reading (and discarding): the connection stays reusable */
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    export_post *p = arg;
    return p->should_abort != NULL && p->should_abort(p->abort_arg) ? 1 : 0;
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
static aug_err route_server_name(export_post *p, const char *server_name, aug_errbuf *eb)
{
    CURLU *u = curl_url();
    if (u == NULL)
        return AUG_ENOMEM;
    char *scheme = NULL, *host = NULL, *port = NULL, *url = NULL;
    aug_err e = AUG_OK;
    if (curl_url_set(u, CURLUPART_URL, p->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        e = aug_errf(eb, AUG_EINVAL, "remote_write url %s: cannot parse", p->url);
        goto done;
    }
    if (strcmp(scheme, "https") != 0) {
        e = aug_errf(eb, AUG_EINVAL, "remote_write url %s: tls.server_name needs an https url", p->url);
        goto done;
    }
    char *port_given = NULL;
    bool explicit_port = curl_url_get(u, CURLUPART_PORT, &port_given, 0) == CURLUE_OK;
    curl_free(port_given);
    if (curl_url_set(u, CURLUPART_HOST, server_name, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        e = aug_errf(eb, AUG_EINVAL, "remote_write tls.server_name %s: not a valid host name", server_name);
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
    e = slist_add(&p->connect_to, line);
    aug_free(line);
    if (e == AUG_OK) {
        size_t hn = strlen(host) + strlen(port) + 2;
        char *hostval = aug_malloc(hn);
        if (hostval == NULL) {
            e = AUG_ENOMEM;
        } else {
            snprintf(hostval, hn, explicit_port ? "%s:%s" : "%s", host, port);
            e = add_header(&p->hdrs, "Host", hostval);
            aug_free(hostval);
        }
    }
    if (e == AUG_OK) {
        aug_free(p->url);
        p->url = newurl;
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

aug_err export_post_new(const cfg_remote_write *rw, bool (*should_abort)(void *arg), void *arg, export_post **out,
                        aug_errbuf *eb)
{
    *out = NULL;
    if (rw == NULL || rw->url == NULL)
        return aug_errf(eb, AUG_EINVAL, "remote_write without url");
    export_post *p = aug_calloc(1, sizeof *p);
    if (p == NULL)
        return AUG_ENOMEM;
    aug_err e = AUG_OK;
    bool oom = false;
    p->should_abort = should_abort;
    p->abort_arg = arg;
    p->url = dup_opt(rw->url, &oom);
    p->bearer_token = dup_opt(rw->http.bearer_token, &oom);
    p->bearer_token_file = dup_opt(rw->http.bearer_token_file, &oom);
    p->username = dup_opt(rw->http.basic_auth.username, &oom);
    p->password = dup_opt(rw->http.basic_auth.password, &oom);
    p->password_file = dup_opt(rw->http.basic_auth.password_file, &oom);
    p->ca_file = dup_opt(rw->http.tls.ca_file, &oom);
    p->cert_file = dup_opt(rw->http.tls.cert_file, &oom);
    p->key_file = dup_opt(rw->http.tls.key_file, &oom);
    if (oom || (p->h = curl_easy_init()) == NULL) {
        e = AUG_ENOMEM;
        goto fail;
    }
    static const char *const fixed[] = {
        "Content-Encoding: snappy",
        "Content-Type: application/x-protobuf",
        "X-Prometheus-Remote-Write-Version: 0.1.0",
        "Expect:",
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(fixed) && e == AUG_OK; i++)
        e = slist_add(&p->hdrs, fixed[i]);
    for (size_t i = 0; i < rw->http.headers.n && e == AUG_OK; i++)
        e = add_header(&p->hdrs, rw->http.headers.v[i].name, rw->http.headers.v[i].value);
    if (e == AUG_OK && rw->http.tls.server_name != NULL)
        e = route_server_name(p, rw->http.tls.server_name, eb);
    if (e != AUG_OK)
        goto fail;

    CURL *h = p->h;
    long timeout = (long)AUG_MAX(rw->timeout_ms, (int64_t)1);
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { \
        if (rc == CURLE_OK) \
            rc = curl_easy_setopt(h, opt, val); \
    } while (0)
    SET(CURLOPT_URL, p->url);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_CONNECTTIMEOUT_MS, AUG_MIN(timeout, 10000L));
    SET(CURLOPT_USERAGENT, "augur/" AUG_VERSION);
    SET(CURLOPT_HTTPHEADER, p->hdrs);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, p);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, p);
    SET(CURLOPT_ERRORBUFFER, p->errbuf);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (p->connect_to != NULL)
        SET(CURLOPT_CONNECT_TO, p->connect_to);
    if (p->ca_file != NULL)
        SET(CURLOPT_CAINFO, p->ca_file);
    if (p->cert_file != NULL)
        SET(CURLOPT_SSLCERT, p->cert_file);
    if (p->key_file != NULL)
        SET(CURLOPT_SSLKEY, p->key_file);
    if (rw->http.tls.insecure_skip_verify) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (p->username != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, p->username);
    }
#undef SET
    if (rc != CURLE_OK) {
        e = aug_errf(eb, rc == CURLE_OUT_OF_MEMORY ? AUG_ENOMEM : AUG_EINVAL, "remote_write %s: libcurl: %s",
                     rw->url, curl_easy_strerror(rc));
        goto fail;
    }
    *out = p;
    return AUG_OK;
fail:
    export_post_free(p);
    return e;
}

/* Reads a credential file (note 2) into a fresh buffer the caller wipes
 * and frees. */
static aug_err read_secret(const char *path, char **out, export_post_result *res, const char *what)
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

static void wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        aug_free(s);
    }
}

aug_err export_post_send(export_post *p, const uint8_t *body, size_t len, export_post_result *res)
{
    *res = (export_post_result){.status = 0, .retry_after_ms = -1};
    p->body_len = 0;
    p->errbuf[0] = '\0';
    char *token = NULL, *password = NULL, *auth_line = NULL;
    aug_err e = AUG_OK;
    const char *tok = p->bearer_token;
    if (p->bearer_token_file != NULL) {
        if ((e = read_secret(p->bearer_token_file, &token, res, "bearer_token_file")) != AUG_OK)
            goto done;
        tok = token;
    }
    struct curl_slist auth = {.data = NULL, .next = p->hdrs};
    struct curl_slist *hdrs = p->hdrs;
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
    CURLcode rc = curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, hdrs);
    if (rc == CURLE_OK && p->username != NULL) {
        const char *pw = p->password != NULL ? p->password : "";
        if (p->password_file != NULL) {
            if ((e = read_secret(p->password_file, &password, res, "basic_auth.password_file")) != AUG_OK)
                goto done;
            pw = password;
        }
        rc = curl_easy_setopt(p->h, CURLOPT_PASSWORD, pw);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(p->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, (const char *)body);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(p->h);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(res->detail, sizeof res->detail, "aborted: shutting down");
        e = AUG_ESHUTDOWN;
    } else if (rc != CURLE_OK) {
        snprintf(res->detail, sizeof res->detail, "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(rc));
        e = rc == CURLE_OUT_OF_MEMORY ? AUG_ENOMEM : AUG_EIO;
    } else {
        long status = 0;
        curl_off_t retry_after = 0;
        curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
        if (curl_easy_getinfo(p->h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
            res->retry_after_ms = retry_after > INT64_MAX / 1000 ? INT64_MAX : (int64_t)retry_after * 1000;
        res->status = status;
        p->body_head[p->body_len] = '\0';
        /* One line for a log: control characters become spaces. */
        for (size_t i = 0; i < p->body_len; i++)
            if ((unsigned char)p->body_head[i] < 0x20)
                p->body_head[i] = ' ';
        snprintf(res->detail, sizeof res->detail, "%s", p->body_head);
    }
done:
    /* Do not leave a pointer to freed secrets in the handle. */
    curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->hdrs);
    if (password != NULL)
        curl_easy_setopt(p->h, CURLOPT_PASSWORD, "");
    wipe_free(auth_line);
    wipe_free(token);
    wipe_free(password);
    return e;
}

void export_post_free(export_post *p)
{
    if (p == NULL)
        return;
    if (p->h != NULL)
        curl_easy_cleanup(p->h);
    curl_slist_free_all(p->hdrs);
    curl_slist_free_all(p->connect_to);
    aug_free(p->url);
    wipe_free(p->bearer_token);
    aug_free(p->bearer_token_file);
    aug_free(p->username);
    wipe_free(p->password);
    aug_free(p->password_file);
    aug_free(p->ca_file);
    aug_free(p->cert_file);
    aug_free(p->key_file);
    aug_free(p);
}
