/* re2posix.c — RE2 syntax → POSIX ERE, one left-to-right pass.
 *
 * Design notes.
 *  1. One pass over the pattern with a tiny state: the group depth, what the
 *     previous token was (nothing / atom / repeat / lazy marker / anchor),
 *     and per depth the "weight" = number of atoms after expanding counted
 *     repeats. The weight bounds what glibc's regcomp expands `{n,m}` into,
 *     so a 40-byte pattern like `((a{1000}){1000}){1000}` cannot make it
 *     allocate gigabytes.
 *  2. Everything is emitted in a form whose meaning does not depend on GNU
 *     extensions: literals that are special in ERE get a backslash (POSIX
 *     defines `\` before `.[\()*+?{|^$`), bracket expressions are rebuilt
 *     from a bitset with `]` first and `-` last and never contain a
 *     backslash (a literal in POSIX brackets, an escape in RE2's).
 *  3. UTF-8: POSIX in the C locale sees bytes, RE2 sees characters. A
 *     multibyte literal is wrapped in a group so a following quantifier
 *     repeats the whole character; `.` and classes that admit non-ASCII
 *     become `([ascii…]|[\xc0-\xff][\x80-\xbf]*)`. On valid UTF-8 input the
 *     second branch consumes exactly one character: nothing else in a
 *     translated pattern can match a lone continuation byte.
 *  4. Errors are sticky: the first failure is kept (position, code, reason)
 *     and the loop stops.
 */
#include "util/common.h"
#include "ingest/re2posix.h"
#include "util/mem.h"
#include "util/utf8.h"

#include <regex.h>

enum { P_NONE, P_ATOM, P_REPEAT, P_LAZY, P_ANCHOR };

/* Matches one UTF-8 character of two or more bytes (design note 3). */
#define MB_ANY "[\xc0-\xff][\x80-\xbf]*"
#define DOT "([^\x80-\xff]|" MB_ANY ")"

typedef struct tr {
    const uint8_t *p;
    size_t n;
    char *o;
    size_t olen, ocap;
    aug_err err;
    size_t errpos;
    aug_errbuf *eb;
    int depth;
    size_t open_pos[INGEST_RE_MAX_DEPTH + 1];
    uint64_t w[INGEST_RE_MAX_DEPTH + 1];
    uint64_t last_w;
    int prev;
    bool icase;
    bool has_nonascii;
    size_t first_nonascii;
} tr;

__attribute__((format(printf, 4, 5))) static void fail(tr *t, size_t pos, aug_err err, const char *fmt, ...)
{
    if (t->err != AUG_OK)
        return;
    t->err = err;
    t->errpos = pos;
    if (t->eb != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->eb->msg, sizeof t->eb->msg, fmt, ap);
        va_end(ap);
    }
}

static void put(tr *t, const void *s, size_t k)
{
    if (t->err != AUG_OK)
        return;
    if (t->olen + k + 1 > INGEST_RE_MAX_OUT) {
        fail(t, 0, AUG_ETOOBIG, "regex too large after translation");
        return;
    }
    if (t->olen + k + 1 > t->ocap) {
        size_t cap = t->ocap ? t->ocap : 64;
        while (cap < t->olen + k + 1)
            cap *= 2;
        char *o = aug_realloc(t->o, cap);
        if (o == NULL) {
            fail(t, 0, AUG_ENOMEM, "out of memory");
            return;
        }
        t->o = o;
        t->ocap = cap;
    }
    memcpy(t->o + t->olen, s, k);
    t->olen += k;
    t->o[t->olen] = '\0';
}

static void putc1(tr *t, char c)
{
    put(t, &c, 1);
}

static void puts0(tr *t, const char *s)
{
    put(t, s, strlen(s));
}

/* ---- UTF-8 ---- */

size_t ingest_utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* ---- escapes ---- */

enum esc_kind { ESC_LIT, ESC_CLASS, ESC_QUOTE, ESC_ANCHOR, ESC_BAD, ESC_UNSUP };

