/* Unit tests for the model blob (src/forecast/blob.c): the documented
 * worked example, bit-identical round trips at every stage and for every
 * model kind (predictions, state, re-encoded bytes, and what happens after
 * more points and refits), NaN bit patterns, and clear errors (never a
 * crash) for unknown versions, corrupt and truncated blobs. */
#include "util/common.h"

#include "forecast/fc_impl.h"
#include "util/mem.h"

#include "synth.h"

/* An independent bitwise CRC-32 (zlib's), to check the codec's table. */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the header's length and CRC after a test edited the payload. */
static void fix_header(uint8_t *b, size_t len)
{
    wr32(b + 8, (uint32_t)(len - 16));
    wr32(b + 12, crc32_ref(b + 16, len - 16));
}

static uint8_t *encode(const fc_model *m, size_t *len)
{
    size_t n = fc_model_blob_size(m);
    uint8_t *b = aug_malloc(n);
    CHECK(b != NULL);
    CHECK(fc_model_encode(m, b, n, len) == AUG_OK);
    CHECK(*len == n);
    return b;
}

static fc_model *decode_ok(const uint8_t *b, size_t len)
{
    fc_model *m = NULL;
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_decode((aug_bytes){b, len}, &m, &eb);
    if (e != AUG_OK)
        fprintf(stderr, "  decode: %s\n", aug_errmsg(&eb, e));
    CHECK(e == AUG_OK);
    return m;
}

static void test_crc_matches_zlib(void)
{
    CHECK_EQ_I64(crc32_ref((const uint8_t *)"123456789", 9), 0xCBF43926u);
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    size_t len;
    uint8_t *b = encode(m, &len);
    CHECK_EQ_I64(rd32(b + 12), crc32_ref(b + 16, len - 16));
    aug_free(b);
    fc_model_free(m);
}

/* The example documented above the encoder in blob.c. */
static void test_worked_example(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    size_t len;
    uint8_t *b = encode(m, &len);
    static const uint8_t head[] = {0x41, 0x55, 0x46, 0x4d, 0x02, 0x00, 0x00, 0x00};
    static const uint8_t pay[] = {0x2c, 0x01, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0, 0, 0x00, 0x00, 0xc0,
                                  0x0f, 0, 0, 0x20, 0x01, 0, 0, 0x80, 0x51, 0x01, 0, 0, 0, 0, 0};
    CHECK_EQ_I64(len, 5088);
    CHECK(memcmp(b, head, sizeof head) == 0);
    CHECK_EQ_I64(rd32(b + 8), 5072);
    CHECK_EQ_I64(rd32(b + 12), 0x7fa9bc89u);
    CHECK(memcmp(b + 16, pay, sizeof pay) == 0);
    /* Version 1 of the same model: without the season's 8 bytes. */
    uint8_t *v1 = aug_malloc(len - 8);
    CHECK(v1 != NULL);
    memcpy(v1, b, 16 + 22);
    memcpy(v1 + 16 + 22, b + 16 + 30, len - 16 - 30);
    v1[4] = 1;
    fix_header(v1, len - 8);
    CHECK_EQ_I64(rd32(v1 + 12), 0xa8f997cbu); /* the CRC version 1 documented */
    fc_model *d = decode_ok(v1, len - 8);
    size_t len2;
    uint8_t *b2 = d ? encode(d, &len2) : NULL;
    CHECK(b2 != NULL && len2 == len && memcmp(b, b2, len) == 0);
    aug_free(b2);
    fc_model_free(d);
    aug_free(v1);
    aug_free(b);
    fc_model_free(m);
}

/* Encode, decode, and compare everything observable; then feed both the
 * same further points (with the refit schedule) and compare again. */
