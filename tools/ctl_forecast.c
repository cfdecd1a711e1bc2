/* ctl_forecast.c — `augurctl forecast`: runs the daemon's forecast engine
 * (src/forecast) offline on a CSV series.
 *
 * Reads `timestamp,value` (Unix seconds, a header line first), feeds the
 * points one by one exactly as the daemon does (fc_model_update, and
 * fc_model_refit whenever the schedule says it is due), then prints
 * `timestamp,mean,lo80,hi80,lo95,hi95` for the next N steps at
 * last_timestamp + k*step. Reading the file is this tool's job; every model
 * decision is in src/forecast.
 */
#include "util/common.h"

#include "augurctl.h"
#include "forecast/forecast.h"
#include "util/mem.h"

#define MAX_POINTS 20000000
#define LINE_MAX_LEN 4096

static const char usage_text[] =
    "usage: augurctl forecast --input F.csv --horizon N [--step S] [--model KIND]\n"
    "                         [--combine weighted|select] [--state]\n"
    "\n"
    "Forecasts a series with augur's engine, fed point by point as the daemon does.\n"
    "\n"
    "  --input F.csv   `timestamp,value` lines after one header line; timestamps in\n"
    "                  Unix seconds, increasing; values finite numbers\n"
    "  --horizon N     steps to forecast (1..20160)\n"
    "  --step S        seconds between points; default: the median spacing in the file\n"
    "  --model KIND    auto (default: a combination weighted by recent out-of-sample\n"
    "                  error), naive, lmed, snaive, hw, fourier\n"
    "  --combine MODE  for auto: weighted (default) or select (best member per lead)\n"
    "  --state         print the model's state and reason on stderr\n"
    "\n"
    "Prints `timestamp,mean,lo80,hi80,lo95,hi95` for last_timestamp + k*step, k=1..N.\n"
    "Malformed input is an error naming the line; exit status 1 (2 for usage).\n";

typedef struct pt {
    int64_t ts;
    double v;
    long line;
} pt;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static bool parse_ts(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0') {
        *out = (int64_t)v;
        return true;
    }
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || fabs(d) > 9e15)
        return false;
    *out = (int64_t)llround(d);
    return true;
}

static bool parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE)
        return false;
    *out = d;
    return true;
}

/* Splits "a,b" into two trimmed fields; false unless exactly two. */
static bool split2(char *line, char **a, char **b)
{
    char *comma = strchr(line, ',');
    if (comma == NULL || strchr(comma + 1, ',') != NULL)
        return false;
    *comma = '\0';
    *a = trim(line);
    *b = trim(comma + 1);
    return true;
}

static int read_csv(const char *path, pt **out, size_t *n_out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "augurctl forecast: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    char line[LINE_MAX_LEN];
    long ln = 0;
    size_t n = 0, cap = 0;
    pt *v = NULL;
    int rc = 1;
    bool header = false;
    while (fgets(line, sizeof line, f) != NULL) {
        ln++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            fprintf(stderr, "augurctl forecast: %s:%ld: line longer than %d bytes\n", path, ln, LINE_MAX_LEN - 2);
            goto fail;
        }
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *a, *b;
        if (!split2(s, &a, &b)) {
            fprintf(stderr, "augurctl forecast: %s:%ld: expected two comma-separated fields\n", path, ln);
            goto fail;
        }
        if (!header) {
            int64_t t;
            double d;
            if (parse_ts(a, &t) && parse_num(b, &d)) {
                fprintf(stderr, "augurctl forecast: %s:%ld: expected a header line such as 'timestamp,value'\n",
                        path, ln);
                goto fail;
            }
            header = true;
            continue;
        }
        pt p = {.line = ln};
        if (!parse_ts(a, &p.ts)) {
            fprintf(stderr, "augurctl forecast: %s:%ld: timestamp '%s' is not a number of seconds\n", path, ln, a);
            goto fail;
        }
        if (!parse_num(b, &p.v)) {
            fprintf(stderr, "augurctl forecast: %s:%ld: value '%s' is not a number\n", path, ln, b);
            goto fail;
        }
        if (n == cap) {
            if (cap >= MAX_POINTS) {
                fprintf(stderr, "augurctl forecast: %s:%ld: more than %d points\n", path, ln, MAX_POINTS);
                goto fail;
            }
            size_t nc = cap ? 2 * cap : 4096;
            pt *nv = aug_realloc(v, nc * sizeof *v);
            if (nv == NULL) {
                fprintf(stderr, "augurctl forecast: out of memory at %s:%ld\n", path, ln);
                goto fail;
            }
            v = nv;
            cap = nc;
        }
        v[n++] = p;
    }
    if (ferror(f)) {
        fprintf(stderr, "augurctl forecast: reading %s: %s\n", path, strerror(errno));
        goto fail;
    }
    if (n == 0) {
        fprintf(stderr, "augurctl forecast: %s: no data points after the header\n", path);
        goto fail;
    }
    *out = v;
    *n_out = n;
    v = NULL;
    rc = 0;
fail:
    aug_free(v);
    fclose(f);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The median positive spacing between consecutive timestamps; 0 if none. */
static int64_t infer_step(const pt *v, size_t n)
{
    if (n < 2)
        return 0;
    int64_t *d = aug_malloc((n - 1) * sizeof *d);
    if (d == NULL)
        return 0;
    size_t m = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i].ts > v[i - 1].ts)
            d[m++] = v[i].ts - v[i - 1].ts;
    int64_t step = 0;
    if (m > 0) {
        qsort(d, m, sizeof *d, cmp_i64);
        step = d[m / 2];
    }
    aug_free(d);
    return step;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int ctl_forecast(int argc, char **argv)
{
    const char *input = NULL;
    long horizon = 0, step = 0;
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
            if (!parse_long(val, 1, FC_MAX_HORIZON, &horizon)) {
                fprintf(stderr, "augurctl forecast: --horizon must be 1..%d, got '%s'\n", FC_MAX_HORIZON, val);
                return 2;
            }
        } else if (strcmp(a, "--step") == 0) {
            if (!parse_long(val, FC_MIN_STEP, FC_MAX_STEP, &step)) {
                fprintf(stderr, "augurctl forecast: --step must be %d..%d seconds, got '%s'\n", FC_MIN_STEP,
                        FC_MAX_STEP, val);
                return 2;
            }
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

    pt *v = NULL;
    size_t n = 0;
    if (read_csv(input, &v, &n) != 0)
        return 1;
    int rc = 1;
    fc_model *m = NULL;
    fc_forecast *fc = NULL;
    if (step == 0) {
        step = (long)infer_step(v, n);
        if (step < FC_MIN_STEP || step > FC_MAX_STEP) {
            fprintf(stderr, "augurctl forecast: %s: cannot infer the step from %zu point(s); give --step\n", input,
                    n);
            goto fail;
        }
    }
    fc_params p;
    fc_params_default(&p, step, (int32_t)horizon);
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
