/* Unit tests for src/decide/state.c: the worked example of the byte format
 * (version 3, and the same state in versions 2 and 1, which are still read
 * with an empty floor, version 1 also with no last desired count), round
 * trips of states the engine produced (their next decision is the same),
 * one of them with a scale-down floor in force, and every refusal of the
 * strict decoder. */
#include "util/common.h"
#include "util/crc32.h"
#include "decide/decide.h"

#include "../check.h"

#define FP UINT64_C(0x0102030405060708)

/* The worked example at the top of state.c (version 3, last desired 8, a
 * floor hour with lowest need 2.5 so far, hourly lows 4.5, none, 2.25). */
static const uint8_t example[] = {
    0x03, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf0, 0xc4, 0x40, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x65, 0x53, 0xf0, 0xc4, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1,
    0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x34, 0x9e, 0x40, 0x04, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x40, 0x90, 0x00, 0x00, 0x7f, 0xc0, 0x00, 0x00, 0x40,
    0x10, 0x00, 0x00, 0xcb, 0x0e, 0x78, 0x57,
};

/* Offsets of the floor fields in the example (after its 2 history
 * entries). */
#define EX_FLOOR_HOUR 70
#define EX_FLOOR_LOW 78
#define EX_FLOOR_M 86
#define EX_FLOOR_LOWS 88

/* The same state in version 2, as augur wrote it before the floor was
 * kept (the worked example of state.c at that version). */
static const uint8_t example_v2[] = {
    0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf0, 0xc4, 0x40, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x65, 0x53, 0xf0, 0xc4, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1,
    0x00, 0x00, 0x00, 0x00, 0x05, 0x36, 0x73, 0xba, 0x7f,
};

/* The same state in version 1, as augur wrote it before the last desired
 * count was kept (the worked example of state.c at that version). */
static const uint8_t example_v1[] = {
    0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf0, 0xc4, 0x40, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf0,
    0xc4, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00,
    0x05, 0xf6, 0x4f, 0x59, 0x73,
};

/* The defaults: replicas [1, 100], scale-up bucket 4, scale-down bucket 1. */
static decide_params defaults(void)
{
    decide_params p;
    decide_params_init(&p, DECIDE_MODE_UTILIZATION);
    return p;
}

/* The example's state, with the ring starting at slot 62 so the encoder
 * has to walk across the wrap. */
static decide_state example_state(void)
{
    decide_params p = defaults();
    decide_state st;
    decide_state_init(&st, &p);
    st.last_eval_s = 1700000000;
    st.last_action_s = 1699999940;
    st.tokens_up = 2.5;
    st.tokens_down = 1.0;
    st.hist_head = 63;
    st.hist_len = 2;
    st.hist_ts[63] = 1699999940;
    st.hist_rec[63] = 8;
    st.hist_ts[0] = 1700000000;
    st.hist_rec[0] = 5;
    st.floor_hour = 472222; /* [1699999200, 1700002800) holds 1700000000 */
    st.floor_low = 2.5;
    st.floor_lows[0] = 4.5f;
    st.floor_lows[2] = 2.25f;
    return st;
}

/* Writes the CRC-32 of buf's first len - 4 bytes into its last 4. */
static void seal(uint8_t *buf, size_t len)
{
    uint32_t c = util_crc32(buf, len - 4);
    for (int i = 0; i < 4; i++)
        buf[len - 4 + (size_t)i] = (uint8_t)(c >> (24 - 8 * i));
}

/* A decoded example: example_state() with the ring rebased to slot 0, and
 * its floor (version 3) or the empty one of decide_state_init (versions 2
 * and 1). */
