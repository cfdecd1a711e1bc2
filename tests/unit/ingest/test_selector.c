/* Unit tests for src/ingest/selector.c and re2posix.c: syntax, escapes,
 * error columns, PromQL empty-value semantics, RE2→POSIX translation (what
 * is honoured and what is refused), both match forms, value sets,
 * remote-read matchers, thread sharing and allocation-failure cleanup. */
#include "util/common.h"
#include "ingest/re2posix.h"
#include "ingest/selector.h"
#include "util/mem.h"

#include <pthread.h>

#include "../check.h"

/* ---- helpers ---- */

#define S(lit) ((aug_str){(lit), sizeof(lit) - 1})

static ingest_selector *parse_ok(const char *text)
{
    ingest_selector *s = NULL;
    aug_errbuf eb = {{0}};
    aug_err err = ingest_selector_parse(text, strlen(text), &s, NULL, &eb);
    if (err != AUG_OK) {
        fprintf(stderr, "parse of %s failed: %s\n", text, aug_errmsg(&eb, err));
        return NULL;
    }
    return s;
}

/* Parses text expecting failure with err at column col (0: don't care) and
 * a message containing needle. */
static bool parse_fails(const char *text, aug_err want, size_t col, const char *needle)
{
    ingest_selector *s = NULL;
    aug_errbuf eb = {{0}};
    size_t errcol = 99999;
    aug_err err = ingest_selector_parse(text, strlen(text), &s, &errcol, &eb);
    bool ok = err == want && s == NULL && (col == 0 || errcol == col) && strstr(eb.msg, needle) != NULL;
    if (!ok)
        fprintf(stderr, "  %s: got %s col %zu \"%s\", want %s col %zu \"%s\"\n", text, aug_strerror(err), errcol,
                eb.msg, aug_strerror(want), col, needle);
    ingest_selector_free(s);
    return ok;
}

/* "a=1,b=2" style label list → sorted aug_label array (test inputs are
 * written sorted). Values may be empty. */
typedef struct lset {
    aug_label l[16];
    size_t n;
    uint8_t key[512];
    size_t klen;
    char store[512];
} lset;

static void lset_make(lset *ls, const char *spec)
{
    ls->n = 0;
    ls->klen = 0;
    size_t o = 0;
    const char *p = spec;
    while (*p != '\0') {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        size_t nl = (size_t)(eq - p), vl = (size_t)(end - eq - 1);
        memcpy(ls->store + o, p, nl);
        ls->l[ls->n].name = (aug_str){ls->store + o, nl};
        o += nl;
        memcpy(ls->store + o, eq + 1, vl);
        ls->l[ls->n].value = (aug_str){ls->store + o, vl};
        o += vl;
        memcpy(ls->key + ls->klen, p, nl);
        ls->klen += nl;
        ls->key[ls->klen++] = 0xff;
        memcpy(ls->key + ls->klen, eq + 1, vl);
        ls->klen += vl;
        ls->key[ls->klen++] = 0xff;
        ls->n++;
        p = *end ? end + 1 : end;
    }
}

/* Matches in both forms and checks that they agree. */
static int matches(const ingest_selector *s, const char *spec)
{
    lset ls;
    lset_make(&ls, spec);
    bool a = ingest_selector_match_labels(s, ls.l, ls.n);
    bool b = ingest_selector_match_key(s, (aug_bytes){ls.key, ls.klen});
    if (a != b) {
        fprintf(stderr, "  labels/key disagree on %s for %s\n", spec, ingest_selector_text(s));
        return -1;
    }
    return a;
}

/* Regex matcher on label v: does pattern fully match subject? -1 on error. */
static int re_full(const char *pattern, const char *subject)
{
    char text[512];
    /* backtick strings: no escaping needed unless the pattern has a '`' */
    snprintf(text, sizeof text, "{v=~`%s`, x=\"1\"}", pattern);
    ingest_selector *s = parse_ok(text);
    if (s == NULL)
        return -1;
    char spec[256];
    snprintf(spec, sizeof spec, "v=%s,x=1", subject);
    int r = matches(s, spec);
    ingest_selector_free(s);
    return r;
}

/* ---- syntax ---- */

