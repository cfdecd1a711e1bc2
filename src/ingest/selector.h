/* selector.h — PromQL series selectors, compiled once, matched many times
 * (src/ingest/).
 *
 * A selector is what `ingest.keep`, `forecasts[].series`, scaler inputs and
 * remote-read queries use to pick series:
 *
 *     http_requests_total{job="web", code=~"5..", path!~`/debug/.*`}
 *     {__name__=~"node_cpu_.*", mode!="idle"}
 *     {"my.utf8.metric", "some.label"="x"}        (Prometheus 3 quoted names)
 *
 * Syntax accepted by ingest_selector_parse (a subset of PromQL: one instant
 * vector selector, nothing else):
 *   - an optional metric name [a-zA-Z_:][a-zA-Z0-9_:]*, then optionally
 *     `{ matcher, matcher, ... }` with an optional trailing comma;
 *   - matcher: label op string, with label [a-zA-Z_][a-zA-Z0-9_]* or a quoted
 *     string, op one of = != =~ !~; a lone quoted string inside the braces is
 *     the metric name;
 *   - strings in "double" or 'single' quotes with Go/PromQL escapes
 *     (\a \b \f \n \r \t \v \\ \' \" \xHH \OOO \uHHHH \UHHHHHHHH; \' only
 *     inside '…', \" only inside "…"; a raw newline is not allowed), or in
 *     `backticks` (raw, no escapes);
 *   - spaces, tabs, newlines and #-comments between tokens.
 * Like PromQL: the metric name may be given only once (`foo{__name__="x"}` is
 * an error), and at least one matcher must not match the empty string
 * (`{}` and `{foo=""}` alone are errors because they select everything).
 * Range selectors `[5m]`, `offset`, `@` and functions are rejected.
 *
 * Matching semantics (PromQL): a matcher sees a missing label as the empty
 * value, so `{foo=""}` and `{foo!="bar"}` also match series without `foo`.
 * Regex matchers are fully anchored: `=~"5.."` means the whole value.
 *
 * Regular expressions. PromQL uses RE2; augur compiles with POSIX
 * regcomp(REG_EXTENDED|REG_NOSUB) on `^(…)$` after translating RE2 syntax,
 * and rejects (AUG_EUNSUPPORTED, with the column) what it cannot honour
 * exactly instead of silently matching something else:
 *   - translated: `(?:…)` and named groups `(?P<n>…)` → `(…)`; lazy
 *     quantifiers `*? +? ?? {n,m}?` → greedy (same result under full
 *     anchoring); `\d \D \w \W \s \S` → explicit ASCII classes (RE2's are
 *     ASCII too); `\n \t \r \f \v \a \xHH \x{H…}` and `\Q…\E` → literals;
 *     escaped punctuation in `[…]` (RE2 treats `[\.]` as a dot, POSIX as
 *     backslash or dot); `{` that does not start a repeat → literal `{`;
 *     `.` and negated classes → UTF-8 aware alternations, so `.` matches one
 *     character, not one byte (POSIX in the C locale sees bytes);
 *   - a leading `(?i)` → REG_ICASE (ASCII case folding only, so `(?i)` with
 *     non-ASCII letters in the pattern is rejected); leading `(?s)` and
 *     `(?U)` are accepted (`.` always matches newline, as in Prometheus 3);
 *   - rejected: other flag groups (`(?m)`, `(?i:…)`, flags not at the start),
 *     `\b \B \A \z \p{…} \P \C`, backreferences and octal escapes,
 *     lookaround, non-ASCII ranges in `[…]` (`[à-ÿ]`), negated classes that
 *     list non-ASCII characters, `[[:^alpha:]]`, `{,n}` (a literal in RE2,
 *     almost always a typo), repeat counts over 1000, nested repeats that
 *     expand past 10,000 atoms, and invalid UTF-8 in the pattern.
 *   The C locale is assumed (augur never calls setlocale); label values are
 *   expected to be valid UTF-8 (wire/ validates them).
 * Regexes that are plain literals or alternations of literals (`web|api`)
 * are matched by string comparison without regexec, and `.*` / `.+` are
 * recognised; ingest_selector_value_sets exposes such finite sets so the
 * storage can use label postings.
 *
 * Lifetimes: a compiled selector owns all its memory (caller frees with
 * ingest_selector_free); strings returned by the accessors are borrowed from
 * it and valid until it is freed.
 *
 * Threads: a compiled selector is immutable. Any number of threads may match
 * against the same selector concurrently (glibc's regexec is thread-safe; it
 * serialises calls on one regex_t internally, so a hot regex shared by many
 * threads is a contention point, which the literal fast paths avoid).
 */
