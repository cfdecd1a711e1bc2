/* test_json.c — util_json_escape and util_json_buf: exact output bytes. */
#include "util/common.h"
#include "util/json.h"
#include "util/mem.h"

#include "../check.h"

#define FFFD "\xEF\xBF\xBD"

/* Escapes the n bytes of in with a roomy buffer and compares exactly. */
static void expect(const char *in, size_t n, const char *want)
{
    char out[256];
    size_t used = 99;
    size_t w = util_json_escape(out, sizeof out, in, n, &used);
    CHECK_STR(out, want);
    CHECK_EQ_I64(w, strlen(want));
    CHECK_EQ_I64(used, n);
}

#define EXPECT(lit, want) expect(lit, sizeof lit - 1, want)

static void test_escape_quotes_backslashes_controls(void)
{
    EXPECT("", "");
    EXPECT("plain ascii ~{}", "plain ascii ~{}");
    EXPECT("a\"b\\c", "a\\\"b\\\\c");
    EXPECT("\x01\n\t\r\x1f", "\\u0001\\u000a\\u0009\\u000d\\u001f");
    EXPECT("a\0b", "a\\u0000b");
    EXPECT("del\x7f", "del\x7f"); /* JSON needs no escape for 0x7f */
    EXPECT("/tmp/we\"ird\\dir\x01", "/tmp/we\\\"ird\\\\dir\\u0001");
}

/* Well-formed UTF-8 passes through; each maximal ill-formed subpart is one
 * U+FFFD (the expected bytes are Python's bytes.decode("utf-8", "replace")). */
static void test_escape_utf8(void)
{
    EXPECT("\xC3\xA9\xE2\x86\x92\xF0\x9D\x84\x9E", "\xC3\xA9\xE2\x86\x92\xF0\x9D\x84\x9E"); /* é→𝄞 */
    EXPECT("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF");                                         /* U+10FFFF */
    EXPECT("\x80", FFFD);                                         /* lone continuation */
    EXPECT("\xFF", FFFD);                                         /* never in UTF-8 */
    EXPECT("\xC0\xAF", FFFD FFFD);                                /* overlong '/' */
    EXPECT("\xE0\x80\xAF", FFFD FFFD FFFD);                       /* overlong, 3 bytes */
    EXPECT("\xE2\x82" "A", FFFD "A");                             /* cut, then ASCII */
    EXPECT("\xE2\x82\xE2\x86\x92", FFFD "\xE2\x86\x92");          /* cut, then a character */
    EXPECT("\xED\xA0\x80", FFFD FFFD FFFD);                       /* surrogate U+D800 */
    EXPECT("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);              /* above U+10FFFF */
    EXPECT("x\xF0\x9D\x84", "x" FFFD);                            /* cut by the end */
    EXPECT("\"\xFF\"", "\\\"" FFFD "\\\"");
}

/* A small buffer cuts between escapes and characters, never inside. */
static void test_escape_cuts_whole_units(void)
{
    char out[8];
    size_t used;
    memset(out, 'X', sizeof out);
    CHECK_EQ_I64(util_json_escape(out, 4, "ab\"", 3, &used), 2); /* \" needs 2 + NUL */
    CHECK_STR(out, "ab");
    CHECK_EQ_I64(used, 2);
    CHECK_EQ_I64(util_json_escape(out, 3, "a\xE2\x86\x92", 4, &used), 1);
    CHECK_STR(out, "a");
    CHECK_EQ_I64(used, 1);
    CHECK_EQ_I64(util_json_escape(out, 6, "\x01", 1, &used), 0); /* \u0001 needs 6 + NUL */
    CHECK_EQ_I64(used, 0);
    CHECK_EQ_I64(util_json_escape(out, 7, "\x01", 1, &used), 6);
    CHECK_STR(out, "\\u0001");
    out[0] = 'X';
    CHECK_EQ_I64(util_json_escape(out, 0, "a", 1, &used), 0);
    CHECK(out[0] == 'X'); /* cap 0 writes nothing, not even the NUL */
    CHECK_EQ_I64(used, 0);
    CHECK_EQ_I64(util_json_escape(out, sizeof out, "a", 1, NULL), 1);
}

/* Resuming at `used` with fresh buffers gives the one-shot result. */
static void test_escape_resumes(void)
{
    static const char in[] = "q\"\\\x01\xC3\xA9\xFF\xE2\x86\x92z\xF0\x9D\x84\x9E\n";
    char whole[128], part[7];
    util_json_escape(whole, sizeof whole, in, sizeof in - 1, NULL);
    char joined[128] = "";
    size_t at = 0, jl = 0;
    while (at < sizeof in - 1) {
        size_t used;
        size_t w = util_json_escape(part, sizeof part, in + at, sizeof in - 1 - at, &used);
        CHECK(used > 0);
        if (used == 0)
            break;
        memcpy(joined + jl, part, w);
        jl += w;
        joined[jl] = '\0';
        at += used;
    }
    CHECK_STR(joined, whole);
    CHECK_STR(whole, "q\\\"\\\\\\u0001\xC3\xA9" FFFD "\xE2\x86\x92z\xF0\x9D\x84\x9E\\u000a");
}

static void test_buf_builds_and_hands_over(void)
{
    util_json_buf b = {.max = 1 << 20};
    util_json_buf_lit(&b, "{\"p\":");
    util_json_buf_cstr(&b, "a\"b\\\x1f");
    util_json_buf_fmt(&b, ",\"n\":%d,\"x\":", 42);
    util_json_buf_num(&b, 0.5);
    util_json_buf_lit(&b, ",\"nan\":");
    util_json_buf_num(&b, (double)NAN);
    util_json_buf_lit(&b, ",\"s\":");
    util_json_buf_str(&b, "a\0b", 3);
    util_json_buf_lit(&b, "}");
    char *out = NULL;
    size_t len = 0;
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_OK);
    CHECK_STR(out, "{\"p\":\"a\\\"b\\\\\\u001f\",\"n\":42,\"x\":0.5,\"nan\":null,\"s\":\"a\\u0000b\"}");
    CHECK_EQ_I64(len, strlen(out));
    CHECK(b.p == NULL && b.len == 0 && b.max == 1 << 20);
    aug_free(out);

    /* an empty text is "" */
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_OK);
    CHECK_STR(out, "");
    CHECK_EQ_I64(len, 0);
    aug_free(out);

    /* a long string goes through several escape rounds */
    char big[10000];
    memset(big, '"', sizeof big);
    util_json_buf_str(&b, big, sizeof big);
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_OK);
    CHECK_EQ_I64(len, 2 + 2 * sizeof big);
    CHECK(out[0] == '"' && out[1] == '\\' && out[2] == '"' && out[len - 1] == '"');
    aug_free(out);
}

