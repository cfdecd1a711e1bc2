/* Unit tests for src/decide/decide.c: every rule with hand-computed
 * expectations (the arithmetic is in the comment above each check).
 *
 * Unless a test says otherwise the scaler is: utilization mode, one replica
 * serves 10 units, target 50% (so a replica carries 5 at target), lead 10
 * min, window 5 min, margin none, replicas [1, 50], no buckets, no
 * stabilization, no cooldown, tolerances 10%. Forecast points are 5 min
 * apart starting 5 min after now, so W = [+10, +15] are points 1 and 2. */
#include "util/common.h"
#include "decide/decide.h"

#include "../check.h"

#define T0 INT64_C(1700000000)
#define STEP 300

static decide_params base_params(void)
{
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    p.capacity_per_replica = 10;
    p.target = 0.5;
    p.lead_time_s = 600;
    p.window_s = 300;
    p.margin = DECIDE_MARGIN_NONE;
    p.min_replicas = 1;
    p.max_replicas = 50;
    p.up = (decide_bucket){0, 0};
    p.down = (decide_bucket){0, 0};
    p.stabilization_s = 0;
    p.cooldown_s = 0;
    p.max_error = 0.5;
    p.tolerance_up = 0.1;
    p.tolerance_down = 0.1;
    return p;
}

static decide_params queue_params(void)
{
    decide_params p = base_params();
    p.mode = DECIDE_MODE_QUEUE;
    p.target = 1;
    p.capacity_per_replica = 0;
    p.max_replicas = 100;
    p.service_time_s = 0.05;
    p.target_latency_s = 0.5;
    p.concurrency = 1;
    return p;
}

typedef struct path_buf {
    decide_point pts[32];
    decide_forecast_path fc;
} path_buf;

/* A path from `origin` with the given means; hi80 = mean + 7, hi95 = mean +
 * 17.5, lower bounds symmetric. */
