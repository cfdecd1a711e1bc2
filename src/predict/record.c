/* record.c — the byte format of a saved forecast group: the payload predict
 * stores in the blob table (storage/blob.c adds its own version byte in
 * front). Integers big-endian; f64 = the IEEE-754 bit pattern, big-endian,
 * copied as an integer (NaN payloads survive); i64 two's complement.
 *
 *   off len    field
 *   0   1      version 0x02 (0x01 is still read: see below)
 *   1   8      fingerprint u64: the target definition the model belongs to
 *   9   8      last_final_s i64: start of the last bucket learned
 *                (INT64_MIN: none)
 *   17  8      last_emit_ms i64: timestamp of the last points emitted
 *                (INT64_MIN: none)
 *   25  4      n u32 (<= 1 MiB), then n bytes: the group's canonical label key
 *   .   1      nh (0..16): horizons, then for each:
 *       4        k u32 (1..20160): horizon in steps
 *       2        n u16 (<= 64): entries in the error window
 *       2        head u16 (< 64): next window slot
 *       512      64 x f64: |y − ŷ| per entry (unused slots 0)
 *       512      64 x f64: |y| per entry (unused slots 0); both finite, >= 0
 *                (forecast/accuracy.h: the weighted error of the window)
 *       k x 16   pending forecasts: target bucket start i64 (INT64_MIN:
 *                none), mean f64
 *   .   1      flags: bit0 ONE (a 1-step forecast is pending); bits 1-7 zero
 *   .   32     if ONE: target start i64, mean, lo80, hi80 f64
 *   .   8      last anomaly score f64 (NaN: none)
 *   .   4      m u32, then m bytes: the fc_model blob (src/forecast/blob.c,
 *                which has its own version and checksum)
 *   .   4      CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 *
 * Worked example (checked by tests/unit/predict/test_predict.c): fingerprint
 * 0x0102030405060708, last_final_s 1700000000, last_emit_ms 1700000060000,
 * group {job="web"}, no horizons, no 1-step forecast, no anomaly score
 * (the default NaN 0x7ff8000000000000), model blob aa bb cc:
 *   02  01 02 03 04 05 06 07 08  00 00 00 00 65 53 f1 00
 *   00 00 01 8b cf e6 52 60  00 00 00 08  6a 6f 62 ff 77 65 62 ff
 *   00  00  7f f8 00 00 00 00 00 00  00 00 00 03  aa bb cc  b2 dc 86 09
 *
 * Version 0x01 held one array of 64 plain percentage errors per horizon
 * instead of the two arrays. It is read with each error window emptied (a
 * percentage error cannot be split back into |y − ŷ| and |y|): the rolling
 * error restarts after an upgrade; the model and everything else resume.
 *
 * Reading: another version byte → AUG_EVERSION (a newer augur wrote it:
 * the group starts cold rather than guess); a short or long record, a field
 * out of range, a reserved flag bit or a checksum mismatch → AUG_ECORRUPT.
 * The decoder never reads outside its input and never allocates (the
 * pending forecasts stay raw bytes, read with predict_record_pending).
 */
#include "util/common.h"
#include "util/bits.h"
#include "util/crc32.h"
#include "storage/codec.h"
#include "predict/predict_int.h"

#define REC_V1 0x01u
#define REC_V2 0x02u
#define KEY_MAX ((size_t)1 << 20)
#define FLAG_ONE 0x01u


size_t predict_record_size(const predict_record *r)
{
    size_t n = 1 + 8 + 8 + 8 + 4 + r->group_key.len + 1;
    for (uint32_t i = 0; i < r->nh && i < PREDICT_MAX_HORIZONS; i++)
        n += 4 + 2 + 2 + 16 * FC_ACC_WINDOW + (size_t)(r->h[i].k > 0 ? r->h[i].k : 0) * 16;
    n += 1 + (r->one_have ? 32 : 0) + 8 + 4 + r->model.len + 4;
    return n;
}

aug_err predict_record_encode(const predict_record *r, uint8_t *buf, size_t cap, size_t *len)
{
    if (r->nh > PREDICT_MAX_HORIZONS || r->group_key.len > KEY_MAX || r->model.len > UINT32_MAX)
        return AUG_EINVAL;
    for (uint32_t i = 0; i < r->nh; i++) {
        const predict_record_h *h = &r->h[i];
        if (h->k < 1 || h->k > FC_MAX_HORIZON || !fc_acc_check(&h->acc))
            return AUG_EINVAL;
    }
    size_t need = predict_record_size(r);
    if (cap < need)
        return AUG_ETOOBIG;
    uint8_t *p = buf;
    *p++ = REC_V2;
    put_be64(p, r->fp);
    put_be64(p + 8, (uint64_t)r->last_final_s);
    put_be64(p + 16, (uint64_t)r->last_emit_ms);
    put_be32(p + 24, (uint32_t)r->group_key.len);
    p += 28;
    if (r->group_key.len)
        memcpy(p, r->group_key.p, r->group_key.len);
    p += r->group_key.len;
    *p++ = (uint8_t)r->nh;
    for (uint32_t i = 0; i < r->nh; i++) {
        const predict_record_h *h = &r->h[i];
        put_be32(p, (uint32_t)h->k);
        p[4] = (uint8_t)(h->acc.n >> 8);
        p[5] = (uint8_t)h->acc.n;
        p[6] = (uint8_t)(h->acc.head >> 8);
        p[7] = (uint8_t)h->acc.head;
        p += 8;
        for (int j = 0; j < FC_ACC_WINDOW; j++, p += 8)
            put_be64(p, util_f64_bits(h->acc.err[j]));
        for (int j = 0; j < FC_ACC_WINDOW; j++, p += 8)
            put_be64(p, util_f64_bits(h->acc.act[j]));
        for (int32_t j = 0; j < h->k; j++, p += 16) {
            put_be64(p, (uint64_t)h->tgt[j]);
            put_be64(p + 8, util_f64_bits(h->val[j]));
        }
    }
    *p++ = r->one_have ? FLAG_ONE : 0;
    if (r->one_have) {
        put_be64(p, (uint64_t)r->one_tgt);
        put_be64(p + 8, util_f64_bits(r->one_mean));
        put_be64(p + 16, util_f64_bits(r->one_lo80));
        put_be64(p + 24, util_f64_bits(r->one_hi80));
        p += 32;
    }
    put_be64(p, util_f64_bits(r->anomaly));
    put_be32(p + 8, (uint32_t)r->model.len);
    p += 12;
    if (r->model.len)
        memcpy(p, r->model.p, r->model.len);
    p += r->model.len;
    put_be32(p, util_crc32(buf, (size_t)(p - buf)));
    p += 4;
    *len = (size_t)(p - buf);
    return AUG_OK;
}

