/* selector.c — parse, compile and match PromQL series selectors.
 *
 * Design notes.
 *  1. Two stages. The parser turns text into "raw" matchers (op, name,
 *     unescaped value) in a scratch pool; build() compiles raw matchers into
 *     the immutable selector. ingest_selector_from_matchers feeds build()
 *     directly, so remote-read and config selectors share every rule after
 *     the syntax.
 *  2. Layout: one heap block holds the selector, its matcher array, the text
 *     and every name/value; each literal-set matcher owns one more block with
 *     its sorted values, and each regex matcher a regex_t (regcomp's memory).
 *     ingest_selector_free releases exactly those. Nothing is mutated after
 *     build(), which is what makes sharing across threads safe.
 *  3. Matching merges two sorted sequences: the matchers ordered by label
 *     name (order[] is computed once) and the series' labels, which are
 *     sorted in both supported forms (aug_label arrays and canonical keys).
 *     A matcher whose label is absent is evaluated against "" (PromQL).
 *  4. Each matcher is classified once: exact string, literal set (a regex
 *     made only of literal alternatives), any (.*), non-empty (.+), or a
 *     real regex; `negate` flips the result for != and !~. Only the last
 *     kind calls regexec.
 *  5. Columns in parse errors are 1-based byte offsets into the text; for an
 *     error inside a regex, a per-byte map from unescaped value bytes back
 *     to the source (srcmap) gives the exact column even when the string
 *     used escapes.
 */
#include "util/common.h"
#include "ingest/selector.h"
#include "ingest/re2posix.h"
#include "util/mem.h"
#include "util/utf8.h"

#include <regex.h>

_Static_assert((int)INGEST_MATCH_EQ == (int)WIRE_MATCH_EQ && (int)INGEST_MATCH_NEQ == (int)WIRE_MATCH_NEQ &&
                   (int)INGEST_MATCH_RE == (int)WIRE_MATCH_RE && (int)INGEST_MATCH_NRE == (int)WIRE_MATCH_NRE,
               "ingest_match_op must mirror wire_match_type");

enum kind { K_EXACT, K_SET, K_ANY, K_NONEMPTY, K_REGEX };

typedef struct matcher {
    ingest_match_op op;
    aug_str name, value;
    enum kind kind;
    bool negate;
    bool has_re;
    aug_str *set; /* K_SET: sorted, unique; one aug_malloc block with the bytes */
    size_t nset;
    regex_t re;   /* K_REGEX */
} matcher;

struct ingest_selector {
    char *text;
    size_t nm;
    matcher *m;
    uint8_t order[INGEST_SELECTOR_MAX_MATCHERS]; /* indices of m, sorted by name */
    aug_str metric_name;
};

_Static_assert(INGEST_SELECTOR_MAX_MATCHERS <= 256, "order[] holds uint8_t indices");

/* ---- strings ---- */

/* Byte-order comparison. Label names differ within their first bytes
 * almost always, so a byte loop beats a memcmp call here: matching the keep
 * selectors against every series of every write request spent ~half its
 * time in memcmp calls (perf, rwload 100k series). */
static inline int str_cmp(aug_str a, aug_str b)
{
    size_t k = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < k; i++) {
        if (a.p[i] != b.p[i])
            return (uint8_t)a.p[i] < (uint8_t)b.p[i] ? -1 : 1;
    }
    return a.len < b.len ? -1 : a.len > b.len;
}

static bool str_eq(aug_str a, const char *lit)
{
    size_t k = strlen(lit);
    return a.len == k && memcmp(a.p, lit, k) == 0;
}

static bool valid_utf8(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += util_utf8_next(p + i, n - i, &cp);
        if (cp == UTIL_UTF8_BAD)
            return false;
    }
    return true;
}

/* ---- evaluation (design notes 3, 4) ---- */

