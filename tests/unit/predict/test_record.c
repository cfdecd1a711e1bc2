/* Unit tests for src/predict/record.c: the worked example of the byte
 * format, a full round trip (horizons, pending forecasts, NaN bit patterns),
 * and every way a stored record can be wrong (version, truncation, trailing
 * bytes, ranges, reserved bits, checksum). */
#include "util/common.h"

#include "predict/predict_int.h"
#include "util/bits.h"
#include "util/mem.h"

#include "../check.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    while (*h) {
        if (*h == ' ' || *h == '\n') {
            h++;
            continue;
        }
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static const char example_hex[] = "02 01 02 03 04 05 06 07 08 00 00 00 00 65 53 f1 00"
                                  " 00 00 01 8b cf e6 52 60 00 00 00 08 6a 6f 62 ff 77 65 62 ff"
                                  " 00 00 7f f8 00 00 00 00 00 00 00 00 00 03 aa bb cc b2 dc 86 09";

static predict_record example(void)
{
    static const uint8_t key[] = "job\xffweb\xff";
    static const uint8_t model[] = {0xaa, 0xbb, 0xcc};
    return (predict_record){.fp = 0x0102030405060708ULL, .last_final_s = 1700000000, .last_emit_ms = 1700000060000,
                            .group_key = {key, 8}, .anomaly = util_bits_f64(0x7ff8000000000000ULL),
                            .model = {model, 3}};
}

