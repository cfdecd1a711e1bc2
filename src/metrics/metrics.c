/* metrics.c — registry of families and children, text exposition.
 *
 * Layout: families in a linked list in registration order; each family owns
 * a list of children. Children are allocated once and never freed before the
 * registry, so handles stay valid. Doubles are stored as their bit pattern in
 * _Atomic uint64_t so updates need no lock (CAS loop for add).
 */
#include "util/common.h"
#include "util/bits.h"
#include "metrics/metrics.h"
#include "util/mem.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

typedef enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } kind;

#define MAX_BOUNDS 32

typedef struct child {
    struct child *next;
    char *labels;
    _Atomic uint64_t u;          /* counter value, or gauge bits */
    double (*fn)(void *);        /* computed gauge */
    void *fn_arg;
    size_t nbounds;
    double bounds[MAX_BOUNDS];
    _Atomic uint64_t buckets[MAX_BOUNDS + 1];
    _Atomic uint64_t sum_bits;
    _Atomic uint64_t count;
} child;

typedef struct family {
    struct family *next;
    char *name;
    char *help;
    kind type;
    child *children;
    child *tail;
} family;

struct metrics_registry {
    pthread_mutex_t lock;
    family *head, *tail;
    size_t nchildren;
    child overflow;              /* shared sink once the child limit is hit */
    metrics_counter *dropped;
};


