/* scaler.h — a configured scaler as the decision engine's parameters
 * (src/config/).
 *
 * Purpose: the one place where a cfg_scaler (YAML units: milliseconds,
 * bursts and rates as written) becomes a decide_params, so the daemon and
 * `augurctl simulate` run a scaler with the same numbers. It lives in config/
 * because decide/ is pure and must not know the config structs, while
 * config/ owns what every key means; it is in the core library (not in
 * tools/) so the daemon links the same function.
 *
 * Thread rules: reentrant. Lifetimes: everything is borrowed for the call.
 */
#ifndef AUG_CONFIG_SCALER_H
#define AUG_CONFIG_SCALER_H

#include "config/config.h"
#include "decide/decide.h"

/* Fills *out from *s.
 *
 * Mapping (docs/simulate.md has the table):
 *   mode, margin, min/max_replicas, max_error     as written
 *   target                utilization: as written; queue: 1 (the bare
 *                         Little's-law count; the key is utilization-only)
 *   lead_time, window, scale_down.stabilization, cooldown
 *                         milliseconds → seconds, rounded up
 *   scale_up / scale_down {capacity = burst, per_minute = max_per_minute}
 *   scale_up/scale_down.tolerance  tolerance_up / tolerance_down, as written
 *   scale_down.floor_quantile      floor_quantile, as written
 *   scale_down.floor_window        floor_window_s: whole hours (rounded down)
 *   capacity_per_replica  utilization: 0 (the forecast is a per-replica
 *                         utilization; simulate sets its own capacity)
 *   service_time_s        queue: the configured duration; with a selector,
 *                         the engine's default 50 ms, used only when the
 *                         selector has no sample
 *   target_latency_s      queue: as written
 *   concurrency           queue: capacity_per_replica × service_time when
 *                         capacity_per_replica > 0, else 1
 *
 * s   [in]   a scaler of a config loaded by cfg_load_*, whose validation
 *            already refused what the engine cannot honour
 *            (scale_up.stabilization > 0, asserted here; a utilization
 *            target above 1, which the engine reads as a fraction of a
 *            replica's capacity).
 * out [out]  written only on AUG_OK.
 * eb         the reason on error (may be NULL).
 *
 * Returns AUG_OK; AUG_EINVAL when the result fails decide_params_check
 * (e.g. a hand-built cfg_scaler with target 2). */
aug_err cfg_scaler_decide_params(const cfg_scaler *s, decide_params *out, aug_errbuf *eb);

#endif
