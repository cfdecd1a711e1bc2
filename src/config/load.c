/* load.c — YAML text → validated, immutable cfg_config.
 *
 * Design notes.
 *  1. Pipeline: libyaml loads the whole document (nodes carry line/column
 *     marks) → defaults from the table are written into every block and list
 *     item → the document is walked against the table, one generic setter
 *     per type writing at the row's offset → cross-key validators → done.
 *     Every stage reports into one cfg_diag and goes on, so a user sees all
 *     problems at once (up to CFG_MAX_ERRORS), sorted by position.
 *  2. Two arenas. `tmp` holds what only the load needs (per-instance "was
 *     set" flags and marks, the alias memo) and is freed before returning.
 *     `out` holds everything the config points to and becomes cfg->arena;
 *     compiled selectors are heap objects registered with util_arena_on_free
 *     so cfg_free releases them too. On failure `out` is freed whole.
 *  3. Instances: each block section and each list item is an `inst`: the
 *     struct being filled, its rows' set-flags and value marks. Validators
 *     use them to point errors at the exact key that causes a conflict.
 *  4. Cost is bounded against hostile files: input ≤ CFG_MAX_FILE_BYTES,
 *     scalars ≤ MAX_SCALAR bytes, lists/maps ≤ their row's max_items, list
 *     sections ≤ their max_items, recursion only along the table's nested
 *     keys (depth ≤ 2), and a YAML alias used many times compiles its
 *     selector once (memo by node), so `*a` repeated cannot multiply work.
 */
#include "util/common.h"
#include "config/cfg_int.h"
#include "config/forecast.h"
#include "util/assert.h"
#include "util/mem.h"

#include <yaml.h>

#define TMP_CAP ((size_t)64 << 20)
#define OUT_CAP ((size_t)64 << 20)
#define DIAG_CAP ((size_t)1 << 20)
#define MAX_SCALAR ((size_t)16384)
#define MAX_PATH 160

struct cfg_diag {
    util_arena *arena;
    const char *file;
    cfg_error err[CFG_MAX_ERRORS + 1];
    size_t n;
    bool truncated;
};

typedef struct inst {
    const cfg_section *sec;
    char *base;          /* the struct being filled */
    size_t index;        /* list item index; SIZE_MAX for a block */
    bool present;        /* the section or item appeared in the file */
    size_t errors;       /* errors reported while filling it */
    yaml_mark_t start;   /* where the mapping starts */
    bool *set;           /* per row: a non-null value was given */
    yaml_mark_t *mark;   /* per row: where that value starts */
} inst;

typedef struct ldr {
    const char *src;
    size_t srclen;
    util_arena *tmp, *out;
    cfg_config *cfg;
    cfg_diag *diag;
    bool nomem;
    yaml_document_t doc;
    bool have_doc;
    inst ***insts;        /* per section: its instances */
    size_t *ninst;
    const ingest_selector **memo; /* per YAML node: selector compiled from it */
    inst *cur;            /* the instance being filled, charged with errors */
    size_t nnodes;
} ldr;

/* ---- diagnostics ---- */

static char *diag_strdup(cfg_diag *d, const char *s, size_t n)
{
    return util_arena_strndup(d->arena, s, n);
}

/* The source line with 0-based number `line`, or NULL. */
static const char *source_line(const ldr *L, size_t line, size_t *len)
{
    const char *p = L->src, *end = L->src + L->srclen;
    for (size_t k = 0; k < line && p < end; k++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return NULL;
        p = nl + 1;
    }
    if (p >= end && line > 0)
        return NULL;
    const char *e = memchr(p, '\n', (size_t)(end - p));
    *len = (size_t)((e ? e : end) - p);
    if (*len > 0 && p[*len - 1] == '\r')
        (*len)--;
    return p;
}

/* ---- secrets in echoed source lines ---- */

/* True when the n bytes at k are the last part of a CFG_F_SECRET row's key
 * (bearer_token, password), in any section. */
static bool secret_key(const char *k, size_t n)
{
    for (size_t si = 0; si < cfg_nsections; si++) {
        for (size_t r = 0; r < cfg_sections[si].nrows; r++) {
            const cfg_row *row = &cfg_sections[si].rows[r];
            const char *leaf = strrchr(row->key, '.');
            leaf = leaf != NULL ? leaf + 1 : row->key;
            if ((row->flags & CFG_F_SECRET) && strlen(leaf) == n && memcmp(leaf, k, n) == 0)
                return true;
        }
    }
    return false;
}

/* c is one of the bytes of set (never its NUL: lines may hold NUL bytes). */
static bool in_set(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* End of the quoted scalar opening at s[i] (past its closing quote, or n). */
static size_t quoted_end(const char *s, size_t n, size_t i)
{
    char q = s[i++];
    while (i < n) {
        if (q == '"' && s[i] == '\\' && i + 1 < n) {
            i += 2;
        } else if (s[i] == q) {
            if (q == '\'' && i + 1 < n && s[i + 1] == '\'')
                i += 2; /* '' is a quote inside '...' */
            else
                return i + 1;
        } else {
            i++;
        }
    }
    return n;
}

/* End of the value starting at s[i]: a quoted scalar through its quote;
 * else up to a comment, or in a flow collection to ',', '}' or ']';
 * trailing blanks left out. */
static size_t value_end(const char *s, size_t n, size_t i, bool flow)
{
    if (i < n && (s[i] == '"' || s[i] == '\''))
        return quoted_end(s, n, i);
    size_t e = i;
    while (e < n && !(flow && in_set(s[e], ",}]")) && !(s[e] == '#' && e > i && in_set(s[e - 1], " \t")))
        e++;
    while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    return e;
}

/* The YAML line s[0..n) with the value of every secret key replaced by
 * "<secret>", written to out (cap >= 2n + 1, NUL-terminated); returns its
 * length. The text is scanned as YAML tokens: a key is a plain or quoted
 * scalar at the start of a token, followed by ':' and a blank or the end.
 * A secret whose value continues on the next lines (a block scalar) is
 * masked only on its key's line. *caret, a 1-based column in characters,
 * moves with the text it points at (to "<secret>" when inside a value). */
static size_t mask_secrets(const char *s, size_t n, char *out, unsigned *caret)
{
    size_t cb = 0; /* byte offset of *caret in s: one character at a time */
    for (unsigned c = 1; cb < n && c < *caret; c++)
        for (cb++; cb < n && (s[cb] & 0xc0) == 0x80; cb++)
            ;
    size_t o = 0, i = 0, copied = 0, newcb = SIZE_MAX;
    int depth = 0;
    while (i < n) {
        bool token_start = i == 0 || in_set(s[i - 1], " \t{[,");
        if (s[i] == '#' && (i == 0 || in_set(s[i - 1], " \t")))
            break; /* a comment: the rest is copied as it is */
        if (token_start && !in_set(s[i], " \t{}[],:")) {
            size_t ke = i;
            if (s[i] == '"' || s[i] == '\'')
                ke = quoted_end(s, n, i);
            else
                while (ke < n && !in_set(s[ke], ": \t,{}[]"))
                    ke++;
            size_t k0 = s[i] == '"' || s[i] == '\'' ? i + 1 : i, k1 = s[i] == '"' || s[i] == '\'' ? ke - 1 : ke;
            size_t colon = ke;
            while (colon < n && (s[colon] == ' ' || s[colon] == '\t'))
                colon++;
            if (colon < n && s[colon] == ':' && (colon + 1 == n || s[colon + 1] == ' ' || s[colon + 1] == '\t')) {
                size_t v = colon + 1;
                while (v < n && (s[v] == ' ' || s[v] == '\t'))
                    v++;
                size_t ve = value_end(s, n, v, depth > 0);
                if (ve > v && k1 > k0 && secret_key(s + k0, k1 - k0)) {
                    memcpy(out + o, s + copied, v - copied);
                    o += v - copied;
                    if (newcb == SIZE_MAX && cb < v)
                        newcb = o - (v - cb);
                    else if (newcb == SIZE_MAX && cb < ve)
                        newcb = o;
                    memcpy(out + o, "<secret>", 8);
                    o += 8;
                    copied = ve;
                    i = ve;
                    continue;
                }
                i = colon + 1;
                continue;
            }
        }
        if (s[i] == '"' || s[i] == '\'') {
            i = quoted_end(s, n, i);
            continue;
        }
        depth += s[i] == '{' || s[i] == '[' ? 1 : s[i] == '}' || s[i] == ']' ? -1 : 0;
        i++;
    }
    if (newcb == SIZE_MAX)
        newcb = o + (cb - copied);
    memcpy(out + o, s + copied, n - copied);
    o += n - copied;
    out[o] = '\0';
    unsigned c = 1;
    for (size_t b = 0; b < newcb && b < o; b++)
        if ((out[b] & 0xc0) != 0x80)
            c++;
    *caret = c;
    return o;
}

__attribute__((format(printf, 4, 0))) static void vreport(ldr *L, const yaml_mark_t *m, size_t coldelta, const char *fmt, va_list ap)
{
    cfg_diag *d = L->diag;
    if (d->n == CFG_MAX_ERRORS) {
        d->truncated = true;
        return;
    }
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    cfg_error *e = &d->err[d->n];
    e->file = d->file;
    e->msg = diag_strdup(d, msg, strlen(msg));
    e->line = e->col = e->caret = 0;
    e->source = NULL;
    if (m != NULL) {
        e->line = (unsigned)m->line + 1;
        e->col = (unsigned)(m->column + 1 + coldelta);
        e->caret = e->col;
        size_t len = 0;
        const char *s = source_line(L, m->line, &len);
        if (s != NULL) {
            char masked[2 * 1000 + 1];
            len = mask_secrets(s, AUG_MIN(len, (size_t)1000), masked, &e->caret);
            e->source = diag_strdup(d, masked, len);
        }
    }
    if (e->msg == NULL) {
        L->nomem = true;
        return;
    }
    d->n++;
    if (L->cur != NULL)
        L->cur->errors++;
}

__attribute__((format(printf, 4, 5))) static void report(ldr *L, const yaml_mark_t *m, size_t coldelta,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, m, coldelta, fmt, ap);
    va_end(ap);
}