static const decide_forecast_path *mkpath(path_buf *b, int64_t origin, const double *means, size_t n,
                                          decide_model_state ms, double err)
{
    for (size_t i = 0; i < n; i++)
        b->pts[i] = (decide_point){.mean = means[i],
                                   .lo80 = means[i] - 7,
                                   .hi80 = means[i] + 7,
                                   .lo95 = means[i] - 17.5,
                                   .hi95 = means[i] + 17.5};
    b->fc = (decide_forecast_path){.origin_s = origin,
                                   .step_s = STEP,
                                   .model = ms,
                                   .recent_error = err,
                                   .n = n,
                                   .cap = AUG_ARRAY_LEN(b->pts),
                                   .points = b->pts};
    return &b->fc;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A flat forecast of `load` over 12 steps and the same observed load. */
static decide_output eval_flat(const decide_params *p, decide_state *st, int64_t t, int32_t cur, double load)
{
    double m[12];
    for (int i = 0; i < 12; i++)
        m[i] = load;
    path_buf pb;
    decide_input in = {.now_s = t, .current_replicas = cur, .observed = load,
                       .fc = mkpath(&pb, t, m, 12, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    aug_errbuf eb = {{0}};
    aug_err e = decide_evaluate(p, st, &in, &out, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "decide_evaluate: %s\n", aug_errmsg(&eb, e));
        memset(&out, 0, sizeof out);
        out.desired = -1;
    }
    return out;
}

/* desired = ceil(peak of the chosen bound over W / (capacity × target));
 * a spike before now+lead does not count for scale-up. */
static void test_utilization_formula(void)
{
    decide_params p = base_params();
    decide_state st;
    decide_state_init(&st, &p);
    /* +5: 100 (before the lead), W: +10 = 30, +15 = 35; later 10. */
    double m[] = {100, 30, 35, 10, 10, 10};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 4, .observed = 20,
                       .fc = mkpath(&pb, T0, m, 6, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* 35 / (10 × 0.5) = 7 > 4 × 1.1 → 7 */
    CHECK_EQ_I64(out.desired, 7);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_UP_NOW);
    CHECK_NEAR(out.need, 7.0, 1e-12);
    CHECK_EQ_I64(out.recommended, 7);
    CHECK_NEAR(out.predicted_peak, 100.0, 0);
    CHECK(!out.fell_back);
    CHECK_EQ_I64(out.limits, 0);
    CHECK_STR(out.reason, "load 20 now, mean forecast 35 at +15 min; 4 replicas carry 20 at 50% target → "
                          "+3 replicas (4 → 7), ready by +10 min");
    CHECK_EQ_I64(st.last_action_s, T0);
}

/* The margin picks the upper bound of the 80% or 95% interval. */
static void test_utilization_margin(void)
{
    double m[] = {100, 30, 35, 10, 10, 10};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 4, .observed = 20,
                       .fc = mkpath(&pb, T0, m, 6, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    decide_state st;

    decide_params p = base_params();
    p.margin = DECIDE_MARGIN_80;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* hi80 = 35 + 7 = 42 → 42 / 5 = 8.4 → 9 */
    CHECK_EQ_I64(out.desired, 9);
    CHECK_NEAR(out.need, 8.4, 1e-12);
    CHECK_NEAR(out.predicted_peak, 107.0, 0);
    CHECK_STR(out.reason, "load 20 now, upper-80 forecast 42 at +15 min; 4 replicas carry 20 at 50% target → "
                          "+5 replicas (4 → 9), ready by +10 min");

    p.margin = DECIDE_MARGIN_95;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* hi95 = 35 + 17.5 = 52.5 → 10.5 → 11 */
    CHECK_EQ_I64(out.desired, 11);
    CHECK_NEAR(out.need, 10.5, 1e-12);
}

/* capacity_per_replica 0: the load is a utilization of the current
 * replicas, need = current × load / target (HPA's formula, forecast). */
static void test_utilization_fraction(void)
{
    decide_params p = base_params();
    p.capacity_per_replica = 0;
    p.target = 0.7;
    decide_state st;
    decide_state_init(&st, &p);
    double m[] = {0.84, 0.84, 0.84, 0.84};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 10, .observed = 0.6,
                       .fc = mkpath(&pb, T0, m, 4, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* 10 × 0.84 / 0.7 = 12 (12.000000000000002 in doubles: still 12) */
    CHECK_EQ_I64(out.desired, 12);
    CHECK_STR(out.reason, "utilization 60% now, mean forecast 84% at +10 min over 10 replicas, target 70% → "
                          "+2 replicas (10 → 12), ready by +10 min");
}

/* Scale-down is immediate, so nothing needed in [now, now+lead+window] or
 * by the load observed now may be removed. */
static void test_scale_down_covers_lead(void)
{
    decide_params p = base_params();
    decide_state st;
    decide_state_init(&st, &p);
    double flat[] = {15, 15, 15, 15, 15, 15};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 10, .observed = 20,
                       .fc = mkpath(&pb, T0, flat, 6, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* max(forecast 15, observed 20) / 5 = 4 < 10 × 0.9 → 4 */
    CHECK_EQ_I64(out.desired, 4);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);
    CHECK_STR(out.reason, "load 20 now, mean forecast at most 15 until +15 min; 10 replicas carry 50 at 50% "
                          "target → -6 replicas (10 → 4)");

    /* A 40 at +5 min (before the lead) still holds 40 / 5 = 8 replicas. */
    double spike[] = {40, 15, 15, 15, 15, 15};
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, spike, 6, DECIDE_MODEL_READY, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 8);
    CHECK_NEAR(out.need, 8.0, 1e-12);
}

/* No change within the tolerance; just outside it, ceil(need). */
static void test_tolerance(void)
{
    decide_params p = base_params();
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out = eval_flat(&p, &st, T0, 10, 54.5); /* 10.9 <= 11 */
    CHECK_EQ_I64(out.desired, 10);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
    CHECK(out.limits & DECIDE_LIMIT_TOLERANCE);
    CHECK(strstr(out.reason, "hold 10 replicas; 10.9 needed is within the 10% tolerance") != NULL);
    out = eval_flat(&p, &st, T0 + 60, 10, 55.5); /* 11.1 > 11 → 12 */
    CHECK_EQ_I64(out.desired, 12);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_TOLERANCE, 0);

    decide_state_init(&st, &p);
    out = eval_flat(&p, &st, T0, 10, 45.5); /* 9.1 >= 9, and ceil is 10 anyway */
    CHECK_EQ_I64(out.desired, 10);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_TOLERANCE, 0);
    out = eval_flat(&p, &st, T0 + 30, 10, 45); /* 9 >= 9: 9 would be a change */
    CHECK_EQ_I64(out.desired, 10);
    CHECK(out.limits & DECIDE_LIMIT_TOLERANCE);
    CHECK(strstr(out.reason, "hold 10 replicas; 9 needed is within the 10% tolerance") != NULL);
    out = eval_flat(&p, &st, T0 + 60, 10, 44.5); /* 8.9 < 9 → 9 */
    CHECK_EQ_I64(out.desired, 9);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);

    /* Separate sensitivities: up 50%, down 0%. */
    p.tolerance_up = 0.5;
    p.tolerance_down = 0;
    decide_state_init(&st, &p);
    out = eval_flat(&p, &st, T0, 10, 74); /* 14.8 <= 15 */
    CHECK_EQ_I64(out.desired, 10);
    out = eval_flat(&p, &st, T0 + 60, 10, 49); /* 9.8 < 10 → ceil 10: no change */
    CHECK_EQ_I64(out.desired, 10);
    out = eval_flat(&p, &st, T0 + 120, 10, 44); /* 8.8 → 9 */
    CHECK_EQ_I64(out.desired, 9);
}

static void test_clamp(void)
{
    decide_params p = base_params();
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out = eval_flat(&p, &st, T0, 10, 300); /* 60 → max 50 */
    CHECK_EQ_I64(out.desired, 50);
    CHECK_EQ_I64(out.recommended, 50);
    CHECK(out.limits & DECIDE_LIMIT_MAX);
    CHECK(strstr(out.reason, "+40 replicas (10 → 50), ready by +10 min; capped at max 50") != NULL);

    p.min_replicas = 2;
    decide_state_init(&st, &p);
    out = eval_flat(&p, &st, T0, 3, 0); /* 0 → min 2 */
    CHECK_EQ_I64(out.desired, 2);
    CHECK(out.limits & DECIDE_LIMIT_MIN);
    CHECK(strstr(out.reason, "-1 replica (3 → 2); raised to min 2") != NULL);

    /* Above max and within the tolerance: the bound still wins. */
    decide_state_init(&st, &p);
    out = eval_flat(&p, &st, T0, 60, 295); /* 59 >= 54: hold 60 → max 50 */
    CHECK_EQ_I64(out.desired, 50);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);
    CHECK(out.limits & DECIDE_LIMIT_MAX);
}

/* HPA stabilization: a scale-down goes only to the highest recommendation
 * in (t - 300 s, t]; scale-up is immediate. */
