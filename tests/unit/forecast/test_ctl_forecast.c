/* Tests of `augurctl forecast` (tools/ctl_forecast.c), the contract the
 * accuracy harness calls: header and rows `timestamp,mean,lo80,hi80,lo95,
 * hi95` at last_timestamp + k*step, the step inferred when not given, and
 * malformed input reported with its line number. The tool's source is
 * included so its entry point runs in-process (../ctl_capture.h captures
 * stdout and stderr). */
#include "../../../tools/ctl_forecast.c"

#include <unistd.h>

#include "../check.h"
#include "../ctl_capture.h"

static char path[64];

static void write_file(const char *text)
{
    snprintf(path, sizeof path, "/tmp/augur_ctl_test_%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Ten days of an hourly daily cycle. */
static void write_series(int64_t t0, int64_t step, int n)
{
    snprintf(path, sizeof path, "/tmp/augur_ctl_test_%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fprintf(f, "timestamp,value\n");
    for (int k = 0; k < n; k++)
        fprintf(f, "%" PRId64 ",%.6f\n", t0 + k * step, 20.0 + 5.0 * sin(2 * 3.14159265358979 * (double)(k * step) / 86400.0));
    fclose(f);
}

static void test_output_contract(void)
{
    write_series(1400000400, 3600, 240);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "30", "--step", "3600", (const char *)NULL), 0);
    char *save = NULL;
    char *line = strtok_r(ctl_out, "\n", &save);
    CHECK_STR(line, "timestamp,mean,lo80,hi80,lo95,hi95");
    int rows = 0;
    for (char *l = strtok_r(NULL, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        long long ts;
        double mean, lo80, hi80, lo95, hi95;
        CHECK_EQ_I64(sscanf(l, "%lld,%lf,%lf,%lf,%lf,%lf", &ts, &mean, &lo80, &hi80, &lo95, &hi95), 6);
        rows++;
        CHECK_EQ_I64(ts, 1400000400 + 239 * 3600 + rows * 3600);
        CHECK(lo95 <= lo80 && lo80 <= hi80 && hi80 <= hi95);
        double truth = 20.0 + 5.0 * sin(2 * 3.14159265358979 * (double)((239 + rows) * 3600) / 86400.0);
        CHECK(fabs(mean - truth) < 0.5);
    }
    CHECK_EQ_I64(rows, 30);
    remove(path);
}

static void test_step_inferred(void)
{
    write_series(1400000000, 300, 2000);
    static char first[sizeof ctl_out];
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "12", "--step", "300", (const char *)NULL), 0);
    memcpy(first, ctl_out, sizeof ctl_out);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "12", (const char *)NULL), 0);
    CHECK_STR(ctl_out, first);
    remove(path);
}

static void check_error(const char *text, const char *want)
{
    write_file(text);
    int rc = ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "3", "--step", "60", (const char *)NULL);
    CHECK_EQ_I64(rc, 1);
    if (strstr(ctl_err, want) == NULL)
        fprintf(stderr, "  expected \"%s\" in: %s", want, ctl_err);
    CHECK(strstr(ctl_err, want) != NULL);
    CHECK(ctl_out[0] == '\0'); /* nothing half-printed */
    remove(path);
}

static void test_malformed_input_names_the_line(void)
{
    check_error("timestamp,value\n60,1\n120,2\n180,abc\n", ".csv:4: value 'abc' is not a number");
    check_error("timestamp,value\n60,1\nxx,2\n", ".csv:3: timestamp 'xx'");
    check_error("timestamp,value\n60,1\n120,2,3\n", ".csv:3: expected two comma-separated fields");
    check_error("60,1\n120,2\n", ".csv:1: expected a header line");
    check_error("timestamp,value\n60,1\n120,2\n100,3\n", ".csv:4: timestamp 100 is not after");
    check_error("timestamp,value\n60,1\n120,nan\n", ".csv:3: value nan is not a finite number");
    check_error("timestamp,value\n60,1\n120,1e999\n", ".csv:3: value '1e999' is not a number");
    check_error("timestamp,value\n", "no data points");
    check_error("", "no data points");
}

static void test_usage_errors(void)
{
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", "x.csv", (const char *)NULL), 2);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", "x.csv", "--horizon", "0", (const char *)NULL), 2);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", "x.csv", "--horizon", "5", "--model", "prophet", (const char *)NULL), 2);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--help", (const char *)NULL), 0);
    CHECK(strstr(ctl_out, "usage: augurctl forecast") != NULL);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", "/nonexistent/x.csv", "--horizon", "5", (const char *)NULL), 1);
    CHECK(strstr(ctl_err, "cannot open") != NULL);
}