static void check_roundtrip(fc_model *m, int64_t k_next, int32_t H)
{
    size_t len, len2;
    uint8_t *b = encode(m, &len);
    fc_model *d = decode_ok(b, len);
    if (d == NULL) {
        aug_free(b);
        return;
    }
    uint8_t *b2 = encode(d, &len2);
    CHECK(len == len2 && memcmp(b, b2, len) == 0);
    CHECK_EQ_I64(fc_model_bytes(d), fc_model_bytes(m));
    fc_status s1, s2;
    fc_model_state(m, &s1);
    fc_model_state(d, &s2);
    CHECK(memcmp(&s1, &s2, sizeof s1) == 0);
    fc_forecast *f1 = aug_malloc(sizeof(fc_forecast) * (size_t)H), *f2 = aug_malloc(sizeof(fc_forecast) * (size_t)H);
    aug_err e1 = fc_model_predict(m, H, f1), e2 = fc_model_predict(d, H, f2);
    CHECK_EQ_I64(e1, e2);
    if (e1 == AUG_OK)
        CHECK(memcmp(f1, f2, sizeof(fc_forecast) * (size_t)H) == 0);
    for (int64_t k = k_next; k < k_next + 400; k++) {
        if (k % 97 == 13)
            continue; /* a few gaps */
        double v = sine(k, 30, 8) + nrand();
        CHECK(fc_model_update(m, T0 + k * STEP, v, NULL) == AUG_OK);
        CHECK(fc_model_update(d, T0 + k * STEP, v, NULL) == AUG_OK);
        if (fc_model_refit_due(m)) {
            CHECK(fc_model_refit_due(d));
            CHECK(fc_model_refit(m) == AUG_OK && fc_model_refit(d) == AUG_OK);
        }
    }
    CHECK(fc_model_predict(m, H, f1) == AUG_OK && fc_model_predict(d, H, f2) == AUG_OK);
    CHECK(memcmp(f1, f2, sizeof(fc_forecast) * (size_t)H) == 0);
    aug_free(b);
    aug_free(b2);
    b = encode(m, &len);
    b2 = encode(d, &len2);
    CHECK(len == len2 && memcmp(b, b2, len) == 0);
    aug_free(b);
    aug_free(b2);
    aug_free(f1);
    aug_free(f2);
    fc_model_free(d);
}

static void test_roundtrip_every_stage_and_kind(void)
{
    static const int64_t stages[] = {0, 5, 40, 300, 2 * DAY + 50, 6 * DAY};
    for (int kind = 0; kind < FC_KIND_COUNT; kind++) {
        for (size_t s = 0; s < AUG_ARRAY_LEN(stages); s++) {
            fc_model *m = new_model((fc_kind)kind, STEP, DAY);
            for (int64_t k = 0; k < stages[s]; k++) {
                if (k % 211 == 17)
                    continue; /* gaps: NaN in the history */
                feed(m, k, sine(k, 30, 8) + nrand() + (k == 3 * DAY + 7 ? 80 : 0));
            }
            check_roundtrip(m, stages[s] + 3, DAY);
            fc_model_free(m);
        }
    }
}

static void test_roundtrip_hourly_and_minute(void)
{
    fc_model *h = new_model(FC_AUTO, 3600, 48);
    for (int64_t k = 0; k < 20 * 24; k++)
        CHECK(fc_model_update(h, T0 + k * 3600, 10 + sin((double)k / 3.8) + nrand(), NULL) == AUG_OK);
    CHECK(fc_model_refit(h) == AUG_OK);
    size_t len;
    uint8_t *b = encode(h, &len);
    fc_model *d = decode_ok(b, len);
    fc_forecast f1[48], f2[48];
    CHECK(d != NULL && fc_model_predict(h, 48, f1) == AUG_OK && fc_model_predict(d, 48, f2) == AUG_OK);
    CHECK(memcmp(f1, f2, sizeof f1) == 0);
    aug_free(b);
    fc_model_free(d);
    fc_model_free(h);

    fc_model *m = new_model(FC_AUTO, 60, 240);
    for (int64_t k = 0; k < 3 * 1440; k++)
        CHECK(fc_model_update(m, T0 + k * 60, sine(k / 5, 3, 1) + 0.1 * nrand(), NULL) == AUG_OK);
    b = encode(m, &len);
    d = decode_ok(b, len);
    fc_forecast g1[240], g2[240];
    CHECK(d != NULL && fc_model_predict(m, 240, g1) == AUG_OK && fc_model_predict(d, 240, g2) == AUG_OK);
    CHECK(memcmp(g1, g2, sizeof g1) == 0);
    aug_free(b);
    fc_model_free(d);
    fc_model_free(m);
}

/* A season other than the default day, and no season at all, are stored
 * and come back: same parameters, same bytes, same forecasts and the same
 * future after more points and refits. */
