/* Unit tests for src/export/export.c: the whole exporter on a real LMDB
 * store in a temporary directory, talking to real receivers on loopback
 * (receiver.h). What the receivers got is decoded with wire/'s decoder and
 * compared sample by sample (labels, timestamps, value bits), and for the
 * simple case byte for byte with wire_write_encode.
 *
 * Timing: backoffs are 1-4 ms through the config, the clock used for the
 * "future" check is a fake (fake_now), and every wait is for a condition
 * (requests received, queue empty) with a 30 s safety timeout: nothing here
 * depends on how fast the machine is.
 */
#include "util/common.h"
#include "export/export.h"
#include "storage/records.h"
#include "storage/store_int.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/mem.h"

#include "../check.h"
#include "../tmpdir.h"
#include "receiver.h"

#include <stdatomic.h>
#include <unistd.h>

#define WAIT_MS 30000
#define T0 1700000000000LL
#define STALE_NAN_BITS 0x7ff0000000000002ULL

static _Atomic int64_t fake_now = T0 + 3600000;

static int64_t fake_clock(void *arg)
{
    (void)arg;
    return atomic_load(&fake_now);
}

/* ---- environment: temp dir, store, registry, config, exporter ---- */

typedef struct env {
    char dir[256];
    store *s;
    metrics_registry *reg;
    cfg_config *cfg;
    export *x;
    export_opts opts;
} env;

