/* forecast.c — cfg_forecast → fc_params (contract in forecast.h). */
#include "util/common.h"

#include "config/forecast.h"

static fc_kind kind_of(cfg_model m)
{
    switch (m) {
    case CFG_MODEL_AUTO: return FC_AUTO;
    case CFG_MODEL_NAIVE: return FC_NAIVE;
    case CFG_MODEL_SEASONAL_NAIVE: return FC_SNAIVE;
    case CFG_MODEL_HOLT: return FC_HW;
    case CFG_MODEL_HOLT_WINTERS: return FC_HW;
    }
    return FC_AUTO;
}

void cfg_forecast_fc_params(const cfg_forecast *f, int64_t step_s, int32_t max_horizon, fc_params *out)
{
    fc_params_default(out, step_s, max_horizon);
    out->kind = kind_of(f->model);
    out->season_s = f->season_ms / 1000;
}