static bool stopped(const ldr *L)
{
    return L->nomem || L->diag->truncated;
}

size_t cfg_diag_count(const cfg_diag *d)
{
    return d == NULL ? 0 : d->n;
}

const cfg_error *cfg_diag_error(const cfg_diag *d, size_t i)
{
    return d != NULL && i < d->n ? &d->err[i] : NULL;
}

void cfg_diag_print(const cfg_diag *d, FILE *f)
{
    for (size_t i = 0; i < cfg_diag_count(d); i++) {
        const cfg_error *e = &d->err[i];
        if (e->line == 0) {
            fprintf(f, "%s: %s\n", e->file, e->msg);
            continue;
        }
        fprintf(f, "%s:%u:%u: %s\n", e->file, e->line, e->col, e->msg);
        if (e->source == NULL)
            continue;
        fprintf(f, "    %s\n    ", e->source);
        /* Columns count characters: one pad per character, tabs kept. */
        unsigned c = 1;
        for (const unsigned char *p = (const unsigned char *)e->source; *p && c < e->caret; p++) {
            if ((*p & 0xc0) == 0x80)
                continue;
            fputc(*p == '\t' ? '\t' : ' ', f);
            c++;
        }
        fputs("^\n", f);
    }
    if (d != NULL && d->truncated)
        fprintf(f, "%s: too many errors; stopped after %d\n", d->file, CFG_MAX_ERRORS);
}

void cfg_diag_free(cfg_diag *d)
{
    if (d == NULL)
        return;
    util_arena_free(d->arena);
    aug_free(d);
}

static cfg_diag *diag_new(const char *file)
{
    cfg_diag *d = aug_calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->arena = util_arena_new(DIAG_CAP);
    d->file = d->arena ? util_arena_strndup(d->arena, file, strlen(file)) : NULL;
    if (d->file == NULL) {
        cfg_diag_free(d);
        return NULL;
    }
    return d;
}

static void diag_sort(cfg_diag *d)
{
    for (size_t i = 1; i < d->n; i++) {
        cfg_error x = d->err[i];
        size_t j = i;
        while (j > 0 && (d->err[j - 1].line > x.line || (d->err[j - 1].line == x.line && d->err[j - 1].col > x.col))) {
            d->err[j] = d->err[j - 1];
            j--;
        }
        d->err[j] = x;
    }
}

/* ---- small helpers ---- */

static void *tmp_calloc(ldr *L, size_t n)
{
    void *p = util_arena_calloc(L->tmp, n ? n : 1);
    if (p == NULL)
        L->nomem = true;
    return p;
}

static void *out_calloc(ldr *L, size_t n)
{
    void *p = util_arena_calloc(L->out, n ? n : 1);
    if (p == NULL)
        L->nomem = true;
    return p;
}

static char *out_strndup(ldr *L, const char *s, size_t n)
{
    char *p = util_arena_strndup(L->out, s, n);
    if (p == NULL)
        L->nomem = true;
    return p;
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "a scalar";
    }
}

static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 || memcmp(s, "NULL", 4) == 0));
}

