/* Unit test for the writer's 16-bit undo generation (ingest.c invariant 5):
 * includes ingest.c to start the generation just below its wrap. When it
 * wraps, every entry's undo_gen must be reset, or an entry last saved
 * 65536 transactions earlier would look "already saved" and a failed
 * commit would leave it changed in memory but not on disk. */
#include "ingest/ingest.c"

#include "../storage/helpers.h"

static const ingest_opts opts = {
    .close_delay_ms = 3600 * 1000, /* no sweeps: only our writes touch entries */
    .checkpoint_interval_ms = 3600 * 1000,
    .minute_retention_s = 400 * 86400,
    .hour_retention_s = 4000 * 86400,
    .max_series = 1000,
    .queue_limit_samples = 1000000,
};

static void one(ingest *g, const char *name, int64_t ts, ingest_result *r)
{
    uint8_t key[32];
    int n = snprintf((char *)key, sizeof key, "__name__\xff%s\xff", name);
    aug_sample smp = {.ts_ms = ts, .value = 1.0};
    wire_series ws = {.key = {key, (size_t)n}, .samples = &smp, .nsamples = 1};
    ws.hash = util_hash128_of(key, (size_t)n);
    CHECK_EQ_I64(ingest_write(g, &ws, 1, r), AUG_OK);
}

static void test_generation_wrap_resets_entries(void)
{
    store *s = open_at(tmp_new(), 0, 0);
    metrics_registry *reg = metrics_registry_new();
    ingest *g = NULL;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(ingest_open(s, &opts, reg, &g, &eb), AUG_OK);
    pthread_mutex_lock(&g->lock); /* the writer reads gen only after taking a batch under this lock */
    g->gen = UINT16_MAX - 2;
    pthread_mutex_unlock(&g->lock);

    int64_t b = 1700000000000LL / 3600000 * 3600000;
    ingest_result r;
    one(g, "a", b, &r); /* series a saved at a generation just below the wrap */
    CHECK_EQ_I64(r.accepted, 1);
    for (int i = 1; i <= 6; i++) {
        one(g, "b", b + i * 1000, &r); /* only b, across the wrap */
        CHECK_EQ_I64(r.accepted, 1);
    }
    pthread_mutex_lock(&g->lock);
    CHECK(g->gen >= 1 && g->gen < 100); /* wrapped */
    CHECK_EQ_I64(g->entries[1].undo_gen, 0); /* a: reset at the wrap, cannot match a future gen */
    CHECK(g->entries[2].undo_gen != 0);      /* b: saved after the wrap */
    pthread_mutex_unlock(&g->lock);
    one(g, "a", b + 10000, &r); /* a is saved again (undo copy taken) and accepted */
    CHECK_EQ_I64(r.accepted, 1);
    ingest_close(g);
    metrics_registry_free(reg);
    store_close(s);
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_generation_wrap_resets_entries))
