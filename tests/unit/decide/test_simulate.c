/* Unit tests for src/decide/simulate.c on synthetic traces whose right
 * answers are worked out by hand in the comments.
 *
 * The step trace: 30 one-minute steps, demand 10 for steps 0-9, 30 for
 * 10-19, 10 for 20-29. One replica serves 10 at 100%, target 50%, so the
 * need is demand / 5: 2, 6, 2. Lead time 2 min, so ready[j] =
 * min(R[j-2], R[j-1], R[j]) with R[-1] = R[-2] = initial = ceil(10 / 5) = 2.
 * The forecaster knows the trace exactly (and holds the last value past its
 * end), with an 80% band of ±10%. */
#include "util/common.h"
#include "decide/simulate.h"
#include "util/mem.h"

#include "../check.h"

#define T0 INT64_C(1700000040)
#define N 30

static int64_t ts[N];
static double dem[N];

static void make_step_trace(void)
{
    for (int k = 0; k < N; k++) {
        ts[k] = T0 + 60 * k;
        dem[k] = k >= 10 && k < 20 ? 30 : 10;
    }
}

typedef struct oracle_fc {
    const int64_t *ts;
    const double *v;
    size_t n;
    size_t cold_steps; /* report a cold model for the first calls */
    size_t calls;
    size_t fail_at;    /* return AUG_EIO on this call (0 = never) */
} oracle_fc;

static aug_err perfect_forecaster(void *ctx, int64_t t, double v, size_t h, decide_forecast_path *out)
{
    oracle_fc *o = ctx;
    AUG_UNUSED(v);
    o->calls++;
    if (o->fail_at != 0 && o->calls == o->fail_at)
        return AUG_EIO;
    size_t k = 0;
    while (k < o->n && o->ts[k] < t)
        k++;
    out->origin_s = t;
    out->step_s = 60;
    out->model = o->calls <= o->cold_steps ? DECIDE_MODEL_COLD : DECIDE_MODEL_READY;
    out->recent_error = 0;
    out->n = h;
    for (size_t i = 0; i < h; i++) {
        size_t j = AUG_MIN(k + i + 1, o->n - 1);
        double m = o->v[j];
        out->points[i] = (decide_point){m, 0.9 * m, 1.1 * m, 0.8 * m, 1.2 * m};
    }
    return AUG_OK;
}

static decide_params step_scaler(void)
{
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    p.capacity_per_replica = 10;
    p.target = 0.5;
    p.lead_time_s = 120;
    p.window_s = 0;
    p.margin = DECIDE_MARGIN_NONE;
    p.min_replicas = 1;
    p.max_replicas = 50;
    p.up = (decide_bucket){0, 0};
    p.down = (decide_bucket){0, 0};
    p.stabilization_s = 0;
    p.cooldown_s = 0;
    return p;
}

static int observed_steps;
static void count_observer(void *ctx, size_t step, const decide_input *in, const decide_output *out)
{
    AUG_UNUSED(ctx);
    AUG_UNUSED(in);
    CHECK(out->reason[0] != '\0');
    CHECK_EQ_I64(step, (size_t)observed_steps);
    observed_steps++;
}

/* Known answer, per policy:
 *   oracle: R[k] = max(need[k..k+2]) = 2 for k <= 7, 6 for 8..19, 2 for
 *           20..29: never short; 8×2 + 12×6 + 10×2 = 108 replica-minutes;
 *           2 actions.
 *   hpa:    sees 30 at step 10 with 2 ready → ceil(6 / 2 × 2) = 6, ready
 *           only at step 12, so steps 10 and 11 are short by 30 - 20 = 10;
 *           at step 11 the 4 pending replicas count at 0%: 6 / 6 = 1 → keep
 *           6 (not 18). Down at 20 is held by the 5-min stabilization until
 *           step 24 (recommendations of 16..19 were 6): 10×2 + 14×6 + 6×2 =
 *           116 replica-minutes; 2 actions.
 *   augur:  with window 0 and perfect foresight it provisions need[k+2] and
 *           keeps need[k..k+2]: exactly the oracle. */
