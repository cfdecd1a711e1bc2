/* Unit tests for the scaler webhook's HTTP client options (src/predict/
 * scale.c note 6, over src/export/client.h): real decisions of the "web"
 * scaler (web.h) on the predict thread, POSTed by the webhook sender to the
 * export tests' receiver (tests/unit/export/receiver.h, libmicrohttpd on
 * loopback, with the test PKI of tests/unit/export/tls/). Checked on the
 * requests as received: the JSON body and its Content-Type, custom headers,
 * Authorization from bearer_token, from bearer_token_file re-read when the
 * file changes, and from basic_auth; TLS verified with a private CA under
 * server_name, and a client certificate the receiver demands; two calls on
 * one connection (keep-alive); and a server_name on an http url refused
 * when the scalers are built, as remote_write refuses it. */
#ifdef RX_HAVE_GNUTLS
#define RX_WITH_GNUTLS 1
#endif
#include "helpers.h"
#include "web.h"

#include "../export/receiver.h"

/* Opens the harness with the "web" scaler, shadow off, calling
 * scheme://127.0.0.1:<rx's port>/scale with the webhook options `opts`
 * (YAML lines at the webhook's indentation). */
static void open_with_hook(harness *h, const char *scheme, const receiver *rx, const char *opts)
{
    char extra[1024];
    snprintf(extra, sizeof extra,
             "    shadow: false\n"
             "    webhook:\n"
             "      url: %s://127.0.0.1:%u/scale\n"
             "      retries: 0\n"
             "%s",
             scheme, rx->port, opts);
    h_open(h, web_yaml(extra));
    add_web_series(h);
}

/* Makes decision k (0-based) of the scaler: one webhook call. */
static void decide(harness *h, int64_t S, int k)
{
    set_now((S + 300) * 1000);
    feed_minute(h, S + 60 * k, 0.9);
}

/* The request itself, custom headers, a bearer token, and the connection
 * kept open from the first call to the second. */
static void test_headers_token_keepalive(void)
{
    receiver rx = {0};
    CHECK(rx_start(&rx));
    harness h;
    open_with_hook(&h, "http", &rx, "      headers: {X-Team: infra, X-Env: \"prod 1\"}\n      bearer_token: s3cr3t\n");
    int64_t S = base_s();
    decide(&h, S, 0);
    CHECK(rx_wait(&rx, 1, 30000));
    decide(&h, S, 1);
    CHECK(rx_wait(&rx, 2, 30000));
    for (size_t i = 0; i < 2; i++) {
        const rx_request *q = &rx.reqs[i];
        CHECK_STR(q->method, "POST");
        CHECK_STR(q->path, "/scale");
        CHECK(rx_header_is(q, "Content-Type", "application/json"));
        CHECK(rx_header_is(q, "User-Agent", "augur/" AUG_VERSION));
        CHECK(rx_header_is(q, "X-Team", "infra"));
        CHECK(rx_header_is(q, "X-Env", "prod 1"));
        CHECK(rx_header_is(q, "Authorization", "Bearer s3cr3t"));
        CHECK(rx_header_is(q, "Expect", NULL));
        char len[16];
        snprintf(len, sizeof len, "%zu", q->len);
        CHECK(rx_header_is(q, "Content-Length", len));
        CHECK(q->len > 0 && q->body[0] == '{' && q->body[q->len - 1] == '}');
    }
    CHECK(memmem(rx.reqs[0].body, rx.reqs[0].len, "\"scaler\":\"web\"", 14) != NULL);
    CHECK(memmem(rx.reqs[0].body, rx.reqs[0].len, "\"action\":\"scale_up_now\"", 23) != NULL);
    CHECK(memmem(rx.reqs[1].body, rx.reqs[1].len, "\"action\":\"hold\"", 15) != NULL); /* cooldown */
    CHECK_EQ_I64(rx_conns(&rx), 1); /* both calls on one connection */
    h_close(&h);
    rx_stop(&rx);
}

/* bearer_token_file is read at each call: a rotated token is sent by the
 * next call without a reload. */
static void test_token_file_rotation(void)
{
    receiver rx = {0};
    CHECK(rx_start(&rx));
    char path[] = "/tmp/augur-hook-token.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(rx_write_file(path, "tok-one\n"));
    char opts[256];
    snprintf(opts, sizeof opts, "      bearer_token_file: %s\n", path);
    harness h;
    open_with_hook(&h, "http", &rx, opts);
    int64_t S = base_s();
    decide(&h, S, 0);
    CHECK(rx_wait(&rx, 1, 30000));
    CHECK(rx_write_file(path, "tok-two \r\n"));
    decide(&h, S, 1);
    CHECK(rx_wait(&rx, 2, 30000));
    CHECK(rx_header_is(&rx.reqs[0], "Authorization", "Bearer tok-one"));
    CHECK(rx_header_is(&rx.reqs[1], "Authorization", "Bearer tok-two"));
    h_close(&h);
    unlink(path);
    rx_stop(&rx);
}

