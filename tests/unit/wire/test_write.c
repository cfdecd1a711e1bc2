/* Unit tests for src/wire/write.c and labels.c: WriteRequest encode/decode
 * round trips, every label rule with its message, protobuf structure errors,
 * limits, NaN bits, and differential checks against protobuf-c. */
#include "util/common.h"
#include "util/arena.h"
#include "util/assert.h"
#include "util/bits.h"
#include "util/mem.h"
#include "wire/wire.h"
#include "wire/wire_int.h"

#include "../check.h"
#include "pbc_ref.h"
#include "pbw.h"

#define ARENA_CAP ((size_t)64 << 20)

static aug_str S(const char *s)
{
    return (aug_str){s, strlen(s)};
}

static bool str_eq(aug_str a, const char *b)
{
    return a.len == strlen(b) && memcmp(a.p, b, a.len) == 0;
}

/* Decodes a snappy body with `lim`; the arena is returned for freeing. */
static aug_err decode_body(const uint8_t *p, size_t n, const wire_limits *lim, util_arena **a,
                           wire_write_req *out, aug_errbuf *eb)
{
    *a = util_arena_new(ARENA_CAP);
    AUG_ASSERT(*a != NULL);
    eb->msg[0] = '\0';
    return wire_write_decode(*a, (aug_bytes){p, n}, lim, out, eb);
}

/* Compresses raw protobuf bytes and decodes them. */
static aug_err decode_pb(const pbw *pb, const wire_limits *lim, util_arena **a, wire_write_req *out,
                         aug_errbuf *eb)
{
    pbw z;
    pbw_snappy(pb, &z);
    aug_err err = decode_body(z.p, z.len, lim, a, out, eb);
    pbw_free(&z);
    return err;
}

/* Encodes one series with these labels (as given, even if invalid) through
 * wire_write_encode, preceded by `before` valid series, and decodes. */
static aug_err decode_labels(const aug_label *ls, size_t n, size_t before, aug_errbuf *eb)
{
    wire_series ss[8];
    aug_sample smp = {.ts_ms = 1000, .value = 1.0};
    static const aug_label ok[] = {{{"__name__", 2}, {"up", 2}}, {{"job", 3}, {"node", 4}}};
    AUG_ASSERT(before < 7);
    for (size_t i = 0; i < before; i++)
        ss[i] = (wire_series){.labels = ok, .nlabels = 2, .samples = &smp, .nsamples = 1};
    ss[before] = (wire_series){.labels = ls, .nlabels = n, .samples = &smp, .nsamples = 1};
    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(ss, before + 1, &body, &len), AUG_OK);
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_write_req req;
    aug_err err = decode_body(body, len, &lim, &a, &req, eb);
    if (err == AUG_OK)
        CHECK_EQ_I64(req.nseries, before + 1);
    util_arena_free(a);
    aug_free(body);
    return err;
}

static void expect(aug_err got, aug_err want, const aug_errbuf *eb, const char *frag, int line)
{
    if (got != want || strstr(eb->msg, frag) == NULL) {
        fprintf(stderr, "line %d: want %s with \"%s\", got %s: \"%s\"\n", line, aug_strerror(want), frag,
                aug_strerror(got), eb->msg);
        check_failed_in_test = 1;
    }
}
#define EXPECT(got, want, eb, frag) expect((got), (want), (eb), (frag), __LINE__)

static void test_roundtrip_and_key(void)
{
    aug_label l0[] = {{S("__name__"), S("up")}, {S("job"), S("node")}};
    aug_label l1[] = {{S("__name__"), S("node_cpu_seconds_total")}, {S("cpu"), S("3")},
                      {S("instance"), S("10.0.12.34:9100")}, {S("mode"), S("idle")}};
    aug_sample s0[] = {{.ts_ms = 1700000000000, .value = 1.0}};
    aug_sample s1[] = {{.ts_ms = 1700000000000, .value = 12345.678}, {.ts_ms = 1700000015000, .value = 12346.5},
                       {.ts_ms = -5, .value = 0.25}};
    wire_series in[] = {{.labels = l0, .nlabels = 2, .samples = s0, .nsamples = 1},
                        {.labels = l1, .nlabels = 4, .samples = s1, .nsamples = 3}};
    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(in, 2, &body, &len), AUG_OK);
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_write_req r;
    aug_errbuf eb;
    CHECK_EQ_I64(decode_body(body, len, &lim, &a, &r, &eb), AUG_OK);
    CHECK_EQ_I64(r.nseries, 2);
    CHECK_EQ_I64(r.nsamples, 4);
    static const uint8_t key0[] = {'_', '_', 'n', 'a', 'm', 'e', '_', '_', 0xff, 'u', 'p', 0xff,
                                   'j', 'o', 'b', 0xff, 'n', 'o', 'd', 'e', 0xff};
    CHECK_EQ_I64(r.series[0].key.len, sizeof key0);
    CHECK(memcmp(r.series[0].key.p, key0, sizeof key0) == 0);
    for (size_t i = 0; i < 2; i++) {
        const wire_series *s = &r.series[i];
        CHECK_EQ_I64(s->nlabels, in[i].nlabels);
        for (size_t j = 0; j < s->nlabels && j < in[i].nlabels; j++) {
            CHECK(s->labels[j].name.len == in[i].labels[j].name.len &&
                  memcmp(s->labels[j].name.p, in[i].labels[j].name.p, s->labels[j].name.len) == 0);
            CHECK(s->labels[j].value.len == in[i].labels[j].value.len &&
                  memcmp(s->labels[j].value.p, in[i].labels[j].value.p, s->labels[j].value.len) == 0);
        }
        CHECK_EQ_I64(s->nsamples, in[i].nsamples);
        for (size_t j = 0; j < s->nsamples && j < in[i].nsamples; j++) {
            CHECK_EQ_I64(s->samples[j].ts_ms, in[i].samples[j].ts_ms);
            CHECK(util_f64_bits(s->samples[j].value) == util_f64_bits(in[i].samples[j].value));
        }
        util_hash128 h = util_hash128_of(s->key.p, s->key.len);
        CHECK(h.lo == s->hash.lo && h.hi == s->hash.hi);
    }
    CHECK(r.series[0].hash.lo != r.series[1].hash.lo);
    util_arena_free(a);
    aug_free(body);
}