static void test_step_trace_known_answer(void)
{
    make_step_trace();
    decide_params p = step_scaler();
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = ts, .v = dem, .n = N, .cold_steps = 3};
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;
    sp.observer = count_observer;
    observed_steps = 0;
    CHECK_EQ_I64(sp.horizon_steps, 62); /* (120 + 0 + 3600) / 60 */
    decide_sim_row rows[N];
    decide_sim_result r;
    aug_errbuf eb = {{0}};
    aug_err e = decide_simulate(&sp, ts, dem, N, rows, &r, &eb);
    CHECK_EQ_I64(e, AUG_OK);
    if (e != AUG_OK) {
        fprintf(stderr, "%s\n", aug_errmsg(&eb, e));
        return;
    }
    CHECK_EQ_I64(observed_steps, N);
    CHECK_EQ_I64(r.initial_replicas, 2);
    CHECK_NEAR(r.capacity_per_replica, 10, 0);

    const decide_sim_metrics *ora = &r.policy[DECIDE_POLICY_ORACLE];
    CHECK_NEAR(ora->minutes_under, 0, 0);
    CHECK_NEAR(ora->replica_hours, 108.0 / 60.0, 1e-12);
    CHECK_EQ_I64(ora->actions, 2);
    CHECK_NEAR(ora->peak_shortfall, 0, 0);
    CHECK_EQ_I64(ora->steps, N);

    const decide_sim_metrics *hpa = &r.policy[DECIDE_POLICY_HPA];
    CHECK_NEAR(hpa->minutes_under, 2, 1e-12);
    CHECK_EQ_I64(hpa->steps_under, 2);
    CHECK_NEAR(hpa->replica_hours, 116.0 / 60.0, 1e-12);
    CHECK_EQ_I64(hpa->actions, 2);
    CHECK_NEAR(hpa->peak_shortfall, 10, 1e-12);

    const decide_sim_metrics *aug = &r.policy[DECIDE_POLICY_AUGUR];
    CHECK_NEAR(aug->minutes_under, 0, 0);
    CHECK_NEAR(aug->replica_hours, 108.0 / 60.0, 1e-12);
    CHECK_EQ_I64(aug->actions, 2);
    CHECK_EQ_I64(aug->fallback_steps, 3);

    /* Timeline spot checks. */
    for (int k = 0; k < N; k++) {
        int32_t want_oracle = k >= 8 && k < 20 ? 6 : 2;
        int32_t want_hpa = k >= 10 && k < 24 ? 6 : 2;
        CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_ORACLE], want_oracle);
        CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_AUGUR], want_oracle);
        CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_HPA], want_hpa);
        CHECK_EQ_I64(rows[k].fell_back, k < 3);
        CHECK_EQ_I64(rows[k].ts_s, ts[k]);
        CHECK_NEAR(rows[k].demand, dem[k], 0);
    }
    CHECK_EQ_I64(rows[10].ready[DECIDE_POLICY_HPA], 2);
    CHECK_EQ_I64(rows[11].ready[DECIDE_POLICY_HPA], 2);
    CHECK_EQ_I64(rows[12].ready[DECIDE_POLICY_HPA], 6);
    CHECK_EQ_I64(rows[9].ready[DECIDE_POLICY_ORACLE], 2);
    CHECK_EQ_I64(rows[10].ready[DECIDE_POLICY_ORACLE], 6);
    CHECK_EQ_I64(rows[20].ready[DECIDE_POLICY_AUGUR], 2); /* scale-down is immediate */
    CHECK_EQ_I64(rows[8].action, DECIDE_SCALE_UP_NOW);
    CHECK_EQ_I64(rows[20].action, DECIDE_SCALE_DOWN);
    CHECK_EQ_I64(rows[1].action, DECIDE_HOLD);              /* cold: reactive */
    CHECK_EQ_I64(rows[5].action, DECIDE_SCALE_UP_PREPARED); /* the 30 at step 10 is in view */
    CHECK_EQ_I64(rows[25].action, DECIDE_HOLD);
    /* Band: the forecast issued 2 steps earlier for this step. */
    CHECK(isnan(rows[0].fc_mean) && isnan(rows[1].fc_hi));
    CHECK_NEAR(rows[10].fc_mean, 30, 0);
    CHECK_NEAR(rows[10].fc_lo, 27, 1e-12);
    CHECK_NEAR(rows[10].fc_hi, 33, 1e-12);
    CHECK_NEAR(rows[29].fc_mean, 10, 0);
}