typedef struct esc {
    enum esc_kind kind;
    uint32_t cp;     /* ESC_LIT: code point; ESC_CLASS/ESC_ANCHOR: the letter */
    const char *why; /* ESC_BAD / ESC_UNSUP */
} esc;

int ingest_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* *i indexes the backslash; on return it is past the escape (on error: past
 * the backslash and the letter, for the caller's position only). */
static esc read_escape(const uint8_t *p, size_t n, size_t *i)
{
    esc e = {ESC_LIT, 0, NULL};
    size_t j = *i + 1;
    if (j >= n) {
        e.kind = ESC_BAD;
        e.why = "trailing backslash at end of regex";
        *i = j;
        return e;
    }
    uint8_t c = p[j++];
    switch (c) {
    case 'a': e.cp = 7; break;
    case 'f': e.cp = 12; break;
    case 'n': e.cp = 10; break;
    case 'r': e.cp = 13; break;
    case 't': e.cp = 9; break;
    case 'v': e.cp = 11; break;
    case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
        e.kind = ESC_CLASS;
        e.cp = c;
        break;
    case 'A': case 'z':
        e.kind = ESC_ANCHOR;
        e.cp = c;
        break;
    case 'Q':
        e.kind = ESC_QUOTE;
        break;
    case 'x': {
        uint32_t v = 0;
        if (j < n && p[j] == '{') {
            size_t digits = 0;
            j++;
            while (j < n && ingest_hexval(p[j]) >= 0 && digits < 8) {
                v = v * 16 + (uint32_t)ingest_hexval(p[j]);
                j++, digits++;
            }
            if (digits == 0 || j >= n || p[j] != '}' || v > 0x10ffff) {
                e.kind = ESC_BAD;
                e.why = "invalid \\x{…} escape";
                break;
            }
            j++;
        } else {
            if (j + 2 > n || ingest_hexval(p[j]) < 0 || ingest_hexval(p[j + 1]) < 0) {
                e.kind = ESC_BAD;
                e.why = "invalid \\x escape: need two hex digits";
                break;
            }
            v = (uint32_t)(ingest_hexval(p[j]) * 16 + ingest_hexval(p[j + 1]));
            j += 2;
        }
        e.cp = v;
        break;
    }
    case 'b': case 'B':
        e.kind = ESC_UNSUP;
        e.why = "word boundaries \\b and \\B are not supported";
        break;
    case 'p': case 'P':
        e.kind = ESC_UNSUP;
        e.why = "Unicode classes \\p and \\P are not supported";
        break;
    case 'C':
        e.kind = ESC_UNSUP;
        e.why = "\\C is not supported";
        break;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        e.kind = ESC_UNSUP;
        e.why = "octal escapes and backreferences are not supported (use \\xHH)";
        break;
    default:
        if (c < 0x80 && ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
                         (c >= '{' && c <= '~'))) {
            e.cp = c;
        } else {
            e.kind = ESC_BAD;
            e.why = "invalid escape sequence";
        }
    }
    if (e.kind == ESC_LIT && e.cp >= 0xd800 && e.cp <= 0xdfff) {
        e.kind = ESC_BAD;
        e.why = "escape names a UTF-16 surrogate";
    }
    *i = j;
    return e;
}