static void test_nan_bits_preserved(void)
{
    static const uint64_t vals[] = {
        0x7ff0000000000002ULL, /* Prometheus staleness marker */
        0x7ff8000000000001ULL, /* quiet NaN with payload */
        0xfff8000000000000ULL, /* negative NaN */
        0x7ff0000000000000ULL, /* +Inf */
        0xfff0000000000000ULL, /* -Inf */
        0x8000000000000000ULL, /* -0.0 */
        0x0000000000000001ULL, /* smallest denormal */
        0x0000000000000000ULL, /* +0.0: omitted on the wire, decodes as 0 */
    };
    aug_label l[] = {{S("__name__"), S("x")}};
    aug_sample smp[AUG_ARRAY_LEN(vals)];
    for (size_t i = 0; i < AUG_ARRAY_LEN(vals); i++)
        smp[i] = (aug_sample){.ts_ms = (int64_t)i, .value = util_bits_f64(vals[i])};
    wire_series s = {.labels = l, .nlabels = 1, .samples = smp, .nsamples = AUG_ARRAY_LEN(vals)};
    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(&s, 1, &body, &len), AUG_OK);
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_write_req r;
    aug_errbuf eb;
    CHECK_EQ_I64(decode_body(body, len, &lim, &a, &r, &eb), AUG_OK);
    CHECK_EQ_I64(r.series[0].nsamples, AUG_ARRAY_LEN(vals));
    for (size_t i = 0; i < AUG_ARRAY_LEN(vals) && i < r.series[0].nsamples; i++) {
        CHECK(util_f64_bits(r.series[0].samples[i].value) == vals[i]);
        CHECK_EQ_I64(r.series[0].samples[i].ts_ms, (int64_t)i);
    }
    util_arena_free(a);
    aug_free(body);

    /* The same staleness marker written by hand, fields in reverse order. */
    pbw ts = {0}, smpw = {0}, req = {0};
    pbw_label(&ts, "__name__", "x");
    pbw_tag(&smpw, 2, 0);
    pbw_varint(&smpw, 77);
    pbw_fixed64(&smpw, 1, 0x7ff0000000000002ULL);
    pbw_msg(&ts, 2, &smpw);
    pbw_msg(&req, 1, &ts);
    CHECK_EQ_I64(decode_pb(&req, &lim, &a, &r, &eb), AUG_OK);
    CHECK(util_f64_bits(r.series[0].samples[0].value) == 0x7ff0000000000002ULL);
    CHECK_EQ_I64(r.series[0].samples[0].ts_ms, 77);
    util_arena_free(a);
    pbw_free(&req);
}

static void test_empty_request(void)
{
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_write_req r = {.nseries = 99};
    aug_errbuf eb;
    static const uint8_t empty_block[] = {0x00}; /* snappy: length 0, no elements */
    CHECK_EQ_I64(decode_body(empty_block, 1, &lim, &a, &r, &eb), AUG_OK);
    CHECK_EQ_I64(r.nseries, 0);
    CHECK_EQ_I64(r.nsamples, 0);
    CHECK(r.series == NULL);
    util_arena_free(a);

    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(NULL, 0, &body, &len), AUG_OK);
    CHECK_EQ_I64(len, 1);
    CHECK_EQ_I64(body[0], 0);
    aug_free(body);

    /* An empty HTTP body is not a snappy block. */
    EXPECT(decode_body(empty_block, 0, &lim, &a, &r, &eb), AUG_EMALFORMED, &eb, "truncated length header");
    util_arena_free(a);
}

#define LBL(n, v) {{n, sizeof(n) - 1}, {v, sizeof(v) - 1}}