static void test_stabilization_window(void)
{
    decide_params p = base_params();
    p.stabilization_s = 300;
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out = eval_flat(&p, &st, T0, 10, 50); /* rec 10 */
    CHECK_EQ_I64(out.desired, 10);
    out = eval_flat(&p, &st, T0 + 60, 10, 30); /* rec 6, window max 10 */
    CHECK_EQ_I64(out.recommended, 6);
    CHECK_EQ_I64(out.desired, 10);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
    CHECK(out.limits & DECIDE_LIMIT_STABILIZED);
    CHECK(strstr(out.reason, "hold 10 replicas; scale-down to 6 held at 10: highest recommendation in the last "
                             "5 min") != NULL);
    out = eval_flat(&p, &st, T0 + 120, 10, 40); /* rec 8, max 10 */
    CHECK_EQ_I64(out.desired, 10);
    /* t+300: the 10 at t is out ((t, t+300] excludes t); the 6 was dropped
     * when the 8 came; max(8, 5) = 8. */
    out = eval_flat(&p, &st, T0 + 300, 10, 25);
    CHECK_EQ_I64(out.recommended, 5);
    CHECK_EQ_I64(out.desired, 8);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);
    CHECK(out.limits & DECIDE_LIMIT_STABILIZED);
    out = eval_flat(&p, &st, T0 + 360, 8, 25); /* 8 at t+120 still in */
    CHECK_EQ_I64(out.desired, 8);
    out = eval_flat(&p, &st, T0 + 420, 8, 25); /* t+120 out: max 5 */
    CHECK_EQ_I64(out.desired, 5);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_STABILIZED, 0);
    out = eval_flat(&p, &st, T0 + 480, 5, 60); /* up: immediate */
    CHECK_EQ_I64(out.desired, 12);
    CHECK(decide_state_check(&st));
}

static void test_cooldown(void)
{
    decide_params p = base_params();
    p.cooldown_s = 300;
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out = eval_flat(&p, &st, T0, 4, 40); /* 8 */
    CHECK_EQ_I64(out.desired, 8);
    out = eval_flat(&p, &st, T0 + 100, 8, 60); /* wants 12, 100 s < 300 s */
    CHECK_EQ_I64(out.desired, 8);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
    CHECK(out.limits & DECIDE_LIMIT_COOLDOWN);
    CHECK(strstr(out.reason, "; wanted 12, but the last action was 1 min 40 s ago (cooldown 5 min)") != NULL);
    out = eval_flat(&p, &st, T0 + 299, 8, 60);
    CHECK_EQ_I64(out.desired, 8);
    out = eval_flat(&p, &st, T0 + 300, 8, 60); /* 300 s: allowed */
    CHECK_EQ_I64(out.desired, 12);
    out = eval_flat(&p, &st, T0 + 400, 12, 20); /* down also waits */
    CHECK_EQ_I64(out.desired, 12);
    CHECK(out.limits & DECIDE_LIMIT_COOLDOWN);
    /* Held replicas do not restart the cooldown: 300 s after T0+300. */
    out = eval_flat(&p, &st, T0 + 600, 12, 20);
    CHECK_EQ_I64(out.desired, 4);
}

/* Scale-up bucket {4 tokens, 2/min}: exhaustion and refill. */
static void test_bucket_up(void)
{
    decide_params p = base_params();
    p.up = (decide_bucket){4, 2};
    decide_state st;
    decide_state_init(&st, &p);
    CHECK_NEAR(st.tokens_up, 4, 0);
    decide_output out = eval_flat(&p, &st, T0, 2, 50); /* wants 10: +8, 4 tokens */
    CHECK_EQ_I64(out.desired, 6);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_UP_NOW);
    CHECK(out.limits & DECIDE_LIMIT_BUCKET_UP);
    CHECK_NEAR(st.tokens_up, 0, 0);
    CHECK(strstr(out.reason, "; wanted +8, the scale-up budget allows 4 (4 tokens, refill 2/min)") != NULL);
    out = eval_flat(&p, &st, T0 + 30, 6, 50); /* 30 s × 2/min = 1 token */
    CHECK_EQ_I64(out.desired, 7);
    CHECK_NEAR(st.tokens_up, 0, 1e-12);
    out = eval_flat(&p, &st, T0 + 30, 7, 50); /* empty */
    CHECK_EQ_I64(out.desired, 7);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
    CHECK(out.limits & DECIDE_LIMIT_BUCKET_UP);
    out = eval_flat(&p, &st, T0 + 150, 7, 50); /* +4 tokens; +3 used */
    CHECK_EQ_I64(out.desired, 10);
    CHECK_NEAR(st.tokens_up, 1, 1e-12);
    out = eval_flat(&p, &st, T0 + 1000, 10, 100); /* refill capped at 4 */
    CHECK_EQ_I64(out.desired, 14);
    CHECK_NEAR(st.tokens_up, 0, 1e-12);
}

/* Scale-down bucket {1, 1/min}, independent of the scale-up one. */
static void test_bucket_down(void)
{
    decide_params p = base_params();
    p.up = (decide_bucket){4, 4};
    p.down = (decide_bucket){1, 1};
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out = eval_flat(&p, &st, T0, 10, 20); /* wants 4 */
    CHECK_EQ_I64(out.desired, 9);
    CHECK(out.limits & DECIDE_LIMIT_BUCKET_DOWN);
    CHECK_NEAR(st.tokens_up, 4, 0);
    out = eval_flat(&p, &st, T0 + 30, 9, 20); /* 0.5 token */
    CHECK_EQ_I64(out.desired, 9);
    CHECK(out.limits & DECIDE_LIMIT_BUCKET_DOWN);
    CHECK(strstr(out.reason, "scale-down budget allows 0 (0.5 tokens, refill 1/min)") != NULL);
    out = eval_flat(&p, &st, T0 + 60, 9, 20); /* 1 token */
    CHECK_EQ_I64(out.desired, 8);
    CHECK_NEAR(st.tokens_down, 0, 1e-12);
}

