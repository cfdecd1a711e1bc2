/* bench_ingest — the ingest writer alone: ingest_write from several threads
 * into a real store in a temporary directory, no HTTP and no decoding.
 *
 *   bench_ingest [--series N] [--per-request N] [--threads N] [--duration S] [--step MS]
 *
 * The series are the ones tools/rwload sends (8 labels, job="rwload"), with
 * their canonical keys and hashes built once up front; each thread owns a
 * slice and submits requests of per-request series × 1 sample, timestamps
 * advancing by --step per pass (so, as with rwload, every series closes a
 * minute bucket every 6 passes). Prints samples/s, commit count and
 * requests per commit, the process CPU (≈ the writer's: the submitting
 * threads only wait), heap bytes per series, and the time of the final
 * checkpoint in ingest_close. This is the upper bound the writer sets on
 * the HTTP path's throughput; tests/bench/ingest_bench.sh measures the
 * whole daemon.
 */
#include "util/common.h"
#include "ingest/ingest.h"
#include "metrics/metrics.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>

typedef struct bopts {
    long series, per_request, threads, step_ms;
    double duration_s;
} bopts;

typedef struct bseries {
    wire_series ws;
    aug_sample sample;
} bseries;

typedef struct bthread {
    const bopts *o;
    bseries *all;
    long first, count;
    uint64_t samples, requests, errors;
    ingest *g;
    pthread_t th;
} bthread;

static int64_t base_ms;
static _Atomic bool stop;

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* The canonical key of rwload's series i (8 labels, sorted by name). */
static size_t series_key(long i, uint8_t *k, size_t cap)
{
    return (size_t)snprintf((char *)k, cap,
                           "__name__\xffrwload_metric_%ld\xff"
                           "az\xffvalue-0-%ld\xff"
                           "cluster\xffvalue-1-%ld\xff"
                           "env\xffvalue-2-%ld\xff"
                           "instance\xffhost-%06ld.example.internal:9100\xff"
                           "job\xffrwload\xff"
                           "l3\xffvalue-3-%ld\xff"
                           "l4\xffvalue-4-%ld\xff",
                           i % 100, (i / 7) % 50, (i / 7) % 50, (i / 7) % 50, i / 100, (i / 7) % 50, (i / 7) % 50);
}

static void *sender(void *arg)
{
    bthread *t = arg;
    long n = t->o->per_request;
    wire_series *req = aug_calloc((size_t)n, sizeof *req);
    long pos = 0, pass = 0;
    while (!atomic_load(&stop)) {
        for (long k = 0; k < n; k++) {
            long p = pos + k;
            bseries *s = &t->all[t->first + p % t->count];
            long sp = pass + p / t->count;
            s->sample.ts_ms = base_ms + sp * t->o->step_ms;
            s->sample.value = (double)((t->first + p % t->count) * 31 % 1000 + sp);
            req[k] = s->ws;
        }
        pos += n;
        if (pos >= t->count) {
            pass += pos / t->count;
            pos %= t->count;
        }
        ingest_result res;
        aug_err e = ingest_write(t->g, req, (size_t)n, &res);
        t->requests++;
        if (e == AUG_OK)
            t->samples += res.accepted;
        else
            t->errors++;
    }
    aug_free(req);
    return NULL;
}

