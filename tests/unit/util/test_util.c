/* Unit tests for src/util: error table, arena caps and cleanups, allocator
 * fault injection, hashing spread, log formatting. */
#include "util/common.h"
#include "util/arena.h"
#include "util/crc32.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/mem.h"

#include "../check.h"

static void test_every_error_has_message(void)
{
    char sym[32];
    for (int e = 0; e < AUG_ERR__COUNT; e++) {
        const char *m = aug_strerror((aug_err)e);
        CHECK(strncmp(m, "AUG_", 4) == 0);
        CHECK(strstr(m, ": ") != NULL);
        snprintf(sym, sizeof sym, "%.*s", (int)(strchr(m, ':') - m), m);
        CHECK(strcmp(sym, "AUG_E?") != 0);
    }
    CHECK_STR(aug_strerror((aug_err)999), "AUG_E?: unknown error");
}

/* Every error code has a row in README's error table (CONVENTIONS 4). */
static void test_every_error_in_readme(void)
{
    const char *src = getenv("AUG_SRCDIR");
    CHECK(src != NULL);
    if (src == NULL)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", src);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    for (int e = 0; e < AUG_ERR__COUNT; e++) {
        const char *m = aug_strerror((aug_err)e);
        char row[48];
        snprintf(row, sizeof row, "| `%.*s` |", (int)(strchr(m, ':') - m), m);
        if (strstr(text, row) == NULL) {
            fprintf(stderr, "README.md lacks the row %s\n", row);
            CHECK(0);
        }
    }
}