/* Confidence gating: cold model, high error, short or broken path, no path. */
static void test_gating_fallback(void)
{
    decide_params p = base_params();
    decide_state st;
    double big[] = {1000, 1000, 1000, 1000};
    double sixty[] = {60, 60, 60, 60};
    path_buf pb;
    decide_output out;
    decide_input in = {.now_s = T0, .current_replicas = 4, .observed = 30};

    /* Cold: reactive on the observed load, 30 / 5 = 6. */
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, big, 4, DECIDE_MODEL_COLD, (double)NAN);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(out.fell_back);
    CHECK_NEAR(out.predicted_peak, 30, 0);
    CHECK_STR(out.reason, "model in cold start → reactive rule: load 30 now; 4 replicas carry 20 at 50% target → "
                          "+2 replicas (4 → 6), ready by +10 min");

    /* Error 60% > 50%. */
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, big, 4, DECIDE_MODEL_READY, 0.6);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(out.fell_back);
    CHECK(starts(out.reason, "recent forecast error 60% > 50% → reactive rule: "));

    /* Error 40%, unknown error, or gating off: the forecast decides (60 / 5 = 12). */
    double errs[] = {0.4, (double)NAN, 5.0};
    for (int i = 0; i < 3; i++) {
        decide_params q = p;
        if (i == 2)
            q.max_error = 0;
        decide_state_init(&st, &q);
        in.fc = mkpath(&pb, T0, sixty, 4, DECIDE_MODEL_READY, errs[i]);
        CHECK_EQ_I64(decide_evaluate(&q, &st, &in, &out, NULL), AUG_OK);
        CHECK_EQ_I64(out.desired, 12);
        CHECK(!out.fell_back);
    }

    /* Warming: used, and said. */
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, sixty, 4, DECIDE_MODEL_WARMING, (double)NAN);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 12);
    CHECK(starts(out.reason, "model warming: load 30 now"));

    /* Horizon shorter than the lead time. */
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, big, 1, DECIDE_MODEL_READY, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(out.fell_back);
    CHECK(starts(out.reason, "forecast ends at +5 min, before the 10 min lead time → reactive rule"));

    /* A NaN inside the window. */
    double nan_w[] = {60, (double)NAN, 60, 60};
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, nan_w, 4, DECIDE_MODEL_READY, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK(out.fell_back);
    CHECK(starts(out.reason, "forecast not finite at +10 min → reactive rule"));

    /* No path at all; then no observed load either: hold. */
    decide_state_init(&st, &p);
    in.fc = NULL;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(starts(out.reason, "no forecast → reactive rule: load 30 now"));
    in.observed = (double)NAN;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 4);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
    CHECK_STR(out.reason, "no forecast → reactive rule: no observed load → hold 4 replicas");

    /* Reactive rule with a utilization load: 10 × 0.91 / 0.7 = 13. */
    p.capacity_per_replica = 0;
    p.target = 0.7;
    decide_state_init(&st, &p);
    in = (decide_input){.now_s = T0, .current_replicas = 10, .observed = 0.91,
                        .fc = mkpath(&pb, T0, big, 4, DECIDE_MODEL_COLD, (double)NAN)};
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 13);
    CHECK_STR(out.reason, "model in cold start → reactive rule: utilization 91% now over 10 replicas, target 70% → "
                          "+3 replicas (10 → 13), ready by +10 min");
}

/* Queue: arrivals × service time / target / concurrency + queue / latency ×
 * service time / concurrency. */
static void test_queue_formula(void)
{
    decide_params p = queue_params();
    decide_state st;
    decide_state_init(&st, &p);
    double m[] = {150, 200, 200, 100, 100, 100};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 10, .observed = 100, .queue_length = 150,
                       .fc = mkpath(&pb, T0, m, 6, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* 200 × 0.05 = 10 for arrivals; 150 / 0.5 × 0.05 = 15 for the backlog */
    CHECK_EQ_I64(out.desired, 25);
    CHECK_NEAR(out.need, 25, 1e-9);
    CHECK_STR(out.reason, "queue 150, arrivals 100/s now, mean forecast 200/s at +10 min (×2), service time 50 ms "
                          "steady → 25 needed (10 for arrivals + 15 for backlog): +15 replicas (10 → 25) to keep "
                          "wait < 500 ms, ready by +10 min");

    /* Concurrency 2, target 0.8: 200 × 0.05 / 0.8 / 2 + 15 / 2 = 6.25 + 7.5 = 13.75 → 14. */
    p.concurrency = 2;
    p.target = 0.8;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 14);
    CHECK_NEAR(out.need, 13.75, 1e-9);

    /* Observed service time 80 ms replaces the configured 50 ms: 16 + 24 = 40. */
    p = queue_params();
    decide_state_init(&st, &p);
    in.service_time_s = 0.08;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 40);
    CHECK(strstr(out.reason, "service time 80 ms (configured 50 ms) → 40 needed (16 for arrivals + 24 for backlog)") !=
          NULL);

    /* Separate sensitivities: up 50%, down 5%. */
    p.tolerance_up = 0.5;
    p.tolerance_down = 0.05;
    in.service_time_s = 0;
    in.current_replicas = 20;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK); /* 25 <= 30 */
    CHECK_EQ_I64(out.desired, 20);
    CHECK(out.limits & DECIDE_LIMIT_TOLERANCE);
    double m370[] = {370, 370, 370, 370};
    in = (decide_input){.now_s = T0, .current_replicas = 20, .observed = 370,
                        .fc = mkpath(&pb, T0, m370, 4, DECIDE_MODEL_READY, 0.1)};
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK); /* 18.5 < 19 → 19 */
    CHECK_EQ_I64(out.desired, 19);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);
    double m380[] = {380, 380, 380, 380};
    in.observed = 380;
    in.current_replicas = 20;
    in.fc = mkpath(&pb, T0 + 60, m380, 4, DECIDE_MODEL_READY, 0.1);
    in.now_s = T0 + 60;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK); /* 19 >= 20 × 0.95 */
    CHECK_EQ_I64(out.desired, 20);
    CHECK(out.limits & DECIDE_LIMIT_TOLERANCE);
}