static void test_basic_selector(void)
{
    ingest_selector *s = parse_ok("http_requests_total{job=\"web\",code=~\"5..\"}");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK_EQ_I64(ingest_selector_matcher_count(s), 3);
    ingest_matcher m0 = ingest_selector_matcher(s, 0), m2 = ingest_selector_matcher(s, 2);
    CHECK(m0.op == INGEST_MATCH_EQ && m0.name.len == 8 && memcmp(m0.name.p, "__name__", 8) == 0);
    CHECK(m2.op == INGEST_MATCH_RE && m2.value.len == 3 && memcmp(m2.value.p, "5..", 3) == 0);
    aug_str mn = ingest_selector_metric_name(s);
    CHECK(mn.len == 19 && memcmp(mn.p, "http_requests_total", 19) == 0);
    CHECK_STR(ingest_selector_text(s), "http_requests_total{job=\"web\",code=~\"5..\"}");
    CHECK_EQ_I64(matches(s, "__name__=http_requests_total,code=500,job=web"), 1);
    CHECK_EQ_I64(matches(s, "__name__=http_requests_total,code=200,job=web"), 0);
    CHECK_EQ_I64(matches(s, "__name__=http_requests_total,code=5000,job=web"), 0);
    CHECK_EQ_I64(matches(s, "__name__=http_requests_total,code=500,job=api"), 0);
    CHECK_EQ_I64(matches(s, "__name__=other,code=500,job=web"), 0);
    CHECK_EQ_I64(matches(s, "__name__=http_requests_total,job=web"), 0);
    ingest_selector_free(s);

    s = parse_ok("instance:node_cpu_utilisation:rate5m");
    CHECK(s != NULL && ingest_selector_matcher_count(s) == 1);
    CHECK_EQ_I64(matches(s, "__name__=instance:node_cpu_utilisation:rate5m,instance=a"), 1);
    ingest_selector_free(s);
}

static void test_whitespace_comments_trailing_comma(void)
{
    ingest_selector *s = parse_ok("  up \t{\n job = \"x\" , # the job\n instance!='b' , }  \n");
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK_EQ_I64(ingest_selector_matcher_count(s), 3);
        CHECK_EQ_I64(matches(s, "__name__=up,instance=a,job=x"), 1);
        CHECK_EQ_I64(matches(s, "__name__=up,instance=b,job=x"), 0);
    }
    ingest_selector_free(s);
    s = parse_ok("{__name__=\"up\"}");
    CHECK(s != NULL && ingest_selector_metric_name(s).len == 2);
    ingest_selector_free(s);
    s = parse_ok("{__name__=~\"node_(cpu|mem)_.*\"}");
    CHECK(s != NULL && ingest_selector_metric_name(s).p == NULL);
    if (s != NULL) {
        CHECK_EQ_I64(matches(s, "__name__=node_cpu_seconds"), 1);
        CHECK_EQ_I64(matches(s, "__name__=node_disk"), 0);
    }
    ingest_selector_free(s);
    s = parse_ok("{\"my.metric\", \"some.label\"=\"v\"}");
    CHECK(s != NULL);
    if (s != NULL) {
        aug_str mn = ingest_selector_metric_name(s);
        CHECK(mn.len == 9 && memcmp(mn.p, "my.metric", 9) == 0);
        CHECK_EQ_I64(matches(s, "__name__=my.metric,some.label=v"), 1);
    }
    ingest_selector_free(s);
}