__attribute__((format(printf, 2, 3))) static void env_config(env *e, const char *fmt, ...)
{
    char yaml[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(yaml, sizeof yaml, fmt, ap);
    va_end(ap);
    cfg_free(e->cfg);
    e->cfg = NULL;
    cfg_diag *d = NULL;
    aug_err err = cfg_load_buffer("test.yml", yaml, strlen(yaml), &e->cfg, &d);
    if (err != AUG_OK) {
        cfg_diag_print(d, stderr);
        cfg_diag_free(d);
    }
    CHECK_EQ_I64(err, AUG_OK);
}

static void env_open_export(env *e)
{
    aug_errbuf eb = {{0}};
    aug_err err = export_open(e->s, e->cfg, e->reg, &e->opts, &e->x, &eb);
    if (err != AUG_OK)
        fprintf(stderr, "export_open: %s\n", aug_errmsg(&eb, err));
    CHECK_EQ_I64(err, AUG_OK);
}

static void env_init(env *e)
{
    /* The exporter logs every failure it recovers from; the tests cause
     * many on purpose. Errors still show. */
    log_configure(LOG_LVL_ERROR, LOG_FMT_LOGFMT, NULL, NULL);
    memset(e, 0, sizeof *e);
    tmpdir_new(e->dir, sizeof e->dir, "export");
    store_opts so = {.path = e->dir};
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(store_open(&so, &e->s, &eb), AUG_OK);
    e->reg = metrics_registry_new();
    CHECK(e->reg != NULL);
    e->opts = (export_opts){.now_ms = fake_clock, .seed = 7};
    atomic_store(&fake_now, T0 + 3600000);
}

static void env_free(env *e)
{
    export_close(e->x, 0);
    e->x = NULL;
    cfg_free(e->cfg);
    metrics_registry_free(e->reg);
    store_close(e->s);
    tmpdir_remove(e->dir);
    CHECK_EQ_I64(aug_mem_used(), 0);
}

/* YAML of target `name` with the fast test backoffs; extra is more keys
 * (each line indented by 4). Rotating static buffers: up to 4 per call. */
static const char *tgt(uint16_t port, const char *name, const char *extra)
{
    static char bufs[4][1024];
    static unsigned k;
    char *b = bufs[k++ % 4];
    snprintf(b, 1024,
             "  - url: http://127.0.0.1:%u/api/v1/write\n    name: %s\n    min_backoff: 1ms\n"
             "    max_backoff: 4ms\n%s",
             (unsigned)port, name, extra);
    return b;
}

/* ---- evaluations: k series of ai_cpu_forecast, labels given unsorted ---- */

typedef struct evaluation {
    aug_label labels[64][3];
    char inst[64][16];
    export_series s[64];
    size_t n;
} evaluation;

static void make_eval(evaluation *ev, size_t k, int64_t ts, double base)
{
    AUG_UNUSED(AUG_ARRAY_LEN(ev->s));
    ev->n = k;
    for (size_t i = 0; i < k; i++) {
        snprintf(ev->inst[i], sizeof ev->inst[i], "host-%03zu", i);
        ev->labels[i][0] = (aug_label){{"instance", 8}, {ev->inst[i], strlen(ev->inst[i])}};
        ev->labels[i][1] = (aug_label){{"__name__", 8}, {"ai_cpu_forecast", 15}};
        ev->labels[i][2] = (aug_label){{"horizon", 7}, {"1h", 2}};
        double v = base + (double)i;
        if (i == 0) {
            uint64_t bits = STALE_NAN_BITS;
            memcpy(&v, &bits, sizeof v);
        }
        ev->s[i] = (export_series){.labels = ev->labels[i], .nlabels = 3, .ts_ms = ts, .value = v};
    }
}

/* Large evaluations (more than 64 series). */
typedef struct big_eval {
    aug_label (*labels)[3];
    char (*inst)[16];
    export_series *s;
    size_t n;
} big_eval;

static big_eval make_big(size_t k, int64_t ts, double base)
{
    big_eval b = {.labels = calloc(k, sizeof *b.labels), .inst = calloc(k, sizeof *b.inst),
                  .s = calloc(k, sizeof *b.s), .n = k};
    for (size_t i = 0; i < k; i++) {
        snprintf(b.inst[i], sizeof b.inst[i], "host-%05zu", i);
        b.labels[i][0] = (aug_label){{"__name__", 8}, {"ai_cpu_forecast", 15}};
        b.labels[i][1] = (aug_label){{"horizon", 7}, {"1h", 2}};
        b.labels[i][2] = (aug_label){{"instance", 8}, {b.inst[i], strlen(b.inst[i])}};
        b.s[i] = (export_series){.labels = b.labels[i], .nlabels = 3, .ts_ms = ts, .value = base + (double)i};
    }
    return b;
}

static void free_big(big_eval *b)
{
    free(b->labels);
    free(b->inst);
    free(b->s);
}

static void enqueue_ok(env *e, const export_series *s, size_t n)
{
    aug_errbuf eb = {{0}};
    aug_err err = export_enqueue(e->x, s, n, &eb);
    if (err != AUG_OK)
        fprintf(stderr, "export_enqueue: %s\n", aug_errmsg(&eb, err));
    CHECK_EQ_I64(err, AUG_OK);
}

/* ---- what the receivers got ---- */

typedef struct got {
    char key[96]; /* "instance" label value, or the whole label set for odd ones */
    int64_t ts;
    uint64_t bits;
    size_t req;   /* index of the request */
} got;

typedef struct gots {
    got *v;
    size_t n, cap;
    size_t requests;    /* 2xx requests decoded */
    size_t max_batch;   /* most samples in one request */
} gots;

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Decodes every request the receiver answered with 2xx (only those were
 * delivered), in arrival order. */
static gots decode_delivered(receiver *rx)
{
    gots g = {0};
    pthread_mutex_lock(&rx->mu);
    for (size_t r = 0; r < rx->n; r++) {
        rx_request *q = &rx->reqs[r];
        if (q->status < 200 || q->status > 299)
            continue;
        util_arena *a = util_arena_new((size_t)64 << 20);
        wire_limits lim = wire_limits_default();
        wire_write_req req;
        aug_errbuf eb = {{0}};
        aug_err e = wire_write_decode(a, (aug_bytes){q->body, q->len}, &lim, &req, &eb);
        if (e != AUG_OK)
            fprintf(stderr, "  request %zu: %s\n", r, aug_errmsg(&eb, e));
        CHECK_EQ_I64(e, AUG_OK);
        g.requests++;
        g.max_batch = AUG_MAX(g.max_batch, e == AUG_OK ? req.nsamples : 0);
        for (size_t i = 0; e == AUG_OK && i < req.nseries; i++) {
            const wire_series *ws = &req.series[i];
            char key[96] = "";
            for (size_t l = 0; l < ws->nlabels; l++)
                if (ws->labels[l].name.len == 8 && memcmp(ws->labels[l].name.p, "instance", 8) == 0)
                    snprintf(key, sizeof key, "%.*s", (int)ws->labels[l].value.len, ws->labels[l].value.p);
            for (size_t j = 0; j < ws->nsamples; j++) {
                if (g.n == g.cap) {
                    g.cap = g.cap ? g.cap * 2 : 256;
                    g.v = realloc(g.v, g.cap * sizeof *g.v);
                }
                got *x = &g.v[g.n++];
                snprintf(x->key, sizeof x->key, "%s", key);
                x->ts = ws->samples[j].ts_ms;
                x->bits = bits_of(ws->samples[j].value);
                x->req = r;
            }
        }
        util_arena_free(a);
    }
    pthread_mutex_unlock(&rx->mu);
    return g;
}

/* Checks that g holds exactly the evaluations (k series each, ts_i, base_i)
 * in order, each sample once. */
static bool delivered_exactly(const gots *g, size_t k, const int64_t *ts, const double *base, size_t nevals)
{
    if (g->n != k * nevals) {
        fprintf(stderr, "  delivered %zu samples, want %zu\n", g->n, k * nevals);
        return false;
    }
    for (size_t e = 0; e < nevals; e++) {
        for (size_t i = 0; i < k; i++) {
            const got *x = &g->v[e * k + i];
            char want[16];
            snprintf(want, sizeof want, "host-%03zu", i);
            uint64_t wbits = i == 0 ? STALE_NAN_BITS : bits_of(base[e] + (double)i);
            if (strcmp(x->key, want) != 0 || x->ts != ts[e] || x->bits != wbits) {
                fprintf(stderr, "  sample %zu: got %s@%" PRId64 "=%016" PRIx64 ", want %s@%" PRId64 "=%016" PRIx64 "\n",
                        e * k + i, x->key, x->ts, x->bits, want, ts[e], wbits);
                return false;
            }
        }
    }
    return true;
}

/* ---- metrics ---- */

static uint64_t samples_total(env *e, const char *target, const char *result)
{
    char l[256];
    snprintf(l, sizeof l, "target=\"%s\",result=\"%s\"", target, result);
    return metrics_counter_value(metrics_counter_get(e->reg, "augur_export_samples_total", "", l));
}

static uint64_t requests_total(env *e, const char *target, const char *code)
{
    char l[256];
    snprintf(l, sizeof l, "target=\"%s\",code=\"%s\"", target, code);
    return metrics_counter_value(metrics_counter_get(e->reg, "augur_export_requests_total", "", l));
}

static uint64_t retries_total(env *e, const char *target)
{
    char l[256];
    snprintf(l, sizeof l, "target=\"%s\"", target);
    return metrics_counter_value(metrics_counter_get(e->reg, "augur_export_retries_total", "", l));
}

static double gauge(env *e, const char *name, const char *target)
{
    char l[256];
    snprintf(l, sizeof l, "target=\"%s\"", target);
    return metrics_gauge_value(metrics_gauge_get(e->reg, name, "", l));
}

/* Polls one target's stats until its queue is empty (safety timeout). */
static bool target_idle(env *e, size_t i)
{
    for (int ms = 0; ms < WAIT_MS; ms++) {
        export_target_stats st;
        CHECK_EQ_I64(export_target_stats_get(e->x, i, &st), AUG_OK);
        if (st.queued_records == 0)
            return true;
        usleep(1000);
    }
    return false;
}

static uint64_t outbox_samples(env *e, const char *target)
{
    store_txn *t = NULL;
    store_outbox_info info = {0};
    CHECK_EQ_I64(store_txn_begin(e->s, false, &t), AUG_OK);
    CHECK_EQ_I64(store_outbox_info_get(t, store_outbox_target_id((aug_str){target, strlen(target)}), &info), AUG_OK);
    store_txn_abort(t);
    return info.samples;
}

/* ---- tests ---- */

static void test_exact_bytes_headers_metrics(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s",
               tgt(rx.port, "prom", "    bearer_token: tok\n    headers: {X-Scope-OrgID: t1}\n"));
    env_open_export(&e);
    evaluation ev;
    make_eval(&ev, 3, T0, 0.5);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    CHECK_EQ_I64(rx_count(&rx), 1);

    /* The exact bytes: labels sorted, one TimeSeries per sample, in order. */
    aug_label sorted[3][3];
    aug_sample smp[3];
    wire_series ws[3];
    for (size_t i = 0; i < 3; i++) {
        sorted[i][0] = ev.labels[i][1];
        sorted[i][1] = ev.labels[i][2];
        sorted[i][2] = ev.labels[i][0];
        smp[i] = (aug_sample){ev.s[i].ts_ms, ev.s[i].value};
        ws[i] = (wire_series){.labels = sorted[i], .nlabels = 3, .samples = &smp[i], .nsamples = 1};
    }
    uint8_t *want = NULL;
    size_t want_len = 0;
    CHECK_EQ_I64(wire_write_encode(ws, 3, &want, &want_len), AUG_OK);
    rx_request *q = &rx.reqs[0];
    CHECK(q->len == want_len && memcmp(q->body, want, want_len) == 0);
    aug_free(want);
    gots g = decode_delivered(&rx);
    int64_t ts[] = {T0};
    double base[] = {0.5};
    CHECK(delivered_exactly(&g, 3, ts, base, 1)); /* staleness NaN bits intact */
    free(g.v);

    char buf[128];
    CHECK_STR(q->method, "POST");
    CHECK_STR(q->path, "/api/v1/write");
    CHECK_STR(rx_header(q, "Content-Encoding", buf, sizeof buf), "snappy");
    CHECK_STR(rx_header(q, "Content-Type", buf, sizeof buf), "application/x-protobuf");
    CHECK_STR(rx_header(q, "X-Prometheus-Remote-Write-Version", buf, sizeof buf), "0.1.0");
    CHECK_STR(rx_header(q, "User-Agent", buf, sizeof buf), "augur/" AUG_VERSION);
    CHECK_STR(rx_header(q, "Authorization", buf, sizeof buf), "Bearer tok");
    CHECK_STR(rx_header(q, "X-Scope-OrgID", buf, sizeof buf), "t1");

    CHECK_EQ_I64(samples_total(&e, "prom", "sent"), 3);
    CHECK_EQ_I64(requests_total(&e, "prom", "204"), 1);
    CHECK_EQ_I64(retries_total(&e, "prom"), 0);
    CHECK_NEAR(gauge(&e, "augur_export_queue_samples", "prom"), 0, 0);
    CHECK_NEAR(gauge(&e, "augur_export_last_success_timestamp_seconds", "prom"),
               (double)atomic_load(&fake_now) / 1000.0, 1e-3);
    export_target_stats st;
    CHECK_EQ_I64(export_target_stats_get(e.x, 0, &st), AUG_OK);
    CHECK(st.queued_samples == 0 && !st.failing && st.last_status == 204 && strcmp(st.name, "prom") == 0);
    CHECK_EQ_I64(export_target_stats_get(e.x, 1, &st), AUG_EINVAL);
    CHECK_EQ_I64(export_target_count(e.x), 1);
    CHECK_EQ_I64(outbox_samples(&e, "prom"), 0);

    /* Every family is registered with help, and rendered. */
    char *text = NULL;
    size_t len = 0;
    CHECK_EQ_I64(metrics_render(e.reg, &text, &len), AUG_OK);
    const char *must[] = {
        "# HELP augur_export_samples_total ",
        "augur_export_samples_total{target=\"prom\",result=\"sent\"} 3",
        "augur_export_samples_total{target=\"prom\",result=\"rejected_future\"} 0",
        "augur_export_requests_total{target=\"prom\",code=\"204\"} 1",
        "# TYPE augur_export_send_duration_seconds histogram",
        "augur_export_send_duration_seconds_count{target=\"prom\"} 1",
        "augur_export_queue_samples{target=\"prom\"} 0",
        "# HELP augur_export_last_success_timestamp_seconds ",
        "augur_export_retries_total{target=\"prom\"} 0",
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(must); i++) {
        if (text == NULL || strstr(text, must[i]) == NULL)
            fprintf(stderr, "  metrics lack: %s\n", must[i]);
        CHECK(text != NULL && strstr(text, must[i]) != NULL);
    }
    aug_free(text);
    rx_stop(&rx);
    env_free(&e);
}