static void test_crc32_check_value(void)
{
    CHECK_EQ_I64(util_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    CHECK_EQ_I64(util_crc32(NULL, 0), 0);
}

static void test_errf_formats_detail(void)
{
    aug_errbuf eb = {{0}};
    aug_err e = aug_errf(&eb, AUG_EMALFORMED, "bad varint at %d", 17);
    CHECK_EQ_I64(e, AUG_EMALFORMED);
    CHECK_STR(eb.msg, "bad varint at 17");
    CHECK_STR(aug_errmsg(&eb, e), "bad varint at 17");
    aug_errbuf empty = {{0}};
    CHECK_STR(aug_errmsg(&empty, AUG_EIO), aug_strerror(AUG_EIO));
}

static int cleanup_order[4];
static int cleanup_n;
static void record_cleanup(void *arg)
{
    cleanup_order[cleanup_n++] = *(int *)arg;
}

static void test_arena_cap_and_cleanup(void)
{
    util_arena *a = util_arena_new(1000);
    CHECK(a != NULL);
    void *p = util_arena_alloc(a, 500);
    CHECK(p != NULL);
    CHECK(!util_arena_overflowed(a));
    CHECK(util_arena_alloc(a, 600) == NULL);
    CHECK(util_arena_overflowed(a));
    static int one = 1, two = 2;
    cleanup_n = 0;
    CHECK(util_arena_on_free(a, record_cleanup, &one));
    CHECK(util_arena_on_free(a, record_cleanup, &two));
    util_arena_free(a);
    CHECK_EQ_I64(cleanup_n, 2);
    CHECK_EQ_I64(cleanup_order[0], 2);
    CHECK_EQ_I64(cleanup_order[1], 1);
}

static void test_arena_large_and_many(void)
{
    util_arena *a = util_arena_new(64u << 20);
    CHECK(a != NULL);
    /* A big block must not steal the current block's free space. */
    char *small1 = util_arena_alloc(a, 10);
    char *big = util_arena_alloc(a, 1u << 20);
    char *small2 = util_arena_alloc(a, 10);
    CHECK(small1 && big && small2);
    CHECK(small2 - small1 > 0 && small2 - small1 < 64);
    memset(big, 0xab, 1u << 20);
    for (int i = 0; i < 10000; i++)
        CHECK(util_arena_alloc(a, 100) != NULL);
    size_t used = util_arena_used(a);
    CHECK(used >= (1u << 20) + 10000 * 100);
    util_arena_reset(a);
    CHECK_EQ_I64(util_arena_used(a), 0);
    CHECK(util_arena_strndup(a, "hello", 3) != NULL);
    util_arena_free(a);
}

static void test_mem_counts_and_fails(void)
{
    int64_t before = aug_mem_used();
    void *p = aug_malloc(1000);
    CHECK(p != NULL);
    CHECK(aug_mem_used() >= before + 1000);
    aug_free(p);
    CHECK_EQ_I64(aug_mem_used(), before);

    aug_mem_fail_after(1);
    void *ok = aug_malloc(8);
    void *fail = aug_malloc(8);
    CHECK(ok != NULL);
    CHECK(fail == NULL);
    CHECK_EQ_I64(aug_mem_failures(), 1);
    aug_mem_fail_reset();
    aug_free(ok);
    void *again = aug_malloc(8);
    CHECK(again != NULL);
    aug_free(again);
}

static void test_hash_spreads_sequential_keys(void)
{
    enum { BUCKETS = 256, KEYS = 256 * 64 };
    int counts[BUCKETS] = {0};
    char key[64];
    for (int i = 0; i < KEYS; i++) {
        int n = snprintf(key, sizeof key, "__name__\xffup\xffinstance\xffhost-%d:9100", i);
        counts[util_hash64(key, (size_t)n, 1) % BUCKETS]++;
    }
    for (int b = 0; b < BUCKETS; b++)
        CHECK(counts[b] > 64 / 2 && counts[b] < 64 * 2);
    util_hash128 x = util_hash128_of("abc", 3), y = util_hash128_of("abd", 3);
    CHECK(x.lo != y.lo && x.hi != y.hi && x.lo != x.hi);

    /* Both halves of the 128-bit hash spread realistic series keys: lo's low
     * bits index the ingest series table, hi's are compared with it. */
    int clo[BUCKETS] = {0}, chi[BUCKETS] = {0};
    char k2[160];
    for (int i = 0; i < KEYS; i++) {
        int n = snprintf(k2, sizeof k2,
                         "__name__\xffrwload_metric_%d\xff" "instance\xffhost-%06d.example.internal:9100\xff"
                         "job\xffrwload\xff",
                         i % 100, i / 100);
        util_hash128 h = util_hash128_of(k2, (size_t)n);
        clo[h.lo % BUCKETS]++;
        chi[h.hi % BUCKETS]++;
    }
    for (int b = 0; b < BUCKETS; b++)
        CHECK(clo[b] > 64 / 2 && clo[b] < 64 * 2 && chi[b] > 64 / 2 && chi[b] < 64 * 2);
}

static int popcount64(uint64_t v)
{
    return __builtin_popcountll(v);
}

/* util_hash128_of reads every byte once (one pass, several tail paths by
 * length): every length from 0 to 200 over zero bytes hashes differently,
 * and flipping any single bit of a key changes both halves, about half of
 * their bits on average (avalanche). */
static void test_hash128_lengths_and_bit_flips(void)
{
    unsigned char buf[200];
    memset(buf, 0, sizeof buf);
    util_hash128 seen[201];
    for (size_t n = 0; n <= 200; n++) {
        seen[n] = util_hash128_of(buf, n);
        for (size_t m = 0; m < n; m++)
            CHECK(seen[m].lo != seen[n].lo && seen[m].hi != seen[n].hi);
    }
    long flips = 0, changed = 0;
    for (size_t n = 1; n <= 200; n += (n < 40 ? 1 : 13)) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(i * 131 + n);
        util_hash128 h0 = util_hash128_of(buf, n);
        for (size_t bit = 0; bit < n * 8; bit++) {
            buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            util_hash128 h1 = util_hash128_of(buf, n);
            buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            CHECK(h1.lo != h0.lo && h1.hi != h0.hi);
            changed += popcount64(h1.lo ^ h0.lo) + popcount64(h1.hi ^ h0.hi);
            flips++;
        }
    }
    double avg = (double)changed / (double)flips; /* of 128 bits */
    CHECK(avg > 60.0 && avg < 68.0);
}

static void test_log_logfmt_and_json(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, f, NULL);
    LOG_DEBUG("t", "hidden");
    LOG_INFO("t", "hello world", "n", LOG_I64(42), "s", "a=b");
    log_configure(LOG_LVL_INFO, LOG_FMT_JSON, f, NULL);
    LOG_WARN("t", "quote\"d", "k", "v");
    fflush(f);
    CHECK(strstr(buf, "hidden") == NULL);
    CHECK(strstr(buf, "level=info sub=t msg=\"hello world\" n=42 s=\"a=b\"\n") != NULL);
    CHECK(strstr(buf, "\"level\":\"warn\",\"sub\":\"t\",\"msg\":\"quote\\\"d\",\"k\":\"v\"}\n") != NULL);
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, NULL, NULL);
    fclose(f);
    free(buf);
}

/* The json format escapes with util_json_escape, and a line cut at 4 KiB
 * is still one JSON object: the long value is cut, its quote and the
 * closing brace stay, later fields are left out. */