static void test_worked_example(void)
{
    predict_record r = example();
    uint8_t buf[256], want[256];
    size_t len = 0, wn = unhex(example_hex, want);
    CHECK_EQ_I64(predict_record_size(&r), wn);
    CHECK_EQ_I64(predict_record_encode(&r, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, wn);
    CHECK(memcmp(buf, want, wn) == 0);
    predict_record d;
    CHECK_EQ_I64(predict_record_decode((aug_bytes){want, wn}, &d), AUG_OK);
    CHECK(d.fp == r.fp);
    CHECK_EQ_I64(d.last_final_s, 1700000000);
    CHECK_EQ_I64(d.last_emit_ms, 1700000060000);
    CHECK(d.group_key.len == 8 && memcmp(d.group_key.p, "job\xffweb\xff", 8) == 0);
    CHECK_EQ_I64(d.nh, 0);
    CHECK(!d.one_have);
    CHECK(util_f64_bits(d.anomaly) == 0x7ff8000000000000ULL);
    CHECK(d.model.len == 3 && d.model.p[0] == 0xaa && d.model.p[2] == 0xcc);
    CHECK_EQ_I64(predict_record_encode(&r, buf, wn - 1, &len), AUG_ETOOBIG);
}

static void test_round_trip_full(void)
{
    int64_t tgt1[3] = {INT64_MIN, 1700000120, -5};
    double val1[3] = {0, 12.5, util_bits_f64(0x7ff0000000000002ULL)};
    int64_t tgt2[1] = {1700003600};
    double val2[1] = {-0.0};
    uint8_t model[100];
    for (size_t i = 0; i < sizeof model; i++)
        model[i] = (uint8_t)i;
    predict_record r = {.fp = 42, .last_final_s = INT64_MIN, .last_emit_ms = -1, .group_key = {NULL, 0}, .nh = 2,
                        .one_have = true, .one_tgt = 1700000060, .one_mean = 1.5, .one_lo80 = 1.0, .one_hi80 = 2.0,
                        .anomaly = 3.25, .model = {model, sizeof model}};
    r.h[0] = (predict_record_h){.k = 3, .acc = {.n = 64, .head = 63}, .tgt = tgt1, .val = val1};
    for (int j = 0; j < FC_ACC_WINDOW; j++)
        r.h[0].acc.err[j] = j / 100.0;
    r.h[1] = (predict_record_h){.k = 1, .acc = {.n = 1, .head = 1}, .tgt = tgt2, .val = val2};
    r.h[1].acc.err[0] = 0.5;
    size_t n = predict_record_size(&r), len = 0;
    uint8_t *buf = aug_malloc(n);
    CHECK_EQ_I64(predict_record_encode(&r, buf, n, &len), AUG_OK);
    CHECK_EQ_I64(len, n);
    predict_record d;
    CHECK_EQ_I64(predict_record_decode((aug_bytes){buf, len}, &d), AUG_OK);
    CHECK(d.fp == 42);
    CHECK_EQ_I64(d.last_final_s, INT64_MIN);
    CHECK_EQ_I64(d.last_emit_ms, -1);
    CHECK_EQ_I64(d.group_key.len, 0);
    CHECK_EQ_I64(d.nh, 2);
    CHECK_EQ_I64(d.h[0].k, 3);
    CHECK_EQ_I64(d.h[0].acc.n, 64);
    CHECK_EQ_I64(d.h[0].acc.head, 63);
    CHECK(util_f64_bits(d.h[0].acc.err[17]) == util_f64_bits(0.17));
    for (int32_t j = 0; j < 3; j++) {
        int64_t t;
        double v;
        predict_record_pending(&d.h[0], j, &t, &v);
        CHECK_EQ_I64(t, tgt1[j]);
        CHECK(util_f64_bits(v) == util_f64_bits(val1[j])); /* the staleness NaN survives */
    }
    int64_t t;
    double v;
    predict_record_pending(&d.h[1], 0, &t, &v);
    CHECK_EQ_I64(t, 1700003600);
    CHECK(util_f64_bits(v) == util_f64_bits(-0.0));
    CHECK(d.one_have);
    CHECK_EQ_I64(d.one_tgt, 1700000060);
    CHECK(d.one_mean == 1.5 && d.one_lo80 == 1.0 && d.one_hi80 == 2.0 && d.anomaly == 3.25);
    CHECK(d.model.len == sizeof model && memcmp(d.model.p, model, sizeof model) == 0);

    /* Every single-byte change is detected (checksum or a field check). */
    size_t undetected = 0;
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x5a;
        aug_err e = predict_record_decode((aug_bytes){buf, len}, &d);
        undetected += e == AUG_OK;
        CHECK(e == AUG_ECORRUPT || (i == 0 && e == AUG_EVERSION));
        buf[i] ^= 0x5a;
    }
    CHECK_EQ_I64(undetected, 0);
    /* Every truncation, and a trailing byte. */
    for (size_t cut = 0; cut < len; cut++)
        CHECK_EQ_I64(predict_record_decode((aug_bytes){buf, cut}, &d), AUG_ECORRUPT);
    uint8_t *longer = aug_malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    CHECK_EQ_I64(predict_record_decode((aug_bytes){longer, len + 1}, &d), AUG_ECORRUPT);
    aug_free(longer);
    aug_free(buf);
}

