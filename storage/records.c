/* records.c — every byte format storage/ writes to LMDB.
 *
 * Conventions shared by all formats
 * ---------------------------------
 * - Integers in keys are big-endian so LMDB's memcmp order is numeric order.
 *   Signed key fields are stored as (uint64)x ^ 0x8000000000000000 ("sign
 *   flipped"), so negative timestamps sort before positive ones.
 * - Every record VALUE starts with a version byte, currently 0x01. A reader
 *   that meets another version returns AUG_EVERSION (written by a newer
 *   augur: refuse, never guess). Keys and posting dups carry no version; the
 *   schema stamp in meta ("store.schema") versions them.
 * - A record that is too short, has trailing bytes, a reserved flag bit set,
 *   a non-minimal or over-long varint, or a value out of range → AUG_ECORRUPT.
 * - varint = unsigned LEB128, minimal, at most 10 bytes; zz = zigzag
 *   (0→0, -1→1, 1→2, …) then varint.
 * - f64 = the 8 bytes of the IEEE-754 bit pattern, big-endian, copied as an
 *   integer: NaN payloads (staleness marker 0x7ff0000000000002) and -0.0 are
 *   preserved exactly. No arithmetic ever touches a value on its way through.
 *
 * DBI meta — key: name (ASCII, 1..128 bytes); value:
 *   off len field
 *   0   1   version 0x01
 *   1   8   value, u64 BE
 *   e.g. store.schema = 1 → 01 00 00 00 00 00 00 00 01
 *
 * DBI series — key: id u32 BE (ids start at 1); value:
 *   0   1   version 0x01
 *   1   n   canonical label key (name 0xFF value 0xFF)+, names ascending
 *   e.g. id 7, {__name__="up", job="node"}:
 *   key 00 00 00 07
 *   val 01 5f 5f 6e 61 6d 65 5f 5f ff 75 70 ff 6a 6f 62 ff 6e 6f 64 65 ff
 *
 * DBI postings (MDB_DUPSORT | MDB_DUPFIXED) — key, one of:
 *   exact:    name 0xFF value 0xFF                  (length <= 511)
 *   overlong: name 0xFF value[0..k) 0xFE            (length == 511 exactly)
 *   dups: id u32 BE, 4 bytes each, sorted = ascending ids.
 *   An exact key ends in 0xFF, an overlong one is exactly 511 bytes and ends
 *   in 0xFE, so the two never collide even if a value holds 0xFE. The
 *   overlong form exists because LMDB keys are at most 511 bytes while label
 *   values may be longer: every value sharing the 511-byte prefix shares the
 *   key, and readers filter candidates by the value in the series record.
 *   e.g. job="node", ids 3 and 7:
 *   key 6a 6f 62 ff 6e 6f 64 65 ff   dups 00 00 00 03, 00 00 00 07
 *   Why DUPFIXED rather than one key per (name, value, id): an id costs 4
 *   bytes in a dup sub-page instead of an ~8-byte node header plus the whole
 *   repeated key, a lookup is one seek plus MDB_GET_MULTIPLE page copies,
 *   and the count of a value is O(1) (mdb_cursor_count).
 *
 * DBI rollup — key (13 bytes): one series' buckets are contiguous and ordered
 *   0   4   series id, u32 BE
 *   4   1   resolution (1 minute, 2 hour)
 *   5   8   bucket start in seconds, i64 sign-flipped BE
 *   e.g. id 7, minute, 1700000040 → 00 00 00 07 01 80 00 00 00 65 53 f1 28
 * value: version 0x01, then a rollup body:
 *   0   1   flags: bit0 ONE  = sum, min, max, last share one bit pattern V
 *                  bit1 ZINC = increase is +0.0 (omitted)
 *                  bits 2-7 zero
 *   .   1-5 count, varint (<= 2^32-1)
 *   .   1-10 last_ts_ms - start_s*1000, zz (wrapping 64-bit arithmetic)
 *   .   8   V (if ONE) or sum, min, max, last (32 bytes)
 *   .   8   increase (unless ZINC)
 *   e.g. bucket 1700000040, one sample 0.5 at 1700000055000 ms, no increase:
 *   01 03 01 b0 ea 01 3f e0 00 00 00 00 00 00           (14 bytes)
 *   (15000 ms → zz 30000 → b0 ea 01; 0.5 = 3f e0 00 …)
 *   With Prometheus' default 1-minute scrape most minute buckets hold one
 *   sample, so most records take 14 bytes instead of a fixed 53.
 *
 * DBI wal — key: seq u64 BE; value:
 *   0   1   version 0x01
 *   1   1-10 n, varint (n <= remaining bytes: every entry takes >= 1 byte)
 *   then n entries, each delta-coded against the previous entry (the first
 *   against id 0, ts 0, value bits 0):
 *   1   tag: bits 0-1 value kind: 0 SAME bits as previous entry
 *                                 1 INT  zz integer i, value == (double)i
 *                                 2 F32  4 bytes BE binary32, exact widening
 *                                 3 F64  8 bytes BE bit pattern
 *            bits 2-3 id mode: 0 DELTA (zz of id - prev id follows)
 *                              1 SAME, 2 NEXT (prev id + 1), 3 invalid
 *            bit 4 TS_SAME (ts == prev ts, no delta follows)
 *            bits 5-7 zero
 *   .   id delta (if DELTA), ts delta zz (unless TS_SAME), value (per kind)
 *   A decoded id of 0 or above 2^32-1 → AUG_ECORRUPT. NaN/Inf always go
 *   F64 (or F32 for ±Inf, which widen exactly), so bits are preserved.
 *   e.g. seq 42: (id 5, ts 1700000000000, 1.0), (id 6, same ts, staleness NaN)
 *   key 00 00 00 00 00 00 00 2a
 *   val 01 02
 *       01 0a 80 a0 ab fe f9 62 02            tag INT|DELTA, id +5 → 0a,
 *                                            ts zz 3400000000000, 1 → 02
 *       1b 7f f0 00 00 00 00 00 02            tag F64|NEXT|TS_SAME
 *   A remote-write batch (series in turn, one scrape timestamp) costs
 *   ~3-11 bytes per entry instead of 20.
 *
 * DBI state — key: id u32 BE; value:
 *   0   1   version 0x01
 *   1   1   flags: bit0 HAS_PREV, bit1 STALE, bit2 HAS_TS (last_ts_ms !=
 *            INT64_MIN), bit3 MINUTE (open minute bucket, count > 0),
 *            bit4 HOUR (likewise); bits 5-7 zero
 *   .   1-10 last_ts_ms, zz            (if HAS_TS)
 *   .   8   prev_value, f64            (if HAS_PREV)
 *   .   1-10 minute_start_s zz, then a rollup body relative to it (if MINUTE)
 *   .   1-10 hour_start_s zz, then a rollup body (if HOUR)
 *   A MINUTE/HOUR body with count 0 → AUG_ECORRUPT (the encoder omits it).
 *   e.g. id 7: last 1700000055000 ms, prev 0.5, open minute = the rollup
 *   example above, no open hour:
 *   01 0d b0 fb b1 fe f9 62 3f e0 00 00 00 00 00 00 d0 c4 9f d5 0c
 *      03 01 b0 ea 01 3f e0 00 00 00 00 00 00
 *
 * DBI blob — caller key → version 0x01 + opaque payload: see blob.c.
 */