/* storage/outbox.c claims its worked example costs 128 bytes of
 * remote-write protobuf: keep that sentence true. */
static void test_outbox_doc_claim(void)
{
    aug_label l1[2] = {{{"__name__", 8}, {"ai_cpu_forecast", 15}}, {{"horizon", 7}, {"1h", 2}}};
    aug_label l2[2] = {{{"__name__", 8}, {"ai_cpu_forecast", 15}}, {{"horizon", 7}, {"4h", 2}}};
    double nan;
    uint64_t bits = STALE_NAN_BITS;
    memcpy(&nan, &bits, sizeof nan);
    aug_sample s1 = {T0, 0.5}, s2 = {T0, nan};
    wire_series ws[2] = {{.labels = l1, .nlabels = 2, .samples = &s1, .nsamples = 1},
                         {.labels = l2, .nlabels = 2, .samples = &s2, .nsamples = 1}};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK_EQ_I64(wire_write_encode(ws, 2, &body, &len), AUG_OK);
    util_arena *a = util_arena_new(1 << 20);
    aug_bytes raw;
    CHECK_EQ_I64(wire_snappy_decode(a, (aug_bytes){body, len}, 1 << 20, &raw, NULL), AUG_OK);
    CHECK_EQ_I64(raw.len, 128);
    util_arena_free(a);
    aug_free(body);
}