/* scale_up_prepared: nothing to do within the window, but the mean crosses
 * the current capacity later in the horizon. */
static void test_prepared(void)
{
    decide_params p = base_params();
    decide_state st;
    decide_state_init(&st, &p);
    double m[] = {15, 15, 15, 15, 15, 15, 15, 15, 40, 30, 15, 15};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 4, .observed = 18,
                       .fc = mkpath(&pb, T0, m, 12, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    /* W: 15 / 5 = 3; hold max(15, 18) / 5 = 3.6, not < 3.6; at +45 min the
     * mean 40 needs 8 > 4.4. */
    CHECK_EQ_I64(out.desired, 4);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_UP_PREPARED);
    CHECK_EQ_I64(st.last_action_s, DECIDE_NEVER);
    CHECK_STR(out.reason, "load 18 now, mean forecast 15 at +10 min; 4 replicas carry 20 at 50% target → hold 4 "
                          "replicas; mean forecast outgrows 4 replicas at +45 min (peak 40 at +45 min): prepare +4 "
                          "(8 replicas)");

    /* Already at max: nothing to prepare. */
    p.max_replicas = 4;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
}

/* Early start: with the scale-up bucket {4, 0.4/min}, one evaluation per
 * 5-min forecast step adds at most a = min(4, 0.4 × 5) = 2 replicas. A mean
 * of 60 at +30 min needs 60 / 5 = 12; the requests still ready by then are
 * the K = (30 - 10) / 5 = 4 later evaluations, so 12 - 4 × 2 = 4 are needed
 * now although W (+10..+15, mean 10) needs only 2. */
static void test_early_start(void)
{
    decide_params p = base_params();
    p.up = (decide_bucket){4, 0.4};
    decide_state st;
    decide_state_init(&st, &p);
    double m[] = {10, 10, 10, 10, 10, 60, 10, 10};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 2, .observed = 10,
                       .fc = mkpath(&pb, T0, m, 8, DECIDE_MODEL_READY, 0.1)};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 4);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_UP_NOW);
    CHECK_NEAR(out.need, 4, 1e-12);
    CHECK_EQ_I64(out.limits, DECIDE_LIMIT_EARLY);
    CHECK_STR(out.reason, "load 10 now, mean forecast 10 at +10 min; 2 replicas carry 10 at 50% target → +2 replicas "
                          "(2 → 4), ready by +10 min; early start: mean forecast 60 at +30 min needs 12, the scale-up "
                          "limit adds at most 2 per 5 min, so 4 now");

    /* The ramp is not scaled back down: at 6 replicas, W alone would go
     * down to 2; the point at +30 min keeps 4. */
    decide_state_init(&st, &p);
    in.current_replicas = 6;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 4);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);

    /* At 10 replicas with 30 observed now, the hold need is 30 / 5 = 6 > 4:
     * the early start did not decide and the reason does not name it. */
    decide_state_init(&st, &p);
    in.current_replicas = 10;
    in.observed = 30;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(strstr(out.reason, "early start") == NULL);
    in.observed = 10;

    /* Reachable in time (the peak at +30 min is 20: 4 - 8 < 2): no early start. */
    m[5] = 20;
    decide_state_init(&st, &p);
    in.current_replicas = 2;
    in.fc = mkpath(&pb, T0, m, 8, DECIDE_MODEL_READY, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 2);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_EARLY, 0);

    /* Without a scale-up bucket nothing needs to start early: 60 at +30
     * min is only prepared for. */
    m[5] = 60;
    p.up = (decide_bucket){0, 0};
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, m, 8, DECIDE_MODEL_READY, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 2);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_UP_PREPARED);

    /* The reactive rule has no path to start early from. */
    p.up = (decide_bucket){4, 0.4};
    decide_state_init(&st, &p);
    in.fc = mkpath(&pb, T0, m, 8, DECIDE_MODEL_COLD, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 2);
    CHECK(out.fell_back);
}

/* The early start under a cooldown, max_replicas and the tolerance (the
 * bucket is {4, 0.4/min}, steps 5 min, the peak 60 at +30 min needs 12). */
static void test_early_start_brakes(void)
{
    decide_params p = base_params();
    p.up = (decide_bucket){4, 0.4};
    decide_state st;
    double m[] = {10, 10, 10, 10, 10, 60, 10, 10};
    path_buf pb;
    decide_input in = {.now_s = T0, .current_replicas = 2, .observed = 10,
                       .fc = mkpath(&pb, T0, m, 8, DECIDE_MODEL_READY, 0.1)};
    decide_output out;

    /* Cooldown 15 min: only every third evaluation may act, each adding
     * min(4, 0.4 × 15) = 4; K = floor(20 / 15) = 1 → 12 - 4 = 8 now, of
     * which the bucket's 4 tokens allow +4. */
    p.cooldown_s = 900;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_NEAR(out.need, 8, 1e-12);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(out.limits & DECIDE_LIMIT_EARLY);
    CHECK(strstr(out.reason, "adds at most 4 per 15 min, so 8 now") != NULL);

    /* max_replicas 6: the ramp aims at 6, not 12: 6 - 4 × 2 < 2, no early
     * start (the unclamped 12 - 8 = 4 would have started one). */
    p.cooldown_s = 0;
    p.max_replicas = 6;
    decide_state_init(&st, &p);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_EQ_I64(out.desired, 2);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_EARLY, 0);

    /* The tolerance does not hold a ramp back: at 40 replicas (W: 200 / 5 =
     * 40), 250 at +30 min needs 50 - 4 × 2 = 42, within 10% of 40, but the
     * ramp needs those 2 now. */
    p.max_replicas = 50;
    double big[] = {200, 200, 200, 200, 200, 250, 200, 200};
    decide_state_init(&st, &p);
    in.current_replicas = 40;
    in.observed = 200;
    in.fc = mkpath(&pb, T0, big, 8, DECIDE_MODEL_READY, 0.1);
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, NULL), AUG_OK);
    CHECK_NEAR(out.need, 42, 1e-12);
    CHECK_EQ_I64(out.desired, 42);
    CHECK_EQ_I64(out.limits, DECIDE_LIMIT_EARLY);
}