static bool set_has(const matcher *m, const char *v, size_t len)
{
    aug_str key = {v, len};
    size_t lo = 0, hi = m->nset;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(m->set[mid], key);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool full_match(const regex_t *re, const char *v, size_t len)
{
#ifdef REG_STARTEND
    regmatch_t pm[1];
    pm[0].rm_so = 0;
    pm[0].rm_eo = (regoff_t)len;
    return regexec(re, len ? v : "", 1, pm, REG_STARTEND) == 0;
#else
    char stackbuf[256];
    char *buf = len < sizeof stackbuf ? stackbuf : aug_malloc(len + 1);
    if (buf == NULL)
        return false;
    memcpy(buf, v, len);
    buf[len] = '\0';
    bool ok = memchr(v, '\0', len) == NULL && regexec(re, buf, 0, NULL, 0) == 0;
    if (buf != stackbuf)
        aug_free(buf);
    return ok;
#endif
}

static bool eval(const matcher *m, const char *v, size_t len)
{
    bool r;
    switch (m->kind) {
    case K_EXACT:
        r = len == m->value.len && (len == 0 || memcmp(v, m->value.p, len) == 0);
        break;
    case K_SET:
        r = set_has(m, v, len);
        break;
    case K_ANY:
        r = true;
        break;
    case K_NONEMPTY:
        r = len > 0;
        break;
    default:
        r = full_match(&m->re, v, len);
        break;
    }
    return r != m->negate;
}

/* A forward iterator over a sorted label set in either representation. */
typedef struct label_iter {
    const aug_label *arr;
    size_t n, i;
    const uint8_t *key;
    size_t klen, kpos;
    bool is_key;
    bool bad;  /* the key is not well formed */
    bool has;  /* name/value hold the current label */
    aug_str name, value;
} label_iter;

static void iter_next(label_iter *it)
{
    if (!it->is_key) {
        it->has = it->i < it->n;
        if (it->has) {
            it->name = it->arr[it->i].name;
            it->value = it->arr[it->i].value;
            it->i++;
        }
        return;
    }
    it->has = false;
    if (it->kpos >= it->klen)
        return;
    const uint8_t *p = it->key + it->kpos;
    size_t left = it->klen - it->kpos;
    const uint8_t *e1 = memchr(p, 0xff, left);
    if (e1 == NULL) {
        it->bad = true;
        return;
    }
    const uint8_t *v = e1 + 1;
    const uint8_t *e2 = memchr(v, 0xff, left - (size_t)(v - p));
    if (e2 == NULL || e1 == p) {
        it->bad = true;
        return;
    }
    it->name = (aug_str){(const char *)p, (size_t)(e1 - p)};
    it->value = (aug_str){(const char *)v, (size_t)(e2 - v)};
    it->kpos += (size_t)(e2 - p) + 1;
    it->has = true;
}

static bool match_iter(const ingest_selector *s, label_iter *it)
{
    iter_next(it);
    for (size_t k = 0; k < s->nm; k++) {
        const matcher *m = &s->m[s->order[k]];
        int c = 1;
        while (it->has && (c = str_cmp(it->name, m->name)) < 0)
            iter_next(it);
        if (it->bad)
            return false;
        if (it->has && c == 0) {
            if (!eval(m, it->value.p, it->value.len))
                return false;
        } else if (!eval(m, "", 0)) {
            return false;
        }
    }
    /* A key is checked to the end for well-formedness; an array has no
     * malformed form, so its remaining labels cannot change the answer. */
    while (it->has && it->is_key)
        iter_next(it);
    return !it->bad;
}

bool ingest_selector_match_labels(const ingest_selector *s, const aug_label *labels, size_t n)
{
    label_iter it = {.arr = labels, .n = n};
    return match_iter(s, &it);
}

bool ingest_selector_match_key(const ingest_selector *s, aug_bytes key)
{
    label_iter it = {.key = key.p, .klen = key.len, .is_key = true};
    return match_iter(s, &it);
}

/* ---- build (design notes 1, 2) ---- */

typedef struct raw {
    ingest_match_op op;
    aug_str name, value;
    const uint32_t *srcmap; /* text offset of each value byte; NULL: none */
    size_t value_off;       /* text offset of the value token (its quote) */
} raw;

typedef struct build_ctx {
    bool from_text;   /* errors say "col N" (parse) or "matcher I" (remote read) */
    size_t *errcol;
    aug_errbuf *eb;
} build_ctx;

void ingest_selector_free(ingest_selector *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nm; i++) {
        if (s->m[i].has_re)
            regfree(&s->m[i].re);
        aug_free(s->m[i].set);
    }
    aug_free(s);
}