/* ---- weights and repeats (design note 1) ---- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static void check_weight(tr *t, size_t pos)
{
    if (t->w[t->depth] > INGEST_RE_MAX_WEIGHT)
        fail(t, pos, AUG_ETOOBIG, "regex too large: counted repeats expand past %d atoms", INGEST_RE_MAX_WEIGHT);
}

static void atom(tr *t, uint64_t w, size_t pos)
{
    t->w[t->depth] = sat_add(t->w[t->depth], w);
    t->last_w = w;
    t->prev = P_ATOM;
    check_weight(t, pos);
}

/* hi < 0: unbounded. Returns false (after failing) if not allowed here. */
static bool repeat(tr *t, size_t pos, long lo, long hi)
{
    if (t->prev == P_NONE) {
        fail(t, pos, AUG_EMALFORMED, "missing argument to repetition operator");
        return false;
    }
    if (t->prev == P_ANCHOR) {
        fail(t, pos, AUG_EUNSUPPORTED, "repeating an anchor is not supported");
        return false;
    }
    if (t->prev == P_REPEAT || t->prev == P_LAZY) {
        fail(t, pos, AUG_EMALFORMED, "invalid nested repetition operator");
        return false;
    }
    uint64_t k = (uint64_t)(hi < 0 ? (lo > 1 ? lo : 1) : (hi > 1 ? hi : 1));
    if (k > 1) {
        t->w[t->depth] = sat_add(t->w[t->depth], sat_mul(t->last_w, k - 1));
        t->last_w = sat_mul(t->last_w, k);
    }
    t->prev = P_REPEAT;
    check_weight(t, pos);
    return true;
}

/* Parses `{n}`, `{n,}`, `{n,m}` at p[*i] == '{'. Returns 1 with the counts
 * and *i past '}', 0 if this `{` is a literal (RE2 rule), -1 on error. */
static int parse_braces(tr *t, size_t *i, long *lo, long *hi)
{
    const uint8_t *p = t->p;
    size_t j = *i + 1, n = t->n;
    if (j < n && p[j] == ',') {
        fail(t, *i, AUG_EUNSUPPORTED, "'{,n}' is a literal in RE2; write '{0,n}' or escape the '{'");
        return -1;
    }
    long a = 0, b;
    size_t d = 0;
    while (j < n && p[j] >= '0' && p[j] <= '9' && d < 8)
        a = a * 10 + (p[j++] - '0'), d++;
    if (d == 0 || j >= n)
        return 0;
    if (p[j] == '}') {
        b = a;
    } else if (p[j] == ',') {
        j++;
        if (j < n && p[j] == '}') {
            b = -1;
        } else {
            b = 0;
            d = 0;
            while (j < n && p[j] >= '0' && p[j] <= '9' && d < 8)
                b = b * 10 + (p[j++] - '0'), d++;
            if (d == 0 || j >= n || p[j] != '}')
                return 0;
        }
    } else {
        return 0;
    }
    if (a > INGEST_RE_MAX_REPEAT || b > INGEST_RE_MAX_REPEAT) {
        fail(t, *i, AUG_EMALFORMED, "invalid repeat count: at most %d", INGEST_RE_MAX_REPEAT);
        return -1;
    }
    if (b >= 0 && b < a) {
        fail(t, *i, AUG_EMALFORMED, "invalid repeat count: minimum above maximum");
        return -1;
    }
    *lo = a;
    *hi = b;
    *i = j + 1;
    return 1;
}

/* ---- literals ---- */

static void note_nonascii(tr *t, size_t pos)
{
    if (!t->has_nonascii) {
        t->has_nonascii = true;
        t->first_nonascii = pos;
    }
}

static void emit_literal(tr *t, uint32_t cp, size_t pos)
{
    if (cp == 0) {
        fail(t, pos, AUG_EUNSUPPORTED, "NUL characters in a regex are not supported");
        return;
    }
    if (cp < 0x80) {
        if (strchr(".[\\()*+?{|^$", (int)cp) != NULL)
            putc1(t, '\\');
        putc1(t, (char)cp);
    } else {
        uint8_t b[4];
        size_t k = ingest_utf8_encode(cp, b);
        note_nonascii(t, pos);
        putc1(t, '(');
        put(t, b, k);
        putc1(t, ')');
    }
    atom(t, 1, pos);
}

/* ---- character classes ---- */

typedef struct cls {
    uint64_t bits[2];   /* ASCII members, code points 1..127 (NUL never) */
    bool all_nonascii;  /* every non-ASCII character is a member */
    uint32_t list[64];  /* individual non-ASCII members */
    size_t nlist;
} cls;

