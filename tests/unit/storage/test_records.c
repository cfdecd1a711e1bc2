/* Unit tests for storage/records.c: the documented worked examples byte for
 * byte, NaN bit patterns through every encoder, truncation / version /
 * reserved-bit handling of every decoder, key ordering. No LMDB here. */
#include "helpers.h"

#include <float.h>

static const uint64_t special_bits[] = {
    STALE_NAN_BITS,        /* Prometheus staleness marker */
    0x7ff8000000000000ULL, /* quiet NaN */
    0xfff8000000000001ULL, /* negative NaN with payload */
    0x7ff0000000000001ULL, /* signalling NaN */
    0x8000000000000000ULL, /* -0.0 */
    0x0000000000000000ULL, /* +0.0 */
    0x7ff0000000000000ULL, /* +Inf */
    0xfff0000000000000ULL, /* -Inf */
    0x0000000000000001ULL, /* smallest subnormal */
    0x7fefffffffffffffULL, /* DBL_MAX */
    0x3fb999999999999aULL, /* 0.1 */
    0x4340000000000000ULL, /* 2^53 */
    0x4340000000000001ULL, /* 2^53 + 2: integral, beyond the INT range */
    0xc330000000000000ULL, /* -2^52 */
    0x3ff0000000000000ULL, /* 1.0 */
    0x3fe0000000000000ULL, /* 0.5: exact binary32 */
};

static void test_documented_examples(void)
{
    uint8_t b[512];
    size_t n;
    bool ov;
    store_record_meta_encode(1, b);
    CHECK(bytes_eq_hex(b, STORE_META_RECORD_LEN, "01 00 00 00 00 00 00 00 01"));

    aug_bytes key = cstr_bytes("__name__\xffup\xffjob\xffnode\xff");
    store_record_series_encode(key, b);
    CHECK(bytes_eq_hex(b, key.len + 1, "01 5f 5f 6e 61 6d 65 5f 5f ff 75 70 ff 6a 6f 62 ff 6e 6f 64 65 ff"));

    CHECK_EQ_I64(store_record_posting_key_encode(S("job"), S("node"), b, &n, &ov), AUG_OK);
    CHECK(!ov);
    CHECK(bytes_eq_hex(b, n, "6a 6f 62 ff 6e 6f 64 65 ff"));

    store_record_rollup_key_encode(7, STORE_RES_MINUTE, 1700000040, b);
    CHECK(bytes_eq_hex(b, STORE_ROLLUP_KEY_LEN, "00 00 00 07 01 80 00 00 00 65 53 f1 28"));

    store_rollup r = {.count = 1, .sum = 0.5, .min = 0.5, .max = 0.5, .last = 0.5, .last_ts_ms = 1700000055000};
    n = store_record_rollup_encode(&r, 1700000040, b);
    CHECK(bytes_eq_hex(b, n, "01 03 01 b0 ea 01 3f e0 00 00 00 00 00 00"));

    store_wal_entry e[2] = {{5, 1700000000000, 1.0}, {6, 1700000000000, util_bits_f64(STALE_NAN_BITS)}};
    CHECK_EQ_I64(store_record_wal_encode(e, 2, b, sizeof b, &n), AUG_OK);
    CHECK(bytes_eq_hex(b, n, "01 02 01 0a 80 a0 ab fe f9 62 02 1b 7f f0 00 00 00 00 00 02"));

    store_series_state st = {.last_ts_ms = 1700000055000, .prev_value = 0.5, .has_prev = true,
                             .minute_start_s = 1700000040, .minute = r};
    n = store_record_state_encode(&st, b);
    CHECK(bytes_eq_hex(b, n,
                       "01 0d b0 fb b1 fe f9 62 3f e0 00 00 00 00 00 00 d0 c4 9f d5 0c"
                       " 03 01 b0 ea 01 3f e0 00 00 00 00 00 00"));
}