static void check_example_decoded(const decide_state *d, bool floor)
{
    CHECK_EQ_I64(d->last_eval_s, 1700000000);
    CHECK_EQ_I64(d->last_action_s, 1699999940);
    CHECK_NEAR(d->tokens_up, 2.5, 0);
    CHECK_NEAR(d->tokens_down, 1.0, 0);
    CHECK_EQ_I64(d->hist_head, 0);
    CHECK_EQ_I64(d->hist_len, 2);
    CHECK_EQ_I64(d->hist_ts[0], 1699999940);
    CHECK_EQ_I64(d->hist_rec[0], 8);
    CHECK_EQ_I64(d->hist_ts[1], 1700000000);
    CHECK_EQ_I64(d->hist_rec[1], 5);
    CHECK_EQ_I64(d->floor_hour, floor ? 472222 : DECIDE_NEVER);
    if (floor)
        CHECK_NEAR(d->floor_low, 2.5, 0);
    else
        CHECK(isnan(d->floor_low));
    size_t nan = 0;
    for (size_t i = 0; i < DECIDE_FLOOR_HOURS; i++)
        nan += isnan(d->floor_lows[i]);
    if (floor) {
        CHECK_NEAR(d->floor_lows[0], 4.5, 0);
        CHECK(isnan(d->floor_lows[1]));
        CHECK_NEAR(d->floor_lows[2], 2.25, 0);
        CHECK_EQ_I64(nan, DECIDE_FLOOR_HOURS - 2); /* [1] and [3..] */
    } else {
        CHECK_EQ_I64(nan, DECIDE_FLOOR_HOURS);
    }
}

/* The example re-encoded from an older version's decode: version 3 with
 * the given last desired count and the empty floor (no hour, no low, m 0).
 * out holds sizeof example - 12 bytes. */
static size_t example_without_floor(int32_t last_desired, uint8_t *out)
{
    size_t len = sizeof example - 12;
    memcpy(out, example, EX_FLOOR_HOUR);
    for (int i = 0; i < 4; i++)
        out[41 + i] = (uint8_t)((uint32_t)last_desired >> (24 - 8 * i));
    memset(out + EX_FLOOR_HOUR, 0, 18);
    out[EX_FLOOR_HOUR] = 0x80; /* INT64_MIN: no floor hour */
    out[EX_FLOOR_LOW] = 0x7f;  /* NaN: no low */
    out[EX_FLOOR_LOW + 1] = 0xf8;
    seal(out, len);
    return len;
}

static void test_worked_example(void)
{
    decide_state st = example_state();
    uint8_t buf[DECIDE_STATE_BLOB_MAX];
    size_t len = 0;
    CHECK_EQ_I64(decide_state_encode(&st, 8, FP, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, sizeof example);
    CHECK(memcmp(buf, example, sizeof example) == 0);
    /* The CRC is zlib's crc32 of the 100 bytes before it. */
    CHECK_EQ_I64(util_crc32(example, 100), 0xcb0e7857u);

    decide_params p = defaults();
    decide_state d;
    int32_t ld = 0;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, sizeof example}, FP, &p, &d, &ld, &eb), AUG_OK);
    CHECK_EQ_I64(ld, 8);
    check_example_decoded(&d, true);

    /* One byte short of the record → AUG_ETOOBIG. */
    CHECK_EQ_I64(decide_state_encode(&st, 8, FP, buf, sizeof example - 1, &len), AUG_ETOOBIG);
    /* A fresh state: never evaluated, full buckets, no history, no last
     * desired count, no floor → 68 bytes. */
    decide_state fresh;
    decide_state_init(&fresh, &p);
    CHECK_EQ_I64(decide_state_encode(&fresh, -1, FP, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, 68);
    ld = 0;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, len}, FP, &p, &d, &ld, NULL), AUG_OK);
    CHECK_EQ_I64(ld, -1);
    CHECK_EQ_I64(d.last_eval_s, DECIDE_NEVER);
    CHECK_EQ_I64(d.last_action_s, DECIDE_NEVER);
    CHECK_NEAR(d.tokens_up, 4, 0);
    CHECK_NEAR(d.tokens_down, 1, 0);
    CHECK_EQ_I64(d.hist_len, 0);
    CHECK_EQ_I64(d.floor_hour, DECIDE_NEVER);
    CHECK(isnan(d.floor_lows[0]) && isnan(d.floor_lows[DECIDE_FLOOR_HOURS - 1]));
    /* Every hour with a low: the largest record. */
    decide_state full = st;
    for (size_t i = 0; i < DECIDE_FLOOR_HOURS; i++)
        full.floor_lows[i] = 1;
    full.hist_len = 0;
    CHECK_EQ_I64(decide_state_encode(&full, 8, FP, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, 68 + 4 * DECIDE_FLOOR_HOURS);
    CHECK_EQ_I64(len, DECIDE_STATE_BLOB_MAX - 12 * DECIDE_HISTORY_MAX);
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, len}, FP, &p, &d, &ld, NULL), AUG_OK);
    CHECK_NEAR(d.floor_lows[DECIDE_FLOOR_HOURS - 1], 1, 0);
    /* A last desired count below -1, or one before any evaluation, is not
     * written; nor is a state failing its invariants. */
    CHECK_EQ_I64(decide_state_encode(&st, -2, FP, buf, sizeof buf, &len), AUG_EINVAL);
    CHECK_EQ_I64(decide_state_encode(&fresh, 3, FP, buf, sizeof buf, &len), AUG_EINVAL);
    st.tokens_up = -1;
    CHECK_EQ_I64(decide_state_encode(&st, 8, FP, buf, sizeof buf, &len), AUG_EINVAL);
}