static void atomic_add_double(_Atomic uint64_t *slot, double delta)
{
    uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(slot, &old, util_f64_bits(util_bits_f64(old) + delta), memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

metrics_registry *metrics_registry_new(void)
{
    metrics_registry *r = aug_calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->dropped = metrics_counter_get(r, "augur_metrics_dropped_children_total",
                                     "Metric children refused because the registry reached its limit.", NULL);
    return r;
}

void metrics_registry_free(metrics_registry *r)
{
    if (r == NULL)
        return;
    for (family *f = r->head; f != NULL;) {
        family *fn = f->next;
        for (child *c = f->children; c != NULL;) {
            child *cn = c->next;
            aug_free(c->labels);
            aug_free(c);
            c = cn;
        }
        aug_free(f->name);
        aug_free(f->help);
        aug_free(f);
        f = fn;
    }
    pthread_mutex_destroy(&r->lock);
    aug_free(r);
}

static family *find_family(metrics_registry *r, const char *name, const char *help, kind type)
{
    for (family *f = r->head; f != NULL; f = f->next) {
        if (strcmp(f->name, name) == 0)
            return f->type == type ? f : NULL;
    }
    family *f = aug_calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->name = aug_strndup(name, strlen(name));
    f->help = aug_strndup(help, strlen(help));
    if (f->name == NULL || f->help == NULL) {
        aug_free(f->name);
        aug_free(f->help);
        aug_free(f);
        return NULL;
    }
    f->type = type;
    if (r->tail)
        r->tail->next = f;
    else
        r->head = f;
    r->tail = f;
    return f;
}

/* Called with the lock held. Returns the child or the overflow sink. */
static child *get_child(metrics_registry *r, const char *name, const char *help, kind type, const char *labels)
{
    if (labels == NULL)
        labels = "";
    family *f = find_family(r, name, help, type);
    if (f == NULL)
        return &r->overflow;
    for (child *c = f->children; c != NULL; c = c->next) {
        if (strcmp(c->labels, labels) == 0)
            return c;
    }
    if (r->nchildren >= METRICS_MAX_CHILDREN) {
        if (r->dropped != NULL)
            metrics_counter_add(r->dropped, 1);
        return &r->overflow;
    }
    child *c = aug_calloc(1, sizeof *c);
    if (c == NULL)
        return &r->overflow;
    c->labels = aug_strndup(labels, strlen(labels));
    if (c->labels == NULL) {
        aug_free(c);
        return &r->overflow;
    }
    if (f->tail)
        f->tail->next = c;
    else
        f->children = c;
    f->tail = c;
    r->nchildren++;
    return c;
}

metrics_counter *metrics_counter_get(metrics_registry *r, const char *name, const char *help, const char *labels)
{
    pthread_mutex_lock(&r->lock);
    child *c = get_child(r, name, help, KIND_COUNTER, labels);
    pthread_mutex_unlock(&r->lock);
    return (metrics_counter *)c;
}

void metrics_counter_add(metrics_counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(&((child *)c)->u, n, memory_order_relaxed);
}

uint64_t metrics_counter_value(const metrics_counter *c)
{
    return atomic_load_explicit(&((const child *)c)->u, memory_order_relaxed);
}

metrics_gauge *metrics_gauge_get(metrics_registry *r, const char *name, const char *help, const char *labels)
{
    pthread_mutex_lock(&r->lock);
    child *c = get_child(r, name, help, KIND_GAUGE, labels);
    pthread_mutex_unlock(&r->lock);
    return (metrics_gauge *)c;
}

void metrics_gauge_set(metrics_gauge *g, double v)
{
    atomic_store_explicit(&((child *)g)->u, util_f64_bits(v), memory_order_relaxed);
}

void metrics_gauge_add(metrics_gauge *g, double delta)
{
    atomic_add_double(&((child *)g)->u, delta);
}

double metrics_gauge_value(const metrics_gauge *g)
{
    return util_bits_f64(atomic_load_explicit(&((const child *)g)->u, memory_order_relaxed));
}

void metrics_gauge_func(metrics_registry *r, const char *name, const char *help, const char *labels,
                        double (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&r->lock);
    child *c = get_child(r, name, help, KIND_GAUGE, labels);
    if (c != &r->overflow) {
        c->fn = fn;
        c->fn_arg = arg;
    }
    pthread_mutex_unlock(&r->lock);
}

metrics_histogram *metrics_histogram_get(metrics_registry *r, const char *name, const char *help,
                                         const char *labels, const double *bounds, size_t nbounds)
{
    pthread_mutex_lock(&r->lock);
    child *c = get_child(r, name, help, KIND_HISTOGRAM, labels);
    if (c != &r->overflow && c->nbounds == 0) {
        c->nbounds = AUG_MIN(nbounds, (size_t)MAX_BOUNDS);
        memcpy(c->bounds, bounds, c->nbounds * sizeof *bounds);
    }
    pthread_mutex_unlock(&r->lock);
    return (metrics_histogram *)c;
}

void metrics_histogram_observe(metrics_histogram *h, double v)
{
    child *c = (child *)h;
    size_t i = 0;
    while (i < c->nbounds && v > c->bounds[i])
        i++;
    atomic_fetch_add_explicit(&c->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
    atomic_add_double(&c->sum_bits, v);
}

/* ---- rendering ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap * 2 + (size_t)n;
        char *np = aug_realloc(b->p, ncap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

static void fmt_value(char out[40], double v)
{
    if (isnan(v))
        snprintf(out, 40, "NaN");
    else if (isinf(v))
        snprintf(out, 40, v > 0 ? "+Inf" : "-Inf");
    else
        snprintf(out, 40, "%.17g", v);
}

static void render_series(buf *b, const char *name, const char *suffix, const char *labels, const char *extra,
                          double v)
{
    char val[40];
    fmt_value(val, v);
    bool has_l = labels && *labels, has_e = extra && *extra;
    if (!has_l && !has_e)
        bprintf(b, "%s%s %s\n", name, suffix, val);
    else
        bprintf(b, "%s%s{%s%s%s} %s\n", name, suffix, has_l ? labels : "", has_l && has_e ? "," : "",
                has_e ? extra : "", val);
}

static void render_process(buf *b)
{
    static const long clk_fallback = 100;
    long ticks = sysconf(_SC_CLK_TCK);
    if (ticks <= 0)
        ticks = clk_fallback;
    long page = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/stat", "r");
    if (f != NULL) {
        char line[1024];
        if (fgets(line, sizeof line, f) != NULL) {
            /* Fields after the ")" closing comm: state is field 3. */
            char *p = strrchr(line, ')');
            unsigned long utime = 0, stime = 0, vsize = 0;
            long rss = 0;
            unsigned long long starttime = 0;
            if (p != NULL &&
                sscanf(p + 2,
                       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
                       &utime, &stime, &starttime, &vsize, &rss) == 5) {
                bprintf(b, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                           "# TYPE process_cpu_seconds_total counter\n");
                render_series(b, "process_cpu_seconds_total", "", NULL, NULL,
                              (double)(utime + stime) / (double)ticks);
                bprintf(b, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                           "# TYPE process_virtual_memory_bytes gauge\n");
                render_series(b, "process_virtual_memory_bytes", "", NULL, NULL, (double)vsize);
                bprintf(b, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                           "# TYPE process_resident_memory_bytes gauge\n");
                render_series(b, "process_resident_memory_bytes", "", NULL, NULL, (double)rss * (double)page);
                double boot = 0;
                FILE *st = fopen("/proc/stat", "r");
                if (st != NULL) {
                    char l2[256];
                    while (fgets(l2, sizeof l2, st) != NULL) {
                        unsigned long long bt;
                        if (sscanf(l2, "btime %llu", &bt) == 1)
                            boot = (double)bt;
                    }
                    fclose(st);
                }
                bprintf(b, "# HELP process_start_time_seconds Start time of the process since unix epoch in "
                           "seconds.\n# TYPE process_start_time_seconds gauge\n");
                render_series(b, "process_start_time_seconds", "", NULL, NULL,
                              boot + (double)starttime / (double)ticks);
            }
        }
        fclose(f);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        bprintf(b, "# HELP process_max_fds Maximum number of open file descriptors.\n"
                   "# TYPE process_max_fds gauge\n");
        render_series(b, "process_max_fds", "", NULL, NULL, (double)rl.rlim_cur);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        int fds = 0;
        while (readdir(d) != NULL)
            fds++;
        closedir(d);
        /* minus ".", ".." and the directory's own descriptor */
        bprintf(b, "# HELP process_open_fds Number of open file descriptors.\n"
                   "# TYPE process_open_fds gauge\n");
        render_series(b, "process_open_fds", "", NULL, NULL, (double)(fds - 3));
    }
}