static void test_string_escapes(void)
{
    ingest_selector *s =
        parse_ok("{a=\"q\\\"\\\\x\", b='it\\'s', c=`r\\n\"'`, d=\"\\u00e9\\x41\\101\\n\\t\\U0001F600\"}");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    ingest_matcher a = ingest_selector_matcher(s, 0), b = ingest_selector_matcher(s, 1),
                   c = ingest_selector_matcher(s, 2), d = ingest_selector_matcher(s, 3);
    CHECK(a.value.len == 4 && memcmp(a.value.p, "q\"\\x", 4) == 0);
    CHECK(b.value.len == 4 && memcmp(b.value.p, "it's", 4) == 0);
    CHECK(c.value.len == 5 && memcmp(c.value.p, "r\\n\"'", 5) == 0);
    CHECK(d.value.len == 10 && memcmp(d.value.p, "\xc3\xa9" "AA\n\t\xf0\x9f\x98\x80", 10) == 0);
    ingest_selector_free(s);

    CHECK(parse_fails("{a=\"\\'\"}", AUG_EMALFORMED, 5, "unknown escape sequence '\\''"));
    CHECK(parse_fails("{a='\\\"'}", AUG_EMALFORMED, 5, "unknown escape"));
    CHECK(parse_fails("{a=\"\\q\"}", AUG_EMALFORMED, 5, "unknown escape sequence '\\q'"));
    CHECK(parse_fails("{a=\"\\u12\"}", AUG_EMALFORMED, 5, "needs 4 hex digits"));
    CHECK(parse_fails("{a=\"\\ud800\"}", AUG_EMALFORMED, 5, "invalid code point"));
    CHECK(parse_fails("{a=\"\\400\"}", AUG_EMALFORMED, 5, "over 255"));
    CHECK(parse_fails("{a=\"x\ny\"}", AUG_EMALFORMED, 6, "newline in string"));
    CHECK(parse_fails("{a=\"xyz}", AUG_EMALFORMED, 4, "unterminated string"));
    CHECK(parse_fails("{a=\"\xc3\x28\"}", AUG_EMALFORMED, 4, "not valid UTF-8"));
    s = parse_ok("{a=`multi\nline`}");
    CHECK(s != NULL);
    ingest_selector_free(s);
}

static void test_parse_errors_have_columns(void)
{
    CHECK(parse_fails("foo{job=}", AUG_EMALFORMED, 9, "expected a quoted string"));
    CHECK(parse_fails("foo{job\"x\"}", AUG_EMALFORMED, 8, "expected one of = != =~ !~"));
    CHECK(parse_fails("foo{job=\"x\" code=\"y\"}", AUG_EMALFORMED, 13, "expected ',' or '}', found 'c'"));
    CHECK(parse_fails("foo bar", AUG_EMALFORMED, 5, "expected '{' or end of selector"));
    CHECK(parse_fails("rate(x[5m])", AUG_EUNSUPPORTED, 5, "functions"));
    CHECK(parse_fails("foo[5m]", AUG_EUNSUPPORTED, 4, "range selectors"));
    CHECK(parse_fails("foo{a=\"b\"} offset 5m", AUG_EUNSUPPORTED, 12, "offset"));
    CHECK(parse_fails("{,}", AUG_EMALFORMED, 2, "expected a label name or '}'"));
    CHECK(parse_fails("123", AUG_EMALFORMED, 1, "expected a metric name or '{'"));
    CHECK(parse_fails("", AUG_EMALFORMED, 1, "found end of input"));
    CHECK(parse_fails("foo{a=\"b\"", AUG_EMALFORMED, 10, "found end of input"));
    CHECK(parse_fails("foo{a:b=\"c\"}", AUG_EMALFORMED, 6, "cannot contain ':'"));
    CHECK(parse_fails("foo{a==\"c\"}", AUG_EMALFORMED, 7, "expected a quoted string"));
    CHECK(parse_fails("foo{__name__=\"bar\"}", AUG_EMALFORMED, 1, "metric name given twice"));
    CHECK(parse_fails("foo{\"bar\"}", AUG_EMALFORMED, 5, "metric name given twice"));
    CHECK(parse_fails("{\"\"=\"x\"}", AUG_EMALFORMED, 2, "empty label"));
    char big[INGEST_SELECTOR_MAX_LEN + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(parse_fails(big, AUG_ETOOBIG, 0, "longer than"));
    char many[2048];
    size_t o = (size_t)snprintf(many, sizeof many, "{");
    for (int i = 0; i < INGEST_SELECTOR_MAX_MATCHERS + 1; i++)
        o += (size_t)snprintf(many + o, sizeof many - o, "l%d=\"x\",", i);
    snprintf(many + o, sizeof many - o, "}");
    CHECK(parse_fails(many, AUG_ETOOBIG, 0, "too many matchers"));
}

static void test_needs_a_selective_matcher(void)
{
    const char *all[] = {"{}", "{foo=\"\"}", "{foo=~\".*\"}", "{foo!=\"x\"}", "{foo!~\"x\"}", "{a=~\"x|\"}"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(all); i++)
        CHECK(parse_fails(all[i], AUG_EMALFORMED, 1, "at least one matcher that does not match the empty"));
    ingest_selector *s = parse_ok("{foo=~\".+\"}");
    CHECK(s != NULL);
    ingest_selector_free(s);
}

/* ---- semantics ---- */

static void test_empty_value_semantics(void)
{
    ingest_selector *s = parse_ok("{foo=\"\", job=\"x\"}");
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK_EQ_I64(matches(s, "job=x"), 1);
        CHECK_EQ_I64(matches(s, "foo=a,job=x"), 0);
    }
    ingest_selector_free(s);
    s = parse_ok("{foo!=\"bar\", job=\"x\"}");
    if (s != NULL) {
        CHECK_EQ_I64(matches(s, "job=x"), 1);
        CHECK_EQ_I64(matches(s, "foo=baz,job=x"), 1);
        CHECK_EQ_I64(matches(s, "foo=bar,job=x"), 0);
    }
    ingest_selector_free(s);
    s = parse_ok("{foo=~\"|a\", job=\"x\"}");
    if (s != NULL) {
        CHECK_EQ_I64(matches(s, "job=x"), 1);
        CHECK_EQ_I64(matches(s, "foo=a,job=x"), 1);
        CHECK_EQ_I64(matches(s, "foo=b,job=x"), 0);
    }
    ingest_selector_free(s);
    s = parse_ok("{foo!~\".+\", job=\"x\"}");
    if (s != NULL) {
        CHECK_EQ_I64(matches(s, "job=x"), 1);
        CHECK_EQ_I64(matches(s, "foo=a,job=x"), 0);
    }
    ingest_selector_free(s);
    /* Several matchers on one label, and labels sorting before __name__. */
    s = parse_ok("up{a=~\"x.*\", a!=\"xy\", Zone=\"z\"}");
    if (s != NULL) {
        CHECK_EQ_I64(matches(s, "Zone=z,__name__=up,a=xz"), 1);
        CHECK_EQ_I64(matches(s, "Zone=z,__name__=up,a=xy"), 0);
        CHECK_EQ_I64(matches(s, "__name__=up,a=xz"), 0);
    }
    ingest_selector_free(s);
}

