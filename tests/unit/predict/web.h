/* web.h — the scaler the scale and webhook tests share: cpu{job="a"}
 * forecast with a naive model (so the model is cold and the reactive rule
 * decides: need = current × load / target), one scaler "web" over it whose
 * replicas are two series of 2 each, and the feed of one minute that makes
 * it decide. */
#ifndef AUG_TESTS_PREDICT_WEB_H
#define AUG_TESTS_PREDICT_WEB_H

#include "helpers.h"
#include "util/time.h"

static inline int64_t base_s(void)
{
    return (util_now_ms() / 60000) * 60 - 600;
}

static char cfg_buf[2048];

/* cpu{job="a"} forecast (naive, so the model is cold and the reactive rule
 * decides: need = current × load / target), one scaler over it. */
static inline const char *web_yaml(const char *extra)
{
    snprintf(cfg_buf, sizeof cfg_buf,
             "forecasts:\n"
             "  - name: cpu\n"
             "    series: 'cpu{job=\"a\"}'\n"
             "    horizons: [5m, 15m]\n"
             "    model: naive\n"
             "scalers:\n"
             "  - name: web\n"
             "    forecast: cpu\n"
             "    replicas: 'replicas{deployment=\"web\"}'\n"
             "    target: 0.5\n"
             "    max_replicas: 20\n"
             "%s",
             extra);
    return cfg_buf;
}

static inline void feed_minute(harness *h, int64_t S, double cpu)
{
    bucket(h->p, 2, STORE_RES_MINUTE, S, 2.0, 0); /* replicas, two series summed: 4 */
    bucket(h->p, 3, STORE_RES_MINUTE, S, 2.0, 0);
    bucket(h->p, 1, STORE_RES_MINUTE, S, cpu, 0);
    predict_flush(h->p);
}

static inline void add_web_series(harness *h)
{
    add_series(h->s, 1, "__name__", "cpu", "job", "a", NULL);
    add_series(h->s, 2, "__name__", "replicas", "deployment", "web", "set", "a", NULL);
    add_series(h->s, 3, "__name__", "replicas", "deployment", "web", "set", "b", NULL);
}

#endif
