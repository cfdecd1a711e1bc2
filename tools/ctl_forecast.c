/* ctl_forecast.c — `augurctl forecast`: runs the daemon's forecast engine
 * (src/forecast) offline on a CSV series.
 *
 * Reads `timestamp,value` (Unix seconds or `YYYY-MM-DD HH:MM:SS` UTC, a
 * header line first; tools/ctl_csv.c), feeds the
 * points one by one exactly as the daemon does (fc_model_update, and
 * fc_model_refit whenever the schedule says it is due), then prints
 * `timestamp,mean,lo80,hi80,lo95,hi95` for the next N steps at
 * last_timestamp + k*step. Reading the file is this tool's job; every model
 * decision is in src/forecast.
 */
#include "util/common.h"

#include "augurctl.h"
#include "config/config.h"
#include "ctl_csv.h"
#include "forecast/forecast.h"
#include "util/mem.h"

static const char usage_text[] =
    "usage: augurctl forecast --input F.csv --horizon N [--step S] [--season DUR]\n"
    "                         [--model KIND] [--combine weighted|select] [--state]\n"
    "\n"
    "Forecasts a series with augur's engine, fed point by point as the daemon does.\n"
    "\n"
    "  --input F.csv   `timestamp,value` lines after one header line; timestamps in\n"
    "                  Unix seconds or YYYY-MM-DD HH:MM:SS (UTC), increasing;\n"
    "                  values finite numbers\n"
    "  --horizon N     steps to forecast (1..20160)\n"
    "  --step S        seconds between points; default: the median spacing in the file\n"
    "  --season DUR    the seasonal cycle to look for, e.g. 1h, 1d, 1w (default 1d,\n"
    "                  as forecasts[].season); 0 = none. At least 2 steps and at most\n"
    "                  half the history the model keeps; the default 1d is left out\n"
    "                  where it does not fit (a daily step)\n"
    "  --model KIND    auto (default: a combination weighted by recent out-of-sample\n"
    "                  error), naive, lmed, snaive, hw, fourier\n"
    "  --combine MODE  for auto: weighted (default) or select (best member per lead)\n"
    "  --state         print the model's state and reason on stderr\n"
    "\n"
    "Prints `timestamp,mean,lo80,hi80,lo95,hi95` for last_timestamp + k*step, k=1..N.\n"
    "Malformed input is an error naming the line; exit status 1 (2 for usage).\n";

