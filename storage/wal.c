/* wal.c — the ingest write-ahead log: one LMDB record per append, keyed by
 * sequence number, replayed after a seq and truncated after a checkpoint.
 *
 * Design notes
 * ------------
 * 1. Appends use MDB_APPEND: seqs only grow, so LMDB skips the search and
 *    fills pages completely; a seq that is not above the last → AUG_EINVAL.
 * 2. The record (records.c) is delta-coded; a 2000-entry remote-write
 *    batch of one scrape takes ~3-11 bytes per entry.
 * 3. Truncating everything (the usual case right after a checkpoint) is one
 *    mdb_drop(…, 0); a partial truncate deletes from the front.
 * 4. store_wal_foreach decodes into the txn's `dec` buffer; the entries
 *    are borrowed for the call and the buffer is busy meanwhile.
 */
#include "util/common.h"
#include "storage/records.h"
#include "storage/store_int.h"

aug_err store_wal_append(store_txn *t, uint64_t seq, const store_wal_entry *e, size_t n)
{
    aug_err err = store_txn_writable(t);
    if (err != AUG_OK)
        return err;
    if (n > 0 && e == NULL)
        return store_txn_fail(t, AUG_EINVAL);
    store_buf *b = &t->bufs->enc;
    size_t bound = store_record_wal_bound(n), len;
    if (bound == 0)
        return store_txn_fail(t, AUG_ETOOBIG);
    if ((err = store_buf_reserve(b, bound)) != AUG_OK ||
        (err = store_record_wal_encode(e, n, b->p, b->cap, &len)) != AUG_OK)
        return store_txn_fail(t, err);
    uint8_t kb[8];
    store_key_u64_encode(seq, kb);
    MDB_val k = store_val(kb, sizeof kb), d = store_val(b->p, len);
    int rc = mdb_put(t->txn, t->s->wal, &k, &d, MDB_APPEND);
    return store_txn_fail(t, rc == MDB_KEYEXIST ? AUG_EINVAL : store_mdb_err(rc));
}

aug_err store_wal_foreach(store_txn *t, uint64_t after_seq,
                          aug_err (*fn)(void *arg, uint64_t seq, const store_wal_entry *e, size_t n), void *arg)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK || after_seq == UINT64_MAX)
        return e;
    store_buf *b = &t->bufs->dec;
    MDB_cursor *c;
    if ((e = store_walk_open(t, b, t->s->wal, &c)) != AUG_OK)
        return e;
    int rc;
    uint8_t kb[8];
    store_key_u64_encode(after_seq + 1, kb);
    MDB_val k = store_val(kb, sizeof kb), d;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        uint64_t seq;
        size_t n;
        if ((e = store_key_u64_decode(store_bytes(k), &seq)) != AUG_OK ||
            (e = store_record_wal_count(store_bytes(d), &n)) != AUG_OK)
            break;
        if (n > STORE_BUF_MAX / sizeof(store_wal_entry)) {
            e = AUG_ETOOBIG;
            break;
        }
        store_wal_entry *ent = NULL;
        if (n > 0) {
            if ((e = store_buf_reserve(b, n * sizeof *ent)) != AUG_OK)
                break;
            ent = (store_wal_entry *)(void *)b->p;
        }
        if ((e = store_record_wal_decode(store_bytes(d), ent, n, &n)) != AUG_OK || (e = fn(arg, seq, ent, n)) != AUG_OK)
            break;
    }
    return store_walk_close(b, c, e, rc);
}

aug_err store_wal_truncate(store_txn *t, uint64_t upto_seq)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->wal, &c);
    if (rc != 0)
        return store_txn_fail(t, store_mdb_err(rc));
    MDB_val k, d;
    uint64_t seq;
    rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
    if (rc == 0 && (e = store_key_u64_decode(store_bytes(k), &seq)) == AUG_OK && seq <= upto_seq) {
        mdb_cursor_close(c);
        return store_txn_fail(t, store_mdb_err(mdb_drop(t->txn, t->s->wal, 0)));
    }
    while (rc == 0 && e == AUG_OK) {
        rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
        if (rc != 0 || (e = store_key_u64_decode(store_bytes(k), &seq)) != AUG_OK || seq > upto_seq)
            break;
        rc = mdb_cursor_del(c, 0);
    }
    mdb_cursor_close(c);
    if (e == AUG_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = store_mdb_err(rc);
    return store_txn_fail(t, e);
}