/* Column of a scalar's first character after its opening quote. */
static size_t quote_delta(const yaml_node_t *n)
{
    yaml_scalar_style_t st = n->data.scalar.style;
    return st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* "forecasts[2].horizons", "storage.minute_retention", "scalers[0]". */
static const char *path_of(const inst *in, const char *key, char *buf, size_t cap)
{
    if (in->index == SIZE_MAX)
        snprintf(buf, cap, "%s%s%s", in->sec->name, key ? "." : "", key ? key : "");
    else
        snprintf(buf, cap, "%s[%zu]%s%s", in->sec->name, in->index, key ? "." : "", key ? key : "");
    return buf;
}

/* A short quotation of a value for messages: at most cap - 4 bytes, then
 * "..."; control characters (NUL included) shown as '?'. */
static const char *quote(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = n < cap - 4 ? n : cap - 7, o = 0;
    for (size_t i = 0; i < k; i++)
        buf[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (k < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static size_t row_index(const cfg_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->nrows; i++) {
        if (strcmp(sec->rows[i].key, key) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Best candidate within edit distance 2 (and less than the word), or NULL. */
static const char *suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bestd = 3, wl = strlen(word);
    for (size_t i = 0; i < n; i++) {
        size_t d = cfg_edit_distance(word, cands[i], 2);
        if (d < bestd && d < wl && d < strlen(cands[i])) {
            bestd = d;
            best = cands[i];
        }
    }
    return best;
}

/* ---- setters: one per type (CONVENTIONS 10) ---- */

typedef struct sval {
    const char *s;
    size_t n;
    const yaml_mark_t *mark; /* NULL for defaults from the table */
    size_t delta;            /* column of s[0] relative to mark */
} sval;

static void bad_value(ldr *L, const inst *in, const cfg_row *row, const sval *v, const char *why)
{
    char p[MAX_PATH], q[64];
    if (v->mark == NULL) {
        report(L, NULL, 0, "internal: default of %s does not parse: %s", path_of(in, row->key, p, sizeof p), why);
        return;
    }
    if (row->flags & CFG_F_SECRET)
        report(L, v->mark, v->delta, "%s: %s (got <secret>)", path_of(in, row->key, p, sizeof p), why);
    else
        report(L, v->mark, v->delta, "%s: %s (got '%s')", path_of(in, row->key, p, sizeof p), why,
               quote(v->s, v->n, q, sizeof q));
}

static void out_of_range(ldr *L, const inst *in, const cfg_row *row, const sval *v, bool below)
{
    char p[MAX_PATH], q[64];
    report(L, v->mark, v->delta, "%s: %s is %s the %s %s", path_of(in, row->key, p, sizeof p),
           quote(v->s, v->n, q, sizeof q), below ? "below" : "above", below ? "minimum" : "maximum",
           below ? row->min : row->max);
}

/* Range check for numeric types; the bounds are parsed by the type's own
 * parser (they are table strings, checked by a unit test). */
static bool in_range(ldr *L, const inst *in, const cfg_row *row, cfg_type t, const sval *v, const void *val)
{
    for (int hi = 0; hi < 2; hi++) {
        const char *b = hi ? row->max : row->min;
        if (b == NULL)
            continue;
        int cmp = 0;
        const char *why;
        if (t == CFG_T_DURATION || t == CFG_T_INT) {
            int64_t x, y = *(const int64_t *)val;
            bool ok = t == CFG_T_INT ? cfg_parse_int(b, strlen(b), &x, &why) : cfg_parse_duration(b, strlen(b), &x, &why);
            AUG_ASSERT(ok);
            cmp = y < x ? -1 : y > x;
        } else if (t == CFG_T_SIZE) {
            uint64_t x, y = *(const uint64_t *)val;
            AUG_ASSERT(cfg_parse_size(b, strlen(b), &x, &why));
            cmp = y < x ? -1 : y > x;
        } else if (t == CFG_T_FLOAT) {
            double x, y = *(const double *)val;
            AUG_ASSERT(cfg_parse_float(b, strlen(b), &x, &why));
            cmp = y < x ? -1 : y > x;
        }
        if ((!hi && cmp < 0) || (hi && cmp > 0)) {
            out_of_range(L, in, row, v, !hi);
            return false;
        }
    }
    if (t == CFG_T_FLOAT && (row->flags & CFG_F_POSITIVE) && !(*(const double *)val > 0)) {
        bad_value(L, in, row, v, "must be greater than 0");
        return false;
    }
    return true;
}

static bool check_name(const char *s, size_t n, bool metric)
{
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        bool ok = metric ? letter || (digit && i > 0) : letter || digit || c == '.' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* http(s)://host[:port][/path…] without spaces or control characters. */
static const char *check_url(const char *s, size_t n)
{
    size_t skip;
    if (n > 7 && memcmp(s, "http://", 7) == 0)
        skip = 7;
    else if (n > 8 && memcmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return "expected an http:// or https:// URL";
    if (n > 2048)
        return "URL longer than 2048 bytes";
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return "URL contains a space or control character";
    }
    size_t h = skip, e = skip;
    while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
        e++;
    if (memchr(s + h, '@', e - h) != NULL)
        return "put credentials in basic_auth, not in the URL";
    size_t hostend = e;
    if (h < e && s[h] == '[') { /* [v6]:port */
        const char *rb = memchr(s + h, ']', e - h);
        if (rb == NULL)
            return "unterminated [IPv6] host";
        hostend = (size_t)(rb - s) + 1;
        if (hostend < e && s[hostend] != ':')
            return "expected ':' after the [IPv6] host";
    } else {
        const char *colon = memchr(s + h, ':', e - h);
        if (colon != NULL)
            hostend = (size_t)(colon - s);
    }
    if (hostend == h)
        return "URL has no host";
    if (hostend < e) { /* :port */
        size_t p0 = hostend + 1;
        long port = 0;
        if (p0 == e)
            return "empty port";
        for (size_t i = p0; i < e; i++) {
            if (s[i] < '0' || s[i] > '9' || (port = port * 10 + (s[i] - '0')) > 65535)
                return "port must be a number from 1 to 65535";
        }
        if (port == 0)
            return "port must be a number from 1 to 65535";
    }
    return NULL;
}

static void free_selector(void *p)
{
    ingest_selector_free(p);
}

static bool set_selector(ldr *L, const inst *in, const cfg_row *row, const sval *v, const yaml_node_t *node,
                         const ingest_selector **dst)
{
    size_t id = node != NULL ? (size_t)(node - L->doc.nodes.start) : SIZE_MAX;
    if (id < L->nnodes && L->memo[id] != NULL) { /* an alias of a compiled node */
        *dst = L->memo[id];
        return true;
    }
    ingest_selector *sel = NULL;
    aug_errbuf eb = {{0}};
    size_t col = 0;
    aug_err err = ingest_selector_parse(v->s, v->n, &sel, &col, &eb);
    if (err == AUG_ENOMEM) {
        L->nomem = true;
        return false;
    }
    if (err != AUG_OK) {
        char p[MAX_PATH];
        report(L, v->mark, v->delta + (col ? col - 1 : 0), "%s: bad selector: %s", path_of(in, row->key, p, sizeof p),
               aug_errmsg(&eb, err));
        return false;
    }
    if (!util_arena_on_free(L->out, free_selector, sel)) {
        ingest_selector_free(sel);
        L->nomem = true;
        return false;
    }
    if (id < L->nnodes)
        L->memo[id] = sel;
    *dst = sel;
    return true;
}

/* Parses v as a value of type t into dst. node (may be NULL) identifies the
 * YAML node for the selector memo. Returns false after reporting. */
static bool set_text(ldr *L, const inst *in, const cfg_row *row, cfg_type t, const sval *v,
                     const yaml_node_t *node, void *dst)
{
    const char *why = NULL;
    if (v->n > MAX_SCALAR) {
        bad_value(L, in, row, v, "value longer than 16384 bytes");
        return false;
    }
    switch (t) {
    case CFG_T_DURATION: {
        int64_t x;
        if (!cfg_parse_duration(v->s, v->n, &x, &why))
            break;
        if (!in_range(L, in, row, t, v, &x))
            return false;
        *(int64_t *)dst = x;
        return true;
    }
    case CFG_T_INT: {
        int64_t x;
        if (!cfg_parse_int(v->s, v->n, &x, &why))
            break;
        if (!in_range(L, in, row, t, v, &x))
            return false;
        *(int64_t *)dst = x;
        return true;
    }
    case CFG_T_SIZE: {
        uint64_t x;
        if (!cfg_parse_size(v->s, v->n, &x, &why))
            break;
        if (!in_range(L, in, row, t, v, &x))
            return false;
        *(uint64_t *)dst = x;
        return true;
    }
    case CFG_T_FLOAT: {
        double x;
        if (!cfg_parse_float(v->s, v->n, &x, &why))
            break;
        if (!in_range(L, in, row, t, v, &x))
            return false;
        *(double *)dst = x;
        return true;
    }
    case CFG_T_BOOL:
        if (!cfg_parse_bool(v->s, v->n, (bool *)dst, &why)) {
            if (v->n <= 3 && v->n > 0 && strchr("yYnNoO", v->s[0]) != NULL)
                why = "expected true or false (YAML 1.1 yes/no/on/off are not booleans here)";
            break;
        }
        return true;
    case CFG_T_STRING:
    case CFG_T_PATH:
    case CFG_T_URL:
    case CFG_T_METRIC_NAME:
    case CFG_T_NAME: {
        if (v->n == 0) {
            why = "must not be empty";
            break;
        }
        if (memchr(v->s, '\0', v->n) != NULL) {
            why = "must not contain NUL characters";
            break;
        }
        if (t == CFG_T_URL && (why = check_url(v->s, v->n)) != NULL)
            break;
        if ((t == CFG_T_METRIC_NAME || t == CFG_T_NAME) && !check_name(v->s, v->n, t == CFG_T_METRIC_NAME)) {
            why = t == CFG_T_METRIC_NAME ? "expected a name matching [a-zA-Z_][a-zA-Z0-9_]* (at most 128)"
                                         : "expected a name of letters, digits and _ . : - (at most 128)";
            break;
        }
        char *s = out_strndup(L, v->s, v->n);
        if (s == NULL)
            return false;
        *(const char **)dst = s;
        return true;
    }
    case CFG_T_SELECTOR:
        return set_selector(L, in, row, v, node, (const ingest_selector **)dst);
    case CFG_T_DUR_OR_SEL: {
        cfg_dur_or_sel *d = dst;
        if (v->n > 0 && v->s[0] >= '0' && v->s[0] <= '9') {
            d->sel = NULL;
            if (!cfg_parse_duration(v->s, v->n, &d->ms, &why))
                break;
            return in_range(L, in, row, CFG_T_DURATION, v, &d->ms);
        }
        d->ms = 0;
        return set_selector(L, in, row, v, node, &d->sel);
    }
    case CFG_T_ENUM: {
        char list[200];
        size_t o = 0, nnames = 0;
        for (int k = 0; row->names[k] != NULL; k++, nnames++) {
            if (strlen(row->names[k]) == v->n && memcmp(row->names[k], v->s, v->n) == 0) {
                *(int *)dst = k;
                return true;
            }
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "", row->names[k]);
            o = AUG_MIN(o, sizeof list - 1);
        }
        char word[64];
        quote(v->s, v->n, word, sizeof word);
        const char *hint = suggest(word, row->names, nnames);
        char p[MAX_PATH];
        if (v->mark == NULL) {
            bad_value(L, in, row, v, "not a listed value");
        } else if (hint != NULL) {
            report(L, v->mark, v->delta, "%s: expected one of %s (got '%s'; did you mean '%s'?)",
                   path_of(in, row->key, p, sizeof p), list, word, hint);
        } else {
            report(L, v->mark, v->delta, "%s: expected one of %s (got '%s')", path_of(in, row->key, p, sizeof p),
                   list, word);
        }
        return false;
    }
    case CFG_T_AGGREGATE: {
        size_t col = 0;
        if (v->n > 4096) {
            why = "value longer than 4096 bytes";
            break;
        }
        if (!cfg_parse_aggregate(L->out, v->s, v->n, dst, &col, &why)) {
            if (util_arena_overflowed(L->out) || strcmp(why, "out of memory") == 0) {
                L->nomem = true;
                return false;
            }
            char p[MAX_PATH];
            report(L, v->mark, v->delta + col, "%s: %s (in '%.*s')", path_of(in, row->key, p, sizeof p), why,
                   (int)AUG_MIN(v->n, (size_t)60), v->s);
            return false;
        }
        return true;
    }
    default:
        why = "internal: not a scalar type";
        break;
    }
    bad_value(L, in, row, v, why);
    return false;
}

static size_t elem_size(cfg_type t)
{
    switch (t) {
    case CFG_T_DURATION:
    case CFG_T_INT: return sizeof(int64_t);
    case CFG_T_SIZE: return sizeof(uint64_t);
    case CFG_T_FLOAT: return sizeof(double);
    case CFG_T_SELECTOR: return sizeof(const ingest_selector *);
    default: return sizeof(const char *);
    }
}

/* Lists are stored as {T *v; size_t n;}; every cfg_* list struct has that
 * layout (checked below), so one writer serves all of them. */
typedef struct any_list {
    void *v;
    size_t n;
} any_list;
_Static_assert(sizeof(cfg_durations) == sizeof(any_list) && offsetof(cfg_durations, n) == offsetof(any_list, n) &&
                   sizeof(cfg_selectors) == sizeof(any_list) && offsetof(cfg_selectors, n) == offsetof(any_list, n),
               "list layout");

static void store_list(void *dst, void *v, size_t n)
{
    any_list l = {v, n};
    memcpy(dst, &l, sizeof l);
}

/* Splits a table default like "[1h, 15m]" and sets each element. */
static bool set_default_list(ldr *L, const inst *in, const cfg_row *row, void *dst)
{
    const char *s = row->def;
    size_t len = strlen(s), n = 0;
    AUG_ASSERT(len >= 2 && s[0] == '[' && s[len - 1] == ']');
    for (size_t i = 1; i + 1 < len; i++)
        n += s[i] == ',';
    bool empty = strspn(s + 1, " ") == len - 2;
    n = empty ? 0 : n + 1;
    size_t es = elem_size(row->elem);
    char *arr = out_calloc(L, n * es);
    if (arr == NULL)
        return false;
    const char *p = s + 1;
    for (size_t k = 0; k < n; k++) {
        const char *e = strchr(p, ',');
        if (e == NULL)
            e = s + len - 1;
        while (*p == ' ')
            p++;
        size_t l = (size_t)(e - p);
        while (l > 0 && p[l - 1] == ' ')
            l--;
        sval v = {p, l, NULL, 0};
        if (!set_text(L, in, row, row->elem, &v, NULL, arr + k * es))
            return false;
        p = e + 1;
    }
    store_list(dst, arr, n);
    return true;
}

static void apply_defaults(ldr *L, const inst *in)
{
    for (size_t i = 0; i < in->sec->nrows && !stopped(L); i++) {
        const cfg_row *row = &in->sec->rows[i];
        void *dst = in->base + row->off;
        if (row->def == NULL)
            continue;
        if (row->type == CFG_T_LIST) {
            set_default_list(L, in, row, dst);
        } else if (row->type == CFG_T_MAP) {
            AUG_ASSERT(strcmp(row->def, "{}") == 0);
        } else {
            sval v = {row->def, strlen(row->def), NULL, 0};
            set_text(L, in, row, row->type, &v, NULL, dst);
        }
    }
}

static yaml_node_t *node_at(ldr *L, int id)
{
    return yaml_document_get_node(&L->doc, id);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static bool set_list(ldr *L, const inst *in, const cfg_row *row, yaml_node_t *node, void *dst)
{
    char p[MAX_PATH];
    if (node->type != YAML_SEQUENCE_NODE) {
        report(L, &node->start_mark, 0, "%s: expected a list like [a, b] of %s, got %s",
               path_of(in, row->key, p, sizeof p), cfg_type_name(row->elem), node_kind(node));
        return false;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (row->max_items && n > row->max_items) {
        report(L, &node->start_mark, 0, "%s: %zu items, at most %zu allowed", path_of(in, row->key, p, sizeof p),
               n, row->max_items);
        return false;
    }
    size_t es = elem_size(row->elem);
    char *arr = out_calloc(L, n * es);
    if (arr == NULL)
        return false;
    bool ok = true;
    for (size_t k = 0; k < n && !stopped(L); k++) {
        yaml_node_t *it = node_at(L, node->data.sequence.items.start[k]);
        if (it == NULL)
            continue;
        if (it->type != YAML_SCALAR_NODE) {
            report(L, &it->start_mark, 0, "%s[%zu]: expected %s, got %s", path_of(in, row->key, p, sizeof p), k,
                   cfg_type_expect(row->elem), node_kind(it));
            ok = false;
            continue;
        }
        sval v = {(const char *)it->data.scalar.value, it->data.scalar.length, &it->start_mark, quote_delta(it)};
        ok &= set_text(L, in, row, row->elem, &v, it, arr + k * es);
    }
    if (ok && (row->flags & CFG_F_SORTED) && row->elem == CFG_T_DURATION) {
        /* Sort ascending; report the first repeated value at its item. */
        int64_t *v = (int64_t *)(void *)arr;
        for (size_t k = 1; k < n; k++) {
            for (size_t j = 0; j < k; j++) {
                if (v[j] != v[k])
                    continue;
                yaml_node_t *it = node_at(L, node->data.sequence.items.start[k]);
                char d[32];
                report(L, it ? &it->start_mark : &node->start_mark, 0, "%s: %s is listed twice",
                       path_of(in, row->key, p, sizeof p), cfg_format_duration(v[k], d, sizeof d));
                ok = false;
                k = n;
                break;
            }
        }
        qsort(v, n, sizeof *v, cmp_i64);
    }
    store_list(dst, arr, n);
    return ok;
}

static bool set_map(ldr *L, const inst *in, const cfg_row *row, yaml_node_t *node, void *dst)
{
    char p[MAX_PATH];
    if (node->type != YAML_MAPPING_NODE) {
        report(L, &node->start_mark, 0, "%s: expected %s, got %s", path_of(in, row->key, p, sizeof p),
               cfg_type_expect(CFG_T_MAP), node_kind(node));
        return false;
    }
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    if (row->max_items && n > row->max_items) {
        report(L, &node->start_mark, 0, "%s: %zu entries, at most %zu allowed", path_of(in, row->key, p, sizeof p),
               n, row->max_items);
        return false;
    }
    cfg_pair *pairs = out_calloc(L, n * sizeof *pairs);
    if (pairs == NULL)
        return false;
    bool ok = true;
    for (size_t k = 0; k < n && !stopped(L); k++) {
        yaml_node_pair_t *pr = &node->data.mapping.pairs.start[k];
        yaml_node_t *kn = node_at(L, pr->key), *vn = node_at(L, pr->value);
        if (kn == NULL || vn == NULL)
            continue;
        if (kn->type != YAML_SCALAR_NODE || vn->type != YAML_SCALAR_NODE || kn->data.scalar.length == 0 ||
            kn->data.scalar.length > MAX_SCALAR || vn->data.scalar.length > MAX_SCALAR) {
            report(L, kn->type == YAML_SCALAR_NODE ? &vn->start_mark : &kn->start_mark, 0,
                   "%s: expected name: value pairs of strings", path_of(in, row->key, p, sizeof p));
            ok = false;
            continue;
        }
        const char *name = (const char *)kn->data.scalar.value;
        if (strlen(name) != kn->data.scalar.length ||
            strlen((const char *)vn->data.scalar.value) != vn->data.scalar.length) {
            report(L, &kn->start_mark, 0, "%s: names and values must not contain NUL characters",
                   path_of(in, row->key, p, sizeof p));
            ok = false;
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            if (pairs[j].name != NULL && strcmp(pairs[j].name, name) == 0) {
                report(L, &kn->start_mark, 0, "%s: duplicate entry '%s'", path_of(in, row->key, p, sizeof p),
                       pairs[j].name);
                ok = false;
            }
        }
        pairs[k].name = out_strndup(L, name, kn->data.scalar.length);
        pairs[k].value = out_strndup(L, (const char *)vn->data.scalar.value, vn->data.scalar.length);
    }
    cfg_map m = {pairs, n};
    memcpy(dst, &m, sizeof m);
    return ok;
}

static void set_node(ldr *L, inst *in, size_t idx, yaml_node_t *vn)
{
    const cfg_row *row = &in->sec->rows[idx];
    void *dst = in->base + row->off;
    char p[MAX_PATH];
    if (row->type == CFG_T_LIST) {
        set_list(L, in, row, vn, dst);
    } else if (row->type == CFG_T_MAP) {
        set_map(L, in, row, vn, dst);
    } else if (vn->type != YAML_SCALAR_NODE) {
        const char *what = row->type == CFG_T_ENUM ? "one of the listed values" : cfg_type_expect(row->type);
        report(L, &vn->start_mark, 0, "%s: expected %s, got %s", path_of(in, row->key, p, sizeof p), what,
               node_kind(vn));
    } else {
        sval v = {(const char *)vn->data.scalar.value, vn->data.scalar.length, &vn->start_mark, quote_delta(vn)};
        set_text(L, in, row, row->type, &v, vn, dst);
    }
}

/* ---- the walk ---- */

static void unknown_key(ldr *L, const inst *in, const char *prefix, const char *key, const yaml_mark_t *m)
{
    /* Candidates: the distinct next path components under prefix. */
    const char *cands[64];
    char storage[64][48];
    size_t nc = 0, pl = strlen(prefix);
    for (size_t i = 0; i < in->sec->nrows && nc < 64; i++) {
        const char *k = in->sec->rows[i].key;
        if (strncmp(k, prefix, pl) != 0)
            continue;
        size_t cl = strcspn(k + pl, ".");
        if (cl >= sizeof storage[0])
            continue;
        memcpy(storage[nc], k + pl, cl);
        storage[nc][cl] = '\0';
        bool dup = false;
        for (size_t j = 0; j < nc; j++)
            dup |= strcmp(cands[j], storage[nc]) == 0;
        if (!dup) {
            cands[nc] = storage[nc];
            nc++;
        }
    }
    char p[MAX_PATH], where[2 * MAX_PATH + 2];
    path_of(in, NULL, p, sizeof p);
    snprintf(where, sizeof where, "%s%s%.*s", p, pl ? "." : "", pl ? (int)(pl - 1) : 0, prefix);
    const char *hint = suggest(key, cands, nc);
    if (strcmp(key, "<<") == 0)
        report(L, m, 0, "YAML merge keys (<<) are not supported in %s", where);
    else if (hint != NULL)
        report(L, m, 0, "unknown key '%s' in %s (did you mean '%s'?)", key, where, hint);
    else
        report(L, m, 0, "unknown key '%s' in %s", key, where);
}

static void walk_map(ldr *L, inst *in, yaml_node_t *map, const char *prefix, int depth)
{
    yaml_node_pair_t *pr;
    for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top && !stopped(L); pr++) {
        yaml_node_t *kn = node_at(L, pr->key), *vn = node_at(L, pr->value);
        if (kn == NULL || vn == NULL)
            continue;
        if (kn->type != YAML_SCALAR_NODE || kn->data.scalar.length >= 64) {
            report(L, &kn->start_mark, 0, "keys must be short strings, not %s",
                   kn->type == YAML_SCALAR_NODE ? "a 64+ byte scalar" : node_kind(kn));
            continue;
        }
        const char *key = (const char *)kn->data.scalar.value;
        char path[MAX_PATH];
        snprintf(path, sizeof path, "%s%s", prefix, key);
        size_t idx = row_index(in->sec, path);
        if (idx == SIZE_MAX) {
            size_t plen = strlen(path);
            bool nested = false;
            for (size_t i = 0; i < in->sec->nrows && !nested; i++)
                nested = strncmp(in->sec->rows[i].key, path, plen) == 0 && in->sec->rows[i].key[plen] == '.';
            if (!nested || depth >= 2) {
                unknown_key(L, in, prefix, key, &kn->start_mark);
                continue;
            }
            if (is_null(vn))
                continue;
            if (vn->type != YAML_MAPPING_NODE) {
                char p[MAX_PATH];
                report(L, &vn->start_mark, 0, "%s: expected a mapping, got %s", path_of(in, path, p, sizeof p),
                       node_kind(vn));
                continue;
            }
            char sub[MAX_PATH + 1];
            size_t plen2 = strlen(path);
            memcpy(sub, path, plen2);
            sub[plen2] = '.';
            sub[plen2 + 1] = '\0';
            walk_map(L, in, vn, sub, depth + 1);
            continue;
        }
        const cfg_row *row = &in->sec->rows[idx];
        char p[MAX_PATH];
        if (in->set[idx]) {
            report(L, &kn->start_mark, 0, "%s: duplicate key (first given at line %zu)",
                   path_of(in, row->key, p, sizeof p), in->mark[idx].line + 1);
            continue;
        }
        if (is_null(vn)) {
            if (row->flags & CFG_F_REQUIRED) {
                report(L, &vn->start_mark, 0, "%s: needs a value", path_of(in, row->key, p, sizeof p));
                in->set[idx] = true;
                in->mark[idx] = vn->start_mark;
            }
            continue; /* an empty value keeps the default */
        }
        in->set[idx] = true;
        in->mark[idx] = vn->start_mark;
        set_node(L, in, idx, vn);
    }
}

static inst *inst_new(ldr *L, const cfg_section *sec, char *base, size_t index)
{
    inst *in = tmp_calloc(L, sizeof *in);
    if (in == NULL)
        return NULL;
    in->sec = sec;
    in->base = base;
    in->index = index;
    in->set = tmp_calloc(L, sec->nrows * sizeof *in->set);
    in->mark = tmp_calloc(L, sec->nrows * sizeof *in->mark);
    if (in->set == NULL || in->mark == NULL)
        return NULL;
    apply_defaults(L, in);
    return in;
}

static void check_required(ldr *L, const inst *in)
{
    for (size_t i = 0; i < in->sec->nrows; i++) {
        const cfg_row *row = &in->sec->rows[i];
        char p[MAX_PATH];
        if ((row->flags & CFG_F_REQUIRED) && !in->set[i])
            report(L, &in->start, 0, "%s: missing required key '%s'", path_of(in, NULL, p, sizeof p), row->key);
    }
}

static void walk_list_section(ldr *L, size_t si, yaml_node_t *vn)
{
    const cfg_section *sec = &cfg_sections[si];
    if (vn->type != YAML_SEQUENCE_NODE) {
        report(L, &vn->start_mark, 0, "%s: expected a list of mappings (- name: …), got %s", sec->name,
               node_kind(vn));
        return;
    }
    size_t n = (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start);
    if (n > sec->max_items) {
        report(L, &vn->start_mark, 0, "%s: %zu entries, at most %zu allowed", sec->name, n, sec->max_items);
        return;
    }
    char *arr = out_calloc(L, n * sec->elem_size);
    inst **insts = tmp_calloc(L, n * sizeof *insts);
    if (arr == NULL || insts == NULL)
        return;
    memcpy((char *)L->cfg + sec->off, &arr, sizeof arr);
    memcpy((char *)L->cfg + sec->count_off, &n, sizeof n);
    L->insts[si] = insts;
    for (size_t k = 0; k < n && !stopped(L); k++) {
        yaml_node_t *it = node_at(L, vn->data.sequence.items.start[k]);
        inst *in = inst_new(L, sec, arr + k * sec->elem_size, k);
        if (in == NULL || it == NULL)
            return;
        insts[k] = in;
        L->ninst[si] = k + 1;
        in->start = it->start_mark;
        in->present = true;
        if (it->type != YAML_MAPPING_NODE) {
            report(L, &it->start_mark, 0, "%s[%zu]: expected a mapping (name: …), got %s", sec->name, k,
                   node_kind(it));
            continue;
        }
        L->cur = in;
        walk_map(L, in, it, "", 0);
        check_required(L, in);
        L->cur = NULL;
    }
}

static void walk_root(ldr *L, yaml_node_t *root)
{
    for (size_t si = 0; si < cfg_nsections && !stopped(L); si++) {
        const cfg_section *sec = &cfg_sections[si];
        if (sec->list)
            continue;
        inst *in = inst_new(L, sec, (char *)L->cfg + sec->off, SIZE_MAX);
        if (in == NULL)
            return;
        inst **one = tmp_calloc(L, sizeof *one);
        if (one == NULL)
            return;
        one[0] = in;
        L->insts[si] = one;
        L->ninst[si] = 1;
    }
    if (root == NULL || stopped(L) || is_null(root))
        return; /* an empty file is a valid config: all defaults */
    if (root->type != YAML_MAPPING_NODE) {
        report(L, &root->start_mark, 0, "the config must be a mapping of sections (storage:, ingest:, …), not %s",
               node_kind(root));
        return;
    }
    bool seen[16] = {false};
    yaml_mark_t seen_at[16];
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top && !stopped(L);
         pr++) {
        yaml_node_t *kn = node_at(L, pr->key), *vn = node_at(L, pr->value);
        if (kn == NULL || vn == NULL)
            continue;
        const char *key = kn->type == YAML_SCALAR_NODE ? (const char *)kn->data.scalar.value : "";
        size_t si;
        for (si = 0; si < cfg_nsections; si++) {
            if (strcmp(cfg_sections[si].name, key) == 0)
                break;
        }
        if (si == cfg_nsections) {
            const char *names[16];
            for (size_t k = 0; k < cfg_nsections; k++)
                names[k] = cfg_sections[k].name;
            const char *hint = kn->type == YAML_SCALAR_NODE && strlen(key) < 64 ? suggest(key, names, cfg_nsections)
                                                                                  : NULL;
            if (kn->type != YAML_SCALAR_NODE)
                report(L, &kn->start_mark, 0, "section names must be strings, not %s", node_kind(kn));
            else if (hint)
                report(L, &kn->start_mark, 0, "unknown section '%.64s' (did you mean '%s'?)", key, hint);
            else
                report(L, &kn->start_mark, 0,
                       "unknown section '%.64s' (expected storage, ingest, web, forecasts, scalers or remote_write)",
                       key);
            continue;
        }
        if (seen[si]) {
            report(L, &kn->start_mark, 0, "duplicate section '%s' (first at line %zu)", key, seen_at[si].line + 1);
            continue;
        }
        seen[si] = true;
        seen_at[si] = kn->start_mark;
        if (is_null(vn))
            continue;
        const cfg_section *sec = &cfg_sections[si];
        if (sec->list) {
            walk_list_section(L, si, vn);
        } else if (vn->type != YAML_MAPPING_NODE) {
            report(L, &vn->start_mark, 0, "%s: expected a mapping of keys, got %s", sec->name, node_kind(vn));
        } else {
            inst *in = L->insts[si][0];
            in->start = vn->start_mark;
            in->present = true;
            L->cur = in;
            walk_map(L, in, vn, "", 0);
            L->cur = NULL;
        }
    }
}

/* ---- cross-key validation ---- */

static inst *get_inst(ldr *L, size_t si, size_t k)
{
    return k < L->ninst[si] ? L->insts[si][k] : NULL;
}

static size_t section_index(const char *name)
{
    for (size_t i = 0; i < cfg_nsections; i++) {
        if (strcmp(cfg_sections[i].name, name) == 0)
            return i;
    }
    AUG_ASSERT(0);
    return 0;
}

/* Where to point an error about key `key` of in: its value if given, else
 * the start of the mapping. */
static const yaml_mark_t *where(const inst *in, const char *key)
{
    size_t i = row_index(in->sec, key);
    AUG_ASSERT(i != SIZE_MAX);
    return in->set[i] ? &in->mark[i] : (in->present ? &in->start : NULL);
}

static bool given(const inst *in, const char *key)
{
    size_t i = row_index(in->sec, key);
    AUG_ASSERT(i != SIZE_MAX);
    return in->set[i];
}

__attribute__((format(printf, 4, 5))) static void key_err(ldr *L, const inst *in, const char *key, const char *fmt,
                                                          ...)
{
    char p[MAX_PATH], msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(L, where(in, key), 0, "%s: %s", path_of(in, given(in, key) ? key : NULL, p, sizeof p), msg);
}

static void validate_blocks(ldr *L)
{
    cfg_config *c = L->cfg;
    inst *st = get_inst(L, section_index("storage"), 0), *ing = get_inst(L, section_index("ingest"), 0);
    if (st == NULL || ing == NULL || st->errors || ing->errors)
        return;
    if (c->storage.hour_retention_ms < c->storage.minute_retention_ms)
        key_err(L, st, given(st, "hour_retention") ? "hour_retention" : "minute_retention",
                "hour_retention must be at least minute_retention");
    if (c->storage.initial_map_size > c->storage.max_map_size)
        key_err(L, st, given(st, "initial_map_size") ? "initial_map_size" : "max_map_size",
                "initial_map_size must not exceed max_map_size");
    if (c->ingest.max_decoded_bytes < c->ingest.max_body_bytes)
        key_err(L, ing, given(ing, "max_decoded_bytes") ? "max_decoded_bytes" : "max_body_bytes",
                "max_decoded_bytes must be at least max_body_bytes");
}

/* Reports a duplicate `name` among the first k instances of section si. */
static void check_unique_name(ldr *L, size_t si, size_t k, const char *key, const char *what)
{
    inst *in = get_inst(L, si, k);
    size_t off = in->sec->rows[row_index(in->sec, key)].off;
    const char *name = *(const char *const *)(in->base + off);
    if (name == NULL)
        return;
    for (size_t j = 0; j < k; j++) {
        inst *o = get_inst(L, si, j);
        const char *other = *(const char *const *)(o->base + off);
        if (other != NULL && strcmp(other, name) == 0) {
            const yaml_mark_t *m = where(o, key);
            key_err(L, in, key, "duplicate %s '%s' (first at line %zu)", what, name, m ? m->line + 1 : 0);
            return;
        }
    }
}

static void validate_forecasts(ldr *L)
{
    size_t si = section_index("forecasts");
    for (size_t k = 0; k < L->ninst[si] && !stopped(L); k++) {
        inst *in = get_inst(L, si, k);
        if (in->errors > 0)
            continue;
        cfg_forecast *f = (cfg_forecast *)in->base;
        check_unique_name(L, si, k, "name", "forecast name");
        if (f->resolution == CFG_RES_AUTO) {
            int64_t longest = f->horizons.n ? f->horizons.v[f->horizons.n - 1] : 0;
            f->resolution = longest <= 6 * 3600000 ? CFG_RES_MINUTE : CFG_RES_HOUR;
        }
        int64_t step = f->resolution == CFG_RES_HOUR ? 3600000 : 60000;
        const int64_t *h = f->horizons.v;
        for (size_t i = 0; i < f->horizons.n; i++) {
            char d[32];
            if (h[i] % step != 0) {
                key_err(L, in, "horizons", "horizon %s is not a whole number of %s (resolution %s%s)",
                        cfg_format_duration(h[i], d, sizeof d), step == 60000 ? "minutes" : "hours",
                        step == 60000 ? "minute" : "hour", given(in, "resolution") ? "" : ", chosen by auto");
                break;
            }
            /* The engine forecasts at most FC_MAX_HORIZON steps; the daemon
             * would refuse the target (predict.c), so check config must. */
            if (h[i] / step > FC_MAX_HORIZON) {
                char fix[64] = "use a shorter horizon";
                if (step == 60000)
                    snprintf(fix, sizeof fix, h[i] % 3600000 == 0 ? "use resolution: hour (%" PRId64 " steps)"
                                                                  : "use resolution: hour",
                             h[i] / 3600000);
                key_err(L, in, "horizons", "horizon %s is %" PRId64 " steps at %s resolution, more than the %d the "
                        "forecast engine allows; %s", cfg_format_duration(h[i], d, sizeof d), h[i] / step,
                        step == 60000 ? "minute" : "hour", FC_MAX_HORIZON, fix);
                break;
            }
        }
        if (f->season_ms % step != 0) {
            char d[32];
            key_err(L, in, "season", "season %s is not a whole number of %s (the resolution)",
                    cfg_format_duration(f->season_ms, d, sizeof d), step == 60000 ? "minutes" : "hours");
            continue;
        }
        /* The engine's own check of the model the daemon will build, so a
         * season it cannot see (one step, or longer than half the history
         * it keeps) is refused here and not at start-up. The horizon is
         * clamped: horizons are checked on their own, and with one in range
         * only the season (or seasonal_naive without one) can fail. */
        int64_t longest = f->horizons.n ? f->horizons.v[f->horizons.n - 1] / step : 1;
        fc_params fp;
        cfg_forecast_fc_params(f, step / 1000, (int32_t)AUG_MAX(1, AUG_MIN(longest, FC_MAX_HORIZON)), &fp);
        aug_errbuf eb = {{0}};
        if (fc_params_check(&fp, &eb) != AUG_OK) {
            char d[32];
            key_err(L, in, "season", "season %s at %s resolution: %s", cfg_format_duration(f->season_ms, d, sizeof d),
                    step == 60000 ? "minute" : "hour", eb.msg);
        }
    }
}

/* Index of the forecast named `name`, or -1 after reporting at key. */
static int resolve_forecast(ldr *L, inst *in, const char *key, const char *name)
{
    const cfg_config *c = L->cfg;
    const char *cands[256];
    size_t n = AUG_MIN(c->nforecasts, AUG_ARRAY_LEN(cands));
    for (size_t i = 0; i < c->nforecasts; i++) {
        if (c->forecasts[i].name != NULL && strcmp(c->forecasts[i].name, name) == 0)
            return (int)i;
    }
    for (size_t i = 0; i < n; i++)
        cands[i] = c->forecasts[i].name ? c->forecasts[i].name : "";
    const char *hint = suggest(name, cands, n);
    if (hint != NULL)
        key_err(L, in, key, "no forecast named '%s' (did you mean '%s'?)", name, hint);
    else
        key_err(L, in, key, "no forecast named '%s' in forecasts", name);
    return -1;
}

static void only_in_mode(ldr *L, inst *in, const char *const *keys, const char *mode, const char *actual)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        if (given(in, keys[i]))
            key_err(L, in, keys[i], "only used in %s mode, and this scaler's mode is %s", mode, actual);
    }
}

static void need_in_mode(ldr *L, inst *in, const char *const *keys, const char *mode)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        if (!given(in, keys[i]))
            key_err(L, in, keys[i], "%s mode needs '%s'", mode, keys[i]);
    }
}

static int64_t bucket_burst(double per_minute)
{
    double b = ceil(per_minute);
    return b < 1 ? 1 : b > 100000 ? 100000 : (int64_t)b;
}

static bool header_token(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
            return false;
    }
    return true;
}

