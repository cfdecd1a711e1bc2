/* ctl_csv.h — the `timestamp,value` CSV reader shared by augurctl's
 * subcommands (forecast, simulate, backfill) and the small argument helpers
 * they use.
 *
 * Format: one header line (anything that is not itself a data line, e.g.
 * `timestamp,value`), then `timestamp,value` lines. Blank lines are skipped;
 * spaces and tabs around fields are ignored. A timestamp is either Unix
 * seconds (an integer, or a decimal rounded to the nearest second) or a UTC
 * date and time `YYYY-MM-DD HH:MM:SS` (also with `T` instead of the space
 * and an optional trailing `Z`), as in the NAB traces of ../shared/data. A
 * value is any number strtod accepts without overflow (NaN/Inf are parsed:
 * each caller decides what it accepts). Order is not checked here either.
 *
 * Errors are printed on stderr as `augurctl <tool>: <path>:<line>: <what>`.
 * Not part of the core library: only augurctl links it. */
#ifndef AUG_TOOLS_CTL_CSV_H
#define AUG_TOOLS_CTL_CSV_H

#include "util/common.h"

/* One data line of the file. */
typedef struct ctl_point {
    int64_t ts; /* Unix seconds */
    double v;
    long line;  /* 1-based line number in the file, for messages */
} ctl_point;

/* Reads path into *out (caller frees with aug_free) and *n (>= 1).
 * tool names the subcommand in messages ("forecast").
 * Returns 0, or 1 after printing why on stderr (cannot open, a line longer
 * than 4094 bytes, not two fields, no header, a bad timestamp or value, more
 * than 20 million points, no data, out of memory); *out is untouched then. */
int ctl_csv_read(const char *tool, const char *path, ctl_point **out, size_t *n);

/* Parses a timestamp field as described above. */
bool ctl_parse_ts(const char *s, int64_t *out);

/* Formats Unix seconds t as `YYYY-MM-DD HH:MM:SS` (UTC), the form
 * ctl_parse_ts reads back; plain seconds if gmtime cannot represent t.
 * Returns buf. */
const char *ctl_format_ts(int64_t t, char *buf, size_t cap);

/* The median positive spacing between consecutive timestamps; 0 if there
 * is none (fewer than two points, or out of memory). */
int64_t ctl_infer_step(const ctl_point *v, size_t n);

/* A whole-string decimal integer in [lo, hi]. */
bool ctl_parse_long(const char *s, long lo, long hi, long *out);

#endif