static void test_batches_keep_order(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", "    batch_size: 25\n"));
    env_open_export(&e);
    enum { EVALS = 6, K = 60 };
    int64_t ts[EVALS];
    double base[EVALS];
    for (size_t i = 0; i < EVALS; i++) {
        ts[i] = T0 + (int64_t)i * 60000;
        base[i] = (double)i * 100;
        evaluation ev;
        make_eval(&ev, K, ts[i], base[i]);
        enqueue_ok(&e, ev.s, ev.n);
    }
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    gots g = decode_delivered(&rx);
    CHECK(delivered_exactly(&g, K, ts, base, EVALS));
    CHECK(g.max_batch <= 25);
    /* 60 samples per evaluation in records of <= 25: 25, 25, 10. */
    CHECK(g.requests >= (size_t)EVALS * 3 / 2);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), EVALS * K);
    free(g.v);
    rx_stop(&rx);
    env_free(&e);
}

static void test_retry_503_same_batch_nothing_lost(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    unsigned script[] = {503, 503, 503};
    rx_script(&rx, script, 3);
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    env_open_export(&e);
    evaluation ev;
    int64_t ts[] = {T0, T0 + 15000};
    double base[] = {1, 2};
    make_eval(&ev, 5, ts[0], base[0]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK(rx_wait(&rx, 1, WAIT_MS)); /* the first attempt is in: the second evaluation comes later */
    make_eval(&ev, 5, ts[1], base[1]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    CHECK(rx_count(&rx) >= 4);
    /* The three 503s and the 2xx that followed carried the same bytes. */
    for (size_t i = 1; i < 4 && i < rx_count(&rx); i++)
        CHECK(rx.reqs[i].len == rx.reqs[0].len && memcmp(rx.reqs[i].body, rx.reqs[0].body, rx.reqs[0].len) == 0);
    CHECK_EQ_I64(rx.reqs[3].status, 204);
    gots g = decode_delivered(&rx);
    CHECK(delivered_exactly(&g, 5, ts, base, 2));
    free(g.v);
    CHECK_EQ_I64(retries_total(&e, "a"), 3);
    CHECK_EQ_I64(requests_total(&e, "a", "503"), 3);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 10);
    CHECK_EQ_I64(samples_total(&e, "a", "dropped_4xx"), 0);
    rx_stop(&rx);
    env_free(&e);
}

static void test_429_and_network_errors_retried(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    /* 429, then a connection closed without answer twice (libcurl resends
     * once by itself on a dead keep-alive connection), then 204. */
    unsigned script[] = {429, 0, 0};
    rx_script(&rx, script, 3);
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    env_open_export(&e);
    evaluation ev;
    int64_t ts[] = {T0};
    double base[] = {7};
    make_eval(&ev, 4, ts[0], base[0]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    gots g = decode_delivered(&rx);
    CHECK(delivered_exactly(&g, 4, ts, base, 1));
    free(g.v);
    CHECK_EQ_I64(requests_total(&e, "a", "429"), 1);
    CHECK_EQ_I64(requests_total(&e, "a", "network"), 1);
    CHECK_EQ_I64(requests_total(&e, "a", "204"), 1);
    CHECK_EQ_I64(retries_total(&e, "a"), 2);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 4);
    rx_stop(&rx);
    env_free(&e);
}

static void test_400_dropped_not_retried(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    unsigned script[] = {400};
    rx_script(&rx, script, 1);
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    env_open_export(&e);
    evaluation ev;
    make_eval(&ev, 3, T0, 1);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    CHECK_EQ_I64(rx_count(&rx), 1); /* not retried */
    CHECK_EQ_I64(samples_total(&e, "a", "dropped_4xx"), 3);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 0);
    CHECK_EQ_I64(retries_total(&e, "a"), 0);
    CHECK_EQ_I64(requests_total(&e, "a", "400"), 1);
    /* The next evaluation flows. */
    int64_t ts[] = {T0 + 60000};
    double base[] = {2};
    make_eval(&ev, 3, ts[0], base[0]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    CHECK_EQ_I64(rx_count(&rx), 2);
    gots g = decode_delivered(&rx);
    CHECK(delivered_exactly(&g, 3, ts, base, 1));
    free(g.v);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 3);
    rx_stop(&rx);
    env_free(&e);
}

