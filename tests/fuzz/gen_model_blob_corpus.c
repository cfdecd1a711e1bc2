/* gen_model_blob_corpus.c — writes the current-version seeds of
 * tests/fuzz/corpus/model_blob/: models at every stage (fresh, cold, warming,
 * ready), at minute, 5-minute, hourly and daily steps, of several kinds and
 * seasons, encoded by fc_model_encode from deterministic synthetic series,
 * and one payload without its header. Re-run after a blob format change:
 *
 *   build/tests/fuzz/gen_model_blob_corpus tests/fuzz/corpus/model_blob
 *
 * The v1_*.blob seeds were written by the version-1 code (before the season
 * was stored) and are kept as they are: they are the upgrade path.
 */
#include "util/common.h"

#include "forecast/forecast.h"
#include "util/mem.h"

static uint64_t seed = 0x5eed5eed12345678u;

/* Uniform in [-0.5, 0.5): xorshift64*, fixed seed. */
static double noise(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return (double)((seed * 0x2545F4914F6CDD1Du) >> 11) / 9007199254740992.0 - 0.5;
}

typedef struct seed_spec {
    const char *name;
    int64_t step_s, season_s;
    int32_t horizon;
    fc_kind kind;
    int64_t points;
    int64_t cycle_s; /* period of the synthetic cycle */
} seed_spec;

static const seed_spec specs[] = {
    {"fresh_5m_auto", 300, FC_SEASON_DAY, 12, FC_AUTO, 0, 86400},
    {"cold_5m_auto", 300, FC_SEASON_DAY, 24, FC_AUTO, 9, 86400},
    {"ready_5m_season0_auto", 300, 0, 24, FC_AUTO, 200, 86400},
    {"warming_1h_hw", 3600, FC_SEASON_DAY, 24, FC_HW, 39, 86400},
    {"ready_1h_auto", 3600, FC_SEASON_DAY, 48, FC_AUTO, 471, 86400},
    {"ready_1d_fourier", 86400, FC_SEASON_DAY, 7, FC_FOURIER, 59, 7 * 86400},
    {"ready_1m_snaive", 60, FC_SEASON_DAY, 15, FC_SNAIVE, 2923, 86400},
    {"ready_1m_season1h_auto", 60, 3600, 60, FC_AUTO, 720, 3600},
};

static int write_file(const char *dir, const char *name, const char *ext, const uint8_t *b, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "gen_model_blob_corpus: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int one(const char *dir, const seed_spec *s)
{
    fc_params p;
    fc_params_default(&p, s->step_s, s->horizon);
    p.season_s = s->season_s;
    p.kind = s->kind;
    fc_model *m = NULL;
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_new(&p, &m, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "gen_model_blob_corpus: %s: %s\n", s->name, aug_errmsg(&eb, e));
        return -1;
    }
    const int64_t t0 = 1399680000; /* a UTC midnight */
    for (int64_t k = 0; k < s->points; k++) {
        if (k % 53 == 29)
            continue; /* a few missing points */
        double ph = 6.283185307179586 * (double)((k * s->step_s) % s->cycle_s) / (double)s->cycle_s;
        double v = 20 + 8 * sin(ph) + 2 * noise() + (k % 97 == 41 ? 30 : 0); /* and outliers */
        if (fc_model_update(m, t0 + k * s->step_s, v, NULL) != AUG_OK ||
            (fc_model_refit_due(m) && fc_model_refit(m) != AUG_OK)) {
            fprintf(stderr, "gen_model_blob_corpus: %s: update failed at point %" PRId64 "\n", s->name, k);
            fc_model_free(m);
            return -1;
        }
    }
    size_t n = fc_model_blob_size(m), len = 0;
    uint8_t *b = aug_malloc(n);
    int rc = -1;
    if (b != NULL && fc_model_encode(m, b, n, &len) == AUG_OK && write_file(dir, s->name, "blob", b, len) == 0)
        rc = strcmp(s->name, "ready_1h_auto") == 0 ? write_file(dir, s->name, "payload", b + 16, len - 16) : 0;
    aug_free(b);
    fc_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_model_blob_corpus DIR\n");
        return 2;
    }
    for (size_t i = 0; i < AUG_ARRAY_LEN(specs); i++)
        if (one(argv[1], &specs[i]) != 0)
            return 1;
    printf("wrote %zu blobs to %s\n", AUG_ARRAY_LEN(specs), argv[1]);
    return 0;
}