static void test_match_key_edge_cases(void)
{
    ingest_selector *s = parse_ok("{a=\"1\"}");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK(ingest_selector_match_key(s, (aug_bytes){(const uint8_t *)"a\xff" "1\xff", 4}));
    CHECK(!ingest_selector_match_key(s, (aug_bytes){(const uint8_t *)"a\xff" "1", 3}));
    CHECK(!ingest_selector_match_key(s, (aug_bytes){(const uint8_t *)"a\xff" "1\xff" "b", 5}));
    CHECK(!ingest_selector_match_key(s, (aug_bytes){(const uint8_t *)"\xff" "1\xff", 3}));
    CHECK(!ingest_selector_match_key(s, (aug_bytes){NULL, 0}));
    CHECK(!ingest_selector_match_labels(s, NULL, 0));
    ingest_selector_free(s);
}

/* ---- regexes ---- */

static void test_regex_translation_honours_re2(void)
{
    static const struct {
        const char *re, *subject;
        int want;
    } cases[] = {
        {"5..", "500", 1}, {"5..", "5000", 0}, {"5..", "x500", 0},
        {"\\d+", "123", 1}, {"\\d+", "12a", 0}, {"[\\d.]+", "1.5", 1}, {"\\D", "\xc3\xa9", 1},
        {"[\\.]", ".", 1}, {"[\\.]", "\\", 0}, {"a\\.b", "a.b", 1}, {"a\\.b", "axb", 0},
        {"(?i)web", "WeB", 1}, {"(?i)[a-c]x", "Bx", 1}, {"(?i)[^a]", "A", 0},
        {"(?:a|b)c", "bc", 1}, {"(?P<x>a)b", "ab", 1}, {"(?<x>a)b", "ab", 1},
        {"a{2,3}", "aaa", 1}, {"a{2,3}", "aaaa", 0}, {"a{2}", "aa", 1}, {"a{2,}", "aaaaa", 1},
        {"a{", "a{", 1}, {"a{x}", "a{x}", 1}, {"a{1", "a{1", 1}, {"x*?y", "xxy", 1}, {"x{1,2}?", "x", 1},
        {"\\Qa.b\\E", "a.b", 1}, {"\\Qa.b\\E", "axb", 0}, {"\\Qa.b", "a.b", 1},
        {".", "\xc3\xa9", 1}, {"..", "\xc3\xa9", 0}, {"[^a]", "\xc3\xa9", 1}, {"[^a]", "a", 0},
        {"[^a]+", "b\xc3\xa9\xe2\x82\xac", 1}, {"[\xc3\xa9x]", "\xc3\xa9", 1}, {"[\xc3\xa9x]", "y", 0},
        {"\xc3\xa9+", "\xc3\xa9\xc3\xa9", 1}, {"[[:alpha:]]+", "abC", 1}, {"[[:alpha:]]+", "ab1", 0},
        {"[[:^digit:]]", "\xc3\xa9", 1}, {"[]a]", "]", 1}, {"[^]a]", "]", 0}, {"[a-]", "-", 1},
        {"[-a]", "-", 1}, {"[\\^x]", "^", 1}, {"[\\]]", "]", 1}, {"[\\-]", "-", 1}, {"[\\[]", "[", 1},
        {"\\x41", "A", 1}, {"\\x{e9}", "\xc3\xa9", 1}, {"\\x{1F600}", "\xf0\x9f\x98\x80", 1},
        {"a|b|c", "b", 1}, {"a|b|c", "d", 0}, {"a|", "", 1}, {"", "", 1}, {"", "a", 0},
        {".", "\n", 1}, {"(?s).", "\n", 1}, {"\\n", "\n", 1}, {"a\\tb", "a\tb", 1},
        {"\\Aab\\z", "ab", 1}, {"^ab$", "ab", 1}, {"a^b", "ab", 0}, {"\\w+", "a_1", 1}, {"\\W", "a", 0},
        {"\\s", " ", 1}, {"\\S", " ", 0}, {"a}", "a}", 1}, {"a]", "a]", 1}, {"()", "", 1}, {"(a|)b", "b", 1},
        {"[a-c]+", "abcabc", 1}, {"x.*", "xanything", 1}, {".*", "", 1}, {".+", "", 0},
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(cases); i++) {
        int got = re_full(cases[i].re, cases[i].subject);
        if (got != cases[i].want)
            fprintf(stderr, "  regex `%s` on \"%s\": got %d want %d\n", cases[i].re, cases[i].subject, got,
                    cases[i].want);
        CHECK_EQ_I64(got, cases[i].want);
    }
}