/* A version 2 record (saved before the floor was kept) still decodes, to
 * the same state with the empty floor of decide_state_init, and is written
 * back as version 3; its own length rule holds. */
static void test_version2(void)
{
    decide_params p = defaults();
    p.floor_quantile = 0.5; /* a floor learns afresh from a version 2 record */
    decide_state d;
    int32_t ld = 0;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example_v2, sizeof example_v2}, FP, &p, &d, &ld, &eb), AUG_OK);
    CHECK_EQ_I64(ld, 8);
    check_example_decoded(&d, false);

    uint8_t buf[DECIDE_STATE_BLOB_MAX], v3[sizeof example];
    size_t len = 0, v3len = example_without_floor(8, v3);
    CHECK_EQ_I64(decide_state_encode(&d, ld, FP, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, v3len);
    CHECK(memcmp(buf, v3, v3len) == 0);

    /* Version 2 lengths are 50 + 12n: one byte short, or the version 3
     * record relabelled, are refused. */
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example_v2, 49}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 49 bytes, shorter than the 50-byte minimum");
    v3[0] = 0x02;
    seal(v3, v3len);
    CHECK_EQ_I64(decide_state_decode((aug_bytes){v3, v3len}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 92 bytes, 74 expected for a history of 2");
}

/* A version 1 record (saved before the last desired count was kept) still
 * decodes, to the same state with no last desired count (-1) and the empty
 * floor, and is written back as version 3; its own length and fingerprint
 * rules hold. */
static void test_version1(void)
{
    decide_params p = defaults();
    decide_state d;
    int32_t ld = 0;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example_v1, sizeof example_v1}, FP, &p, &d, &ld, &eb), AUG_OK);
    CHECK_EQ_I64(ld, -1);
    check_example_decoded(&d, false);

    /* Re-encoded: version 3, the example with last desired -1, no floor. */
    uint8_t buf[DECIDE_STATE_BLOB_MAX], v3[sizeof example];
    size_t len = 0, v3len = example_without_floor(-1, v3);
    CHECK_EQ_I64(decide_state_encode(&d, ld, FP, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, v3len);
    CHECK(memcmp(buf, v3, v3len) == 0);

    /* Version 1 lengths are 46 + 12n: the version 2 length of the same
     * history is refused, as is one byte short of the 46-byte minimum; a
     * version 1 record under another fingerprint is not this scaler's. */
    uint8_t big[sizeof example_v2];
    memcpy(big, example_v2, sizeof example_v2);
    big[0] = 0x01;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){big, sizeof big}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    /* (read as version 1, n is the top byte of the last desired count 8) */
    CHECK_STR(eb.msg, "decide state: 74 bytes, 46 expected for a history of 0");
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example_v1, 45}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 45 bytes, shorter than the 46-byte minimum");
    ld = 7;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example_v1, sizeof example_v1}, FP + 1, &p, &d, &ld, NULL),
                 AUG_ENOTFOUND);
    CHECK_EQ_I64(ld, -1); /* version 1 has no count, also for another definition */
    /* Its ranges are checked as in version 2: 5 scale-up tokens. */
    memcpy(big, example_v1, sizeof example_v1);
    big[25] = 0x40;
    big[26] = 0x14;
    seal(big, sizeof example_v1);
    CHECK_EQ_I64(decide_state_decode((aug_bytes){big, sizeof example_v1}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 5 scale-up tokens outside [0, 4]");
}

/* Utilization fraction mode: need = current × load / target. */
static decide_output eval_at(const decide_params *p, decide_state *st, int64_t now, int32_t cur, double load)
{
    decide_input in = {.now_s = now, .current_replicas = cur, .observed = load};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(p, st, &in, &out, NULL), AUG_OK);
    return out;
}

