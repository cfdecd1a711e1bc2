/* Unit tests for src/config: every scalar syntax with good and bad values,
 * defaults, bounds, each error message with its line:col, the shipped
 * config/augur.yml, the DESIGN §2 example, docs generated from the table,
 * reload rules and allocation-failure cleanup.
 *
 * AUG_SRCDIR (set by meson) points at the source tree. Run with --readme to
 * check that README.md lists every key. */
#include "util/common.h"
#include "config/cfg_int.h"
#include "config/config.h"
#include "util/mem.h"

#include "../check.h"

/* ---- helpers ---- */

static char *read_src(const char *rel, size_t *len)
{
    const char *dir = getenv("AUG_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf != NULL)
        buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

static cfg_config *load_ok(const char *yaml)
{
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err err = cfg_load_buffer("t.yml", yaml, strlen(yaml), &c, &d);
    if (err != AUG_OK) {
        fprintf(stderr, "unexpected load failure: %s\n", aug_strerror(err));
        cfg_diag_print(d, stderr);
    }
    cfg_diag_free(d);
    return c;
}

/* Loads yaml expecting failure whose FIRST error is at line:col and
 * contains needle. */
static bool fails_at(const char *yaml, unsigned line, unsigned col, const char *needle)
{
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err err = cfg_load_buffer("t.yml", yaml, strlen(yaml), &c, &d);
    const cfg_error *e = cfg_diag_error(d, 0);
    bool ok = err == AUG_ECONFIG && c == NULL && e != NULL && e->line == line && e->col == col &&
              strstr(e->msg, needle) != NULL && strcmp(e->file, "t.yml") == 0;
    if (!ok) {
        fprintf(stderr, "  want %u:%u \"%s\", got %s:\n", line, col, needle, aug_strerror(err));
        cfg_diag_print(d, stderr);
    }
    cfg_free(c);
    cfg_diag_free(d);
    return ok;
}

/* ---- scalar syntaxes ---- */

static void test_parse_duration(void)
{
    static const struct {
        const char *s;
        int64_t ms;
    } good[] = {
        {"30s", 30000}, {"15m", 900000}, {"4h", 14400000}, {"1d", 86400000}, {"1w", 604800000},
        {"1y", 31536000000}, {"100ms", 100}, {"1h30m", 5400000}, {"0", 0}, {"0s", 0}, {"2w3d", 1468800000},
        {"1m1s1ms", 61001},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(good); i++) {
        int64_t v = -1;
        const char *why = NULL;
        CHECK(cfg_parse_duration(good[i].s, strlen(good[i].s), &v, &why));
        CHECK_EQ_I64(v, good[i].ms);
    }
    static const struct {
        const char *s, *why;
    } bad[] = {
        {"", "empty"}, {"5", "missing unit"}, {"-5m", "negative"}, {"1h1h", "largest to smallest"},
        {"30m1h", "largest to smallest"}, {"1x", "unknown unit"}, {"1.5h", "unknown unit"}, {"h", "expected digits"},
        {"99999999999999999999y", "too large"}, {"300000000y", "too large"}, {"1h ", "expected digits"},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad); i++) {
        int64_t v = 7;
        const char *why = NULL;
        CHECK(!cfg_parse_duration(bad[i].s, strlen(bad[i].s), &v, &why));
        CHECK(why != NULL && strstr(why, bad[i].why) != NULL);
        CHECK_EQ_I64(v, 7);
    }
    char buf[32];
    CHECK_STR(cfg_format_duration(90000, buf, sizeof buf), "1m30s");
    CHECK_STR(cfg_format_duration(0, buf, sizeof buf), "0s");
    CHECK_STR(cfg_format_duration(8 * 86400000LL + 5, buf, sizeof buf), "1w1d5ms");
}

static void test_parse_size(void)
{
    static const struct {
        const char *s;
        uint64_t v;
    } good[] = {
        {"32MiB", 32u << 20}, {"1GB", 1000000000}, {"512KiB", 512u << 10}, {"1.5GiB", 3ull << 29},
        {"4096", 4096}, {"100B", 100}, {"1kb", 1000}, {"2 TiB", 2ull << 40}, {"0.5KiB", 512}, {"1.0001KB", 1000},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(good); i++) {
        uint64_t v = 0;
        const char *why = NULL;
        CHECK(cfg_parse_size(good[i].s, strlen(good[i].s), &v, &why));
        CHECK_EQ_I64(v, good[i].v);
    }
    static const char *const bad[] = {"", "-1", "1.5.5MiB", "5XB", "1k", "MiB", "1.", "99999999999PiB",
                                      "18446744073709551616"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad); i++) {
        uint64_t v = 0;
        const char *why = NULL;
        CHECK(!cfg_parse_size(bad[i], strlen(bad[i]), &v, &why));
        CHECK(why != NULL);
    }
}

static void test_parse_int_float_bool(void)
{
    int64_t i;
    const char *why;
    CHECK(cfg_parse_int("1_000_000", 9, &i, &why) && i == 1000000);
    CHECK(cfg_parse_int("-5", 2, &i, &why) && i == -5);
    CHECK(cfg_parse_int("+3", 2, &i, &why) && i == 3);
    CHECK(cfg_parse_int("9223372036854775807", 19, &i, &why) && i == INT64_MAX);
    CHECK(cfg_parse_int("-9223372036854775808", 20, &i, &why) && i == INT64_MIN);
    static const char *const bad_i[] = {"1__0", "_1", "1_", "1.0", "1e3", "9223372036854775808", "", "-", "0x10"};
    for (size_t k = 0; k < AUG_ARRAY_LEN(bad_i); k++)
        CHECK(!cfg_parse_int(bad_i[k], strlen(bad_i[k]), &i, &why));
    CHECK(!cfg_parse_int("1.5", 3, &i, &why) && strstr(why, "fraction") != NULL);

    double d;
    CHECK(cfg_parse_float("0.7", 3, &d, &why) && d == 0.7);
    CHECK(cfg_parse_float("1e3", 3, &d, &why) && d == 1000.0);
    CHECK(cfg_parse_float("-2.5", 4, &d, &why) && d == -2.5);
    CHECK(cfg_parse_float("1_000.5", 7, &d, &why) && d == 1000.5);
    static const char *const bad_f[] = {"abc", "inf", "nan", "1e999", "0x10", "", "1.2.3", "70%"};
    for (size_t k = 0; k < AUG_ARRAY_LEN(bad_f); k++)
        CHECK(!cfg_parse_float(bad_f[k], strlen(bad_f[k]), &d, &why));

    bool b = false;
    CHECK(cfg_parse_bool("true", 4, &b, &why) && b);
    CHECK(cfg_parse_bool("FALSE", 5, &b, &why) && !b);
    CHECK(cfg_parse_bool("True", 4, &b, &why) && b);
    static const char *const bad_b[] = {"yes", "no", "1", "0", "", "tru", "on"};
    for (size_t k = 0; k < AUG_ARRAY_LEN(bad_b); k++)
        CHECK(!cfg_parse_bool(bad_b[k], strlen(bad_b[k]), &b, &why));
}