static bool re_refused(const char *re, aug_err want, const char *needle)
{
    char text[512];
    snprintf(text, sizeof text, "{v=~`%s`}", re);
    ingest_selector *s = NULL;
    aug_errbuf eb = {{0}};
    aug_err err = ingest_selector_parse(text, strlen(text), &s, NULL, &eb);
    bool ok = err == want && strstr(eb.msg, needle) != NULL;
    if (!ok)
        fprintf(stderr, "  `%s`: got %s \"%s\"\n", re, aug_strerror(err), eb.msg);
    ingest_selector_free(s);
    return ok;
}

static void test_regex_refusals(void)
{
    CHECK(re_refused("(?m)^x", AUG_EUNSUPPORTED, "multi-line"));
    CHECK(re_refused("\\bfoo", AUG_EUNSUPPORTED, "word boundaries"));
    CHECK(re_refused("(?i:x)", AUG_EUNSUPPORTED, "scoped or negated flag"));
    CHECK(re_refused("a(?i)b", AUG_EUNSUPPORTED, "leading (?i)"));
    CHECK(re_refused("(a)\\1", AUG_EUNSUPPORTED, "backreferences"));
    CHECK(re_refused("(?=x)", AUG_EUNSUPPORTED, "lookaround"));
    CHECK(re_refused("[\xc3\xa0-\xc3\xbf]", AUG_EUNSUPPORTED, "ranges beyond ASCII"));
    CHECK(re_refused("[^\xc3\xa9]", AUG_EUNSUPPORTED, "negated class"));
    CHECK(re_refused("a{,3}", AUG_EUNSUPPORTED, "{0,n}"));
    CHECK(re_refused("a{1001}", AUG_EMALFORMED, "invalid repeat count"));
    CHECK(re_refused("a{3,2}", AUG_EMALFORMED, "minimum above maximum"));
    CHECK(re_refused("((a{1000}){1000}){1000}", AUG_ETOOBIG, "expand past"));
    CHECK(re_refused("(?i)\xc3\xa9", AUG_EUNSUPPORTED, "ASCII case folding"));
    CHECK(re_refused("\\pL", AUG_EUNSUPPORTED, "Unicode classes"));
    CHECK(re_refused("\\x00", AUG_EUNSUPPORTED, "NUL"));
    CHECK(re_refused("(ab", AUG_EMALFORMED, "missing )"));
    CHECK(re_refused("ab)", AUG_EMALFORMED, "unexpected )"));
    CHECK(re_refused("*a", AUG_EMALFORMED, "missing argument"));
    CHECK(re_refused("a**", AUG_EMALFORMED, "nested repetition"));
    CHECK(re_refused("a*??", AUG_EMALFORMED, "nested repetition"));
    CHECK(re_refused("^*", AUG_EUNSUPPORTED, "anchor"));
    CHECK(re_refused("[a", AUG_EMALFORMED, "missing closing ]"));
    CHECK(re_refused("[z-a]", AUG_EMALFORMED, "end before start"));
    CHECK(re_refused("[\\d-z]", AUG_EMALFORMED, "range"));
    CHECK(re_refused("[[:nope:]]", AUG_EMALFORMED, "class name"));
    CHECK(re_refused("a\\", AUG_EMALFORMED, "trailing backslash"));
    CHECK(re_refused("\\xZ1", AUG_EMALFORMED, "hex digits"));
    CHECK(re_refused("\\y", AUG_EMALFORMED, "invalid escape"));
    /* \xff in the PromQL string is a raw byte: invalid UTF-8 for the regex. */
    CHECK(parse_fails("{v=~\"a\\xff\"}", AUG_EMALFORMED, 7, "invalid UTF-8"));
}