/* Waits until the receiver saw a request whose first sample has ts. */
static bool wait_request_with_ts(receiver *rx, int64_t ts)
{
    for (size_t seen = 0; seen < 100000;) {
        if (!rx_wait(rx, seen + 1, WAIT_MS))
            return false;
        pthread_mutex_lock(&rx->mu);
        rx_request *q = &rx->reqs[seen];
        util_arena *a = util_arena_new((size_t)64 << 20);
        wire_limits lim = wire_limits_default();
        wire_write_req req;
        bool hit = wire_write_decode(a, (aug_bytes){q->body, q->len}, &lim, &req, NULL) == AUG_OK &&
                   req.nseries > 0 && req.series[0].samples[0].ts_ms == ts;
        util_arena_free(a);
        pthread_mutex_unlock(&rx->mu);
        if (hit)
            return true;
        seen++;
    }
    return false;
}

static void test_queue_limit_drops_oldest(void)
{
    env e;
    env_init(&e);
    receiver rx = {.dflt = 503}; /* down */
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", "    queue_limit: 1000\n    batch_size: 300\n"));
    env_open_export(&e);
    enum { EVALS = 6, K = 300 };
    int64_t ts[EVALS];
    big_eval ev[EVALS];
    for (size_t i = 0; i < EVALS; i++) {
        ts[i] = T0 + (int64_t)i * 1000;
        ev[i] = make_big(K, ts[i], (double)i);
        aug_errbuf eb = {{0}};
        CHECK_EQ_I64(export_enqueue(e.x, ev[i].s, ev[i].n, &eb), AUG_OK);
    }
    /* 1800 samples enqueued, limit 1000: the three oldest evaluations
     * (whole records of 300) went, newest first kept. */
    CHECK_EQ_I64(samples_total(&e, "a", "dropped_queue_full"), 900);
    CHECK_EQ_I64(outbox_samples(&e, "a"), 900);
    CHECK_NEAR(gauge(&e, "augur_export_queue_samples", "a"), 900, 0);
    /* Let the sender see the trim before the receiver comes back (a batch
     * already in flight when the trim happened could otherwise be accepted:
     * export.c note 3), then let everything through. */
    CHECK(wait_request_with_ts(&rx, ts[3]));
    rx_set_default(&rx, 204);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    gots g = decode_delivered(&rx);
    CHECK_EQ_I64(g.n, 900);
    for (size_t i = 0; i < g.n && i < 900; i++) {
        CHECK_EQ_I64(g.v[i].ts, ts[3 + i / K]);
        if (g.v[i].ts != ts[3 + i / K])
            break;
    }
    free(g.v);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 900);
    for (size_t i = 0; i < EVALS; i++)
        free_big(&ev[i]);
    rx_stop(&rx);
    env_free(&e);
}