#include "util/common.h"
#include "util/bits.h"
#include "storage/codec.h"
#include "storage/records.h"

#include <float.h>

/* A reader over untrusted bytes: every get checks the bound. */
typedef struct rd {
    const uint8_t *p;
    size_t len, off;
} rd;

static bool rd_u8(rd *r, uint8_t *v)
{
    if (r->off >= r->len)
        return false;
    *v = r->p[r->off++];
    return true;
}

static bool rd_uvarint(rd *r, uint64_t *v)
{
    return get_uvarint(r->p, r->len, &r->off, v);
}

static bool rd_zz(rd *r, int64_t *v)
{
    uint64_t u;
    if (!rd_uvarint(r, &u))
        return false;
    *v = zz_dec(u);
    return true;
}

static bool rd_be32(rd *r, uint32_t *v)
{
    if (r->len - r->off < 4)
        return false;
    *v = get_be32(r->p + r->off);
    r->off += 4;
    return true;
}

static bool rd_be64(rd *r, uint64_t *v)
{
    if (r->len - r->off < 8)
        return false;
    *v = get_be64(r->p + r->off);
    r->off += 8;
    return true;
}

static bool rd_f64(rd *r, double *v)
{
    uint64_t u;
    if (!rd_be64(r, &u))
        return false;
    *v = util_bits_f64(u);
    return true;
}