/* The history is bounded; past 64 falling values it errs on the side of
 * holding replicas. */
static void test_history_bounded(void)
{
    decide_params p = base_params();
    p.stabilization_s = 100;
    p.tolerance_down = 0;
    p.max_replicas = 300;
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out;
    for (int t = 0; t < 100; t++) {
        out = eval_flat(&p, &st, T0 + t, 200, 5.0 * (200 - t)); /* rec 200 - t */
        CHECK_EQ_I64(out.recommended, 200 - t);
        CHECK_EQ_I64(out.desired, 200);
        CHECK(decide_state_check(&st));
    }
    CHECK_EQ_I64(st.hist_len, DECIDE_HISTORY_MAX);
    /* t = 100: the 200 at t = 0 expires; 199 (t = 1) is the exact maximum. */
    out = eval_flat(&p, &st, T0 + 100, 200, 250);
    CHECK_EQ_I64(out.desired, 199);
    /* t = 164: exact maximum of (64, 164] is 135 (t = 65); the newest full
     * entry absorbed 136..101 and keeps 137 alive: conservative by 2. */
    out = eval_flat(&p, &st, T0 + 164, 200, 250);
    CHECK_EQ_I64(out.desired, 137);
    CHECK(decide_state_check(&st));
}

/* Bad params, input or state: AUG_EINVAL, nothing written. */
static void test_invalid(void)
{
    decide_params good = base_params();
    decide_state st, st0;
    decide_state_init(&st, &good);
    memcpy(&st0, &st, sizeof st);
    decide_output out, out0;
    memset(&out, 0xAB, sizeof out);
    memcpy(&out0, &out, sizeof out);
    aug_errbuf eb = {{0}};
    decide_input in = {.now_s = T0, .current_replicas = 4, .observed = 30};

    decide_params p = good;
    p.target = 0;
    CHECK_EQ_I64(decide_evaluate(&p, &st, &in, &out, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "target") != NULL);
    p = good;
    p.max_replicas = 0;
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "max_replicas") != NULL);
    p = good;
    p.up = (decide_bucket){0.5, 1};
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);
    p = good;
    p.mode = DECIDE_MODE_QUEUE;
    p.service_time_s = 0;
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "service_time") != NULL);
    p = good;
    p.capacity_per_replica = 0;
    p.min_replicas = 0;
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);
    p = good;
    p.floor_quantile = 1.5;
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "floor_quantile") != NULL);
    p = good;
    p.floor_quantile = 0.5;
    p.floor_window_s = 1800;
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "floor_window") != NULL);
    p.floor_window_s = (DECIDE_FLOOR_HOURS + 1) * INT64_C(3600);
    CHECK_EQ_I64(decide_params_check(&p, &eb), AUG_EINVAL);

    in.current_replicas = -1;
    CHECK_EQ_I64(decide_evaluate(&good, &st, &in, &out, &eb), AUG_EINVAL);
    in.current_replicas = 4;
    in.observed = (double)INFINITY;
    CHECK_EQ_I64(decide_evaluate(&good, &st, &in, &out, &eb), AUG_EINVAL);
    in.observed = -1;
    CHECK_EQ_I64(decide_evaluate(&good, &st, &in, &out, &eb), AUG_EINVAL);
    in.observed = 30;
    decide_point pts[3] = {{0}};
    decide_forecast_path fc = {.origin_s = T0, .step_s = STEP, .n = 5, .cap = 3, .points = pts};
    in.fc = &fc;
    CHECK_EQ_I64(decide_evaluate(&good, &st, &in, &out, &eb), AUG_EINVAL);
    fc.n = 3;
    fc.step_s = 0;
    CHECK_EQ_I64(decide_evaluate(&good, &st, &in, &out, &eb), AUG_EINVAL);
    fc.step_s = STEP;
    fc.points = NULL;
    CHECK_EQ_I64(decide_evaluate(&good, &st, &in, &out, &eb), AUG_EINVAL);
    in.fc = NULL;
    decide_state bad = st;
    bad.hist_len = DECIDE_HISTORY_MAX + 1;
    CHECK_EQ_I64(decide_evaluate(&good, &bad, &in, &out, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "invariants") != NULL);

    CHECK(memcmp(&st, &st0, sizeof st) == 0);
    CHECK(memcmp(&out, &out0, sizeof out) == 0);
}

/* The scale-down floor: the lowest need of the observed load (load / 5
 * here) per UTC hour; a scale-down stops at ceil(quantile of the closed
 * hours' lows in the window), and the floor never scales up by itself. */