/* A state in the middle of a cooldown with spent tokens and a history is
 * restored exactly: the next decisions equal the uninterrupted ones. */
static void test_round_trip_same_decision(void)
{
    decide_params p = defaults();
    p.target = 0.5;
    p.cooldown_s = 180;
    p.up = (decide_bucket){.capacity = 4, .per_minute = 1};
    decide_state st;
    decide_state_init(&st, &p);
    /* t0: 4 × 0.9 / 0.5 = 7.2 → 8: +4 spends the 4 scale-up tokens. */
    CHECK_EQ_I64(eval_at(&p, &st, 1700000000, 4, 0.9).desired, 8);
    /* +60 s: 8 × 0.75 / 0.5 = 12, refused by the cooldown (60 s < 180 s);
     * 1 token refilled; the history holds (t0+60, 12). */
    decide_output o = eval_at(&p, &st, 1700000060, 8, 0.75);
    CHECK_EQ_I64(o.desired, 8);
    CHECK_EQ_I64(o.limits, DECIDE_LIMIT_COOLDOWN);
    CHECK_NEAR(st.tokens_up, 1, 0);
    CHECK_EQ_I64(st.hist_len, 1);

    uint8_t buf[DECIDE_STATE_BLOB_MAX], again[DECIDE_STATE_BLOB_MAX];
    size_t len = 0, len2 = 0;
    CHECK_EQ_I64(decide_state_encode(&st, o.desired, 7, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, 68 + 12);
    decide_state back;
    int32_t ld = -1;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, len}, 7, &p, &back, &ld, NULL), AUG_OK);
    CHECK_EQ_I64(ld, 8);

    /* +120 s: still the cooldown → 8. +180 s: 1 + 2 refilled = 3 tokens
     * cut the +4 to 11 (a fresh state would have 4 tokens and say 12). */
    decide_state *both[2] = {&st, &back};
    for (int i = 0; i < 2; i++) {
        o = eval_at(&p, both[i], 1700000120, 8, 0.75);
        CHECK_EQ_I64(o.desired, 8);
        CHECK_EQ_I64(o.limits, DECIDE_LIMIT_COOLDOWN);
        o = eval_at(&p, both[i], 1700000180, 8, 0.75);
        CHECK_EQ_I64(o.desired, 11);
        CHECK_EQ_I64(o.limits, DECIDE_LIMIT_BUCKET_UP);
    }
    CHECK_EQ_I64(decide_state_encode(&st, 11, 7, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(decide_state_encode(&back, 11, 7, again, sizeof again, &len2), AUG_OK);
    CHECK_EQ_I64(len, len2);
    CHECK(memcmp(buf, again, len) == 0);
}

/* The engine's floor over about 30 hours of a load that rises and falls
 * (0.2 to 0.6 of 10 replicas, every 10 minutes) is restored exactly: the
 * record re-encodes to the same bytes and the next decision, a scale-down
 * stopped at the floor, is the same from the original and the restored
 * state. */
static void test_round_trip_floor(void)
{
    decide_params p = defaults();
    p.target = 0.5;
    p.stabilization_s = 0;                   /* the floor alone stops the */
    p.down = (decide_bucket){.capacity = 0}; /* scale-down */
    p.floor_quantile = 0.5;
    p.floor_window_s = 24 * 3600;
    decide_state st;
    decide_state_init(&st, &p);
    const int64_t t0 = 1700000000;
    int32_t cur = 10;
    decide_output o = {0};
    for (int64_t t = t0; t < t0 + 30 * 3600; t += 600) {
        double load = 0.4 + 0.2 * sin((double)(t - t0) / 86400 * 2 * M_PI);
        o = eval_at(&p, &st, t, cur, load);
        cur = o.desired;
    }
    CHECK(st.floor_hour != DECIDE_NEVER);

    uint8_t buf[DECIDE_STATE_BLOB_MAX], again[DECIDE_STATE_BLOB_MAX];
    size_t len = 0, len2 = 0;
    CHECK_EQ_I64(decide_state_encode(&st, cur, 7, buf, sizeof buf, &len), AUG_OK);
    /* The evaluations touch hours 472222 to 472252 (t0 is 1200 s into its
     * hour): 30 closed, all with a low. */
    CHECK_EQ_I64(st.floor_hour, 472252);
    CHECK_EQ_I64(len, 68 + 12 * (size_t)st.hist_len + 4 * 30);
    decide_state back;
    int32_t ld = -1;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, len}, 7, &p, &back, &ld, NULL), AUG_OK);
    CHECK_EQ_I64(ld, cur);
    CHECK_EQ_I64(decide_state_encode(&back, ld, 7, again, sizeof again, &len2), AUG_OK);
    CHECK_EQ_I64(len, len2);
    CHECK(memcmp(buf, again, len) == 0);

    /* The load all but gone: the floor, not the need, decides. */
    decide_output a = eval_at(&p, &st, t0 + 30 * 3600, cur, 0.01);
    decide_output b = eval_at(&p, &back, t0 + 30 * 3600, cur, 0.01);
    CHECK(a.floor >= 0);
    CHECK(a.limits & DECIDE_LIMIT_FLOOR);
    CHECK(a.desired < cur && a.desired == a.floor);
    CHECK_EQ_I64(a.desired, b.desired);
    CHECK_EQ_I64(a.floor, b.floor);
    CHECK_EQ_I64(a.limits, b.limits);
    CHECK_STR(a.reason, b.reason);
}