static void test_label_rules(void)
{
    aug_errbuf eb;
    {
        EXPECT(decode_labels(NULL, 0, 2, &eb), AUG_EMALFORMED, &eb, "series 2: no labels");
    }
    {
        aug_label l[] = {LBL("", "x")};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "series 0: label 0: empty name");
    }
    {
        aug_label l[] = {LBL("1abc", "x")};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "series 0: label 0: invalid name \"1abc\"");
    }
    {
        aug_label l[] = {LBL("__name__", "up"), LBL("a-b", "x")};
        EXPECT(decode_labels(l, 2, 1, &eb), AUG_EMALFORMED, &eb, "series 1: label 1: invalid name \"a-b\"");
    }
    {
        aug_label l[] = {LBL("a:b", "x")}; /* colons only in metric names */
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "invalid name \"a:b\"");
    }
    {
        aug_label l[] = {LBL("na\xc3\xa9me", "x")}; /* non-ASCII name, shown escaped */
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "invalid name \"na\\xc3\\xa9me\"");
    }
    {
        aug_label l[] = {LBL("__name__", "1up")};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "series 0: invalid metric name \"1up\"");
    }
    {
        aug_label l[] = {LBL("__name__", "up-down")};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "invalid metric name \"up-down\"");
    }
    {
        aug_label l[] = {LBL("zone", "a"), LBL("job", "b")};
        EXPECT(decode_labels(l, 2, 3, &eb), AUG_EMALFORMED, &eb, "series 3: labels not sorted: \"job\" after \"zone\"");
    }
    {
        aug_label l[] = {LBL("ab", "1"), LBL("a", "2")}; /* a prefix sorts first */
        EXPECT(decode_labels(l, 2, 0, &eb), AUG_EMALFORMED, &eb, "labels not sorted: \"a\" after \"ab\"");
    }
    {
        aug_label l[] = {LBL("Zeta", "1"), LBL("alpha", "2")}; /* byte order: 'Z' < 'a' */
        CHECK_EQ_I64(decode_labels(l, 2, 0, &eb), AUG_OK);
    }
    {
        aug_label l[] = {LBL("__name__", "up"), LBL("job", "a"), LBL("job", "b")};
        EXPECT(decode_labels(l, 3, 0, &eb), AUG_EMALFORMED, &eb, "series 0: duplicate label \"job\"");
    }
    {
        aug_label l[] = {LBL("__name__", "up"), LBL("job", "")};
        EXPECT(decode_labels(l, 2, 0, &eb), AUG_EMALFORMED, &eb, "series 0: label \"job\": empty value");
    }
    {
        aug_label l[] = {LBL("job", "ab\0c")};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "label \"job\": value contains a NUL byte at 2");
    }
    static const char *bad_utf8[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* lead byte past F4 */
        "\xe2\x82",         /* truncated */
        "\x80",             /* lone continuation */
        "\xff",             /* never in UTF-8 */
        "ok\xc3(",          /* bad continuation */
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad_utf8); i++) {
        aug_label l[] = {{S("v"), S(bad_utf8[i])}};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "label \"v\": value is not valid UTF-8 (byte");
    }
    {
        aug_label l[] = {{S("v"), S("ok\xc3(")}};
        EXPECT(decode_labels(l, 1, 0, &eb), AUG_EMALFORMED, &eb, "(byte 2)");
    }
    static const char *good_utf8[] = {
        "\xc3\xa9t\xc3\xa9",   /* été */
        "\xe6\x97\xa5\xe6\x9c\xac", /* 日本 */
        "\xf0\x9f\x98\x80",   /* U+1F600 */
        "\xed\x9f\xbf",       /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",       /* U+E000, just above */
        "\xf4\x8f\xbf\xbf",   /* U+10FFFF */
        "a long ascii value that spans several eight-byte words, then \xc2\xa9",
    };
    for (size_t i = 0; i < AUG_ARRAY_LEN(good_utf8); i++) {
        aug_label l[] = {{S("v"), S(good_utf8[i])}};
        CHECK_EQ_I64(decode_labels(l, 1, 0, &eb), AUG_OK);
    }
    {
        aug_label l[] = {LBL("__name__", "job:rate5m:sum"), LBL("_x", "1"), LBL("job", "n")};
        CHECK_EQ_I64(decode_labels(l, 3, 0, &eb), AUG_OK);
    }
    {
        aug_label l[] = {LBL("instance", "a"), LBL("job", "b")}; /* no __name__: allowed */
        CHECK_EQ_I64(decode_labels(l, 2, 0, &eb), AUG_OK);
    }
}