typedef struct rd {
    const uint8_t *p;
    size_t len, off;
} rd;

static const uint8_t *take(rd *r, size_t n)
{
    if (n > r->len - r->off)
        return NULL;
    const uint8_t *q = r->p + r->off;
    r->off += n;
    return q;
}

aug_err predict_record_decode(aug_bytes in, predict_record *out)
{
    if (in.p == NULL || in.len < 1)
        return AUG_ECORRUPT;
    uint8_t version = in.p[0];
    if (version != REC_V1 && version != REC_V2)
        return AUG_EVERSION;
    size_t window_bytes = (version == REC_V1 ? 8 : 16) * (size_t)FC_ACC_WINDOW;
    if (in.len < 5 || get_be32(in.p + in.len - 4) != util_crc32(in.p, in.len - 4))
        return AUG_ECORRUPT;
    rd r = {in.p, in.len - 4, 1};
    predict_record o;
    memset(&o, 0, sizeof o);
    const uint8_t *q = take(&r, 28);
    if (q == NULL)
        return AUG_ECORRUPT;
    o.fp = get_be64(q);
    o.last_final_s = (int64_t)get_be64(q + 8);
    o.last_emit_ms = (int64_t)get_be64(q + 16);
    size_t kn = get_be32(q + 24);
    if (kn > KEY_MAX || (q = take(&r, kn)) == NULL)
        return AUG_ECORRUPT;
    o.group_key = (aug_bytes){kn ? q : NULL, kn};
    if ((q = take(&r, 1)) == NULL || *q > PREDICT_MAX_HORIZONS)
        return AUG_ECORRUPT;
    o.nh = *q;
    for (uint32_t i = 0; i < o.nh; i++) {
        predict_record_h *h = &o.h[i];
        if ((q = take(&r, 8 + window_bytes)) == NULL)
            return AUG_ECORRUPT;
        uint32_t k = get_be32(q);
        h->acc.n = (uint16_t)(q[4] << 8 | q[5]);
        h->acc.head = (uint16_t)(q[6] << 8 | q[7]);
        if (k < 1 || k > FC_MAX_HORIZON || h->acc.n > FC_ACC_WINDOW || h->acc.head >= FC_ACC_WINDOW)
            return AUG_ECORRUPT;
        h->k = (int32_t)k;
        if (version == REC_V1) {
            fc_acc_reset(&h->acc);
        } else {
            for (int j = 0; j < FC_ACC_WINDOW; j++) {
                h->acc.err[j] = util_bits_f64(get_be64(q + 8 + 8 * j));
                h->acc.act[j] = util_bits_f64(get_be64(q + 8 + 8 * (FC_ACC_WINDOW + j)));
            }
            if (!fc_acc_check(&h->acc))
                return AUG_ECORRUPT;
        }
        if ((q = take(&r, (size_t)k * 16)) == NULL)
            return AUG_ECORRUPT;
        h->pending = (aug_bytes){q, (size_t)k * 16};
    }
    if ((q = take(&r, 1)) == NULL || (*q & ~FLAG_ONE) != 0)
        return AUG_ECORRUPT;
    o.one_have = (*q & FLAG_ONE) != 0;
    if (o.one_have) {
        if ((q = take(&r, 32)) == NULL)
            return AUG_ECORRUPT;
        o.one_tgt = (int64_t)get_be64(q);
        o.one_mean = util_bits_f64(get_be64(q + 8));
        o.one_lo80 = util_bits_f64(get_be64(q + 16));
        o.one_hi80 = util_bits_f64(get_be64(q + 24));
    }
    if ((q = take(&r, 12)) == NULL)
        return AUG_ECORRUPT;
    o.anomaly = util_bits_f64(get_be64(q));
    size_t mn = get_be32(q + 8);
    if ((q = take(&r, mn)) == NULL || r.off != r.len)
        return AUG_ECORRUPT;
    o.model = (aug_bytes){mn ? q : NULL, mn};
    *out = o;
    return AUG_OK;
}

void predict_record_pending(const predict_record_h *h, int32_t i, int64_t *tgt, double *val)
{
    const uint8_t *q = h->pending.p + (size_t)i * 16;
    *tgt = (int64_t)get_be64(q);
    *val = util_bits_f64(get_be64(q + 8));
}