/* buf (len bytes) with n bytes at off replaced and a valid CRC. */
static aug_bytes patched_from(uint8_t *buf, const uint8_t *from, size_t len, size_t off, const uint8_t *bytes,
                              size_t n)
{
    memcpy(buf, from, len);
    memcpy(buf + off, bytes, n);
    seal(buf, len);
    return (aug_bytes){buf, len};
}

/* The example with one field changed and a valid CRC. */
static aug_bytes patched(uint8_t *buf, size_t off, const uint8_t *bytes, size_t n)
{
    return patched_from(buf, example, sizeof example, off, bytes, n);
}

static aug_err decode_with(aug_bytes in, const decide_params *p)
{
    decide_state d;
    int32_t ld;
    return decide_state_decode(in, FP, p, &d, &ld, NULL);
}

static void test_strict_decoding(void)
{
    decide_params p = defaults();
    uint8_t buf[sizeof example];
    decide_state d;
    int32_t ld = 0;
    aug_errbuf eb = {{0}};

    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, 0}, FP, &p, &d, &ld, NULL), AUG_ECORRUPT);
    memcpy(buf, example, sizeof example);
    buf[0] = 0x04;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, sizeof buf}, FP, &p, &d, &ld, &eb), AUG_EVERSION);
    CHECK_STR(eb.msg, "decide state: version 4, this augur reads 1, 2 and 3");
    /* Short, long (n says 2 entries and m 3 lows: 104 bytes) and
     * checksum. */
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, 67}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 67 bytes, shorter than the 68-byte minimum");
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, 103}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 103 bytes, 104 expected for a history of 2 and 3 floor hour lows");
    /* 71 bytes: long enough for version 3's minimum, not for the floor
     * fields after a history of 2. */
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, 71}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 71 bytes, too short for a history of 2");
    memcpy(buf, example, sizeof example);
    buf[20] ^= 1;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, sizeof buf}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: checksum mismatch");
    /* 65 history entries. */
    CHECK_EQ_I64(decode_with(patched(buf, 45, (const uint8_t[]){65}, 1), &p), AUG_ECORRUPT);

    /* Another fingerprint: not this scaler's state, but the count it last
     * asked for (8) is reported, unchecked against p (max 2 here). */
    decide_params small = p;
    small.max_replicas = 2;
    ld = 0;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, sizeof example}, FP + 1, &small, &d, &ld, &eb),
                 AUG_ENOTFOUND);
    CHECK_STR(eb.msg, "decide state: saved for other parameters (fingerprint 0102030405060708, expected "
                      "0102030405060709)");
    CHECK_EQ_I64(ld, 8);
    /* Anything else wrong: -1. */
    ld = 0;
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, sizeof buf - 1}, FP + 1, &p, &d, &ld, NULL), AUG_ECORRUPT);
    CHECK_EQ_I64(ld, -1);

    /* Times: last action after the last evaluation (1700000001). */
    CHECK_EQ_I64(decode_with(patched(buf, 17, (const uint8_t[]){0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x01}, 8), &p),
                 AUG_ECORRUPT);
    /* Last evaluation never but a history and an action. */
    CHECK_EQ_I64(decode_with(patched(buf, 9, (const uint8_t[]){0x80, 0, 0, 0, 0, 0, 0, 0}, 8), &p), AUG_ECORRUPT);
    /* Last evaluation 2^62, beyond DECIDE_TS_LIMIT. */
    CHECK_EQ_I64(decode_with(patched(buf, 9, (const uint8_t[]){0x40, 0, 0, 0, 0, 0, 0, 0}, 8), &p), AUG_ECORRUPT);
    /* A history entry after the last evaluation (1700000001). */
    CHECK_EQ_I64(decode_with(patched(buf, 58, (const uint8_t[]){0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x01}, 8), &p),
                 AUG_ECORRUPT);

    /* Tokens: 5 scale-up tokens over the capacity 4; NaN; -1. */
    CHECK_EQ_I64(decode_with(patched(buf, 25, (const uint8_t[]){0x40, 0x14, 0, 0, 0, 0, 0, 0}, 8), &p),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, 25, (const uint8_t[]){0x7f, 0xf8, 0, 0, 0, 0, 0, 0}, 8), &p),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, 33, (const uint8_t[]){0xbf, 0xf0, 0, 0, 0, 0, 0, 0}, 8), &p),
                 AUG_ECORRUPT);

    /* Recommendations: 0 below min_replicas 1; 101 above max 100; a history
     * whose recommendations rise (5 then 8: not a monotonic deque). */
    CHECK_EQ_I64(decode_with(patched(buf, 54, (const uint8_t[]){0, 0, 0, 0}, 4), &p), AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, 54, (const uint8_t[]){0, 0, 0, 101}, 4), &p), AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, 54, (const uint8_t[]){0, 0, 0, 5}, 4), &p), AUG_ECORRUPT);
    CHECK_EQ_I64(decide_state_decode(patched(buf, 66, (const uint8_t[]){0, 0, 0, 8}, 4), FP, &p, &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: history not ordered (times must not decrease, recommendations must)");

    /* Last desired count: -1 (none) and the bounds 1 and 100 are fine; 0
     * below min_replicas 1, 101 above max 100 and -2 are not. */
    CHECK_EQ_I64(decide_state_decode(patched(buf, 41, (const uint8_t[]){0xff, 0xff, 0xff, 0xff}, 4), FP, &p, &d,
                                     &ld, NULL),
                 AUG_OK);
    CHECK_EQ_I64(ld, -1);
    CHECK_EQ_I64(decide_state_decode(patched(buf, 41, (const uint8_t[]){0, 0, 0, 1}, 4), FP, &p, &d, &ld, NULL),
                 AUG_OK);
    CHECK_EQ_I64(ld, 1);
    CHECK_EQ_I64(decide_state_decode(patched(buf, 41, (const uint8_t[]){0, 0, 0, 100}, 4), FP, &p, &d, &ld, NULL),
                 AUG_OK);
    CHECK_EQ_I64(ld, 100);
    CHECK_EQ_I64(decide_state_decode(patched(buf, 41, (const uint8_t[]){0, 0, 0, 0}, 4), FP, &p, &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: last desired 0 replicas, outside [1, 100]");
    CHECK_EQ_I64(decode_with(patched(buf, 41, (const uint8_t[]){0, 0, 0, 101}, 4), &p), AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, 41, (const uint8_t[]){0xff, 0xff, 0xff, 0xfe}, 4), &p), AUG_ECORRUPT);
    /* A last desired count in a never-evaluated state. */
    decide_state fresh;
    decide_state_init(&fresh, &p);
    uint8_t fb[DECIDE_STATE_BLOB_MAX];
    size_t fl = 0;
    CHECK_EQ_I64(decide_state_encode(&fresh, -1, FP, fb, sizeof fb, &fl), AUG_OK);
    memcpy(fb + 41, (const uint8_t[]){0, 0, 0, 5}, 4);
    seal(fb, fl);
    CHECK_EQ_I64(decide_state_decode((aug_bytes){fb, fl}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: a last desired count without an evaluation");
    /* No place for the count. */
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, sizeof example}, FP, &p, &d, NULL, NULL), AUG_EINVAL);

    /* The same bytes are fine for parameters that admit them, and a failed
     * decode leaves *out as it was. */
    p.up.capacity = 2;
    memset(&d, 0xAB, sizeof d);
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, sizeof example}, FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 2.5 scale-up tokens outside [0, 2]");
    CHECK_EQ_I64(d.last_eval_s, (int64_t)UINT64_C(0xABABABABABABABAB));
    p.target = 2; /* invalid parameters */
    CHECK_EQ_I64(decide_state_decode((aug_bytes){example, sizeof example}, FP, &p, &d, &ld, NULL), AUG_EINVAL);
}

