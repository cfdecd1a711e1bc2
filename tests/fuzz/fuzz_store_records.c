/* fuzz_store_records.c — every decoder of storage/records.h on untrusted
 * bytes (what a damaged or foreign data.mdb hands back).
 *
 * Input: byte 0 picks the decoder (mod 8), the rest is the record:
 *   0 meta   1 series   2 rollup key   3 rollup record (bytes 1..8 = bucket
 *   start, BE)   4 WAL record   5 state record   6 posting key   7 label key
 * Beyond "no crash, no read outside the input, only AUG_OK / AUG_ECORRUPT /
 * AUG_EVERSION", each accepted input is checked for a round-trip property:
 * decode → encode → decode gives the same values bit for bit, and for the
 * formats whose encoding is canonical (meta, series, keys) re-encoding gives
 * back the input bytes. A violation aborts.
 */
#include "util/common.h"
#include "storage/records.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(x) \
    do { \
        if (!(x)) { \
            fprintf(stderr, "fuzz_store_records: %s failed at line %d\n", #x, __LINE__); \
            abort(); \
        } \
    } while (0)

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static bool rollup_same(const store_rollup *a, const store_rollup *b)
{
    return a->count == b->count && bits(a->sum) == bits(b->sum) && bits(a->min) == bits(b->min) &&
           bits(a->max) == bits(b->max) && bits(a->last) == bits(b->last) && a->last_ts_ms == b->last_ts_ms &&
           bits(a->increase) == bits(b->increase);
}

static void check_err(aug_err e)
{
    REQUIRE(e == AUG_OK || e == AUG_ECORRUPT || e == AUG_EVERSION);
}

static void fuzz_meta(aug_bytes in)
{
    uint64_t v;
    aug_err e = store_record_meta_decode(in, &v);
    check_err(e);
    if (e != AUG_OK)
        return;
    uint8_t out[STORE_META_RECORD_LEN];
    store_record_meta_encode(v, out);
    REQUIRE(in.len == sizeof out && memcmp(out, in.p, sizeof out) == 0);
}

static void fuzz_series(aug_bytes in)
{
    aug_bytes key;
    aug_err e = store_record_series_decode(in, &key);
    check_err(e);
    if (e != AUG_OK)
        return;
    REQUIRE(store_labels_valid(key));
    uint8_t *out = aug_malloc(key.len + 1);
    if (out == NULL)
        return;
    store_record_series_encode(key, out);
    REQUIRE(in.len == key.len + 1 && memcmp(out, in.p, in.len) == 0);
    aug_free(out);
}

static void fuzz_rollup_key(aug_bytes in)
{
    uint32_t id;
    store_res res;
    int64_t start;
    aug_err e = store_record_rollup_key_decode(in, &id, &res, &start);
    check_err(e);
    if (e != AUG_OK)
        return;
    uint8_t out[STORE_ROLLUP_KEY_LEN];
    store_record_rollup_key_encode(id, res, start, out);
    REQUIRE(in.len == sizeof out && memcmp(out, in.p, sizeof out) == 0);
}

static void fuzz_rollup(aug_bytes in)
{
    int64_t start = 60;
    if (in.len >= 8) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | in.p[i];
        memcpy(&start, &u, sizeof start);
        in.p += 8;
        in.len -= 8;
    }
    store_rollup r, r2;
    aug_err e = store_record_rollup_decode(in, start, &r);
    check_err(e);
    if (e != AUG_OK)
        return;
    uint8_t out[STORE_ROLLUP_RECORD_MAX];
    size_t n = store_record_rollup_encode(&r, start, out);
    REQUIRE(n <= in.len); /* the encoder never uses more bytes than needed */
    REQUIRE(store_record_rollup_decode((aug_bytes){out, n}, start, &r2) == AUG_OK);
    REQUIRE(rollup_same(&r, &r2));
}

static void fuzz_wal(aug_bytes in)
{
    size_t n, m;
    aug_err e = store_record_wal_count(in, &n);
    check_err(e);
    if (e != AUG_OK)
        return;
    REQUIRE(n <= in.len);
    store_wal_entry *a = aug_malloc((n ? n : 1) * sizeof *a), *b = aug_malloc((n ? n : 1) * sizeof *b);
    size_t cap = store_record_wal_bound(n);
    uint8_t *out = aug_malloc(cap);
    if (a == NULL || b == NULL || out == NULL)
        goto done;
    e = store_record_wal_decode(in, a, n, &m);
    check_err(e);
    if (e != AUG_OK)
        goto done;
    REQUIRE(m == n);
    size_t len;
    REQUIRE(store_record_wal_encode(a, n, out, cap, &len) == AUG_OK);
    REQUIRE(store_record_wal_decode((aug_bytes){out, len}, b, n, &m) == AUG_OK && m == n);
    for (size_t i = 0; i < n; i++)
        REQUIRE(a[i].id == b[i].id && a[i].ts_ms == b[i].ts_ms && bits(a[i].value) == bits(b[i].value));
done:
    aug_free(a);
    aug_free(b);
    aug_free(out);
}

static void fuzz_state(aug_bytes in)
{
    store_series_state a, b;
    aug_err e = store_record_state_decode(in, &a);
    check_err(e);
    if (e != AUG_OK)
        return;
    uint8_t out[STORE_STATE_RECORD_MAX];
    size_t n = store_record_state_encode(&a, out);
    REQUIRE(n <= in.len);
    REQUIRE(store_record_state_decode((aug_bytes){out, n}, &b) == AUG_OK);
    REQUIRE(a.last_ts_ms == b.last_ts_ms && bits(a.prev_value) == bits(b.prev_value) && a.has_prev == b.has_prev &&
            a.stale == b.stale && a.minute_start_s == b.minute_start_s && rollup_same(&a.minute, &b.minute) &&
            a.hour_start_s == b.hour_start_s && rollup_same(&a.hour, &b.hour));
}

static void fuzz_posting_key(aug_bytes in)
{
    aug_str name, value;
    bool overlong, ov2;
    aug_err e = store_record_posting_key_decode(in, &name, &value, &overlong);
    check_err(e);
    if (e != AUG_OK)
        return;
    uint8_t out[STORE_KEY_MAX];
    size_t len;
    REQUIRE(store_record_posting_key_encode(name, value, out, &len, &ov2) == AUG_OK);
    if (!overlong)
        REQUIRE(!ov2 && len == in.len && memcmp(out, in.p, len) == 0);
}

static void fuzz_labels(aug_bytes in)
{
    if (!store_labels_valid(in))
        return;
    size_t off = 0, count = 0;
    aug_str name, value, found;
    while (store_labels_next(in, &off, &name, &value)) {
        REQUIRE(name.len > 0 && value.len > 0);
        REQUIRE(store_labels_find(in, name, &found) && found.p == value.p && found.len == value.len);
        count++;
    }
    REQUIRE(off == in.len && count > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    aug_bytes in = {data + 1, size - 1};
    switch (data[0] % 8) {
    case 0: fuzz_meta(in); break;
    case 1: fuzz_series(in); break;
    case 2: fuzz_rollup_key(in); break;
    case 3: fuzz_rollup(in); break;
    case 4: fuzz_wal(in); break;
    case 5: fuzz_state(in); break;
    case 6: fuzz_posting_key(in); break;
    default: fuzz_labels(in); break;
    }
    return 0;
}