static void test_parse_aggregate(void)
{
    util_arena *a = util_arena_new(1 << 20);
    cfg_aggregate g;
    size_t col;
    const char *why;
    CHECK(cfg_parse_aggregate(a, "sum by (job)", 12, &g, &col, &why));
    CHECK(g.op == CFG_AGG_SUM && !g.without && g.labels.n == 1 && strcmp(g.labels.v[0], "job") == 0);
    CHECK(cfg_parse_aggregate(a, "avg", 3, &g, &col, &why) && g.op == CFG_AGG_AVG && g.labels.n == 0);
    const char *w = "max without (instance, cpu)";
    CHECK(cfg_parse_aggregate(a, w, strlen(w), &g, &col, &why));
    CHECK(g.op == CFG_AGG_MAX && g.without && g.labels.n == 2 && strcmp(g.labels.v[0], "cpu") == 0);
    CHECK(cfg_parse_aggregate(a, "count by ()", 11, &g, &col, &why) && g.op == CFG_AGG_COUNT && g.labels.n == 0);
    CHECK(cfg_parse_aggregate(a, "none", 4, &g, &col, &why) && g.op == CFG_AGG_NONE);
    CHECK(cfg_parse_aggregate(a, " sum by(b, a,) ", 15, &g, &col, &why) && g.labels.n == 2);
    CHECK(strcmp(g.labels.v[0], "a") == 0 && strcmp(g.labels.v[1], "b") == 0);
    static const struct {
        const char *s;
        size_t col;
        const char *why;
    } bad[] = {
        {"median by (x)", 0, "expected sum"}, {"sum by job", 7, "expected '('"}, {"sum by (job", 11, "','"},
        {"none by (a)", 5, "no label list"}, {"sum by (a, a)", 11, "twice"}, {"sum on (a)", 4, "'by"},
        {"sum by (a) x", 11, "unexpected"}, {"sum by (1a)", 8, "label name"}, {"", 0, "expected sum"},
    };
    for (size_t k = 0; k < AUG_ARRAY_LEN(bad); k++) {
        col = 99;
        CHECK(!cfg_parse_aggregate(a, bad[k].s, strlen(bad[k].s), &g, &col, &why));
        CHECK_EQ_I64(col, bad[k].col);
        CHECK(strstr(why, bad[k].why) != NULL);
    }
    util_arena_free(a);
}

/* ---- the table ---- */

static void test_table_defaults_and_bounds_parse(void)
{
    for (size_t si = 0; si < cfg_nsections; si++) {
        const cfg_section *sec = &cfg_sections[si];
        for (size_t i = 0; i < sec->nrows; i++) {
            const cfg_row *r = &sec->rows[i];
            cfg_type t = r->type == CFG_T_LIST ? r->elem : r->type;
            if (t == CFG_T_DUR_OR_SEL)
                t = CFG_T_DURATION;
            CHECK(r->doc != NULL && strlen(r->doc) > 10 && strlen(r->doc) < 120);
            CHECK(r->since != NULL);
            CHECK(!(r->flags & CFG_F_REQUIRED) || r->def == NULL);
            const char *bounds[] = {r->min, r->max};
            for (int k = 0; k < 2; k++) {
                const char *b = bounds[k], *why;
                if (b == NULL)
                    continue;
                int64_t x;
                uint64_t u;
                double f;
                bool ok = t == CFG_T_DURATION ? cfg_parse_duration(b, strlen(b), &x, &why)
                          : t == CFG_T_INT    ? cfg_parse_int(b, strlen(b), &x, &why)
                          : t == CFG_T_SIZE   ? cfg_parse_size(b, strlen(b), &u, &why)
                          : t == CFG_T_FLOAT  ? cfg_parse_float(b, strlen(b), &f, &why)
                                              : false;
                if (!ok)
                    fprintf(stderr, "  %s.%s: bound '%s' does not parse\n", sec->name, r->key, b);
                CHECK(ok);
            }
        }
    }
    /* Every default parses and is in range: an empty config loads and each
     * list section item with only its required keys loads. */
    cfg_config *c = load_ok("");
    CHECK(c != NULL);
    cfg_free(c);
    c = load_ok("forecasts: [{name: a, series: up}]\n"
                "scalers: [{name: s, forecast: a, replicas: up, target: 1}]\n"
                "remote_write: [{url: 'http://x'}]\n");
    CHECK(c != NULL);
    cfg_free(c);
    CHECK_EQ_I64(cfg_key_count(), 4 + 11 + 6 + 9 + 31 + 11 + 18); /* 31 scaler keys; 11: webhook http client keys */
    char buf[128];
    cfg_key_info k = cfg_key_get(0, buf, sizeof buf);
    CHECK_STR(k.path, "storage.minute_retention");
    CHECK_STR(k.def, "14d");
    CHECK(k.reloadable && !k.required);
    k = cfg_key_get(cfg_key_count() - 1, buf, sizeof buf);
    CHECK_STR(k.path, "remote_write[].max_backoff");
}