/* Checks the version byte: empty → ECORRUPT, other version → EVERSION. */
static aug_err rd_version(rd *r)
{
    uint8_t v;
    if (!rd_u8(r, &v))
        return AUG_ECORRUPT;
    return v == STORE_RECORD_V1 ? AUG_OK : AUG_EVERSION;
}

static rd rd_of(aug_bytes in)
{
    return (rd){.p = in.p, .len = in.p != NULL ? in.len : 0, .off = 0};
}

/* ---- canonical label key ---- */

/* Reads one 0xFF-terminated field starting at *off. */
static bool label_field(aug_bytes key, size_t *off, aug_str *out)
{
    if (*off >= key.len)
        return false;
    const uint8_t *start = key.p + *off;
    const uint8_t *end = memchr(start, 0xFF, key.len - *off);
    if (end == NULL || end == start)
        return false; /* unterminated or empty */
    out->p = (const char *)start;
    out->len = (size_t)(end - start);
    *off += out->len + 1;
    return true;
}

bool store_labels_next(aug_bytes key, size_t *off, aug_str *name, aug_str *value)
{
    if (key.p == NULL)
        return false;
    size_t o = *off;
    if (!label_field(key, &o, name) || !label_field(key, &o, value))
        return false;
    *off = o;
    return true;
}

