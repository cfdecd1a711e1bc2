/* bench_export.c — how fast export/ drains a backlog to a local receiver.
 *
 * Usage: bench_export [SAMPLES [BATCH_SIZE [DIR]]]
 *   (defaults 1000000, 2000, a mkdtemp directory under $TMPDIR or /tmp,
 *   removed afterwards)
 *
 *   1. fill: the exporter is opened with its target down (nothing listens),
 *      and SAMPLES samples are enqueued as evaluations of 2000 ai_* series
 *      (one fsync'ed commit each): enqueue rate and the outbox's bytes per
 *      sample. The exporter is closed: the backlog is on disk.
 *   2. drain: a receiver (libmicrohttpd on loopback, answering 204 without
 *      decoding) comes up, the exporter is opened again on the same store
 *      (as after a restart) and the time until the outbox is empty is
 *      measured: samples/s, requests/s, request bytes. Every sample must
 *      have been acknowledged (augur_export_samples_total{result="sent"}).
 *
 * What the drain pays per batch: one LMDB read txn decoding the records,
 * building the protobuf and snappy-compressing it, one HTTP round trip on
 * a kept-alive connection, one write txn deleting the records with fsync.
 */
#include "util/common.h"
#include "export/export.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include "../unit/export/receiver.h"

#include <ftw.h>
#include <unistd.h>

