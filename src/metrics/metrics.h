/* metrics.h — augur's self-metrics registry and Prometheus text exposition.
 *
 * Every self-metric is registered once, by the module that owns the counter,
 * with name, help and type (CONVENTIONS 20). A metric *family* has one name,
 * help and type; its *children* differ by a preformatted label string such as
 * `endpoint="write",code="204"`. Registration returns a child handle the
 * owner keeps and updates lock-free.
 *
 * Bounds: a registry holds at most METRICS_MAX_CHILDREN children in total;
 * past that, metrics_*_get returns a shared overflow child per family and the
 * registry's own `augur_metrics_dropped_children_total` counts the refusals
 * (so a label explosion can never grow memory without bound).
 *
 * Threads: registration and rendering take the registry mutex; updates on a
 * handle are atomic and lock-free. Handles live as long as the registry.
 */
#ifndef AUG_METRICS_METRICS_H
#define AUG_METRICS_METRICS_H

#include "util/common.h"
#include "util/err.h"

#define METRICS_MAX_CHILDREN 4096

typedef struct metrics_registry metrics_registry;
typedef struct metrics_counter metrics_counter;
typedef struct metrics_gauge metrics_gauge;
typedef struct metrics_histogram metrics_histogram;

/* Caller frees with metrics_registry_free. NULL on out-of-memory. */
metrics_registry *metrics_registry_new(void);
void metrics_registry_free(metrics_registry *r);

/* Returns the counter child `name{labels}`, registering the family (with help)
 * on first use. labels may be NULL or "" for none. The same name must always
 * be used with the same type. Never returns NULL (overflow child on limits or
 * out-of-memory). */
metrics_counter *metrics_counter_get(metrics_registry *r, const char *name, const char *help, const char *labels);
void metrics_counter_add(metrics_counter *c, uint64_t n);
uint64_t metrics_counter_value(const metrics_counter *c);

metrics_gauge *metrics_gauge_get(metrics_registry *r, const char *name, const char *help, const char *labels);
void metrics_gauge_set(metrics_gauge *g, double v);
void metrics_gauge_add(metrics_gauge *g, double delta);
double metrics_gauge_value(const metrics_gauge *g);

/* A gauge whose value is computed at render time by fn(arg). fn runs under
 * the registry lock and must not call back into the registry. */
void metrics_gauge_func(metrics_registry *r, const char *name, const char *help, const char *labels,
                        double (*fn)(void *arg), void *arg);

/* Histogram with the given ascending upper bounds (+Inf is implicit); at most
 * 32 bounds. bounds are copied. */
metrics_histogram *metrics_histogram_get(metrics_registry *r, const char *name, const char *help,
                                         const char *labels, const double *bounds, size_t nbounds);
void metrics_histogram_observe(metrics_histogram *h, double v);

/* Renders every family in registration order, then process_* metrics, in
 * the Prometheus text format 0.0.4. *out is caller-freed with aug_free. */
aug_err metrics_render(metrics_registry *r, char **out, size_t *len);

#endif