/* Early start in the replay: a scale-up bucket {1, 1/min} adds one replica
 * per 1-minute step. The 30 at step 10 needs 6 (from 2) and must be
 * requested by step 8 (lead 2 min). At step k < 8 the point of step 10 can
 * still be served by K = 10 - k - 2 later requests, so k needs 6 - K =
 * k - 2: 3, 4, 5 at steps 5, 6, 7 (early starts), 6 at step 8 (the window).
 * Ready 6 at step 10, never short. */
static void test_early_start_in_replay(void)
{
    make_step_trace();
    decide_params p = step_scaler();
    p.up = (decide_bucket){1, 1};
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = ts, .v = dem, .n = N};
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;
    decide_sim_row rows[N];
    decide_sim_result r;
    CHECK_EQ_I64(decide_simulate(&sp, ts, dem, N, rows, &r, NULL), AUG_OK);
    static const int32_t want[N] = {2, 2, 2, 2, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6,
                                    6, 6, 6, 6, 6, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    for (int k = 0; k < N; k++)
        CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_AUGUR], want[k]);
    CHECK_EQ_I64(rows[10].ready[DECIDE_POLICY_AUGUR], 6);
    CHECK_EQ_I64(r.policy[DECIDE_POLICY_AUGUR].early_steps, 3);
    CHECK_NEAR(r.policy[DECIDE_POLICY_AUGUR].minutes_under, 0, 0);
}

/* A forecaster that repeats the last value: it cannot see a return. */
static aug_err last_value_forecaster(void *ctx, int64_t t, double v, size_t h, decide_forecast_path *out)
{
    AUG_UNUSED(ctx);
    out->origin_s = t;
    out->step_s = 300;
    out->model = DECIDE_MODEL_READY;
    out->recent_error = 0;
    out->n = h;
    for (size_t i = 0; i < h; i++)
        out->points[i] = (decide_point){v, v, v, v, v};
    return AUG_OK;
}

/* The scale-down floor across a dip. 5-minute steps from an hour's start:
 * demand 50 (need 10) for 6 h, 10 (need 2) for 1 h, then 50 again for 1 h;
 * lead 10 min, so a replica asked for at step k is ready at k + 2.
 * Without the floor augur follows the dip to 2 at step 72 and asks for 10
 * again at step 84, ready at 86: steps 84 and 85 are short (10 minutes), and
 * it pays (72 × 10 + 12 × 2 + 12 × 10) × 5 / 60 = 72 replica-hours.
 * With floor_quantile 0.5 over 6 h the closed hours 0-5 each needed at least
 * 10, so the scale-down at step 72 stops at 10 (12 steps held); at step 84
 * the lows of hours 1-6 are {10 × 5, 2}, median 10. Never short, 96 × 10 ×
 * 5 / 60 = 80 replica-hours, no action. */
