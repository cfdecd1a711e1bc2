/* log.h — structured logging from the edges only (CONVENTIONS 12).
 *
 * storage/, wire/, forecast/ and decide/ never log: they return aug_err and
 * the caller logs once. A log call names its subsystem, a message, and
 * key/value string pairs:
 *
 *     LOG_WARN("http", "request rejected", "path", url, "err", aug_strerror(e));
 *     LOG_INFO("store", "map grown", "bytes", LOG_I64(newsize));
 *
 * The macros test the level before evaluating any argument. Output is one
 * line per call in logfmt (`ts=… level=info sub=http msg="…" key=value`) or
 * JSON, on stderr by default.
 *
 * State: the logger's level, format and debug mask are process-wide, set once
 * by main (and on reload) through log_configure; this is the only mutable
 * global outside struct augur_server and is documented here for that reason.
 * Thread rules: every function is thread-safe; each line is written with one
 * fwrite under a lock so lines never interleave.
 */
#ifndef AUG_UTIL_LOG_H
#define AUG_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum log_level {
    LOG_LVL_DEBUG = 0,
    LOG_LVL_INFO = 1,
    LOG_LVL_WARN = 2,
    LOG_LVL_ERROR = 3,
} log_level;

typedef enum log_format {
    LOG_FMT_LOGFMT = 0,
    LOG_FMT_JSON = 1,
} log_format;

/* Parses "debug|info|warn|error"; returns false on anything else. */
bool log_level_parse(const char *s, log_level *out);
/* Parses "logfmt|json"; returns false on anything else. */
bool log_format_parse(const char *s, log_format *out);

/* Sets level, format and sink (NULL = stderr). debug_subs is a comma list of
 * subsystems whose debug lines are shown even above debug level, or NULL. */
void log_configure(log_level level, log_format format, FILE *sink, const char *debug_subs);

/* True when a line at `level` from `sub` would be written. */
bool log_enabled(log_level level, const char *sub);

/* Writes one line; the variadic part is key, value pairs of const char *
 * ended by NULL (the macros add the NULL). NULL values print as "". */
void log_emit(log_level level, const char *sub, const char *msg, ...);

/* Format helpers that return their buffer, for use inside LOG_* arguments. */
const char *log_fmt_i64(char buf[24], int64_t v);
const char *log_fmt_f64(char buf[32], double v);

#define LOG_I64(x) log_fmt_i64((char[24]){0}, (int64_t)(x))
#define LOG_F64(x) log_fmt_f64((char[32]){0}, (double)(x))

#define LOG_AT(lvl, sub, ...) \
    do { \
        if (log_enabled((lvl), (sub))) \
            log_emit((lvl), (sub), __VA_ARGS__, (const char *)NULL); \
    } while (0)
#define LOG_DEBUG(sub, ...) LOG_AT(LOG_LVL_DEBUG, sub, __VA_ARGS__)
#define LOG_INFO(sub, ...) LOG_AT(LOG_LVL_INFO, sub, __VA_ARGS__)
#define LOG_WARN(sub, ...) LOG_AT(LOG_LVL_WARN, sub, __VA_ARGS__)
#define LOG_ERROR(sub, ...) LOG_AT(LOG_LVL_ERROR, sub, __VA_ARGS__)

#endif