static void test_roundtrip_season(void)
{
    static const int64_t seasons[] = {0, 2 * 3600, 3 * 86400};
    for (size_t i = 0; i < AUG_ARRAY_LEN(seasons); i++) {
        fc_params p;
        fc_params_default(&p, STEP, 24);
        p.season_s = seasons[i];
        fc_model *m = NULL;
        CHECK(fc_model_new(&p, &m, NULL) == AUG_OK);
        if (m == NULL)
            continue;
        for (int64_t k = 0; k < 4 * DAY; k++)
            feed(m, k, sine(k, 30, 8) + nrand());
        size_t len;
        uint8_t *b = encode(m, &len);
        fc_model *d = decode_ok(b, len);
        CHECK(d != NULL && d->par.season_s == seasons[i] && d->c.p1 == m->c.p1 && d->c.p2 == m->c.p2);
        check_roundtrip(m, 4 * DAY + 3, 24);
        aug_free(b);
        fc_model_free(d);
        fc_model_free(m);
    }
}

/* Version-1 blobs written by the code before the season was stored (the
 * fuzz corpus; an hourly model with the daily season, and a daily-step one
 * where the day does not fit and only the weekly terms work) decode as a
 * season of one day and resume bit-identically: the forecasts right after
 * decoding and after 200 more points (with scheduled refits) have the bits
 * the version-1 code produced from the same blobs. One exception, by
 * design: since refits drop the replay's warm-up errors from the interval
 * rings, the hourly model's hi95 after the 200 points is 14.32, not the
 * version-1 code's 14.53 (0x402d0f32de53513a); its mean is unchanged. */
static void test_version1_blobs_resume(void)
{
    static const struct {
        const char *name;
        uint64_t first[2], later[2]; /* bits of mean at lead 1 and hi95 at max_horizon */
    } gold[] = {
        {"v1_ready_1h_auto.blob", {UINT64_C(0x4024bce404fc3d00), UINT64_C(0x402aed7a0bf38e88)},
         {UINT64_C(0x402161e747779de0), UINT64_C(0x402ca3affd4cbe30)}},
        {"v1_ready_1d_fourier.blob", {UINT64_C(0x402482de56346ee0), UINT64_C(0x40252b2127c3d0ca)},
         {UINT64_C(0x4024db84f4a8c5c0), UINT64_C(0x4030679220ced0fc)}},
    };
    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < AUG_ARRAY_LEN(gold); i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/fuzz/corpus/model_blob/%s", gold[i].name);
        size_t n = check_read_src(rel, buf, sizeof buf);
        if (n == 0)
            continue;
        CHECK(n > 16 && buf[4] == 1);
        fc_model *m = decode_ok(buf, n);
        if (m == NULL)
            continue;
        CHECK_EQ_I64(m->par.season_s, FC_SEASON_DAY);
        int32_t H = m->par.max_horizon;
        fc_forecast *fc = aug_malloc(sizeof *fc * (size_t)H);
        CHECK(fc != NULL && fc_model_predict(m, H, fc) == AUG_OK);
        uint64_t u[2];
        memcpy(&u[0], &fc[0].mean, 8);
        memcpy(&u[1], &fc[H - 1].hi95, 8);
        CHECK(u[0] == gold[i].first[0] && u[1] == gold[i].first[1]);
        int64_t last = m->last_ts, step = m->par.step_s;
        for (int k = 1; k <= 200; k++) {
            CHECK(fc_model_update(m, last + k * step, 10 + 5 * sin(k / 7.0), NULL) == AUG_OK);
            if (fc_model_refit_due(m))
                CHECK(fc_model_refit(m) == AUG_OK);
        }
        CHECK(fc_model_predict(m, H, fc) == AUG_OK);
        memcpy(&u[0], &fc[0].mean, 8);
        memcpy(&u[1], &fc[H - 1].hi95, 8);
        if (u[0] != gold[i].later[0] || u[1] != gold[i].later[1])
            fprintf(stderr, "  %s: 0x%016" PRIx64 " 0x%016" PRIx64 "\n", gold[i].name, u[0], u[1]);
        CHECK(u[0] == gold[i].later[0] && u[1] == gold[i].later[1]);
        aug_free(fc);
        fc_model_free(m);
    }
}

/* Any NaN payload in the history (e.g. Prometheus' staleness marker
 * 0x7ff0000000000002) survives decode and re-encode bit for bit. */