int ctl_forecast(int argc, char **argv)
{
    const char *input = NULL;
    long horizon = 0, step = 0;
    int64_t season_s = FC_SEASON_DAY;
    fc_kind kind = FC_AUTO;
    fc_combine combine = FC_COMBINE_WEIGHTED;
    bool show_state = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(a, "--state") == 0) {
            show_state = true;
            continue;
        }
        if (val == NULL) {
            fprintf(stderr, "augurctl forecast: %s needs a value\n%s", a, usage_text);
            return 2;
        }
        i++;
        if (strcmp(a, "--input") == 0) {
            input = val;
        } else if (strcmp(a, "--horizon") == 0) {
            if (!ctl_parse_long(val, 1, FC_MAX_HORIZON, &horizon)) {
                fprintf(stderr, "augurctl forecast: --horizon must be 1..%d, got '%s'\n", FC_MAX_HORIZON, val);
                return 2;
            }
        } else if (strcmp(a, "--step") == 0) {
            if (!ctl_parse_long(val, FC_MIN_STEP, FC_MAX_STEP, &step)) {
                fprintf(stderr, "augurctl forecast: --step must be %d..%d seconds, got '%s'\n", FC_MIN_STEP,
                        FC_MAX_STEP, val);
                return 2;
            }
        } else if (strcmp(a, "--season") == 0) {
            const char *why;
            int64_t ms;
            if (!cfg_parse_duration(val, strlen(val), &ms, &why) || ms < 0 || ms % 1000 != 0) {
                fprintf(stderr, "augurctl forecast: --season must be a whole number of seconds such as 1h, 1d"
                                " or 0, got '%s'\n", val);
                return 2;
            }
            season_s = ms / 1000;
        } else if (strcmp(a, "--model") == 0) {
            if (fc_kind_parse(val, &kind) != AUG_OK) {
                fprintf(stderr, "augurctl forecast: unknown model '%s' (auto, naive, lmed, snaive, hw, fourier)\n",
                        val);
                return 2;
            }
        } else if (strcmp(a, "--combine") == 0) {
            if (strcmp(val, "weighted") == 0) {
                combine = FC_COMBINE_WEIGHTED;
            } else if (strcmp(val, "select") == 0) {
                combine = FC_COMBINE_SELECT;
            } else {
                fprintf(stderr, "augurctl forecast: --combine is weighted or select, got '%s'\n", val);
                return 2;
            }
        } else {
            fprintf(stderr, "augurctl forecast: unknown option %s\n%s", a, usage_text);
            return 2;
        }
    }
    if (input == NULL || horizon == 0) {
        fprintf(stderr, "augurctl forecast: --input and --horizon are required\n%s", usage_text);
        return 2;
    }

    ctl_point *v = NULL;
    size_t n = 0;
    if (ctl_csv_read("forecast", input, &v, &n) != 0)
        return 1;
    int rc = 1;
    fc_model *m = NULL;
    fc_forecast *fc = NULL;
    if (step == 0) {
        step = (long)ctl_infer_step(v, n);
        if (step < FC_MIN_STEP || step > FC_MAX_STEP) {
            fprintf(stderr, "augurctl forecast: %s: cannot infer the step from %zu point(s); give --step\n", input,
                    n);
            goto fail;
        }
    }
    fc_params p;
    fc_params_default(&p, step, (int32_t)horizon);
    p.season_s = season_s;
    p.kind = kind;
    p.combine = combine;
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_new(&p, &m, &eb);
    if (e != AUG_OK) {
        fprintf(stderr, "augurctl forecast: %s\n", aug_errmsg(&eb, e));
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        eb.msg[0] = '\0';
        e = fc_model_update(m, v[i].ts, v[i].v, &eb);
        if (e != AUG_OK) {
            fprintf(stderr, "augurctl forecast: %s:%ld: %s\n", input, v[i].line, aug_errmsg(&eb, e));
            goto fail;
        }
        if (fc_model_refit_due(m) && (e = fc_model_refit(m)) != AUG_OK) {
            fprintf(stderr, "augurctl forecast: refit after %s:%ld: %s\n", input, v[i].line, aug_strerror(e));
            goto fail;
        }
    }
    fc = aug_malloc((size_t)horizon * sizeof *fc);
    if (fc == NULL) {
        fprintf(stderr, "augurctl forecast: out of memory\n");
        goto fail;
    }
    e = fc_model_predict(m, (int32_t)horizon, fc);
    if (e != AUG_OK) {
        fprintf(stderr, "augurctl forecast: predict: %s\n", aug_strerror(e));
        goto fail;
    }
    if (show_state) {
        fc_status st;
        fc_model_state(m, &st);
        fprintf(stderr, "state: %s\nreason: %s\ntuned: %s\nbytes: %zu\nrefits: %" PRId64 "\n",
                fc_state_name(st.state), st.reason, st.tuned, fc_model_bytes(m), st.refits);
    }
    int64_t last = v[n - 1].ts;
    printf("timestamp,mean,lo80,hi80,lo95,hi95\n");
    for (long k = 1; k <= horizon; k++) {
        const fc_forecast *f = &fc[k - 1];
        printf("%" PRId64 ",%.10g,%.10g,%.10g,%.10g,%.10g\n", last + (int64_t)k * step, f->mean, f->lo80, f->hi80,
               f->lo95, f->hi95);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "augurctl forecast: writing the forecast: %s\n", strerror(errno));
        goto fail;
    }
    rc = 0;
fail:
    aug_free(fc);
    fc_model_free(m);
    aug_free(v);
    return rc;
}