static void test_nan_bits_survive_every_encoder(void)
{
    size_t ns = AUG_ARRAY_LEN(special_bits);
    /* WAL: every special value after every other (exercises SAME/INT/F32/F64). */
    store_wal_entry in[AUG_ARRAY_LEN(special_bits) * AUG_ARRAY_LEN(special_bits) * 2], out[AUG_ARRAY_LEN(in)];
    size_t n = 0;
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) {
            in[n++] = (store_wal_entry){(uint32_t)(i + 1), (int64_t)(i * 1000), util_bits_f64(special_bits[i])};
            in[n++] = (store_wal_entry){(uint32_t)(j + 1), (int64_t)(j * 1000), util_bits_f64(special_bits[j])};
        }
    static uint8_t buf[1 << 16];
    size_t len, m = 0;
    CHECK_EQ_I64(store_record_wal_encode(in, n, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(store_record_wal_decode((aug_bytes){buf, len}, out, AUG_ARRAY_LEN(out), &m), AUG_OK);
    CHECK_EQ_I64(m, n);
    for (size_t i = 0; i < n; i++) {
        CHECK(util_f64_bits(out[i].value) == util_f64_bits(in[i].value));
        CHECK_EQ_I64(out[i].id, in[i].id);
        CHECK_EQ_I64(out[i].ts_ms, in[i].ts_ms);
    }
    /* Rollup record and state record: every special value in every field. */
    for (size_t i = 0; i < ns; i++) {
        double v = util_bits_f64(special_bits[i]), w = util_bits_f64(special_bits[(i + 3) % ns]);
        store_rollup r = {.count = 2, .sum = v, .min = w, .max = v, .last = w, .last_ts_ms = -5, .increase = v};
        store_rollup one = {.count = 1, .sum = v, .min = v, .max = v, .last = v, .last_ts_ms = 60000, .increase = w};
        const store_rollup *cases[] = {&r, &one};
        for (size_t c = 0; c < 2; c++) {
            uint8_t rb[STORE_ROLLUP_RECORD_MAX];
            store_rollup got;
            size_t rl = store_record_rollup_encode(cases[c], -60, rb);
            CHECK_EQ_I64(store_record_rollup_decode((aug_bytes){rb, rl}, -60, &got), AUG_OK);
            CHECK(rollup_eq(&got, cases[c]));
        }
        store_series_state st = {.last_ts_ms = INT64_MAX, .prev_value = v, .has_prev = true, .stale = true,
                                 .minute_start_s = INT64_MIN, .minute = r, .hour_start_s = 3600, .hour = one};
        uint8_t sb[STORE_STATE_RECORD_MAX];
        store_series_state sg;
        size_t sl = store_record_state_encode(&st, sb);
        CHECK_EQ_I64(store_record_state_decode((aug_bytes){sb, sl}, &sg), AUG_OK);
        CHECK(util_f64_bits(sg.prev_value) == special_bits[i]);
        CHECK(sg.has_prev && sg.stale);
        CHECK_EQ_I64(sg.last_ts_ms, INT64_MAX);
        CHECK_EQ_I64(sg.minute_start_s, INT64_MIN);
        CHECK_EQ_I64(sg.hour_start_s, 3600);
        CHECK(rollup_eq(&sg.minute, &r));
        CHECK(rollup_eq(&sg.hour, &one));
    }
}

static void test_wal_random_round_trip_and_size(void)
{
    enum { N = 2000 };
    static store_wal_entry in[N], out[N];
    static uint8_t buf[N * 24 + 11];
    /* A remote-write-like batch: 1000 series, two scrapes, mostly integer
     * counters and some gauges. */
    for (size_t i = 0; i < N; i++) {
        uint64_t r = check_rand();
        double v = (r & 3) ? (double)(r >> 40) : (double)(r >> 11) / 9007199254740992.0;
        in[i] = (store_wal_entry){.id = (uint32_t)(1 + (i % 1000) * 3),
                                  .ts_ms = 1700000000000 + (int64_t)(i / 1000) * 15000,
                                  .value = v};
    }
    size_t len, m;
    CHECK_EQ_I64(store_record_wal_encode(in, N, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(store_record_wal_decode((aug_bytes){buf, len}, out, N, &m), AUG_OK);
    CHECK_EQ_I64(m, N);
    for (size_t i = 0; i < N; i++)
        CHECK(out[i].id == in[i].id && out[i].ts_ms == in[i].ts_ms && util_f64_bits(out[i].value) == util_f64_bits(in[i].value));
    /* 3/4 integers (~1+1+4 bytes), 1/4 arbitrary doubles (1+1+8), ts
     * repeated: well under the 20 bytes of a fixed layout. */
    fprintf(stderr, "  wal: %zu entries in %zu bytes (%.2f B/entry)\n", (size_t)N, len, (double)len / N);
    CHECK(len < N * 9);
    /* Random ids and timestamps (no structure) still round-trip. */
    for (size_t i = 0; i < N; i++)
        in[i] = (store_wal_entry){(uint32_t)(check_rand() | 1), (int64_t)check_rand(), util_bits_f64(check_rand())};
    CHECK_EQ_I64(store_record_wal_encode(in, N, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(store_record_wal_decode((aug_bytes){buf, len}, out, N, &m), AUG_OK);
    for (size_t i = 0; i < N; i++)
        CHECK(out[i].id == in[i].id && out[i].ts_ms == in[i].ts_ms && util_f64_bits(out[i].value) == util_f64_bits(in[i].value));
    /* Bad input to the encoder. */
    in[5].id = 0;
    CHECK_EQ_I64(store_record_wal_encode(in, N, buf, sizeof buf, &len), AUG_EINVAL);
    CHECK_EQ_I64(store_record_wal_encode(in, N, buf, 10, &len), AUG_ETOOBIG);
    CHECK_EQ_I64(store_record_wal_decode((aug_bytes){buf, 0}, out, 1, &m), AUG_ECORRUPT);
}

/* Every proper prefix of a valid record is AUG_ECORRUPT (never a crash or a
 * silently shorter value); a trailing byte too; version 2 is AUG_EVERSION. */
typedef aug_err (*decode_fn)(aug_bytes in);

static aug_err dec_meta(aug_bytes in)
{
    uint64_t v;
    return store_record_meta_decode(in, &v);
}
static aug_err dec_series(aug_bytes in)
{
    aug_bytes k;
    return store_record_series_decode(in, &k);
}
static aug_err dec_rollup(aug_bytes in)
{
    store_rollup r;
    return store_record_rollup_decode(in, 60, &r);
}
static aug_err dec_wal(aug_bytes in)
{
    store_wal_entry e[8];
    size_t n;
    return store_record_wal_decode(in, e, 8, &n);
}
static aug_err dec_state(aug_bytes in)
{
    store_series_state st;
    return store_record_state_decode(in, &st);
}

static void check_framing(decode_fn fn, const char *hex)
{
    uint8_t b[600];
    size_t n = unhex(hex, b);
    CHECK_EQ_I64(fn((aug_bytes){b, n}), AUG_OK);
    for (size_t i = 0; i < n; i++) {
        aug_err e = fn((aug_bytes){b, i});
        if (e != AUG_ECORRUPT)
            fprintf(stderr, "  prefix %zu of %s → %s\n", i, hex, aug_strerror(e));
        CHECK_EQ_I64(e, AUG_ECORRUPT);
    }
    b[n] = 0x00;
    CHECK_EQ_I64(fn((aug_bytes){b, n + 1}), AUG_ECORRUPT);
    b[0] = 0x02;
    CHECK_EQ_I64(fn((aug_bytes){b, n}), AUG_EVERSION);
    b[0] = 0x00;
    CHECK_EQ_I64(fn((aug_bytes){b, n}), AUG_EVERSION);
    CHECK_EQ_I64(fn((aug_bytes){NULL, 0}), AUG_ECORRUPT);
}

static void test_truncated_garbled_and_foreign_version(void)
{
    check_framing(dec_meta, "01 00 00 00 00 00 00 00 01");
    check_framing(dec_rollup, "01 03 01 b0 ea 01 3f e0 00 00 00 00 00 00");
    check_framing(dec_rollup, "01 00 02 00 3f e0 00 00 00 00 00 00 3f e0 00 00 00 00 00 00 3f e0 00 00 00 00 00 00"
                              " 3f e0 00 00 00 00 00 00 3f e0 00 00 00 00 00 00");
    check_framing(dec_wal, "01 02 01 0a 80 a0 ab fe f9 62 02 1b 7f f0 00 00 00 00 00 02");
    check_framing(dec_state, "01 0d b0 fb b1 fe f9 62 3f e0 00 00 00 00 00 00 d0 c4 9f d5 0c"
                             " 03 01 b0 ea 01 3f e0 00 00 00 00 00 00");
    check_framing(dec_state, "01 00");
    /* series: every prefix of a key is not a valid key, except none. */
    check_framing(dec_series, "01 61 ff 62 ff");

    uint8_t b[64];
    size_t n;
    /* reserved flag bits */
    n = unhex("01 07 01 b0 ea 01 3f e0 00 00 00 00 00 00", b);
    CHECK_EQ_I64(dec_rollup((aug_bytes){b, n}), AUG_ECORRUPT);
    n = unhex("01 20", b);
    CHECK_EQ_I64(dec_state((aug_bytes){b, n}), AUG_ECORRUPT);
    n = unhex("01 01 20", b);
    CHECK_EQ_I64(dec_wal((aug_bytes){b, n}), AUG_ECORRUPT);
    /* non-minimal varint count (0x81 0x00 == 1) */
    n = unhex("01 03 81 00 b0 ea 01 3f e0 00 00 00 00 00 00", b);
    CHECK_EQ_I64(dec_rollup((aug_bytes){b, n}), AUG_ECORRUPT);
    /* count above 2^32-1 */
    n = unhex("01 03 80 80 80 80 10 00 3f e0 00 00 00 00 00 00", b);
    CHECK_EQ_I64(dec_rollup((aug_bytes){b, n}), AUG_ECORRUPT);
    /* WAL: id mode 3, id 0 (SAME as nothing), count larger than the bytes */
    n = unhex("01 01 0c 00 00", b);
    CHECK_EQ_I64(dec_wal((aug_bytes){b, n}), AUG_ECORRUPT);
    n = unhex("01 01 14", b);
    CHECK_EQ_I64(dec_wal((aug_bytes){b, n}), AUG_ECORRUPT);
    n = unhex("01 ff ff ff ff 0f 00", b);
    CHECK_EQ_I64(dec_wal((aug_bytes){b, n}), AUG_ECORRUPT);
    /* WAL id delta running past 2^32-1 */
    n = unhex("01 02 10 fe ff ff ff 1f 18", b);
    CHECK_EQ_I64(dec_wal((aug_bytes){b, n}), AUG_ECORRUPT);
    /* state: MINUTE flag with an empty bucket */
    n = unhex("01 08 00 03 00 00 00 00 00 00 00 00 00 00", b);
    CHECK_EQ_I64(dec_state((aug_bytes){b, n}), AUG_ECORRUPT);
    /* series: invalid label keys */
    const char *bad[] = {"\x01", "\x01" "a", "\x01" "a\xff", "\x01" "a\xff\xff", "\x01\xff" "b\xff",
                         "\x01" "b\xff" "1\xff" "a\xff" "2\xff", "\x01" "a\xff" "1\xff" "a\xff" "2\xff"};
    for (size_t i = 0; i < AUG_ARRAY_LEN(bad); i++)
        CHECK_EQ_I64(dec_series(cstr_bytes(bad[i])), AUG_ECORRUPT);
    size_t wn;
    CHECK_EQ_I64(store_record_wal_count(cstr_bytes("\x02\x01"), &wn), AUG_EVERSION);
}

static void test_keys_sort_numerically(void)
{
    const int64_t starts[] = {INT64_MIN, -3600, -60, 0, 60, 1700000040, INT64_MAX};
    const uint32_t ids[] = {1, 2, 255, 256, 65536, UINT32_MAX};
    uint8_t prev[STORE_ROLLUP_KEY_LEN] = {0}, cur[STORE_ROLLUP_KEY_LEN];
    bool first = true;
    for (size_t i = 0; i < AUG_ARRAY_LEN(ids); i++)
        for (int res = STORE_RES_MINUTE; res <= STORE_RES_HOUR; res++)
            for (size_t j = 0; j < AUG_ARRAY_LEN(starts); j++) {
                store_record_rollup_key_encode(ids[i], (store_res)res, starts[j], cur);
                if (!first)
                    CHECK(memcmp(prev, cur, sizeof cur) < 0);
                first = false;
                memcpy(prev, cur, sizeof cur);
                uint32_t id;
                store_res r;
                int64_t st;
                CHECK_EQ_I64(store_record_rollup_key_decode((aug_bytes){cur, sizeof cur}, &id, &r, &st), AUG_OK);
                CHECK(id == ids[i] && (int)r == res && st == starts[j]);
            }
    cur[4] = 3;
    uint32_t id;
    store_res r;
    int64_t st;
    CHECK_EQ_I64(store_record_rollup_key_decode((aug_bytes){cur, sizeof cur}, &id, &r, &st), AUG_ECORRUPT);
    CHECK_EQ_I64(store_record_rollup_key_decode((aug_bytes){cur, 12}, &id, &r, &st), AUG_ECORRUPT);
    uint8_t a[8], b[8];
    store_key_u64_encode(255, a);
    store_key_u64_encode(256, b);
    CHECK(memcmp(a, b, 8) < 0);
    uint32_t v32;
    CHECK_EQ_I64(store_key_u32_decode((aug_bytes){a, 3}, &v32), AUG_ECORRUPT);
}

static void test_posting_keys(void)
{
    uint8_t k[STORE_KEY_MAX];
    size_t n;
    bool ov;
    aug_str name, value;
    CHECK_EQ_I64(store_record_posting_key_encode(S("job"), S("node"), k, &n, &ov), AUG_OK);
    CHECK_EQ_I64(store_record_posting_key_decode((aug_bytes){k, n}, &name, &value, &ov), AUG_OK);
    CHECK(!ov && name.len == 3 && value.len == 4 && memcmp(value.p, "node", 4) == 0);
    /* Longest exact value, then one byte more → overlong, exactly 511 bytes. */
    static char big[2000];
    memset(big, 'v', sizeof big);
    size_t room = STORE_KEY_MAX - 3 - 2;
    CHECK_EQ_I64(store_record_posting_key_encode(S("job"), (aug_str){big, room}, k, &n, &ov), AUG_OK);
    CHECK(!ov && n == STORE_KEY_MAX && k[n - 1] == 0xFF);
    CHECK_EQ_I64(store_record_posting_key_encode(S("job"), (aug_str){big, room + 1}, k, &n, &ov), AUG_OK);
    CHECK(ov && n == STORE_KEY_MAX && k[n - 1] == 0xFE);
    CHECK_EQ_I64(store_record_posting_key_decode((aug_bytes){k, n}, &name, &value, &ov), AUG_OK);
    CHECK(ov && value.len == room);
    /* A 0xFE-terminated key shorter than 511 bytes is garbage. */
    CHECK_EQ_I64(store_record_posting_key_decode((aug_bytes){k, n - 1}, &name, &value, &ov), AUG_ECORRUPT);
    CHECK_EQ_I64(store_record_posting_key_decode(cstr_bytes("\xff" "a\xff"), &name, &value, &ov), AUG_ECORRUPT);
    /* found by fuzzing: the name's separator is the last byte (no terminator) */
    CHECK_EQ_I64(store_record_posting_key_decode(cstr_bytes("jde\xff"), &name, &value, &ov), AUG_ECORRUPT);
    CHECK_EQ_I64(store_record_posting_key_decode(cstr_bytes("j\xff\xff"), &name, &value, &ov), AUG_OK);
    CHECK(!ov && value.len == 0);
    CHECK_EQ_I64(store_record_posting_key_decode(cstr_bytes("a\xff" "b\xff" "c\xff"), &name, &value, &ov),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(store_record_posting_key_encode(S(""), S("x"), k, &n, &ov), AUG_EINVAL);
    CHECK_EQ_I64(store_record_posting_key_encode((aug_str){big, 256}, S("x"), k, &n, &ov), AUG_EINVAL);
    CHECK_EQ_I64(store_record_posting_key_encode(S("a"), S("x\xffy"), k, &n, &ov), AUG_EINVAL);
}

static void test_labels(void)
{
    aug_bytes k = cstr_bytes("__name__\xffup\xffinstance\xff" "a:9100\xffjob\xffnode\xff");
    CHECK(store_labels_valid(k));
    aug_str v;
    CHECK(store_labels_find(k, S("job"), &v) && v.len == 4 && memcmp(v.p, "node", 4) == 0);
    CHECK(store_labels_find(k, S("__name__"), &v) && v.len == 2);
    CHECK(!store_labels_find(k, S("inst"), &v));
    CHECK(!store_labels_find(k, S("zone"), &v));
    size_t off = 0, count = 0;
    aug_str n;
    while (store_labels_next(k, &off, &n, &v))
        count++;
    CHECK_EQ_I64(count, 3);
    CHECK(!store_labels_valid(cstr_bytes("")));
    CHECK(!store_labels_valid(cstr_bytes("a\xff" "1\xff" "a\xff" "1\xff"))); /* duplicate name */
    CHECK(store_labels_valid(cstr_bytes("a\xff" "1\xff" "ab\xff" "1\xff")));  /* prefix sorts first */
    CHECK(!store_labels_valid(cstr_bytes("ab\xff" "1\xff" "a\xff" "1\xff")));
}

CHECK_MAIN(CHECK_CASE(test_documented_examples), CHECK_CASE(test_nan_bits_survive_every_encoder),
           CHECK_CASE(test_wal_random_round_trip_and_size), CHECK_CASE(test_truncated_garbled_and_foreign_version),
           CHECK_CASE(test_keys_sort_numerically), CHECK_CASE(test_posting_keys), CHECK_CASE(test_labels))
