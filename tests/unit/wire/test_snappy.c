/* Unit tests for src/wire/snappy.c: hand-made blocks for every element
 * kind, every error with its reason, and random blocks checked against
 * libsnappy (same verdict, same output). */
#include "util/common.h"
#include "util/arena.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <snappy-c.h>

#include "../check.h"

static aug_err dec(const uint8_t *p, size_t n, size_t max, aug_bytes *out, util_arena **a, aug_errbuf *eb)
{
    *a = util_arena_new((size_t)64 << 20);
    eb->msg[0] = '\0';
    return wire_snappy_decode(*a, (aug_bytes){p, n}, max, out, eb);
}

static void expect(const uint8_t *p, size_t n, aug_err want, const char *frag, int line)
{
    util_arena *a;
    aug_bytes out;
    aug_errbuf eb;
    aug_err got = dec(p, n, (size_t)1 << 20, &out, &a, &eb);
    if (got != want || strstr(eb.msg, frag) == NULL) {
        fprintf(stderr, "line %d: want %s with \"%s\", got %s: \"%s\"\n", line, aug_strerror(want), frag,
                aug_strerror(got), eb.msg);
        check_failed_in_test = 1;
    }
    util_arena_free(a);
}
#define EXPECT(arr, want, frag) expect((arr), sizeof(arr), (want), (frag), __LINE__)

static void expect_ok(const uint8_t *p, size_t n, const char *want, size_t wantlen, int line)
{
    util_arena *a;
    aug_bytes out;
    aug_errbuf eb;
    aug_err got = dec(p, n, (size_t)1 << 20, &out, &a, &eb);
    if (got != AUG_OK || out.len != wantlen || memcmp(out.p, want, wantlen) != 0) {
        fprintf(stderr, "line %d: decode failed or differs: %s\n", line, eb.msg);
        check_failed_in_test = 1;
    }
    util_arena_free(a);
}
#define EXPECT_OK(arr, s) expect_ok((arr), sizeof(arr), (s), sizeof(s) - 1, __LINE__)

static void test_elements(void)
{
    /* The worked example of snappy.c: literal "a", copy L=9 offset=1. */
    static const uint8_t ex[] = {0x0a, 0x00, 'a', 0x15, 0x01};
    EXPECT_OK(ex, "aaaaaaaaaa");
    static const uint8_t empty[] = {0x00};
    EXPECT_OK(empty, "");
    /* Literal with a 1-byte length (60 → L-1 in next byte). */
    static const uint8_t lit1[] = {0x03, 60 << 2, 0x02, 'a', 'b', 'c'};
    EXPECT_OK(lit1, "abc");
    /* Literal with 2-, 3- and 4-byte lengths. */
    static const uint8_t lit2[] = {0x02, 61 << 2, 0x01, 0x00, 'x', 'y'};
    EXPECT_OK(lit2, "xy");
    static const uint8_t lit3[] = {0x01, 62 << 2, 0x00, 0x00, 0x00, 'z'};
    EXPECT_OK(lit3, "z");
    static const uint8_t lit4[] = {0x01, 63 << 2, 0x00, 0x00, 0x00, 0x00, 'w'};
    EXPECT_OK(lit4, "w");
    /* Copy with 2-byte offset: "abcd" + copy L=4 off=4. */
    static const uint8_t c2[] = {0x08, 0x0c, 'a', 'b', 'c', 'd', (3 << 2) | 2, 0x04, 0x00};
    EXPECT_OK(c2, "abcdabcd");
    /* Copy with 4-byte offset, overlapping: "ab" + copy L=6 off=2. */
    static const uint8_t c4[] = {0x08, 0x04, 'a', 'b', (5 << 2) | 3, 0x02, 0, 0, 0};
    EXPECT_OK(c4, "abababab");
    /* Copy with 1-byte offset and high offset bits: 300 'q'-ish bytes is
     * long; use a 260-byte literal then copy 4 from offset 258. */
    uint8_t big[3 + 3 + 260 + 2];
    size_t o = 0;
    big[o++] = 0x88; /* varint 264 = 0x108 */
    big[o++] = 0x02;
    big[o++] = 61 << 2; /* literal, L-1 in 2 bytes */
    big[o++] = 0x03;    /* 259 = 0x103 */
    big[o++] = 0x01;
    char want[264];
    for (size_t i = 0; i < 260; i++)
        big[o++] = (uint8_t)(want[i] = (char)('A' + i % 26));
    big[o++] = (uint8_t)(1 | (0 << 2) | (1 << 5)); /* L=4, offset high bits 1 */
    big[o++] = 2;                                  /* offset 258 */
    memcpy(want + 260, want + 2, 4);
    expect_ok(big, o, want, 264, __LINE__);
}