static int str_cmp(aug_str a, aug_str b)
{
    int c = memcmp(a.p, b.p, AUG_MIN(a.len, b.len));
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

bool store_labels_valid(aug_bytes key)
{
    if (key.p == NULL || key.len == 0)
        return false;
    size_t off = 0;
    aug_str name, value, prev = {NULL, 0};
    while (off < key.len) {
        if (!store_labels_next(key, &off, &name, &value))
            return false;
        if (prev.p != NULL && str_cmp(prev, name) >= 0)
            return false;
        prev = name;
    }
    return true;
}

bool store_labels_find(aug_bytes key, aug_str name, aug_str *value)
{
    size_t off = 0;
    aug_str n, v;
    while (store_labels_next(key, &off, &n, &v)) {
        int c = str_cmp(n, name);
        if (c == 0) {
            *value = v;
            return true;
        }
        if (c > 0)
            break; /* names are ascending */
    }
    return false;
}

/* ---- meta ---- */

void store_record_meta_encode(uint64_t v, uint8_t out[STORE_META_RECORD_LEN])
{
    out[0] = STORE_RECORD_V1;
    put_be64(out + 1, v);
}

aug_err store_record_meta_decode(aug_bytes in, uint64_t *v)
{
    rd r = rd_of(in);
    aug_err e = rd_version(&r);
    if (e != AUG_OK)
        return e;
    if (!rd_be64(&r, v) || r.off != r.len)
        return AUG_ECORRUPT;
    return AUG_OK;
}

/* ---- series ---- */

void store_record_series_encode(aug_bytes key, uint8_t *out)
{
    out[0] = STORE_RECORD_V1;
    memcpy(out + 1, key.p, key.len);
}

aug_err store_record_series_decode(aug_bytes in, aug_bytes *key)
{
    rd r = rd_of(in);
    aug_err e = rd_version(&r);
    if (e != AUG_OK)
        return e;
    aug_bytes k = {in.p + 1, in.len - 1};
    if (!store_labels_valid(k))
        return AUG_ECORRUPT;
    *key = k;
    return AUG_OK;
}

/* ---- id / seq keys ---- */

void store_key_u32_encode(uint32_t v, uint8_t out[4])
{
    put_be32(out, v);
}

aug_err store_key_u32_decode(aug_bytes in, uint32_t *v)
{
    if (in.p == NULL || in.len != 4)
        return AUG_ECORRUPT;
    *v = get_be32(in.p);
    return AUG_OK;
}

void store_key_u64_encode(uint64_t v, uint8_t out[8])
{
    put_be64(out, v);
}

aug_err store_key_u64_decode(aug_bytes in, uint64_t *v)
{
    if (in.p == NULL || in.len != 8)
        return AUG_ECORRUPT;
    *v = get_be64(in.p);
    return AUG_OK;
}

/* ---- posting key ---- */

aug_err store_record_posting_key_encode(aug_str name, aug_str value, uint8_t out[STORE_KEY_MAX], size_t *len,
                                        bool *overlong)
{
    if (name.len == 0 || name.len > STORE_LABEL_NAME_MAX || memchr(name.p, 0xFF, name.len) != NULL ||
        (value.len > 0 && memchr(value.p, 0xFF, value.len) != NULL))
        return AUG_EINVAL;
    memcpy(out, name.p, name.len);
    out[name.len] = 0xFF;
    size_t room = STORE_KEY_MAX - name.len - 2; /* value bytes that fit */
    if (value.len <= room) {
        if (value.len > 0)
            memcpy(out + name.len + 1, value.p, value.len);
        out[name.len + 1 + value.len] = 0xFF;
        *len = name.len + value.len + 2;
        *overlong = false;
    } else {
        memcpy(out + name.len + 1, value.p, room);
        out[STORE_KEY_MAX - 1] = 0xFE;
        *len = STORE_KEY_MAX;
        *overlong = true;
    }
    return AUG_OK;
}

aug_err store_record_posting_key_decode(aug_bytes in, aug_str *name, aug_str *value, bool *overlong)
{
    if (in.p == NULL || in.len < 3 || in.len > STORE_KEY_MAX)
        return AUG_ECORRUPT;
    const uint8_t *sep = memchr(in.p, 0xFF, in.len);
    if (sep == NULL || sep == in.p || (size_t)(sep - in.p) > STORE_LABEL_NAME_MAX)
        return AUG_ECORRUPT;
    size_t nlen = (size_t)(sep - in.p);
    const uint8_t *v = sep + 1, *last = in.p + in.len - 1;
    if (v > last)
        return AUG_ECORRUPT; /* the separator is the last byte: no terminator */
    size_t vlen = (size_t)(last - v);
    if (memchr(v, 0xFF, vlen) != NULL)
        return AUG_ECORRUPT;
    if (*last == 0xFF)
        *overlong = false;
    else if (*last == 0xFE && in.len == STORE_KEY_MAX)
        *overlong = true;
    else
        return AUG_ECORRUPT;
    *name = (aug_str){(const char *)in.p, nlen};
    *value = (aug_str){(const char *)v, vlen};
    return AUG_OK;
}

/* ---- rollup ---- */

#define ROLLUP_ONE 0x01u
#define ROLLUP_ZINC 0x02u

void store_record_rollup_key_encode(uint32_t id, store_res res, int64_t start_s, uint8_t out[STORE_ROLLUP_KEY_LEN])
{
    put_be32(out, id);
    out[4] = (uint8_t)res;
    put_be64(out + 5, i2u(start_s) ^ 0x8000000000000000ULL);
}

aug_err store_record_rollup_key_decode(aug_bytes in, uint32_t *id, store_res *res, int64_t *start_s)
{
    if (in.p == NULL || in.len != STORE_ROLLUP_KEY_LEN)
        return AUG_ECORRUPT;
    if (in.p[4] != STORE_RES_MINUTE && in.p[4] != STORE_RES_HOUR)
        return AUG_ECORRUPT;
    *id = get_be32(in.p);
    *res = (store_res)in.p[4];
    *start_s = u2i(get_be64(in.p + 5) ^ 0x8000000000000000ULL);
    return AUG_OK;
}

static size_t rollup_body_put(uint8_t *p, const store_rollup *r, int64_t start_s)
{
    uint64_t bs = util_f64_bits(r->sum), bmin = util_f64_bits(r->min), bmax = util_f64_bits(r->max), blast = util_f64_bits(r->last);
    uint64_t binc = util_f64_bits(r->increase);
    uint8_t flags = 0;
    if (bs == bmin && bs == bmax && bs == blast)
        flags |= ROLLUP_ONE;
    if (binc == 0)
        flags |= ROLLUP_ZINC;
    size_t n = 0;
    p[n++] = flags;
    n += uvarint_put(p + n, r->count);
    n += uvarint_put(p + n, zz_enc(u2i(i2u(r->last_ts_ms) - i2u(start_s) * 1000u)));
    put_be64(p + n, bs);
    n += 8;
    if (!(flags & ROLLUP_ONE)) {
        put_be64(p + n, bmin);
        put_be64(p + n + 8, bmax);
        put_be64(p + n + 16, blast);
        n += 24;
    }
    if (!(flags & ROLLUP_ZINC)) {
        put_be64(p + n, binc);
        n += 8;
    }
    return n;
}

static bool rollup_body_get(rd *r, int64_t start_s, store_rollup *out)
{
    uint8_t flags;
    uint64_t count;
    int64_t dts;
    if (!rd_u8(r, &flags) || (flags & ~(ROLLUP_ONE | ROLLUP_ZINC)) != 0)
        return false;
    if (!rd_uvarint(r, &count) || count > UINT32_MAX || !rd_zz(r, &dts))
        return false;
    store_rollup v = {.count = (uint32_t)count};
    v.last_ts_ms = u2i(i2u(start_s) * 1000u + i2u(dts));
    if (!rd_f64(r, &v.sum))
        return false;
    if (flags & ROLLUP_ONE) {
        v.min = v.max = v.last = v.sum;
    } else if (!rd_f64(r, &v.min) || !rd_f64(r, &v.max) || !rd_f64(r, &v.last)) {
        return false;
    }
    if (!(flags & ROLLUP_ZINC) && !rd_f64(r, &v.increase))
        return false;
    *out = v;
    return true;
}

size_t store_record_rollup_encode(const store_rollup *r, int64_t start_s, uint8_t out[STORE_ROLLUP_RECORD_MAX])
{
    out[0] = STORE_RECORD_V1;
    return 1 + rollup_body_put(out + 1, r, start_s);
}

aug_err store_record_rollup_decode(aug_bytes in, int64_t start_s, store_rollup *out)
{
    rd r = rd_of(in);
    aug_err e = rd_version(&r);
    if (e != AUG_OK)
        return e;
    store_rollup v;
    if (!rollup_body_get(&r, start_s, &v) || r.off != r.len)
        return AUG_ECORRUPT;
    *out = v;
    return AUG_OK;
}

/* ---- WAL ---- */

enum { VAL_SAME = 0, VAL_INT = 1, VAL_F32 = 2, VAL_F64 = 3 };
enum { ID_DELTA = 0, ID_SAME = 1, ID_NEXT = 2 };
#define WAL_TS_SAME 0x10u
#define WAL_ENTRY_MAX (1 + 5 + 10 + 8)

size_t store_record_wal_bound(size_t n)
{
    if (n > (SIZE_MAX - 11) / WAL_ENTRY_MAX)
        return 0;
    return 11 + n * WAL_ENTRY_MAX;
}

/* Picks the smallest exact representation of a value. */
static unsigned value_kind(uint64_t bits, uint64_t prev_bits, uint64_t *zz)
{
    if (bits == prev_bits)
        return VAL_SAME;
    double v = util_bits_f64(bits);
    size_t best = 8;
    unsigned kind = VAL_F64;
    if (v >= -9007199254740992.0 && v <= 9007199254740992.0) { /* ±2^53, excludes NaN */
        int64_t i = (int64_t)v;
        if (util_f64_bits((double)i) == bits) { /* integral and not -0.0 */
            *zz = zz_enc(i);
            best = uvarint_len(*zz);
            kind = VAL_INT;
        }
    }
    if (best > 4 && !isnan(v) && (isinf(v) || fabs(v) <= (double)FLT_MAX)) {
        float f = (float)v;
        if (util_f64_bits((double)f) == bits)
            kind = VAL_F32;
    }
    return kind;
}

aug_err store_record_wal_encode(const store_wal_entry *e, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    size_t need = store_record_wal_bound(n);
    if (need == 0 || cap < need)
        return AUG_ETOOBIG;
    size_t o = 0;
    out[o++] = STORE_RECORD_V1;
    o += uvarint_put(out + o, n);
    uint32_t prev_id = 0;
    int64_t prev_ts = 0;
    uint64_t prev_bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].id == 0)
            return AUG_EINVAL;
        uint64_t bits = util_f64_bits(e[i].value), zz = 0;
        unsigned kind = value_kind(bits, prev_bits, &zz);
        unsigned idm = e[i].id == prev_id ? ID_SAME : e[i].id == prev_id + 1u ? ID_NEXT : ID_DELTA;
        bool ts_same = e[i].ts_ms == prev_ts;
        out[o++] = (uint8_t)(kind | idm << 2 | (ts_same ? WAL_TS_SAME : 0));
        if (idm == ID_DELTA)
            o += uvarint_put(out + o, zz_enc((int64_t)e[i].id - (int64_t)prev_id));
        if (!ts_same)
            o += uvarint_put(out + o, zz_enc(u2i(i2u(e[i].ts_ms) - i2u(prev_ts))));
        switch (kind) {
        case VAL_INT:
            o += uvarint_put(out + o, zz);
            break;
        case VAL_F32: {
            float f = (float)e[i].value;
            uint32_t fb;
            memcpy(&fb, &f, sizeof fb);
            put_be32(out + o, fb);
            o += 4;
            break;
        }
        case VAL_F64:
            put_be64(out + o, bits);
            o += 8;
            break;
        default:
            break;
        }
        prev_id = e[i].id;
        prev_ts = e[i].ts_ms;
        prev_bits = bits;
    }
    *len = o;
    return AUG_OK;
}

