/* bench_wire — decode/encode throughput of src/wire on realistic requests.
 *
 * Request shapes (what Prometheus sends, ~1 sample per series per request):
 *   A: 2000 series × 8 labels of realistic sizes × 1 sample
 *   B: 100 series × 8 labels × 20 samples
 * Rows (each the best of 5 runs of ≥ 0.2 s; one fresh arena per request, as
 * an HTTP thread does):
 *   decode augur : wire_write_decode — snappy + hand-rolled protobuf +
 *                  validation + canonical key + hash128 (the full path)
 *   decode pbc   : the same with protobuf_c_message_unpack
 *                  (tests/unit/wire/pbc_ref.h), for comparison
 *   snappy augur / snappy lib : the snappy block decode alone, ours vs
 *                  libsnappy's snappy_uncompress
 *   encode augur / encode pbc : wire_write_encode vs protobuf-c pack, both
 *                  followed by snappy_compress
 *   decode augur x2 : two threads decoding concurrently (2-core figure)
 *   decode warm-heap : decode augur again after mallopt() stops glibc from
 *                  trimming and unmapping freed arena blocks. With default
 *                  settings each request's ~1.6 MB of arena memory is
 *                  returned to the kernel and faulted back in by the next
 *                  request; the difference between the two rows is that
 *                  cost (a daemon avoids it by reusing arenas per thread or
 *                  raising M_TRIM_THRESHOLD/M_MMAP_THRESHOLD). The snappy
 *                  rows are repeated there too, so ours and libsnappy's are
 *                  compared under both heap behaviours.
 * Usage: bench_wire [seconds-per-run, default 0.2] [row filter substring]
 */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "util/time.h"
#include "wire/wire.h"

#include <malloc.h>
#include <pthread.h>
#include <snappy-c.h>

#include "../unit/wire/pbc_ref.h"

static double run_secs = 0.2;
static const char *only; /* run only rows whose name contains this */

/* ---- request generation (fixed seed) ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static const char *const metric_names[] = {
    "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes", "http_requests_total", "http_request_duration_seconds_bucket",
    "kube_pod_container_status_restarts_total", "process_resident_memory_bytes", "go_goroutines",
    "node_network_receive_bytes_total", "up", "node_filesystem_avail_bytes",
};
static const char *const namespaces[] = {"default", "kube-system", "monitoring", "payments", "checkout",
                                         "ingress-nginx"};
static const char *const jobs[] = {"node-exporter", "kubelet", "kube-state-metrics", "api-server", "web"};

typedef struct shape {
    const char *name;
    size_t nseries, nsamples;
    wire_series *series;
    aug_label *labels;
    aug_sample *samples;
    char *strings;
} shape;

static char *dup_fmt(char **pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *dup_fmt(char **pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*pool, 128, fmt, ap);
    va_end(ap);
    char *s = *pool;
    *pool += n + 1;
    return s;
}

static void make_shape(shape *sh, const char *name, size_t nseries, size_t nsamples)
{
    rng = 0x9e3779b97f4a7c15ULL ^ nseries; /* same data in every pass */
    sh->name = name;
    sh->nseries = nseries;
    sh->nsamples = nsamples;
    sh->series = aug_calloc(nseries, sizeof *sh->series);
    sh->labels = aug_calloc(nseries * 8, sizeof *sh->labels);
    sh->samples = aug_calloc(nseries * nsamples, sizeof *sh->samples);
    sh->strings = aug_malloc(nseries * 8 * 128);
    char *pool = sh->strings;
    int64_t t0 = 1700000000000;
    for (size_t i = 0; i < nseries; i++) {
        aug_label *l = &sh->labels[i * 8];
        /* 8 labels, sorted by name: __name__ container instance job
         * mode namespace pod service */
        const char *v[8] = {
            metric_names[rnd() % AUG_ARRAY_LEN(metric_names)],
            dup_fmt(&pool, "app-%u", (unsigned)(rnd() % 40)),
            dup_fmt(&pool, "10.%u.%u.%u:9100", (unsigned)(rnd() % 4), (unsigned)(rnd() % 256),
                    (unsigned)(rnd() % 256)),
            jobs[rnd() % AUG_ARRAY_LEN(jobs)],
            i % 3 == 0 ? "idle" : i % 3 == 1 ? "user" : "system",
            namespaces[rnd() % AUG_ARRAY_LEN(namespaces)],
            dup_fmt(&pool, "app-%u-%08x-%05x", (unsigned)(rnd() % 40), (unsigned)rnd(), (unsigned)(rnd() & 0xfffff)),
            dup_fmt(&pool, "svc-%u", (unsigned)(rnd() % 60)),
        };
        static const char *const n[8] = {"__name__", "container", "instance", "job",
                                         "mode", "namespace", "pod", "service"};
        for (int k = 0; k < 8; k++)
            l[k] = (aug_label){{n[k], strlen(n[k])}, {v[k], strlen(v[k])}};
        aug_sample *s = &sh->samples[i * nsamples];
        double base = (double)(rnd() % 100000) / 7.0;
        for (size_t k = 0; k < nsamples; k++)
            s[k] = (aug_sample){.ts_ms = t0 + (int64_t)k * 15000 + (int64_t)(rnd() % 1000),
                                .value = base + (double)k * 0.25};
        sh->series[i] = (wire_series){.labels = l, .nlabels = 8, .samples = s, .nsamples = nsamples};
    }
}