/* max counts the text exactly; past it everything is refused as ETOOBIG. */
static void test_buf_max_and_failures(void)
{
    util_json_buf b = {.max = 8};
    util_json_buf_str(&b, "abc\"", 4); /* "abc\"" is 8 bytes: fits exactly */
    char *out = NULL;
    size_t len = 0;
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_OK);
    CHECK_STR(out, "\"abc\\\"\"");
    aug_free(out);

    util_json_buf_str(&b, "abcde\"", 6); /* 9 bytes */
    CHECK_EQ_I64(b.err, AUG_ETOOBIG);
    util_json_buf_lit(&b, "x"); /* ignored after a failure */
    out = NULL;
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_ETOOBIG);
    CHECK(out == NULL);

    util_json_buf_fmt(&b, "%s", "123456789");
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_ETOOBIG);

    b.max = 1 << 20;
    aug_mem_fail_after(0);
    util_json_buf_lit(&b, "x");
    aug_mem_fail_reset();
    CHECK_EQ_I64(b.err, AUG_ENOMEM);
    CHECK_EQ_I64(util_json_buf_take(&b, &out, &len), AUG_ENOMEM);
    CHECK_EQ_I64(aug_mem_used(), 0);
}

CHECK_MAIN(CHECK_CASE(test_escape_quotes_backslashes_controls), CHECK_CASE(test_escape_utf8),
           CHECK_CASE(test_escape_cuts_whole_units), CHECK_CASE(test_escape_resumes),
           CHECK_CASE(test_buf_builds_and_hands_over), CHECK_CASE(test_buf_max_and_failures))