static void test_defaults_applied(void)
{
    cfg_config *c = load_ok("# nothing but a comment\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK_STR(c->source, "t.yml");
    CHECK_EQ_I64(c->storage.minute_retention_ms, 14 * 86400000LL);
    CHECK_EQ_I64(c->storage.hour_retention_ms, 400 * 86400000LL);
    CHECK_EQ_I64(c->storage.initial_map_size, 256ull << 20);
    CHECK_EQ_I64(c->storage.max_map_size, 1ull << 40);
    CHECK_EQ_I64(c->ingest.keep.n, 0);
    CHECK_EQ_I64(c->ingest.close_delay_ms, 30000);
    CHECK_EQ_I64(c->ingest.checkpoint_interval_ms, 300000);
    CHECK_EQ_I64(c->ingest.max_body_bytes, 8u << 20);
    CHECK_EQ_I64(c->ingest.max_decoded_bytes, 32u << 20);
    CHECK_EQ_I64(c->ingest.max_series, 1000000);
    CHECK_EQ_I64(c->ingest.max_series_per_request, 1000000);
    CHECK_EQ_I64(c->ingest.max_samples_per_request, 10000000);
    CHECK_EQ_I64(c->ingest.max_labels_per_series, 128);
    CHECK_EQ_I64(c->ingest.max_label_bytes, 16384);
    CHECK_EQ_I64(c->ingest.queue_limit, 2000000);
    CHECK_EQ_I64(c->web.max_connections, 256);
    CHECK_EQ_I64(c->web.connection_timeout_ms, 30000);
    CHECK_EQ_I64(c->web.read_concurrency, 4);
    CHECK_EQ_I64(c->web.read_max_series, 10000);
    CHECK_EQ_I64(c->web.read_max_samples, 50000000);
    CHECK_EQ_I64(c->web.read_max_bytes, 128u << 20);
    CHECK(c->nforecasts == 0 && c->nscalers == 0 && c->nremote_write == 0);
    cfg_free(c);

    c = load_ok("storage:\nforecasts:\n");
    CHECK(c != NULL && c->storage.minute_retention_ms == 14 * 86400000LL && c->nforecasts == 0);
    cfg_free(c);

    c = load_ok("forecasts:\n  - name: f\n    series: up\n"
                "scalers:\n  - name: s\n    forecast: f\n    replicas: up\n    target: 0.7\n"
                "remote_write:\n  - url: http://x:9090/api/v1/write\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    const cfg_forecast *f = &c->forecasts[0];
    CHECK(!f->rate && f->aggregate.op == CFG_AGG_NONE && f->resolution == CFG_RES_MINUTE);
    CHECK(f->horizons.n == 1 && f->horizons.v[0] == 3600000);
    CHECK(f->model == CFG_MODEL_AUTO && f->season_ms == 86400000 && f->max_series == 1000);
    const cfg_scaler *s = &c->scalers[0];
    CHECK(s->mode == CFG_MODE_UTILIZATION && s->forecast_idx == 0 && s->arrival_rate_idx == -1);
    CHECK(s->lead_time_ms == 300000 && s->window_ms == 900000 && s->margin == CFG_MARGIN_UPPER80);
    CHECK(s->min_replicas == 1 && s->max_replicas == 10);
    CHECK(s->scale_up.max_per_minute == 4 && s->scale_up.burst == 4 && s->scale_up.stabilization_ms == 0);
    CHECK(s->scale_down.max_per_minute == 1 && s->scale_down.burst == 1 && s->scale_down.stabilization_ms == 300000);
    CHECK(s->cooldown_ms == 180000 && s->max_error == 0.3 && s->capacity_per_replica == 0);
    CHECK(s->webhook.url == NULL && s->webhook.timeout_ms == 5000 && s->webhook.retries == 3 && s->shadow);
    CHECK(s->queue_length == NULL && s->service_time.sel == NULL && s->service_time.ms == 0);
    const cfg_remote_write *r = &c->remote_write[0];
    CHECK_STR(r->name, "http://x:9090/api/v1/write");
    CHECK(r->timeout_ms == 30000 && r->http.headers.n == 0 && r->http.bearer_token == NULL);
    CHECK(r->http.basic_auth.username == NULL && !r->http.tls.insecure_skip_verify);
    CHECK(r->queue_limit == 1000000 && r->batch_size == 2000 && r->min_backoff_ms == 30 && r->max_backoff_ms == 5000);
    cfg_free(c);
}

/* Every key set to a non-default value lands in its own field: this is what
 * checks the table's offsetof targets. */
static void test_every_key_reaches_its_field(void)
{
    static const char yaml[] =
        "storage: {minute_retention: 2d, hour_retention: 3d, initial_map_size: 2MiB, max_map_size: 32MiB}\n"
        "ingest:\n"
        "  keep: ['{job=\"a\"}', 'up']\n"
        "  close_delay: 1s\n  checkpoint_interval: 3s\n  max_body_bytes: 4KiB\n"
        "  max_decoded_bytes: 5KiB\n  max_series: 6\n  max_series_per_request: 7\n  max_samples_per_request: 8\n"
        "  max_labels_per_series: 9\n  max_label_bytes: 100B\n  queue_limit: 1001\n"
        "web: {max_connections: 3, connection_timeout: 4s, read_concurrency: 5, read_max_series: 6,\n"
        "      read_max_samples: 7, read_max_bytes: 8MiB}\n"
        "forecasts:\n"
        "  - {name: jobs, series: 'jobs_total', rate: true, aggregate: 'sum without (pod)', resolution: hour,\n"
        "     horizons: [2h, 1h], model: holt_winters, season: 1w, max_series: 9}\n"
        "scalers:\n"
        "  - name: w\n    mode: queue\n    arrival_rate: jobs\n    replicas: 'r'\n    lead_time: 1m\n"
        "    window: 2m\n    margin: upper95\n    min_replicas: 3\n    max_replicas: 4\n"
        "    scale_up: {max_per_minute: 0.5, burst: 5, stabilization: 0s}\n"
        "    scale_down: {max_per_minute: 2.5, burst: 7, stabilization: 8s}\n"
        "    cooldown: 9s\n    max_error: 0.5\n    queue_length: 'q'\n    service_time: 's_seconds'\n"
        "    target_latency: 10ms\n"
        "    webhook: {url: 'https://hook:8443/x', timeout: 12s, retries: 13}\n    shadow: false\n"
        "remote_write:\n"
        "  - url: https://m.example/api/v1/push\n    name: mimir\n    timeout: 14s\n"
        "    headers: {X-Scope-OrgID: team-a, X-B: b}\n    bearer_token_file: /tok\n"
        "    tls: {ca_file: /ca, cert_file: /c, key_file: /k, server_name: sn, insecure_skip_verify: true}\n"
        "    queue_limit: 1500\n    batch_size: 16\n    min_backoff: 17ms\n    max_backoff: 18s\n"
        "  - url: http://v/api/v1/write\n    basic_auth: {username: u, password_file: /p}\n"
        "  - url: http://w/api/v1/write\n    bearer_token: t0k\n"
        "  - url: http://z/api/v1/write\n    basic_auth: {username: u2, password: pw}\n";
    cfg_config *c = load_ok(yaml);
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK(c->storage.minute_retention_ms == 2 * 86400000LL && c->storage.hour_retention_ms == 3 * 86400000LL);
    CHECK(c->storage.initial_map_size == 2u << 20 && c->storage.max_map_size == 32u << 20);
    const cfg_ingest *in = &c->ingest;
    CHECK(in->keep.n == 2 && strcmp(ingest_selector_text(in->keep.v[1]), "up") == 0);
    CHECK(in->close_delay_ms == 1000 && in->checkpoint_interval_ms == 3000);
    CHECK(in->max_body_bytes == 4096 && in->max_decoded_bytes == 5120 && in->max_series == 6);
    CHECK(in->max_series_per_request == 7 && in->max_samples_per_request == 8 && in->max_labels_per_series == 9);
    CHECK(in->max_label_bytes == 100 && in->queue_limit == 1001);
    const cfg_web *w = &c->web;
    CHECK(w->max_connections == 3 && w->connection_timeout_ms == 4000);
    CHECK(w->read_concurrency == 5 && w->read_max_series == 6 && w->read_max_samples == 7);
    CHECK(w->read_max_bytes == 8u << 20);
    const cfg_forecast *f = &c->forecasts[0];
    CHECK(strcmp(f->name, "jobs") == 0 && f->rate && f->aggregate.op == CFG_AGG_SUM && f->aggregate.without);
    CHECK(f->aggregate.labels.n == 1 && strcmp(f->aggregate.labels.v[0], "pod") == 0);
    CHECK(f->resolution == CFG_RES_HOUR && f->horizons.n == 2);
    CHECK(f->horizons.v[0] == 3600000 && f->horizons.v[1] == 7200000); /* sorted */
    CHECK(f->model == CFG_MODEL_HOLT_WINTERS && f->season_ms == 7 * 86400000LL && f->max_series == 9);
    const cfg_scaler *s = &c->scalers[0];
    CHECK(strcmp(s->name, "w") == 0 && s->mode == CFG_MODE_QUEUE && s->arrival_rate_idx == 0 && s->forecast_idx == -1);
    CHECK(strcmp(s->arrival_rate, "jobs") == 0 && s->replicas != NULL && s->forecast == NULL);
    CHECK(s->lead_time_ms == 60000 && s->window_ms == 120000 && s->margin == CFG_MARGIN_UPPER95);
    CHECK(s->min_replicas == 3 && s->max_replicas == 4);
    /* scale_up.stabilization accepts only 0 (test_errors_engine_limits reads a 2m back) */
    CHECK(s->scale_up.max_per_minute == 0.5 && s->scale_up.burst == 5 && s->scale_up.stabilization_ms == 0);
    CHECK(s->scale_down.max_per_minute == 2.5 && s->scale_down.burst == 7 && s->scale_down.stabilization_ms == 8000);
    CHECK(s->cooldown_ms == 9000 && s->max_error == 0.5 && s->queue_length != NULL);
    CHECK(s->service_time.sel != NULL && s->service_time.ms == 0);
    CHECK(s->target_latency_ms == 10 && s->capacity_per_replica == 0); /* with a duration: test_errors_engine_limits */
    CHECK(strcmp(s->webhook.url, "https://hook:8443/x") == 0 && s->webhook.timeout_ms == 12000);
    CHECK(s->webhook.retries == 13 && !s->shadow);
    CHECK_EQ_I64(c->nremote_write, 4);
    const cfg_remote_write *r = &c->remote_write[0];
    CHECK(strcmp(r->url, "https://m.example/api/v1/push") == 0 && strcmp(r->name, "mimir") == 0);
    CHECK(r->timeout_ms == 14000 && r->http.headers.n == 2);
    CHECK(strcmp(r->http.headers.v[0].name, "X-Scope-OrgID") == 0 && strcmp(r->http.headers.v[0].value, "team-a") == 0);
    CHECK(strcmp(r->http.bearer_token_file, "/tok") == 0 && r->http.bearer_token == NULL);
    CHECK(strcmp(r->http.tls.ca_file, "/ca") == 0 && strcmp(r->http.tls.cert_file, "/c") == 0);
    CHECK(strcmp(r->http.tls.key_file, "/k") == 0 && strcmp(r->http.tls.server_name, "sn") == 0 && r->http.tls.insecure_skip_verify);
    CHECK(r->queue_limit == 1500 && r->batch_size == 16 && r->min_backoff_ms == 17 && r->max_backoff_ms == 18000);
    CHECK(strcmp(c->remote_write[1].http.basic_auth.username, "u") == 0);
    CHECK(strcmp(c->remote_write[1].http.basic_auth.password_file, "/p") == 0);
    CHECK(strcmp(c->remote_write[2].http.bearer_token, "t0k") == 0);
    CHECK(strcmp(c->remote_write[3].http.basic_auth.password, "pw") == 0);
    cfg_free(c);
}

/* ---- error messages, each with its position ---- */

static void test_errors_unknown_keys(void)
{
    CHECK(fails_at("forecasts:\n  - name: a\n    series: up\n    horizon: [1h]\n", 4, 5,
                   "unknown key 'horizon' in forecasts[0] (did you mean 'horizons'?)"));
    CHECK(fails_at("storge:\n  minute_retention: 1d\n", 1, 1, "unknown section 'storge' (did you mean 'storage'?)"));
    CHECK(fails_at("global: {}\n", 1, 1, "expected storage, ingest, web"));
    CHECK(fails_at("scalers:\n  - name: s\n    scale_up: {max_per_minite: 1}\n", 3, 16,
                   "unknown key 'max_per_minite' in scalers[0].scale_up (did you mean 'max_per_minute'?)"));
    CHECK(fails_at("storage:\n  zzz: 1\n", 2, 3, "unknown key 'zzz' in storage"));
    CHECK(fails_at("storage:\n  <<: {a: 1}\n", 2, 3, "merge keys"));
    CHECK(fails_at("storage:\n  minute_retention: 1d\n  minute_retention: 2d\n", 3, 3,
                   "storage.minute_retention: duplicate key (first given at line 2)"));
    CHECK(fails_at("web: {}\nweb: {}\n", 2, 1, "duplicate section 'web' (first at line 1)"));
    CHECK(fails_at("storage:\n  [a]: 1\n", 2, 3, "keys must be"));
}

static void test_errors_types_and_ranges(void)
{
    CHECK(fails_at("storage:\n  minute_retention: [1d]\n", 2, 21,
                   "storage.minute_retention: expected a duration like 30s, 15m, 4h, 1d or 1w, got a list"));
    CHECK(fails_at("storage:\n  minute_retention: 10y\n", 2, 21,
                   "storage.minute_retention: 10y is above the maximum 5y"));
    CHECK(fails_at("storage:\n  minute_retention: 30m\n", 2, 21, "30m is below the minimum 1h"));
    CHECK(fails_at("storage:\n  hour_retention: 12x\n", 2, 19, "unknown unit"));
    CHECK(fails_at("ingest:\n  max_series: -5\n", 2, 15, "-5 is below the minimum 1"));
    CHECK(fails_at("ingest:\n  max_series: 1.5\n", 2, 15, "not a fraction"));
    CHECK(fails_at("ingest:\n  max_body_bytes: 2GiB\n", 2, 19, "above the maximum 1GiB"));
    CHECK(fails_at("forecasts: [{name: a, series: up, rate: yes}]\n", 1, 41, "yes/no/on/off"));
    CHECK(fails_at("forecasts: [{name: a, series: up, resolution: minutes}]\n", 1, 47,
                   "expected one of auto, minute, hour (got 'minutes'; did you mean 'minute'?)"));
    CHECK(fails_at("forecasts: {name: a}\n", 1, 12, "forecasts: expected a list of mappings"));
    CHECK(fails_at("forecasts: [up]\n", 1, 13, "forecasts[0]: expected a mapping"));
    CHECK(fails_at("forecasts: [{name: a, series: up, horizons: 1h}]\n", 1, 45, "expected a list like [a, b]"));
    CHECK(fails_at("forecasts: [{name: a, series: up, horizons: [1h, [2h]]}]\n", 1, 50, "horizons[1]: expected"));
    CHECK(fails_at("forecasts: [{name: a, series: up, horizons: [1h, 2h, 1h]}]\n", 1, 54, "1h is listed twice"));
    CHECK(fails_at("forecasts: [{name: a, series: up, horizons: [30s]}]\n", 1, 46, "30s is below the minimum 1m"));
    CHECK(fails_at("forecasts: [{name: a, series: up, horizons: [1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,11m,12m,13m,"
                   "14m,15m,16m,17m]}]\n",
                   1, 45, "17 items, at most 16 allowed"));
    CHECK(fails_at("forecasts: [{name: 'bad-name', series: up}]\n", 1, 21, "expected a name matching"));
    CHECK(fails_at("forecasts: [{name: '', series: up}]\n", 1, 21, "must not be empty"));
    CHECK(fails_at("forecasts: [{name: a, series: up, aggregate: 'sum by job'}]\n", 1, 54, "expected '('"));
    CHECK(fails_at("scalers: [{name: s, forecast: f, replicas: up, target: 0}]\n", 1, 56, "must be greater than 0"));
    CHECK(fails_at("scalers: [{name: s, forecast: f, replicas: up, target: 0.7, scale_down: {tolerance: 1}}]\n", 1,
                   85, "1 is above the maximum 0.99"));
    CHECK(fails_at("scalers: [{name: s, forecast: f, replicas: up, target: 0.7, scale_down: {floor_quantile: 1.5}}]\n",
                   1, 90, "1.5 is above the maximum 1"));
    CHECK(fails_at("scalers: [{name: s, forecast: f, replicas: up, target: 0.7, scale_down: {floor_window: 30m}}]\n",
                   1, 88, "30m is below the minimum 1h"));
    CHECK(fails_at("remote_write: [{url: 'http://x', headers: [a]}]\n", 1, 43, "expected a mapping of names"));
    CHECK(fails_at("web:\n  read_concurrency: {a: 1}\n", 2, 21, "expected an integer, got a mapping"));
    CHECK(fails_at("[1, 2]\n", 1, 1, "the config must be a mapping of sections"));
    CHECK(fails_at("storage: 5\n", 1, 10, "storage: expected a mapping of keys, got a scalar"));
}

static void test_errors_selectors_point_inside(void)
{
    /* The scalar's quote is at col 10, so the selector's col 1 is col 11
     * and its col 9 (the '}' after "job=") is col 19. */
    CHECK(fails_at("ingest:\n  keep: ['foo{job=}']\n", 2, 19,
                   "ingest.keep: bad selector: col 9: expected a quoted string"));
    CHECK(fails_at("forecasts:\n  - name: a\n    series: up{job=~\"a(\"}\n", 3, 23,
                   "forecasts[0].series: bad selector: col 11: bad regex for label 'job': missing )"));
    CHECK(fails_at("forecasts: [{name: a, series: '{}'}]\n", 1, 32, "at least one matcher"));
    CHECK(fails_at("scalers: [{name: q, mode: queue, arrival_rate: a, target_latency: 1s, service_time: 'x{'}]\n"
                   "forecasts: [{name: a, series: up}]\n",
                   1, 88, "scalers[0].service_time: bad selector: col 3"));
    CHECK(fails_at("scalers: [{name: q, mode: queue, arrival_rate: a, target_latency: 1s, service_time: 2h}]\n"
                   "forecasts: [{name: a, series: up}]\n",
                   1, 85, "2h is above the maximum 1h"));
}

static void test_errors_required_and_references(void)
{
    CHECK(fails_at("forecasts:\n  - name: a\n", 2, 5, "forecasts[0]: missing required key 'series'"));
    CHECK(fails_at("forecasts:\n  - name:\n    series: up\n", 2, 10, "forecasts[0].name: needs a value"));
    CHECK(fails_at("forecasts:\n  - {name: a, series: up}\n  - {name: b, series: up}\n  - {name: a, series: x}\n",
                   4, 12, "forecasts[2].name: duplicate forecast name 'a' (first at line 2)"));
    CHECK(fails_at("forecasts: [{name: cpu, series: up}]\n"
                   "scalers:\n  - name: web\n    forecast: cpuu\n    replicas: up\n    target: 0.7\n",
                   4, 15, "scalers[0].forecast: no forecast named 'cpuu' (did you mean 'cpu'?)"));
    CHECK(fails_at("scalers:\n  - name: web\n    replicas: up\n    target: 0.7\n", 2, 5,
                   "scalers[0]: utilization mode needs 'forecast'"));
    CHECK(fails_at("scalers:\n  - name: w\n    mode: queue\n", 2, 5, "scalers[0]: queue mode needs 'arrival_rate'"));
    CHECK(fails_at("forecasts: [{name: f, series: up}]\n"
                   "scalers:\n  - {name: w, mode: queue, arrival_rate: f, service_time: 1s, target_latency: 1s,\n"
                   "     target: 0.5}\n",
                   4, 14, "scalers[0].target: only used in utilization mode, and this scaler's mode is queue"));
    CHECK(fails_at("forecasts: [{name: f, series: up}]\n"
                   "scalers:\n  - {name: w, forecast: f, replicas: up, target: 1, queue_length: q}\n",
                   3, 67, "scalers[0].queue_length: only used in queue mode"));
    CHECK(fails_at("forecasts: [{name: f, series: up}]\n"
                   "scalers:\n  - {name: w, forecast: f, replicas: up, target: 1, min_replicas: 5, max_replicas: 2}\n",
                   3, 84, "max_replicas (2) is below min_replicas (5)"));
    CHECK(fails_at("forecasts: [{name: f, series: up}]\n"
                   "scalers:\n  - {name: w, forecast: f, replicas: up, target: 1}\n"
                   "  - {name: w, forecast: f, replicas: up, target: 2}\n",
                   4, 12, "scalers[1].name: duplicate scaler name 'w' (first at line 3)"));
    CHECK(fails_at("forecasts: [{name: f, series: up}]\n"
                   "scalers: [{name: w, forecast: f, replicas: up, target: 1, webhook: {retries: 2}}]\n",
                   2, 78, "scalers[0].webhook.retries: webhook settings without webhook.url"));
}

/* scalers[].webhook takes remote_write's HTTP client options (table.c
 * HTTP_CLIENT_ROWS): the same keys, rules and messages, at the webhook's
 * keys' positions. */
static const char webhook_head[] = "forecasts: [{name: f, series: up}]\n"
                                   "scalers:\n"
                                   "  - name: w\n"
                                   "    forecast: f\n"
                                   "    replicas: up\n"
                                   "    target: 0.5\n"
                                   "    webhook:\n"
                                   "      url: https://bot.example/scale\n";

static void test_webhook_http_client(void)
{
    static const struct {
        const char *yaml; /* after webhook_head */
        unsigned line, col;
        const char *msg;
    } bad[] = {
        {"      headers: {Authorization: x}\n", 9, 16,
         "scalers[0].webhook.headers: header 'Authorization' is set by augur; use bearer_token or basic_auth"},
        {"      headers: {content-type: text/plain}\n", 9, 16, "header 'content-type' is set by augur"},
        {"      headers: {'a b': x}\n", 9, 16, "not a valid header name"},
        {"      bearer_token: a\n      bearer_token_file: /b\n", 10, 26,
         "scalers[0].webhook.bearer_token_file: set bearer_token or bearer_token_file, not both"},
        {"      bearer_token_file: /b\n      basic_auth: {username: u}\n", 9, 26,
         "scalers[0].webhook.bearer_token_file: bearer token and basic_auth are exclusive"},
        {"      basic_auth: {password: p}\n", 9, 30, "scalers[0].webhook.basic_auth.password: basic_auth needs a username"},
        {"      basic_auth: {username: u, password: p, password_file: f}\n", 9, 61,
         "set password or password_file, not both"},
        {"      tls: {key_file: /k}\n", 9, 23, "scalers[0].webhook.tls.key_file: tls.cert_file and tls.key_file go together"},
    };
    char y[1024];
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad); i++) {
        snprintf(y, sizeof y, "%s%s", webhook_head, bad[i].yaml);
        CHECK(fails_at(y, bad[i].line, bad[i].col, bad[i].msg));
    }
    /* The options without a url are webhook settings without webhook.url. */
    CHECK(fails_at("forecasts: [{name: f, series: up}]\n"
                   "scalers: [{name: w, forecast: f, replicas: up, target: 1, webhook: {tls: {insecure_skip_verify: true}}}]\n",
                   2, 97, "scalers[0].webhook.tls.insecure_skip_verify: webhook settings without webhook.url"));
    /* A header remote_write refuses but the webhook never sets is allowed. */
    snprintf(y, sizeof y,
             "%s      headers: {X-Prometheus-Remote-Write-Version: '1', X-Team: a}\n"
             "      bearer_token_file: /run/token\n"
             "      tls: {ca_file: /ca, cert_file: /c, key_file: /k, server_name: sn, insecure_skip_verify: true}\n",
             webhook_head);
    cfg_config *c = load_ok(y);
    CHECK(c != NULL);
    if (c == NULL)
        return;
    const cfg_http_client *h = &c->scalers[0].webhook.http;
    CHECK(h->headers.n == 2 && strcmp(h->headers.v[1].name, "X-Team") == 0 && strcmp(h->headers.v[1].value, "a") == 0);
    CHECK(strcmp(h->bearer_token_file, "/run/token") == 0 && h->bearer_token == NULL && h->basic_auth.username == NULL);
    CHECK(strcmp(h->tls.ca_file, "/ca") == 0 && strcmp(h->tls.cert_file, "/c") == 0 && strcmp(h->tls.key_file, "/k") == 0);
    CHECK(strcmp(h->tls.server_name, "sn") == 0 && h->tls.insecure_skip_verify);
    cfg_free(c);
    /* The secrets are flagged as such in the table, like remote_write's. */
    char buf[128];
    size_t secret = 0;
    for (size_t si = 0; si < cfg_nsections; si++)
        for (size_t i = 0; i < cfg_sections[si].nrows; i++) {
            const cfg_row *r = &cfg_sections[si].rows[i];
            if (r->flags & CFG_F_SECRET) {
                snprintf(buf, sizeof buf, "%s.%s", cfg_sections[si].name, r->key);
                CHECK(strcmp(buf, "scalers.webhook.bearer_token") == 0 ||
                      strcmp(buf, "scalers.webhook.basic_auth.password") == 0 ||
                      strcmp(buf, "remote_write.bearer_token") == 0 ||
                      strcmp(buf, "remote_write.basic_auth.password") == 0);
                secret++;
            }
        }
    CHECK_EQ_I64(secret, 4);
}

