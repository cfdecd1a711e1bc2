/* test_utf8.c — util_utf8_next: code points at the RFC 3629 boundaries and
 * the length of each maximal ill-formed subpart. */
#include "util/common.h"
#include "util/utf8.h"

#include "../check.h"

static void next(const char *s, size_t n, size_t want_len, uint32_t want_cp)
{
    uint32_t cp = 12345;
    CHECK_EQ_I64(util_utf8_next((const uint8_t *)s, n, &cp), want_len);
    CHECK_EQ_I64(cp, want_cp);
}

#define NEXT(lit, len, cp) next(lit, sizeof lit - 1, len, cp)
#define BAD UTIL_UTF8_BAD

static void test_well_formed_boundaries(void)
{
    NEXT("\0", 1, 0);
    NEXT("\x7F", 1, 0x7F);
    NEXT("\xC2\x80", 2, 0x80);
    NEXT("\xDF\xBF", 2, 0x7FF);
    NEXT("\xE0\xA0\x80", 3, 0x800);
    NEXT("\xED\x9F\xBF", 3, 0xD7FF);
    NEXT("\xEE\x80\x80", 3, 0xE000);
    NEXT("\xEF\xBF\xBF", 3, 0xFFFF);
    NEXT("\xF0\x90\x80\x80", 4, 0x10000);
    NEXT("\xF4\x8F\xBF\xBF", 4, 0x10FFFF);
    NEXT("\xE2\x86\x92" "rest", 3, 0x2192); /* only the first character */
}

/* Lengths are those of Unicode 15 table 3-8 (maximal subparts). */
static void test_ill_formed_subparts(void)
{
    NEXT("\x80", 1, BAD);              /* continuation */
    NEXT("\xC0\x80", 1, BAD);          /* overlong lead */
    NEXT("\xC1\xBF", 1, BAD);
    NEXT("\xF5\x80\x80\x80", 1, BAD);  /* above U+10FFFF lead */
    NEXT("\xFF", 1, BAD);
    NEXT("\xC2", 1, BAD);              /* cut by the end */
    NEXT("\xC2" "A", 1, BAD);          /* cut by ASCII */
    NEXT("\xE0\x80\x80", 1, BAD);      /* overlong: 80 is outside A0..BF */
    NEXT("\xE0\xA0", 2, BAD);
    NEXT("\xE0\xA0" "A", 2, BAD);
    NEXT("\xED\xA0\x80", 1, BAD);      /* surrogate: A0 is outside 80..9F */
    NEXT("\xF0\x80\x80\x80", 1, BAD);  /* overlong */
    NEXT("\xF0\x90\x80", 3, BAD);
    NEXT("\xF0\x90\x80" "A", 3, BAD);
    NEXT("\xF4\x90\x80\x80", 1, BAD);  /* above U+10FFFF */
    uint32_t cp = 0;
    CHECK_EQ_I64(util_utf8_next((const uint8_t *)"", 0, &cp), 0);
    CHECK_EQ_I64(cp, BAD);
}

CHECK_MAIN(CHECK_CASE(test_well_formed_boundaries), CHECK_CASE(test_ill_formed_subparts))