static void die(const char *what, aug_err e, const aug_errbuf *eb)
{
    fprintf(stderr, "bench_export: %s: %s\n", what, aug_errmsg(eb, e));
    exit(1);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static double secs(int64_t ns)
{
    return (double)ns / 1e9;
}

static cfg_config *config(uint16_t port, long batch, long queue_limit)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "remote_write:\n"
             "  - url: http://127.0.0.1:%u/api/v1/write\n"
             "    name: bench\n"
             "    batch_size: %ld\n"
             "    queue_limit: %ld\n"
             "    min_backoff: 5ms\n"
             "    max_backoff: 50ms\n",
             (unsigned)port, batch, queue_limit);
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err e = cfg_load_buffer("bench.yml", yaml, strlen(yaml), &c, &d);
    if (e != AUG_OK) {
        cfg_diag_print(d, stderr);
        die("config", e, NULL);
    }
    return c;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    long batch = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    if (total < 2000 || batch < 1 || batch > 100000) {
        fprintf(stderr, "usage: bench_export [SAMPLES>=2000 [BATCH_SIZE 1..100000 [DIR]]]\n");
        return 2;
    }
    char dir[256];
    bool own_dir = argc <= 3;
    if (own_dir) {
        snprintf(dir, sizeof dir, "%s/augur-bench-export.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
    } else {
        snprintf(dir, sizeof dir, "%s", argv[3]);
    }
    log_configure(LOG_LVL_ERROR, LOG_FMT_LOGFMT, NULL, NULL);

    /* A port nobody listens on yet: the receiver comes up there later. */
    receiver rx = {.count_only = true};
    if (!rx_start(&rx)) {
        fprintf(stderr, "bench_export: cannot start the receiver\n");
        return 1;
    }
    uint16_t port = rx.port;
    rx_stop(&rx);

    store *s = NULL;
    aug_errbuf eb = {{0}};
    store_opts so = {.path = dir};
    aug_err e = store_open(&so, &s, &eb);
    if (e != AUG_OK)
        die("store_open", e, &eb);
    metrics_registry *reg = metrics_registry_new();
    cfg_config *cfg = config(port, batch, total + batch);

    /* ---- fill ---- */
    enum { SERIES = 2000 };
    static aug_label labels[SERIES][4];
    static char inst[SERIES][24];
    static export_series ev[SERIES];
    for (size_t i = 0; i < SERIES; i++) {
        snprintf(inst[i], sizeof inst[i], "10.1.%zu.%zu:9100", i / 250, i % 250);
        labels[i][0] = (aug_label){{"__name__", 8}, {"ai_cpu_forecast", 15}};
        labels[i][1] = (aug_label){{"horizon", 7}, {"1h", 2}};
        labels[i][2] = (aug_label){{"instance", 8}, {inst[i], strlen(inst[i])}};
        labels[i][3] = (aug_label){{"job", 3}, {"node", 4}};
        ev[i] = (export_series){.labels = labels[i], .nlabels = 4};
    }
    export *x = NULL;
    if ((e = export_open(s, cfg, reg, NULL, &x, &eb)) != AUG_OK)
        die("export_open", e, &eb);
    int64_t ts0 = util_now_ms() - (total / SERIES + 1) * 15000;
    long evals = total / SERIES;
    int64_t t0 = util_mono_ns();
    for (long k = 0; k < evals; k++) {
        for (size_t i = 0; i < SERIES; i++) {
            ev[i].ts_ms = ts0 + k * 15000;
            ev[i].value = (double)(k * 31 + (long)i) * 0.01;
        }
        if ((e = export_enqueue(x, ev, SERIES, &eb)) != AUG_OK)
            die("export_enqueue", e, &eb);
    }
    int64_t fill_ns = util_mono_ns() - t0;
    export_close(x, 0);
    long filled = evals * SERIES;

    store_txn *txn = NULL;
    store_outbox_info info = {0};
    if ((e = store_txn_begin(s, false, &txn)) != AUG_OK ||
        (e = store_outbox_info_get(txn, store_outbox_target_id((aug_str){"bench", 5}), &info)) != AUG_OK)
        die("outbox info", e, NULL);
    store_txn_abort(txn);
    printf("fill:  %ld samples in %ld enqueues (%d series each): %.0f samples/s, %.2f ms per enqueue commit\n",
           filled, evals, SERIES, (double)filled / secs(fill_ns), secs(fill_ns) * 1e3 / (double)evals);
    printf("       outbox %" PRIu64 " records, %" PRIu64 " samples, %.1f bytes/sample\n", info.records, info.samples,
           (double)info.bytes / (double)AUG_MAX(info.samples, (uint64_t)1));

    /* ---- drain ---- */
    rx = (receiver){.count_only = true};
    if (!rx_start_at(&rx, port, NULL, NULL, NULL)) {
        fprintf(stderr, "bench_export: cannot restart the receiver on port %u\n", (unsigned)port);
        return 1;
    }
    t0 = util_mono_ns();
    if ((e = export_open(s, cfg, reg, NULL, &x, &eb)) != AUG_OK)
        die("export_open", e, &eb);
    if ((e = export_wait_idle(x, 600000)) != AUG_OK)
        die("drain did not finish in 10 min", e, NULL);
    int64_t drain_ns = util_mono_ns() - t0;
    export_close(x, 0);
    uint64_t sent = metrics_counter_value(
        metrics_counter_get(reg, "augur_export_samples_total", "", "target=\"bench\",result=\"sent\""));
    size_t reqs = rx_count(&rx);
    printf("drain: %" PRIu64 " samples in %.2f s: %.0f samples/s, %zu requests (%.0f/s, %.2f ms each), "
           "batch_size %ld, %.1f bytes/sample on the wire (snappy)\n",
           sent, secs(drain_ns), (double)sent / secs(drain_ns), reqs, (double)reqs / secs(drain_ns),
           secs(drain_ns) * 1e3 / (double)AUG_MAX(reqs, (size_t)1), batch, (double)rx.bytes / (double)AUG_MAX(sent, 1u));
    int rc = 0;
    if (sent != (uint64_t)filled) {
        fprintf(stderr, "bench_export: %" PRIu64 " samples acknowledged, %ld enqueued\n", sent, filled);
        rc = 1;
    }
    rx_stop(&rx);
    cfg_free(cfg);
    metrics_registry_free(reg);
    store_close(s);
    if (own_dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