static aug_err wal_header(rd *r, size_t *n)
{
    aug_err e = rd_version(r);
    if (e != AUG_OK)
        return e;
    uint64_t cnt;
    if (!rd_uvarint(r, &cnt) || cnt > r->len - r->off)
        return AUG_ECORRUPT;
    *n = (size_t)cnt;
    return AUG_OK;
}

aug_err store_record_wal_count(aug_bytes in, size_t *n)
{
    rd r = rd_of(in);
    return wal_header(&r, n);
}

aug_err store_record_wal_decode(aug_bytes in, store_wal_entry *out, size_t cap, size_t *n)
{
    rd r = rd_of(in);
    size_t cnt;
    aug_err e = wal_header(&r, &cnt);
    if (e != AUG_OK)
        return e;
    if (cnt > cap)
        return AUG_ETOOBIG;
    uint32_t prev_id = 0;
    int64_t prev_ts = 0;
    uint64_t prev_bits = 0;
    for (size_t i = 0; i < cnt; i++) {
        uint8_t tag;
        if (!rd_u8(&r, &tag) || (tag & 0xE0) != 0)
            return AUG_ECORRUPT;
        unsigned kind = tag & 3u, idm = (tag >> 2) & 3u;
        int64_t id = prev_id;
        if (idm == ID_NEXT) {
            id = (int64_t)prev_id + 1;
        } else if (idm == ID_DELTA) {
            int64_t d;
            if (!rd_zz(&r, &d) || d < -(int64_t)UINT32_MAX || d > (int64_t)UINT32_MAX)
                return AUG_ECORRUPT;
            id = (int64_t)prev_id + d;
        } else if (idm != ID_SAME) {
            return AUG_ECORRUPT;
        }
        if (id <= 0 || id > (int64_t)UINT32_MAX)
            return AUG_ECORRUPT;
        int64_t ts = prev_ts;
        if (!(tag & WAL_TS_SAME)) {
            int64_t d;
            if (!rd_zz(&r, &d))
                return AUG_ECORRUPT;
            ts = u2i(i2u(prev_ts) + i2u(d));
        }
        uint64_t bits = prev_bits;
        if (kind == VAL_INT) {
            int64_t iv;
            if (!rd_zz(&r, &iv) || iv < -9007199254740992LL || iv > 9007199254740992LL)
                return AUG_ECORRUPT;
            bits = util_f64_bits((double)iv);
        } else if (kind == VAL_F32) {
            uint32_t fb;
            float f;
            if (!rd_be32(&r, &fb))
                return AUG_ECORRUPT;
            memcpy(&f, &fb, sizeof f);
            bits = util_f64_bits((double)f);
        } else if (kind == VAL_F64) {
            if (!rd_be64(&r, &bits))
                return AUG_ECORRUPT;
        }
        out[i] = (store_wal_entry){.id = (uint32_t)id, .ts_ms = ts, .value = util_bits_f64(bits)};
        prev_id = (uint32_t)id;
        prev_ts = ts;
        prev_bits = bits;
    }
    if (r.off != r.len)
        return AUG_ECORRUPT;
    *n = cnt;
    return AUG_OK;
}