/* basic_auth with an inline password, then with a password_file. */
static void test_basic_auth(void)
{
    receiver rx = {0};
    CHECK(rx_start(&rx));
    char opts[256];
    harness h;
    open_with_hook(&h, "http", &rx, "      basic_auth: {username: u, password: p}\n");
    int64_t S = base_s();
    decide(&h, S, 0);
    CHECK(rx_wait(&rx, 1, 30000));
    CHECK(rx_header_is(&rx.reqs[0], "Authorization", "Basic dTpw")); /* base64("u:p") */
    h_close(&h);

    char path[] = "/tmp/augur-hook-pw.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(rx_write_file(path, "pw\n"));
    snprintf(opts, sizeof opts, "      basic_auth: {username: u, password_file: %s}\n", path);
    open_with_hook(&h, "http", &rx, opts);
    decide(&h, S, 0);
    CHECK(rx_wait(&rx, 2, 30000));
    CHECK(rx_header_is(&rx.reqs[1], "Authorization", "Basic dTpwdw==")); /* base64("u:pw") */
    h_close(&h);
    unlink(path);
    rx_stop(&rx);
}

/* TLS with a private CA: verified under server_name (the certificate's
 * name, not the url's 127.0.0.1), the Host header keeping the url's host;
 * then a receiver that demands a client certificate signed by the CA. */
static void test_tls_and_client_cert(void)
{
    char *cert = rx_tls_read("server.pem"), *key = rx_tls_read("server.key"), *ca = rx_tls_read("ca.pem");
    CHECK(cert != NULL && key != NULL && ca != NULL);
    receiver rx = {0};
    CHECK(rx_start_at(&rx, 0, cert, key, NULL));
    char opts[512], host[64];
    snprintf(opts, sizeof opts, "      tls: {ca_file: %s, server_name: augur-test.invalid}\n", rx_tls_path("ca.pem"));
    harness h;
    open_with_hook(&h, "https", &rx, opts);
    int64_t S = base_s();
    decide(&h, S, 0);
    CHECK(rx_wait(&rx, 1, 30000));
    snprintf(host, sizeof host, "127.0.0.1:%u", rx.port);
    CHECK(rx_header_is(&rx.reqs[0], "Host", host));
    CHECK(rx_header_is(&rx.reqs[0], "Content-Type", "application/json"));
    h_close(&h);
    rx_stop(&rx);

    receiver mtls = {.require_client_cert = true};
    CHECK(rx_start_at(&mtls, 0, cert, key, ca));
    snprintf(opts, sizeof opts,
             "      tls: {ca_file: %s, server_name: augur-test.invalid, cert_file: %s, key_file: %s}\n",
             rx_tls_path("ca.pem"), rx_tls_path("client.pem"), rx_tls_path("client.key"));
    open_with_hook(&h, "https", &mtls, opts);
    decide(&h, S, 0);
    CHECK(rx_wait(&mtls, 1, 30000));
    CHECK(mtls.reqs[0].client_cert_ok);
    CHECK_EQ_I64(mtls.reqs[0].status, 204);
    h_close(&h);
    rx_stop(&mtls);
    free(cert);
    free(key);
    free(ca);
}

/* server_name on an http url: the scalers cannot be built, with
 * remote_write's message, so start-up (and a reload) fails. The config
 * loader refuses it first (test_config.c); the url is changed after loading
 * to reach the client's own check. */
static void test_server_name_needs_https(void)
{
    harness h;
    memset(&h, 0, sizeof h);
    tmpdir_new(h.dirbuf, sizeof h.dirbuf, "predict");
    h.s = store_at(h.dirbuf);
    h.cfg = config_of(web_yaml("    shadow: false\n"
                               "    webhook:\n"
                               "      url: https://127.0.0.1:9/scale\n"
                               "      tls: {server_name: augur-test.invalid}\n"));
    cfg_scaler plain = h.cfg->scalers[0];
    plain.webhook.url = "http://127.0.0.1:9/scale";
    const cfg_scaler *loaded = h.cfg->scalers;
    h.cfg->scalers = &plain;
    h.reg = metrics_registry_new();
    rec_init(&h.rec);
    aug_errbuf eb = {{0}};
    predict *p = NULL;
    aug_err e = predict_open(h.s, h.cfg, h.reg, rec_sink, &h.rec, &p, &eb);
    CHECK_EQ_I64(e, AUG_ECONFIG);
    CHECK(p == NULL);
    CHECK(strstr(eb.msg, "scaler web: webhook url http://127.0.0.1:9/scale: tls.server_name needs an https url") !=
          NULL);
    h.cfg->scalers = loaded;
    metrics_registry_free(h.reg);
    cfg_free(h.cfg);
    store_close(h.s);
    rec_free(&h.rec);
    tmpdir_remove(h.dirbuf);
}

CHECK_MAIN(CHECK_CASE(test_headers_token_keepalive), CHECK_CASE(test_token_file_rotation), CHECK_CASE(test_basic_auth),
           CHECK_CASE(test_tls_and_client_cert), CHECK_CASE(test_server_name_needs_https))
