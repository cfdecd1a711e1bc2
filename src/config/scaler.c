/* scaler.c — cfg_scaler → decide_params (see scaler.h for the mapping). */
#include "util/common.h"

#include "config/scaler.h"

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

    if (s->scale_up.stabilization_ms > 0) {
        char buf[32];
        return aug_errf(eb, AUG_EUNSUPPORTED,
                        "scaler '%s': scale_up.stabilization %s is not supported by the decision engine (only 0: a "
                        "scale-up stands at once)",
                        name, cfg_format_duration(s->scale_up.stabilization_ms, buf, sizeof buf));
    }
    if (queue) {
        p.target = 1;
    } else {
        if (s->target > 1)
            return aug_errf(eb, AUG_EUNSUPPORTED,
                            "scaler '%s': target %g > 1: the decision engine reads the target as a fraction of one "
                            "replica's capacity, in (0, 1]",
                            name, s->target);
        p.target = s->target;
    }
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
