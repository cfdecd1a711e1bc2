/* rwload — a remote-write load generator for benchmarks (not a test).
 *
 *   rwload --url http://127.0.0.1:9201/api/v1/write --series 100000 \
 *          --labels 8 --samples-per-request 2000 --connections 4 --duration 30
 *
 * Each connection is a thread with its own libcurl handle and owns a slice of
 * the series; it sends requests of `samples-per-request` series × 1 sample
 * (the shape Prometheus sends), cycling through its slice, with timestamps
 * advancing by --step each pass so every sample is new and timestamps are
 * strictly increasing per series. Prints accepted samples/s, status counts,
 * latency percentiles, and the generator's own CPU time so a reader can tell
 * how much of the 2-core machine it used.
 * Bounded: it stops after --duration seconds or --requests requests.
 *
 * Request bodies (design notes)
 * -----------------------------
 * 1. Pre-encoded pool (the default). Encoding a 2000-series request from
 *    labels costs ~2.5 ms of CPU (label formatting, protobuf, libsnappy);
 *    at 500 requests/s that alone would take a core of the 2-core machine
 *    the server is measured on. So before the clock starts each connection
 *    encodes a pool of requests that covers its slice a whole number of
 *    times (lcm(slice, samples-per-request) / samples-per-request requests;
 *    25 for 100k series × 4 connections), and per send only patches each
 *    sample's value and timestamp in place: ~2000 × 14 bytes.
 * 2. Patchable snappy. The pool is compressed by pool_compress below, a
 *    greedy snappy-block compressor like libsnappy's (4-byte hash matches,
 *    offsets < 64 KiB) with one constraint: the bytes of each Sample
 *    (value and timestamp) are never part of a copy, neither as source nor
 *    as destination, so they always sit in literals at known offsets of the
 *    compressed body and can be rewritten there. Every other byte is
 *    constant across sends, so every copy stays valid. The body is real
 *    snappy with a ratio close to libsnappy's (printed at start, so the
 *    server's decode work is comparable); each pooled body is checked once
 *    with libsnappy's snappy_uncompress against the protobuf it encodes.
 * 3. The Sample is always written as 09 <8-byte double> 10 <6-byte varint
 *    timestamp> (a zero value is written, not omitted: still valid
 *    protobuf), so its size never changes; timestamps must lie in
 *    [2^35, 2^42) ms (years 1971..2109) for the 6-byte varint.
 * 4. --encode-each falls back to encoding every request from labels with
 *    wire_write_encode (augur's exporter code), as does a pool that would
 *    need more than POOL_MAX requests per connection.
 */
#include "util/common.h"
#include "util/mem.h"
#include "util/time.h"
#include "wire/wire.h"

#include <curl/curl.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <sys/resource.h>

#define POOL_MAX 4096         /* pooled requests per connection */
#define SAMPLE_BYTES 16       /* 09 <8> 10 <6>: one Sample message payload */
#define TS_MIN ((int64_t)1 << 35)
#define TS_MAX ((int64_t)1 << 42)

typedef struct opts {
    const char *url;
    long series, labels, per_request, connections, step_ms;
    double duration_s;
    long max_requests;
    long start_offset_s;
    bool encode_each;
} opts;

/* One pooled request: a snappy body whose samples are patched per send. */
typedef struct pooled {
    uint8_t *body;
    size_t len;
    uint32_t *sample_off; /* per series: offset of its 16 sample bytes in body */
    uint32_t *series;     /* per series: series index (for the value) */
    uint8_t *lpass;       /* per series: pass within the pool cycle */
} pooled;

typedef struct worker {
    const opts *o;
    int idx;
    long first, count; /* series slice */
    long statuses[6];  /* 1xx..5xx, [0] = transport errors */
    long requests;
    uint64_t samples_ok;
    double *lat_ms;
    size_t nlat, cap_lat;
    pooled *pool;
    size_t npool;      /* 0: encode each request */
    long pool_passes;  /* passes over the slice one pool cycle makes */
    size_t raw_bytes, lib_bytes; /* request 0: protobuf size, libsnappy's compressed size */
    size_t pool_bytes0, npool_built; /* request 0: pooled body size; pool size (for the report) */
    pthread_t th;
} worker;