static void test_out_of_order_future_and_bad_labels(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    env_open_export(&e);
    evaluation ev;
    make_eval(&ev, 3, T0, 1);
    enqueue_ok(&e, ev.s, ev.n);
    enqueue_ok(&e, ev.s, ev.n); /* the same samples again: not after */
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_out_of_order"), 3);
    make_eval(&ev, 3, T0 - 1, 1); /* older */
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_out_of_order"), 6);
    /* Mixed: series 0 moves on, series 1 and 2 do not. */
    make_eval(&ev, 3, T0 + 1000, 2);
    ev.s[1].ts_ms = T0;
    ev.s[2].ts_ms = T0 - 5;
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_out_of_order"), 8);

    /* Future: the fake clock says now = T0 + 1h. */
    int64_t now = atomic_load(&fake_now);
    make_eval(&ev, 3, now + 1, 3);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_future"), 3);
    make_eval(&ev, 3, now, 3); /* exactly now is not the future */
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_future"), 3);

    /* Label sets that can never be written: EINVAL, nothing enqueued. */
    struct {
        aug_label l[2];
        size_t n;
        aug_err want;
        const char *why;
    } bad[] = {
        {{{{"__name__", 8}, {"ai_x", 4}}, {{"__name__", 8}, {"ai_y", 4}}}, 2, AUG_EINVAL, "duplicate"},
        {{{{"__name__", 8}, {"ai_x", 4}}, {{"job", 3}, {"", 0}}}, 2, AUG_EINVAL, "empty value"},
        {{{{"1job", 4}, {"x", 1}}}, 1, AUG_EINVAL, "invalid label name"},
        {{{{"__name__", 8}, {"ai-x", 4}}}, 1, AUG_EINVAL, "invalid metric name"},
        {{{{"job", 3}, {"\xc3\x28", 2}}}, 1, AUG_EINVAL, "not UTF-8"},
        {{{{"job", 3}, {"a\xff", 2}}}, 1, AUG_EINVAL, "not UTF-8"},
        {{{{"job", 3}, {"\xed\xa0\x80", 3}}}, 1, AUG_EINVAL, "not UTF-8"}, /* a surrogate */
        {{{{"job", 3}, {"a", 1}}}, 0, AUG_EINVAL, "no labels"},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad); i++) {
        export_series two[2] = {ev.s[0], {.labels = bad[i].l, .nlabels = bad[i].n, .ts_ms = now, .value = 1}};
        aug_errbuf eb = {{0}};
        CHECK_EQ_I64(export_enqueue(e.x, two, 2, &eb), bad[i].want);
        if (strstr(eb.msg, bad[i].why) == NULL || strstr(eb.msg, "series 1") == NULL)
            fprintf(stderr, "  case %zu: message \"%s\" lacks \"%s\"\n", i, eb.msg, bad[i].why);
        CHECK(strstr(eb.msg, bad[i].why) != NULL && strstr(eb.msg, "series 1") != NULL);
    }
    /* A failed enqueue changed no series map: the first series is still
     * accepted at a later timestamp, and a valid UTF-8 value passes. */
    aug_label ok_l[2] = {{{"__name__", 8}, {"ai_x:y", 6}}, {{"city", 4}, {"Z\xc3\xbcrich \xe2\x82\xac", 11}}};
    export_series ok[2] = {ev.s[0], {.labels = ok_l, .nlabels = 2, .ts_ms = now, .value = 1}};
    ok[0].ts_ms = now;
    enqueue_ok(&e, ok, 2);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_out_of_order"), 9); /* ev.s[0] at now was just sent */
    ok[0].ts_ms = ok[1].ts_ms = now - 1;
    CHECK_EQ_I64(export_enqueue(e.x, ok, 0, NULL), AUG_OK);            /* nothing */
    CHECK_EQ_I64(export_enqueue(e.x, NULL, 1, NULL), AUG_EINVAL);

    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    /* Delivered: T0 ×3, then series 0 at T0+1000, then 3 at now, then the UTF-8 one. */
    gots g = decode_delivered(&rx);
    CHECK_EQ_I64(g.n, 3 + 1 + 3 + 1);
    if (g.n == 8) {
        CHECK(g.v[3].ts == T0 + 1000 && strcmp(g.v[3].key, "host-000") == 0);
        CHECK(g.v[4].ts == now && g.v[6].ts == now && g.v[7].ts == now);
    }
    free(g.v);
    rx_stop(&rx);
    env_free(&e);
}

static void test_future_tolerance_and_series_limit(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    e.opts.future_tolerance_ms = 60000;
    e.opts.series_limit = 10;
    env_open_export(&e);
    int64_t now = atomic_load(&fake_now);
    big_eval b = make_big(15, now + 60000, 0); /* at the edge of the tolerance */
    enqueue_ok(&e, b.s, b.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_future"), 0);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_series_limit"), 5);
    free_big(&b);
    b = make_big(15, now + 60001, 0);
    enqueue_ok(&e, b.s, b.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_future"), 15);
    free_big(&b);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 10);
    rx_stop(&rx);
    env_free(&e);

    env_init(&e);
    env_config(&e, "remote_write: []\n");
    e.opts.future_tolerance_ms = -1;
    export *x = (export *)1;
    CHECK_EQ_I64(export_open(e.s, e.cfg, e.reg, &e.opts, &x, NULL), AUG_EINVAL);
    CHECK(x == NULL);
    CHECK_EQ_I64(export_open(NULL, e.cfg, e.reg, NULL, &x, NULL), AUG_EINVAL);
    env_free(&e);
}