/* Every refusal of the floor fields, each in a record with a valid CRC. */
static void test_strict_floor(void)
{
    decide_params p = defaults();
    uint8_t buf[DECIDE_STATE_BLOB_MAX];
    decide_state d;
    int32_t ld = 0;
    aug_errbuf eb = {{0}};
    static const uint8_t never[8] = {0x80, 0, 0, 0, 0, 0, 0, 0};

    /* m: 337 lows, over DECIDE_FLOOR_HOURS; 4 or 2 where 3 are stored. */
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_M, (const uint8_t[]){0x01, 0x51}, 2), FP, &p, &d, &ld,
                                     &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 337 floor hour lows, at most 336");
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_M, (const uint8_t[]){0, 4}, 2), FP, &p, &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: 104 bytes, 108 expected for a history of 2 and 4 floor hour lows");
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_M, (const uint8_t[]){0, 2}, 2), &p), AUG_ECORRUPT);

    /* No floor hour, but lows (the example's 3) or a low. */
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_HOUR, never, 8), FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: a floor low or hourly lows without a floor hour");
    decide_state st = example_state();
    st.floor_hour = DECIDE_NEVER;
    st.floor_low = (double)NAN;
    for (size_t i = 0; i < DECIDE_FLOOR_HOURS; i++)
        st.floor_lows[i] = NAN;
    uint8_t none[DECIDE_STATE_BLOB_MAX], pb[DECIDE_STATE_BLOB_MAX];
    size_t nl = 0;
    CHECK_EQ_I64(decide_state_encode(&st, 8, FP, none, sizeof none, &nl), AUG_OK);
    CHECK_EQ_I64(nl, sizeof example - 12);
    CHECK_EQ_I64(decode_with((aug_bytes){none, nl}, &p), AUG_OK);
    CHECK_EQ_I64(decode_with(patched_from(pb, none, nl, EX_FLOOR_LOW, (const uint8_t[]){0x40, 0x04, 0, 0, 0, 0, 0, 0},
                                          8),
                             &p),
                 AUG_ECORRUPT);

    /* The floor hour: the hour after the last evaluation's (472222 is
     * fine: the example); any in a never-evaluated state; one before the
     * hour of -DECIDE_TS_LIMIT. */
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_HOUR, (const uint8_t[]){0, 0, 0, 0, 0, 0x07, 0x34, 0x9f},
                                             8),
                                     FP, &p, &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: floor hour 472223 not within the evaluations");
    decide_state fresh;
    decide_state_init(&fresh, &p);
    uint8_t fb[DECIDE_STATE_BLOB_MAX];
    size_t fl = 0;
    CHECK_EQ_I64(decide_state_encode(&fresh, -1, FP, fb, sizeof fb, &fl), AUG_OK);
    CHECK_EQ_I64(decode_with(patched_from(pb, fb, fl, 46, (const uint8_t[8]){0}, 8), &p), AUG_ECORRUPT);
    /* -DECIDE_TS_LIMIT is in hour -27777778; -27777779 is refused. */
    CHECK_EQ_I64(decide_floor_hour(-DECIDE_TS_LIMIT), -27777778);
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_HOUR,
                                     (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xfe, 0x58, 0x25, 0x0e}, 8),
                             &p),
                 AUG_OK);
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_HOUR,
                                     (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xfe, 0x58, 0x25, 0x0d}, 8),
                             &p),
                 AUG_ECORRUPT);

    /* The open hour's low: -1 and +infinity are refused; NaN is an hour
     * with nothing observed yet. */
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_LOW, (const uint8_t[]){0xbf, 0xf0, 0, 0, 0, 0, 0, 0}, 8),
                                     FP, &p, &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: floor low -1 not in [0, 2^31]");
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOW, (const uint8_t[]){0x7f, 0xf0, 0, 0, 0, 0, 0, 0}, 8), &p),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOW, (const uint8_t[]){0x7f, 0xf8, 0, 0, 0, 0, 0, 0}, 8), &p),
                 AUG_OK);

    /* A low: -4.5, +infinity, -infinity; a NaN as the last stored one
     * (the encoder would have stored 2). */
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_LOWS, (const uint8_t[]){0xc0, 0x90, 0, 0}, 4), FP, &p,
                                     &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: floor hour low 0 is -4.5, not in [0, 2^31]");
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOWS + 8, (const uint8_t[]){0x7f, 0x80, 0, 0}, 4), &p),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOWS + 8, (const uint8_t[]){0xff, 0x80, 0, 0}, 4), &p),
                 AUG_ECORRUPT);
    CHECK_EQ_I64(decide_state_decode(patched(buf, EX_FLOOR_LOWS + 8, (const uint8_t[]){0x7f, 0xc0, 0, 0}, 4), FP,
                                     &p, &d, &ld, &eb),
                 AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: the last of 3 floor hour lows is none");
    /* A low of 0 is a low (an hour with no load). */
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOWS + 8, (const uint8_t[]){0, 0, 0, 0}, 4), &p), AUG_OK);
    /* 2^31 (the engine's cap, as a float) is the highest low; 2^32 is
     * refused, as a stored low. */
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOWS + 8, (const uint8_t[]){0x4f, 0x00, 0, 0}, 4), &p), AUG_OK);
    CHECK_EQ_I64(decode_with(patched(buf, EX_FLOOR_LOWS + 8, (const uint8_t[]){0x4f, 0x80, 0, 0}, 4), &p),
                 AUG_ECORRUPT);
}

