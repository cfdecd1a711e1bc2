/* rwload — a remote-write load generator for benchmarks (not a test).
 *
 *   rwload --url http://127.0.0.1:9201/api/v1/write --series 100000 \
 *          --labels 8 --samples-per-request 2000 --connections 4 --duration 30
 *
 * Each connection is a thread with its own libcurl handle and owns a slice of
 * the series; it sends requests of `samples-per-request` series × 1 sample
 * (the shape Prometheus sends), cycling through its slice, with timestamps
 * advancing by --step each pass so every sample is new. Requests are encoded
 * with augur's own wire_write_encode (the exporter's code). Prints accepted
 * samples/s, status counts, latency percentiles, and the generator's own CPU
 * time so a reader can tell how much of the 2-core machine it used.
 * Bounded: it stops after --duration seconds or --requests requests.
 */
#include "util/common.h"
#include "util/mem.h"
#include "util/time.h"
#include "wire/wire.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

typedef struct opts {
    const char *url;
    long series, labels, per_request, connections, step_ms;
    double duration_s;
    long max_requests;
    long start_offset_s;
} opts;

typedef struct worker {
    const opts *o;
    int idx;
    long first, count; /* series slice */
    long statuses[6];  /* 1xx..5xx, [0] = transport errors */
    long requests;
    uint64_t samples_ok;
    double *lat_ms;
    size_t nlat, cap_lat;
    pthread_t th;
} worker;

static _Atomic long total_requests;

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    AUG_UNUSED(p);
    AUG_UNUSED(u);
    return s * n;
}