static void free_shape(shape *sh)
{
    aug_free(sh->series);
    aug_free(sh->labels);
    aug_free(sh->samples);
    aug_free(sh->strings);
}

/* ---- timing ---- */

typedef aug_err (*op_fn)(void *ctx);

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ns per call, wall clock and this thread's CPU time, from the run (of 5,
 * each ≥ run_secs) with the least CPU time. CPU time is what capacity
 * planning needs and is robust on a shared machine; wall time includes
 * preemption by other processes. */
typedef struct timing {
    double wall, cpu;
} timing;

static timing measure(op_fn fn, void *ctx)
{
    timing best = {1e300, 1e300};
    for (int r = 0; r < 5; r++) {
        long iters = 0;
        int64_t t0 = util_mono_ns(), c0 = cpu_ns(), t;
        do {
            if (fn(ctx) != AUG_OK) {
                fprintf(stderr, "operation failed\n");
                exit(1);
            }
            iters++;
            t = util_mono_ns();
        } while ((double)(t - t0) < run_secs * 1e9);
        double cpu = (double)(cpu_ns() - c0) / (double)iters;
        if (cpu < best.cpu)
            best = (timing){(double)(t - t0) / (double)iters, cpu};
    }
    return best;
}

typedef struct ctx {
    shape *sh;
    aug_bytes body;   /* snappy WriteRequest */
    size_t raw_len;   /* its decoded size */
    wire_limits lim;
} ctx;

static aug_err op_decode(void *p)
{
    ctx *c = p;
    util_arena *a = util_arena_new((size_t)256 << 20);
    wire_write_req r = {0};
    aug_err err = wire_write_decode(a, c->body, &c->lim, &r, NULL);
    if (err == AUG_OK && r.nseries != c->sh->nseries)
        err = AUG_EINVAL;
    util_arena_free(a);
    return err;
}

static aug_err op_decode_pbc(void *p)
{
    ctx *c = p;
    util_arena *a = util_arena_new((size_t)256 << 20);
    wire_write_req r = {0};
    aug_err err = pbc_ref_write_decode(a, c->body, &c->lim, &r, NULL);
    if (err == AUG_OK && r.nseries != c->sh->nseries)
        err = AUG_EINVAL;
    util_arena_free(a);
    return err;
}

static aug_err op_snappy(void *p)
{
    ctx *c = p;
    util_arena *a = util_arena_new((size_t)256 << 20);
    aug_bytes out;
    aug_err err = wire_snappy_decode(a, c->body, SIZE_MAX, &out, NULL);
    util_arena_free(a);
    return err;
}

static aug_err op_snappy_lib(void *p)
{
    ctx *c = p;
    char *buf = aug_malloc(c->raw_len);
    size_t n = c->raw_len;
    snappy_status st = snappy_uncompress((const char *)c->body.p, c->body.len, buf, &n);
    aug_free(buf);
    return st == SNAPPY_OK ? AUG_OK : AUG_EMALFORMED;
}

static aug_err op_encode(void *p)
{
    ctx *c = p;
    uint8_t *out;
    size_t n;
    aug_err err = wire_write_encode(c->sh->series, c->sh->nseries, &out, &n);
    aug_free(out);
    return err;
}

static aug_err op_encode_pbc(void *p)
{
    ctx *c = p;
    uint8_t *out;
    size_t n;
    aug_err err = pbc_ref_write_encode(c->sh->series, c->sh->nseries, &out, &n);
    if (err == AUG_OK)
        aug_free(out);
    return err;
}

typedef struct thr {
    ctx *c;
    timing t;
} thr;

