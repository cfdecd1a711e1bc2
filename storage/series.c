/* series.c — the series dictionary (id → canonical label key) and the label
 * postings (name, value → ids) used to resolve remote-read matchers.
 *
 * Design notes
 * ------------
 * 1. Ids are immutable: store_series_put of an existing id with the same
 *    key is a no-op (a replayed batch), with another key it is refused.
 *    Postings are only ever added (MDB_NODUPDATA makes re-adding a no-op).
 * 2. Postings layout and its overlong form: records.c. Lookups of an exact
 *    key are one seek, mdb_cursor_count for the size, then page-sized
 *    MDB_GET_MULTIPLE copies. A key holding a single id is stored by LMDB as
 *    a plain node, for which GET_MULTIPLE returns nothing: read_dups takes
 *    that id from the seek itself.
 * 3. Overlong values (the posting key holds only a prefix) are resolved by
 *    reading each candidate's label key from the series DBI; a candidate
 *    whose key lacks the label or the prefix is an inconsistent index →
 *    AUG_ECORRUPT.
 */
#include "util/common.h"
#include "storage/records.h"
#include "storage/store_int.h"

/* ---- dictionary ---- */

aug_err store_series_put(store_txn *t, uint32_t id, aug_bytes key)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (id == 0 || key.p == NULL || !store_labels_valid(key))
        return store_txn_fail(t, AUG_EINVAL);
    size_t off = 0;
    aug_str name, value;
    while (store_labels_next(key, &off, &name, &value)) {
        if (name.len > STORE_LABEL_NAME_MAX)
            return store_txn_fail(t, AUG_ETOOBIG);
    }
    if (key.len > SIZE_MAX / 2)
        return store_txn_fail(t, AUG_ETOOBIG);

    uint8_t kb[4];
    store_key_u32_encode(id, kb);
    MDB_val k = store_val(kb, sizeof kb), d = {.mv_size = key.len + 1, .mv_data = NULL};
    int rc = mdb_put(t->txn, t->s->series, &k, &d, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc == MDB_KEYEXIST) {
        aug_bytes old;
        e = store_record_series_decode(store_bytes(d), &old);
        if (e != AUG_OK)
            return store_txn_fail(t, e);
        if (old.len != key.len || memcmp(old.p, key.p, key.len) != 0)
            return store_txn_fail(t, AUG_EINVAL); /* id already names another series */
        return AUG_OK;
    }
    if (rc != 0)
        return store_txn_fail(t, store_mdb_err(rc));
    store_record_series_encode(key, d.mv_data);

    off = 0;
    while (store_labels_next(key, &off, &name, &value)) {
        uint8_t pk[STORE_KEY_MAX];
        size_t pklen;
        bool overlong;
        e = store_record_posting_key_encode(name, value, pk, &pklen, &overlong);
        if (e != AUG_OK)
            return store_txn_fail(t, e);
        MDB_val pkv = store_val(pk, pklen), idv = store_val(kb, sizeof kb);
        rc = mdb_put(t->txn, t->s->postings, &pkv, &idv, MDB_NODUPDATA);
        if (rc != 0 && rc != MDB_KEYEXIST)
            return store_txn_fail(t, store_mdb_err(rc));
    }
    return AUG_OK;
}

aug_err store_series_get(store_txn *t, uint32_t id, aug_bytes *key)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    uint8_t kb[4];
    store_key_u32_encode(id, kb);
    MDB_val k = store_val(kb, sizeof kb), d;
    e = store_mdb_err(mdb_get(t->txn, t->s->series, &k, &d));
    if (e == AUG_OK)
        e = store_record_series_decode(store_bytes(d), key);
    return e;
}

aug_err store_series_foreach(store_txn *t, aug_err (*fn)(void *arg, uint32_t id, aug_bytes key), void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->series, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    MDB_val k, d;
    while ((rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) == 0) {
        uint32_t id;
        aug_bytes key;
        if ((e = store_key_u32_decode(store_bytes(k), &id)) != AUG_OK ||
            (e = store_record_series_decode(store_bytes(d), &key)) != AUG_OK || (e = fn(arg, id, key)) != AUG_OK)
            break;
    }
    mdb_cursor_close(c);
    if (e == AUG_OK && rc != MDB_NOTFOUND)
        e = store_mdb_err(rc);
    return e;
}

/* ---- postings ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Copies the `count` ids of the key the cursor was just positioned on
 * (MDB_SET_KEY / MDB_SET_RANGE / MDB_NEXT_NODUP returned `first`). */
static aug_err read_dups(MDB_cursor *c, MDB_val first, uint32_t *out, size_t count)
{
    if (count == 1) {
        if (first.mv_size != 4)
            return AUG_ECORRUPT;
        out[0] = be32(first.mv_data);
        return AUG_OK;
    }
    size_t got = 0;
    MDB_val k, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
    while (rc == 0) {
        size_t n = v.mv_size / 4;
        if (v.mv_size % 4 != 0 || n > count - got || n == 0)
            return AUG_ECORRUPT;
        const uint8_t *p = v.mv_data;
        for (size_t i = 0; i < n; i++)
            out[got + i] = be32(p + 4 * i);
        got += n;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE);
    }
    if (rc != MDB_NOTFOUND)
        return store_mdb_err(rc);
    return got == count ? AUG_OK : AUG_ECORRUPT;
}

/* The full value of label `name` of series id, which must start with
 * `prefix` (the overlong posting it was found under). */
