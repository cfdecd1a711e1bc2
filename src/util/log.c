/* log.c — logfmt/JSON line writer.
 *
 * A line is built in a stack buffer and written with one fwrite under the
 * lock. The last 16 bytes of the buffer are kept for the line's end ("}\n",
 * or " truncated=1\n" in logfmt), so a line cut at 4 KiB still ends whole.
 *
 * Both formats escape values with util_json_escape, so they agree on what
 * reaches the log: control bytes become \u00XX and ill-formed UTF-8 becomes
 * U+FFFD. logfmt quotes a value when it is empty or holds a space, '=',
 * '"', '\\', a control byte or ill-formed UTF-8 (go-logfmt quotes the same
 * and reads the JSON escapes back); other values are written as they are. */
#include "util/common.h"
#include "util/json.h"
#include "util/log.h"
#include "util/utf8.h"

#include <pthread.h>
#include <time.h>

static struct {
    pthread_mutex_t lock;
    log_level level;
    log_format format;
    FILE *sink;
    char debug_subs[256];
} logger = {PTHREAD_MUTEX_INITIALIZER, LOG_LVL_INFO, LOG_FMT_LOGFMT, NULL, ""};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

bool log_level_parse(const char *s, log_level *out)
{
    for (size_t i = 0; i < AUG_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (log_level)i;
            return true;
        }
    }
    return false;
}

bool log_format_parse(const char *s, log_format *out)
{
    if (strcmp(s, "logfmt") == 0)
        *out = LOG_FMT_LOGFMT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_FMT_JSON;
    else
        return false;
    return true;
}

void log_configure(log_level level, log_format format, FILE *sink, const char *debug_subs)
{
    pthread_mutex_lock(&logger.lock);
    logger.level = level;
    logger.format = format;
    logger.sink = sink;
    snprintf(logger.debug_subs, sizeof logger.debug_subs, ",%s,", debug_subs ? debug_subs : "");
    pthread_mutex_unlock(&logger.lock);
}

static bool sub_debug_enabled(const char *sub)
{
    char needle[64];
    snprintf(needle, sizeof needle, ",%s,", sub);
    return strstr(logger.debug_subs, needle) != NULL;
}

bool log_enabled(log_level level, const char *sub)
{
    if (level >= logger.level)
        return true;
    return level == LOG_LVL_DEBUG && sub_debug_enabled(sub);
}

typedef struct line {
    char buf[4096];
    size_t len;
    bool cut; /* something did not fit */
} line;

/* Bytes still free for fields; the last 16 of buf are kept for the line's
 * end ("}\n" or " truncated=1\n"). */
static size_t room(const line *l)
{
    return sizeof l->buf - 16 - l->len;
}

static void put(line *l, const char *s, size_t n)
{
    if (n > room(l)) {
        n = room(l);
        l->cut = true;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

/* Escapes s into the room left minus `keep` bytes, whole characters only. */
static void put_escaped(line *l, const char *s, size_t keep)
{
    size_t n = strlen(s), used;
    /* +1: util_json_escape's NUL lands in the kept bytes or the reserve */
    l->len += util_json_escape(l->buf + l->len, room(l) - keep + 1, s, n, &used);
    l->cut |= used < n;
}

static bool logfmt_needs_quotes(const char *v)
{
    const uint8_t *p = (const uint8_t *)v;
    size_t n = strlen(v);
    if (n == 0)
        return true;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c <= ' ' || c == '=' || c == '"' || c == '\\')
            return true;
        if (c < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        i += util_utf8_next(p + i, n - i, &cp);
        if (cp == UTIL_UTF8_BAD)
            return true;
    }
    return false;
}

/* A logfmt field; one that cannot get its key, '=' and a byte of value
 * (two quotes if quoted) is left out. */
static void put_logfmt_field(line *l, bool first, const char *k, const char *v)
{
    bool quote = logfmt_needs_quotes(v);
    size_t need = (first ? 0 : 1) + strlen(k) + 1 + (quote ? 2 : 1);
    if (room(l) < need) {
        l->cut = true;
        return;
    }
    if (!first)
        put(l, " ", 1);
    put(l, k, strlen(k));
    put(l, "=", 1);
    if (!quote) {
        put_escaped(l, v, 0); /* nothing in v to escape: it is cut at a character */
        return;
    }
    put(l, "\"", 1);
    put_escaped(l, v, 1);
    put(l, "\"", 1);
}

/* A JSON field is written with both its strings quoted, each escaped by
 * util_json_escape and cut if need be, so a truncated line is still one
 * valid JSON object; a field that cannot get even its punctuation is left
 * out. */
static void put_json_field(line *l, bool first, const char *k, const char *v)
{
    size_t punct = (first ? 0 : 1) + sizeof "\"\":\"\"" - 1;
    if (room(l) < punct)
        return;
    if (!first)
        l->buf[l->len++] = ',';
    l->buf[l->len++] = '"';
    put_escaped(l, k, 4); /* keeps room for `":"` and the value's closing quote */
    memcpy(l->buf + l->len, "\":\"", 3);
    l->len += 3;
    put_escaped(l, v, 1);
    l->buf[l->len++] = '"';
}

static void put_field(line *l, bool json, bool first, const char *k, const char *v)
{
    if (json)
        put_json_field(l, first, k, v);
    else
        put_logfmt_field(l, first, k, v);
}

void log_emit(log_level level, const char *sub, const char *msg, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char tsbuf[96];
    snprintf(tsbuf, sizeof tsbuf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

    bool json = logger.format == LOG_FMT_JSON;
    line l = {.len = 0};
    if (json)
        put(&l, "{", 1);
    put_field(&l, json, true, "ts", tsbuf);
    put_field(&l, json, false, "level", level_names[level]);
    put_field(&l, json, false, "sub", sub);
    put_field(&l, json, false, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        put_field(&l, json, false, k, v ? v : "");
    }
    va_end(ap);
    /* The end goes into the 16 reserved bytes, past put()'s cap. */
    static const char marker[] = " truncated=1";
    if (json) {
        l.buf[l.len++] = '}';
    } else if (l.cut) {
        memcpy(l.buf + l.len, marker, sizeof marker - 1);
        l.len += sizeof marker - 1;
    }
    l.buf[l.len++] = '\n';

    pthread_mutex_lock(&logger.lock);
    FILE *out = logger.sink ? logger.sink : stderr;
    fwrite(l.buf, 1, l.len, out);
    fflush(out);
    pthread_mutex_unlock(&logger.lock);
}

const char *log_fmt_i64(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

const char *log_fmt_f64(char buf[32], double v)
{
    snprintf(buf, 32, "%.6g", v);
    return buf;
}
