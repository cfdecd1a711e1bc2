/* labels.c — label-set validation, canonical key and hash of one series.
 *
 * Rules (remote-write 1.0 spec plus augur's storage needs), checked in label
 * order so the first broken rule is the one reported:
 *  1. at least one label (an empty set has no key);
 *  2. name non-empty, at most max_label_bytes and WIRE_MAX_NAME_BYTES,
 *     [a-zA-Z_][a-zA-Z0-9_]*;
 *  3. names strictly increasing in byte order (memcmp, shorter prefix
 *     first): equal → duplicate, smaller → not sorted;
 *  4. value non-empty, at most max_label_bytes, UTF-8 (RFC 3629) without
 *     NUL bytes — NUL is refused because remote-read output and C string
 *     consumers (protobuf-c, logs) cannot carry it;
 *  5. a __name__ value matches [a-zA-Z_:][a-zA-Z0-9_:]*. __name__ itself is
 *     optional: the spec says SHOULD, and Prometheus accepts sets without it.
 *
 * Canonical key (storage/store.h): for each label in order: name, 0xFF,
 * value, 0xFF. 0xFF never occurs in UTF-8 nor in a valid name, so the key
 * is unambiguous. Example {__name__="up", job="node"} →
 *   5f 5f 6e 61 6d 65 5f 5f ff 75 70 ff 6a 6f 62 ff 6e 6f 64 65 ff
 * Its length is Σ(name + value + 2), always less than the protobuf bytes
 * the labels took, so it is bounded by the decoded request size.
 */
#include "util/common.h"
#include "wire/wire_int.h"
#include "util/utf8.h"

/* Character classes: bit set when the byte may appear in that position. */
enum {
    C_NAME_FIRST = 1,   /* [a-zA-Z_] */
    C_NAME = 2,         /* [a-zA-Z0-9_] */
    C_METRIC_FIRST = 4, /* [a-zA-Z_:] */
    C_METRIC = 8,       /* [a-zA-Z0-9_:] */
};

#define ALPHA (C_NAME_FIRST | C_NAME | C_METRIC_FIRST | C_METRIC)
#define DIGIT (C_NAME | C_METRIC)
#define COLON (C_METRIC_FIRST | C_METRIC)

static const uint8_t char_class[256] = {
    ['0'] = DIGIT, ['1'] = DIGIT, ['2'] = DIGIT, ['3'] = DIGIT, ['4'] = DIGIT,
    ['5'] = DIGIT, ['6'] = DIGIT, ['7'] = DIGIT, ['8'] = DIGIT, ['9'] = DIGIT,
    [':'] = COLON, ['_'] = ALPHA,
    ['A'] = ALPHA, ['B'] = ALPHA, ['C'] = ALPHA, ['D'] = ALPHA, ['E'] = ALPHA, ['F'] = ALPHA,
    ['G'] = ALPHA, ['H'] = ALPHA, ['I'] = ALPHA, ['J'] = ALPHA, ['K'] = ALPHA, ['L'] = ALPHA,
    ['M'] = ALPHA, ['N'] = ALPHA, ['O'] = ALPHA, ['P'] = ALPHA, ['Q'] = ALPHA, ['R'] = ALPHA,
    ['S'] = ALPHA, ['T'] = ALPHA, ['U'] = ALPHA, ['V'] = ALPHA, ['W'] = ALPHA, ['X'] = ALPHA,
    ['Y'] = ALPHA, ['Z'] = ALPHA,
    ['a'] = ALPHA, ['b'] = ALPHA, ['c'] = ALPHA, ['d'] = ALPHA, ['e'] = ALPHA, ['f'] = ALPHA,
    ['g'] = ALPHA, ['h'] = ALPHA, ['i'] = ALPHA, ['j'] = ALPHA, ['k'] = ALPHA, ['l'] = ALPHA,
    ['m'] = ALPHA, ['n'] = ALPHA, ['o'] = ALPHA, ['p'] = ALPHA, ['q'] = ALPHA, ['r'] = ALPHA,
    ['s'] = ALPHA, ['t'] = ALPHA, ['u'] = ALPHA, ['v'] = ALPHA, ['w'] = ALPHA, ['x'] = ALPHA,
    ['y'] = ALPHA, ['z'] = ALPHA,
};