/* Limits of the decision engine (config/scaler.h), reported where the value
 * is, as check config, start and reload print them. */
static void test_errors_engine_limits(void)
{
    static const char fc[] = "forecasts: [{name: f, series: up}]\n";
    char y[512];
    snprintf(y, sizeof y, "%sscalers:\n  - name: w\n    forecast: f\n    replicas: up\n    target: 70\n", fc);
    CHECK(fails_at(y, 6, 13,
                   "scalers[0].target: target is a fraction of a replica's capacity in (0, 1]; 70 looks like a "
                   "percentage (0.7)"));
    snprintf(y, sizeof y, "%sscalers: [{name: w, forecast: f, replicas: up, target: 250}]\n", fc);
    CHECK(fails_at(y, 2, 56, "scalers[0].target: target is a fraction of a replica's capacity in (0, 1], not 250"));
    /* The daemon refused this at start and reload, without a line, while
     * check config passed it. */
    snprintf(y, sizeof y, "%sscalers: [{name: w, forecast: f, replicas: up, target: 0.7, min_replicas: 0}]\n", fc);
    CHECK(fails_at(y, 2, 75, "scalers[0].min_replicas: min_replicas must be at least 1 in utilization mode"));
    snprintf(y, sizeof y,
             "%sscalers: [{name: w, mode: queue, arrival_rate: f, service_time: 50ms, target_latency: 1s, "
             "min_replicas: 0}]\n",
             fc);
    cfg_config *q = load_ok(y);
    CHECK(q != NULL);
    cfg_free(q);
    /* capacity_per_replica sets a replica's concurrency from the configured
     * service time; with an observed one there is none to use. */
    snprintf(y, sizeof y,
             "%sscalers: [{name: w, mode: queue, arrival_rate: f, service_time: 50ms, target_latency: 1s, "
             "capacity_per_replica: 11.5}]\n",
             fc);
    q = load_ok(y);
    CHECK(q != NULL && q->scalers[0].capacity_per_replica == 11.5);
    cfg_free(q);
    snprintf(y, sizeof y,
             "%sscalers: [{name: w, mode: queue, arrival_rate: f, service_time: 's_seconds', target_latency: 1s, "
             "capacity_per_replica: 11.5}]\n",
             fc);
    CHECK(fails_at(y, 2, 120,
                   "scalers[0].capacity_per_replica: capacity_per_replica needs service_time as a duration, not a "
                   "selector"));
    snprintf(y, sizeof y,
             "%sscalers:\n  - name: w\n    forecast: f\n    replicas: up\n    target: 1\n"
             "    scale_up:\n      stabilization: 2m\n",
             fc);
    CHECK(fails_at(y, 8, 22,
                   "scalers[0].scale_up.stabilization: 2m is not supported: a scale-up happens as soon as it is "
                   "wanted, so only 0 is accepted"));

    /* The text check config prints: file:line:col, the line, a caret. */
    snprintf(y, sizeof y, "%sscalers:\n  - name: w\n    forecast: f\n    replicas: up\n    target: 70\n", fc);
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    CHECK_EQ_I64(cfg_load_buffer("t.yml", y, strlen(y), &c, &d), AUG_ECONFIG);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_diag_print(d, f);
    fclose(f);
    CHECK_STR(buf, "t.yml:6:13: scalers[0].target: target is a fraction of a replica's capacity in (0, 1]; 70 looks "
                   "like a percentage (0.7)\n"
                   "        target: 70\n"
                   "                ^\n");
    free(buf);
    cfg_free(c);
    cfg_diag_free(d);
}