__attribute__((format(printf, 5, 6))) static aug_err build_err(const build_ctx *bc, size_t idx, size_t col,
                                                               aug_err err, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (bc->from_text) {
        if (bc->errcol != NULL)
            *bc->errcol = col;
        return aug_errf(bc->eb, err, "col %zu: %s", col, why);
    }
    return aug_errf(bc->eb, err, "matcher %zu: %s", idx, why);
}

static void sort_strs(aug_str *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        aug_str x = v[i];
        size_t j = i;
        while (j > 0 && str_cmp(v[j - 1], x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Fills m->set if the regex is a literal alternation; returns AUG_OK and
 * leaves m->set NULL otherwise. */
static aug_err try_literal_set(matcher *m)
{
    size_t n = m->value.len;
    size_t arr = (n + 1) * sizeof(aug_str);
    aug_str *set = aug_malloc(arr + n + 1);
    if (set == NULL)
        return AUG_ENOMEM;
    char *buf = (char *)set + arr;
    size_t k;
    if (!ingest_re_literals(m->value.p, n, buf, set, &k)) {
        aug_free(set);
        return AUG_OK;
    }
    sort_strs(set, k);
    size_t u = 0;
    for (size_t i = 0; i < k; i++) {
        if (u == 0 || str_cmp(set[u - 1], set[i]) != 0)
            set[u++] = set[i];
    }
    m->set = set;
    m->nset = u;
    m->kind = K_SET;
    return AUG_OK;
}

static aug_err compile_regex(matcher *m, const raw *r, size_t idx, const build_ctx *bc)
{
    ingest_re tr;
    size_t pos = 0;
    aug_errbuf why = {{0}};
    aug_err err = ingest_re_translate(m->value.p, m->value.len, &tr, &pos, &why);
    if (err == AUG_ENOMEM)
        return err;
    if (err != AUG_OK) {
        size_t col = (r->srcmap != NULL && pos < r->value.len ? r->srcmap[pos] : r->value_off) + 1;
        if (bc->from_text)
            return build_err(bc, idx, col, err, "bad regex for label '%.*s': %s", (int)m->name.len, m->name.p,
                             why.msg);
        return build_err(bc, idx, col, err, "bad regex for label '%.*s' at offset %zu: %s", (int)m->name.len,
                         m->name.p, pos, why.msg);
    }
    if (str_eq(m->value, ".*") || str_eq(m->value, "(?s).*")) {
        m->kind = K_ANY;
    } else if (str_eq(m->value, ".+") || str_eq(m->value, "(?s).+")) {
        m->kind = K_NONEMPTY;
    } else if ((err = try_literal_set(m)) != AUG_OK) {
        aug_free(tr.ere);
        return err;
    }
    if (m->kind != K_REGEX) {
        aug_free(tr.ere);
        return AUG_OK;
    }
    char *full = aug_malloc(tr.len + 5);
    if (full == NULL) {
        aug_free(tr.ere);
        return AUG_ENOMEM;
    }
    memcpy(full, "^(", 2);
    memcpy(full + 2, tr.ere, tr.len);
    memcpy(full + 2 + tr.len, ")$", 3);
    aug_free(tr.ere);
    int rc = regcomp(&m->re, full, REG_EXTENDED | REG_NOSUB | tr.cflags);
    aug_free(full);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &m->re, msg, sizeof msg);
        if (rc == REG_ESPACE)
            return AUG_ENOMEM;
        return build_err(bc, idx, r->value_off + 1, AUG_EMALFORMED, "bad regex for label '%.*s': %s",
                         (int)m->name.len, m->name.p, msg);
    }
    m->has_re = true;
    return AUG_OK;
}

static aug_err build(const raw *r, size_t n, const char *text, size_t textlen, bool require_nonempty,
                     const build_ctx *bc, ingest_selector **out)
{
    size_t bytes = sizeof(ingest_selector) + n * sizeof(matcher) + textlen + 1;
    for (size_t i = 0; i < n; i++)
        bytes += r[i].name.len + r[i].value.len;
    ingest_selector *s = aug_calloc(1, bytes);
    if (s == NULL)
        return AUG_ENOMEM;
    s->m = (matcher *)(s + 1);
    char *pool = (char *)(s->m + n);
    s->text = pool;
    memcpy(pool, text, textlen);
    pool[textlen] = '\0';
    pool += textlen + 1;
    aug_err err = AUG_OK;
    for (size_t i = 0; i < n; i++) {
        matcher *m = &s->m[i];
        s->nm = i + 1;
        m->op = r[i].op;
        m->name = (aug_str){pool, r[i].name.len};
        memcpy(pool, r[i].name.p, r[i].name.len);
        pool += r[i].name.len;
        m->value = (aug_str){pool, r[i].value.len};
        if (r[i].value.len)
            memcpy(pool, r[i].value.p, r[i].value.len);
        pool += r[i].value.len;
        m->negate = m->op == INGEST_MATCH_NEQ || m->op == INGEST_MATCH_NRE;
        m->kind = K_EXACT;
        if (m->op == INGEST_MATCH_RE || m->op == INGEST_MATCH_NRE) {
            m->kind = K_REGEX;
            if ((err = compile_regex(m, &r[i], i, bc)) != AUG_OK)
                goto fail;
        }
    }
    bool selective = false;
    for (size_t i = 0; i < n; i++)
        selective |= !eval(&s->m[i], "", 0);
    if (require_nonempty && !selective) {
        err = build_err(bc, 0, 1, AUG_EMALFORMED,
                        "a selector needs at least one matcher that does not match the empty string "
                        "(this one would select every series)");
        goto fail;
    }
    /* order[]: stable insertion sort by name (design note 3). */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && str_cmp(s->m[s->order[j - 1]].name, s->m[i].name) > 0) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = (uint8_t)i;
    }
    for (size_t i = 0; i < n; i++) {
        const matcher *m = &s->m[i];
        if (m->op == INGEST_MATCH_EQ && m->value.len > 0 && str_eq(m->name, "__name__")) {
            s->metric_name = m->value;
            break;
        }
    }
    *out = s;
    return AUG_OK;
