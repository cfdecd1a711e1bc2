/* post.c — one remote-write target's sender: the remote-write 1.0 request
 * (its headers: Content-Encoding: snappy, Content-Type:
 * application/x-protobuf, X-Prometheus-Remote-Write-Version: 0.1.0) over
 * the shared HTTP client (client.h: keep-alive, credentials, TLS, abort),
 * owned by the target's sender thread (contract in export_int.h).
 */
#include "util/common.h"
#include "export/export_int.h"
#include "util/mem.h"

struct export_post {
    export_client_target *t;
    export_client *c;
};

aug_err export_post_new(const cfg_remote_write *rw, bool (*should_abort)(void *arg), void *arg, export_post **out,
                        aug_errbuf *eb)
{
    static const char *const headers[] = {
        "Content-Encoding: snappy",
        "Content-Type: application/x-protobuf",
        "X-Prometheus-Remote-Write-Version: 0.1.0",
        NULL,
    };
    *out = NULL;
    if (rw == NULL || rw->url == NULL)
        return aug_errf(eb, AUG_EINVAL, "remote_write without url");
    export_post *p = aug_calloc(1, sizeof *p);
    if (p == NULL)
        return AUG_ENOMEM;
    export_client_spec s = {
        .what = "remote_write", .url = rw->url, .timeout_ms = rw->timeout_ms, .http = &rw->http, .headers = headers};
    aug_err e = export_client_target_new(&s, &p->t, eb);
    if (e == AUG_OK)
        e = export_client_new(p->t, should_abort, arg, &p->c, eb);
    if (e != AUG_OK) {
        export_post_free(p);
        return e;
    }
    *out = p;
    return AUG_OK;
}

aug_err export_post_send(export_post *p, const uint8_t *body, size_t len, export_client_result *res)
{
    return export_client_post(p->c, p->t, body, len, res);
}

void export_post_free(export_post *p)
{
    if (p == NULL)
        return;
    export_client_free(p->c);
    export_client_target_unref(p->t);
    aug_free(p);
}