static void test_floor_holds_through_a_dip(void)
{
    enum { NS = 96 };
    int64_t t[NS];
    double d[NS];
    for (int k = 0; k < NS; k++) {
        t[k] = INT64_C(1699999200) + 300 * k;
        d[k] = k >= 72 && k < 84 ? 10 : 50;
    }
    decide_params p = step_scaler();
    p.lead_time_s = 600;
    for (int with_floor = 0; with_floor < 2; with_floor++) {
        p.floor_quantile = with_floor ? 0.5 : 0;
        p.floor_window_s = 6 * 3600;
        decide_sim_params sp;
        decide_sim_params_init(&sp, &p, 300);
        sp.forecaster = last_value_forecaster;
        decide_sim_row rows[NS];
        decide_sim_result r;
        CHECK_EQ_I64(decide_simulate(&sp, t, d, NS, rows, &r, NULL), AUG_OK);
        const decide_sim_metrics *a = &r.policy[DECIDE_POLICY_AUGUR];
        if (!with_floor) {
            CHECK_EQ_I64(rows[72].requested[DECIDE_POLICY_AUGUR], 2);
            CHECK_EQ_I64(rows[84].requested[DECIDE_POLICY_AUGUR], 10);
            CHECK_EQ_I64(rows[85].ready[DECIDE_POLICY_AUGUR], 2);
            CHECK_NEAR(a->minutes_under, 10, 0);
            CHECK_NEAR(a->replica_hours, 72, 1e-9);
            CHECK_EQ_I64(a->actions, 2);
            CHECK_EQ_I64(a->floor_steps, 0);
            CHECK_EQ_I64(rows[72].floor, -1);
        } else {
            CHECK_EQ_I64(rows[11].floor, -1); /* hour 0 not closed yet */
            CHECK_EQ_I64(rows[12].floor, 10);
            CHECK_EQ_I64(rows[72].floor, 10);
            for (int k = 0; k < NS; k++)
                CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_AUGUR], 10);
            CHECK_NEAR(a->minutes_under, 0, 0);
            CHECK_NEAR(a->replica_hours, 80, 1e-9);
            CHECK_EQ_I64(a->actions, 0);
            CHECK_EQ_I64(a->floor_steps, 12);
        }
    }
}

/* A 1-minute window makes augur request one step earlier than the oracle
 * (at step 7 for the 30 at step 10): 7×2 + 13×6 + 10×2 = 112 replica-minutes. */
static void test_window_costs_one_step(void)
{
    make_step_trace();
    decide_params p = step_scaler();
    p.window_s = 60;
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = ts, .v = dem, .n = N};
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;
    decide_sim_result r;
    CHECK_EQ_I64(decide_simulate(&sp, ts, dem, N, NULL, &r, NULL), AUG_OK);
    CHECK_NEAR(r.policy[DECIDE_POLICY_AUGUR].replica_hours, 112.0 / 60.0, 1e-12);
    CHECK_NEAR(r.policy[DECIDE_POLICY_AUGUR].minutes_under, 0, 0);
    CHECK_EQ_I64(r.policy[DECIDE_POLICY_AUGUR].actions, 2);
    CHECK_EQ_I64(r.policy[DECIDE_POLICY_AUGUR].fallback_steps, 0);
}

/* Scoring from step 10: 20 scored steps; the oracle's scale-up at step 8
 * falls outside, its scale-down at 20 inside. */
static void test_score_from(void)
{
    make_step_trace();
    decide_params p = step_scaler();
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = ts, .v = dem, .n = N};
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;
    sp.score_from_s = ts[10];
    decide_sim_result r;
    CHECK_EQ_I64(decide_simulate(&sp, ts, dem, N, NULL, &r, NULL), AUG_OK);
    CHECK_EQ_I64(r.policy[DECIDE_POLICY_ORACLE].steps, 20);
    CHECK_NEAR(r.policy[DECIDE_POLICY_ORACLE].replica_hours, (10 * 6 + 10 * 2) / 60.0, 1e-12);
    CHECK_EQ_I64(r.policy[DECIDE_POLICY_ORACLE].actions, 1);
    CHECK_NEAR(r.policy[DECIDE_POLICY_HPA].minutes_under, 2, 1e-12);
    CHECK_EQ_I64(r.policy[DECIDE_POLICY_HPA].actions, 2);
}