fail:
    ingest_selector_free(s);
    return err;
}

/* ---- parser ---- */

typedef struct ps {
    const char *s;
    size_t n, i;
    char *pool;          /* unescaped strings; never longer than the text */
    uint32_t *srcmap;    /* text offset of each pool byte */
    size_t plen;
    raw m[INGEST_SELECTOR_MAX_MATCHERS];
    size_t nm;
    bool have_name;      /* a bare or lone-quoted metric name was given */
    size_t name_pos;     /* its text offset */
    size_t name_idx;     /* its index in m[] */
    size_t *errcol;
    aug_errbuf *eb;
} ps;

static void describe(const ps *p, size_t pos, char *buf, size_t cap)
{
    if (pos >= p->n) {
        snprintf(buf, cap, "end of input");
        return;
    }
    unsigned char c = (unsigned char)p->s[pos];
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else if (c == ' ')
        snprintf(buf, cap, "a space");
    else
        snprintf(buf, cap, "byte 0x%02x", c);
}

__attribute__((format(printf, 4, 5))) static aug_err perr(ps *p, size_t pos, aug_err err, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (p->errcol != NULL)
        *p->errcol = pos + 1;
    return aug_errf(p->eb, err, "col %zu: %s", pos + 1, why);
}

/* "expected X, found Y" at the current position. */
static aug_err expected(ps *p, const char *what)
{
    char found[32];
    describe(p, p->i, found, sizeof found);
    return perr(p, p->i, AUG_EMALFORMED, "expected %s, found %s", what, found);
}

