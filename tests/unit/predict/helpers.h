/* helpers.h — what the predict tests share: a real LMDB store in a mkdtemp
 * directory (../tmpdir.h) with series put in its dictionary the way ingest
 * would, configs from YAML text, a fake wall clock, and a sink that records
 * every point as "name{l="v",...}" text so tests can compare exact series. */
#ifndef AUG_TESTS_PREDICT_HELPERS_H
#define AUG_TESTS_PREDICT_HELPERS_H

#include "util/common.h"

#include "config/config.h"
#include "metrics/metrics.h"
#include "predict/predict.h"
#include "storage/store.h"
#include "util/mem.h"

#include <pthread.h>
#include <unistd.h>

#include "../check.h"
#include "../tmpdir.h"

#define TNAN ((double)NAN) /* NAN is a float constant */

static inline store *store_at(const char *dir)
{
    store_opts o = {.path = dir};
    store *s = NULL;
    aug_errbuf eb = {{0}};
    aug_err e = store_open(&o, &s, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "store_open: %s\n", aug_errmsg(&eb, e));
        exit(1);
    }
    return s;
}

/* Puts series id with labels given as sorted name, value pairs ending in NULL. */
static inline void add_series(store *s, uint32_t id, ...)
{
    uint8_t key[1024];
    size_t n = 0;
    va_list ap;
    va_start(ap, id);
    for (const char *name; (name = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        memcpy(key + n, name, strlen(name));
        n += strlen(name);
        key[n++] = 0xFF;
        memcpy(key + n, value, strlen(value));
        n += strlen(value);
        key[n++] = 0xFF;
    }
    va_end(ap);
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, true, &t), AUG_OK);
    CHECK_EQ_I64(store_series_put(t, id, (aug_bytes){key, n}), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
}

static inline cfg_config *config_of(const char *yaml)
{
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err e = cfg_load_buffer("<test>", yaml, strlen(yaml), &c, &d);
    if (e != AUG_OK) {
        cfg_diag_print(d, stderr);
        exit(1);
    }
    cfg_diag_free(d);
    return c;
}

/* ---- fake clock ---- */

static int64_t fake_now_ms;

static int64_t fake_clock(void *arg)
{
    (void)arg;
    return __atomic_load_n(&fake_now_ms, __ATOMIC_SEQ_CST);
}

static inline void set_now(int64_t ms)
{
    __atomic_store_n(&fake_now_ms, ms, __ATOMIC_SEQ_CST);
}

/* ---- recording sink ---- */

typedef struct rec_point {
    char series[512];
    int64_t ts_ms;
    double value;
    bool sorted; /* labels arrived sorted and unique */
} rec_point;

typedef struct recorder {
    pthread_mutex_t lock;
    rec_point *p;
    size_t n, cap;
    size_t calls;
} recorder;

static void rec_sink(void *arg, const predict_point *pts, size_t n)
{
    recorder *r = arg;
    pthread_mutex_lock(&r->lock);
    r->calls++;
    for (size_t i = 0; i < n; i++) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->p = realloc(r->p, r->cap * sizeof *r->p);
        }
        rec_point *q = &r->p[r->n++];
        q->ts_ms = pts[i].ts_ms;
        q->value = pts[i].value;
        q->sorted = true;
        const char *name = "";
        size_t nl = 0, o = 0;
        for (size_t k = 0; k < pts[i].nlabels; k++) {
            const aug_label *l = &pts[i].labels[k];
            if (k > 0) {
                const aug_label *pl = &pts[i].labels[k - 1];
                size_t m = pl->name.len < l->name.len ? pl->name.len : l->name.len;
                int c = memcmp(pl->name.p, l->name.p, m);
                if (c > 0 || (c == 0 && pl->name.len >= l->name.len))
                    q->sorted = false;
            }
            if (l->name.len == 8 && memcmp(l->name.p, "__name__", 8) == 0) {
                name = l->value.p;
                nl = l->value.len;
            }
        }
        o = (size_t)snprintf(q->series, sizeof q->series, "%.*s{", (int)nl, name);
        bool first = true;
        for (size_t k = 0; k < pts[i].nlabels; k++) {
            const aug_label *l = &pts[i].labels[k];
            if (l->name.len == 8 && memcmp(l->name.p, "__name__", 8) == 0)
                continue;
            o += (size_t)snprintf(q->series + o, sizeof q->series - o, "%s%.*s=\"%.*s\"", first ? "" : ",",
                                  (int)l->name.len, l->name.p, (int)l->value.len, l->value.p);
            first = false;
        }
        snprintf(q->series + o, sizeof q->series - o, "}");
    }
    pthread_mutex_unlock(&r->lock);
}

static inline void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
}

static inline void rec_free(recorder *r)
{
    free(r->p);
    pthread_mutex_destroy(&r->lock);
}

/* Number of points of series `series` at ts (any ts when ts == 0); *v gets the last value. */
static inline size_t rec_find(recorder *r, const char *series, int64_t ts, double *v)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->p[i].series, series) == 0 && (ts == 0 || r->p[i].ts_ms == ts)) {
            n++;
            if (v != NULL)
                *v = r->p[i].value;
        }
    }
    return n;
}

static inline size_t rec_count_at(recorder *r, int64_t ts)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->p[i].ts_ms == ts;
    return n;
}

/* Feeds one closed bucket through the hook: an average v over `count` samples, or a counter increase. */
static inline void bucket(predict *p, uint32_t id, store_res res, int64_t start_s, double v, double increase)
{
    store_rollup r = {.count = 4, .sum = 4 * v, .min = v, .max = v, .last = v,
                      .last_ts_ms = start_s * 1000 + 45000, .increase = increase};
    predict_on_bucket(p, id, res, start_s, &r);
}

typedef struct harness {
    const char *dir;
    char dirbuf[256];
    store *s;
    cfg_config *cfg;
    metrics_registry *reg;
    recorder rec;
    predict *p;
} harness;

static inline void h_open_predict(harness *h)
{
    aug_errbuf eb = {{0}};
    aug_err e = predict_open(h->s, h->cfg, h->reg, rec_sink, &h->rec, &h->p, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "predict_open: %s\n", aug_errmsg(&eb, e));
        exit(1);
    }
    predict_set_clock(h->p, fake_clock, NULL);
}

static inline void h_open(harness *h, const char *yaml)
{
    memset(h, 0, sizeof *h);
    tmpdir_new(h->dirbuf, sizeof h->dirbuf, "predict");
    h->dir = h->dirbuf;
    h->s = store_at(h->dir);
    h->cfg = config_of(yaml);
    h->reg = metrics_registry_new();
    rec_init(&h->rec);
    h_open_predict(h);
}

static inline void h_close(harness *h)
{
    predict_close(h->p);
    metrics_registry_free(h->reg);
    cfg_free(h->cfg);
    store_close(h->s);
    rec_free(&h->rec);
    tmpdir_remove(h->dir);
}

#endif