/* True when s is non-empty, s[0] has class `first` and the rest `rest`. */
static inline bool syntax_ok(aug_str s, uint8_t first, uint8_t rest)
{
    const uint8_t *p = (const uint8_t *)s.p;
    uint8_t acc = rest;
    for (size_t i = 1; i < s.len; i++)
        acc &= char_class[p[i]];
    return s.len > 0 && (char_class[p[0]] & first) && (acc & rest);
}

static inline bool is_metric_name_label(aug_str n)
{
    return n.len == 8 && memcmp(n.p, "__name__", 8) == 0;
}

/* Eight bytes at a time while they are ASCII (and, if asked, non-NUL),
 * then one code point at a time through util_utf8_next. */
size_t wire_utf8_check(const uint8_t *p, size_t n, bool no_nul)
{
    const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
    size_t i = 0;
    while (i < n) {
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            uint64_t bad = w & hi;
            if (no_nul)
                bad |= (w - lo) & ~w & hi; /* a zero byte sets its high bit here */
            if (bad != 0)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        uint8_t c = p[i];
        if (c < 0x80) {
            if (c == 0 && no_nul)
                return i;
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = util_utf8_next(p + i, n - i, &cp);
        if (cp == UTIL_UTF8_BAD)
            return i;
        i += len;
    }
    return n;
}

const char *wire_quote(char *buf, size_t cap, aug_str s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;
    for (; i < s.len && o + 8 < cap && i < 48; i++) {
        uint8_t c = (uint8_t)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (i < s.len && o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

aug_err wire_arena_fail(const util_arena *a, aug_errbuf *eb, const char *what)
{
    if (util_arena_overflowed(a))
        return aug_errf(eb, AUG_ETOOBIG, "%s: request arena cap reached after %zu bytes", what,
                        util_arena_used(a));
    return aug_errf(eb, AUG_ENOMEM, "%s: out of memory", what);
}

typedef enum fault {
    F_NONE,
    F_EMPTY_NAME,
    F_LONG_NAME,
    F_BAD_NAME,
    F_DUP,
    F_UNSORTED,
    F_EMPTY_VALUE,
    F_LONG_VALUE,
    F_BAD_UTF8,
    F_BAD_METRIC,
} fault;

/* Error paths are out of line so the validation loop stays small. */
__attribute__((noinline, cold)) static aug_err label_error(aug_errbuf *eb, fault f, size_t idx, size_t li,
                                                            const aug_label *l, const aug_label *prev,
                                                            const wire_limits *lim)
{
    char n[64], v[64];
    wire_quote(n, sizeof n, l->name);
    switch (f) {
    case F_EMPTY_NAME:
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: label %zu: empty name", idx, li);
    case F_LONG_NAME:
        return aug_errf(eb, AUG_ETOOBIG, "series %zu: label %zu: name is %zu bytes, limit %zu", idx, li,
                        l->name.len, AUG_MIN(lim->max_label_bytes, (size_t)WIRE_MAX_NAME_BYTES));
    case F_BAD_NAME:
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: label %zu: invalid name \"%s\"", idx, li, n);
    case F_DUP:
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: duplicate label \"%s\"", idx, n);
    case F_UNSORTED:
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: labels not sorted: \"%s\" after \"%s\"", idx, n,
                        wire_quote(v, sizeof v, prev->name));
    case F_EMPTY_VALUE:
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: label \"%s\": empty value", idx, n);
    case F_LONG_VALUE:
        return aug_errf(eb, AUG_ETOOBIG, "series %zu: label \"%s\": value is %zu bytes, limit %zu", idx, n,
                        l->value.len, lim->max_label_bytes);
    case F_BAD_METRIC:
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: invalid metric name \"%s\"", idx,
                        wire_quote(v, sizeof v, l->value));
    case F_BAD_UTF8: {
        const uint8_t *vp = (const uint8_t *)l->value.p;
        size_t off = wire_utf8_check(vp, l->value.len, true);
        if (off < l->value.len && vp[off] == 0)
            return aug_errf(eb, AUG_EMALFORMED, "series %zu: label \"%s\": value contains a NUL byte at %zu",
                            idx, n, off);
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: label \"%s\": value is not valid UTF-8 (byte %zu)",
                        idx, n, off);
    }
    case F_NONE:
        break;
    }
    return aug_errf(eb, AUG_EMALFORMED, "series %zu: label %zu: invalid", idx, li);
}

/* Byte-order comparison of two short strings without a libc call: names
 * differ within their first bytes almost always. */
