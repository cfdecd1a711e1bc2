/* parse.c — the scalar syntaxes of config values (durations, sizes, numbers,
 * booleans, aggregate specs) as pure functions on (pointer, length).
 *
 * They never allocate except cfg_parse_aggregate (labels, from the caller's
 * arena) and report failure as a static reason string, so the loader, the
 * command-line flags and augurctl all accept exactly the same text.
 */
#include "util/common.h"
#include "config/cfg_int.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool fail(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return false;
}

/* ---- durations ---- */

static const struct {
    const char *unit;
    int64_t ms;
} dur_units[] = {
    {"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
    {"m", 60000}, {"s", 1000}, {"ms", 1},
};

bool cfg_parse_duration(const char *s, size_t n, int64_t *ms, const char **why)
{
    if (n == 0)
        return fail(why, "empty duration");
    if (n == 1 && s[0] == '0') {
        *ms = 0;
        return true;
    }
    int64_t total = 0;
    int last = -1;
    size_t i = 0;
    while (i < n) {
        if (!is_digit(s[i]))
            return fail(why, s[i] == '-' ? "durations cannot be negative" : "expected digits, e.g. 30s or 1h30m");
        int64_t v = 0;
        while (i < n && is_digit(s[i])) {
            if (v > (INT64_MAX - 9) / 10)
                return fail(why, "duration too large");
            v = v * 10 + (s[i++] - '0');
        }
        if (i == n)
            return fail(why, "missing unit (ms, s, m, h, d, w or y), e.g. 30s");
        int u = -1;
        if (i + 1 < n && s[i] == 'm' && s[i + 1] == 's') {
            u = 6;
            i += 2;
        } else {
            for (int k = 0; k < 6; k++) {
                if (s[i] == dur_units[k].unit[0]) {
                    u = k;
                    break;
                }
            }
            if (u < 0)
                return fail(why, "unknown unit: use ms, s, m, h, d, w or y");
            i++;
        }
        if (u <= last)
            return fail(why, "units must go from largest to smallest, each once (e.g. 1h30m)");
        last = u;
        if (v > (INT64_MAX - total) / dur_units[u].ms)
            return fail(why, "duration too large");
        total += v * dur_units[u].ms;
    }
    *ms = total;
    return true;
}

const char *cfg_format_duration(int64_t ms, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    if (ms == 0) {
        snprintf(buf, cap, "0s");
        return buf;
    }
    size_t o = 0;
    buf[0] = '\0';
    if (ms < 0) {
        snprintf(buf, cap, "-");
        o = 1;
        ms = ms == INT64_MIN ? INT64_MAX : -ms;
    }
    for (size_t k = 0; k < AUG_ARRAY_LEN(dur_units) && o < cap; k++) {
        int64_t q = ms / dur_units[k].ms;
        if (q == 0)
            continue;
        int w = snprintf(buf + o, cap - o, "%" PRId64 "%s", q, dur_units[k].unit);
        if (w < 0)
            break;
        o += (size_t)w;
        ms -= q * dur_units[k].ms;
    }
    return buf;
}

/* ---- sizes ---- */

static const struct {
    const char *unit;
    uint64_t mult;
} size_units[] = {
    {"", 1}, {"b", 1},
    {"kb", 1000ULL}, {"mb", 1000000ULL}, {"gb", 1000000000ULL}, {"tb", 1000000000000ULL},
    {"pb", 1000000000000000ULL},
    {"kib", 1ULL << 10}, {"mib", 1ULL << 20}, {"gib", 1ULL << 30}, {"tib", 1ULL << 40}, {"pib", 1ULL << 50},
};

bool cfg_parse_size(const char *s, size_t n, uint64_t *bytes, const char **why)
{
    size_t i = 0;
    if (n == 0)
        return fail(why, "empty size");
    if (!is_digit(s[0]))
        return fail(why, s[0] == '-' ? "sizes cannot be negative" : "expected a number, e.g. 32MiB");
    uint64_t ip = 0, frac = 0, scale = 1;
    while (i < n && is_digit(s[i])) {
        if (ip > (UINT64_MAX - 9) / 10)
            return fail(why, "size too large");
        ip = ip * 10 + (uint64_t)(s[i++] - '0');
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return fail(why, "expected digits after '.'");
        while (i < n && is_digit(s[i])) {
            if (scale < 1000000000ULL) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                scale *= 10;
            }
            i++;
        }
    }
    while (i < n && s[i] == ' ')
        i++;
    char unit[4];
    size_t ul = n - i;
    if (ul > 3)
        return fail(why, "unknown unit: use B, kB, MB, GB, TB or KiB, MiB, GiB, TiB");
    for (size_t k = 0; k < ul; k++) {
        char c = s[i + k];
        unit[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    unit[ul] = '\0';
    for (size_t k = 0; k < AUG_ARRAY_LEN(size_units); k++) {
        if (strcmp(unit, size_units[k].unit) != 0)
            continue;
        uint64_t m = size_units[k].mult, whole, part;
        if (__builtin_mul_overflow(ip, m, &whole))
            return fail(why, "size too large");
        /* frac/scale of m, exactly: frac < scale <= 1e9, so neither product
         * overflows ((m / scale) * frac < m and (m % scale) * frac < 1e18). */
        part = (m / scale) * frac + (m % scale) * frac / scale;
        if (__builtin_add_overflow(whole, part, &whole))
            return fail(why, "size too large");
        *bytes = whole;
        return true;
    }
    return fail(why, "unknown unit: use B, kB, MB, GB, TB or KiB, MiB, GiB, TiB");
}

/* ---- numbers, booleans ---- */

bool cfg_parse_int(const char *s, size_t n, int64_t *v, const char **why)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+'))
        neg = s[i++] == '-';
    if (i >= n || !is_digit(s[i]))
        return fail(why, "expected an integer");
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] == '_' && i + 1 < n && is_digit(s[i + 1]) && is_digit(s[i - 1]))
            continue;
        if (!is_digit(s[i]))
            return fail(why, s[i] == '.' || s[i] == 'e' ? "expected an integer, not a fraction" : "expected an integer");
        uint64_t d = (uint64_t)(s[i] - '0');
        if (acc > (lim - d) / 10)
            return fail(why, "integer too large");
        acc = acc * 10 + d;
    }
    *v = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
    return true;
}