/* Queue mode: augur's own fluid backlog feeds the backlog term.
 * Service 0.1 s, concurrency 1 → 10 jobs/s per replica; target 1; latency
 * 1 s; lead 2 min; model always cold (reactive: need = λ / 10 + Q / 10).
 * Arrivals 10/s for steps 0-4, 50/s for 5-9, 10/s for 10-14; initial 1.
 *   k=5: need 5 → R 5; ready 1 → backlog (50 - 10) × 60 = 2400 (short)
 *   k=6: need 5 + 240 → max 50; ready 1 → backlog 4800 (short)
 *   k=7: 50; ready min(5, 50, 50) = 5 → 50 ≤ 50, backlog stays 4800
 *   k=8: 50; ready 50 → backlog 0
 *   k=9: need 5 → 5; k=10: need 1 → 1.
 * Requested 1×5 + 5 + 50×3 + 5 + 1×5 = 170 replica-minutes, 4 actions, 2
 * minutes short, peak shortfall 40, peak backlog 4800. */
static void test_queue_backlog(void)
{
    int64_t qts[15];
    double qd[15];
    for (int k = 0; k < 15; k++) {
        qts[k] = T0 + 60 * k;
        qd[k] = k >= 5 && k < 10 ? 50 : 10;
    }
    decide_params p = step_scaler();
    p.mode = DECIDE_MODE_QUEUE;
    p.target = 1;
    p.service_time_s = 0.1;
    p.target_latency_s = 1;
    p.concurrency = 1;
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = qts, .v = qd, .n = 15, .cold_steps = 1000};
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;
    decide_sim_row rows[15];
    decide_sim_result r;
    CHECK_EQ_I64(decide_simulate(&sp, qts, qd, 15, rows, &r, NULL), AUG_OK);
    CHECK_NEAR(r.capacity_per_replica, 10, 1e-12);
    CHECK_EQ_I64(r.initial_replicas, 1);
    const decide_sim_metrics *a = &r.policy[DECIDE_POLICY_AUGUR];
    static const int32_t want[15] = {1, 1, 1, 1, 1, 5, 50, 50, 50, 5, 1, 1, 1, 1, 1};
    for (int k = 0; k < 15; k++)
        CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_AUGUR], want[k]);
    CHECK_NEAR(a->replica_hours, 170.0 / 60.0, 1e-12);
    CHECK_EQ_I64(a->actions, 4);
    CHECK_NEAR(a->minutes_under, 2, 1e-12);
    CHECK_NEAR(a->peak_shortfall, 40, 1e-9);
    CHECK_NEAR(a->peak_backlog, 4800, 1e-9);
    CHECK_EQ_I64(a->fallback_steps, 15);
}

/* Gaps count one step; a lead that is not a multiple of the step. */
static void test_irregular_trace(void)
{
    /* Steps at 0, 60, 120, 600 (gap), 660; lead 90 s. */
    int64_t its[5] = {T0, T0 + 60, T0 + 120, T0 + 600, T0 + 660};
    double id[5] = {10, 10, 30, 30, 30};
    decide_params p = step_scaler();
    p.lead_time_s = 90;
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = its, .v = id, .n = 5};
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;
    decide_sim_row rows[5];
    decide_sim_result r;
    CHECK_EQ_I64(decide_simulate(&sp, its, id, 5, rows, &r, NULL), AUG_OK);
    /* Oracle: R[k] = max need[j] for j >= k, ts[j] < ts[k+1] + 90:
     *   k=0: ts < 150 → j = 0..2 → 6;  k=1: ts < 210 → 6;  k=2..4: 6.
     * Ready at step 2 = min(R over [30, 120]) = min(R[0], R[1], R[2]) = 6. */
    for (int k = 0; k < 5; k++)
        CHECK_EQ_I64(rows[k].requested[DECIDE_POLICY_ORACLE], 6);
    CHECK_EQ_I64(rows[2].ready[DECIDE_POLICY_ORACLE], 6);
    CHECK_EQ_I64(rows[0].ready[DECIDE_POLICY_ORACLE], 2); /* the initial 2 are still in force at -90 s */
    /* HPA: scales at step 2 (30 → 6), ready after 90 s, i.e. at step 3. */
    CHECK_EQ_I64(rows[2].ready[DECIDE_POLICY_HPA], 2);
    CHECK_EQ_I64(rows[3].ready[DECIDE_POLICY_HPA], 6);
    /* Durations: 60, 60, 60 (gap of 480 s counted as one step), 60, 60. */
    CHECK_NEAR(r.policy[DECIDE_POLICY_ORACLE].replica_hours, 5 * 6 / 60.0, 1e-12);
    CHECK_NEAR(r.policy[DECIDE_POLICY_HPA].minutes_under, 1, 1e-12);
}

