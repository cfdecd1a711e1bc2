/* client.h — augur's outgoing HTTP POST (src/export/client.c): what the
 * remote-write sender (post.c) and the scaler webhook (src/predict/scale.c)
 * share. A libcurl easy handle reused for every request (keep-alive), the
 * HTTP client options of cfg_http_client (custom headers, bearer or basic
 * auth with credential files re-read at each request, TLS with CA file,
 * client certificate and server_name), no proxy, no redirects, an abort
 * poll, and what to do with the outcome (export_client_classify).
 *
 * Two objects:
 *   export_client_target  where and how to POST: url, timeout, the
 *       protocol's headers, the cfg_http_client options. Immutable once
 *       built, so any thread may read it; reference-counted, so a queued
 *       webhook call can keep its target alive past a reload that frees the
 *       scaler which built it.
 *   export_client  one easy handle and its connection cache. Used by one
 *       thread at a time (a sender thread owns it). It posts to any target:
 *       switching to another target than the last resets the handle's
 *       options (curl_easy_reset keeps live connections), so nothing of one
 *       target's credentials or TLS settings carries over to the next, and a
 *       connection is reused only by requests to the same peer with the same
 *       TLS settings (libcurl's connection matching).
 */
#ifndef AUG_EXPORT_CLIENT_H
#define AUG_EXPORT_CLIENT_H

#include "config/config.h"
#include "util/common.h"
#include "util/err.h"

typedef struct export_client_target export_client_target;
typedef struct export_client export_client;

/* What a target is built from; everything is copied. */
typedef struct export_client_spec {
    const char *what;            /* names the target in messages: "remote_write", "webhook" */
    const char *url;             /* http(s)://…, as validated by config/ */
    int64_t timeout_ms;          /* the whole request; connect within min(this, 10 s) */
    const cfg_http_client *http; /* headers, credentials, TLS */
    const char *const *headers;  /* the protocol's "Name: value" lines, sent before http->headers; NULL-terminated */
} export_client_spec;

/* What to do after an attempt. */
typedef enum export_class {
    EXPORT_CLASS_SENT = 0,      /* 2xx: acknowledged */
    EXPORT_CLASS_RETRY = 1,     /* 5xx, 429, transport error: back off, resend */
    EXPORT_CLASS_DROP_4XX = 2,  /* other 4xx: the receiver will never take it */
    EXPORT_CLASS_DROP_OTHER = 3 /* 1xx/3xx/unknown final status: not retryable either */
} export_class;

/* Maps an HTTP status (0 = no response: transport error) to its class. */
export_class export_client_classify(long status);

typedef struct export_client_result {
    long status;            /* HTTP status; 0 when no response arrived */
    int64_t retry_after_ms; /* Retry-After of the response; -1 when absent */
    char detail[256];       /* curl's error, or the start of the response body */
} export_client_result;

/* Builds a target with one reference (caller releases it with
 * export_client_target_unref). AUG_ENOMEM; AUG_EINVAL when libcurl cannot
 * parse the url or tls.server_name is set with a non-https url or is not a
 * host name, with the reason in eb. */
aug_err export_client_target_new(const export_client_spec *s, export_client_target **out, aug_errbuf *eb);
/* Takes one more reference (any thread); returns t. */
export_client_target *export_client_target_ref(export_client_target *t);
/* Drops one reference; the last frees t and wipes its secrets. NULL is a
 * no-op. */
void export_client_target_unref(export_client_target *t);

/* Builds a client set up for `first` (it takes a reference).
 * should_abort(arg) (may be NULL) is polled during a transfer (~ every
 * 100 ms or faster, per libcurl's progress callback); true aborts it.
 * AUG_ENOMEM; AUG_EINVAL when libcurl refuses one of first's options (eb
 * says which). Caller frees with export_client_free. */
aug_err export_client_new(export_client_target *first, bool (*should_abort)(void *arg), void *arg,
                          export_client **out, aug_errbuf *eb);

/* POSTs body to t with t's headers and credentials (token and password
 * files are read now, at each request), over a kept-alive connection when
 * one to the same peer is open. body is borrowed for the call; t is
 * referenced by c until c posts to another target or is freed. Returns
 * AUG_OK when a response arrived (any status, in res->status), AUG_EIO when
 * none did or a credential file could not be read (res->detail says which),
 * AUG_ESHUTDOWN when should_abort stopped it, AUG_EINVAL when libcurl
 * refused one of t's options (res->detail), AUG_ENOMEM. */
aug_err export_client_post(export_client *c, export_client_target *t, const uint8_t *body, size_t len,
                           export_client_result *res);

/* Releases the handle (closing its connections) and its target reference.
 * NULL is a no-op. */
void export_client_free(export_client *c);

#endif