static void test_restart_resumes_never_resends(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    env_open_export(&e);
    int64_t ts[] = {T0, T0 + 60000, T0 + 120000, T0 + 180000};
    double base[] = {10, 20, 30, 40};
    evaluation ev;
    make_eval(&ev, 4, ts[0], base[0]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK); /* acknowledged and deleted */
    rx_set_default(&rx, 503);                            /* the target goes down */
    size_t before = rx_count(&rx);
    make_eval(&ev, 4, ts[1], base[1]);
    enqueue_ok(&e, ev.s, ev.n);
    make_eval(&ev, 4, ts[2], base[2]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK(rx_wait(&rx, before + 2, WAIT_MS)); /* it is being retried */
    export_close(e.x, 0);                     /* augur stops with a backlog */
    e.x = NULL;
    CHECK_EQ_I64(outbox_samples(&e, "a"), 8);

    /* Restart: the target is back; the backlog goes out, eval 0 does not. */
    rx_set_default(&rx, 204);
    env_open_export(&e);
    CHECK_NEAR(gauge(&e, "augur_export_queue_samples", "a"), 8, 0);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    /* The persisted high-water mark still refuses what is not newer... */
    make_eval(&ev, 4, ts[2], 99);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_out_of_order"), 4);
    /* ...and admits what is. */
    make_eval(&ev, 4, ts[3], base[3]);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    gots g = decode_delivered(&rx);
    CHECK(delivered_exactly(&g, 4, ts, base, 4));
    free(g.v);
    rx_stop(&rx);
    env_free(&e);
}

static void test_two_targets_independent(void)
{
    env e;
    env_init(&e);
    receiver up = {0}, down = {.dflt = 503}, gone = {0};
    CHECK(rx_start(&up));
    CHECK(rx_start(&down));
    CHECK(rx_start(&gone));
    uint16_t gone_port = gone.port;
    rx_stop(&gone); /* nothing listens there: connection refused */
    env_config(&e, "remote_write:\n%s%s%s", tgt(up.port, "up", ""), tgt(down.port, "down", ""),
               tgt(gone_port, "gone", ""));
    env_open_export(&e);
    enum { EVALS = 5, K = 6 };
    int64_t ts[EVALS];
    double base[EVALS];
    for (size_t i = 0; i < EVALS; i++) {
        ts[i] = T0 + (int64_t)i * 60000;
        base[i] = (double)i;
        evaluation ev;
        make_eval(&ev, K, ts[i], base[i]);
        enqueue_ok(&e, ev.s, ev.n);
    }
    CHECK(target_idle(&e, 0)); /* "up" is drained while the others fail */
    gots g = decode_delivered(&up);
    CHECK(delivered_exactly(&g, K, ts, base, EVALS));
    free(g.v);
    CHECK(rx_wait(&down, 2, WAIT_MS));
    export_target_stats st;
    for (size_t i = 1; i <= 2; i++) {
        for (int ms = 0; ms < WAIT_MS; ms++) { /* until the first failure is recorded */
            CHECK_EQ_I64(export_target_stats_get(e.x, i, &st), AUG_OK);
            if (st.failing)
                break;
            usleep(1000);
        }
        CHECK(st.failing && st.queued_samples == EVALS * K);
    }
    CHECK(retries_total(&e, "down") >= 1 && retries_total(&e, "gone") >= 1);
    CHECK(requests_total(&e, "gone", "network") >= 1);
    CHECK_EQ_I64(samples_total(&e, "down", "sent"), 0);

    /* Both come back: everything arrives, in order, once. */
    rx_set_default(&down, 204);
    CHECK(rx_start_at(&gone, gone_port, NULL, NULL, NULL));
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    g = decode_delivered(&down);
    CHECK(delivered_exactly(&g, K, ts, base, EVALS));
    free(g.v);
    g = decode_delivered(&gone);
    CHECK(delivered_exactly(&g, K, ts, base, EVALS));
    free(g.v);
    CHECK_EQ_I64(samples_total(&e, "up", "sent"), EVALS * K);
    CHECK_EQ_I64(samples_total(&e, "down", "sent"), EVALS * K);
    CHECK_EQ_I64(samples_total(&e, "gone", "sent"), EVALS * K);
    rx_stop(&up);
    rx_stop(&down);
    rx_stop(&gone);
    env_free(&e);
}

static void test_close_drains_and_orphans_are_purged(void)
{
    env e;
    env_init(&e);
    receiver a = {0}, b = {.dflt = 503};
    CHECK(rx_start(&a));
    CHECK(rx_start(&b));
    evaluation ev;
    make_eval(&ev, 8, T0, 1);

    /* Close with a drain timeout: what is queued is delivered before close
     * returns (which is as soon as the queue is empty, not at the timeout). */
    env_config(&e, "remote_write:\n%s", tgt(a.port, "a", ""));
    env_open_export(&e);
    enqueue_ok(&e, ev.s, ev.n);
    export_close(e.x, WAIT_MS);
    e.x = NULL;
    gots g = decode_delivered(&a);
    CHECK_EQ_I64(g.n, 8);
    free(g.v);
    CHECK_EQ_I64(outbox_samples(&e, "a"), 0);

    /* A target that is down is given up on at the deadline and keeps its
     * backlog for the next open. */
    env_config(&e, "remote_write:\n%s%s", tgt(a.port, "a", ""), tgt(b.port, "b", ""));
    env_open_export(&e);
    make_eval(&ev, 8, T0 + 1000, 1);
    enqueue_ok(&e, ev.s, ev.n);
    CHECK(rx_wait(&b, 1, WAIT_MS));
    int64_t t0 = util_mono_ns();
    export_close(e.x, 50);
    e.x = NULL;
    int64_t took_ms = (util_mono_ns() - t0) / 1000000;
    CHECK(took_ms < 10000); /* the deadline, plus at most a request in flight */
    CHECK_EQ_I64(outbox_samples(&e, "b"), 8);
    CHECK_EQ_I64(export_enqueue(NULL, ev.s, 1, NULL), AUG_EINVAL);

    /* "b" is no longer configured: its outbox is deleted at open. */
    env_config(&e, "remote_write:\n%s", tgt(a.port, "a", ""));
    env_open_export(&e);
    CHECK_EQ_I64(outbox_samples(&e, "b"), 0);
    export_close(e.x, 0);
    e.x = NULL;
    /* No targets at all: enqueue only validates. */
    env_config(&e, "remote_write: []\n");
    env_open_export(&e);
    enqueue_ok(&e, ev.s, ev.n);
    aug_label bad = {{"no-dash", 7}, {"x", 1}};
    export_series bs = {.labels = &bad, .nlabels = 1, .ts_ms = T0, .value = 1};
    CHECK_EQ_I64(export_enqueue(e.x, &bs, 1, NULL), AUG_EINVAL);
    CHECK_EQ_I64(export_target_count(e.x), 0);
    CHECK_EQ_I64(export_wait_idle(e.x, 0), AUG_OK);
    rx_stop(&a);
    rx_stop(&b);
    env_free(&e);
}

static void test_unreadable_record_dropped(void)
{
    env e;
    env_init(&e);
    receiver rx = {0};
    CHECK(rx_start(&rx));
    env_config(&e, "remote_write:\n%s", tgt(rx.port, "a", ""));
    /* Before the exporter opens: record 1 has a sound header (1 series, 1
     * sample) over garbage, record 2 is fine. */
    uint64_t id = store_outbox_target_id((aug_str){"a", 1});
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(e.s, true, &t), AUG_OK);
    uint8_t k[STORE_OUTBOX_KEY_LEN];
    store_record_outbox_key_encode(id, 1, k);
    uint8_t garbage[40] = {0x01, 0x01, 0x01, 0x00, 0x04, 'a', 0xFF, 0xFF, 0xFF};
    MDB_val kv = store_val(k, 16), dv = store_val(garbage, sizeof garbage);
    CHECK_EQ_I64(mdb_put(t->txn, e.s->outbox, &kv, &dv, 0), 0);
    store_outbox_sample smp = {T0, 5};
    store_outbox_series ser = {{(const uint8_t *)"__name__\xff" "ai_ok\xff", 15}, &smp, 1};
    CHECK_EQ_I64(store_outbox_append(t, id, 2, &ser, 1), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);

    env_open_export(&e);
    CHECK_EQ_I64(export_wait_idle(e.x, WAIT_MS), AUG_OK);
    CHECK_EQ_I64(samples_total(&e, "a", "dropped_corrupt"), 1);
    CHECK_EQ_I64(samples_total(&e, "a", "sent"), 1);
    CHECK_EQ_I64(rx_count(&rx), 1);
    rx_stop(&rx);
    env_free(&e);
}

