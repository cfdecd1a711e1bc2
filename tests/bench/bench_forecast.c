/* bench_forecast.c — speed and size of the forecast engine (not a test).
 *
 * A synthetic 5-minute series (daily and weekly cycles, noise, rare spikes,
 * deterministic PRNG) stands in for real data. Figures printed:
 *   - update: mean ns per point (no refit in the timed loop), the 99.9th
 *     percentile and the slowest single update, per model kind, on a model
 *     already warm with 14 days (single-update times include one clock read
 *     and any preemption on a shared machine);
 *   - refit: ms of fc_model_refit with 14 days of history (4032 points);
 *   - predict: us for a 288-step forecast;
 *   - bytes: fc_model_bytes and the blob size, for minute, 5-minute and hourly
 *     models with their usual horizons.
 * Usage: bench_forecast [rounds]   (default 5). Mean update and refit cost
 * are printed as best / median round: on a shared machine the best round is
 * the closer estimate of the code's own cost, the median shows the noise.
 */
#include "util/common.h"

#include <time.h>

#include "forecast/fc_impl.h" /* in-tree benchmark: reads the normalized history */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double urand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static double series(int64_t k)
{
    double day = 2.0 * 3.141592653589793 * (double)(k % 288) / 288.0;
    double week = 2.0 * 3.141592653589793 * (double)(k % 2016) / 2016.0;
    double v = 100.0 + 30.0 * sin(day) + 10.0 * sin(2 * day) + 8.0 * cos(week) + 4.0 * (urand() - 0.5);
    if (urand() < 0.003)
        v += 80.0;
    return v;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define T0 INT64_C(1400000000)



static fc_model *warm_model(fc_kind kind, int64_t step, int32_t H, int64_t npts)
{
    fc_params p;
    fc_params_default(&p, step, H);
    p.kind = kind;
    fc_model *m;
    if (fc_model_new(&p, &m, NULL) != AUG_OK)
        exit(1);
    for (int64_t k = 0; k < npts; k++) {
        fc_model_update(m, T0 + k * step, series(k), NULL);
        if (fc_model_refit_due(m))
            fc_model_refit(m);
    }
    return m;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
    if (rounds < 1 || rounds > 50)
        rounds = 5;
    const int64_t n14 = 14 * 288, ntimed = 14 * 288;
    printf("augur forecast engine benchmark (5-minute synthetic series, horizon 288, %d rounds)\n\n", rounds);
    printf("%-8s %18s %10s %10s %18s %11s\n", "model", "update ns/pt", "p99.9 ns", "max us", "refit ms 14 d",
           "predict us");
    printf("%-8s %18s %10s %10s %18s %11s\n", "", "best / median", "median", "median", "best / median", "median");
    static double one[14 * 288];
    for (int kind = 0; kind < FC_KIND_COUNT; kind++) {
        double upd[50], p999[50], worst[50], refit[50], pred[50];
        for (int r = 0; r < rounds; r++) {
            fc_model *m = warm_model((fc_kind)kind, 300, 288, n14);
            /* Timed updates: the daemon calls refit off this path. */
            int64_t w = 0, t_all = now_ns();
            for (int64_t k = n14; k < n14 + ntimed; k++) {
                int64_t t1 = now_ns();
                fc_model_update(m, T0 + k * 300, series(k), NULL);
                int64_t d = now_ns() - t1;
                w = d > w ? d : w;
                one[k - n14] = (double)d;
            }
            int64_t t_tot = now_ns() - t_all;
            /* The loop above includes two clock reads per point: time it alone. */
            int64_t t_clk = now_ns();
            for (int64_t k = 0; k < ntimed; k++)
                (void)now_ns(), (void)now_ns();
            int64_t clk = now_ns() - t_clk;
            upd[r] = (double)(t_tot - clk) / (double)ntimed;
            worst[r] = (double)w / 1e3;
            qsort(one, (size_t)ntimed, sizeof(double), cmp_d);
            p999[r] = one[(size_t)((double)ntimed * 0.999)];
            int64_t t2 = now_ns();
            fc_model_refit(m);
            refit[r] = (double)(now_ns() - t2) / 1e6;
            fc_forecast out[288];
            int64_t t3 = now_ns();
            fc_model_predict(m, 288, out);
            pred[r] = (double)(now_ns() - t3) / 1e3;
            fc_model_free(m);
        }
        qsort(upd, (size_t)rounds, sizeof(double), cmp_d);
        qsort(worst, (size_t)rounds, sizeof(double), cmp_d);
        qsort(p999, (size_t)rounds, sizeof(double), cmp_d);
        qsort(refit, (size_t)rounds, sizeof(double), cmp_d);
        qsort(pred, (size_t)rounds, sizeof(double), cmp_d);
        printf("%-8s %8.0f / %7.0f %10.0f %10.1f %8.1f / %7.1f %11.1f\n", fc_kind_name((fc_kind)kind), upd[0],
               upd[rounds / 2], p999[rounds / 2], worst[rounds / 2], refit[0], refit[rounds / 2], pred[rounds / 2]);
    }

    printf("\n%-28s %8s %10s %10s %11s %18s\n", "model (auto), 3 weeks fed", "horizon", "history", "bytes",
           "blob bytes", "refit ms");
    printf("%-28s %8s %10s %10s %11s %18s\n", "", "steps", "steps", "", "", "best / median of 3");
    struct {
        const char *name;
        int64_t step;
        int32_t H;
    } sizes[] = {
        {"1-minute, 4 h horizon", 60, 240},
        {"5-minute, 24 h horizon", 300, 288},
        {"hourly, 7 d horizon", 3600, 168},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(sizes); i++) {
        fc_params p;
        fc_params_default(&p, sizes[i].step, sizes[i].H);
        fc_model *m = warm_model(FC_AUTO, sizes[i].step, sizes[i].H, 3 * 7 * 86400 / sizes[i].step);
        double ms[3];
        for (int r = 0; r < 3; r++) {
            int64_t t = now_ns();
            fc_model_refit(m);
            ms[r] = (double)(now_ns() - t) / 1e6;
        }
        qsort(ms, 3, sizeof(double), cmp_d);
        printf("%-28s %8d %10d %10zu %11zu %8.1f / %7.1f\n", sizes[i].name, (int)sizes[i].H, (int)m->par.history,
               fc_model_bytes(m), fc_model_blob_size(m), ms[0], ms[1]);
        fc_model_free(m);
    }
    printf("\n(history: default max(14 days, 2016 steps), at most 20160 steps)\n");
    return 0;
}