static void test_regex_error_column_maps_through_escapes(void)
{
    /* Source {a=~"\\d\\b"}: the regex is \d\b; \b (offset 2) starts at col 9. */
    CHECK(parse_fails("{a=~\"\\\\d\\\\b\"}", AUG_EUNSUPPORTED, 9, "col 9: bad regex for label 'a': word bound"));
    CHECK(parse_fails("{a=~`x(y`}", AUG_EMALFORMED, 7, "missing )"));
}

static void test_translate_output_is_plain_posix(void)
{
    ingest_re r;
    aug_errbuf eb = {{0}};
    CHECK(ingest_re_translate("[\\.\\]a-c^-]", 11, &r, NULL, &eb) == AUG_OK);
    CHECK_STR(r.ere, "[].a-c^-]");
    aug_free(r.ere);
    CHECK(ingest_re_translate("a{2}?\\d", 7, &r, NULL, &eb) == AUG_OK);
    CHECK_STR(r.ere, "a{2}[0-9]");
    aug_free(r.ere);
    CHECK(ingest_re_translate("(?i)x", 5, &r, NULL, &eb) == AUG_OK);
    CHECK_STR(r.ere, "x");
    CHECK(r.cflags != 0);
    aug_free(r.ere);
    char buf[32];
    aug_str alts[8];
    size_t n;
    CHECK(ingest_re_literals("a\\.b|c|\\x41", 11, buf, alts, &n));
    CHECK_EQ_I64(n, 3);
    CHECK(alts[0].len == 3 && memcmp(alts[0].p, "a.b", 3) == 0);
    CHECK(alts[2].len == 1 && alts[2].p[0] == 'A');
    CHECK(!ingest_re_literals("a.b", 3, buf, alts, &n));
    CHECK(!ingest_re_literals("(a)", 3, buf, alts, &n));
}

/* ---- value sets, remote read ---- */

