/* state.c — per-series ingest state checkpoints (dedup point, counter base,
 * open buckets), one record per series id, replayed in id order at start.
 */
#include "util/common.h"
#include "storage/records.h"
#include "storage/store_int.h"

aug_err store_state_put(store_txn *t, uint32_t id, const store_series_state *st)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (id == 0)
        return store_txn_fail(t, AUG_EINVAL);
    uint8_t kb[4], vb[STORE_STATE_RECORD_MAX];
    store_key_u32_encode(id, kb);
    size_t vlen = store_record_state_encode(st, vb);
    MDB_val k = store_val(kb, sizeof kb), d = store_val(vb, vlen);
    return store_txn_fail(t, store_mdb_err(mdb_put(t->txn, t->s->state, &k, &d, 0)));
}

aug_err store_state_foreach(store_txn *t, aug_err (*fn)(void *arg, uint32_t id, const store_series_state *st),
                            void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->state, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    MDB_val k, d;
    while ((rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) == 0) {
        uint32_t id;
        store_series_state st;
        if ((e = store_key_u32_decode(store_bytes(k), &id)) != AUG_OK ||
            (e = store_record_state_decode(store_bytes(d), &st)) != AUG_OK || (e = fn(arg, id, &st)) != AUG_OK)
            break;
    }
    mdb_cursor_close(c);
    if (e == AUG_OK && rc != MDB_NOTFOUND)
        e = store_mdb_err(rc);
    return e;
}
