/* Unit tests for src/config/scaler.c: every field of a configured scaler
 * lands in decide_params with the documented units, and a result the engine
 * refuses is an error with the reason. */
#include "util/common.h"
#include "config/scaler.h"

#include "../check.h"

static const char head[] = "forecasts:\n"
                           "  - name: cpu\n"
                           "    series: 'cpu{job=\"web\"}'\n"
                           "    horizons: [1h]\n"
                           "  - name: jobs\n"
                           "    series: 'jobs_total'\n"
                           "    rate: true\n"
                           "    horizons: [1h]\n"
                           "scalers:\n";

static cfg_config *load(const char *scalers)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", head, scalers);
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err err = cfg_load_buffer("t.yml", buf, strlen(buf), &c, &d);
    if (err != AUG_OK)
        cfg_diag_print(d, stderr);
    cfg_diag_free(d);
    return c;
}

static void test_utilization_fields(void)
{
    cfg_config *c = load("  - name: web\n"
                         "    forecast: cpu\n"
                         "    replicas: 'kube_deployment_status_replicas{deployment=\"web\"}'\n"
                         "    target: 0.7\n"
                         "    lead_time: 10m\n"
                         "    window: 61500ms\n"
                         "    margin: upper95\n"
                         "    min_replicas: 2\n"
                         "    max_replicas: 1000\n"
                         "    scale_up: {max_per_minute: 6, burst: 20, tolerance: 0.05}\n"
                         "    scale_down: {max_per_minute: 0.5, stabilization: 30m, tolerance: 0.25,\n"
                         "                 floor_quantile: 0.4, floor_window: 90m}\n"
                         "    cooldown: 90s\n"
                         "    max_error: 0.4\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    decide_params p;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(cfg_scaler_decide_params(&c->scalers[0], &p, &eb), AUG_OK);
    CHECK_EQ_I64(p.mode, DECIDE_MODE_UTILIZATION);
    CHECK_NEAR(p.target, 0.7, 0);
    CHECK_EQ_I64(p.lead_time_s, 600);
    CHECK_EQ_I64(p.window_s, 62); /* 61.5 s rounded up */
    CHECK_EQ_I64(p.margin, DECIDE_MARGIN_95);
    CHECK_EQ_I64(p.min_replicas, 2);
    CHECK_EQ_I64(p.max_replicas, 1000);
    CHECK_NEAR(p.up.capacity, 20, 0);
    CHECK_NEAR(p.up.per_minute, 6, 0);
    CHECK_NEAR(p.down.capacity, 1, 0); /* burst default: max_per_minute rounded up */
    CHECK_NEAR(p.down.per_minute, 0.5, 0);
    CHECK_EQ_I64(p.stabilization_s, 1800);
    CHECK_EQ_I64(p.cooldown_s, 90);
    CHECK_NEAR(p.max_error, 0.4, 0);
    CHECK_NEAR(p.tolerance_up, 0.05, 0);
    CHECK_NEAR(p.tolerance_down, 0.25, 0);
    CHECK_NEAR(p.floor_quantile, 0.4, 0);
    CHECK_EQ_I64(p.floor_window_s, 3600); /* whole hours: 90m rounds down to 1 h */
    CHECK_NEAR(p.capacity_per_replica, 0, 0);
    cfg_free(c);
}

static void test_defaults_follow_the_config_table(void)
{
    cfg_config *c = load("  - name: web\n"
                         "    forecast: cpu\n"
                         "    replicas: 'r'\n"
                         "    target: 0.5\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    decide_params p;
    CHECK_EQ_I64(cfg_scaler_decide_params(&c->scalers[0], &p, NULL), AUG_OK);
    /* docs/config.md: lead 5m, window 15m, upper80, [1, 10], up 4/min burst 4,
     * down 1/min burst 1 stabilization 5m, cooldown 3m, max_error 0.3,
     * tolerances 0.1, no floor (its window 7d). */
    CHECK_EQ_I64(p.lead_time_s, 300);
    CHECK_EQ_I64(p.window_s, 900);
    CHECK_EQ_I64(p.margin, DECIDE_MARGIN_80);
    CHECK_EQ_I64(p.min_replicas, 1);
    CHECK_EQ_I64(p.max_replicas, 10);
    CHECK_NEAR(p.up.capacity, 4, 0);
    CHECK_NEAR(p.up.per_minute, 4, 0);
    CHECK_NEAR(p.down.capacity, 1, 0);
    CHECK_NEAR(p.down.per_minute, 1, 0);
    CHECK_EQ_I64(p.stabilization_s, 300);
    CHECK_EQ_I64(p.cooldown_s, 180);
    CHECK_NEAR(p.max_error, 0.3, 0);
    CHECK_NEAR(p.tolerance_up, 0.1, 0);
    CHECK_NEAR(p.tolerance_down, 0.1, 0);
    CHECK_NEAR(p.floor_quantile, 0, 0);
    CHECK_EQ_I64(p.floor_window_s, 7 * 86400);
    cfg_free(c);
}

static void test_queue_fields(void)
{
    cfg_config *c = load("  - name: worker\n"
                         "    mode: queue\n"
                         "    arrival_rate: jobs\n"
                         "    service_time: 50ms\n"
                         "    target_latency: 500ms\n"
                         "    capacity_per_replica: 40\n"
                         "  - name: worker2\n"
                         "    mode: queue\n"
                         "    arrival_rate: jobs\n"
                         "    service_time: 'svc_seconds{queue=\"jobs\"}'\n"
                         "    target_latency: 2s\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    decide_params p;
    CHECK_EQ_I64(cfg_scaler_decide_params(&c->scalers[0], &p, NULL), AUG_OK);
    CHECK_EQ_I64(p.mode, DECIDE_MODE_QUEUE);
    CHECK_NEAR(p.target, 1, 0);
    CHECK_NEAR(p.service_time_s, 0.05, 1e-15);
    CHECK_NEAR(p.target_latency_s, 0.5, 1e-15);
    CHECK_NEAR(p.concurrency, 2, 1e-12); /* 40 jobs/s × 50 ms */
    CHECK_NEAR(p.concurrency / p.service_time_s, 40, 1e-9);
    CHECK_EQ_I64(cfg_scaler_decide_params(&c->scalers[1], &p, NULL), AUG_OK);
    CHECK_NEAR(p.service_time_s, 0.05, 0); /* selector: the engine's fallback */
    CHECK_NEAR(p.target_latency_s, 2, 0);
    CHECK_NEAR(p.concurrency, 1, 0);
    cfg_free(c);
}

/* What the engine cannot honour is refused by config validation
 * (test_config.c, test_errors_engine_limits); a hand-built scaler whose
 * mapping fails decide_params_check is AUG_EINVAL with the reason. */
static void test_invalid_result_is_refused(void)
{
    cfg_config *c = load("  - name: b\n"
                         "    forecast: cpu\n"
                         "    replicas: 'r'\n"
                         "    target: 0.5\n");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    cfg_scaler b = c->scalers[0];
    b.target = 2;
    decide_params p = {0}, before;
    memset(&before, 0, sizeof before);
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(cfg_scaler_decide_params(&b, &p, &eb), AUG_EINVAL);
    CHECK_STR(eb.msg, "scaler 'b': decide: target 2 not in (0, 1]");
    CHECK(memcmp(&p, &before, sizeof p) == 0); /* untouched */
    CHECK_EQ_I64(cfg_scaler_decide_params(NULL, &p, NULL), AUG_EINVAL);
    cfg_free(c);
}

CHECK_MAIN(CHECK_CASE(test_utilization_fields), CHECK_CASE(test_defaults_follow_the_config_table),
           CHECK_CASE(test_queue_fields), CHECK_CASE(test_invalid_result_is_refused))
