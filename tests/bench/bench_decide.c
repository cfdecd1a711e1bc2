/* bench_decide — the cost of one decision (run by hand; not a test).
 *
 *   build/tests/bench/bench_decide
 *
 * Times decide_evaluate on a moving sine-shaped forecast, with the default
 * brakes plus a cooldown, for a 64-point path (an hour at 1-minute steps)
 * and a 1440-point path (a 24 h horizon: the early start scans the whole
 * path), with and without a scale-up bucket, and with a scale-down floor
 * over 14 days (336 closed hours sorted at every call: its worst case).
 * Filling the path is included.
 *
 * How augur's scaler does on real demand traces is measured with the real
 * forecast engine by `augurctl simulate` (tools/simulate_table.py, figures
 * in docs/simulate.md), not here.
 */
#include "util/common.h"
#include "decide/decide.h"

#include <time.h>

static double now_s(void)
{
    struct timespec tsp;
    clock_gettime(CLOCK_MONOTONIC, &tsp);
    return (double)tsp.tv_sec + (double)tsp.tv_nsec * 1e-9;
}

static void bench_evaluate(size_t n, bool up_bucket, bool floor, int iters)
{
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    p.capacity_per_replica = 100;
    p.cooldown_s = 60;
    if (!up_bucket)
        p.up = (decide_bucket){0, 0};
    if (floor) {
        p.floor_quantile = 0.5;
        p.floor_window_s = DECIDE_FLOOR_HOURS * INT64_C(3600);
    }
    decide_state st;
    decide_state_init(&st, &p);
    decide_point *pts = calloc(n, sizeof *pts);
    if (pts == NULL)
        abort();
    decide_forecast_path fc = {.step_s = 60, .model = DECIDE_MODEL_READY, .recent_error = 0.1, .n = n, .cap = n,
                               .points = pts};
    int32_t cur = 5;
    int64_t sum = 0;
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        double base = 500 + 400 * sin((double)i / 50.0);
        for (size_t j = 0; j < n; j++) {
            double m = base + 300 * sin((double)(i + (int)j) / 50.0);
            pts[j] = (decide_point){m, m - 40, m + 40, m - 70, m + 70};
        }
        fc.origin_s = 1700000000 + (int64_t)i * 60;
        decide_input in = {.now_s = fc.origin_s, .current_replicas = cur, .observed = base, .fc = &fc};
        decide_output out;
        if (decide_evaluate(&p, &st, &in, &out, NULL) != AUG_OK)
            abort();
        cur = out.desired;
        sum += cur;
    }
    double dt = now_s() - t0;
    printf("decide_evaluate: %7.0f ns per call, %4zu-point path, scale-up bucket %s, floor %s (%d evaluations incl. "
           "filling the path and the reason; checksum %" PRId64 ")\n",
           dt / iters * 1e9, n, up_bucket ? "on " : "off", floor ? "on " : "off", iters, sum);
    free(pts);
}

int main(void)
{
    bench_evaluate(64, false, false, 1000000);
    bench_evaluate(64, true, false, 1000000);
    bench_evaluate(64, true, true, 1000000);
    bench_evaluate(1440, false, false, 100000);
    bench_evaluate(1440, true, false, 100000);
    return 0;
}
