/* blob.c — the blob table: named opaque values (forecast model state).
 *
 * DBI blob — key: 1..511 caller bytes (the caller namespaces them; predict
 * uses "fc/" + forecast name + 0xFF + group label key). Value:
 *   off len field
 *   0   1   version 0x01 (STORE_RECORD_V1)
 *   1   n   payload, opaque to storage (its own format is documented by the
 *           module that writes it, e.g. src/predict/record.c)
 *   e.g. key "fc/cpu" ff, payload 01 02 03 →
 *   key 66 63 2f 63 70 75 ff
 *   val 01 01 02 03
 * A value of another version → AUG_EVERSION (written by a newer augur:
 * refused, never guessed); an empty value → AUG_ECORRUPT. The payload is
 * written in place with MDB_RESERVE, so a large blob is copied once.
 */
#include "util/common.h"
#include "storage/records.h"
#include "storage/store_int.h"

static bool key_ok(aug_bytes key)
{
    return key.p != NULL && key.len >= 1 && key.len <= STORE_BLOB_KEY_MAX;
}

static aug_err value_of(MDB_val d, aug_bytes *out)
{
    if (d.mv_size < 1)
        return AUG_ECORRUPT;
    const uint8_t *p = d.mv_data;
    if (p[0] != STORE_RECORD_V1)
        return AUG_EVERSION;
    *out = (aug_bytes){p + 1, d.mv_size - 1};
    return AUG_OK;
}

aug_err store_blob_put(store_txn *t, aug_bytes key, aug_bytes value)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (!key_ok(key) || value.len > STORE_BLOB_VALUE_MAX || (value.len > 0 && value.p == NULL))
        return store_txn_fail(t, AUG_EINVAL);
    MDB_val k = store_val(key.p, key.len), d = store_val(NULL, value.len + 1);
    int rc = mdb_put(t->txn, t->s->blob, &k, &d, MDB_RESERVE);
    if (rc != 0)
        return store_txn_fail(t, store_mdb_err(rc));
    uint8_t *p = d.mv_data;
    p[0] = STORE_RECORD_V1;
    if (value.len > 0)
        memcpy(p + 1, value.p, value.len);
    return AUG_OK;
}

aug_err store_blob_get(store_txn *t, aug_bytes key, aug_bytes *value)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    if (!key_ok(key))
        return AUG_EINVAL;
    MDB_val k = store_val(key.p, key.len), d;
    int rc = mdb_get(t->txn, t->s->blob, &k, &d);
    if (rc != 0)
        return store_mdb_err(rc);
    return value_of(d, value);
}

aug_err store_blob_delete(store_txn *t, aug_bytes key)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (!key_ok(key))
        return store_txn_fail(t, AUG_EINVAL);
    MDB_val k = store_val(key.p, key.len);
    int rc = mdb_del(t->txn, t->s->blob, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return AUG_ENOTFOUND;
    return store_txn_fail(t, store_mdb_err(rc));
}

aug_err store_blob_foreach(store_txn *t, aug_bytes prefix, aug_err (*fn)(void *arg, aug_bytes key, aug_bytes value),
                           void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    if (prefix.len > 0 && (prefix.p == NULL || prefix.len > STORE_BLOB_KEY_MAX))
        return AUG_EINVAL;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->blob, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    MDB_val k = store_val(prefix.p, prefix.len), d;
    rc = prefix.len > 0 ? mdb_cursor_get(c, &k, &d, MDB_SET_RANGE) : mdb_cursor_get(c, &k, &d, MDB_FIRST);
    while (rc == 0) {
        if (k.mv_size < prefix.len || (prefix.len > 0 && memcmp(k.mv_data, prefix.p, prefix.len) != 0))
            break;
        aug_bytes v;
        if ((e = value_of(d, &v)) != AUG_OK || (e = fn(arg, store_bytes(k), v)) != AUG_OK)
            break;
        rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (e == AUG_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = store_mdb_err(rc);
    return e;
}