/* ---- ingest state ---- */

#define ST_HAS_PREV 0x01u
#define ST_STALE 0x02u
#define ST_HAS_TS 0x04u
#define ST_MINUTE 0x08u
#define ST_HOUR 0x10u

size_t store_record_state_encode(const store_series_state *st, uint8_t out[STORE_STATE_RECORD_MAX])
{
    uint8_t flags = (uint8_t)((st->has_prev ? ST_HAS_PREV : 0) | (st->stale ? ST_STALE : 0) |
                              (st->last_ts_ms != INT64_MIN ? ST_HAS_TS : 0) |
                              (st->minute.count > 0 ? ST_MINUTE : 0) | (st->hour.count > 0 ? ST_HOUR : 0));
    size_t n = 0;
    out[n++] = STORE_RECORD_V1;
    out[n++] = flags;
    if (flags & ST_HAS_TS)
        n += uvarint_put(out + n, zz_enc(st->last_ts_ms));
    if (flags & ST_HAS_PREV) {
        put_be64(out + n, util_f64_bits(st->prev_value));
        n += 8;
    }
    if (flags & ST_MINUTE) {
        n += uvarint_put(out + n, zz_enc(st->minute_start_s));
        n += rollup_body_put(out + n, &st->minute, st->minute_start_s);
    }
    if (flags & ST_HOUR) {
        n += uvarint_put(out + n, zz_enc(st->hour_start_s));
        n += rollup_body_put(out + n, &st->hour, st->hour_start_s);
    }
    return n;
}