static void test_value_sets(void)
{
    ingest_selector *s =
        parse_ok("foo{job=\"a\", code=~\"2..|3..\", env=~\"stage|prod|prod\", x!=\"y\", y=~\"a|\", e=\"\"}");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    ingest_value_set vs[8];
    size_t n = ingest_selector_value_sets(s, vs, 8);
    CHECK_EQ_I64(n, 3);
    CHECK(vs[0].nvalues == 1 && vs[0].values[0].len == 3 && memcmp(vs[0].name.p, "__name__", 8) == 0);
    CHECK(vs[1].nvalues == 1 && vs[1].values[0].len == 1 && vs[1].values[0].p[0] == 'a');
    CHECK(vs[2].nvalues == 2 && vs[2].name.len == 3);
    CHECK(vs[2].values[0].len == 4 && memcmp(vs[2].values[0].p, "prod", 4) == 0);
    CHECK(vs[2].values[1].len == 5 && memcmp(vs[2].values[1].p, "stage", 5) == 0);
    CHECK_EQ_I64(ingest_selector_value_sets(s, vs, 1), 3);
    CHECK_EQ_I64(matches(s, "__name__=foo,code=200,env=prod,job=a,x=z,y=a"), 1);
    CHECK_EQ_I64(matches(s, "__name__=foo,code=200,env=dev,job=a"), 0);
    ingest_selector_free(s);
    s = parse_ok("{a!=\"x\", b=~\"c.*\"}");
    CHECK(s != NULL && ingest_selector_value_sets(s, vs, 8) == 0);
    ingest_selector_free(s);
}

static void test_from_remote_read_matchers(void)
{
    wire_matcher m[] = {
        {WIRE_MATCH_EQ, S("__name__"), S("up")},
        {WIRE_MATCH_RE, S("job"), S("node|prom")},
        {WIRE_MATCH_NEQ, S("some.label"), S("a\"b\n")},
    };
    ingest_selector *s = NULL;
    aug_errbuf eb = {{0}};
    CHECK(ingest_selector_from_matchers(m, 3, &s, &eb) == AUG_OK);
    if (s != NULL) {
        CHECK_STR(ingest_selector_text(s), "{__name__=\"up\", job=~\"node|prom\", \"some.label\"!=\"a\\\"b\\n\"}");
        CHECK_EQ_I64(matches(s, "__name__=up,job=prom"), 1);
        CHECK_EQ_I64(matches(s, "__name__=up,job=x"), 0);
        /* The rendering parses back to an equivalent selector. */
        ingest_selector *back = parse_ok(ingest_selector_text(s));
        CHECK(back != NULL && ingest_selector_matcher_count(back) == 3);
        if (back != NULL) {
            ingest_matcher b2 = ingest_selector_matcher(back, 2);
            CHECK(b2.value.len == 4 && memcmp(b2.value.p, "a\"b\n", 4) == 0);
        }
        ingest_selector_free(back);
    }
    ingest_selector_free(s);

    s = NULL;
    CHECK(ingest_selector_from_matchers(NULL, 0, &s, &eb) == AUG_OK);
    CHECK(s != NULL && ingest_selector_match_labels(s, NULL, 0));
    ingest_selector_free(s);

    wire_matcher bad[] = {{WIRE_MATCH_EQ, S("a"), S("b")}, {WIRE_MATCH_RE, S("job"), S("x(?m)")}};
    s = NULL;
    CHECK(ingest_selector_from_matchers(bad, 2, &s, &eb) == AUG_EUNSUPPORTED && s == NULL);
    CHECK(strstr(eb.msg, "matcher 1: bad regex for label 'job' at offset 1") != NULL);
    wire_matcher noname[] = {{WIRE_MATCH_EQ, {NULL, 0}, S("b")}};
    CHECK(ingest_selector_from_matchers(noname, 1, &s, &eb) == AUG_EMALFORMED);
    wire_matcher badtype[] = {{(wire_match_type)7, S("a"), S("b")}};
    CHECK(ingest_selector_from_matchers(badtype, 1, &s, &eb) == AUG_EMALFORMED);
}

/* ---- robustness ---- */

typedef struct thr_arg {
    const ingest_selector *s;
    long hits;
} thr_arg;