static inline int name_cmp(aug_str a, aug_str b)
{
    size_t m = AUG_MIN(a.len, b.len);
    for (size_t i = 0; i < m; i++)
        if (a.p[i] != b.p[i])
            return (uint8_t)a.p[i] < (uint8_t)b.p[i] ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

/* Appends s at o. With `padded` (the source may be read, and o written, up
 * to 15 bytes past the string), short strings move as one fixed 16-byte
 * copy: a couple of instructions instead of a call or a byte loop. */
static inline uint8_t *put(uint8_t *o, aug_str s, bool padded)
{
    if (padded && s.len <= 16)
        memcpy(o, s.p, 16);
    else
        memcpy(o, s.p, s.len);
    return o + s.len;
}

aug_err wire_series_finish(util_arena *a, wire_series *s, size_t idx, const wire_limits *lim, bool padded,
                           aug_errbuf *eb)
{
    const aug_label *ls = s->labels;
    size_t n = s->nlabels, keylen = 0;
    s->key = (aug_bytes){NULL, 0};
    if (n == 0)
        return aug_errf(eb, AUG_EMALFORMED, "series %zu: no labels", idx);
    for (size_t i = 0; i < n; i++)
        keylen += ls[i].name.len + ls[i].value.len + 2;
    uint8_t *k = util_arena_alloc(a, keylen + (padded ? 16 : 0));
    if (k == NULL)
        return wire_arena_fail(a, eb, "label key");
    /* One pass: label i is checked, then appended to the key while its
     * bytes are in cache. On error the partial key is abandoned in the arena. */
    uint8_t *o = k;
    for (size_t i = 0; i < n; i++) {
        const aug_label *l = &ls[i];
        fault f = F_NONE;
        if (l->name.len == 0)
            f = F_EMPTY_NAME;
        else if (l->name.len > lim->max_label_bytes || l->name.len > WIRE_MAX_NAME_BYTES)
            f = F_LONG_NAME;
        else if (!syntax_ok(l->name, C_NAME_FIRST, C_NAME))
            f = F_BAD_NAME;
        else if (i > 0) {
            int c = name_cmp(ls[i - 1].name, l->name);
            if (c == 0)
                f = F_DUP;
            else if (c > 0)
                f = F_UNSORTED;
        }
        if (f == F_NONE) {
            if (l->value.len == 0)
                f = F_EMPTY_VALUE;
            else if (l->value.len > lim->max_label_bytes)
                f = F_LONG_VALUE;
            else if (!wire_ascii_nonul((const uint8_t *)l->value.p, l->value.len) &&
                     wire_utf8_check((const uint8_t *)l->value.p, l->value.len, true) != l->value.len)
                f = F_BAD_UTF8;
            else if (is_metric_name_label(l->name) && !syntax_ok(l->value, C_METRIC_FIRST, C_METRIC))
                f = F_BAD_METRIC;
        }
        if (f != F_NONE)
            return label_error(eb, f, idx, i, l, i > 0 ? &ls[i - 1] : NULL, lim);
        o = put(o, l->name, padded);
        *o++ = 0xFF;
        o = put(o, l->value, padded);
        *o++ = 0xFF;
    }
    s->key = (aug_bytes){k, keylen};
    s->hash = util_hash128_of(k, keylen);
    return AUG_OK;
}

static int label_cmp(const void *x, const void *y)
{
    return name_cmp(((const aug_label *)x)->name, ((const aug_label *)y)->name);
}

aug_err wire_labels_validate(util_arena *a, aug_label *labels, size_t n, const wire_limits *lim, wire_series *out,
                             aug_errbuf *eb)
{
    if (n > lim->max_labels)
        return aug_errf(eb, AUG_ETOOBIG, "%zu labels, limit %zu", n, lim->max_labels);
    if (n > 1)
        qsort(labels, n, sizeof *labels, label_cmp);
    wire_series s = {.labels = labels, .nlabels = n};
    aug_errbuf local = {{0}};
    aug_err err = wire_series_finish(a, &s, 0, lim, false, &local);
    if (err != AUG_OK) {
        /* wire_series_finish names the series' index in its request; there
         * is no request here, so the index would only mislead. */
        static const char pfx[] = "series 0: ";
        const char *m = aug_errmsg(&local, err);
        if (strncmp(m, pfx, sizeof pfx - 1) == 0)
            m += sizeof pfx - 1;
        return aug_errf(eb, err, "%s", m);
    }
    *out = s;
    return AUG_OK;
}