static void skip_ws(ps *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p->i++;
        } else if (c == '#') {
            while (p->i < p->n && p->s[p->i] != '\n')
                p->i++;
        } else {
            break;
        }
    }
}

static bool is_name_start(char c, bool metric)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
}

static bool is_name_char(char c, bool metric)
{
    return is_name_start(c, metric) || (c >= '0' && c <= '9');
}

static void pool_put(ps *p, const void *b, size_t k, size_t src)
{
    memcpy(p->pool + p->plen, b, k);
    for (size_t j = 0; j < k; j++)
        p->srcmap[p->plen + j] = (uint32_t)src;
    p->plen += k;
}

static aug_str ident(ps *p, bool metric)
{
    size_t start = p->i;
    while (p->i < p->n && is_name_char(p->s[p->i], metric))
        p->i++;
    size_t off = p->plen;
    for (size_t k = start; k < p->i; k++)
        pool_put(p, p->s + k, 1, k);
    return (aug_str){p->pool + off, p->i - start};
}



/* One escape after a backslash at p->i - 1 inside a `quote` string. */
static aug_err string_escape(ps *p, char quote, size_t bs)
{
    if (p->i >= p->n)
        return perr(p, bs, AUG_EMALFORMED, "unterminated escape sequence");
    char e = p->s[p->i++];
    uint8_t b;
    switch (e) {
    case 'a': b = 7; break;
    case 'b': b = 8; break;
    case 'f': b = 12; break;
    case 'n': b = 10; break;
    case 'r': b = 13; break;
    case 't': b = 9; break;
    case 'v': b = 11; break;
    case '\\': b = '\\'; break;
    case '\'':
    case '"':
        if (e != quote)
            return perr(p, bs, AUG_EMALFORMED, "unknown escape sequence '\\%c' in a %s-quoted string", e,
                        quote == '"' ? "double" : "single");
        b = (uint8_t)e;
        break;
    case 'x':
    case 'u':
    case 'U': {
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (int k = 0; k < digits; k++) {
            int h = p->i < p->n ? ingest_hexval((uint8_t)(p->s[p->i])) : -1;
            if (h < 0)
                return perr(p, bs, AUG_EMALFORMED, "escape '\\%c' needs %d hex digits", e, digits);
            v = v * 16 + (uint32_t)h;
            p->i++;
        }
        if (e == 'x') {
            b = (uint8_t)v;
            break;
        }
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
            return perr(p, bs, AUG_EMALFORMED, "escape '\\%c' names an invalid code point", e);
        uint8_t u[4];
        pool_put(p, u, ingest_utf8_encode(v, u), bs);
        return AUG_OK;
    }
    default:
        if (e >= '0' && e <= '7') {
            uint32_t v = (uint32_t)(e - '0');
            for (int k = 0; k < 2; k++) {
                if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '7')
                    return perr(p, bs, AUG_EMALFORMED, "octal escape needs 3 digits");
                v = v * 8 + (uint32_t)(p->s[p->i++] - '0');
            }
            if (v > 255)
                return perr(p, bs, AUG_EMALFORMED, "octal escape value over 255");
            b = (uint8_t)v;
            break;
        }
        if ((unsigned char)e >= 0x21 && (unsigned char)e < 0x7f)
            return perr(p, bs, AUG_EMALFORMED, "unknown escape sequence '\\%c'", e);
        return perr(p, bs, AUG_EMALFORMED, "unknown escape sequence");
    }
    pool_put(p, &b, 1, bs);
    return AUG_OK;
}

