/* state.c — the byte format of a saved decide_state, so a restarted daemon
 * keeps a scaler's cooldown, stabilization history, token buckets and the
 * hourly lows of its scale-down floor, and the scaler's last desired count
 * (src/predict/scale.c stores it in the blob table, which adds its own
 * version byte in front: storage/blob.c).
 *
 * Integers and f64 big-endian with storage/codec.h's helpers, as every
 * record in the store (storage/records.c); f64 is the IEEE-754 bit pattern
 * copied as an integer, and f32 (an hourly low of the floor, a float in
 * decide_state) likewise in a u32, so a NaN (an hour without data) stays
 * one; i64/i32 two's complement.
 *
 * Version 3 (written since the scale-down floor keeps hourly lows):
 *
 *   off      len  field
 *   0        1    version 0x03
 *   1        8    fingerprint u64: the caller's fingerprint of what the
 *                 state belongs to (scale.c: the scaler's definition)
 *   9        8    last_eval_s i64 (INT64_MIN: never evaluated)
 *   17       8    last_action_s i64 (INT64_MIN: no action yet)
 *   25       8    tokens_up f64
 *   33       8    tokens_down f64
 *   41       4    last_desired i32: the desired count of the last decision
 *                 (-1: none); scale.c uses it as the current count of a
 *                 scaler without a replicas selector
 *   45       1    n u8 (0..64): stabilization history entries, then n ×
 *   46       12     ts i64, recommendation i32, oldest (front) first
 *   46+12n   8    floor_hour i64: the UTC hour being watched (INT64_MIN:
 *                 none: the floor was never on; a state saved with it on
 *                 keeps its hours if it is turned off, scale.c note 7)
 *   54+12n   8    floor_low f64: the lowest need in that hour so far (NaN:
 *                 none yet)
 *   62+12n   2    m u16 (0..336): hourly lows stored, then m ×
 *   64+12n   4      floor_lows f32, newest (floor_hour - 1) first
 *   64+12n+4m 4   CRC-32 (IEEE 802.3, as zlib's crc32; util_crc32) of
 *                 every byte before it
 *
 * The record is 68 + 12n + 4m bytes, at most DECIDE_STATE_BLOB_MAX (2180).
 * The ring position (hist_head) is not stored: the decoder puts the front
 * at 0. The encoder stores the lows up to the last one that is not NaN
 * (m = 0 when there is none, so a scaler without a floor adds 18 bytes to
 * version 2) and the decoder insists on that (the last stored low is not
 * NaN), so a state has exactly one encoding; the lows past m are NaN.
 *
 * Version 2 (still read, no longer written) is version 3 without the floor:
 * version 0x02, the same fields at offsets 1-45 and the history at 46, then
 * the CRC-32 at 46+12n: 50 + 12n bytes. Version 1 (still read) is version 2
 * without last_desired either: version 0x01, the same fields at offsets
 * 1-40, n at 41, the history at 42 and the CRC-32 at 42+12n: 46 + 12n bytes.
 * Both decode with the empty floor of decide_state_init (no floor hour,
 * every low NaN), so a restored scaler with a floor starts
 * learning it afresh; version 1 also with last desired -1 (none), so a
 * scaler restored from it takes min_replicas as its current count until its
 * first decision, as before version 2.
 *
 * Worked example (checked by tests/unit/decide/test_state.c): fingerprint
 * 0x0102030405060708, last evaluation 1700000000, last action 1699999940,
 * 2.5 scale-up tokens, 1 scale-down token, last desired 8, history
 * (1699999940, 8), (1700000000, 5); floor hour 472222 (1700000000 / 3600 =
 * 472222.2: the hour from 1699999200), lowest need 2.5 in it so far,
 * hourly lows 4.5 (hour 472221), none (472220), 2.25 (472219):
 *   03  01 02 03 04 05 06 07 08  00 00 00 00 65 53 f1 00
 *   00 00 00 00 65 53 f0 c4  40 04 00 00 00 00 00 00  3f f0 00 00 00 00 00 00
 *   00 00 00 08
 *   02  00 00 00 00 65 53 f0 c4 00 00 00 08  00 00 00 00 65 53 f1 00 00 00 00 05
 *   00 00 00 00 00 07 34 9e  40 04 00 00 00 00 00 00
 *   00 03  40 90 00 00  7f c0 00 00  40 10 00 00
 *   cb 0e 78 57
 * The same state in version 2 (no floor; test_state.c decodes it):
 *   02  01 02 03 04 05 06 07 08  00 00 00 00 65 53 f1 00
 *   00 00 00 00 65 53 f0 c4  40 04 00 00 00 00 00 00  3f f0 00 00 00 00 00 00
 *   00 00 00 08
 *   02  00 00 00 00 65 53 f0 c4 00 00 00 08  00 00 00 00 65 53 f1 00 00 00 00 05
 *   36 73 ba 7f
 * And in version 1 (no last desired either; test_state.c decodes it):
 *   01  01 02 03 04 05 06 07 08  00 00 00 00 65 53 f1 00
 *   00 00 00 00 65 53 f0 c4  40 04 00 00 00 00 00 00  3f f0 00 00 00 00 00 00
 *   02  00 00 00 00 65 53 f0 c4 00 00 00 08  00 00 00 00 65 53 f1 00 00 00 00 05
 *   f6 4f 59 73
 *
 * Reading, in this order: a version byte other than 1, 2 or 3 →
 * AUG_EVERSION (a newer augur wrote it: start afresh rather than guess); a
 * length that does not match n (and m), more than 336 hourly lows, or a
 * checksum mismatch → AUG_ECORRUPT; another fingerprint → AUG_ENOTFOUND
 * (the parameters changed, so the state is not theirs: checked before the
 * ranges, which depend on the parameters); then every value is
 * range-checked against the parameters and decide_state_check (last
 * desired: -1, or within [min_replicas, max_replicas] and only after an
 * evaluation; a floor hour only after an evaluation, within [the hour of
 * -DECIDE_TS_LIMIT, the hour of the last evaluation] (decide_floor_hour),
 * and no floor low or lows without one; every low NaN or finite and >= 0,
 * the last stored one not NaN), a
 * violation being AUG_ECORRUPT naming the field. A decoded state can be
 * passed to decide_evaluate as is.
 */