static aug_err candidate_value(store_txn *t, uint32_t id, aug_str name, aug_str prefix, aug_str *value)
{
    aug_bytes key;
    aug_err e = store_series_get(t, id, &key);
    if (e != AUG_OK)
        return e == AUG_ENOTFOUND ? AUG_ECORRUPT : e;
    if (!store_labels_find(key, name, value) || value->len < prefix.len ||
        memcmp(value->p, prefix.p, prefix.len) != 0)
        return AUG_ECORRUPT;
    return AUG_OK;
}

static bool str_eq(aug_str a, aug_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

aug_err store_postings_get(store_txn *t, aug_str name, aug_str value, uint32_t *ids, size_t cap, size_t *n)
{
    *n = 0;
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    uint8_t pk[STORE_KEY_MAX];
    size_t pklen;
    bool overlong;
    if (store_record_posting_key_encode(name, value, pk, &pklen, &overlong) != AUG_OK || value.len == 0)
        return AUG_OK; /* no stored series can have this label */
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->postings, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    MDB_val k = store_val(pk, pklen), v;
    size_t count = 0;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
    if (rc == 0)
        rc = mdb_cursor_count(c, &count);
    if (rc != 0) {
        e = rc == MDB_NOTFOUND ? AUG_OK : store_mdb_err(rc);
        goto done;
    }
    if (!overlong) {
        *n = count;
        e = count > cap ? AUG_ETOOBIG : read_dups(c, v, ids, count);
        goto done;
    }
    aug_str prefix = {value.p, pklen - name.len - 2};
    size_t found = 0;
    for (;;) {
        uint32_t id;
        aug_str full;
        if (v.mv_size != 4) {
            e = AUG_ECORRUPT;
            break;
        }
        id = be32(v.mv_data);
        if ((e = candidate_value(t, id, name, prefix, &full)) != AUG_OK)
            break;
        if (str_eq(full, value)) {
            if (found < cap)
                ids[found] = id;
            found++;
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
        if (rc != 0) {
            e = rc == MDB_NOTFOUND ? AUG_OK : store_mdb_err(rc);
            break;
        }
    }
    if (e == AUG_OK) {
        *n = found;
        if (found > cap)
            e = AUG_ETOOBIG;
    }
done:
    mdb_cursor_close(c);
    return e;
}

typedef struct vid {
    aug_str value;
    uint32_t id;
} vid;

static int vid_cmp(const void *pa, const void *pb)
{
    const vid *a = pa, *b = pb;
    int c = memcmp(a->value.p, b->value.p, AUG_MIN(a->value.len, b->value.len));
    if (c == 0)
        c = a->value.len < b->value.len ? -1 : a->value.len > b->value.len;
    if (c == 0)
        c = a->id < b->id ? -1 : a->id > b->id;
    return c;
}

typedef aug_err (*values_fn)(void *arg, aug_str value, const uint32_t *ids, size_t n);

/* Splits the candidates of one overlong posting by their full value and
 * calls fn once per value. `buf` holds count vids then count ids (input). */
static aug_err overlong_groups(store_txn *t, aug_str name, aug_str prefix, uint8_t *buf, size_t count,
                               values_fn fn, void *arg)
{
    vid *pairs = (vid *)(void *)buf;
    uint32_t *ids = (uint32_t *)(void *)(buf + count * sizeof(vid));
    for (size_t i = 0; i < count; i++) {
        pairs[i].id = ids[i];
        aug_err e = candidate_value(t, ids[i], name, prefix, &pairs[i].value);
        if (e != AUG_OK)
            return e;
    }
    qsort(pairs, count, sizeof *pairs, vid_cmp);
    for (size_t i = 0; i < count; i++)
        ids[i] = pairs[i].id;
    for (size_t i = 0; i < count;) {
        size_t j = i + 1;
        while (j < count && str_eq(pairs[j].value, pairs[i].value))
            j++;
        aug_err e = fn(arg, pairs[i].value, ids + i, j - i);
        if (e != AUG_OK)
            return e;
        i = j;
    }
    return AUG_OK;
}

aug_err store_postings_values(store_txn *t, aug_str name, values_fn fn, void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    uint8_t prefix[STORE_KEY_MAX];
    size_t plen;
    bool overlong;
    if (store_record_posting_key_encode(name, (aug_str){"", 0}, prefix, &plen, &overlong) != AUG_OK)
        return AUG_OK; /* no stored series can have this label */
    plen = name.len + 1; /* name 0xFF */
    store_buf *b = &t->bufs->ids;
    MDB_cursor *c;
    if ((e = store_walk_open(t, b, t->s->postings, &c)) != AUG_OK)
        return e; /* AUG_EINVAL: called from its own callback */
    MDB_val k = store_val(prefix, plen), v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && e == AUG_OK) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        aug_str kname, value;
        size_t count;
        if ((e = store_record_posting_key_decode(store_bytes(k), &kname, &value, &overlong)) != AUG_OK)
            break;
        if ((rc = mdb_cursor_count(c, &count)) != 0)
            break;
        size_t per = overlong ? sizeof(vid) + 4 : 4;
        if (count > STORE_BUF_MAX / per) {
            e = AUG_ETOOBIG;
            break;
        }
        if ((e = store_buf_reserve(b, count * per)) != AUG_OK)
            break;
        uint32_t *ids = (uint32_t *)(void *)(b->p + (overlong ? count * sizeof(vid) : 0));
        if ((e = read_dups(c, v, ids, count)) != AUG_OK)
            break;
        if (overlong)
            e = overlong_groups(t, name, value, b->p, count, fn, arg);
        else
            e = fn(arg, value, ids, count);
        if (e == AUG_OK)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
    }
    return store_walk_close(b, c, e, rc);
}