static void test_limits(void)
{
    aug_label l[] = {LBL("__name__", "up"), LBL("a", "1"), LBL("b", "2")};
    aug_sample smp[3] = {{1, 1.0}, {2, 2.0}, {3, 3.0}};
    wire_series ss[4];
    for (size_t i = 0; i < 4; i++)
        ss[i] = (wire_series){.labels = l, .nlabels = 3, .samples = smp, .nsamples = 3};
    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(ss, 4, &body, &len), AUG_OK);
    util_arena *a;
    wire_write_req r;
    aug_errbuf eb;

    wire_limits lim = wire_limits_default();
    lim.max_series = 4;
    lim.max_labels = 3;
    lim.max_samples = 12;
    lim.max_label_bytes = 8;
    CHECK_EQ_I64(decode_body(body, len, &lim, &a, &r, &eb), AUG_OK); /* exactly at every limit */
    util_arena_free(a);

    lim = wire_limits_default();
    lim.max_series = 3;
    EXPECT(decode_body(body, len, &lim, &a, &r, &eb), AUG_ETOOBIG, &eb, "request has more than 3 series");
    util_arena_free(a);

    lim = wire_limits_default();
    lim.max_labels = 2;
    EXPECT(decode_body(body, len, &lim, &a, &r, &eb), AUG_ETOOBIG, &eb, "series 0: 3 labels, limit 2");
    util_arena_free(a);

    lim = wire_limits_default();
    lim.max_samples = 11;
    EXPECT(decode_body(body, len, &lim, &a, &r, &eb), AUG_ETOOBIG, &eb, "series 3: request has more than 11 samples");
    util_arena_free(a);

    lim = wire_limits_default();
    lim.max_label_bytes = 7;
    EXPECT(decode_body(body, len, &lim, &a, &r, &eb), AUG_ETOOBIG, &eb, "series 0: label 0: name is 8 bytes, limit 7");
    util_arena_free(a);

    lim = wire_limits_default();
    lim.max_decoded_bytes = 10;
    EXPECT(decode_body(body, len, &lim, &a, &r, &eb), AUG_ETOOBIG, &eb, "exceeds limit 10");
    util_arena_free(a);

    /* The arena cap is a limit too: ETOOBIG, not ENOMEM. */
    lim = wire_limits_default();
    a = util_arena_new(600);
    EXPECT(wire_write_decode(a, (aug_bytes){body, len}, &lim, &r, &eb), AUG_ETOOBIG, &eb,
           "request arena cap reached");
    util_arena_free(a);
    aug_free(body);

    aug_label lv[] = {LBL("job", "0123456789")};
    EXPECT(decode_labels(lv, 1, 0, &eb), AUG_OK, &eb, "");
    lim = wire_limits_default();
    wire_series one = {.labels = lv, .nlabels = 1, .samples = smp, .nsamples = 1};
    CHECK_EQ_I64(wire_write_encode(&one, 1, &body, &len), AUG_OK);
    lim.max_label_bytes = 9;
    EXPECT(decode_body(body, len, &lim, &a, &r, &eb), AUG_ETOOBIG, &eb, "label \"job\": value is 10 bytes, limit 9");
    util_arena_free(a);
    aug_free(body);
}

