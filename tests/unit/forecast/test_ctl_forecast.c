/* Tests of `augurctl forecast` (tools/ctl_forecast.c), the contract the
 * accuracy harness calls: header and rows `timestamp,mean,lo80,hi80,lo95,
 * hi95` at last_timestamp + k*step, the step inferred when not given, and
 * malformed input reported with its line number. The tool's source is
 * included so its entry point runs in-process; stdout and stderr are
 * captured into temporary files. */
#include "../../../tools/ctl_forecast.c"

#include <unistd.h>

#include "../check.h"

static char out_buf[1 << 16], err_buf[4096];

static void slurp(FILE *f, char *buf, size_t cap)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
}

/* Runs ctl_forecast with the given argv, captures both streams. */
static int run(int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    FILE *o = tmpfile(), *e = tmpfile();
    int so = dup(1), se = dup(2);
    dup2(fileno(o), 1);
    dup2(fileno(e), 2);
    int rc = ctl_forecast(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    slurp(o, out_buf, sizeof out_buf);
    slurp(e, err_buf, sizeof err_buf);
    fclose(o);
    fclose(e);
    return rc;
}

/* Copies NULL-terminated const strings into a mutable argv and runs it. */
static int runv(const char *a0, ...)
{
    static char store[16][256];
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a != NULL && argc < 16; a = va_arg(ap, const char *)) {
        snprintf(store[argc], sizeof store[argc], "%s", a);
        argv[argc] = store[argc];
        argc++;
    }
    va_end(ap);
    return run(argc, argv);
}

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
    CHECK_EQ_I64(runv("forecast", "--input", path, "--horizon", "30", "--step", "3600", (const char *)NULL), 0);
    char *save = NULL;
    char *line = strtok_r(out_buf, "\n", &save);
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
    static char first[sizeof out_buf];
    CHECK_EQ_I64(runv("forecast", "--input", path, "--horizon", "12", "--step", "300", (const char *)NULL), 0);
    memcpy(first, out_buf, sizeof out_buf);
    CHECK_EQ_I64(runv("forecast", "--input", path, "--horizon", "12", (const char *)NULL), 0);
    CHECK_STR(out_buf, first);
    remove(path);
}

static void check_error(const char *text, const char *want)
{
    write_file(text);
    int rc = runv("forecast", "--input", path, "--horizon", "3", "--step", "60", (const char *)NULL);
    CHECK_EQ_I64(rc, 1);
    if (strstr(err_buf, want) == NULL)
        fprintf(stderr, "  expected \"%s\" in: %s", want, err_buf);
    CHECK(strstr(err_buf, want) != NULL);
    CHECK(out_buf[0] == '\0'); /* nothing half-printed */
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
    CHECK_EQ_I64(runv("forecast", "--input", "x.csv", (const char *)NULL), 2);
    CHECK_EQ_I64(runv("forecast", "--input", "x.csv", "--horizon", "0", (const char *)NULL), 2);
    CHECK_EQ_I64(runv("forecast", "--input", "x.csv", "--horizon", "5", "--model", "prophet", (const char *)NULL), 2);
    CHECK_EQ_I64(runv("forecast", "--help", (const char *)NULL), 0);
    CHECK(strstr(out_buf, "usage: augurctl forecast") != NULL);
    CHECK_EQ_I64(runv("forecast", "--input", "/nonexistent/x.csv", "--horizon", "5", (const char *)NULL), 1);
    CHECK(strstr(err_buf, "cannot open") != NULL);
}

static void test_every_model_kind_runs(void)
{
    write_series(1400000000, 3600, 24 * 12);
    static const char *kinds[] = {"auto", "naive", "lmed", "snaive", "hw", "fourier"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(kinds); i++) {
        CHECK_EQ_I64(runv("forecast", "--input", path, "--horizon", "24", "--model", kinds[i], "--state", (const char *)NULL), 0);
        CHECK(strstr(err_buf, "state: ready") != NULL);
    }
    CHECK_EQ_I64(runv("forecast", "--input", path, "--horizon", "24", "--combine", "select", (const char *)NULL), 0);
    remove(path);
}

CHECK_MAIN(CHECK_CASE(test_output_contract), CHECK_CASE(test_step_inferred),
           CHECK_CASE(test_malformed_input_names_the_line), CHECK_CASE(test_usage_errors),
           CHECK_CASE(test_every_model_kind_runs))
