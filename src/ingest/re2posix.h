/* re2posix.h — translate an RE2 (PromQL) regular expression into a POSIX
 * extended regular expression with the same full-match semantics, or say
 * exactly why that is impossible (src/ingest/, used by selector.c).
 *
 * The rules (what is translated, what is rejected) are listed in
 * ingest/selector.h, which is the user-facing contract; this header is the
 * mechanism. The output is meant for regcomp(REG_EXTENDED|REG_NOSUB |
 * out->cflags) after wrapping as `^(` ere `)$`, in the C locale.
 *
 * Pure functions: no I/O, no globals; thread-safe.
 */
#ifndef AUG_INGEST_RE2POSIX_H
#define AUG_INGEST_RE2POSIX_H

#include "util/common.h"
#include "util/err.h"

/* Caps that bound the translated pattern and regcomp's work. */
#define INGEST_RE_MAX_REPEAT 1000      /* largest {n,m} count, as in RE2 */
#define INGEST_RE_MAX_WEIGHT 10000     /* atoms after expanding counted repeats */
#define INGEST_RE_MAX_DEPTH 64         /* nested groups */
#define INGEST_RE_MAX_OUT ((size_t)1 << 20) /* bytes of translated pattern */

typedef struct ingest_re {
    char *ere;  /* translated pattern, NUL-terminated; caller frees with aug_free */
    size_t len; /* strlen(ere) */
    int cflags; /* extra regcomp flags (REG_ICASE for a leading (?i)) */
} ingest_re;

/* Translates pattern p[0..n).
 *   out     [out] on AUG_OK; untouched on error
 *   errpos  [out] may be NULL; 0-based byte offset in p of the problem
 *   eb      [out] may be NULL; reason without position
 * Returns AUG_OK, AUG_EMALFORMED (invalid in RE2 too: unbalanced parens,
 * bad repeat, bad escape, invalid UTF-8), AUG_EUNSUPPORTED (valid RE2 that
 * POSIX cannot honour), AUG_ETOOBIG (the caps above), AUG_ENOMEM. */
aug_err ingest_re_translate(const char *p, size_t n, ingest_re *out, size_t *errpos, aug_errbuf *eb);

/* If p[0..n) is a plain literal or a top-level alternation of plain literals
 * (no groups, classes, repeats, anchors or flags; escaped punctuation, \n-
 * style escapes, \xHH and \Q…\E are fine), decodes the alternatives into
 * buf (capacity >= n bytes suffices: decoding never grows) and their views
 * into alts (capacity >= n + 1 suffices) and returns true with *nalts set.
 * Returns false otherwise (the pattern then needs regexec). Views point into
 * buf. Duplicates and order are preserved; the caller sorts. */
bool ingest_re_literals(const char *p, size_t n, char *buf, aug_str *alts, size_t *nalts);

/* Writes code point cp (<= 0x10FFFF) as UTF-8 into out; returns the length
 * (1-4). Shared by the regex translator and selector string unescaping. */
size_t ingest_utf8_encode(uint32_t cp, uint8_t out[4]);

/* Value of one hex digit (0-9, a-f, A-F), or -1. */
int ingest_hexval(uint8_t c);

#endif