/* Raw protobuf shapes: structure errors with offsets, and valid oddities. */
static void test_protobuf_structure(void)
{
    wire_limits lim = wire_limits_default();
    util_arena *a;
    wire_write_req r;
    aug_errbuf eb;
    pbw pb = {0}, ts = {0}, l = {0}, s = {0};

#define RUN(want, frag) \
    do { \
        EXPECT(decode_pb(&pb, &lim, &a, &r, &eb), want, &eb, frag); \
        util_arena_free(a); \
        pbw_free(&pb); \
    } while (0)

    pbw_byte(&pb, 0x8a); /* tag varint cut short */
    RUN(AUG_EMALFORMED, "protobuf: WriteRequest: truncated tag varint at offset 0");

    for (int i = 0; i < 10; i++)
        pbw_byte(&pb, 0xff);
    pbw_byte(&pb, 0x01);
    RUN(AUG_EMALFORMED, "WriteRequest: overlong tag varint");

    pbw_byte(&pb, 0x02); /* field 0 */
    pbw_byte(&pb, 0x00);
    RUN(AUG_EMALFORMED, "invalid field number 0");

    pbw_tag(&pb, 1, 0); /* timeseries as a varint */
    pbw_varint(&pb, 1);
    RUN(AUG_EMALFORMED, "WriteRequest.timeseries has wire type 0, want 2 at offset 0");

    pbw_tag(&pb, 5, 3); /* start group */
    RUN(AUG_EMALFORMED, "groups (wire type 3) are not supported");

    pbw_tag(&pb, 5, 4); /* end group */
    RUN(AUG_EMALFORMED, "groups (wire type 4) are not supported");

    pbw_tag(&pb, 5, 7);
    RUN(AUG_EMALFORMED, "invalid wire type 7");

    pbw_tag(&pb, 1, 2); /* series claims 100 bytes, 3 follow */
    pbw_varint(&pb, 100);
    pbw_raw(&pb, "abc", 3);
    RUN(AUG_EMALFORMED, "field 1: length 100 exceeds the 3 bytes left at offset 0");

    pbw_tag(&pb, 1, 2); /* length varint near 2^64 */
    pbw_varint(&pb, UINT64_MAX - 3);
    RUN(AUG_EMALFORMED, "exceeds the 0 bytes left");

    /* Inside series 1: a label whose length passes the end of its series. */
    pbw_label(&ts, "__name__", "up");
    pbw_msg(&pb, 1, &ts);
    pbw_label(&ts, "__name__", "up");
    pbw_tag(&ts, 1, 2);
    pbw_varint(&ts, 50);
    pbw_raw(&ts, "0123456789", 10);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "series 1: protobuf: TimeSeries: field 1: length 50 exceeds the 10 bytes left");

    /* A name length that passes the end of its label. */
    pbw_tag(&l, 1, 2);
    pbw_varint(&l, 9);
    pbw_raw(&l, "job", 3);
    pbw_msg(&ts, 1, &l);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "series 0: protobuf: Label: field 1: length 9 exceeds the 3 bytes left");

    pbw_tag(&ts, 1, 0); /* labels as a varint */
    pbw_varint(&ts, 7);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "TimeSeries.labels has wire type 0, want 2");

    pbw_label(&ts, "__name__", "up");
    pbw_tag(&ts, 2, 5); /* samples as a fixed32 */
    pbw_raw(&ts, "abcd", 4);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "TimeSeries.samples has wire type 5, want 2");

    pbw_tag(&l, 1, 1); /* name as a fixed64 */
    pbw_raw(&l, "abcdefgh", 8);
    pbw_msg(&ts, 1, &l);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "Label.name has wire type 1, want 2");

    pbw_label(&ts, "__name__", "up");
    pbw_tag(&s, 1, 0); /* value as a varint */
    pbw_varint(&s, 5);
    pbw_msg(&ts, 2, &s);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "Sample.value has wire type 0, want 1");

    pbw_label(&ts, "__name__", "up");
    pbw_fixed64(&s, 2, 5); /* timestamp as a fixed64 */
    pbw_msg(&ts, 2, &s);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "Sample.timestamp has wire type 1, want 0");

    pbw_label(&ts, "__name__", "up");
    pbw_tag(&s, 1, 1); /* value cut after 3 of 8 bytes */
    pbw_raw(&s, "abc", 3);
    pbw_msg(&ts, 2, &s);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "Sample: field 1: truncated 8-byte value");

    pbw_label(&ts, "__name__", "up");
    pbw_tag(&s, 2, 0); /* timestamp varint cut short */
    pbw_byte(&s, 0x80);
    pbw_msg(&ts, 2, &s);
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "Sample: field 2: truncated varint");

    pbw_label(&ts, "__name__", "up");
    pbw_tag(&ts, 9, 3); /* a group inside a series */
    pbw_msg(&pb, 1, &ts);
    RUN(AUG_EMALFORMED, "series 0: protobuf: TimeSeries: field 9: groups");

    /* Valid oddities: unknown fields of every wire type at every level,
     * fields out of order, repeated singular fields (last wins), defaults. */
    pbw_tag(&pb, 2, 0); /* reserved field 2 as a varint */
    pbw_varint(&pb, 12345);
    pbw_bytes(&pb, 3, "metadata", 8);
    pbw_tag(&pb, 15, 5);
    pbw_raw(&pb, "wxyz", 4);
    pbw_fixed64(&pb, 1000, 42);
    pbw_tag(&s, 2, 0);
    pbw_varint(&s, (uint64_t)(int64_t)-1700000000000); /* negative: 10-byte varint */
    pbw_bytes(&s, 3, "x", 1);
    pbw_msg(&ts, 2, &s);
    pbw_str(&l, 1, "wrong");
    pbw_str(&l, 2, "node");
    pbw_str(&l, 1, "job"); /* last name wins */
    pbw_tag(&l, 7, 0);
    pbw_varint(&l, 1);
    pbw_bytes(&ts, 3, "exemplar", 8);
    pbw_label(&ts, "__name__", "up");
    pbw_msg(&ts, 1, &l);
    pbw_bytes(&ts, 4, "histogram", 9);
    pbw_msg(&ts, 2, &s); /* empty sample: value 0, timestamp 0 */
    pbw_msg(&pb, 1, &ts);
    EXPECT(decode_pb(&pb, &lim, &a, &r, &eb), AUG_OK, &eb, "");
    CHECK_EQ_I64(r.nseries, 1);
    CHECK_EQ_I64(r.nsamples, 2);
    if (r.nseries == 1 && r.series[0].nlabels == 2 && r.series[0].nsamples == 2) {
        CHECK(str_eq(r.series[0].labels[1].name, "job"));
        CHECK(str_eq(r.series[0].labels[1].value, "node"));
        CHECK_EQ_I64(r.series[0].samples[0].ts_ms, -1700000000000);
        CHECK(util_f64_bits(r.series[0].samples[0].value) == 0);
        CHECK_EQ_I64(r.series[0].samples[1].ts_ms, 0);
    }
    util_arena_free(a);
    pbw_free(&pb);

    /* A series with labels but no samples (e.g. histogram-only) is kept. */
    pbw_label(&ts, "__name__", "h");
    pbw_bytes(&ts, 4, "histogram", 9);
    pbw_msg(&pb, 1, &ts);
    EXPECT(decode_pb(&pb, &lim, &a, &r, &eb), AUG_OK, &eb, "");
    CHECK_EQ_I64(r.nseries, 1);
    CHECK_EQ_I64(r.series[0].nsamples, 0);
    util_arena_free(a);
    pbw_free(&pb);
#undef RUN
}