static void test_version_and_ranges(void)
{
    uint8_t want[256];
    size_t wn = unhex(example_hex, want);
    predict_record d;
    want[0] = 0x03;
    CHECK_EQ_I64(predict_record_decode((aug_bytes){want, wn}, &d), AUG_EVERSION);
    CHECK_EQ_I64(predict_record_decode((aug_bytes){NULL, 0}, &d), AUG_ECORRUPT);
    /* Encoder refuses what the decoder would refuse. */
    predict_record r = example();
    uint8_t buf[4096];
    size_t len;
    r.nh = 17;
    CHECK_EQ_I64(predict_record_encode(&r, buf, sizeof buf, &len), AUG_EINVAL);
    r.nh = 1;
    int64_t tg = 0;
    double vl = 0;
    r.h[0] = (predict_record_h){.k = 1, .acc = {.n = 65}, .tgt = &tg, .val = &vl};
    CHECK_EQ_I64(predict_record_encode(&r, buf, sizeof buf, &len), AUG_EINVAL);
    r.h[0].acc.n = 0;
    r.h[0].acc.head = 64;
    CHECK_EQ_I64(predict_record_encode(&r, buf, sizeof buf, &len), AUG_EINVAL);
    r.h[0].acc.head = 0;
    r.h[0].k = 0;
    CHECK_EQ_I64(predict_record_encode(&r, buf, sizeof buf, &len), AUG_EINVAL);
    r.h[0].k = 1;
    CHECK_EQ_I64(predict_record_encode(&r, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(predict_record_decode((aug_bytes){buf, len}, &d), AUG_OK);
}

/* The fuzz corpus, written by tests/fuzz/gen_predict_record_corpus.py from
 * the documented format, decodes: generator and decoder agree, and the
 * corpus reaches past the checks into the fields. */
static void test_fuzz_corpus_decodes(void)
{
    const char *names[] = {"example.rec", "horizons.rec", "v1_horizons.rec", "ready_1h_auto.rec",
                           "ready_1m_snaive.rec"};
    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < AUG_ARRAY_LEN(names); i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/fuzz/corpus/predict_record/%s", names[i]);
        size_t n = check_read_src(rel, buf, sizeof buf);
        if (n == 0)
            continue;
        predict_record r;
        CHECK_EQ_I64(predict_record_decode((aug_bytes){buf, n}, &r), AUG_OK);
        if (i >= 3) {
            fc_model *m = NULL;
            CHECK_EQ_I64(fc_model_decode(r.model, &m, NULL), AUG_OK);
            fc_model_free(m);
            CHECK_EQ_I64(r.nh, 1);
            CHECK(r.one_have);
        }
    }
}

/* A version-1 record (one array of percentage errors per horizon, written
 * by the generator from the old layout) still resumes: same fields, error
 * windows emptied. horizons.rec is the same record in version 2, whose
 * windows hold (|y - yhat|, |y|) = (1, 10), (2, 10), (0.5, 10) and (5, 10). */
static void test_v1_upgrade(void)
{
    static uint8_t b1[1 << 16], b2[1 << 16];
    size_t n1 = check_read_src("tests/fuzz/corpus/predict_record/v1_horizons.rec", b1, sizeof b1);
    size_t n2 = check_read_src("tests/fuzz/corpus/predict_record/horizons.rec", b2, sizeof b2);
    if (n1 == 0 || n2 == 0)
        return;
    CHECK_EQ_I64(b1[0], 1);
    CHECK_EQ_I64(b2[0], 2);
    predict_record r1, r2;
    CHECK_EQ_I64(predict_record_decode((aug_bytes){b1, n1}, &r1), AUG_OK);
    CHECK_EQ_I64(predict_record_decode((aug_bytes){b2, n2}, &r2), AUG_OK);
    CHECK_EQ_I64(r1.nh, 2);
    CHECK_EQ_I64(r2.nh, 2);
    for (uint32_t i = 0; i < 2; i++) {
        CHECK_EQ_I64(r1.h[i].k, r2.h[i].k);
        CHECK_EQ_I64(r1.h[i].acc.n, 0);
        CHECK(isnan(fc_acc_error(&r1.h[i].acc)));
        CHECK(r1.h[i].pending.len == r2.h[i].pending.len &&
              memcmp(r1.h[i].pending.p, r2.h[i].pending.p, r1.h[i].pending.len) == 0);
    }
    CHECK_EQ_I64(r2.h[0].acc.n, 3);
    CHECK_NEAR(fc_acc_error(&r2.h[0].acc), 3.5 / 30.0, 1e-15);
    CHECK_NEAR(fc_acc_error(&r2.h[1].acc), 0.5, 1e-15);
    CHECK(r1.one_have && r2.one_have && r1.one_mean == r2.one_mean && r1.anomaly == r2.anomaly);
}

CHECK_MAIN(CHECK_CASE(test_v1_upgrade), CHECK_CASE(test_worked_example), CHECK_CASE(test_round_trip_full), CHECK_CASE(test_version_and_ranges),
           CHECK_CASE(test_fuzz_corpus_decodes))