static _Atomic long total_requests;
static pthread_barrier_t start_barrier;
static _Atomic int64_t start_ns;
static double start_cpu; /* process CPU seconds when the clock started */

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

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


/* ---- protobuf writing for the pool ---- */

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes the 16 sample bytes: 09 <value LE> 10 <timestamp, 6-byte varint>. */
static void put_sample(uint8_t *p, double value, int64_t ts)
{
    uint64_t bits, t = (uint64_t)ts;
    memcpy(&bits, &value, sizeof bits);
    p[0] = 0x09;
    for (int i = 0; i < 8; i++)
        p[1 + i] = (uint8_t)(bits >> (8 * i));
    p[9] = 0x10;
    for (int i = 0; i < 5; i++)
        p[10 + i] = (uint8_t)((t >> (7 * i)) | 0x80);
    p[15] = (uint8_t)(t >> 35);
}

/* ---- patchable snappy (note 2) ---- */

#define HASH_BITS 14

static uint8_t *put_literal(uint8_t *o, const uint8_t *src, size_t len, uint8_t **lit_data)
{
    size_t n = len - 1;
    if (n < 60) {
        *o++ = (uint8_t)(n << 2);
    } else {
        unsigned nb = n < (1u << 8) ? 1 : n < (1u << 16) ? 2 : n < (1u << 24) ? 3 : 4;
        *o++ = (uint8_t)((59 + nb) << 2);
        for (unsigned i = 0; i < nb; i++)
            *o++ = (uint8_t)(n >> (8 * i));
    }
    *lit_data = o;
    memcpy(o, src, len);
    return o + len;
}

static uint8_t *put_copy(uint8_t *o, size_t off, size_t len)
{
    while (len > 0) {
        size_t l = len > 64 ? 64 : len;
        if (len > 64 && len - 64 < 4)
            l = 60; /* keep the tail ≥ 4 so it can use the short form too */
        if (l >= 4 && l <= 11 && off < 2048) {
            *o++ = (uint8_t)(1 | ((l - 4) << 2) | ((off >> 8) << 5));
            *o++ = (uint8_t)off;
        } else {
            *o++ = (uint8_t)(2 | ((l - 1) << 2));
            *o++ = (uint8_t)off;
            *o++ = (uint8_t)(off >> 8);
        }
        len -= l;
    }
    return o;
}

/* Compresses in[0..n) into out (capacity snappy_max_compressed_length(n)).
 * var[i] marks bytes that change between sends: they are never matched and
 * so always lie in literals; lit_off[i] receives the offset in out of byte i
 * for every var byte. Returns the compressed length. */
static size_t pool_compress(const uint8_t *in, size_t n, const uint8_t *var, uint32_t *lit_off, uint8_t *out)
{
    uint32_t *table = aug_calloc((size_t)1 << HASH_BITS, sizeof *table); /* position + 1, 0 = empty */
    uint8_t *o = put_varint(out, n);
    size_t lit = 0, i = 0;
    while (i + 4 <= n) {
        if (var[i] | var[i + 1] | var[i + 2] | var[i + 3]) {
            i++;
            continue;
        }
        uint32_t w;
        memcpy(&w, in + i, 4);
        uint32_t h = (w * 0x1e35a7bdu) >> (32 - HASH_BITS);
        size_t cand = table[h];
        table[h] = (uint32_t)(i + 1);
        uint32_t cw = 0;
        if (cand == 0 || i - (cand - 1) >= 65536)
            goto next;
        cand--;
        memcpy(&cw, in + cand, 4);
        if (cw != w || (var[cand] | var[cand + 1] | var[cand + 2] | var[cand + 3]))
            goto next;
        size_t len = 4;
        while (i + len < n && !var[i + len] && !var[cand + len] && in[i + len] == in[cand + len])
            len++;
        if (lit < i) {
            uint8_t *data;
            o = put_literal(o, in + lit, i - lit, &data);
            for (size_t k = lit; k < i; k++)
                if (var[k])
                    lit_off[k] = (uint32_t)(data - out + (ptrdiff_t)(k - lit));
        }
        o = put_copy(o, i - cand, len);
        i += len;
        lit = i;
        continue;
    next:
        i++;
    }
    if (lit < n) {
        uint8_t *data;
        o = put_literal(o, in + lit, n - lit, &data);
        for (size_t k = lit; k < n; k++)
            if (var[k])
                lit_off[k] = (uint32_t)(data - out + (ptrdiff_t)(k - lit));
    }
    aug_free(table);
    return (size_t)(o - out);
}