/* The HTTP client options (cfg_http_client, table.c HTTP_CLIENT_ROWS) of a
 * remote_write entry (pre "") or a scaler's webhook (pre "webhook."): the
 * same rules and messages for both. reserved: the headers augur sets itself
 * on that kind of request, lower case, "authorization" first (its message
 * points at the auth keys). */
static void validate_http_client(ldr *L, inst *in, const char *pre, const char *url, const cfg_http_client *h,
                                 const char *const *reserved)
{
    enum { TOKEN, TOKEN_FILE, USER, PASSWORD, PASSWORD_FILE, CERT, KEY, HEADERS, SERVER_NAME, NKEYS };
    static const char *const names[NKEYS] = {"bearer_token",        "bearer_token_file",        "basic_auth.username",
                                             "basic_auth.password", "basic_auth.password_file", "tls.cert_file",
                                             "tls.key_file",        "headers",                  "tls.server_name"};
    char k[NKEYS][48];
    bool g[NKEYS];
    for (int i = 0; i < NKEYS; i++) {
        snprintf(k[i], sizeof k[i], "%s%s", pre, names[i]);
        g[i] = given(in, k[i]);
    }
    bool basic = g[USER] || g[PASSWORD] || g[PASSWORD_FILE];
    if (g[TOKEN] && g[TOKEN_FILE])
        key_err(L, in, k[TOKEN_FILE], "set bearer_token or bearer_token_file, not both");
    if ((g[TOKEN] || g[TOKEN_FILE]) && basic)
        key_err(L, in, g[TOKEN] ? k[TOKEN] : k[TOKEN_FILE], "bearer token and basic_auth are exclusive");
    if (g[PASSWORD] && g[PASSWORD_FILE])
        key_err(L, in, k[PASSWORD_FILE], "set password or password_file, not both");
    if (basic && !g[USER])
        key_err(L, in, g[PASSWORD] ? k[PASSWORD] : k[PASSWORD_FILE], "basic_auth needs a username");
    if (g[CERT] != g[KEY])
        key_err(L, in, g[CERT] ? k[CERT] : k[KEY], "tls.cert_file and tls.key_file go together");
    /* The HTTP client (src/export/client.c) refuses it when the target is
     * built, which for remote_write is after a reload has been swapped in. */
    if (g[SERVER_NAME] && url != NULL && strncmp(url, "https://", 8) != 0)
        key_err(L, in, k[SERVER_NAME], "tls.server_name needs an https url");
    for (size_t i = 0; i < h->headers.n; i++) {
        const cfg_pair *p = &h->headers.v[i];
        if (p->name == NULL || p->value == NULL)
            continue;
        if (!header_token(p->name)) {
            key_err(L, in, k[HEADERS], "'%.64s' is not a valid header name", p->name);
            continue;
        }
        if (strpbrk(p->value, "\r\n") != NULL) {
            key_err(L, in, k[HEADERS], "value of header '%s' contains a line break", p->name);
            continue;
        }
        for (size_t x = 0; reserved[x] != NULL; x++) {
            if (strcasecmp(p->name, reserved[x]) == 0)
                key_err(L, in, k[HEADERS], "header '%s' is set by augur%s", p->name,
                        x == 0 ? "; use bearer_token or basic_auth" : "");
        }
    }
}