/* A tag written in `nbytes` bytes (padded with 0x80 continuation bytes,
 * then 0x00): the same field, not in its shortest form. */
static void long_tag(pbw *w, uint32_t field, unsigned wt, int nbytes)
{
    uint64_t v = (uint64_t)field << 3 | wt;
    for (int i = 0; i < nbytes - 1; i++, v >>= 7)
        pbw_byte(w, (uint8_t)(v & 0x7f) | 0x80);
    pbw_byte(w, (uint8_t)v);
}

/* An unknown varint field whose tag takes 5, 6 or 10 bytes, at each level
 * (0 WriteRequest, 1 TimeSeries, 2 Label, 3 Sample). wire/ skips it at every
 * length (any varint up to 10 bytes, as gogoproto does); protobuf-c reads
 * tags of at most 5 bytes, so the fuzzer's oracle (pbc_ref_has_long_prefix)
 * must see the longer ones and only those (fuzz_write_request trapped on
 * a 10-byte tag in a TimeSeries before it did). */
static void test_long_tags_against_protobuf_c(void)
{
    static const int lens[] = {5, 6, 10};
    wire_limits lim = wire_limits_default();
    for (int level = 0; level < 4; level++) {
        for (size_t k = 0; k < AUG_ARRAY_LEN(lens); k++) {
            pbw pb = {0}, ts = {0}, l = {0}, smp = {0};
            pbw_str(&l, 1, "__name__");
            pbw_str(&l, 2, "up");
            pbw_fixed64(&smp, 1, util_f64_bits(2.5));
            pbw_tag(&smp, 2, 0);
            pbw_varint(&smp, 1700000000000);
            pbw *at = level == 0 ? &pb : level == 1 ? &ts : level == 2 ? &l : &smp;
            long_tag(at, 15, 0, lens[k]);
            pbw_varint(at, 7);
            pbw_msg(&ts, 1, &l);
            pbw_msg(&ts, 2, &smp);
            pbw_msg(&pb, 1, &ts);

            util_arena *a;
            wire_write_req r;
            aug_errbuf eb;
            EXPECT(decode_pb(&pb, &lim, &a, &r, &eb), AUG_OK, &eb, "");
            CHECK_EQ_I64(r.nseries, 1);
            CHECK_EQ_I64(r.nsamples, 1);
            bool long_tag_seen = pbc_ref_has_long_prefix(pb.p, pb.len, 0);
            if (long_tag_seen != (lens[k] > 5))
                fprintf(stderr, "level %d, %d-byte tag: oracle exemption %d\n", level, lens[k], long_tag_seen);
            CHECK(long_tag_seen == (lens[k] > 5));
            if (lens[k] <= 5) { /* protobuf-c reads it: the same request */
                pbw z;
                pbw_snappy(&pb, &z);
                util_arena *b = util_arena_new(ARENA_CAP);
                wire_write_req r2;
                aug_errbuf eb2;
                CHECK_EQ_I64(pbc_ref_write_decode(b, (aug_bytes){z.p, z.len}, &lim, &r2, &eb2), AUG_OK);
                CHECK(pbc_ref_same_req(&r, &r2));
                util_arena_free(b);
                pbw_free(&z);
            }
            util_arena_free(a);
            pbw_free(&pb);
        }
    }
}

/* ---- random requests, checked against protobuf-c ---- */

static const char *const names[] = {"__name__", "az", "cluster", "cpu", "instance", "job", "mode", "namespace",
                                    "pod", "service", "zone"};
static const char *const values[] = {
    "node", "idle", "10.0.12.34:9100", "kube-system", "x", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80",
    "node_cpu_seconds_total", "a value that is rather longer than the usual eight bytes", "\xed\xa0\x80" /* bad */,
    "up-down" /* bad as a metric name */};

static void random_series(aug_label *ls, size_t *nl, aug_sample *sm, size_t *ns)
{
    static const char *const metrics[] = {"up", "node_cpu_seconds_total", "job:rate5m", "http_requests_total"};
    size_t n = 1 + check_rand() % 8, k = 0;
    /* A random sorted subset of names with valid values... */
    ls[k++] = (aug_label){S("__name__"), S(metrics[check_rand() % AUG_ARRAY_LEN(metrics)])};
    for (size_t i = 1; i < AUG_ARRAY_LEN(names) && k < n; i++)
        if (check_rand() % 2)
            ls[k++] = (aug_label){S(names[i]), S(values[check_rand() % (AUG_ARRAY_LEN(values) - 2)])};
    /* ...and, once in 50 series, one fault. */
    if (check_rand() % 50 == 0) {
        switch (check_rand() % 4) {
        case 0:
            ls[0].value = S("up-down");
            break;
        case 1:
            ls[k - 1].value = S(values[AUG_ARRAY_LEN(values) - 1]); /* surrogate */
            break;
        case 2:
            if (k >= 2) {
                aug_label t = ls[0];
                ls[0] = ls[1];
                ls[1] = t;
            } else {
                k = 0; /* no labels */
            }
            break;
        default:
            ls[k - 1].value = S("");
            break;
        }
    }
    *nl = k;
    *ns = check_rand() % 4;
    for (size_t i = 0; i < *ns; i++) {
        uint64_t r = check_rand();
        double v = r % 7 == 0 ? util_bits_f64(0x7ff0000000000002ULL) : (double)(int64_t)(r >> 20) / 1000.0;
        sm[i] = (aug_sample){.ts_ms = (int64_t)(check_rand() >> 22) - (1LL << 40), .value = v};
    }
}