static long gcd(long a, long b)
{
    while (b != 0) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Builds the pool of worker w (note 1). Returns false to fall back to
 * encoding each request. */
static bool pool_build(worker *w, int64_t base_ms)
{
    const opts *o = w->o;
    long n = o->per_request;
    long cycle = w->count / gcd(w->count, n) * n; /* lcm: series slots per pool cycle */
    long nreq = cycle / n;
    if (o->encode_each || nreq > POOL_MAX || cycle / w->count > 255 || base_ms < TS_MIN || base_ms >= TS_MAX)
        return false;
    w->pool = aug_calloc((size_t)nreq, sizeof *w->pool);
    w->pool_passes = cycle / w->count;
    char *text = aug_malloc(1024);
    aug_label l[17];
    size_t rawcap = (size_t)n * 1024;
    uint8_t *raw = aug_malloc(rawcap), *var = aug_malloc(rawcap), *check = aug_malloc(rawcap);
    uint32_t *lit_off = aug_malloc(rawcap * sizeof *lit_off);
    size_t *sstart = aug_malloc((size_t)n * sizeof *sstart);
    bool ok = true;
    for (long r = 0; r < nreq && ok; r++) {
        pooled *p = &w->pool[r];
        p->sample_off = aug_malloc((size_t)n * sizeof *p->sample_off);
        p->series = aug_malloc((size_t)n * sizeof *p->series);
        p->lpass = aug_malloc((size_t)n);
        uint8_t *q = raw;
        for (long k = 0; k < n; k++) {
            long pos = r * n + k;
            long i = w->first + pos % w->count;
            p->series[k] = (uint32_t)i;
            p->lpass[k] = (uint8_t)(pos / w->count);
            size_t nl = series_labels(o, i, text, 1024, l), lbytes = 0;
            for (size_t j = 0; j < nl; j++) {
                size_t body = 1 + varint_size(l[j].name.len) + l[j].name.len + 1 + varint_size(l[j].value.len) +
                              l[j].value.len;
                lbytes += 1 + varint_size(body) + body;
            }
            size_t ts_len = lbytes + 1 + 1 + SAMPLE_BYTES;
            *q++ = 0x0a;
            q = put_varint(q, ts_len);
            for (size_t j = 0; j < nl; j++) {
                size_t body = 1 + varint_size(l[j].name.len) + l[j].name.len + 1 + varint_size(l[j].value.len) +
                              l[j].value.len;
                *q++ = 0x0a;
                q = put_varint(q, body);
                *q++ = 0x0a;
                q = put_varint(q, l[j].name.len);
                memcpy(q, l[j].name.p, l[j].name.len);
                q += l[j].name.len;
                *q++ = 0x12;
                q = put_varint(q, l[j].value.len);
                memcpy(q, l[j].value.p, l[j].value.len);
                q += l[j].value.len;
            }
            *q++ = 0x12;
            *q++ = SAMPLE_BYTES;
            sstart[k] = (size_t)(q - raw);
            put_sample(q, (double)((i * 31) % 1000), base_ms + (int64_t)p->lpass[k] * o->step_ms);
            q += SAMPLE_BYTES;
        }
        size_t rawlen = (size_t)(q - raw);
        memset(var, 0, rawlen);
        for (long k = 0; k < n; k++)
            memset(var + sstart[k], 1, SAMPLE_BYTES);
        p->body = aug_malloc(snappy_max_compressed_length(rawlen));
        p->len = pool_compress(raw, rawlen, var, lit_off, p->body);
        for (long k = 0; k < n; k++) {
            p->sample_off[k] = lit_off[sstart[k]];
            for (size_t b = 1; b < SAMPLE_BYTES; b++)
                ok &= lit_off[sstart[k] + b] == p->sample_off[k] + b; /* one contiguous literal run */
        }
        /* Check once that the body decodes to exactly the protobuf. */
        size_t clen = rawcap;
        ok &= snappy_uncompress((const char *)p->body, p->len, (char *)check, &clen) == SNAPPY_OK &&
              clen == rawlen && memcmp(check, raw, rawlen) == 0;
        if (r == 0) {
            size_t zl = snappy_max_compressed_length(rawlen);
            char *z = aug_malloc(zl);
            snappy_compress((const char *)raw, rawlen, z, &zl);
            aug_free(z);
            w->raw_bytes = rawlen;
            w->lib_bytes = zl;
            w->pool_bytes0 = p->len;
        }
    }
    w->npool = w->npool_built = (size_t)nreq;
    aug_free(text);
    aug_free(raw);
    aug_free(var);
    aug_free(check);
    aug_free(lit_off);
    aug_free(sstart);
    if (!ok) {
        fprintf(stderr, "rwload: pooled body failed its self-check (a bug in pool_compress)\n");
        exit(1);
    }
    return true;
}

static void pool_free(worker *w)
{
    for (size_t r = 0; r < w->npool; r++) {
        aug_free(w->pool[r].body);
        aug_free(w->pool[r].sample_off);
        aug_free(w->pool[r].series);
        aug_free(w->pool[r].lpass);
    }
    aug_free(w->pool);
    w->pool = NULL;
    w->npool = 0;
}

/* Patches pooled request r for cycle c: pass = c * pool_passes + lpass.
 * False when a timestamp would leave the 6-byte varint range (note 3). */
static bool pool_patch(worker *w, size_t r, long c, int64_t base_ms)
{
    pooled *p = &w->pool[r];
    for (long k = 0; k < w->o->per_request; k++) {
        long pass = c * w->pool_passes + p->lpass[k];
        int64_t ts = base_ms + (int64_t)pass * w->o->step_ms;
        if (ts >= TS_MAX)
            return false;
        put_sample(p->body + p->sample_off[k], (double)(((long)p->series[k] * 31 + pass) % 1000), ts);
    }
    return true;
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
    int64_t base_ms = (util_now_ms() / 60000 - o->start_offset_s / 60) * 60000;
    wire_series *ws = NULL;
    aug_label *labels = NULL;
    char *text = NULL;
    aug_sample *samples = NULL;
    if (!pool_build(w, base_ms)) {
        ws = aug_calloc((size_t)n, sizeof *ws);
        labels = aug_calloc((size_t)(n * 17), sizeof *labels);
        text = aug_malloc((size_t)n * 1024);
        samples = aug_calloc((size_t)n, sizeof *samples);
    }
    /* Everyone starts the clock together, after the pools are built. */
    int64_t now = util_mono_ns();
    if (pthread_barrier_wait(&start_barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
        atomic_store(&start_ns, now);
        start_cpu = cpu_seconds(); /* read by main after the joins */
    }
    int64_t t_end = util_mono_ns() + (int64_t)(o->duration_s * 1e9);
    long pos = 0, pass = 0;
    size_t r = 0;
    long cycle = 0;
    while (util_mono_ns() < t_end && atomic_fetch_add(&total_requests, 1) < o->max_requests) {
        uint8_t *body = NULL;
        size_t len = 0;
        if (w->npool > 0) {
            if (!pool_patch(w, r, cycle, base_ms))
                break;
            body = w->pool[r].body;
            len = w->pool[r].len;
            if (++r == w->npool) {
                r = 0;
                cycle++;
            }
        } else {
            for (long k = 0; k < n; k++) {
                long i = w->first + (pos + k) % w->count;
                ws[k].labels = labels + k * 17;
                ws[k].nlabels = series_labels(o, i, text + k * 1024, 1024, labels + k * 17);
                long sp = pass + (pos + k) / w->count;
                samples[k].ts_ms = base_ms + sp * o->step_ms;
                samples[k].value = (double)((i * 31 + sp) % 1000);
                ws[k].samples = &samples[k];
                ws[k].nsamples = 1;
            }
            pos += n;
            if (pos >= w->count) {
                pass += pos / w->count;
                pos %= w->count;
            }
            if (wire_write_encode(ws, (size_t)n, &body, &len) != AUG_OK)
                break;
        }
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        int64_t t0 = util_mono_ns();
        CURLcode rc = curl_easy_perform(c);
        double ms = (double)(util_mono_ns() - t0) / 1e6;
        if (w->npool == 0)
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
    pool_free(w);
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
    "              [--encode-each]\n"
    "Sends remote-write 1.0 requests (snappy + protobuf) and prints throughput and latency.\n"
    "  --url                  default http://127.0.0.1:9201/api/v1/write\n"
    "  --series               distinct series, default 100000\n"
    "  --labels               labels per series incl. __name__, job, instance (3..17), default 8\n"
    "  --samples-per-request  series (x 1 sample) per request, default 2000\n"
    "  --connections          parallel connections (threads), default 4\n"
    "  --duration             seconds to run, default 30\n"
    "  --requests             stop after this many requests in total, default unlimited\n"
    "  --step                 virtual scrape interval between passes, ms, default 10000\n"
    "  --start-offset         first timestamp this many seconds before now, default 7200\n"
    "  --encode-each          encode every request from labels (wire_write_encode) instead of\n"
    "                         patching a pre-encoded pool; costs ~2.5 ms CPU per 2000 series\n";

int main(int argc, char **argv)
{
    opts o = {"http://127.0.0.1:9201/api/v1/write", 100000, 8, 2000, 4, 10000, 30, LONG_MAX, 7200, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(a, "--encode-each") == 0) {
            o.encode_each = true;
            continue;
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
    pthread_barrier_init(&start_barrier, NULL, (unsigned)o.connections);
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
    double secs = (double)(util_mono_ns() - atomic_load(&start_ns)) / 1e9;
    double *lat = aug_malloc((nlat ? nlat : 1) * sizeof *lat);
    size_t k = 0;
    for (long c = 0; c < o.connections; c++) {
        memcpy(lat + k, w[c].lat_ms, w[c].nlat * sizeof *lat);
        k += w[c].nlat;
        aug_free(w[c].lat_ms);
    }
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double cpu = cpu_seconds() - start_cpu;
    printf("rwload: %ld series x %ld labels, %ld samples/request, %ld connections, %.1f s\n", o.series, o.labels,
           o.per_request, o.connections, secs);
    printf("requests      %ld (2xx %ld, 4xx %ld, 5xx %ld, transport errors %ld)\n", reqs, st[2], st[4], st[5],
           st[0]);
    printf("accepted      %.0f samples/s (%" PRIu64 " samples)\n", (double)ok / secs, ok);
    if (nlat > 0)
        printf("latency ms    p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", lat[nlat / 2], lat[nlat * 9 / 10],
               lat[nlat * 99 / 100], lat[nlat - 1]);
    printf("generator cpu %.1f s (%.0f%% of one core, after building the request pool)\n", cpu, 100.0 * cpu / secs);
    if (w[0].lib_bytes > 0)
        printf("request body  %zu bytes snappy (libsnappy: %zu) for %zu bytes protobuf, %zu pooled per connection\n",
               w[0].pool_bytes0, w[0].lib_bytes, w[0].raw_bytes, w[0].npool_built);
    else
        printf("request body  encoded per request with wire_write_encode\n");
    aug_free(lat);
    aug_free(w);
    curl_global_cleanup();
    return st[2] > 0 ? 0 : 1;
}