static void validate_scalers(ldr *L)
{
    /* What the webhook sender sets itself (src/predict/scale.c note 6). */
    static const char *const webhook_reserved[] = {"authorization", "content-type", "content-length", "user-agent",
                                                   "host", NULL};
    static const char *const util_keys[] = {"forecast", "target", "replicas", NULL};
    static const char *const util_only[] = {"forecast", "target", NULL};
    static const char *const queue_need[] = {"arrival_rate", "service_time", "target_latency", NULL};
    static const char *const queue_only[] = {"arrival_rate", "queue_length", "service_time", "target_latency",
                                             "capacity_per_replica", NULL};
    size_t si = section_index("scalers");
    for (size_t k = 0; k < L->ninst[si] && !stopped(L); k++) {
        inst *in = get_inst(L, si, k);
        if (in->errors > 0)
            continue;
        cfg_scaler *s = (cfg_scaler *)in->base;
        check_unique_name(L, si, k, "name", "scaler name");
        s->forecast_idx = s->arrival_rate_idx = -1;
        if (s->mode == CFG_MODE_UTILIZATION) {
            need_in_mode(L, in, util_keys, "utilization");
            only_in_mode(L, in, queue_only, "queue", "utilization");
        } else {
            need_in_mode(L, in, queue_need, "queue");
            only_in_mode(L, in, util_only, "utilization", "queue");
        }
        if (s->forecast != NULL && s->mode == CFG_MODE_UTILIZATION)
            s->forecast_idx = resolve_forecast(L, in, "forecast", s->forecast);
        if (s->arrival_rate != NULL && s->mode == CFG_MODE_QUEUE)
            s->arrival_rate_idx = resolve_forecast(L, in, "arrival_rate", s->arrival_rate);
        if (s->min_replicas > s->max_replicas)
            key_err(L, in, given(in, "max_replicas") ? "max_replicas" : "min_replicas",
                    "max_replicas (%" PRId64 ") is below min_replicas (%" PRId64 ")", s->max_replicas,
                    s->min_replicas);
        /* The decision engine's limits (config/scaler.h), refused here so
         * that check config, start and reload say so at the line. */
        if (s->mode == CFG_MODE_UTILIZATION && s->target > 1) {
            if (s->target <= 100)
                key_err(L, in, "target",
                        "target is a fraction of a replica's capacity in (0, 1]; %g looks like a percentage (%g)",
                        s->target, s->target / 100);
            else
                key_err(L, in, "target", "target is a fraction of a replica's capacity in (0, 1], not %g",
                        s->target);
        }
        /* need = current × utilization / target: with no replica running
         * there is no utilization to scale from, so the engine needs one. */
        if (s->mode == CFG_MODE_UTILIZATION && s->min_replicas < 1)
            key_err(L, in, "min_replicas",
                    "min_replicas must be at least 1 in utilization mode: a utilization is measured on running "
                    "replicas, so 0 replicas could never scale up");
        /* Concurrency = capacity × service time: with the service time
         * observed, no configured one says how many items a replica serves
         * at once, and the engine's 50 ms default would scale the need by
         * the observed time over 50 ms. */
        if (s->mode == CFG_MODE_QUEUE && s->capacity_per_replica > 0 && s->service_time.sel != NULL)
            key_err(L, in, "capacity_per_replica",
                    "capacity_per_replica needs service_time as a duration, not a selector: a replica's "
                    "concurrency is capacity x service time, so an observed service time leaves it unknown");
        if (s->scale_up.stabilization_ms > 0) {
            char d[32];
            key_err(L, in, "scale_up.stabilization",
                    "%s is not supported: a scale-up happens as soon as it is wanted, so only 0 is accepted",
                    cfg_format_duration(s->scale_up.stabilization_ms, d, sizeof d));
        }
        if (!given(in, "scale_up.burst"))
            s->scale_up.burst = bucket_burst(s->scale_up.max_per_minute);
        if (!given(in, "scale_down.burst"))
            s->scale_down.burst = bucket_burst(s->scale_down.max_per_minute);
        if (s->webhook.url == NULL) {
            /* Every webhook.* key but the url: the first one given is the
             * place to point at. */
            for (size_t i = 0; i < in->sec->nrows; i++) {
                const char *key = in->sec->rows[i].key;
                if (strncmp(key, "webhook.", 8) == 0 && strcmp(key, "webhook.url") != 0 && in->set[i]) {
                    key_err(L, in, key, "webhook settings without webhook.url");
                    break;
                }
            }
        } else {
            validate_http_client(L, in, "webhook.", s->webhook.url, &s->webhook.http, webhook_reserved);
        }
    }
}