/* The source line of an error on a secret's line (CFG_F_SECRET: bearer
 * tokens, basic auth passwords, of remote_write and scalers[].webhook) shows
 * <secret> for the value, and the caret still points at what it pointed at
 * (at <secret> when inside the value); a message never quotes a secret
 * either. */
static bool prints_as(const char *yaml, size_t n, const char *want)
{
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    bool refused = cfg_load_buffer("t.yml", yaml, n, &c, &d) == AUG_ECONFIG;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_diag_print(d, f);
    fclose(f);
    bool ok = refused && strcmp(buf, want) == 0;
    if (!ok)
        fprintf(stderr, "  got:\n%s  want:\n%s", buf, want);
    free(buf);
    cfg_free(c);
    cfg_diag_free(d);
    return ok;
}

static void test_errors_mask_secrets(void)
{
    static const char flow[] = "remote_write: [{url: 'http://x', bearer_token: s3cr3t, bearer_token_file: /b}]\n";
    CHECK(prints_as(flow, sizeof flow - 1,
                    "t.yml:1:75: remote_write[0].bearer_token_file: set bearer_token or bearer_token_file, not both\n"
                    "    remote_write: [{url: 'http://x', bearer_token: <secret>, bearer_token_file: /b}]\n"
                    "                                                                                ^\n"));
    char block[512];
    int n = snprintf(block, sizeof block, "%s%s", webhook_head,
                     "      basic_auth: {password: \"hunter2\", password_file: /p}\n"
                     "      bearer_token: 'tok, en'   # a comment\n"
                     "      bearer_token_file: /t\n");
    CHECK(prints_as(block, (size_t)n,
                    "t.yml:9:30: scalers[0].webhook.basic_auth.password: basic_auth needs a username\n"
                    "          basic_auth: {password: <secret>, password_file: /p}\n"
                    "                                 ^\n"
                    "t.yml:9:56: scalers[0].webhook.basic_auth.password_file: set password or password_file, not both\n"
                    "          basic_auth: {password: <secret>, password_file: /p}\n"
                    "                                                          ^\n"
                    "t.yml:10:21: scalers[0].webhook.bearer_token: bearer token and basic_auth are exclusive\n"
                    "          bearer_token: <secret>   # a comment\n"
                    "                        ^\n"
                    "t.yml:11:26: scalers[0].webhook.bearer_token_file: set bearer_token or bearer_token_file, not both\n"
                    "          bearer_token_file: /t\n"
                    "                             ^\n"));
    static const char nul[] = "remote_write: [{url: http://x, bearer_token: \"a\\0b\"}]\n";
    CHECK(prints_as(nul, sizeof nul - 1,
                    "t.yml:1:47: remote_write[0].bearer_token: must not contain NUL characters (got <secret>)\n"
                    "    remote_write: [{url: http://x, bearer_token: <secret>}]\n"
                    "                                                 ^\n"));
}