bool cfg_parse_float(const char *s, size_t n, double *v, const char **why)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return fail(why, "expected a number");
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+' || c == '_'))
            return fail(why, "expected a number like 0.7 or 1e3");
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_' && i > 0 && i + 1 < n && is_digit(s[i - 1]) && is_digit(s[i + 1]))
            continue;
        buf[o++] = s[i];
    }
    buf[o] = '\0';
    char *end = NULL;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + o || o == 0)
        return fail(why, "expected a number like 0.7 or 1e3");
    if (errno == ERANGE || !isfinite(d))
        return fail(why, "number out of range");
    *v = d;
    return true;
}

bool cfg_parse_bool(const char *s, size_t n, bool *v, const char **why)
{
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False", "FALSE"};
    for (size_t k = 0; k < 3; k++) {
        if (strlen(t[k]) == n && memcmp(s, t[k], n) == 0) {
            *v = true;
            return true;
        }
        if (strlen(f[k]) == n && memcmp(s, f[k], n) == 0) {
            *v = false;
            return true;
        }
    }
    return fail(why, "expected true or false");
}

/* ---- aggregate specs ---- */

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || is_digit(c);
}

static void skip_sp(const char *s, size_t n, size_t *i)
{
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
        (*i)++;
}

static bool word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

static bool agg_fail(size_t *col, size_t at, const char **why, const char *reason)
{
    *col = at;
    *why = reason;
    return false;
}