/* Fault injection (CONVENTIONS 17): fail the Nth allocation, for every N,
 * in export_open and in export_enqueue. Each run must end in AUG_ENOMEM
 * with nothing half-done: no leak (env_free checks aug_mem_used and ASan
 * runs this too), no sample enqueued, no series map changed (the samples
 * refused by a failed enqueue are accepted by the next one). */
static void test_out_of_memory(void)
{
    env e;
    env_init(&e);
    receiver gone = {0};
    CHECK(rx_start(&gone));
    uint16_t port = gone.port;
    rx_stop(&gone);
    /* A dead target with a 1 h backoff: after its first failure the sender
     * sleeps and allocates nothing while the enqueues are tortured. */
    env_config(&e, "remote_write:\n  - url: http://127.0.0.1:%u/w\n    name: a\n    min_backoff: 1h\n"
                   "    max_backoff: 1h\n",
               (unsigned)port);
    env_open_export(&e); /* registers the metric children once */
    export_close(e.x, 0);
    e.x = NULL;
    int64_t base = aug_mem_used();
    long n;
    for (n = 0; n < 100000; n++) {
        aug_mem_fail_after(n);
        aug_err err = export_open(e.s, e.cfg, e.reg, &e.opts, &e.x, NULL);
        aug_mem_fail_reset();
        if (err == AUG_OK)
            break;
        CHECK_EQ_I64(err, AUG_ENOMEM);
        CHECK(e.x == NULL);
        CHECK_EQ_I64(aug_mem_used(), base);
        if (check_failed_in_test)
            break;
    }
    CHECK(n > 5 && e.x != NULL);
    for (int ms = 0; ms < WAIT_MS; ms++) { /* until the sender sleeps in its backoff */
        export_target_stats st;
        CHECK_EQ_I64(export_target_stats_get(e.x, 0, &st), AUG_OK);
        if (st.failing)
            break;
        usleep(1000);
    }
    evaluation ev;
    make_eval(&ev, 10, T0, 1);
    enqueue_ok(&e, ev.s, ev.n); /* warm: scratch buffers and arena exist */
    make_eval(&ev, 10, T0 + 1000, 2);
    for (n = 0; n < 100000; n++) {
        aug_mem_fail_after(n);
        aug_err err = export_enqueue(e.x, ev.s, ev.n, NULL);
        aug_mem_fail_reset();
        if (err == AUG_OK)
            break;
        CHECK_EQ_I64(err, AUG_ENOMEM);
        CHECK_EQ_I64(outbox_samples(&e, "a"), 10);
        if (check_failed_in_test)
            break;
    }
    CHECK(n > 0);
    CHECK_EQ_I64(outbox_samples(&e, "a"), 20);
    CHECK_EQ_I64(samples_total(&e, "a", "rejected_out_of_order"), 0);
    env_free(&e);
}

CHECK_MAIN(CHECK_CASE(test_exact_bytes_headers_metrics), CHECK_CASE(test_outbox_doc_claim),
           CHECK_CASE(test_batches_keep_order), CHECK_CASE(test_retry_503_same_batch_nothing_lost),
           CHECK_CASE(test_429_and_network_errors_retried), CHECK_CASE(test_400_dropped_not_retried),
           CHECK_CASE(test_queue_limit_drops_oldest), CHECK_CASE(test_out_of_order_future_and_bad_labels),
           CHECK_CASE(test_future_tolerance_and_series_limit), CHECK_CASE(test_restart_resumes_never_resends),
           CHECK_CASE(test_two_targets_independent), CHECK_CASE(test_close_drains_and_orphans_are_purged),
           CHECK_CASE(test_unreadable_record_dropped), CHECK_CASE(test_out_of_memory))