static void test_errors(void)
{
    static const uint8_t none[1] = {0};
    expect(none, 0, AUG_EMALFORMED, "snappy: truncated length header (0 bytes)", __LINE__);
    static const uint8_t hdr_cut[] = {0x80, 0x80};
    EXPECT(hdr_cut, AUG_EMALFORMED, "truncated length header");
    static const uint8_t hdr_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    EXPECT(hdr_long, AUG_EMALFORMED, "longer than 5 bytes");
    static const uint8_t hdr_big[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    EXPECT(hdr_big, AUG_EMALFORMED, "exceeds 2^32-1");
    /* 1 MiB + 1 declared, cap 1 MiB: refused before allocating. */
    static const uint8_t over_cap[] = {0x81, 0x80, 0x40};
    EXPECT(over_cap, AUG_ETOOBIG, "declared decoded length 1048577 exceeds limit 1048576");
    /* 100000 declared by a 4-byte block: impossible, refused before allocating. */
    static const uint8_t impossible[] = {0xa0, 0x8d, 0x06, 0x00};
    EXPECT(impossible, AUG_EMALFORMED, "declared length 100000 is impossible for 1 compressed bytes");
    /* Header says 5, data gives 3. */
    static const uint8_t short_out[] = {0x05, 0x08, 'a', 'b', 'c'};
    EXPECT(short_out, AUG_EMALFORMED, "input ends after 3 bytes, header declared 5");
    /* Header says 2, data gives 3. */
    static const uint8_t long_out[] = {0x02, 0x08, 'a', 'b', 'c'};
    EXPECT(long_out, AUG_EMALFORMED, "element at offset 1 writes past the declared length 2");
    /* Trailing element after the declared length is reached. */
    static const uint8_t trailing[] = {0x01, 0x00, 'a', 0x00, 'b'};
    EXPECT(trailing, AUG_EMALFORMED, "element at offset 3 writes past the declared length 1");
    static const uint8_t lit_cut[] = {0x05, 0x10, 'a', 'b'};
    EXPECT(lit_cut, AUG_EMALFORMED, "literal of 5 bytes at offset 1 runs past the input (2 left)");
    static const uint8_t litlen_cut[] = {0x05, 62 << 2, 0x04};
    EXPECT(litlen_cut, AUG_EMALFORMED, "element at offset 1 truncated");
    static const uint8_t c1_cut[] = {0x05, 0x00, 'a', 0x01};
    EXPECT(c1_cut, AUG_EMALFORMED, "element at offset 3 truncated");
    static const uint8_t c2_cut[] = {0x05, 0x00, 'a', 0x02, 0x01};
    EXPECT(c2_cut, AUG_EMALFORMED, "element at offset 3 truncated");
    static const uint8_t c4_cut[] = {0x05, 0x00, 'a', 0x03, 0x01, 0x00};
    EXPECT(c4_cut, AUG_EMALFORMED, "element at offset 3 truncated");
    static const uint8_t off0[] = {0x05, 0x00, 'a', (3 << 2) | 2, 0x00, 0x00};
    EXPECT(off0, AUG_EMALFORMED, "copy at offset 3 reaches 0 bytes back, only 1 decoded");
    static const uint8_t off_far[] = {0x05, 0x00, 'a', (3 << 2) | 2, 0x02, 0x00};
    EXPECT(off_far, AUG_EMALFORMED, "reaches 2 bytes back, only 1 decoded");
    static const uint8_t copy_first[] = {0x04, 0x01, 0x01};
    EXPECT(copy_first, AUG_EMALFORMED, "only 0 decoded");
    static const uint8_t copy_over[] = {0x03, 0x00, 'a', (3 << 2) | 2, 0x01, 0x00};
    EXPECT(copy_over, AUG_EMALFORMED, "writes past the declared length 3");

    /* The arena cap: ETOOBIG even though the block is fine. */
    static const uint8_t ok[] = {0x0a, 0x00, 'a', 0x15, 0x01};
    util_arena *a = util_arena_new(8);
    aug_bytes out;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(wire_snappy_decode(a, (aug_bytes){ok, sizeof ok}, 100, &out, &eb), AUG_ETOOBIG);
    CHECK(strstr(eb.msg, "request arena cap reached") != NULL);
    util_arena_free(a);
}

static uint8_t *random_data(size_t n, unsigned alphabet)
{
    uint8_t *p = aug_malloc(n ? n : 1);
    for (size_t i = 0; i < n;) {
        uint64_t r = check_rand();
        if (r % 4 == 0 && i >= 16) { /* repeat an earlier run: gives copies */
            size_t back = 1 + (r >> 8) % AUG_MIN(i, (size_t)70000), run = 1 + (r >> 32) % 80;
            for (size_t k = 0; k < run && i < n; k++, i++)
                p[i] = p[i - back];
        } else {
            p[i++] = (uint8_t)('a' + (r >> 16) % alphabet);
        }
    }
    return p;
}

static void test_random_roundtrip_vs_libsnappy(void)
{
    static const size_t sizes[] = {0, 1, 15, 16, 17, 63, 64, 65, 1000, 4096, 65535, 65536, 65537, 200000};
    for (size_t si = 0; si < AUG_ARRAY_LEN(sizes); si++) {
        for (unsigned alpha = 1; alpha <= 256; alpha *= 4) {
            size_t n = sizes[si];
            uint8_t *src = random_data(n, alpha);
            uint8_t *z;
            size_t zlen;
            CHECK_EQ_I64(wire_snappy_encode((aug_bytes){src, n}, &z, &zlen), AUG_OK);
            util_arena *a;
            aug_bytes out;
            aug_errbuf eb;
            CHECK_EQ_I64(dec(z, zlen, n, &out, &a, &eb), AUG_OK);
            CHECK(out.len == n && memcmp(out.p, src, n) == 0);
            util_arena_free(a);
            /* One byte short of the cap is too big. */
            if (n > 0) {
                CHECK_EQ_I64(dec(z, zlen, n - 1, &out, &a, &eb), AUG_ETOOBIG);
                util_arena_free(a);
            }
            aug_free(z);
            aug_free(src);
        }
    }
}

/* Mutated blocks: our verdict and output must match libsnappy's. */
static void test_mutations_vs_libsnappy(void)
{
    int valid = 0, invalid = 0;
    for (int round = 0; round < 3000; round++) {
        size_t n = check_rand() % 3000;
        uint8_t *src = random_data(n, 1 + (unsigned)(check_rand() % 64));
        uint8_t *z;
        size_t zlen;
        CHECK_EQ_I64(wire_snappy_encode((aug_bytes){src, n}, &z, &zlen), AUG_OK);
        int flips = (int)(check_rand() % 3);
        for (int f = 0; f < flips; f++)
            z[check_rand() % zlen] ^= (uint8_t)(1u << (check_rand() % 8));
        if (check_rand() % 5 == 0)
            zlen -= check_rand() % (zlen + 1); /* truncate */
        uint8_t *exact = aug_malloc(zlen ? zlen : 1); /* exact size: ASan sees over-reads */
        if (zlen)
            memcpy(exact, z, zlen);
        size_t ulen = 0;
        bool lib_ok = snappy_validate_compressed_buffer((const char *)exact, zlen) == SNAPPY_OK &&
                      snappy_uncompressed_length((const char *)exact, zlen, &ulen) == SNAPPY_OK;
        util_arena *a;
        aug_bytes out;
        aug_errbuf eb;
        aug_err err = dec(exact, zlen, SIZE_MAX, &out, &a, &eb);
        CHECK_EQ_I64(err == AUG_OK, lib_ok);
        if (err != AUG_OK)
            CHECK(strncmp(eb.msg, "snappy: ", 8) == 0);
        if (err == AUG_OK && lib_ok) {
            char *ref = aug_malloc(ulen ? ulen : 1);
            size_t rl = ulen;
            CHECK(snappy_uncompress((const char *)exact, zlen, ref, &rl) == SNAPPY_OK);
            CHECK(rl == out.len && memcmp(ref, out.p, rl) == 0);
            aug_free(ref);
            valid++;
        } else {
            invalid++;
        }
        util_arena_free(a);
        aug_free(exact);
        aug_free(z);
        aug_free(src);
    }
    CHECK(valid > 300 && invalid > 300);
}

CHECK_MAIN(CHECK_CASE(test_elements), CHECK_CASE(test_errors), CHECK_CASE(test_random_roundtrip_vs_libsnappy),
           CHECK_CASE(test_mutations_vs_libsnappy))