static void test_scale_down_floor(void)
{
    decide_params p = base_params();
    p.floor_quantile = 0.5;
    p.floor_window_s = 4 * 3600;
    decide_state st;
    decide_state_init(&st, &p);
    const int64_t h0 = INT64_C(1699999200); /* 472222 × 3600: an hour's start */

    /* Hour 0: loads 30 and 20 need 6 and 4 → low 4. No hour is closed yet,
     * so there is no floor: 10 → 6 → 4 go through. */
    decide_output out = eval_flat(&p, &st, h0, 10, 30);
    CHECK_EQ_I64(out.floor, -1);
    CHECK_EQ_I64(out.desired, 6);
    out = eval_flat(&p, &st, h0 + 1800, 6, 20);
    CHECK_EQ_I64(out.desired, 4);
    /* Hour 1: 40 → 8. Hour 2: nothing observed. Hour 3: 15 and 10 → 2. */
    out = eval_flat(&p, &st, h0 + 3600, 4, 40);
    CHECK_EQ_I64(out.floor, 4); /* only hour 0 is closed: its 4 */
    CHECK_EQ_I64(out.desired, 8);
    out = eval_flat(&p, &st, h0 + 3 * 3600, 8, 15);
    out = eval_flat(&p, &st, h0 + 3 * 3600 + 600, 8, 10);
    /* Hour 3 is open; closed, newest first: hour 2 (nothing), 1, 0. */
    CHECK_EQ_I64(st.floor_hour, 472225);
    CHECK(isnan(st.floor_lows[0]));
    CHECK_NEAR(st.floor_lows[1], 8, 0);
    CHECK_NEAR(st.floor_lows[2], 4, 0);
    CHECK_NEAR(st.floor_low, 2, 0);

    /* Hour 4, cur 10, load 5 → need 1 → rec 1. Closed hours in the 4 h
     * window: 3 → 2, 2 → none, 1 → 8, 0 → 4; the median of {2, 4, 8} (the
     * smallest with at least half at or below it) is 4 → the scale-down
     * stops at 4. */
    out = eval_flat(&p, &st, h0 + 4 * 3600, 10, 5);
    CHECK_EQ_I64(out.recommended, 1);
    CHECK_EQ_I64(out.floor, 4);
    CHECK_EQ_I64(out.desired, 4);
    CHECK_EQ_I64(out.action, DECIDE_SCALE_DOWN);
    CHECK(out.limits & DECIDE_LIMIT_FLOOR);
    CHECK(strstr(out.reason, "-6 replicas (10 → 4); floor 4 (the median hour of the last 4 h needed at least 4): "
                             "scale-down to 1 held at 4") != NULL);
    /* Below the floor already: holds 3, does not scale up to 4. */
    out = eval_flat(&p, &st, h0 + 4 * 3600 + 60, 3, 5);
    CHECK_EQ_I64(out.desired, 3);
    CHECK_EQ_I64(out.action, DECIDE_HOLD);
    CHECK(strstr(out.reason, "hold 3 replicas; floor 4 (the median hour of the last 4 h needed at least 4): "
                             "scale-down to 1 held at 3") != NULL);
    /* A scale-up is the forecast's: 60 → 12, the floor is not named. */
    out = eval_flat(&p, &st, h0 + 4 * 3600 + 120, 3, 60);
    CHECK_EQ_I64(out.desired, 12);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_FLOOR, 0);
    CHECK(strstr(out.reason, "floor") == NULL);

    /* A burst does not raise an hour's low: hour 4's is 1. At hour 7 the
     * window holds hours 6, 5 (nothing), 4 (1) and 3 (2); hours 0-2 have
     * left it. The median of {1, 2} is 1: no floor above the need. */
    out = eval_flat(&p, &st, h0 + 7 * 3600, 12, 5);
    CHECK_NEAR(st.floor_lows[2], 1, 0);
    CHECK_EQ_I64(out.floor, 1);
    CHECK_EQ_I64(out.desired, 1);
    CHECK_EQ_I64(out.limits & DECIDE_LIMIT_FLOOR, 0);
    /* The 75th percentile of the same hours is 2; the reason names p75. */
    decide_params p75 = p;
    p75.floor_quantile = 0.75;
    decide_state st75;
    decide_state_init(&st75, &p75);
    for (int h = 0; h < 4; h++) /* lows 1.4, 4.6, none, 2 */
        if (h != 2)
            (void)eval_flat(&p75, &st75, h0 + h * 3600, 5, h == 0 ? 7 : h == 1 ? 23 : 10);
    out = eval_flat(&p75, &st75, h0 + 4 * 3600, 12, 5);
    CHECK_EQ_I64(out.desired, 5);
    CHECK(strstr(out.reason, "floor 5 (the p75 hour of the last 4 h needed at least 4.6)") != NULL);

    /* More than 336 idle hours forget everything: no floor. */
    out = eval_flat(&p, &st, h0 + 400 * 3600, 12, 5);
    CHECK_EQ_I64(out.floor, -1);
    CHECK_EQ_I64(out.desired, 1);
    CHECK(decide_state_check(&st));

    /* Without the floor nothing is tracked. */
    decide_params off = base_params();
    decide_state so;
    decide_state_init(&so, &off);
    out = eval_flat(&off, &so, h0, 10, 5);
    out = eval_flat(&off, &so, h0 + 7200, 10, 5);
    CHECK_EQ_I64(out.floor, -1);
    CHECK_EQ_I64(so.floor_hour, DECIDE_NEVER);

    /* Utilization as a fraction: the need is current × load / target, so 4
     * replicas at 50% (target 50%) need 4, and that is the floor an hour on. */
    decide_params fr = base_params();
    fr.capacity_per_replica = 0;
    fr.floor_quantile = 0.5;
    fr.floor_window_s = 3600;
    decide_state sf;
    decide_state_init(&sf, &fr);
    out = eval_flat(&fr, &sf, h0, 4, 0.5);
    out = eval_flat(&fr, &sf, h0 + 3600, 4, 0.1);
    CHECK_EQ_I64(out.recommended, 1);
    CHECK_EQ_I64(out.desired, 4);
    CHECK(out.limits & DECIDE_LIMIT_FLOOR);
}

