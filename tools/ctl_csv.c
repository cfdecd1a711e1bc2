/* ctl_csv.c — the CSV reader of ctl_csv.h (moved here from ctl_forecast.c so
 * that forecast and simulate read traces with one piece of code). */
#include "util/common.h"

#include <time.h>

#include "ctl_csv.h"
#include "util/mem.h"

#define MAX_POINTS 20000000
#define LINE_MAX_LEN 4096

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), exact for every year. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s into *out; false if any is not a digit. */
static bool digits(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* `YYYY-MM-DD HH:MM:SS` (or `T`, optional `Z`), UTC. */
static bool parse_datetime(const char *s, int64_t *out)
{
    size_t len = strlen(s);
    if (len == 20 && s[19] == 'Z')
        len = 19;
    if (len != 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
        s[16] != ':')
        return false;
    int64_t y, mo, d, h, mi, se;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
        se > 59)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}

bool ctl_parse_ts(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0') {
        *out = (int64_t)v;
        return true;
    }
    if (parse_datetime(s, out))
        return true;
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || fabs(d) > 9e15)
        return false;
    *out = (int64_t)llround(d);
    return true;
}

const char *ctl_format_ts(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "%" PRId64, t);
    return buf;
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

int ctl_csv_read(const char *tool, const char *path, ctl_point **out, size_t *n_out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "augurctl %s: cannot open %s: %s\n", tool, path, strerror(errno));
        return 1;
    }
    char line[LINE_MAX_LEN];
    long ln = 0;
    size_t n = 0, cap = 0;
    ctl_point *v = NULL;
    int rc = 1;
    bool header = false;
    while (fgets(line, sizeof line, f) != NULL) {
        ln++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            fprintf(stderr, "augurctl %s: %s:%ld: line longer than %d bytes\n", tool, path, ln, LINE_MAX_LEN - 2);
            goto fail;
        }
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *a, *b;
        if (!split2(s, &a, &b)) {
            fprintf(stderr, "augurctl %s: %s:%ld: expected two comma-separated fields\n", tool, path, ln);
            goto fail;
        }
        if (!header) {
            int64_t t;
            double d;
            if (ctl_parse_ts(a, &t) && parse_num(b, &d)) {
                fprintf(stderr, "augurctl %s: %s:%ld: expected a header line such as 'timestamp,value'\n", tool,
                        path, ln);
                goto fail;
            }
            header = true;
            continue;
        }
        ctl_point p = {.line = ln};
        if (!ctl_parse_ts(a, &p.ts)) {
            fprintf(stderr,
                    "augurctl %s: %s:%ld: timestamp '%s' is neither Unix seconds nor YYYY-MM-DD HH:MM:SS (UTC)\n",
                    tool, path, ln, a);
            goto fail;
        }
        if (!parse_num(b, &p.v)) {
            fprintf(stderr, "augurctl %s: %s:%ld: value '%s' is not a number\n", tool, path, ln, b);
            goto fail;
        }
        if (n == cap) {
            if (cap >= MAX_POINTS) {
                fprintf(stderr, "augurctl %s: %s:%ld: more than %d points\n", tool, path, ln, MAX_POINTS);
                goto fail;
            }
            size_t nc = cap ? 2 * cap : 4096;
            ctl_point *nv = aug_realloc(v, nc * sizeof *v);
            if (nv == NULL) {
                fprintf(stderr, "augurctl %s: out of memory at %s:%ld\n", tool, path, ln);
                goto fail;
            }
            v = nv;
            cap = nc;
        }
        v[n++] = p;
    }
    if (ferror(f)) {
        fprintf(stderr, "augurctl %s: reading %s: %s\n", tool, path, strerror(errno));
        goto fail;
    }
    if (n == 0) {
        fprintf(stderr, "augurctl %s: %s: no data points after the header\n", tool, path);
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

int64_t ctl_infer_step(const ctl_point *v, size_t n)
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

bool ctl_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}