static void test_random_against_protobuf_c(void)
{
    enum { ROUNDS = 300, MAXS = 20 };
    aug_label ls[MAXS][16];
    aug_sample sm[MAXS][4];
    wire_series ss[MAXS];
    wire_limits lim = wire_limits_default();
    int accepted = 0, rejected = 0, mutated_ok = 0;
    for (int round = 0; round < ROUNDS; round++) {
        size_t n = check_rand() % MAXS;
        for (size_t i = 0; i < n; i++) {
            size_t nl, ns;
            random_series(ls[i], &nl, sm[i], &ns);
            ss[i] = (wire_series){.labels = ls[i], .nlabels = nl, .samples = sm[i], .nsamples = ns};
        }
        uint8_t *body, *ref;
        size_t len, reflen;
        CHECK_EQ_I64(wire_write_encode(ss, n, &body, &len), AUG_OK);
        CHECK_EQ_I64(pbc_ref_write_encode(ss, n, &ref, &reflen), AUG_OK);
        /* Same protobuf bytes as protobuf-c (compare before snappy). */
        util_arena *a = util_arena_new(ARENA_CAP), *b = util_arena_new(ARENA_CAP);
        aug_bytes x, y;
        aug_errbuf eb, eb2;
        CHECK_EQ_I64(wire_snappy_decode(a, (aug_bytes){body, len}, SIZE_MAX, &x, &eb), AUG_OK);
        CHECK_EQ_I64(wire_snappy_decode(b, (aug_bytes){ref, reflen}, SIZE_MAX, &y, &eb), AUG_OK);
        CHECK(x.len == y.len && memcmp(x.p, y.p, x.len) == 0);

        wire_write_req r1, r2;
        aug_err e1 = wire_write_decode(a, (aug_bytes){body, len}, &lim, &r1, &eb);
        aug_err e2 = pbc_ref_write_decode(b, (aug_bytes){body, len}, &lim, &r2, &eb2);
        CHECK_EQ_I64(e1, e2);
        if (e1 == AUG_OK && e2 == AUG_OK) {
            CHECK(pbc_ref_same_req(&r1, &r2));
            accepted++;
        } else {
            CHECK_STR(eb.msg, eb2.msg); /* label errors come from the same validator */
            rejected++;
        }
        util_arena_free(a);
        util_arena_free(b);

        /* Flip a few bytes of the protobuf: whatever the hand-rolled decoder
         * accepts, protobuf-c must accept with the same result. */
        for (int m = 0; m < 8 && x.len > 0; m++) {
            pbw pb = {0}, z;
            util_arena *c = util_arena_new(ARENA_CAP);
            aug_bytes raw;
            CHECK_EQ_I64(wire_snappy_decode(c, (aug_bytes){body, len}, SIZE_MAX, &raw, &eb), AUG_OK);
            pbw_raw(&pb, raw.p, raw.len);
            for (int f = 0; f < 1 + m % 3; f++)
                pb.p[check_rand() % pb.len] ^= (uint8_t)(1u << (check_rand() % 8));
            pbw_snappy(&pb, &z);
            util_arena *a2 = util_arena_new(ARENA_CAP), *b2 = util_arena_new(ARENA_CAP);
            e1 = wire_write_decode(a2, (aug_bytes){z.p, z.len}, &lim, &r1, &eb);
            if (e1 == AUG_OK) {
                /* We skip exemplars and histograms unparsed; protobuf-c
                 * parses exemplars, so compare without them. */
                pbw stripped = {0}, z2;
                CHECK(pbc_ref_strip_exemplars(pb.p, pb.len, &stripped));
                pbw_snappy(&stripped, &z2);
                e2 = pbc_ref_write_decode(b2, (aug_bytes){z2.p, z2.len}, &lim, &r2, &eb2);
                pbw_free(&stripped);
                pbw_free(&z2);
                CHECK_EQ_I64(e2, AUG_OK);
                CHECK(e2 != AUG_OK || pbc_ref_same_req(&r1, &r2));
                mutated_ok++;
            }
            util_arena_free(a2);
            util_arena_free(b2);
            util_arena_free(c);
            pbw_free(&pb);
            pbw_free(&z);
        }
        aug_free(body);
        aug_free(ref);
    }
    /* The generator must exercise both outcomes. */
    fprintf(stderr, "  %d accepted, %d rejected, %d mutations accepted\n", accepted, rejected, mutated_ok);
    CHECK(accepted > ROUNDS / 4);
    CHECK(rejected > ROUNDS / 20);
    CHECK(mutated_ok > 0);
}