static void *thread_main(void *p)
{
    thr *t = p;
    t->t = measure(op_decode, t->c);
    return NULL;
}

static bool wanted(const char *what)
{
    return only == NULL || strstr(what, only) != NULL;
}

/* Throughput columns are per second of CPU time of one core; `threads`
 * rows report the sum over threads (wall-clock based, as a 2-core figure). */
static void row(const char *what, const ctx *c, timing t, int threads)
{
    double ns = threads > 1 ? t.wall : t.cpu;
    double per_s = 1e9 / ns * threads;
    double samples = (double)(c->sh->nseries * c->sh->nsamples);
    printf("  %-16s %8.1f us/req cpu %8.1f wall %11.0f samples/s %7.1f MB/s snappy %7.1f MB/s decoded %6.1f "
           "ns/series\n",
           what, t.cpu / 1e3, t.wall / 1e3, samples * per_s, (double)c->body.len * per_s / 1e6,
           (double)c->raw_len * per_s / 1e6, ns / (double)c->sh->nseries / threads);
}

static void run_shape(size_t nseries, size_t nsamples, const char *name, bool warm_pass)
{
    shape sh;
    make_shape(&sh, name, nseries, nsamples);
    uint8_t *body;
    size_t len;
    if (wire_write_encode(sh.series, sh.nseries, &body, &len) != AUG_OK)
        exit(1);
    size_t raw = 0;
    snappy_uncompressed_length((const char *)body, len, &raw);
    ctx c = {.sh = &sh, .body = {body, len}, .raw_len = raw, .lim = wire_limits_default()};
    printf("%s: %zu bytes snappy, %zu bytes protobuf (%.0f B/series)\n", sh.name, len, raw,
           (double)raw / (double)sh.nseries);
    if (warm_pass) {
        if (wanted("decode warm-heap"))
            row("decode warm-heap", &c, measure(op_decode, &c), 1);
        if (wanted("snappy warm-heap"))
            row("snappy warm-heap", &c, measure(op_snappy, &c), 1);
        if (wanted("snappylib warm-heap"))
            row("snappylib warm-heap", &c, measure(op_snappy_lib, &c), 1);
    } else {
        if (wanted("decode augur"))
            row("decode augur", &c, measure(op_decode, &c), 1);
        if (wanted("decode pbc"))
            row("decode pbc", &c, measure(op_decode_pbc, &c), 1);
        if (wanted("snappy augur"))
            row("snappy augur", &c, measure(op_snappy, &c), 1);
        if (wanted("snappy lib"))
            row("snappy lib", &c, measure(op_snappy_lib, &c), 1);
        if (wanted("encode augur"))
            row("encode augur", &c, measure(op_encode, &c), 1);
        if (wanted("encode pbc"))
            row("encode pbc", &c, measure(op_encode_pbc, &c), 1);
        if (wanted("decode augur x2")) {
            thr t[2] = {{.c = &c}, {.c = &c}};
            pthread_t th[2];
            for (int k = 0; k < 2; k++)
                pthread_create(&th[k], NULL, thread_main, &t[k]);
            for (int k = 0; k < 2; k++)
                pthread_join(th[k], NULL);
            row("decode augur x2", &c,
                (timing){(t[0].t.wall + t[1].t.wall) / 2, (t[0].t.cpu + t[1].t.cpu) / 2}, 2);
        }
    }
    aug_free(body);
    free_shape(&sh);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        run_secs = strtod(argv[1], NULL);
    if (argc > 2)
        only = argv[2];
    static const struct {
        const char *name;
        size_t nseries, nsamples;
    } shapes[] = {{"2000 series x 8 labels x 1 sample", 2000, 1}, {"100 series x 8 labels x 20 samples", 100, 20}};
    for (size_t i = 0; i < AUG_ARRAY_LEN(shapes); i++)
        run_shape(shapes[i].nseries, shapes[i].nsamples, shapes[i].name, false);
    if (wanted("decode warm-heap") || wanted("snappy warm-heap") || wanted("snappylib warm-heap")) {
        /* Process-wide, so it comes last: freed arena blocks stay mapped. */
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        printf("-- after mallopt(M_TRIM_THRESHOLD=256MiB, M_MMAP_THRESHOLD=32MiB):\n");
        for (size_t i = 0; i < AUG_ARRAY_LEN(shapes); i++)
            run_shape(shapes[i].nseries, shapes[i].nsamples, shapes[i].name, true);
    }
    return 0;
}
