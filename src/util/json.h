/* json.h — the one JSON string escaper, and a bounded growable buffer for
 * building JSON documents.
 *
 * Every JSON augur writes (/api/v1/status, decisions.jsonl and the webhook
 * body, the json log format, `augurctl simulate --format json`) escapes its
 * strings with util_json_escape, so user-controlled text (paths, names,
 * label values, reasons, error details) always yields valid JSON:
 *   - '"' and '\' become \" and \\;
 *   - bytes below 0x20 become \u00XX (lowercase hex);
 *   - well-formed UTF-8 (RFC 3629) passes through unchanged;
 *   - each maximal ill-formed subsequence (Unicode 15 §3.9, the "maximal
 *     subpart" practice, which is also what Python's
 *     bytes.decode("utf-8", "replace") does) becomes U+FFFD.
 *
 * Thread rules: everything is reentrant; a util_json_buf belongs to one
 * thread at a time.
 */
#ifndef AUG_UTIL_JSON_H
#define AUG_UTIL_JSON_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Escapes s[0..n) (the string's body, without quotes) into out.
 *   out, cap  [out] at most cap - 1 bytes plus a NUL are written (nothing
 *             when cap is 0); an escape or a UTF-8 character is written
 *             whole or not at all, so a cut result is still a valid JSON
 *             string body.
 *   s, n      [in] borrowed; may hold NUL bytes (escaped as \u0000).
 *   used      [out, may be NULL] input bytes consumed: n unless cut, else
 *             where to resume with a fresh buffer.
 * Returns the bytes written, not counting the NUL. */
size_t util_json_escape(char *out, size_t cap, const char *s, size_t n, size_t *used);

/* A growable JSON text of at most `max` bytes. Zero-initialise it with a
 * max, e.g. `util_json_buf b = {.max = 1 << 20};`. Appends after a failure
 * do nothing; the first failure is kept in err (AUG_ENOMEM, or AUG_ETOOBIG
 * past max). p is NUL-terminated whenever it is not NULL. */
typedef struct util_json_buf {
    char *p;     /* owned; hand it over with util_json_buf_take */
    size_t len, cap;
    size_t max;  /* bytes of text allowed, NUL not counted */
    aug_err err;
} util_json_buf;

/* Appends n raw bytes (already JSON: punctuation, numbers, fragments). */
void util_json_buf_add(util_json_buf *b, const char *s, size_t n);
/* Appends the raw NUL-terminated text s. */
void util_json_buf_lit(util_json_buf *b, const char *s);
/* Appends raw printf-formatted text; the caller guarantees it is JSON (no
 * %s of user text: use util_json_buf_str for that). */
void util_json_buf_fmt(util_json_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a quoted, escaped JSON string. */
void util_json_buf_str(util_json_buf *b, const char *s, size_t n);
/* util_json_buf_str of a NUL-terminated string. */
void util_json_buf_cstr(util_json_buf *b, const char *s);
/* Appends v as %.6g, or null when it is not finite (JSON has no NaN/Inf). */
void util_json_buf_num(util_json_buf *b, double v);

/* On success hands the text over (*out: caller frees with aug_free; *len
 * without the NUL) and returns AUG_OK. Otherwise frees it and returns the
 * first failure: AUG_ENOMEM or AUG_ETOOBIG. b is empty afterwards. */
aug_err util_json_buf_take(util_json_buf *b, char **out, size_t *len);

#endif