aug_err metrics_render(metrics_registry *r, char **out, size_t *len)
{
    buf b = {.p = aug_malloc(8192), .len = 0, .cap = 8192};
    if (b.p == NULL)
        return AUG_ENOMEM;
    pthread_mutex_lock(&r->lock);
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    for (family *f = r->head; f != NULL; f = f->next) {
        if (f->children == NULL)
            continue;
        bprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, type_names[f->type]);
        for (child *c = f->children; c != NULL; c = c->next) {
            if (f->type == KIND_COUNTER) {
                render_series(&b, f->name, "", c->labels, NULL, (double)atomic_load(&c->u));
            } else if (f->type == KIND_GAUGE) {
                double v = c->fn ? c->fn(c->fn_arg) : util_bits_f64(atomic_load(&c->u));
                render_series(&b, f->name, "", c->labels, NULL, v);
            } else {
                uint64_t cum = 0;
                char le[64];
                for (size_t i = 0; i <= c->nbounds; i++) {
                    cum += atomic_load(&c->buckets[i]);
                    if (i < c->nbounds) {
                        char v[40];
                        fmt_value(v, c->bounds[i]);
                        snprintf(le, sizeof le, "le=\"%s\"", v);
                    } else {
                        snprintf(le, sizeof le, "le=\"+Inf\"");
                    }
                    render_series(&b, f->name, "_bucket", c->labels, le, (double)cum);
                }
                render_series(&b, f->name, "_sum", c->labels, NULL, util_bits_f64(atomic_load(&c->sum_bits)));
                render_series(&b, f->name, "_count", c->labels, NULL, (double)atomic_load(&c->count));
            }
        }
    }
    pthread_mutex_unlock(&r->lock);
    render_process(&b);
    if (b.failed) {
        aug_free(b.p);
        return AUG_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return AUG_OK;
}