static void cls_add(cls *c, uint32_t cp)
{
    if (cp > 0 && cp < 128)
        c->bits[cp >> 6] |= (uint64_t)1 << (cp & 63);
}

static bool cls_has(const cls *c, uint32_t cp)
{
    return cp > 0 && cp < 128 && (c->bits[cp >> 6] >> (cp & 63)) & 1;
}

static void cls_add_range(cls *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t x = lo; x <= hi && x < 128; x++)
        cls_add(c, x);
}

/* Adds the named ASCII set, or its complement (which also admits every
 * non-ASCII character, as RE2's negated classes do). */
static void cls_add_named(cls *c, const char *spec, bool negate)
{
    cls s = {{0, 0}, false, {0}, 0};
    for (const char *q = spec; *q != '\0'; q++) {
        if (q[1] == '-' && q[2] != '\0') {
            cls_add_range(&s, (uint8_t)q[0], (uint8_t)q[2]);
            q += 2;
        } else {
            cls_add(&s, (uint8_t)*q);
        }
    }
    if (negate) {
        for (uint32_t x = 1; x < 128; x++) {
            if (!cls_has(&s, x))
                cls_add(c, x);
        }
        c->all_nonascii = true;
    } else {
        c->bits[0] |= s.bits[0];
        c->bits[1] |= s.bits[1];
    }
}

static const char *perl_class(uint32_t letter)
{
    switch (letter | 0x20) {
    case 'd': return "0-9";
    case 'w': return "0-9A-Za-z_";
    default: return "\t\n\f\r "; /* \s */
    }
}

static const struct {
    const char *name;
    const char *spec;
} named_classes[] = {
    {"alnum", "0-9A-Za-z"}, {"alpha", "A-Za-z"}, {"ascii", "\x01-\x7f"}, {"blank", "\t "},
    {"cntrl", "\x01-\x1f\x7f"}, {"digit", "0-9"}, {"graph", "!-~"}, {"lower", "a-z"},
    {"print", " -~"}, {"punct", "!-/:-@[-`{-~"}, {"space", "\t\n\v\f\r "}, {"upper", "A-Z"},
    {"word", "0-9A-Za-z_"}, {"xdigit", "0-9A-Fa-f"},
};

/* 1 digit, 2 upper, 3 lower, 0 other: ranges are emitted only within one
 * kind, so their meaning cannot depend on collation. */
static int alnum_kind(uint32_t c)
{
    return (c >= '0' && c <= '9') ? 1 : (c >= 'A' && c <= 'Z') ? 2 : (c >= 'a' && c <= 'z') ? 3 : 0;
}

/* Emits the ASCII members as a POSIX bracket expression (design note 2).
 * The caller ensures at least one member. */
static void emit_bracket(tr *t, const cls *c)
{
    bool caret = cls_has(c, '^'), dash = cls_has(c, '-'), rbr = cls_has(c, ']'), lbr = cls_has(c, '[');
    size_t others = 0;
    for (uint32_t x = 1; x < 128; x++)
        others += cls_has(c, x) && x != '^' && x != '-';
    if (others == 0) { /* only ^ and/or - */
        if (caret && dash)
            puts0(t, "[-^]");
        else if (caret)
            puts0(t, "\\^");
        else
            puts0(t, "[-]");
        return;
    }
    putc1(t, '[');
    if (rbr)
        putc1(t, ']');
    for (uint32_t x = 1; x < 128; x++) {
        if (!cls_has(c, x) || x == ']' || x == '^' || x == '-' || x == '[')
            continue;
        if (alnum_kind(x) != 0) {
            uint32_t y = x;
            while (y + 1 < 128 && cls_has(c, y + 1) && alnum_kind(y + 1) == alnum_kind(x))
                y++;
            putc1(t, (char)x);
            if (y > x + 1)
                putc1(t, '-');
            if (y > x)
                putc1(t, (char)y);
            x = y;
        } else {
            putc1(t, (char)x);
        }
    }
    if (lbr)
        putc1(t, '[');
    if (caret)
        putc1(t, '^');
    if (dash)
        putc1(t, '-');
    putc1(t, ']');
}