static void test_errors_cross_key_rules(void)
{
    CHECK(fails_at("storage:\n  minute_retention: 30d\n  hour_retention: 7d\n", 3, 19,
                   "storage.hour_retention: hour_retention must be at least minute_retention"));
    CHECK(fails_at("storage:\n  initial_map_size: 1GiB\n  max_map_size: 512MiB\n", 2, 21, "must not exceed"));
    CHECK(fails_at("ingest:\n  max_body_bytes: 64MiB\n", 2, 19, "max_decoded_bytes must be at least"));
    CHECK(fails_at("forecasts: [{name: a, series: up, resolution: hour, horizons: [90m]}]\n", 1, 63,
                   "horizon 1h30m is not a whole number of hours (resolution hour)"));
    CHECK(fails_at("forecasts: [{name: a, series: up, horizons: [15m, 24h]}]\n", 1, 45,
                   "horizon 15m is not a whole number of hours (resolution hour, chosen by auto)"));
    CHECK(fails_at("forecasts: [{name: a, series: up, season: 90s}]\n", 1, 43, "season 1m30s is not a whole"));
    /* A horizon longer than the engine forecasts (FC_MAX_HORIZON steps) at
     * the resolution: refused here, as the daemon would refuse it. 14d of
     * minutes is exactly the limit. Durations print as the config table
     * formats them (90d = 12w6d). */
    CHECK(fails_at("forecasts: [{name: a, series: up, resolution: minute, horizons: [1h, 90d]}]\n", 1, 65,
                   "forecasts[0].horizons: horizon 12w6d is 129600 steps at minute resolution, more than the "
                   "20160 the forecast engine allows; use resolution: hour (2160 steps)"));
    cfg_config *lim = load_ok("forecasts: [{name: a, series: up, resolution: minute, horizons: [14d]}]\n");
    CHECK(lim != NULL);
    cfg_free(lim);
    /* A season the engine cannot see: one step of the resolution, more than
     * half the history kept (14 days of minutes), or none for seasonal_naive. */
    CHECK(fails_at("forecasts: [{name: a, series: up, resolution: hour, horizons: [2h], season: 1h}]\n", 1, 77,
                   "season 1h at hour resolution: season 3600s is 1 step(s) of 3600s: it needs at least 2 steps"));
    CHECK(fails_at("forecasts: [{name: a, series: up, season: 8d}]\n", 1, 43,
                   "season 1w1d at minute resolution: season 691200s is 11520 step(s) of 60s: it needs at least 2"
                   " steps and at most half the history of 20160 steps"));
    CHECK(fails_at("forecasts: [{name: a, series: up, model: seasonal_naive, season: 0}]\n", 1, 66,
                   "snaive needs a seasonal or weekly period: season 0s"));
    CHECK(fails_at("remote_write: [{url: 'http://x', bearer_token: a, bearer_token_file: /b}]\n", 1, 70,
                   "set bearer_token or bearer_token_file, not both"));
    CHECK(fails_at("remote_write: [{url: 'http://x', bearer_token: a, basic_auth: {username: u}}]\n", 1, 48,
                   "bearer token and basic_auth are exclusive"));
    CHECK(fails_at("remote_write: [{url: 'http://x', basic_auth: {password: p}}]\n", 1, 57,
                   "basic_auth needs a username"));
    CHECK(fails_at("remote_write: [{url: 'http://x', basic_auth: {username: u, password: p, password_file: f}}]\n",
                   1, 88, "set password or password_file, not both"));
    CHECK(fails_at("remote_write: [{url: 'http://x', tls: {cert_file: /c}}]\n", 1, 51,
                   "tls.cert_file and tls.key_file go together"));
    /* Refused by the exporter only when it starts: after a reload had
     * already been swapped in, leaving no exporter. */
    CHECK(fails_at("remote_write: [{url: 'http://x', tls: {server_name: h}}]\n", 1, 53,
                   "remote_write[0].tls.server_name: tls.server_name needs an https url"));
    CHECK(fails_at("scalers: [{name: w, mode: queue, arrival_rate: f, service_time: 1s, target_latency: 1s, "
                   "webhook: {url: 'http://x', tls: {server_name: h}}}]\nforecasts: [{name: f, series: up}]\n",
                   1, 135, "scalers[0].webhook.tls.server_name: tls.server_name needs an https url"));
    cfg_config *sn = load_ok("remote_write: [{url: 'https://x', tls: {server_name: h}}]\n");
    CHECK(sn != NULL);
    cfg_free(sn);
    CHECK(fails_at("remote_write: [{url: 'http://x', min_backoff: 2s, max_backoff: 1s}]\n", 1, 64,
                   "max_backoff must be at least min_backoff"));
    CHECK(fails_at("remote_write: [{url: 'http://x', headers: {Authorization: x}}]\n", 1, 43,
                   "header 'Authorization' is set by augur; use bearer_token or basic_auth"));
    CHECK(fails_at("remote_write: [{url: 'http://x', headers: {'a b': x}}]\n", 1, 43, "not a valid header name"));
    CHECK(fails_at("remote_write: [{url: 'http://x', headers: {a: \"x\\ny\"}}]\n", 1, 43, "line break"));
    /* no name given: the error points at the entry */
    CHECK(fails_at("remote_write: [{url: 'http://x'}, {url: 'http://x'}]\n", 1, 35,
                   "remote_write[1]: duplicate remote_write name 'http://x' (first at line 1)"));
    static const struct {
        const char *url, *why;
    } urls[] = {
        {"ftp://x/", "http:// or https://"}, {"http://", "http:// or https://"}, {"http:///p", "no host"},
        {"http://x:0/", "port"}, {"http://x:99999/", "port"}, {"http://x:/", "empty port"},
        {"http://u:p@x/", "basic_auth"}, {"http://a b/", "space"}, {"http://[::1/", "IPv6"},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(urls); i++) {
        char y[128];
        snprintf(y, sizeof y, "remote_write: [{url: '%s'}]\n", urls[i].url);
        CHECK(fails_at(y, 1, 23, urls[i].why));
    }
    cfg_config *c = load_ok("remote_write: [{url: 'http://[::1]:9090/api/v1/write'}, {url: 'https://h'}]\n");
    CHECK(c != NULL);
    cfg_free(c);
}