static void test_every_model_kind_runs(void)
{
    write_series(1400000000, 3600, 24 * 12);
    static const char *kinds[] = {"auto", "naive", "lmed", "snaive", "hw", "fourier"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(kinds); i++) {
        CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "24", "--model", kinds[i], "--state", (const char *)NULL), 0);
        CHECK(strstr(ctl_err, "state: ready") != NULL);
    }
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "24", "--combine", "select", (const char *)NULL), 0);
    remove(path);
}

/* One day of minutes with a pure one-hour cycle, 20 + 5 sin(2 pi t / 1h). */
static double hourly_at(int64_t ts)
{
    return 20.0 + 5.0 * sin(2 * 3.14159265358979 * (double)(ts % 3600) / 3600.0);
}

/* Mean absolute error of the printed forecast against the cycle. */
static double forecast_mae(void)
{
    char *save = NULL;
    double sum = 0;
    int n = 0;
    strtok_r(ctl_out, "\n", &save); /* header */
    for (char *l = strtok_r(NULL, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        long long ts;
        double mean;
        if (sscanf(l, "%lld,%lf", &ts, &mean) == 2) {
            sum += fabs(mean - hourly_at(ts));
            n++;
        }
    }
    CHECK_EQ_I64(n, 60);
    return n ? sum / n : HUGE_VAL;
}

/* --season reaches the engine: with 1h the next hour of an hourly cycle is
 * near exact (ready after a day: 24 cycles seen); with 0 no seasonal member
 * is left and nothing follows the cycle (the best constant misses a sine of
 * amplitude 5 by 10/pi = 3.2 on average, bound 2); the default 1d, written
 * or not, has not seen two cycles yet. Seasons the step cannot show and
 * malformed durations are errors. */
static void test_season(void)
{
    snprintf(path, sizeof path, "/tmp/augur_ctl_test_%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fprintf(f, "timestamp,value\n");
    const int64_t t0 = 1400000400;
    for (int64_t k = 0; k < 1440; k++)
        fprintf(f, "%" PRId64 ",%.6f\n", t0 + k * 60, hourly_at(t0 + k * 60));
    fclose(f);

    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "60", "--season", "1h", "--state",
                          (const char *)NULL), 0);
    CHECK(strstr(ctl_err, "state: ready") != NULL);
    double mae1h = forecast_mae();
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "60", "--season", "0", "--state",
                          (const char *)NULL), 0);
    const char *reason = strstr(ctl_err, "reason: "), *tuned = strstr(ctl_err, "\ntuned: ");
    CHECK(reason != NULL && tuned != NULL && reason < tuned);
    if (reason != NULL && tuned != NULL) { /* no seasonal naive among the weighted members */
        const char *sn = strstr(reason, "snaive");
        CHECK(sn == NULL || sn > tuned);
    }
    CHECK(strstr(ctl_err, "gamma=0 gammaw=0") != NULL && strstr(ctl_err, "k1=0 k2=0") != NULL);
    double mae0 = forecast_mae();
    fprintf(stderr, "  next-hour MAE: --season 1h %.4f, --season 0 %.3f\n", mae1h, mae0);
    CHECK(mae1h < 0.1);
    CHECK(mae0 > 2.0);

    static char dflt[sizeof ctl_out];
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "60", "--state", (const char *)NULL),
                 0);
    CHECK(strstr(ctl_err, "state: warming") != NULL && strstr(ctl_err, "of 2 seasonal cycles seen") != NULL);
    memcpy(dflt, ctl_out, sizeof ctl_out);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "60", "--season", "1d",
                          (const char *)NULL), 0);
    CHECK_STR(ctl_out, dflt);

    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "6", "--season", "1m",
                          (const char *)NULL), 1);
    CHECK(strstr(ctl_err, "season 60s is 1 step(s) of 60s: it needs at least 2 steps") != NULL);
    CHECK(ctl_out[0] == '\0');
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "6", "--season", "3w",
                          (const char *)NULL), 1);
    CHECK(strstr(ctl_err, "at most half the history of 20160 steps") != NULL);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "6", "--season", "hourly",
                          (const char *)NULL), 2);
    CHECK(strstr(ctl_err, "--season must be") != NULL);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "6", "--season", "-1h",
                          (const char *)NULL), 2);
    CHECK_EQ_I64(ctl_runv(ctl_forecast, "forecast", "--input", path, "--horizon", "6", "--season",
                          (const char *)NULL), 2);
    remove(path);
}

CHECK_MAIN(CHECK_CASE(test_output_contract), CHECK_CASE(test_step_inferred), CHECK_CASE(test_season),
           CHECK_CASE(test_malformed_input_names_the_line), CHECK_CASE(test_usage_errors),
           CHECK_CASE(test_every_model_kind_runs))