static void test_invalid_and_errors(void)
{
    make_step_trace();
    decide_params p = step_scaler();
    decide_sim_params sp;
    decide_sim_params_init(&sp, &p, 60);
    oracle_fc o = {.ts = ts, .v = dem, .n = N};
    decide_sim_result r, r0;
    memset(&r, 0x5A, sizeof r);
    memcpy(&r0, &r, sizeof r);
    aug_errbuf eb = {{0}};

    CHECK_EQ_I64(decide_simulate(&sp, ts, dem, N, NULL, &r, &eb), AUG_EINVAL); /* no forecaster */
    CHECK(strstr(eb.msg, "forecaster") != NULL);
    sp.forecaster = perfect_forecaster;
    sp.forecaster_ctx = &o;

    int64_t bad_ts[3] = {T0, T0 + 60, T0 + 60};
    CHECK_EQ_I64(decide_simulate(&sp, bad_ts, dem, 3, NULL, &r, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "step 2") != NULL);
    double bad_d[3] = {1, (double)NAN, 1};
    CHECK_EQ_I64(decide_simulate(&sp, ts, bad_d, 3, NULL, &r, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "step 1") != NULL);
    CHECK_EQ_I64(decide_simulate(&sp, ts, dem, 0, NULL, &r, &eb), AUG_EINVAL);

    decide_sim_params sp2 = sp;
    sp2.scaler.capacity_per_replica = 0;
    CHECK_EQ_I64(decide_simulate(&sp2, ts, dem, N, NULL, &r, &eb), AUG_EINVAL);
    CHECK(strstr(eb.msg, "capacity_per_replica") != NULL);
    sp2 = sp;
    sp2.horizon_steps = 0;
    CHECK_EQ_I64(decide_simulate(&sp2, ts, dem, N, NULL, &r, &eb), AUG_EINVAL);

    /* The forecaster's error stops the run and is returned as is. */
    o.fail_at = 5;
    o.calls = 0;
    eb.msg[0] = '\0';
    CHECK_EQ_I64(decide_simulate(&sp, ts, dem, N, NULL, &r, &eb), AUG_EIO);
    CHECK(strstr(eb.msg, "step 4") != NULL);
    CHECK(memcmp(&r, &r0, sizeof r) == 0);

    /* Allocation failures: a clean AUG_ENOMEM for each, then success. */
    o.fail_at = 0;
    int ok_at = -1;
    for (long fail = 0; fail < 10 && ok_at < 0; fail++) {
        aug_mem_fail_after(fail);
        aug_err e = decide_simulate(&sp, ts, dem, N, NULL, &r, NULL);
        aug_mem_fail_reset();
        CHECK(e == AUG_OK || e == AUG_ENOMEM);
        if (e == AUG_OK)
            ok_at = (int)fail;
    }
    CHECK_EQ_I64(ok_at, 5); /* 3 histories + HPA recommendations + forecast buffer */
}

static void test_names(void)
{
    CHECK_STR(decide_policy_name(DECIDE_POLICY_AUGUR), "augur");
    CHECK_STR(decide_policy_name(DECIDE_POLICY_HPA), "hpa");
    CHECK_STR(decide_policy_name(DECIDE_POLICY_ORACLE), "oracle");
    CHECK_STR(decide_policy_name((decide_policy)7), "?");
}

CHECK_MAIN(CHECK_CASE(test_step_trace_known_answer), CHECK_CASE(test_window_costs_one_step), CHECK_CASE(test_early_start_in_replay), CHECK_CASE(test_floor_holds_through_a_dip),
           CHECK_CASE(test_score_from), CHECK_CASE(test_queue_backlog), CHECK_CASE(test_irregular_trace),
           CHECK_CASE(test_invalid_and_errors), CHECK_CASE(test_names))