#include "util/common.h"
#include "util/crc32.h"
#include "decide/decide.h"
#include "storage/codec.h"
#include "util/bits.h"

#define STATE_V1 0x01u
#define STATE_V2 0x02u
#define STATE_V3 0x03u
#define HDR_V1 42     /* version 1: bytes before the history */
#define HDR 46        /* versions 2 and 3: bytes before the history */
#define ENTRY 12      /* ts i64 + rec i32 */
#define FLOOR 18      /* version 3: floor_hour i64, floor_low f64, m u16 */
#define LOW 4         /* an hourly low, f32 */
#define TRAILER 4     /* CRC-32 */
/* The highest floor low: the engine caps a need at INT32_MAX (decide.c
 * floor_track), which is 2^31 once its hour closes into a float. A larger
 * one would become +inf in that float and poison the state. */
#define LOW_MAX 2147483648.0

aug_err decide_state_encode(const decide_state *st, int32_t last_desired, uint64_t fp, uint8_t *buf, size_t cap,
                            size_t *len)
{
    if (st == NULL || buf == NULL || len == NULL || !decide_state_check(st) || last_desired < -1 ||
        (last_desired >= 0 && st->last_eval_s == DECIDE_NEVER))
        return AUG_EINVAL;
    size_t m = DECIDE_FLOOR_HOURS;
    while (m > 0 && isnan(st->floor_lows[m - 1]))
        m--;
    size_t need = HDR + (size_t)st->hist_len * ENTRY + FLOOR + m * LOW + TRAILER;
    if (cap < need)
        return AUG_ETOOBIG;
    buf[0] = STATE_V3;
    put_be64(buf + 1, fp);
    put_be64(buf + 9, i2u(st->last_eval_s));
    put_be64(buf + 17, i2u(st->last_action_s));
    put_be64(buf + 25, util_f64_bits(st->tokens_up));
    put_be64(buf + 33, util_f64_bits(st->tokens_down));
    put_be32(buf + 41, (uint32_t)last_desired);
    buf[45] = (uint8_t)st->hist_len;
    uint8_t *q = buf + HDR;
    for (uint32_t i = 0; i < st->hist_len; i++, q += ENTRY) {
        uint32_t at = (st->hist_head + i) % DECIDE_HISTORY_MAX;
        put_be64(q, i2u(st->hist_ts[at]));
        put_be32(q + 8, (uint32_t)st->hist_rec[at]);
    }
    put_be64(q, i2u(st->floor_hour));
    put_be64(q + 8, util_f64_bits(st->floor_low));
    q[16] = (uint8_t)(m >> 8);
    q[17] = (uint8_t)m;
    q += FLOOR;
    for (size_t i = 0; i < m; i++, q += LOW)
        put_be32(q, util_f32_bits(st->floor_lows[i]));
    put_be32(q, util_crc32(buf, (size_t)(q - buf)));
    *len = need;
    return AUG_OK;
}