static void emit_cls(tr *t, cls *c, bool negate, size_t pos)
{
    if (t->icase) {
        for (uint32_t x = 'a'; x <= 'z'; x++) {
            if (cls_has(c, x) || cls_has(c, x - 32)) {
                cls_add(c, x);
                cls_add(c, x - 32);
            }
        }
    }
    if (negate) {
        if (c->nlist > 0) {
            fail(t, pos, AUG_EUNSUPPORTED, "a negated class that lists non-ASCII characters is not supported");
            return;
        }
        c->bits[0] = ~c->bits[0] & ~(uint64_t)1; /* never NUL */
        c->bits[1] = ~c->bits[1];
        c->all_nonascii = !c->all_nonascii;
    }
    bool ascii = c->bits[0] != 0 || c->bits[1] != 0;
    size_t alts = (size_t)ascii + (size_t)c->all_nonascii + c->nlist;
    if (alts == 0) {
        fail(t, pos, AUG_EUNSUPPORTED, "a class that matches nothing is not supported");
        return;
    }
    if (alts > 1)
        putc1(t, '(');
    bool first = true;
    if (ascii) {
        emit_bracket(t, c);
        first = false;
    }
    for (size_t k = 0; k < c->nlist; k++) {
        uint8_t b[4];
        size_t len = ingest_utf8_encode(c->list[k], b);
        if (!first)
            putc1(t, '|');
        put(t, b, len);
        first = false;
    }
    if (c->all_nonascii) {
        if (!first)
            putc1(t, '|');
        puts0(t, MB_ANY);
    }
    if (alts > 1)
        putc1(t, ')');
}

/* One class item: a code point, or a set (\d, \W, …) already added. */
enum { ITEM_CP, ITEM_SET, ITEM_ERR };

static int read_class_item(tr *t, size_t *i, cls *c, uint32_t *cp)
{
    const uint8_t *p = t->p;
    size_t at = *i;
    if (p[at] == '\\') {
        esc e = read_escape(p, t->n, i);
        switch (e.kind) {
        case ESC_LIT:
            *cp = e.cp;
            return ITEM_CP;
        case ESC_CLASS:
            cls_add_named(c, perl_class(e.cp), e.cp < 'a');
            return ITEM_SET;
        case ESC_UNSUP:
            fail(t, at, AUG_EUNSUPPORTED, "%s", e.why);
            return ITEM_ERR;
        case ESC_QUOTE:
            fail(t, at, AUG_EUNSUPPORTED, "\\Q inside [...] is not supported");
            return ITEM_ERR;
        case ESC_ANCHOR:
            fail(t, at, AUG_EMALFORMED, "invalid escape sequence in [...]");
            return ITEM_ERR;
        default:
            fail(t, at, AUG_EMALFORMED, "%s", e.why);
            return ITEM_ERR;
        }
    }
    size_t len = util_utf8_next(p + at, t->n - at, cp);
    if (*cp == UTIL_UTF8_BAD) {
        fail(t, at, AUG_EMALFORMED, "invalid UTF-8 in regex");
        return ITEM_ERR;
    }
    if (len > 1)
        note_nonascii(t, at);
    *i = at + len;
    return ITEM_CP;
}

static void cls_add_cp(tr *t, cls *c, uint32_t cp, size_t pos)
{
    if (cp == 0) {
        fail(t, pos, AUG_EUNSUPPORTED, "NUL characters in a regex are not supported");
    } else if (cp < 128) {
        cls_add(c, cp);
    } else if (c->nlist == AUG_ARRAY_LEN(c->list)) {
        fail(t, pos, AUG_ETOOBIG, "too many non-ASCII characters in one class (max %zu)", AUG_ARRAY_LEN(c->list));
    } else {
        c->list[c->nlist++] = cp;
    }
}

