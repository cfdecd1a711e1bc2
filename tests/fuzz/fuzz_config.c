/* fuzz_config.c — YAML config loader (src/config/), from a memory buffer.
 *
 * Besides "no crash, no leak", aborts when a contract breaks: a failed load
 * must explain itself (at least one error, each with a message and a line
 * inside the input), a successful one must hold only validated values
 * (required keys set, scaler references resolved, horizons ascending). */
#include "util/common.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n' || data[i] == '\r';
    return n;
}

static void check_ok(const cfg_config *c)
{
    for (size_t i = 0; i < c->nforecasts; i++) {
        const cfg_forecast *f = &c->forecasts[i];
        if (f->name == NULL || f->series == NULL || f->resolution == CFG_RES_AUTO)
            abort();
        for (size_t h = 1; h < f->horizons.n; h++) {
            if (f->horizons.v[h] <= f->horizons.v[h - 1])
                abort();
        }
    }
    for (size_t i = 0; i < c->nscalers; i++) {
        const cfg_scaler *s = &c->scalers[i];
        int idx = s->mode == CFG_MODE_UTILIZATION ? s->forecast_idx : s->arrival_rate_idx;
        if (s->name == NULL || idx < 0 || (size_t)idx >= c->nforecasts || s->min_replicas > s->max_replicas)
            abort();
        if (s->scale_up.burst < 1 || s->scale_down.burst < 1)
            abort();
    }
    for (size_t i = 0; i < c->nremote_write; i++) {
        if (c->remote_write[i].url == NULL || c->remote_write[i].name == NULL)
            abort();
    }
    if (cfg_needs_restart(c, c, NULL, 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_config *c = NULL;
    cfg_diag *d = NULL;
    aug_err err = cfg_load_buffer("fuzz.yml", (const char *)data, size, &c, &d);
    if (err == AUG_OK) {
        if (c == NULL || d != NULL)
            abort();
        check_ok(c);
        cfg_free(c);
        return 0;
    }
    if (c != NULL)
        abort();
    if (err == AUG_ENOMEM)
        return 0;
    size_t n = cfg_diag_count(d), lines = count_lines(data, size);
    if (n == 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        const cfg_error *e = cfg_diag_error(d, i);
        if (e->msg == NULL || e->msg[0] == '\0' || e->line > lines + 1)
            abort();
    }
    FILE *sink = fopen("/dev/null", "w");
    if (sink != NULL) {
        cfg_diag_print(d, sink);
        fclose(sink);
    }
    cfg_diag_free(d);
    return 0;
}