/* A string literal at p->i (which holds the quote). */
static aug_err string_lit(ps *p, aug_str *out, size_t *srcoff)
{
    size_t start = p->i, off = p->plen;
    char q = p->s[p->i++];
    for (;;) {
        if (p->i >= p->n)
            return perr(p, start, AUG_EMALFORMED, "unterminated string");
        char c = p->s[p->i];
        if (c == q) {
            p->i++;
            break;
        }
        if (q != '`' && c == '\n')
            return perr(p, p->i, AUG_EMALFORMED, "newline in string (use \\n, or a `raw` string)");
        if (q != '`' && c == '\\') {
            size_t bs = p->i++;
            aug_err err = string_escape(p, q, bs);
            if (err != AUG_OK)
                return err;
            continue;
        }
        pool_put(p, &c, 1, p->i);
        p->i++;
    }
    /* Raw bytes (not escapes) must be valid UTF-8; check the source span. */
    if (!valid_utf8((const uint8_t *)p->s + start, p->i - start))
        return perr(p, start, AUG_EMALFORMED, "string is not valid UTF-8");
    *out = (aug_str){p->pool + off, p->plen - off};
    *srcoff = off;
    return AUG_OK;
}

static aug_err add_raw(ps *p, size_t pos, ingest_match_op op, aug_str name, aug_str value, size_t value_off,
                       size_t value_pool_off)
{
    if (p->nm == INGEST_SELECTOR_MAX_MATCHERS)
        return perr(p, pos, AUG_ETOOBIG, "too many matchers (max %d)", INGEST_SELECTOR_MAX_MATCHERS);
    raw *r = &p->m[p->nm++];
    r->op = op;
    r->name = name;
    r->value = value;
    r->value_off = value_off;
    r->srcmap = p->srcmap + value_pool_off;
    return AUG_OK;
}

static aug_err set_metric_name(ps *p, size_t pos, aug_str name, size_t name_pool_off)
{
    if (p->have_name)
        return perr(p, pos, AUG_EMALFORMED, "metric name given twice");
    p->have_name = true;
    p->name_pos = pos;
    p->name_idx = p->nm;
    return add_raw(p, pos, INGEST_MATCH_EQ, (aug_str){"__name__", 8}, name, pos, name_pool_off);
}

static aug_err matcher_rule(ps *p)
{
    aug_err err;
    size_t start = p->i, name_off = p->plen;
    aug_str name;
    char c = p->i < p->n ? p->s[p->i] : '\0';
    bool quoted = c == '"' || c == '\'' || c == '`';
    if (quoted) {
        if ((err = string_lit(p, &name, &name_off)) != AUG_OK)
            return err;
        if (name.len == 0)
            return perr(p, start, AUG_EMALFORMED, "empty label or metric name");
    } else if (is_name_start(c, false)) {
        name = ident(p, false);
    } else {
        return expected(p, "a label name or '}'");
    }
    skip_ws(p);
    ingest_match_op op;
    if (p->i < p->n && p->s[p->i] == '=') {
        p->i++;
        op = INGEST_MATCH_EQ;
        if (p->i < p->n && p->s[p->i] == '~')
            p->i++, op = INGEST_MATCH_RE;
    } else if (p->i + 1 < p->n && p->s[p->i] == '!' && (p->s[p->i + 1] == '=' || p->s[p->i + 1] == '~')) {
        op = p->s[p->i + 1] == '=' ? INGEST_MATCH_NEQ : INGEST_MATCH_NRE;
        p->i += 2;
    } else if (quoted) {
        /* A lone quoted string is the metric name (Prometheus 3). */
        return set_metric_name(p, start, name, name_off);
    } else {
        if (p->i < p->n && p->s[p->i] == ':')
            return perr(p, p->i, AUG_EMALFORMED, "label names cannot contain ':'");
        return expected(p, "one of = != =~ !~ after the label name");
    }
    skip_ws(p);
    if (p->i >= p->n || (p->s[p->i] != '"' && p->s[p->i] != '\'' && p->s[p->i] != '`'))
        return expected(p, "a quoted string (\"…\", '…' or `…`) as the label value");
    size_t vpos = p->i, voff;
    aug_str value;
    if ((err = string_lit(p, &value, &voff)) != AUG_OK)
        return err;
    return add_raw(p, start, op, name, value, vpos, voff);
}