/* The open hour's low is refused above the engine's cap (found in review):
 * 1e300 passed as "finite and >= 0", became +inf in its float when the
 * hour closed, and the state then failed its invariants, so the scaler
 * could neither decide nor be saved again. The engine's own highest low
 * (a need capped at INT32_MAX) decodes and stays usable across the hour's
 * close. */
static void test_floor_low_within_the_engine_cap(void)
{
    decide_params p = defaults();
    p.floor_quantile = 0.5;
    decide_state st;
    decide_state_init(&st, &p);
    st.last_eval_s = 1700000000;
    st.floor_hour = decide_floor_hour(1700000000);
    st.floor_low = (double)INT32_MAX;
    uint8_t buf[DECIDE_STATE_BLOB_MAX], pb[DECIDE_STATE_BLOB_MAX];
    size_t len = 0;
    CHECK_EQ_I64(decide_state_encode(&st, -1, FP, buf, sizeof buf, &len), AUG_OK);
    CHECK_EQ_I64(len, 68);
    decide_state d;
    int32_t ld = 0;
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(decide_state_decode((aug_bytes){buf, len}, FP, &p, &d, &ld, &eb), AUG_OK);
    decide_input in = {.now_s = 1700000000 + 3600, .current_replicas = 2, .observed = 0.5};
    decide_output out;
    CHECK_EQ_I64(decide_evaluate(&p, &d, &in, &out, &eb), AUG_OK);
    CHECK(decide_state_check(&d));
    CHECK_NEAR(d.floor_lows[0], 2147483648.0, 0);
    CHECK_EQ_I64(decide_state_encode(&d, out.desired, FP, pb, sizeof pb, &len), AUG_OK);
    /* 1e300 at the open hour's low (offset 54: no history). */
    static const uint8_t huge[8] = {0x7e, 0x37, 0xe4, 0x3c, 0x88, 0x00, 0x75, 0x9c};
    CHECK_EQ_I64(decide_state_decode(patched_from(pb, buf, 68, 54, huge, 8), FP, &p, &d, &ld, &eb), AUG_ECORRUPT);
    CHECK_STR(eb.msg, "decide state: floor low 1e+300 not in [0, 2^31]");
}

CHECK_MAIN(CHECK_CASE(test_worked_example), CHECK_CASE(test_version2), CHECK_CASE(test_version1),
           CHECK_CASE(test_round_trip_same_decision), CHECK_CASE(test_round_trip_floor),
           CHECK_CASE(test_strict_decoding), CHECK_CASE(test_strict_floor),
           CHECK_CASE(test_floor_low_within_the_engine_cap))