static void validate_remote_write(ldr *L)
{
    static const char *const reserved[] = {"authorization", "content-type", "content-encoding", "content-length",
                                           "user-agent", "host", "x-prometheus-remote-write-version", NULL};
    size_t si = section_index("remote_write");
    for (size_t k = 0; k < L->ninst[si] && !stopped(L); k++) {
        inst *in = get_inst(L, si, k);
        if (in->errors > 0)
            continue;
        cfg_remote_write *r = (cfg_remote_write *)in->base;
        if (r->name == NULL)
            r->name = r->url; /* the documented default */
        check_unique_name(L, si, k, "name", "remote_write name");
        validate_http_client(L, in, "", r->url, &r->http, reserved);
        if (r->min_backoff_ms > r->max_backoff_ms)
            key_err(L, in, given(in, "max_backoff") ? "max_backoff" : "min_backoff",
                    "max_backoff must be at least min_backoff");
    }
}

/* ---- entry points ---- */

static void yaml_error(ldr *L, const yaml_parser_t *p)
{
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark: count lines. */
        m.line = m.column = 0;
        for (size_t i = 0; i < p->problem_offset && i < L->srclen; i++) {
            if (L->src[i] == '\n')
                m.line++, m.column = 0;
            else
                m.column++;
        }
        report(L, &m, 0, "invalid text: %s", p->problem ? p->problem : "unreadable input");
        return;
    }
    if (p->context != NULL)
        report(L, &m, 0, "YAML syntax error: %s (%s at line %zu)", p->problem ? p->problem : "?", p->context,
               p->context_mark.line + 1);
    else
        report(L, &m, 0, "YAML syntax error: %s", p->problem ? p->problem : "?");
}