#ifndef AUG_INGEST_SELECTOR_H
#define AUG_INGEST_SELECTOR_H

#include "util/common.h"
#include "util/err.h"
#include "wire/wire.h"

typedef struct ingest_selector ingest_selector;

/* Matcher operators; the values equal wire_match_type's. */
typedef enum ingest_match_op {
    INGEST_MATCH_EQ = 0,  /* =  */
    INGEST_MATCH_NEQ = 1, /* != */
    INGEST_MATCH_RE = 2,  /* =~ */
    INGEST_MATCH_NRE = 3, /* !~ */
} ingest_match_op;

/* Limits that bound parse cost. */
#define INGEST_SELECTOR_MAX_LEN ((size_t)16384) /* bytes of selector text */
#define INGEST_SELECTOR_MAX_MATCHERS 64         /* matchers, metric name included */

/* A matcher as written (after unescaping). The metric name appears as a
 * matcher on "__name__" with op INGEST_MATCH_EQ. */
typedef struct ingest_matcher {
    ingest_match_op op;
    aug_str name;
    aug_str value; /* for =~ / !~ the RE2 source, unanchored */
} ingest_matcher;

/* A label whose value must be one of a finite, non-empty set of non-empty
 * strings (from `l="v"` or `l=~"a|b|c"`); a series lacking the label never
 * matches. One value is an equality matcher. */
typedef struct ingest_value_set {
    aug_str name;
    const aug_str *values; /* sorted bytewise, unique */
    size_t nvalues;
} ingest_value_set;

/* Parses and compiles a selector.
 *   text, len  [in]  selector text (need not be NUL-terminated)
 *   out        [out] compiled selector on AUG_OK; caller frees with
 *                    ingest_selector_free. Untouched on error.
 *   errcol     [out] may be NULL; on a parse error the 1-based byte column
 *                    of the problem in text (0 when not positional)
 *   eb         [out] may be NULL; "col N: expected …, found …" on error
 * Returns AUG_OK; AUG_EMALFORMED (syntax, bad escape, invalid regex);
 * AUG_EUNSUPPORTED (an RE2 feature POSIX cannot honour, see above);
 * AUG_ETOOBIG (over INGEST_SELECTOR_MAX_LEN or _MAX_MATCHERS, or a regex
 * that expands too far); AUG_ENOMEM. */
aug_err ingest_selector_parse(const char *text, size_t len, ingest_selector **out, size_t *errcol,
                              aug_errbuf *eb);

/* Builds a selector from remote-read matchers (name, value, type) as decoded
 * by wire/. Same regex rules and errors as ingest_selector_parse (the column
 * in eb is within the failing matcher's value, and the message names the
 * matcher index). Unlike parse, a selector that matches everything is
 * allowed: Prometheus validated the query. An empty array matches every
 * series. Caller frees *out with ingest_selector_free. */
aug_err ingest_selector_from_matchers(const wire_matcher *m, size_t n, ingest_selector **out, aug_errbuf *eb);

/* Frees a selector. NULL is a no-op. */
void ingest_selector_free(ingest_selector *s);

/* True when the series with these labels is selected.
 *   labels  [in] sorted by name (bytewise), unique names; n may be 0 */
bool ingest_selector_match_labels(const ingest_selector *s, const aug_label *labels, size_t n);

/* True when the series whose canonical label key (storage/store.h: for each
 * label sorted by name: name 0xFF value 0xFF) is `key` is selected. A key
 * that is not well formed never matches. */
bool ingest_selector_match_key(const ingest_selector *s, aug_bytes key);

/* The selector's text: the parsed input verbatim, or for a selector built
 * from matchers a rendering in PromQL syntax. Borrowed, NUL-terminated. */
const char *ingest_selector_text(const ingest_selector *s);

/* Number of matchers (metric name included) and the i-th one, in the order
 * written. The view is borrowed from s. */
size_t ingest_selector_matcher_count(const ingest_selector *s);
ingest_matcher ingest_selector_matcher(const ingest_selector *s, size_t i);

/* Fills out[0..cap) with the selector's finite value sets (see
 * ingest_value_set), in matcher order, and returns how many there are (which
 * may exceed cap; then only cap were written). A series matches only if it
 * has, for every set, one of the values; the storage can intersect the unions
 * of the postings and then check the remaining matchers with match_key.
 * Zero means no postings shortcut exists (e.g. only `!=` or open regexes). */
size_t ingest_selector_value_sets(const ingest_selector *s, ingest_value_set *out, size_t cap);

/* The metric name when the selector pins it with an equality matcher, else
 * an empty aug_str (p == NULL). Borrowed from s. */
aug_str ingest_selector_metric_name(const ingest_selector *s);

#endif
