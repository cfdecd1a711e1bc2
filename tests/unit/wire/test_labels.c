/* Unit tests for src/wire/labels.c: the UTF-8 validator against an
 * independent code-point decoder (exhaustive up to 3 bytes, sampled for 4),
 * the error-message quoting, and wire_series_finish directly. */
#include "util/common.h"
#include "util/arena.h"
#include "wire/wire_int.h"

#include "../check.h"

/* Reference: decode each code point and check the RFC 3629 ranges. */
static size_t ref_utf8(const uint8_t *p, size_t n, bool no_nul)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            if (c == 0 && no_nul)
                return i;
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

static void test_utf8_exhaustive(void)
{
    /* Each sequence after 9 ASCII bytes (so the 8-byte fast path runs
     * first), then once more followed by 'z'. */
    uint8_t buf[16] = "012345678";
    long mismatches = 0;
    for (uint32_t v = 0; v < (1u << 24); v++) {
        buf[9] = (uint8_t)(v >> 16);
        buf[10] = (uint8_t)(v >> 8);
        buf[11] = (uint8_t)v;
        for (size_t len = 10; len <= 12; len++) {
            if (len < 12 && (v & ((1u << (8 * (12 - len))) - 1)) != 0)
                continue; /* shorter sequences: enumerate once */
            bool nn = (v & 1) != 0;
            mismatches += wire_utf8_check(buf, len, nn) != ref_utf8(buf, len, nn);
            if (len < 12)
                mismatches += wire_utf8_check(buf, len, !nn) != ref_utf8(buf, len, !nn);
        }
        buf[12] = 'z';
        mismatches += wire_utf8_check(buf, 13, true) != ref_utf8(buf, 13, true);
    }
    CHECK_EQ_I64(mismatches, 0);
    /* Four-byte sequences: all lead bytes F0..F7 with sampled tails. */
    for (int i = 0; i < 2000000; i++) {
        uint64_t r = check_rand();
        uint8_t s[5] = {(uint8_t)(0xF0 | (r & 7)), (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24),
                        'a'};
        if (r & (1ULL << 40)) { /* bias the tail toward continuation bytes */
            s[1] = (uint8_t)(0x80 | (s[1] & 0x3F));
            s[2] = (uint8_t)(0x80 | (s[2] & 0x3F));
            s[3] = (uint8_t)(0x80 | (s[3] & 0x3F));
        }
        mismatches += wire_utf8_check(s, 5, true) != ref_utf8(s, 5, true);
    }
    CHECK_EQ_I64(mismatches, 0);
    /* NUL: allowed unless asked, found in any word position. */
    uint8_t z[20];
    memset(z, 'a', sizeof z);
    for (size_t at = 0; at < sizeof z; at++) {
        z[at] = 0;
        CHECK_EQ_I64(wire_utf8_check(z, sizeof z, true), at);
        CHECK_EQ_I64(wire_utf8_check(z, sizeof z, false), sizeof z);
        z[at] = 'a';
    }
    /* 0x80 bytes in ASCII words are caught at every position. */
    for (size_t at = 0; at < sizeof z; at++) {
        z[at] = 0x80;
        CHECK_EQ_I64(wire_utf8_check(z, sizeof z, true), at);
        z[at] = 'a';
    }
}

static void test_quote(void)
{
    char buf[64];
    CHECK_STR(wire_quote(buf, sizeof buf, (aug_str){"job", 3}), "job");
    CHECK_STR(wire_quote(buf, sizeof buf, (aug_str){"a\"b\\c\n\xff", 7}), "a\\x22b\\x5cc\\x0a\\xff");
    static const char longs[] = "0123456789012345678901234567890123456789012345678901234567890123456789";
    const char *q = wire_quote(buf, sizeof buf, (aug_str){longs, sizeof longs - 1});
    CHECK(strlen(q) < sizeof buf);
    CHECK(strcmp(q + strlen(q) - 3, "...") == 0);
    char tiny[8];
    CHECK(strlen(wire_quote(tiny, sizeof tiny, (aug_str){longs, 20})) < sizeof tiny);
}

static void test_series_finish_direct(void)
{
    util_arena *a = util_arena_new(1 << 20);
    wire_limits lim = wire_limits_default();
    aug_errbuf eb = {{0}};
    aug_label ls[] = {{{"__name__", 8}, {"up", 2}}, {{"job", 3}, {"node", 4}}};
    wire_series s = {.labels = ls, .nlabels = 2};
    CHECK_EQ_I64(wire_series_finish(a, &s, 0, &lim, false, &eb), AUG_OK);
    CHECK_EQ_I64(s.key.len, 21);
    CHECK(memcmp(s.key.p, "__name__\xffup\xffjob\xffnode\xff", 21) == 0);
    /* Keys of different label sets differ even when concatenations agree. */
    aug_label l2[] = {{{"a", 1}, {"bc", 2}}};
    aug_label l3[] = {{{"ab", 2}, {"c", 1}}};
    wire_series s2 = {.labels = l2, .nlabels = 1}, s3 = {.labels = l3, .nlabels = 1};
    CHECK_EQ_I64(wire_series_finish(a, &s2, 0, &lim, false, &eb), AUG_OK);
    CHECK_EQ_I64(wire_series_finish(a, &s3, 0, &lim, false, &eb), AUG_OK);
    CHECK(s2.key.len == s3.key.len && memcmp(s2.key.p, s3.key.p, s2.key.len) != 0);
    CHECK(s2.hash.lo != s3.hash.lo || s2.hash.hi != s3.hash.hi);
    /* An arena that cannot hold the key: ETOOBIG. */
    util_arena *small = util_arena_new(8);
    CHECK_EQ_I64(wire_series_finish(small, &s, 5, &lim, false, &eb), AUG_ETOOBIG);
    CHECK(strstr(eb.msg, "label key: request arena cap reached") != NULL);
    util_arena_free(small);
    util_arena_free(a);
}