bool cfg_parse_aggregate(util_arena *a, const char *s, size_t n, cfg_aggregate *out, size_t *col, const char **why)
{
    static const char *const ops[] = {"none", "sum", "avg", "min", "max", "count"};
    size_t i = 0;
    skip_sp(s, n, &i);
    size_t w0 = i;
    while (i < n && ident_char(s[i]))
        i++;
    int op = -1;
    for (size_t k = 0; k < AUG_ARRAY_LEN(ops); k++) {
        if (word_is(s + w0, i - w0, ops[k]))
            op = (int)k;
    }
    if (op < 0)
        return agg_fail(col, w0, why, "expected sum, avg, min, max, count or none");
    cfg_aggregate agg = {(cfg_agg_op)op, false, {NULL, 0}};
    skip_sp(s, n, &i);
    if (i == n) {
        *out = agg;
        return true;
    }
    size_t c0 = i;
    while (i < n && ident_char(s[i]))
        i++;
    if (word_is(s + c0, i - c0, "without"))
        agg.without = true;
    else if (!word_is(s + c0, i - c0, "by"))
        return agg_fail(col, c0, why, "expected 'by (…)', 'without (…)' or the end");
    if (op == CFG_AGG_NONE)
        return agg_fail(col, c0, why, "'none' takes no label list");
    skip_sp(s, n, &i);
    if (i >= n || s[i] != '(')
        return agg_fail(col, i, why, "expected '(' and a label list");
    i++;
    /* At most one label per two characters: size the array from that. */
    size_t cap = (n - i) / 2 + 1, k = 0;
    const char **labels = util_arena_alloc(a, cap * sizeof *labels);
    if (labels == NULL)
        return agg_fail(col, 0, why, "out of memory");
    for (;;) {
        skip_sp(s, n, &i);
        if (i < n && s[i] == ')') {
            i++;
            break;
        }
        if (i >= n || !ident_start(s[i]))
            return agg_fail(col, i, why, "expected a label name or ')'");
        size_t l0 = i;
        while (i < n && ident_char(s[i]))
            i++;
        for (size_t j = 0; j < k; j++) {
            if (word_is(s + l0, i - l0, labels[j]))
                return agg_fail(col, l0, why, "label listed twice");
        }
        char *label = util_arena_strndup(a, s + l0, i - l0);
        if (label == NULL)
            return agg_fail(col, 0, why, "out of memory");
        labels[k++] = label;
        skip_sp(s, n, &i);
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        if (i < n && s[i] == ')') {
            i++;
            break;
        }
        return agg_fail(col, i, why, "expected ',' or ')'");
    }
    skip_sp(s, n, &i);
    if (i != n)
        return agg_fail(col, i, why, "unexpected text after the label list");
    for (size_t x = 1; x < k; x++) { /* sort: insertion, k is small */
        const char *v = labels[x];
        size_t y = x;
        while (y > 0 && strcmp(labels[y - 1], v) > 0) {
            labels[y] = labels[y - 1];
            y--;
        }
        labels[y] = v;
    }
    agg.labels = (cfg_strings){labels, k};
    *out = agg;
    return true;
}

/* ---- misc ---- */

size_t cfg_edit_distance(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return max + 1;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t best = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = AUG_MIN(sub, AUG_MIN(del, ins));
            best = AUG_MIN(best, cur[j]);
        }
        if (best > max)
            return max + 1;
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

static const struct {
    const char *name, *expect;
} type_info[CFG_T__COUNT] = {
    [CFG_T_DURATION] = {"duration", "a duration like 30s, 15m, 4h, 1d or 1w"},
    [CFG_T_SIZE] = {"size", "a size like 512KiB, 32MiB or 1GB"},
    [CFG_T_INT] = {"int", "an integer"},
    [CFG_T_FLOAT] = {"float", "a number"},
    [CFG_T_BOOL] = {"bool", "true or false"},
    [CFG_T_STRING] = {"string", "a string"},
    [CFG_T_URL] = {"url", "an http:// or https:// URL"},
    [CFG_T_PATH] = {"path", "a file path"},
    [CFG_T_METRIC_NAME] = {"name", "a name matching [a-zA-Z_][a-zA-Z0-9_]*"},
    [CFG_T_NAME] = {"name", "a name of letters, digits and _ . : -"},
    [CFG_T_SELECTOR] = {"selector", "a PromQL series selector like 'up{job=\"node\"}'"},
    [CFG_T_DUR_OR_SEL] = {"duration or selector", "a duration like 50ms or a series selector"},
    [CFG_T_ENUM] = {"enum", "one of the listed values"},
    [CFG_T_AGGREGATE] = {"aggregate", "an aggregation like 'sum by (job)', 'avg' or 'none'"},
    [CFG_T_LIST] = {"list", "a list"},
    [CFG_T_MAP] = {"map", "a mapping of names to strings"},
};

const char *cfg_type_name(cfg_type t)
{
    return (unsigned)t < CFG_T__COUNT ? type_info[t].name : "?";
}

const char *cfg_type_expect(cfg_type t)
{
    return (unsigned)t < CFG_T__COUNT ? type_info[t].expect : "?";
}
