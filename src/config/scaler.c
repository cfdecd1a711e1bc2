/* scaler.c — cfg_scaler → decide_params (see scaler.h for the mapping). */
#include "util/common.h"

#include "config/scaler.h"
#include "util/assert.h"

/* Milliseconds to whole seconds, rounded up: a lead time or a window is
 * never shortened. Config bounds keep every duration far below overflow. */
static int64_t ms_to_s_up(int64_t ms)
{
    return ms <= 0 ? 0 : (ms + 999) / 1000;
}

aug_err cfg_scaler_decide_params(const cfg_scaler *s, decide_params *out, aug_errbuf *eb)
{
    if (s == NULL || out == NULL)
        return aug_errf(eb, AUG_EINVAL, "scaler: missing argument");
    const char *name = s->name != NULL ? s->name : "?";
    bool queue = s->mode == CFG_MODE_QUEUE;
    decide_params p;
    decide_params_init(&p, queue ? DECIDE_MODE_QUEUE : DECIDE_MODE_UTILIZATION);

    /* The engine has no scale-up stabilization; config validation refuses
     * any other value (load.c, validate_scalers), so this is a contract
     * violation, not input. A utilization target above 1 is refused there
     * too, and by decide_params_check below. */
    AUG_ASSERT(s->scale_up.stabilization_ms == 0);
    p.target = queue ? 1 : s->target;
    p.margin = s->margin == CFG_MARGIN_UPPER95   ? DECIDE_MARGIN_95
               : s->margin == CFG_MARGIN_UPPER80 ? DECIDE_MARGIN_80
                                                 : DECIDE_MARGIN_NONE;
    p.lead_time_s = ms_to_s_up(s->lead_time_ms);
    p.window_s = ms_to_s_up(s->window_ms);
    p.min_replicas = (int32_t)AUG_MAX(INT64_C(0), AUG_MIN(s->min_replicas, (int64_t)INT32_MAX));
    p.max_replicas = (int32_t)AUG_MAX(INT64_C(0), AUG_MIN(s->max_replicas, (int64_t)INT32_MAX));
    p.up = (decide_bucket){.capacity = (double)s->scale_up.burst, .per_minute = s->scale_up.max_per_minute};
    p.down = (decide_bucket){.capacity = (double)s->scale_down.burst, .per_minute = s->scale_down.max_per_minute};
    p.stabilization_s = ms_to_s_up(s->scale_down.stabilization_ms);
    p.tolerance_up = s->scale_up.tolerance;
    p.tolerance_down = s->scale_down.tolerance;
    p.floor_quantile = s->scale_down.floor_quantile;
    p.floor_window_s = s->scale_down.floor_window_ms / 1000 / 3600 * 3600;
    p.cooldown_s = ms_to_s_up(s->cooldown_ms);
    p.max_error = s->max_error;
    if (queue) {
        if (s->service_time.ms > 0)
            p.service_time_s = (double)s->service_time.ms / 1000.0;
        p.target_latency_s = (double)s->target_latency_ms / 1000.0;
        p.concurrency = s->capacity_per_replica > 0 ? s->capacity_per_replica * p.service_time_s : 1.0;
    } else {
        p.capacity_per_replica = 0;
    }
    aug_errbuf why = {{0}};
    aug_err err = decide_params_check(&p, &why);
    if (err != AUG_OK)
        return aug_errf(eb, err, "scaler '%s': %s", name, aug_errmsg(&why, err));
    *out = p;
    return AUG_OK;
}