static void test_nan_bits_preserved(void)
{
    fc_model *m = new_model(FC_AUTO, 3600, 12);
    for (int64_t k = 0; k < 10; k++)
        CHECK(fc_model_update(m, T0 + (k < 5 ? k : k + 1) * 3600, (double)k, NULL) == AUG_OK);
    size_t len;
    uint8_t *b = encode(m, &len);
    /* The blob ends with: history (11 f64, slot 5 missing), 2 flag bytes,
     * i32 run, i32 sign. */
    size_t at = len - 8 - 2 - 11 * 8 + 5 * 8;
    uint64_t bits;
    memcpy(&bits, b + at, 8); /* little-endian host assumed by this test */
    double v;
    memcpy(&v, &bits, 8);
    CHECK(isnan(v));
    uint64_t stale = UINT64_C(0x7ff0000000000002);
    memcpy(b + at, &stale, 8);
    fix_header(b, len);
    fc_model *d = decode_ok(b, len);
    size_t len2;
    uint8_t *b2 = d ? encode(d, &len2) : NULL;
    CHECK(b2 != NULL && len2 == len && memcmp(b, b2, len) == 0);
    aug_free(b);
    aug_free(b2);
    fc_model_free(d);
    fc_model_free(m);
}

static aug_err try_decode(const uint8_t *b, size_t len, aug_errbuf *eb)
{
    fc_model *m = NULL;
    aug_err e = fc_model_decode((aug_bytes){b, len}, &m, eb);
    if (e == AUG_OK)
        fc_model_free(m);
    else
        CHECK(m == NULL);
    return e;
}

static void test_errors_are_clear(void)
{
    fc_model *m = new_model(FC_AUTO, STEP, 12);
    for (int64_t k = 0; k < 100; k++)
        feed(m, k, sine(k, 5, 1));
    size_t len;
    uint8_t *b = encode(m, &len);
    uint8_t *c = aug_malloc(len + 8);
    aug_errbuf eb = {{0}};

    uint8_t small[16];
    size_t got = 0;
    CHECK_EQ_I64(fc_model_encode(m, small, sizeof small, &got), AUG_ETOOBIG);

    memcpy(c, b, len);
    c[4] = 3; /* a future version */
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_EVERSION);
    CHECK(strstr(eb.msg, "version 3") != NULL);
    c[4] = 0;
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_EVERSION);

    memcpy(c, b, len);
    c[0] = 'X';
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_EMALFORMED);
    CHECK_EQ_I64(try_decode(b, 10, &eb), AUG_EMALFORMED);
    CHECK_EQ_I64(try_decode(b, 0, &eb), AUG_EMALFORMED);

    memcpy(c, b, len);
    c[5] = 1;
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_EUNSUPPORTED);

    CHECK_EQ_I64(try_decode(b, len - 1, &eb), AUG_EMALFORMED); /* length field disagrees */
    CHECK(strstr(eb.msg, "payload bytes") != NULL);

    memcpy(c, b, len);
    c[len / 2] ^= 0x10;
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_ECORRUPT);
    CHECK(strstr(eb.msg, "checksum") != NULL);

    /* Truncated payload with a consistent header. */
    memcpy(c, b, len);
    fix_header(c, len - 20);
    CHECK_EQ_I64(try_decode(c, len - 20, &eb), AUG_EMALFORMED);
    CHECK(strstr(eb.msg, "truncated") != NULL);

    /* Extra bytes with a consistent header. */
    memcpy(c, b, len);
    memset(c + len, 0, 8);
    fix_header(c, len + 8);
    CHECK_EQ_I64(try_decode(c, len + 8, &eb), AUG_EMALFORMED);
    CHECK(strstr(eb.msg, "after") != NULL);

    /* A valid checksum over an invalid field: the step (payload byte 0). */
    memcpy(c, b, len);
    memset(c + 16, 0, 8);
    fix_header(c, len);
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_ECORRUPT);
    CHECK(strstr(eb.msg, "step") != NULL);

    /* A season the step cannot show (1 s at a 300 s step, payload bytes
     * 22..29) is refused by name. */
    memcpy(c, b, len);
    memset(c + 16 + 22, 0, 8);
    c[16 + 22] = 1;
    fix_header(c, len);
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_ECORRUPT);
    CHECK(strstr(eb.msg, "season 1s") != NULL);

    /* has_first (payload byte 30, after the 30 bytes of params) must be 0 or 1. */
    memcpy(c, b, len);
    c[16 + 30] = 7;
    fix_header(c, len);
    CHECK_EQ_I64(try_decode(c, len, &eb), AUG_ECORRUPT);
    CHECK(strstr(eb.msg, "has_first") != NULL);

    aug_free(b);
    aug_free(c);
    fc_model_free(m);
}