static bool parse_yaml(ldr *L)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        L->nomem = true;
        return false;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)L->src, L->srclen);
    bool ok = yaml_parser_load(&parser, &L->doc) != 0;
    if (!ok) {
        if (parser.error == YAML_MEMORY_ERROR)
            L->nomem = true;
        else
            yaml_error(L, &parser);
        yaml_parser_delete(&parser);
        return false;
    }
    L->have_doc = true;
    yaml_document_t second;
    if (yaml_parser_load(&parser, &second)) {
        yaml_node_t *r2 = yaml_document_get_root_node(&second);
        if (r2 != NULL) {
            report(L, &second.start_mark, 0, "only one YAML document is allowed (found a second one)");
            ok = false;
        }
        yaml_document_delete(&second);
    } else if (parser.error == YAML_MEMORY_ERROR) {
        L->nomem = true;
        ok = false;
    } else {
        yaml_error(L, &parser);
        ok = false;
    }
    yaml_parser_delete(&parser);
    return ok;
}

void cfg_free(cfg_config *c)
{
    if (c != NULL)
        util_arena_free(c->arena);
}

static aug_err finish_fail(ldr *L, aug_err err, cfg_diag **diag)
{
    if (L->nomem)
        err = AUG_ENOMEM;
    if (err == AUG_ENOMEM || diag == NULL) {
        cfg_diag_free(L->diag);
    } else {
        diag_sort(L->diag);
        *diag = L->diag;
    }
    return err;
}