static void test_errors_yaml_level(void)
{
    CHECK(fails_at("storage:\n  minute_retention: 1d\n bad\n", 3, 2, "YAML syntax error"));
    CHECK(fails_at("storage: {a: 1\n", 2, 1, "YAML syntax error"));
    CHECK(fails_at("web: {}\n---\nweb: {}\n", 2, 1, "only one YAML document"));
    CHECK(fails_at("web: {read_concurrency: \"\\x00\"}\n", 1, 26, "expected an integer (got '?')"));
    CHECK(fails_at("storage: *nope\n", 1, 10, "YAML syntax error"));
    const char bad_utf8[] = "storage: {a: \"\xff\"}\n";
    CHECK(fails_at(bad_utf8, 1, 15, "invalid text"));
}

static void test_errors_are_sorted_capped_and_printed(void)
{
    char yaml[2048];
    size_t o = (size_t)snprintf(yaml, sizeof yaml, "storage:\n");
    for (int i = 0; i < 30; i++)
        o += (size_t)snprintf(yaml + o, sizeof yaml - o, "  k%d: 1\n", i);
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    CHECK(cfg_load_buffer("big.yml", yaml, o, &c, &d) == AUG_ECONFIG && c == NULL);
    CHECK_EQ_I64(cfg_diag_count(d), CFG_MAX_ERRORS);
    for (size_t i = 1; i < cfg_diag_count(d); i++)
        CHECK(cfg_diag_error(d, i)->line > cfg_diag_error(d, i - 1)->line);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_diag_print(d, f);
    fclose(f);
    CHECK(strstr(buf, "big.yml:2:3: unknown key 'k0' in storage\n      k0: 1\n      ^\n") == buf);
    CHECK(strstr(buf, "big.yml: too many errors; stopped after 20\n") != NULL);
    free(buf);
    cfg_diag_free(d);

    /* Out-of-order problems come back sorted; the tab in the source line is
     * kept under the caret. */
    d = NULL;
    const char *y2 = "forecasts: [{name: a, series: up}]\nscalers: [{name: s, forecast: zz, replicas: up, target: 1}]\n"
                     "web:\n\tread_concurrency: 0\n";
    CHECK(cfg_load_buffer("t.yml", y2, strlen(y2), &c, &d) == AUG_ECONFIG);
    /* a tab cannot indent YAML: the syntax error is the only one */
    CHECK(cfg_diag_count(d) == 1 && cfg_diag_error(d, 0)->line == 4);
    cfg_diag_free(d);
}

/* ---- files ---- */

static const char design_example[] =
    "storage:\n"
    "  minute_retention: 14d\n"
    "  hour_retention: 400d\n"
    "ingest:\n"
    "  keep: ['{job=\"node\"}']          # rollups are kept only for these and for forecast inputs\n"
    "forecasts:\n"
    "  - name: cpu                      # → ai_cpu_forecast\n"
    "    series: 'instance:node_cpu_utilisation:rate5m'\n"
    "    horizons: [15m, 1h, 4h]\n"
    "  - name: requests                 # a counter, turned into a per-second rate, summed per job\n"
    "    series: 'http_requests_total{job=\"web\"}'\n"
    "    rate: true\n"
    "    aggregate: sum by (job)\n"
    "    horizons: [1h, 24h]\n"
    "scalers:\n"
    "  - name: web\n"
    "    mode: utilization              # seed 1 style: forecast vs threshold with safety margin\n"
    "    forecast: cpu\n"
    "    replicas: 'kube_deployment_status_replicas{deployment=\"web\"}'\n"
    "    target: 0.70\n"
    "    lead_time: 10m                 # how long a new replica takes to be useful\n"
    "    min_replicas: 2\n"
    "    max_replicas: 20\n"
    "    scale_up:   {max_per_minute: 4}            # token bucket\n"
    "    scale_down: {max_per_minute: 1, stabilization: 30m}\n"
    "  - name: worker\n"
    "    mode: queue                    # Little's law: arrivals + backlog drain\n"
    "    arrival_rate: jobs             # a forecast name\n"
    "    queue_length: 'queue_depth{queue=\"jobs\"}'\n"
    "    service_time: 50ms             # or a selector\n"
    "    target_latency: 500ms\n"
    "remote_write:\n"
    "  - url: http://127.0.0.1:9090/api/v1/write\n";

static void test_design_example(void)
{
    /* As printed in DESIGN §2 the example names a forecast 'jobs' it never
     * defines: that, and only that, is reported. */
    CHECK(fails_at(design_example, 28, 19, "scalers[1].arrival_rate: no forecast named 'jobs' in forecasts"));
    char fixed[4096];
    snprintf(fixed, sizeof fixed, "%s  - name: jobs\n    series: 'jobs_total'\n    rate: true\n", design_example);
    /* the appended entry belongs to forecasts: move it there */
    char *sc = strstr(fixed, "scalers:\n");
    char *tail = strstr(fixed, "  - name: jobs\n");
    char moved[4096];
    snprintf(moved, sizeof moved, "%.*s%s%.*s", (int)(sc - fixed), fixed, tail, (int)(tail - sc), sc);
    cfg_config *c = load_ok(moved);
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK_EQ_I64(c->nforecasts, 3);
    CHECK(c->forecasts[1].aggregate.op == CFG_AGG_SUM && c->forecasts[1].resolution == CFG_RES_HOUR);
    CHECK(c->forecasts[0].resolution == CFG_RES_MINUTE && c->forecasts[0].horizons.n == 3);
    const cfg_scaler *web = &c->scalers[0], *worker = &c->scalers[1];
    CHECK(web->forecast_idx == 0 && web->target == 0.70 && web->lead_time_ms == 600000);
    CHECK(web->scale_down.stabilization_ms == 1800000 && web->scale_up.burst == 4);
    CHECK(worker->arrival_rate_idx == 2 && worker->service_time.ms == 50 && worker->target_latency_ms == 500);
    CHECK(worker->replicas == NULL && worker->queue_length != NULL);
    cfg_free(c);
}