/* The floor over many hours of varied lows equals a sorted reference's,
 * for several quantiles and a window shorter than the history (the
 * selection in floor_need reorders its copy, never the answer). One
 * evaluation per hour at load 5 × (r + 0.5) makes each hour's low r + 0.5
 * (exact in a float), so the floor is ceil = r + 1 of the chosen hour. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_floor_quantile_matches_a_sort(void)
{
    static const double qs[] = {0.01, 0.25, 0.5, 0.9, 1};
    const int64_t h0 = INT64_C(1699999200);
    uint32_t seed = 12345;
    for (size_t qi = 0; qi < AUG_ARRAY_LEN(qs); qi++) {
        decide_params p = base_params();
        p.floor_quantile = qs[qi];
        p.floor_window_s = 48 * 3600;
        decide_state st;
        decide_state_init(&st, &p);
        double lows[120];
        bool all_ok = true;
        for (int h = 0; h < 120; h++) {
            seed = seed * 1103515245u + 12345u;
            int r = (int)((seed >> 16) % 49);
            decide_output out = eval_flat(&p, &st, h0 + h * INT64_C(3600), 50, 5.0 * (r + 0.5));
            int from = h > 48 ? h - 48 : 0, n = h - from;
            int32_t want = -1;
            if (n > 0) {
                double v[48];
                memcpy(v, lows + from, (size_t)n * sizeof *v);
                qsort(v, (size_t)n, sizeof *v, cmp_double);
                int k = (int)ceil(qs[qi] * n - 1e-9);
                want = (int32_t)ceil(v[(k < 1 ? 1 : k) - 1]);
            }
            if (out.floor != want) {
                fprintf(stderr, "  q %g hour %d: floor %d, sorted reference %d\n", qs[qi], h, (int)out.floor,
                        (int)want);
                all_ok = false;
            }
            lows[h] = r + 0.5;
        }
        CHECK(all_ok);
    }
}

/* A clock step backwards refills nothing and keeps the state's time. */
static void test_clock_backwards(void)
{
    decide_params p = base_params();
    p.up = (decide_bucket){4, 60};
    decide_state st;
    decide_state_init(&st, &p);
    decide_output out = eval_flat(&p, &st, T0 + 1000, 2, 50); /* +4 */
    CHECK_EQ_I64(out.desired, 6);
    out = eval_flat(&p, &st, T0 + 500, 6, 50);
    CHECK_EQ_I64(out.desired, 6);
    CHECK(out.limits & DECIDE_LIMIT_BUCKET_UP);
    CHECK_EQ_I64(st.last_eval_s, T0 + 1000);
    out = eval_flat(&p, &st, T0 + 1001, 6, 50); /* 1 s × 60/min = 1 token */
    CHECK_EQ_I64(out.desired, 7);
}

static void test_names_and_defaults(void)
{
    CHECK_STR(decide_action_name(DECIDE_HOLD), "hold");
    CHECK_STR(decide_action_name(DECIDE_SCALE_UP_NOW), "scale_up_now");
    CHECK_STR(decide_action_name(DECIDE_SCALE_UP_PREPARED), "scale_up_prepared");
    CHECK_STR(decide_action_name(DECIDE_SCALE_DOWN), "scale_down");
    CHECK_STR(decide_action_name((decide_action)9), "?");
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    CHECK_EQ_I64(decide_params_check(&p, NULL), AUG_OK);
    CHECK_NEAR(p.target, 0.7, 0);
    CHECK_EQ_I64(p.stabilization_s, 300);
    decide_params_init(&p, DECIDE_MODE_QUEUE);
    CHECK_EQ_I64(decide_params_check(&p, NULL), AUG_OK);
    decide_state st;
    decide_state_init(&st, &p);
    CHECK(decide_state_check(&st));
    CHECK_NEAR(st.tokens_up, 4, 0);
    CHECK_NEAR(st.tokens_down, 1, 0);
}

/* The horizon whose error gates a scaler: the first at or beyond the lead
 * time, else the longest (the daemon and augurctl simulate both ask). */
static void test_gate_horizon(void)
{
    const int64_t h[] = {300, 900, 3600, 14400};
    CHECK_EQ_I64(decide_gate_horizon(h, 4, 0), 0);
    CHECK_EQ_I64(decide_gate_horizon(h, 4, 300), 0);
    CHECK_EQ_I64(decide_gate_horizon(h, 4, 301), 1);
    CHECK_EQ_I64(decide_gate_horizon(h, 4, 600), 1);
    CHECK_EQ_I64(decide_gate_horizon(h, 4, 3600), 2);
    CHECK_EQ_I64(decide_gate_horizon(h, 4, 86400), 3);
    CHECK_EQ_I64(decide_gate_horizon(h + 2, 1, 600), 0);
}

CHECK_MAIN(CHECK_CASE(test_utilization_formula), CHECK_CASE(test_utilization_margin),
           CHECK_CASE(test_utilization_fraction), CHECK_CASE(test_scale_down_covers_lead), CHECK_CASE(test_tolerance),
           CHECK_CASE(test_clamp), CHECK_CASE(test_stabilization_window), CHECK_CASE(test_cooldown),
           CHECK_CASE(test_bucket_up), CHECK_CASE(test_bucket_down), CHECK_CASE(test_gating_fallback),
           CHECK_CASE(test_queue_formula), CHECK_CASE(test_prepared), CHECK_CASE(test_early_start), CHECK_CASE(test_early_start_brakes), CHECK_CASE(test_history_bounded), CHECK_CASE(test_scale_down_floor), CHECK_CASE(test_floor_quantile_matches_a_sort),
           CHECK_CASE(test_invalid), CHECK_CASE(test_clock_backwards), CHECK_CASE(test_names_and_defaults),
           CHECK_CASE(test_gate_horizon))