int main(int argc, char **argv)
{
    bopts o = {.series = 100000, .per_request = 2000, .threads = 4, .step_ms = 10000, .duration_s = 10};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--series") == 0)
            o.series = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--per-request") == 0)
            o.per_request = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            o.threads = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--duration") == 0)
            o.duration_s = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--step") == 0)
            o.step_ms = strtol(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_ingest [--series N] [--per-request N] [--threads N] [--duration S] "
                            "[--step MS]\n");
            return 2;
        }
    }
    if (o.series < o.per_request * o.threads || o.threads < 1 || o.threads > 64 || o.duration_s <= 0) {
        fprintf(stderr, "bench_ingest: need series >= per-request x threads\n");
        return 2;
    }
    char dir[] = "/tmp/bench_ingest.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    base_ms = (util_now_ms() / 3600000 - 2) * 3600000;

    bseries *all = aug_calloc((size_t)o.series, sizeof *all);
    for (long i = 0; i < o.series; i++) {
        uint8_t k[512];
        size_t len = series_key(i, k, sizeof k);
        uint8_t *key = aug_malloc(len);
        memcpy(key, k, len);
        all[i].ws.key = (aug_bytes){key, len};
        all[i].ws.hash = util_hash128_of(key, len);
        all[i].ws.samples = &all[i].sample;
        all[i].ws.nsamples = 1;
    }
    size_t heap_before = aug_mem_used();

    store *s = NULL;
    aug_errbuf eb = {{0}};
    store_opts so = {.path = dir};
    aug_err e = store_open(&so, &s, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "store_open: %s\n", aug_errmsg(&eb, e));
        return 1;
    }
    metrics_registry *reg = metrics_registry_new();
    ingest_opts io = {
        .close_delay_ms = 30000,
        .checkpoint_interval_ms = 300000,
        .minute_retention_s = 14 * 86400,
        .hour_retention_s = 400 * 86400,
        .max_series = (size_t)o.series * 2,
        .queue_limit_samples = 2000000,
    };
    ingest *g = NULL;
    if ((e = ingest_open(s, &io, reg, &g, &eb)) != AUG_OK) {
        fprintf(stderr, "ingest_open: %s\n", aug_errmsg(&eb, e));
        return 1;
    }
    bthread *th = aug_calloc((size_t)o.threads, sizeof *th);
    double c0 = cpu_seconds();
    int64_t t0 = util_mono_ns();
    for (long i = 0; i < o.threads; i++) {
        th[i] = (bthread){.o = &o, .all = all, .g = g};
        th[i].first = o.series * i / o.threads;
        th[i].count = o.series * (i + 1) / o.threads - th[i].first;
        pthread_create(&th[i].th, NULL, sender, &th[i]);
    }
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
    while ((double)(util_mono_ns() - t0) / 1e9 < o.duration_s)
        nanosleep(&nap, NULL);
    atomic_store(&stop, true);
    uint64_t samples = 0, requests = 0, errors = 0;
    for (long i = 0; i < o.threads; i++) {
        pthread_join(th[i].th, NULL);
        samples += th[i].samples;
        requests += th[i].requests;
        errors += th[i].errors;
    }
    double secs = (double)(util_mono_ns() - t0) / 1e9, cpu = cpu_seconds() - c0;
    ingest_stats st;
    ingest_stats_get(g, &st);
    size_t heap = aug_mem_used() - heap_before;
    int64_t c1 = util_mono_ns();
    ingest_close(g);
    double close_s = (double)(util_mono_ns() - c1) / 1e9;
    printf("bench_ingest: %ld series, %ld per request, %ld threads, step %ld ms, %.1f s\n", o.series,
           o.per_request, o.threads, o.step_ms, secs);
    printf("accepted      %.0f samples/s (%" PRIu64 " samples, %" PRIu64 " requests, %" PRIu64 " errors)\n",
           (double)samples / secs, samples, requests, errors);
    printf("commits       %" PRIu64 " (%.2f requests per commit)\n", st.commits,
           st.commits ? (double)requests / (double)st.commits : 0.0);
    printf("cpu           %.1f s (%.2f us per sample)\n", cpu, samples ? cpu * 1e6 / (double)samples : 0.0);
    printf("heap          %zu bytes with the store open (%.0f per series)\n", heap, (double)heap / (double)st.series);
    printf("close         %.2f s (final checkpoint of %" PRIu64 " series)\n", close_s, st.series);
    store_close(s);
    metrics_registry_free(reg);
    for (long i = 0; i < o.series; i++)
        aug_free((void *)(uintptr_t)all[i].ws.key.p);
    aug_free(all);
    aug_free(th);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
