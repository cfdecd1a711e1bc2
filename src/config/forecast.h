/* forecast.h — a configured forecast as the forecast engine's parameters
 * (src/config/).
 *
 * Purpose: the one place where a cfg_forecast (model name, season in
 * milliseconds) becomes an fc_params, so the config loader checks what the
 * daemon will build. It lives in config/ for the reason config/scaler.h
 * does: forecast/ is pure and must not know the config structs.
 *
 * Thread rules: reentrant. Lifetimes: everything is borrowed for the call.
 */
#ifndef AUG_CONFIG_FORECAST_H
#define AUG_CONFIG_FORECAST_H

#include "config/config.h"
#include "forecast/forecast.h"

/* Fills *out with fc_params_default(step_s, max_horizon) and:
 *   kind      model: auto → FC_AUTO, naive → FC_NAIVE, seasonal_naive →
 *             FC_SNAIVE, holt and holt_winters → FC_HW (the damped
 *             Holt-Winters member; the engine has no separate Holt)
 *   season_s  season, milliseconds → seconds (0 = none)
 * The step and horizon are the caller's: the daemon's are the resolution's
 * width and the longest horizon in widths. Check the result with
 * fc_params_check or fc_model_new.
 *
 * f   [in]   a forecast of a config loaded by cfg_load_* (or being loaded).
 * out [out]  always written. */
void cfg_forecast_fc_params(const cfg_forecast *f, int64_t step_s, int32_t max_horizon, fc_params *out);

#endif