static bool state_bucket_get(rd *r, int64_t *start_s, store_rollup *b)
{
    return rd_zz(r, start_s) && rollup_body_get(r, *start_s, b) && b->count > 0;
}

aug_err store_record_state_decode(aug_bytes in, store_series_state *out)
{
    rd r = rd_of(in);
    aug_err e = rd_version(&r);
    if (e != AUG_OK)
        return e;
    uint8_t flags;
    if (!rd_u8(&r, &flags) || (flags & 0xE0) != 0)
        return AUG_ECORRUPT;
    store_series_state st = {.last_ts_ms = INT64_MIN};
    st.has_prev = (flags & ST_HAS_PREV) != 0;
    st.stale = (flags & ST_STALE) != 0;
    if ((flags & ST_HAS_TS) && (!rd_zz(&r, &st.last_ts_ms) || st.last_ts_ms == INT64_MIN))
        return AUG_ECORRUPT;
    if ((flags & ST_HAS_PREV) && !rd_f64(&r, &st.prev_value))
        return AUG_ECORRUPT;
    if ((flags & ST_MINUTE) && !state_bucket_get(&r, &st.minute_start_s, &st.minute))
        return AUG_ECORRUPT;
    if ((flags & ST_HOUR) && !state_bucket_get(&r, &st.hour_start_s, &st.hour))
        return AUG_ECORRUPT;
    if (r.off != r.len)
        return AUG_ECORRUPT;
    *out = st;
    return AUG_OK;
}