static void test_log_json_escapes_and_cuts(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    log_configure(LOG_LVL_INFO, LOG_FMT_JSON, f, NULL);
    LOG_INFO("t", "m", "path", "/a\"b\\c\x01\n\xff");
    fflush(f);
    CHECK(strstr(buf, ",\"path\":\"/a\\\"b\\\\c\\u0001\\u000a\xEF\xBF\xBD\"}\n") != NULL);
    static char big[10000];
    memset(big, 'x', sizeof big - 1);
    size_t before = len;
    LOG_INFO("t", "m", "big", big, "after", "dropped");
    fflush(f);
    const char *l = buf + before;
    size_t ll = len - before;
    CHECK_EQ_I64(ll, 4096 - 16 + 2); /* fields fill the line up to its end's reserve, then "}\n" */
    CHECK_STR(l + ll - 4, "x\"}\n");
    CHECK(strstr(l, "\"big\":\"xxx") != NULL);
    CHECK(strstr(l, "after") == NULL);
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, NULL, NULL);
    fclose(f);
    free(buf);
}

/* The line after its "ts=... " field, which is the clock's. */
static const char *after_ts(const char *line)
{
    const char *p = strstr(line, " level=");
    return p != NULL ? p + 1 : "";
}

/* logfmt escapes like the json format (util_json_escape inside quotes, as
 * go-logfmt reads them): control bytes as \u00XX, ill-formed UTF-8 as
 * U+FFFD (and quoted, as go-logfmt does), well-formed UTF-8 as is. */
static void test_log_logfmt_escapes(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, f, NULL);
    LOG_INFO("t", "m", "path", "/a\"b\\c\x01\n\xff", "plain", "caf\xC3\xA9", "bad", "x\xC3", "slash", "a\\b",
             "empty", "");
    fflush(f);
    CHECK_STR(after_ts(buf), "level=info sub=t msg=m path=\"/a\\\"b\\\\c\\u0001\\u000a\xEF\xBF\xBD\" plain=caf\xC3\xA9 "
                             "bad=\"x\xEF\xBF\xBD\" slash=\"a\\\\b\" empty=\"\"\n");
    log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, NULL, NULL);
    fclose(f);
    free(buf);
}

/* A logfmt line cut at 4 KiB ends with " truncated=1": the value is cut at
 * a character (a quoted one keeps its closing quote), later fields are left
 * out. */
static void test_log_logfmt_cut_is_marked(void)
{
    static char big[10000];
    memset(big, 'x', sizeof big - 1);
    for (int quoted = 0; quoted < 2; quoted++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, f, NULL);
        big[0] = quoted ? ' ' : 'x';
        LOG_INFO("t", "m", "big", big, "after", "dropped");
        fflush(f);
        CHECK_EQ_I64(len, 4096 - 16 + sizeof " truncated=1\n" - 1);
        CHECK_STR(buf + len - 15, quoted ? "x\" truncated=1\n" : "xx truncated=1\n");
        CHECK(strstr(after_ts(buf), quoted ? "level=info sub=t msg=m big=\" xxx" : "level=info sub=t msg=m big=xxx") ==
              after_ts(buf));
        CHECK(strstr(buf, "after") == NULL);
        log_configure(LOG_LVL_INFO, LOG_FMT_LOGFMT, NULL, NULL);
        fclose(f);
        free(buf);
    }
}

/* check.h: a test's random sequence is its own, whatever ran before it, so
 * running one test alone reproduces what it saw in the whole file. */
static uint64_t seen_by_second;
static void draws_a_lot(void)
{
    for (int i = 0; i < 1000; i++)
        (void)check_rand();
}
static void draws_once(void)
{
    seen_by_second = check_rand();
}
static void test_check_seed_is_per_test(void)
{
    static const check_case both[] = {CHECK_CASE(draws_a_lot), CHECK_CASE(draws_once)};
    char name[] = "test";
    char *argv[] = {name, NULL};
    /* The nested runs reset check_failed_in_test, so check only after both. */
    int rc_both = check_run(both, 2, 1, argv);
    uint64_t after_other = seen_by_second;
    int rc_alone = check_run(both + 1, 1, 1, argv);
    CHECK_EQ_I64(rc_both, 0);
    CHECK_EQ_I64(rc_alone, 0);
    CHECK(seen_by_second == after_other);
}

CHECK_MAIN(CHECK_CASE(test_every_error_has_message), CHECK_CASE(test_every_error_in_readme), CHECK_CASE(test_crc32_check_value), CHECK_CASE(test_errf_formats_detail),
           CHECK_CASE(test_arena_cap_and_cleanup), CHECK_CASE(test_arena_large_and_many),
           CHECK_CASE(test_mem_counts_and_fails), CHECK_CASE(test_hash_spreads_sequential_keys),
           CHECK_CASE(test_hash128_lengths_and_bit_flips),
           CHECK_CASE(test_log_logfmt_and_json), CHECK_CASE(test_log_json_escapes_and_cuts),
           CHECK_CASE(test_log_logfmt_escapes), CHECK_CASE(test_log_logfmt_cut_is_marked),
           CHECK_CASE(test_check_seed_is_per_test))