/* Every single-byte change (with the checksum fixed so the parser sees it)
 * and every truncation gives AUG_OK or a clean error; a model that decodes
 * anyway can be used. Run under ASan this is a small deterministic fuzz. */
static void test_every_corruption_is_an_error_not_a_crash(void)
{
    fc_model *m = new_model(FC_AUTO, 3600, 24);
    for (int64_t k = 0; k < 3 * 24; k++)
        CHECK(fc_model_update(m, T0 + k * 3600, 5 + sin((double)k) + (k % 29 == 0 ? 40 : 0), NULL) == AUG_OK);
    CHECK(fc_model_refit(m) == AUG_OK);
    size_t len;
    uint8_t *b = encode(m, &len);
    uint8_t *c = aug_malloc(len);
    long ok = 0, bad = 0;
    static const uint8_t xors[] = {0x01, 0x80, 0xff};
    for (size_t i = 16; i < len; i++) {
        for (size_t x = 0; x < AUG_ARRAY_LEN(xors); x++) {
            memcpy(c, b, len);
            c[i] ^= xors[x];
            fix_header(c, len);
            fc_model *d = NULL;
            aug_err e = fc_model_decode((aug_bytes){c, len}, &d, NULL);
            if (e == AUG_OK) {
                fc_forecast f[24];
                fc_status st;
                CHECK(fc_model_predict(d, 24, f) == AUG_OK || d->has_first == 0);
                fc_model_state(d, &st);
                fc_model_update(d, d->last_ts + 3600, 1.0, NULL);
                fc_model_free(d);
                ok++;
            } else {
                CHECK(e == AUG_ECORRUPT || e == AUG_EMALFORMED);
                bad++;
            }
        }
    }
    for (size_t n = 0; n < len; n++) {
        memcpy(c, b, len);
        if (n >= 16)
            fix_header(c, n);
        aug_err e = try_decode(c, n, NULL);
        CHECK(e == AUG_EMALFORMED || e == AUG_ECORRUPT);
    }
    fprintf(stderr, "  %zu-byte blob: %ld edits decoded, %ld rejected\n", len, ok, bad);
    CHECK(bad > 0);
    aug_free(b);
    aug_free(c);
    fc_model_free(m);
}

/* Every allocation decode makes may fail: each failure is AUG_ENOMEM with
 * nothing leaked (ASan) and *out untouched. */
static void test_decode_enomem(void)
{
    fc_model *m = new_model(FC_AUTO, 3600, 24);
    for (int64_t k = 0; k < 50; k++)
        CHECK(fc_model_update(m, T0 + k * 3600, (double)(k % 5), NULL) == AUG_OK);
    size_t len;
    uint8_t *b = encode(m, &len);
    int ok = 0;
    for (long fail = 0; fail < 10 && !ok; fail++) {
        fc_model *d = NULL;
        aug_mem_fail_after(fail);
        aug_err e = fc_model_decode((aug_bytes){b, len}, &d, NULL);
        aug_mem_fail_reset();
        if (e == AUG_OK) {
            ok = 1;
            fc_model_free(d);
        } else {
            CHECK_EQ_I64(e, AUG_ENOMEM);
            CHECK(d == NULL);
        }
    }
    CHECK(ok);
    aug_free(b);
    fc_model_free(m);
}

CHECK_MAIN(CHECK_CASE(test_crc_matches_zlib), CHECK_CASE(test_decode_enomem), CHECK_CASE(test_worked_example),
           CHECK_CASE(test_roundtrip_every_stage_and_kind), CHECK_CASE(test_roundtrip_hourly_and_minute),
           CHECK_CASE(test_roundtrip_season), CHECK_CASE(test_version1_blobs_resume),
           CHECK_CASE(test_nan_bits_preserved), CHECK_CASE(test_errors_are_clear),
           CHECK_CASE(test_every_corruption_is_an_error_not_a_crash))