static aug_err selector_rule(ps *p)
{
    aug_err err;
    skip_ws(p);
    bool braces = false;
    if (p->i < p->n && is_name_start(p->s[p->i], true)) {
        size_t pos = p->i, off = p->plen;
        aug_str name = ident(p, true);
        if ((err = set_metric_name(p, pos, name, off)) != AUG_OK)
            return err;
        skip_ws(p);
    }
    if (p->i < p->n && p->s[p->i] == '{') {
        braces = true;
        p->i++;
        for (;;) {
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == '}') {
                p->i++;
                break;
            }
            if ((err = matcher_rule(p)) != AUG_OK)
                return err;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == '}') {
                p->i++;
                break;
            }
            return expected(p, "',' or '}'");
        }
        skip_ws(p);
    }
    if (!p->have_name && !braces)
        return expected(p, "a metric name or '{'");
    if (p->i < p->n) {
        char c = p->s[p->i];
        if (c == '[')
            return perr(p, p->i, AUG_EUNSUPPORTED, "range selectors like [5m] are not supported here");
        if (c == '(')
            return perr(p, p->i, AUG_EUNSUPPORTED, "functions and aggregations are not supported in a selector");
        if (c == '@' || (p->n - p->i >= 6 && memcmp(p->s + p->i, "offset", 6) == 0))
            return perr(p, p->i, AUG_EUNSUPPORTED, "offset and @ modifiers are not supported here");
        return expected(p, braces ? "end of selector" : "'{' or end of selector");
    }
    if (p->have_name) {
        for (size_t k = 0; k < p->nm; k++) {
            if (k != p->name_idx && str_eq(p->m[k].name, "__name__"))
                return perr(p, p->name_pos, AUG_EMALFORMED,
                            "metric name given twice (as a name and as a __name__ matcher)");
        }
    }
    return AUG_OK;
}

aug_err ingest_selector_parse(const char *text, size_t len, ingest_selector **out, size_t *errcol, aug_errbuf *eb)
{
    if (errcol != NULL)
        *errcol = 0;
    if (len > INGEST_SELECTOR_MAX_LEN)
        return aug_errf(eb, AUG_ETOOBIG, "selector longer than %zu bytes", INGEST_SELECTOR_MAX_LEN);
    ps *p = aug_calloc(1, sizeof *p);
    if (p == NULL)
        return AUG_ENOMEM;
    aug_err err = AUG_ENOMEM;
    p->s = text;
    p->n = len;
    p->errcol = errcol;
    p->eb = eb;
    p->pool = aug_malloc(len + 1);
    p->srcmap = aug_malloc((len + 1) * sizeof *p->srcmap);
    if (p->pool == NULL || p->srcmap == NULL)
        goto done;
    if ((err = selector_rule(p)) != AUG_OK)
        goto done;
    build_ctx bc = {true, errcol, eb};
    err = build(p->m, p->nm, text, len, true, &bc, out);
done:
    aug_free(p->pool);
    aug_free(p->srcmap);
    aug_free(p);
    return err;
}

/* ---- from remote-read matchers ---- */

/* Appends s to buf (if not NULL) at *len, escaped as a PromQL "…" string
 * body; always advances *len. */
static void render_escaped(char *buf, size_t *len, aug_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        char tmp[5];
        size_t k;
        if (c >= 0x80) {
            uint32_t cp;
            size_t u = util_utf8_next((const uint8_t *)s.p + i, s.len - i, &cp);
            if (cp != UTIL_UTF8_BAD) { /* valid UTF-8 stays as is */
                if (buf != NULL)
                    memcpy(buf + *len, s.p + i, u);
                *len += u;
                i += u - 1;
                continue;
            }
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            k = 4;
        } else if (c == '"' || c == '\\') {
            tmp[0] = '\\', tmp[1] = (char)c, k = 2;
        } else if (c == '\n') {
            tmp[0] = '\\', tmp[1] = 'n', k = 2;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            k = 4;
        } else {
            tmp[0] = (char)c, k = 1;
        }
        if (buf != NULL)
            memcpy(buf + *len, tmp, k);
        *len += k;
    }
}