aug_err cfg_load_buffer(const char *name, const char *buf, size_t len, cfg_config **out, cfg_diag **diag)
{
    if (diag != NULL)
        *diag = NULL;
    ldr L;
    memset(&L, 0, sizeof L);
    L.src = buf;
    L.srclen = len;
    L.diag = diag_new(name);
    if (L.diag == NULL)
        return AUG_ENOMEM;
    if (len > CFG_MAX_FILE_BYTES) {
        report(&L, NULL, 0, "config is %zu bytes, more than the %zu allowed", len, CFG_MAX_FILE_BYTES);
        return finish_fail(&L, AUG_ETOOBIG, diag);
    }
    L.tmp = util_arena_new(TMP_CAP);
    L.out = util_arena_new(OUT_CAP);
    aug_err err = AUG_ENOMEM;
    if (L.tmp == NULL || L.out == NULL)
        goto fail;
    L.cfg = out_calloc(&L, sizeof *L.cfg);
    L.insts = tmp_calloc(&L, cfg_nsections * sizeof *L.insts);
    L.ninst = tmp_calloc(&L, cfg_nsections * sizeof *L.ninst);
    if (L.nomem)
        goto fail;
    L.cfg->arena = L.out;
    err = AUG_ECONFIG;
    if (!parse_yaml(&L))
        goto fail;
    L.nnodes = (size_t)(L.doc.nodes.top - L.doc.nodes.start);
    L.memo = tmp_calloc(&L, L.nnodes * sizeof *L.memo);
    if (L.memo == NULL)
        goto fail;
    walk_root(&L, yaml_document_get_root_node(&L.doc));
    if (!stopped(&L)) {
        /* Validators skip instances that already have errors (their values
         * may be defaults standing in for bad input), so one typo does not
         * cascade into a page of follow-up errors. */
        validate_blocks(&L);
        validate_forecasts(&L);
        validate_scalers(&L);
        validate_remote_write(&L);
    }
    if (L.nomem || L.diag->n > 0)
        goto fail;
    L.cfg->source = out_strndup(&L, name, strlen(name));
    if (L.cfg->source == NULL)
        goto fail;
    if (L.have_doc)
        yaml_document_delete(&L.doc);
    util_arena_free(L.tmp);
    cfg_diag_free(L.diag);
    *out = L.cfg;
    return AUG_OK;
fail:
    if (L.have_doc)
        yaml_document_delete(&L.doc);
    util_arena_free(L.tmp);
    util_arena_free(L.out);
    return finish_fail(&L, err, diag);
}

aug_err cfg_load_file(const char *path, cfg_config **out, cfg_diag **diag)
{
    if (diag != NULL)
        *diag = NULL;
    FILE *f = fopen(path, "rb");
    aug_err err = AUG_EIO;
    char *buf = NULL;
    size_t len = 0;
    int saved = 0;
    if (f != NULL) {
        buf = aug_malloc(CFG_MAX_FILE_BYTES + 1);
        if (buf == NULL) {
            fclose(f);
            return AUG_ENOMEM;
        }
        len = fread(buf, 1, CFG_MAX_FILE_BYTES + 1, f);
        saved = ferror(f) ? errno : 0;
        fclose(f);
        if (saved == 0 && len > CFG_MAX_FILE_BYTES)
            err = AUG_ETOOBIG;
        else if (saved == 0)
            err = AUG_OK;
    } else {
        saved = errno;
    }
    if (err == AUG_OK) {
        err = cfg_load_buffer(path, buf, len, out, diag);
        aug_free(buf);
        return err;
    }
    aug_free(buf);
    cfg_diag *d = diag_new(path);
    if (d == NULL)
        return AUG_ENOMEM;
    ldr L;
    memset(&L, 0, sizeof L);
    L.diag = d;
    if (err == AUG_ETOOBIG)
        report(&L, NULL, 0, "config is larger than the %zu bytes allowed", CFG_MAX_FILE_BYTES);
    else
        report(&L, NULL, 0, "cannot read: %s", strerror(saved));
    return finish_fail(&L, err, diag);
}

bool cfg_needs_restart(const cfg_config *a, const cfg_config *b, char *key, size_t cap)
{
    for (size_t si = 0; si < cfg_nsections; si++) {
        const cfg_section *sec = &cfg_sections[si];
        if (sec->list)
            continue;
        for (size_t i = 0; i < sec->nrows; i++) {
            const cfg_row *row = &sec->rows[i];
            if (!(row->flags & CFG_F_RESTART))
                continue;
            const char *pa = (const char *)a + sec->off + row->off, *pb = (const char *)b + sec->off + row->off;
            bool same;
            switch (row->type) {
            case CFG_T_DURATION:
            case CFG_T_INT:
            case CFG_T_SIZE: same = memcmp(pa, pb, 8) == 0; break;
            case CFG_T_BOOL: same = *(const bool *)pa == *(const bool *)pb; break;
            case CFG_T_FLOAT: same = *(const double *)pa == *(const double *)pb; break;
            case CFG_T_ENUM: same = *(const int *)pa == *(const int *)pb; break;
            default: AUG_ASSERT(0 && "restart flag on an uncomparable type"); same = true;
            }
            if (!same) {
                if (key != NULL && cap > 0)
                    snprintf(key, cap, "%s.%s", sec->name, row->key);
                return true;
            }
        }
    }
    return false;
}