static void test_shipped_config_loads(void)
{
    const char *dir = getenv("AUG_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/config/augur.yml", dir ? dir : ".");
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err err = cfg_load_file(path, &c, &d);
    if (err != AUG_OK)
        cfg_diag_print(d, stderr);
    CHECK(err == AUG_OK && d == NULL);
    if (c == NULL)
        return;
    CHECK_EQ_I64(c->ingest.keep.n, 1);
    aug_label prom[] = {{{"job", 3}, {"prometheus", 10}}};
    CHECK(ingest_selector_match_labels(c->ingest.keep.v[0], prom, 1));
    CHECK_EQ_I64(c->nforecasts, 3);
    CHECK(c->forecasts[0].resolution == CFG_RES_MINUTE && c->forecasts[2].resolution == CFG_RES_HOUR);
    CHECK(c->forecasts[1].rate && c->forecasts[1].aggregate.op == CFG_AGG_AVG);
    CHECK_EQ_I64(c->nscalers, 1);
    CHECK(c->scalers[0].forecast_idx == 1 && c->scalers[0].shadow && c->scalers[0].webhook.url == NULL);
    CHECK_EQ_I64(c->nremote_write, 1);
    CHECK_STR(c->remote_write[0].url, "http://127.0.0.1:9090/api/v1/write");
    cfg_free(c);
}

/* The default config shows every key: each path component appears as
 * "name:" (active or commented). */
static void test_every_key_in_augur_yml(void)
{
    char *yml = read_src("config/augur.yml", NULL);
    CHECK(yml != NULL);
    if (yml == NULL)
        return;
    char buf[128];
    for (size_t i = 0; i < cfg_key_count(); i++) {
        cfg_key_info k = cfg_key_get(i, buf, sizeof buf);
        char comp[128];
        const char *p = k.path;
        while (*p) {
            size_t l = strcspn(p, ".");
            snprintf(comp, sizeof comp, "%.*s", (int)l, p);
            char *br = strstr(comp, "[]");
            if (br != NULL)
                *br = '\0';
            char needle[140];
            snprintf(needle, sizeof needle, "%s:", comp);
            if (strstr(yml, needle) == NULL) {
                fprintf(stderr, "  config/augur.yml lacks %s (for %s)\n", needle, k.path);
                CHECK(0);
            }
            p += l + (p[l] == '.');
        }
    }
    free(yml);
}

static void test_docs_match_table(void)
{
    char *doc = read_src("docs/config.md", NULL);
    CHECK(doc != NULL);
    if (doc == NULL)
        return;
    char *gen = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&gen, &len);
    CHECK(cfg_doc_write(f, CFG_DOC_MARKDOWN) == AUG_OK);
    fclose(f);
    if (strcmp(doc, gen) != 0)
        fprintf(stderr, "  docs/config.md is stale: regenerate with "
                        "`augurctl check keys --markdown > docs/config.md`\n");
    CHECK(strcmp(doc, gen) == 0);
    char buf[128];
    for (size_t i = 0; i < cfg_key_count(); i++) {
        cfg_key_info k = cfg_key_get(i, buf, sizeof buf);
        char needle[140];
        snprintf(needle, sizeof needle, "`%s`", k.path);
        CHECK(strstr(gen, needle) != NULL);
    }
    free(gen);
    free(doc);
}

static void test_load_file_errors(void)
{
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    CHECK(cfg_load_file("/nonexistent/augur.yml", &c, &d) == AUG_EIO && c == NULL);
    CHECK(cfg_diag_count(d) == 1 && strstr(cfg_diag_error(d, 0)->msg, "cannot read") != NULL);
    CHECK(cfg_diag_error(d, 0)->line == 0);
    cfg_diag_free(d);
    char path[] = "/tmp/augur_cfg_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < CFG_MAX_FILE_BYTES / 16 + 1; i++)
        fputs("# padding line.\n", f);
    fclose(f);
    d = NULL;
    CHECK(cfg_load_file(path, &c, &d) == AUG_ETOOBIG);
    CHECK(cfg_diag_count(d) == 1);
    cfg_diag_free(d);
    CHECK(cfg_load_file(path, &c, NULL) == AUG_ETOOBIG);
    remove(path);
}

static void test_alias_compiles_selector_once(void)
{
    cfg_config *c = load_ok("ingest:\n  keep: [&s 'up{job=\"a\"}', *s, *s]\n"
                            "forecasts: [{name: a, series: *s}]\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK(c->ingest.keep.n == 3 && c->ingest.keep.v[0] == c->ingest.keep.v[2]);
    CHECK(c->forecasts[0].series == c->ingest.keep.v[0]);
    cfg_free(c);
}

static void test_needs_restart(void)
{
    cfg_config *a = load_ok("web: {max_connections: 4}\nstorage: {minute_retention: 1d}\n");
    cfg_config *b = load_ok("web: {max_connections: 8}\n");
    cfg_config *b2 = load_ok("web: {max_connections: 4}\nstorage: {minute_retention: 2d}\n");
    CHECK(a && b && b2);
    if (a && b && b2) {
        char key[64] = "";
        CHECK(cfg_needs_restart(a, b, key, sizeof key));
        CHECK_STR(key, "web.max_connections");
        CHECK(!cfg_needs_restart(a, b2, key, sizeof key));
        CHECK(!cfg_needs_restart(a, a, NULL, 0));
    }
    cfg_free(a);
    cfg_free(b);
    cfg_free(b2);
}

static void test_allocation_failures_clean_up(void)
{
    size_t len = 0;
    char *yml = read_src("config/augur.yml", &len);
    CHECK(yml != NULL);
    if (yml == NULL)
        return;
    int64_t base = aug_mem_used();
    bool saw_ok = false, saw_nomem = false;
    for (long k = 0; k < 2000 && !saw_ok; k++) {
        aug_mem_fail_after(k);
        cfg_config *c = NULL;
        cfg_diag *d = NULL;
        aug_err err = cfg_load_buffer("a.yml", yml, len, &c, &d);
        aug_mem_fail_reset();
        CHECK(err == AUG_OK || err == AUG_ENOMEM);
        if (err == AUG_OK)
            saw_ok = true;
        else
            saw_nomem = true;
        CHECK(err == AUG_OK ? c != NULL && d == NULL : c == NULL && d == NULL);
        cfg_free(c);
        cfg_diag_free(d);
        CHECK_EQ_I64(aug_mem_used(), base);
    }
    CHECK(saw_ok && saw_nomem);
    free(yml);
}

/* --readme: README.md must name every key (CONVENTIONS 20). */
static void test_readme_lists_every_key(void)
{
    char *readme = read_src("README.md", NULL);
    CHECK(readme != NULL);
    if (readme == NULL)
        return;
    char buf[128];
    for (size_t i = 0; i < cfg_key_count(); i++) {
        cfg_key_info k = cfg_key_get(i, buf, sizeof buf);
        if (strstr(readme, k.path) == NULL) {
            fprintf(stderr, "  README.md lacks %s\n", k.path);
            CHECK(0);
        }
    }
    free(readme);
}

int main(int argc, char **argv)
{
    static const check_case cases[] = {
        CHECK_CASE(test_parse_duration), CHECK_CASE(test_parse_size), CHECK_CASE(test_parse_int_float_bool),
        CHECK_CASE(test_parse_aggregate), CHECK_CASE(test_table_defaults_and_bounds_parse),
        CHECK_CASE(test_defaults_applied), CHECK_CASE(test_every_key_reaches_its_field),
        CHECK_CASE(test_errors_unknown_keys), CHECK_CASE(test_errors_types_and_ranges),
        CHECK_CASE(test_errors_selectors_point_inside), CHECK_CASE(test_errors_required_and_references),
        CHECK_CASE(test_webhook_http_client), CHECK_CASE(test_errors_engine_limits), CHECK_CASE(test_errors_mask_secrets),
        CHECK_CASE(test_errors_cross_key_rules),
        CHECK_CASE(test_errors_yaml_level),
        CHECK_CASE(test_errors_are_sorted_capped_and_printed), CHECK_CASE(test_design_example),
        CHECK_CASE(test_shipped_config_loads), CHECK_CASE(test_every_key_in_augur_yml),
        CHECK_CASE(test_docs_match_table), CHECK_CASE(test_load_file_errors),
        CHECK_CASE(test_alias_compiles_selector_once), CHECK_CASE(test_needs_restart),
        CHECK_CASE(test_allocation_failures_clean_up),
    };
    static const check_case readme[] = {CHECK_CASE(test_readme_lists_every_key)};
    if (argc == 2 && strcmp(argv[1], "--readme") == 0)
        return check_run(readme, 1, 1, argv);
    return check_run(cases, AUG_ARRAY_LEN(cases), argc, argv);
}