/* p[*i] == '['. Emits the class and advances *i past ']'. */
static void parse_class(tr *t, size_t *i)
{
    const uint8_t *p = t->p;
    size_t n = t->n, start = *i, j = *i + 1;
    cls c = {{0, 0}, false, {0}, 0};
    bool negate = false, first = true;
    if (j < n && p[j] == '^')
        negate = true, j++;
    for (;;) {
        if (j >= n) {
            fail(t, start, AUG_EMALFORMED, "missing closing ] for character class");
            return;
        }
        if (p[j] == ']' && !first) {
            j++;
            break;
        }
        first = false;
        if (p[j] == '[' && j + 1 < n && p[j + 1] == ':') {
            size_t k = j + 2;
            while (k + 1 < n && !(p[k] == ':' && p[k + 1] == ']'))
                k++;
            if (k + 1 < n) {
                bool neg = p[j + 2] == '^';
                const char *name = (const char *)p + j + 2 + neg;
                size_t nlen = k - (j + 2 + neg);
                size_t m;
                for (m = 0; m < AUG_ARRAY_LEN(named_classes); m++) {
                    if (strlen(named_classes[m].name) == nlen && memcmp(named_classes[m].name, name, nlen) == 0)
                        break;
                }
                if (m == AUG_ARRAY_LEN(named_classes)) {
                    fail(t, j, AUG_EMALFORMED, "invalid character class name");
                    return;
                }
                cls_add_named(&c, named_classes[m].spec, neg);
                j = k + 2;
                continue;
            }
        }
        size_t at = j;
        uint32_t lo, hi;
        int kind = read_class_item(t, &j, &c, &lo);
        if (kind == ITEM_ERR)
            return;
        bool range = j + 1 < n && p[j] == '-' && p[j + 1] != ']';
        if (kind == ITEM_SET) {
            if (range) {
                fail(t, j, AUG_EMALFORMED, "invalid character class range");
                return;
            }
            continue;
        }
        if (!range) {
            cls_add_cp(t, &c, lo, at);
            if (t->err != AUG_OK)
                return;
            continue;
        }
        j++; /* '-' */
        size_t hat = j;
        if (read_class_item(t, &j, &c, &hi) != ITEM_CP) {
            if (t->err == AUG_OK)
                fail(t, hat, AUG_EMALFORMED, "invalid character class range");
            return;
        }
        if (hi < lo) {
            fail(t, at, AUG_EMALFORMED, "invalid character class range: end before start");
            return;
        }
        if (hi >= 128) {
            fail(t, at, AUG_EUNSUPPORTED, "ranges beyond ASCII in [...] are not supported");
            return;
        }
        if (lo == 0) {
            fail(t, at, AUG_EUNSUPPORTED, "NUL characters in a regex are not supported");
            return;
        }
        cls_add_range(&c, lo, hi);
    }
    *i = j;
    emit_cls(t, &c, negate, start);
}

/* ---- groups ---- */

static void open_group(tr *t, size_t pos)
{
    if (t->depth == INGEST_RE_MAX_DEPTH) {
        fail(t, pos, AUG_ETOOBIG, "regex nests groups deeper than %d", INGEST_RE_MAX_DEPTH);
        return;
    }
    putc1(t, '(');
    t->depth++;
    t->open_pos[t->depth] = pos;
    t->w[t->depth] = 0;
    t->prev = P_NONE;
}

/* p[*i] == '(' && p[*i+1] == '?': non-capturing or named group, else error. */
static void special_group(tr *t, size_t *i)
{
    const uint8_t *p = t->p;
    size_t n = t->n, at = *i, j = *i + 2;
    if (j < n && p[j] == ':') {
        *i = j + 1;
        open_group(t, at);
        return;
    }
    if (j < n && (p[j] == 'P' || p[j] == '<')) {
        size_t k = j + (p[j] == 'P');
        if (k < n && p[k] == '<' && k + 1 < n && p[k + 1] != '=' && p[k + 1] != '!') {
            size_t m = k + 1;
            while (m < n && (alnum_kind(p[m]) != 0 || p[m] == '_'))
                m++;
            if (m == k + 1 || m >= n || p[m] != '>') {
                fail(t, at, AUG_EMALFORMED, "invalid named capture group");
                return;
            }
            *i = m + 1;
            open_group(t, at);
            return;
        }
    }
    if (j < n && (p[j] == '=' || p[j] == '!' || (p[j] == '<' && j + 1 < n && (p[j + 1] == '=' || p[j + 1] == '!')))) {
        fail(t, at, AUG_EUNSUPPORTED, "lookaround assertions are not supported (RE2 has none either)");
        return;
    }
    fail(t, at, AUG_EUNSUPPORTED, "flag groups are supported only as a leading (?i), (?s) or (?U)");
}