static void render_lit(char *buf, size_t *len, const char *s)
{
    size_t k = strlen(s);
    if (buf != NULL)
        memcpy(buf + *len, s, k);
    *len += k;
}

static bool plain_label_name(aug_str s)
{
    if (s.len == 0 || !is_name_start(s.p[0], false))
        return false;
    for (size_t i = 1; i < s.len; i++) {
        if (!is_name_char(s.p[i], false))
            return false;
    }
    return true;
}

static size_t render(char *buf, const raw *r, size_t n)
{
    static const char *const ops[] = {"=", "!=", "=~", "!~"};
    size_t len = 0;
    render_lit(buf, &len, "{");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            render_lit(buf, &len, ", ");
        if (plain_label_name(r[i].name)) {
            if (buf != NULL)
                memcpy(buf + len, r[i].name.p, r[i].name.len);
            len += r[i].name.len;
        } else {
            render_lit(buf, &len, "\"");
            render_escaped(buf, &len, r[i].name);
            render_lit(buf, &len, "\"");
        }
        render_lit(buf, &len, ops[r[i].op]);
        render_lit(buf, &len, "\"");
        render_escaped(buf, &len, r[i].value);
        render_lit(buf, &len, "\"");
    }
    render_lit(buf, &len, "}");
    return len;
}

aug_err ingest_selector_from_matchers(const wire_matcher *wm, size_t n, ingest_selector **out, aug_errbuf *eb)
{
    if (n > INGEST_SELECTOR_MAX_MATCHERS)
        return aug_errf(eb, AUG_ETOOBIG, "too many matchers: %zu (max %d)", n, INGEST_SELECTOR_MAX_MATCHERS);
    raw r[INGEST_SELECTOR_MAX_MATCHERS];
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)wm[i].type > (unsigned)WIRE_MATCH_NRE)
            return aug_errf(eb, AUG_EMALFORMED, "matcher %zu: unknown type %d", i, (int)wm[i].type);
        if (wm[i].name.len == 0)
            return aug_errf(eb, AUG_EMALFORMED, "matcher %zu: empty label name", i);
        r[i] = (raw){(ingest_match_op)wm[i].type, wm[i].name, wm[i].value, NULL, 0};
        if (r[i].value.len == 0)
            r[i].value.p = "";
    }
    size_t len = render(NULL, r, n);
    char *text = aug_malloc(len + 1);
    if (text == NULL)
        return AUG_ENOMEM;
    render(text, r, n);
    build_ctx bc = {false, NULL, eb};
    aug_err err = build(r, n, text, len, false, &bc, out);
    aug_free(text);
    return err;
}

/* ---- accessors ---- */

const char *ingest_selector_text(const ingest_selector *s)
{
    return s->text;
}

size_t ingest_selector_matcher_count(const ingest_selector *s)
{
    return s->nm;
}

ingest_matcher ingest_selector_matcher(const ingest_selector *s, size_t i)
{
    const matcher *m = &s->m[i];
    return (ingest_matcher){m->op, m->name, m->value};
}

size_t ingest_selector_value_sets(const ingest_selector *s, ingest_value_set *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nm; i++) {
        const matcher *m = &s->m[i];
        ingest_value_set vs = {m->name, NULL, 0};
        if (m->op == INGEST_MATCH_EQ && m->value.len > 0) {
            vs.values = &m->value;
            vs.nvalues = 1;
        } else if (m->op == INGEST_MATCH_RE && m->kind == K_SET && m->nset > 0 && m->set[0].len > 0) {
            vs.values = m->set;
            vs.nvalues = m->nset;
        } else {
            continue;
        }
        if (k < cap)
            out[k] = vs;
        k++;
    }
    return k;
}

aug_str ingest_selector_metric_name(const ingest_selector *s)
{
    return s->metric_name;
}