static void *thr_main(void *arg)
{
    thr_arg *a = arg;
    lset yes, no;
    lset_make(&yes, "__name__=req,code=503,path=/api/v1/query");
    lset_make(&no, "__name__=req,code=503,path=/debug/pprof");
    for (int i = 0; i < 20000; i++) {
        a->hits += ingest_selector_match_labels(a->s, yes.l, yes.n);
        a->hits += ingest_selector_match_key(a->s, (aug_bytes){no.key, no.klen}) ? 1000000 : 0;
    }
    return NULL;
}

static void test_shared_across_threads(void)
{
    ingest_selector *s = parse_ok("req{code=~\"5[0-9]{2}\", path!~`/debug/.*`}");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    pthread_t th[4];
    thr_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thr_arg){s, 0};
        CHECK(pthread_create(&th[i], NULL, thr_main, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_I64(args[i].hits, 20000);
    }
    ingest_selector_free(s);
}

static void test_random_labels_vs_key_agree(void)
{
    static const char *const sels[] = {
        "{a=\"x\"}", "{a!=\"x\", b=~\"y|z\"}", "{c=~\"[xy]+\", a!~\"\"}", "{b=\"\", a=~\".+\"}",
        "m{a=~\"x.*\"}", "{a=~\"(?i)X\"}",
    };
    static const char *const vals[] = {"x", "y", "z", "xy", "X"};
    static const char *const names[] = {"__name__", "a", "b", "c"};
    for (size_t si = 0; si < AUG_ARRAY_LEN(sels); si++) {
        ingest_selector *s = parse_ok(sels[si]);
        CHECK(s != NULL);
        if (s == NULL)
            continue;
        for (int it = 0; it < 500; it++) {
            char spec[128];
            size_t o = 0;
            for (size_t k = 0; k < AUG_ARRAY_LEN(names); k++) {
                if (check_rand() % 3 == 0)
                    continue;
                const char *v = k == 0 ? "m" : vals[check_rand() % AUG_ARRAY_LEN(vals)];
                o += (size_t)snprintf(spec + o, sizeof spec - o, "%s%s=%s", o ? "," : "", names[k], v);
            }
            spec[o] = '\0';
            CHECK(matches(s, spec) >= 0);
        }
        ingest_selector_free(s);
    }
}

static void test_allocation_failures_clean_up(void)
{
    static const char *const texts[] = {
        "http_requests_total{job=\"web\",code=~\"5..\",path!~`/x/.*`,env=~\"a|b\"}",
    };
    int64_t base = aug_mem_used();
    int saw_ok = 0, saw_nomem = 0;
    for (long k = 0; k < 40; k++) {
        aug_mem_fail_after(k);
        ingest_selector *s = NULL;
        aug_err err = ingest_selector_parse(texts[0], strlen(texts[0]), &s, NULL, NULL);
        aug_mem_fail_reset();
        CHECK(err == AUG_OK || err == AUG_ENOMEM);
        if (err == AUG_OK) {
            saw_ok++;
            CHECK(s != NULL);
        } else {
            saw_nomem++;
            CHECK(s == NULL);
        }
        ingest_selector_free(s);
        CHECK_EQ_I64(aug_mem_used(), base);
    }
    CHECK(saw_ok > 0 && saw_nomem > 0);
}

CHECK_MAIN(CHECK_CASE(test_basic_selector), CHECK_CASE(test_whitespace_comments_trailing_comma),
           CHECK_CASE(test_string_escapes), CHECK_CASE(test_parse_errors_have_columns),
           CHECK_CASE(test_needs_a_selective_matcher), CHECK_CASE(test_empty_value_semantics),
           CHECK_CASE(test_match_key_edge_cases), CHECK_CASE(test_regex_translation_honours_re2),
           CHECK_CASE(test_regex_refusals), CHECK_CASE(test_regex_error_column_maps_through_escapes),
           CHECK_CASE(test_translate_output_is_plain_posix), CHECK_CASE(test_value_sets),
           CHECK_CASE(test_from_remote_read_matchers), CHECK_CASE(test_shared_across_threads),
           CHECK_CASE(test_random_labels_vs_key_agree), CHECK_CASE(test_allocation_failures_clean_up))