/* Arena bytes used per decoded byte, for the typical shape and the two
 * worst cases; wire.h documents these bounds for sizing the arena cap. */
static double arena_ratio(const wire_series *ss, size_t n, size_t *decoded)
{
    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(ss, n, &body, &len), AUG_OK);
    wire_limits lim = wire_limits_default();
    util_arena *a = util_arena_new(SIZE_MAX);
    aug_bytes raw;
    CHECK_EQ_I64(wire_snappy_decode(a, (aug_bytes){body, len}, SIZE_MAX, &raw, NULL), AUG_OK);
    *decoded = raw.len;
    util_arena_free(a);
    a = util_arena_new(SIZE_MAX);
    wire_write_req r;
    CHECK_EQ_I64(wire_write_decode(a, (aug_bytes){body, len}, &lim, &r, NULL), AUG_OK);
    double ratio = (double)util_arena_used(a) / (double)*decoded;
    CHECK(util_arena_used(a) <= 14 * *decoded + ((size_t)64 << 10)); /* the documented bound */
    util_arena_free(a);
    aug_free(body);
    return ratio;
}

static void test_arena_use(void)
{
    enum { N = 2000 };
    static wire_series ss[N];
    static aug_label ls[N][8];
    static char pods[N][32];
    static aug_sample one = {1700000000000, 42.5}, empty[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(pods[i], sizeof pods[i], "app-%zu-5d8f7c9b4-xk2lp", i % 40);
        aug_label l[8] = {{S("__name__"), S("container_cpu_usage_seconds_total")}, {S("container"), S("app")},
                          {S("instance"), S("10.1.22.133:9100")}, {S("job"), S("kubelet")}, {S("mode"), S("user")},
                          {S("namespace"), S("payments")}, {S("pod"), S(pods[i])}, {S("service"), S("svc-12")}};
        memcpy(ls[i], l, sizeof l);
        ss[i] = (wire_series){.labels = ls[i], .nlabels = 8, .samples = &one, .nsamples = 1};
    }
    size_t dec;
    double typical = arena_ratio(ss, N, &dec);
    fprintf(stderr, "  typical (8 labels, 1 sample): %.2f arena bytes per decoded byte (%zu decoded)\n", typical, dec);
    CHECK(typical > 3.0 && typical < 4.5);

    static const aug_label tiny[] = {{{"a", 1}, {"b", 1}}};
    for (size_t i = 0; i < N; i++)
        ss[i] = (wire_series){.labels = tiny, .nlabels = 1, .samples = NULL, .nsamples = 0};
    double worst = arena_ratio(ss, N, &dec);
    fprintf(stderr, "  worst (one 1-byte label, no samples): %.2f\n", worst);
    CHECK(worst > 10.0);

    ss[0] = (wire_series){.labels = tiny, .nlabels = 1, .samples = empty, .nsamples = N}; /* empty samples */
    double samples = arena_ratio(ss, 1, &dec);
    fprintf(stderr, "  empty samples: %.2f\n", samples);
}

/* Every allocation failure ends in a clean AUG_ENOMEM (ASan checks leaks). */
static void test_alloc_failures(void)
{
    aug_label l[] = {LBL("__name__", "up"), LBL("job", "node")};
    aug_sample smp[] = {{1, 1.0}};
    wire_series ss[300];
    for (size_t i = 0; i < 300; i++)
        ss[i] = (wire_series){.labels = l, .nlabels = 2, .samples = smp, .nsamples = 1};
    uint8_t *body;
    size_t len;
    CHECK_EQ_I64(wire_write_encode(ss, 300, &body, &len), AUG_OK);
    wire_limits lim = wire_limits_default();
    bool done = false;
    for (long n = 0; n < 100 && !done; n++) {
        util_arena *a = util_arena_new(ARENA_CAP);
        aug_mem_fail_after(n);
        wire_write_req r;
        aug_errbuf eb;
        aug_err err = wire_write_decode(a, (aug_bytes){body, len}, &lim, &r, &eb);
        long failures = aug_mem_failures();
        aug_mem_fail_reset();
        if (err == AUG_OK) {
            CHECK_EQ_I64(failures, 0);
            CHECK_EQ_I64(r.nseries, 300);
            done = true;
        } else {
            CHECK_EQ_I64(err, AUG_ENOMEM);
        }
        util_arena_free(a);
        uint8_t *o = NULL;
        size_t ol;
        aug_mem_fail_after(0);
        CHECK_EQ_I64(wire_write_encode(ss, 300, &o, &ol), AUG_ENOMEM);
        aug_mem_fail_reset();
    }
    CHECK(done);
    aug_free(body);
}

CHECK_MAIN(CHECK_CASE(test_roundtrip_and_key), CHECK_CASE(test_nan_bits_preserved), CHECK_CASE(test_empty_request),
           CHECK_CASE(test_label_rules), CHECK_CASE(test_limits), CHECK_CASE(test_protobuf_structure),
           CHECK_CASE(test_long_tags_against_protobuf_c), CHECK_CASE(test_random_against_protobuf_c),
           CHECK_CASE(test_arena_use), CHECK_CASE(test_alloc_failures))