/* Label strings of series i, formatted into buf; returns the label count. */
static size_t series_labels(const opts *o, long i, char *buf, size_t buflen, aug_label *l)
{
    size_t n = 0, off = 0;
#define ADD(nm, ...) \
    do { \
        int w_ = snprintf(buf + off, buflen - off, __VA_ARGS__); \
        l[n].name = (aug_str){(nm), strlen(nm)}; \
        l[n].value = (aug_str){buf + off, (size_t)w_}; \
        off += (size_t)w_ + 1; \
        n++; \
    } while (0)
    static const char *const extra_names[] = {"az", "cluster", "env", "l3", "l4", "l5", "l6", "l7",
                                              "l8", "l9", "pod", "region", "service", "team"};
    ADD("__name__", "rwload_metric_%ld", i % 100);
    long extras = o->labels - 3;
    for (long k = 0; k < extras && k < 11; k++)
        ADD(extra_names[k], "value-%ld-%ld", k, (i / 7) % 50);
    ADD("instance", "host-%06ld.example.internal:9100", i / 100);
    ADD("job", "rwload");
    for (long k = 11; k < extras && k < 14; k++)
        ADD(extra_names[k], "value-%ld-%ld", k, (i / 7) % 50);
#undef ADD
    /* remote-write requires labels sorted by name */
    for (size_t a = 1; a < n; a++) {
        for (size_t b = a; b > 0; b--) {
            size_t m = AUG_MIN(l[b - 1].name.len, l[b].name.len);
            int c = memcmp(l[b - 1].name.p, l[b].name.p, m);
            if (c < 0 || (c == 0 && l[b - 1].name.len <= l[b].name.len))
                break;
            aug_label tmp = l[b - 1];
            l[b - 1] = l[b];
            l[b] = tmp;
        }
    }
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *run(void *arg)
{
    worker *w = arg;
    const opts *o = w->o;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/x-protobuf");
    h = curl_slist_append(h, "Content-Encoding: snappy");
    h = curl_slist_append(h, "X-Prometheus-Remote-Write-Version: 0.1.0");
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);

    long n = o->per_request;
    wire_series *ws = aug_calloc((size_t)n, sizeof *ws);
    aug_label *labels = aug_calloc((size_t)(n * 16), sizeof *labels);
    char *text = aug_malloc((size_t)n * 1024);
    aug_sample *samples = aug_calloc((size_t)n, sizeof *samples);
    int64_t base_ms = (util_now_ms() / 60000 - o->start_offset_s / 60) * 60000;
    int64_t t_end = util_mono_ns() + (int64_t)(o->duration_s * 1e9);
    long pos = 0, pass = 0;
    while (util_mono_ns() < t_end && atomic_fetch_add(&total_requests, 1) < o->max_requests) {
        for (long k = 0; k < n; k++) {
            long i = w->first + (pos + k) % w->count;
            ws[k].labels = labels + k * 16;
            ws[k].nlabels = series_labels(o, i, text + k * 1024, 1024, labels + k * 16);
            samples[k].ts_ms = base_ms + (pass + (pos + k) / w->count) * o->step_ms;
            samples[k].value = (double)((i * 31 + pass) % 1000);
            ws[k].samples = &samples[k];
            ws[k].nsamples = 1;
        }
        pos += n;
        if (pos >= w->count) {
            pass += pos / w->count;
            pos %= w->count;
        }
        uint8_t *body = NULL;
        size_t len = 0;
        if (wire_write_encode(ws, (size_t)n, &body, &len) != AUG_OK)
            break;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        int64_t t0 = util_mono_ns();
        CURLcode rc = curl_easy_perform(c);
        double ms = (double)(util_mono_ns() - t0) / 1e6;
        aug_free(body);
        long code = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        long cls = code / 100;
        w->statuses[cls >= 1 && cls <= 5 ? cls : 0]++;
        w->requests++;
        if (cls == 2)
            w->samples_ok += (uint64_t)n;
        if (w->nlat == w->cap_lat) {
            w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 4096;
            w->lat_ms = aug_realloc(w->lat_ms, w->cap_lat * sizeof *w->lat_ms);
        }
        w->lat_ms[w->nlat++] = ms;
    }
    aug_free(ws);
    aug_free(labels);
    aug_free(text);
    aug_free(samples);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static const char usage[] =
    "usage: rwload [--url URL] [--series N] [--labels N] [--samples-per-request N]\n"
    "              [--connections N] [--duration SECONDS] [--requests N] [--step MS] [--start-offset S]\n"
    "Sends remote-write 1.0 requests (snappy + protobuf) and prints throughput and latency.\n"
    "  --url                  default http://127.0.0.1:9201/api/v1/write\n"
    "  --series               distinct series, default 100000\n"
    "  --labels               labels per series incl. __name__, job, instance (3..17), default 8\n"
    "  --samples-per-request  series (x 1 sample) per request, default 2000\n"
    "  --connections          parallel connections (threads), default 4\n"
    "  --duration             seconds to run, default 30\n"
    "  --requests             stop after this many requests in total, default unlimited\n"
    "  --step                 virtual scrape interval between passes, ms, default 10000\n"
    "  --start-offset         first timestamp this many seconds before now, default 7200\n";

int main(int argc, char **argv)
{
    opts o = {"http://127.0.0.1:9201/api/v1/write", 100000, 8, 2000, 4, 10000, 30, LONG_MAX, 7200};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (v == NULL) {
            fprintf(stderr, "rwload: %s needs a value\n%s", a, usage);
            return 2;
        }
        i++;
        if (strcmp(a, "--url") == 0)
            o.url = v;
        else if (strcmp(a, "--series") == 0)
            o.series = strtol(v, NULL, 10);
        else if (strcmp(a, "--labels") == 0)
            o.labels = strtol(v, NULL, 10);
        else if (strcmp(a, "--samples-per-request") == 0)
            o.per_request = strtol(v, NULL, 10);
        else if (strcmp(a, "--connections") == 0)
            o.connections = strtol(v, NULL, 10);
        else if (strcmp(a, "--duration") == 0)
            o.duration_s = strtod(v, NULL);
        else if (strcmp(a, "--requests") == 0)
            o.max_requests = strtol(v, NULL, 10);
        else if (strcmp(a, "--step") == 0)
            o.step_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--start-offset") == 0)
            o.start_offset_s = strtol(v, NULL, 10);
        else {
            fprintf(stderr, "rwload: unknown flag %s\n%s", a, usage);
            return 2;
        }
    }
    if (o.series < 1 || o.labels < 3 || o.labels > 17 || o.per_request < 1 || o.connections < 1 ||
        o.connections > 64 || o.duration_s <= 0 || o.duration_s > 3600 ||
        o.series < o.per_request * o.connections) {
        fprintf(stderr, "rwload: out-of-range option (need series >= samples-per-request x connections)\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    worker *w = aug_calloc((size_t)o.connections, sizeof *w);
    int64_t t0 = util_mono_ns();
    for (long c = 0; c < o.connections; c++) {
        w[c].o = &o;
        w[c].idx = (int)c;
        w[c].first = o.series * c / o.connections;
        w[c].count = o.series * (c + 1) / o.connections - w[c].first;
        pthread_create(&w[c].th, NULL, run, &w[c]);
    }
    long st[6] = {0}, reqs = 0;
    uint64_t ok = 0;
    size_t nlat = 0;
    for (long c = 0; c < o.connections; c++) {
        pthread_join(w[c].th, NULL);
        for (int k = 0; k < 6; k++)
            st[k] += w[c].statuses[k];
        reqs += w[c].requests;
        ok += w[c].samples_ok;
        nlat += w[c].nlat;
    }
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    double *lat = aug_malloc((nlat ? nlat : 1) * sizeof *lat);
    size_t k = 0;
    for (long c = 0; c < o.connections; c++) {
        memcpy(lat + k, w[c].lat_ms, w[c].nlat * sizeof *lat);
        k += w[c].nlat;
        aug_free(w[c].lat_ms);
    }
    qsort(lat, nlat, sizeof *lat, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    printf("rwload: %ld series x %ld labels, %ld samples/request, %ld connections, %.1f s\n", o.series, o.labels,
           o.per_request, o.connections, secs);
    printf("requests      %ld (2xx %ld, 4xx %ld, 5xx %ld, transport errors %ld)\n", reqs, st[2], st[4], st[5],
           st[0]);
    printf("accepted      %.0f samples/s (%" PRIu64 " samples)\n", (double)ok / secs, ok);
    if (nlat > 0)
        printf("latency ms    p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", lat[nlat / 2], lat[nlat * 9 / 10],
               lat[nlat * 99 / 100], lat[nlat - 1]);
    printf("generator cpu %.1f s (%.0f%% of one core)\n", cpu, 100.0 * cpu / secs);
    aug_free(lat);
    aug_free(w);
    curl_global_cleanup();
    return st[2] > 0 ? 0 : 1;
}