/* A leading `(?flags)` with flags from "isU". Returns the offset after it,
 * or 0 if the pattern does not start with one. */
static size_t leading_flags(tr *t)
{
    const uint8_t *p = t->p;
    size_t n = t->n, j = 2;
    if (n < 3 || p[0] != '(' || p[1] != '?')
        return 0;
    bool icase = false, multi = false;
    while (j < n && (p[j] == 'i' || p[j] == 's' || p[j] == 'U' || p[j] == 'm')) {
        icase |= p[j] == 'i';
        multi |= p[j] == 'm';
        j++;
    }
    if (j == 2 || j >= n)
        return 0; /* not a flag group; the main loop reports it */
    if (multi) {
        fail(t, 0, AUG_EUNSUPPORTED, "the multi-line flag (?m) is not supported");
        return 0;
    }
    if (p[j] != ')') {
        if (p[j] == ':' || p[j] == '-')
            fail(t, 0, AUG_EUNSUPPORTED, "scoped or negated flag groups are not supported; use a leading (?i)");
        return 0;
    }
    t->icase = icase;
    return j + 1;
}

aug_err ingest_re_translate(const char *pat, size_t n, ingest_re *out, size_t *errpos, aug_errbuf *eb)
{
    tr t;
    memset(&t, 0, sizeof t);
    t.p = (const uint8_t *)pat;
    t.n = n;
    t.eb = eb;
    t.prev = P_NONE;
    const uint8_t *p = t.p;
    size_t i = leading_flags(&t);
    puts0(&t, ""); /* allocate, so an empty pattern yields "" */
    while (i < n && t.err == AUG_OK) {
        uint8_t c = p[i];
        size_t at = i;
        switch (c) {
        case '\\': {
            esc e = read_escape(p, n, &i);
            if (e.kind == ESC_LIT) {
                emit_literal(&t, e.cp, at);
            } else if (e.kind == ESC_CLASS) {
                cls cl = {{0, 0}, false, {0}, 0};
                cls_add_named(&cl, perl_class(e.cp), e.cp < 'a');
                emit_cls(&t, &cl, false, at);
                atom(&t, 1, at);
            } else if (e.kind == ESC_ANCHOR) {
                putc1(&t, e.cp == 'A' ? '^' : '$');
                t.prev = P_ANCHOR;
            } else if (e.kind == ESC_QUOTE) {
                while (i < n && !(p[i] == '\\' && i + 1 < n && p[i + 1] == 'E') && t.err == AUG_OK) {
                    uint32_t cp;
                    size_t len = util_utf8_next(p + i, n - i, &cp);
                    if (cp == UTIL_UTF8_BAD) {
                        fail(&t, i, AUG_EMALFORMED, "invalid UTF-8 in regex");
                        break;
                    }
                    emit_literal(&t, cp, i);
                    i += len;
                }
                if (i < n)
                    i += 2; /* \E */
            } else {
                fail(&t, at, e.kind == ESC_UNSUP ? AUG_EUNSUPPORTED : AUG_EMALFORMED, "%s", e.why);
            }
            break;
        }
        case '.':
            puts0(&t, DOT);
            atom(&t, 1, at);
            i++;
            break;
        case '[':
            parse_class(&t, &i);
            atom(&t, 1, at);
            break;
        case '(':
            if (i + 1 < n && p[i + 1] == '?') {
                special_group(&t, &i);
            } else {
                open_group(&t, at);
                i++;
            }
            break;
        case ')':
            if (t.depth == 0) {
                fail(&t, at, AUG_EMALFORMED, "unexpected ): no group to close");
                break;
            }
            putc1(&t, ')');
            t.depth--;
            atom(&t, t.w[t.depth + 1], at);
            i++;
            break;
        case '|':
            putc1(&t, '|');
            t.prev = P_NONE;
            i++;
            break;
        case '^':
        case '$':
            putc1(&t, (char)c);
            t.prev = P_ANCHOR;
            i++;
            break;
        case '*':
        case '+':
        case '?':
            if (c == '?' && t.prev == P_REPEAT) {
                t.prev = P_LAZY; /* lazy: same result under full anchoring */
            } else if (repeat(&t, at, c == '+' ? 1 : 0, c == '?' ? 1 : -1)) {
                putc1(&t, (char)c);
            }
            i++;
            break;
        case '{': {
            long lo, hi;
            int r = parse_braces(&t, &i, &lo, &hi);
            if (r < 0)
                break;
            if (r == 0) {
                puts0(&t, "\\{");
                atom(&t, 1, at);
                i++;
                break;
            }
            if (repeat(&t, at, lo, hi)) {
                char buf[64];
                if (hi < 0)
                    snprintf(buf, sizeof buf, "{%ld,}", lo);
                else if (hi == lo)
                    snprintf(buf, sizeof buf, "{%ld}", lo);
                else
                    snprintf(buf, sizeof buf, "{%ld,%ld}", lo, hi);
                puts0(&t, buf);
            }
            break;
        }
        default: {
            uint32_t cp;
            size_t len = util_utf8_next(p + i, n - i, &cp);
            if (cp == UTIL_UTF8_BAD) {
                fail(&t, at, AUG_EMALFORMED, "invalid UTF-8 in regex");
                break;
            }
            emit_literal(&t, cp, at);
            i += len;
        }
        }
    }
    if (t.err == AUG_OK && t.depth > 0)
        fail(&t, t.open_pos[t.depth], AUG_EMALFORMED, "missing ) to close this group");
    if (t.err == AUG_OK && t.icase && t.has_nonascii)
        fail(&t, t.first_nonascii, AUG_EUNSUPPORTED,
             "(?i) with non-ASCII characters is not supported (ASCII case folding only)");
    if (t.err != AUG_OK) {
        aug_free(t.o);
        if (errpos != NULL)
            *errpos = t.errpos;
        return t.err;
    }
    out->ere = t.o;
    out->len = t.olen;
    out->cflags = t.icase ? REG_ICASE : 0;
    return AUG_OK;
}

bool ingest_re_literals(const char *pat, size_t n, char *buf, aug_str *alts, size_t *nalts)
{
    const uint8_t *p = (const uint8_t *)pat;
    size_t i = 0, o = 0, start = 0, k = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c == '|') {
            alts[k++] = (aug_str){buf + start, o - start};
            start = o;
            i++;
            continue;
        }
        if (c == '\\') {
            esc e = read_escape(p, n, &i);
            if (e.kind == ESC_LIT) {
                o += ingest_utf8_encode(e.cp, (uint8_t *)buf + o);
                continue;
            }
            if (e.kind != ESC_QUOTE)
                return false;
            while (i < n && !(p[i] == '\\' && i + 1 < n && p[i + 1] == 'E'))
                buf[o++] = (char)p[i++];
            if (i < n)
                i += 2;
            continue;
        }
        if (strchr(".[]()*+?{}^$", c) != NULL)
            return false;
        uint32_t cp;
        size_t len = util_utf8_next(p + i, n - i, &cp);
        if (cp == UTIL_UTF8_BAD)
            return false;
        memcpy(buf + o, p + i, len);
        o += len;
        i += len;
    }
    alts[k++] = (aug_str){buf + start, o - start};
    *nalts = k;
    return true;
}