/* wire_labels_validate: labels in any order give the key a sorted
 * WriteRequest would; rules are reported without a series index. */
static void test_labels_validate(void)
{
    util_arena *a = util_arena_new(1 << 20);
    wire_limits lim = wire_limits_default();
    aug_errbuf eb = {{0}};
    aug_label ls[] = {{{"job", 3}, {"node", 4}}, {{"__name__", 8}, {"up", 2}}};
    wire_series s;
    CHECK_EQ_I64(wire_labels_validate(a, ls, 2, &lim, &s, &eb), AUG_OK);
    CHECK_EQ_I64(s.nlabels, 2);
    CHECK(s.key.len == 21 && memcmp(s.key.p, "__name__\xffup\xffjob\xffnode\xff", 21) == 0);
    CHECK(s.hash.lo == util_hash128_of(s.key.p, s.key.len).lo);
    CHECK_EQ_I64(s.nsamples, 0);

    aug_label dup[] = {{{"job", 3}, {"a", 1}}, {{"__name__", 8}, {"up", 2}}, {{"job", 3}, {"b", 1}}};
    CHECK_EQ_I64(wire_labels_validate(a, dup, 3, &lim, &s, &eb), AUG_EMALFORMED);
    CHECK_STR(eb.msg, "duplicate label \"job\"");
    aug_label badname[] = {{{"1x", 2}, {"a", 1}}};
    CHECK_EQ_I64(wire_labels_validate(a, badname, 1, &lim, &s, &eb), AUG_EMALFORMED);
    CHECK_STR(eb.msg, "label 0: invalid name \"1x\"");
    aug_label badmetric[] = {{{"__name__", 8}, {"a-b", 3}}};
    CHECK_EQ_I64(wire_labels_validate(a, badmetric, 1, &lim, &s, &eb), AUG_EMALFORMED);
    CHECK_STR(eb.msg, "invalid metric name \"a-b\"");
    CHECK_EQ_I64(wire_labels_validate(a, badmetric, 0, &lim, &s, &eb), AUG_EMALFORMED);
    CHECK_STR(eb.msg, "no labels");
    lim.max_labels = 2;
    CHECK_EQ_I64(wire_labels_validate(a, dup, 3, &lim, &s, &eb), AUG_ETOOBIG);
    CHECK_STR(eb.msg, "3 labels, limit 2");
    util_arena_free(a);
}

/* A label name the store cannot index (its posting key holds the name
 * whole, at most 255 bytes) is refused here, whatever max_label_bytes says:
 * found only at the commit, it failed the whole group commit, so other
 * requests committed with it got an error too. */
static void test_long_name_refused_at_decode(void)
{
    util_arena *a = util_arena_new(1 << 20);
    wire_limits lim = wire_limits_default(); /* 16 KiB names and values */
    aug_errbuf eb = {{0}};
    char name[300];
    memset(name, 'n', sizeof name);
    aug_label ok[] = {{{"__name__", 8}, {"up", 2}}, {{name, 255}, {"v", 1}}};
    wire_series s = {.labels = ok, .nlabels = 2};
    CHECK_EQ_I64(wire_series_finish(a, &s, 0, &lim, false, &eb), AUG_OK);
    aug_label bad[] = {{{"__name__", 8}, {"up", 2}}, {{name, 256}, {"v", 1}}};
    s = (wire_series){.labels = bad, .nlabels = 2};
    CHECK_EQ_I64(wire_series_finish(a, &s, 3, &lim, false, &eb), AUG_ETOOBIG);
    CHECK_STR(eb.msg, "series 3: label 1: name is 256 bytes, limit 255");
    /* A smaller configured limit still names itself. */
    lim.max_label_bytes = 100;
    s = (wire_series){.labels = bad, .nlabels = 2};
    CHECK_EQ_I64(wire_series_finish(a, &s, 0, &lim, false, &eb), AUG_ETOOBIG);
    CHECK_STR(eb.msg, "series 0: label 1: name is 256 bytes, limit 100");
    util_arena_free(a);
}

CHECK_MAIN(CHECK_CASE(test_utf8_exhaustive), CHECK_CASE(test_quote), CHECK_CASE(test_series_finish_direct),
           CHECK_CASE(test_labels_validate), CHECK_CASE(test_long_name_refused_at_decode))