static bool ts_ok(int64_t t)
{
    return t >= -DECIDE_TS_LIMIT && t <= DECIDE_TS_LIMIT;
}

static bool tokens_ok(double v, double capacity)
{
    return isfinite(v) && v >= 0 && v <= capacity;
}

/* A big-endian i32 (two's complement) at p. */
static int32_t get_i32(const uint8_t *p)
{
    uint32_t u = get_be32(p);
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

/* Version 3's floor fields at f (after the history; m already checked
 * against the length) into s, whose last evaluation is decoded. */
static aug_err floor_decode(const uint8_t *f, size_t m, decide_state *s, aug_errbuf *eb)
{
    int64_t hour = u2i(get_be64(f));
    double low = util_bits_f64(get_be64(f + 8));
    if (hour == DECIDE_NEVER) {
        if (!isnan(low) || m != 0)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: a floor low or hourly lows without a floor hour");
    } else if (s->last_eval_s == DECIDE_NEVER || hour > decide_floor_hour(s->last_eval_s) ||
               hour < decide_floor_hour(-DECIDE_TS_LIMIT)) {
        /* The hour watched is the one of an evaluation, the last at the latest. */
        return aug_errf(eb, AUG_ECORRUPT, "decide state: floor hour %" PRId64 " not within the evaluations", hour);
    }
    if (!isnan(low) && !(low >= 0 && low <= LOW_MAX))
        return aug_errf(eb, AUG_ECORRUPT, "decide state: floor low %g not in [0, 2^31]", low);
    const uint8_t *q = f + FLOOR;
    for (size_t i = 0; i < m; i++, q += LOW) {
        float v = util_bits_f32(get_be32(q));
        if (!isnan(v) && !(v >= 0 && (double)v <= LOW_MAX))
            return aug_errf(eb, AUG_ECORRUPT, "decide state: floor hour low %zu is %g, not in [0, 2^31]", i,
                            (double)v);
        /* The encoder stops at the last low: one encoding per state. */
        if (isnan(v) && i == m - 1)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: the last of %zu floor hour lows is none", m);
        s->floor_lows[i] = v;
    }
    s->floor_hour = hour;
    s->floor_low = low;
    return AUG_OK;
}

aug_err decide_state_decode(aug_bytes in, uint64_t fp, const decide_params *p, decide_state *out,
                            int32_t *last_desired, aug_errbuf *eb)
{
    aug_err err = decide_params_check(p, eb);
    if (err != AUG_OK)
        return err;
    if (last_desired == NULL)
        return aug_errf(eb, AUG_EINVAL, "decide state: missing argument");
    *last_desired = -1;
    if (in.p == NULL || in.len < 1)
        return aug_errf(eb, AUG_ECORRUPT, "decide state: empty record");
    const unsigned ver = in.p[0];
    if (ver != STATE_V1 && ver != STATE_V2 && ver != STATE_V3)
        return aug_errf(eb, AUG_EVERSION, "decide state: version %u, this augur reads %u, %u and %u", ver, STATE_V1,
                        STATE_V2, STATE_V3);
    /* Version 1 lacks last_desired: its history starts 4 bytes earlier.
     * Version 3 adds the floor after the history. */
    const size_t hdr = ver == STATE_V1 ? HDR_V1 : HDR;
    const size_t floor_len = ver == STATE_V3 ? FLOOR : 0;
    if (in.len < hdr + floor_len + TRAILER)
        return aug_errf(eb, AUG_ECORRUPT, "decide state: %zu bytes, shorter than the %zu-byte minimum", in.len,
                        hdr + floor_len + TRAILER);
    size_t n = in.p[hdr - 1];
    if (n > DECIDE_HISTORY_MAX)
        return aug_errf(eb, AUG_ECORRUPT, "decide state: %zu history entries, at most %d", n, DECIDE_HISTORY_MAX);
    size_t m = 0;
    if (ver == STATE_V3) {
        size_t at_m = hdr + n * ENTRY + FLOOR - 2;
        if (in.len < at_m + 2 + TRAILER)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: %zu bytes, too short for a history of %zu", in.len, n);
        m = (size_t)in.p[at_m] << 8 | in.p[at_m + 1];
        if (m > DECIDE_FLOOR_HOURS)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: %zu floor hour lows, at most %d", m,
                            DECIDE_FLOOR_HOURS);
        if (in.len != at_m + 2 + m * LOW + TRAILER)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: %zu bytes, %zu expected for a history of %zu and %zu "
                            "floor hour lows", in.len, at_m + 2 + m * LOW + TRAILER, n, m);
    } else if (in.len != hdr + n * ENTRY + TRAILER) {
        return aug_errf(eb, AUG_ECORRUPT, "decide state: %zu bytes, %zu expected for a history of %zu", in.len,
                        hdr + n * ENTRY + TRAILER, n);
    }
    uint32_t crc = util_crc32(in.p, in.len - TRAILER);
    if (get_be32(in.p + in.len - TRAILER) != crc)
        return aug_errf(eb, AUG_ECORRUPT, "decide state: checksum mismatch");
    int32_t desired = hdr == HDR ? get_i32(in.p + 41) : -1;
    if (get_be64(in.p + 1) != fp) {
        /* Another definition's record: its state does not apply, but the
         * count it last asked for is still what runs (decide.h). */
        if (desired >= -1)
            *last_desired = desired;
        return aug_errf(eb, AUG_ENOTFOUND, "decide state: saved for other parameters (fingerprint %016" PRIx64
                        ", expected %016" PRIx64 ")", get_be64(in.p + 1), fp);
    }

    /* Starts as decide_state_init: versions 1 and 2 keep its empty floor. */
    decide_state s;
    decide_state_init(&s, p);
    s.last_eval_s = u2i(get_be64(in.p + 9));
    s.last_action_s = u2i(get_be64(in.p + 17));
    s.tokens_up = util_bits_f64(get_be64(in.p + 25));
    s.tokens_down = util_bits_f64(get_be64(in.p + 33));
    bool evaluated = s.last_eval_s != DECIDE_NEVER;
    if (evaluated && !ts_ok(s.last_eval_s))
        return aug_errf(eb, AUG_ECORRUPT, "decide state: last evaluation %" PRId64 " out of range", s.last_eval_s);
    /* An action happens at an evaluation, so it is never after the last one. */
    if (s.last_action_s != DECIDE_NEVER &&
        (!evaluated || !ts_ok(s.last_action_s) || s.last_action_s > s.last_eval_s))
        return aug_errf(eb, AUG_ECORRUPT, "decide state: last action %" PRId64 " not within the evaluations",
                        s.last_action_s);
    if (!tokens_ok(s.tokens_up, p->up.capacity))
        return aug_errf(eb, AUG_ECORRUPT, "decide state: %g scale-up tokens outside [0, %g]", s.tokens_up,
                        p->up.capacity);
    if (!tokens_ok(s.tokens_down, p->down.capacity))
        return aug_errf(eb, AUG_ECORRUPT, "decide state: %g scale-down tokens outside [0, %g]", s.tokens_down,
                        p->down.capacity);
    /* A decision is clamped to [min, max] (decide.c step 9) and made at an
     * evaluation. */
    if (desired != -1 && (desired < p->min_replicas || desired > p->max_replicas))
        return aug_errf(eb, AUG_ECORRUPT, "decide state: last desired %" PRId32 " replicas, outside [%" PRId32
                        ", %" PRId32 "]", desired, p->min_replicas, p->max_replicas);
    if (desired != -1 && !evaluated)
        return aug_errf(eb, AUG_ECORRUPT, "decide state: a last desired count without an evaluation");
    if (n > 0 && !evaluated)
        return aug_errf(eb, AUG_ECORRUPT, "decide state: a history without an evaluation");
    const uint8_t *q = in.p + hdr;
    for (size_t i = 0; i < n; i++, q += ENTRY) {
        int64_t ts = u2i(get_be64(q));
        int32_t rec = get_i32(q + 8);
        if (!ts_ok(ts) || ts > s.last_eval_s)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: history entry %zu at %" PRId64
                            " not within the evaluations", i, ts);
        if (rec < p->min_replicas || rec > p->max_replicas)
            return aug_errf(eb, AUG_ECORRUPT, "decide state: history entry %zu recommends %" PRId32
                            " replicas, outside [%" PRId32 ", %" PRId32 "]", i, rec, p->min_replicas,
                            p->max_replicas);
        s.hist_ts[i] = ts;
        s.hist_rec[i] = rec;
    }
    s.hist_len = (uint32_t)n;
    if (ver == STATE_V3 && (err = floor_decode(q, m, &s, eb)) != AUG_OK)
        return err;
    if (!decide_state_check(&s))
        return aug_errf(eb, AUG_ECORRUPT,
                        "decide state: history not ordered (times must not decrease, recommendations must)");
    *out = s;
    *last_desired = desired;
    return AUG_OK;
}
