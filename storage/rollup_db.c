/* rollup_db.c — minute and hour buckets in the rollup DBI: put/get, range
 * iteration and bounded retention deletes.
 *
 * Design notes
 * ------------
 * 1. Key = id | res | start (records.c), so the buckets of one series and
 *    resolution are one contiguous, ascending key range: a range read is a
 *    seek plus MDB_NEXT, retention deletes always take the first key.
 * 2. Bucket starts are validated (aligned to the resolution, and within
 *    ±INT64_MAX/1000 s so start×1000 ms never overflows) on put only;
 *    reads accept any start and simply find nothing.
 * 3. An iterator owns an LMDB cursor: it must be closed before its txn
 *    ends (txn_free asserts open_iters == 0), because LMDB frees a write
 *    txn's cursors at commit and a second close would be a double free.
 */
#include "util/common.h"
#include "storage/records.h"
#include "storage/store_int.h"
#include "util/assert.h"
#include "util/mem.h"

#define START_MAX (INT64_MAX / 1000)

static int64_t res_seconds(store_res res)
{
    return res == STORE_RES_MINUTE ? 60 : res == STORE_RES_HOUR ? 3600 : 0;
}

static bool start_ok(store_res res, int64_t start_s)
{
    int64_t step = res_seconds(res);
    return step != 0 && start_s >= -START_MAX && start_s <= START_MAX && start_s % step == 0;
}

aug_err store_rollup_put(store_txn *t, uint32_t id, store_res res, int64_t start_s, const store_rollup *r)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (id == 0 || !start_ok(res, start_s))
        return store_txn_fail(t, AUG_EINVAL);
    AUG_DEBUG_ASSERT(store_rollup_check(r));
    uint8_t kb[STORE_ROLLUP_KEY_LEN], vb[STORE_ROLLUP_RECORD_MAX];
    store_record_rollup_key_encode(id, res, start_s, kb);
    size_t vlen = store_record_rollup_encode(r, start_s, vb);
    MDB_val k = store_val(kb, sizeof kb), d = store_val(vb, vlen);
    return store_txn_fail(t, store_mdb_err(mdb_put(t->txn, t->s->rollup, &k, &d, 0)));
}

aug_err store_rollup_get(store_txn *t, uint32_t id, store_res res, int64_t start_s, store_rollup *out)
{
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    if (res_seconds(res) == 0)
        return AUG_EINVAL;
    uint8_t kb[STORE_ROLLUP_KEY_LEN];
    store_record_rollup_key_encode(id, res, start_s, kb);
    MDB_val k = store_val(kb, sizeof kb), d;
    e = store_mdb_err(mdb_get(t->txn, t->s->rollup, &k, &d));
    if (e == AUG_OK)
        e = store_record_rollup_decode(store_bytes(d), start_s, out);
    return e;
}

struct store_rollup_iter {
    store_txn *t;
    MDB_cursor *c;
    uint32_t id;
    store_res res;
    int64_t from_s, to_s;
    bool started, done;
};

aug_err store_rollup_iter_open(store_txn *t, uint32_t id, store_res res, int64_t from_s, int64_t to_s,
                               store_rollup_iter **out)
{
    *out = NULL;
    aug_err e = store_txn_readable(t);
    if (e != AUG_OK)
        return e;
    if (res_seconds(res) == 0)
        return AUG_EINVAL;
    store_rollup_iter *it = aug_calloc(1, sizeof *it);
    if (it == NULL)
        return AUG_ENOMEM;
    int rc = mdb_cursor_open(t->txn, t->s->rollup, &it->c);
    if (rc != 0) {
        aug_free(it);
        return store_mdb_err(rc);
    }
    it->t = t;
    it->id = id;
    it->res = res;
    it->from_s = from_s;
    it->to_s = to_s;
    it->done = from_s >= to_s;
    t->open_iters++;
    *out = it;
    return AUG_OK;
}

aug_err store_rollup_iter_next(store_rollup_iter *it, int64_t *start_s, store_rollup *out)
{
    if (it->done)
        return AUG_ENOTFOUND;
    aug_err e = store_txn_readable(it->t);
    if (e != AUG_OK)
        return e;
    uint8_t kb[STORE_ROLLUP_KEY_LEN];
    MDB_val k, d;
    int rc;
    if (!it->started) {
        store_record_rollup_key_encode(it->id, it->res, it->from_s, kb);
        k = store_val(kb, sizeof kb);
        rc = mdb_cursor_get(it->c, &k, &d, MDB_SET_RANGE);
        it->started = true;
    } else {
        rc = mdb_cursor_get(it->c, &k, &d, MDB_NEXT);
    }
    uint32_t id;
    store_res res;
    int64_t start;
    if (rc == 0)
        e = store_record_rollup_key_decode(store_bytes(k), &id, &res, &start);
    else
        e = store_mdb_err(rc);
    if (e == AUG_OK && (id != it->id || res != it->res || start >= it->to_s))
        e = AUG_ENOTFOUND;
    if (e == AUG_OK)
        e = store_record_rollup_decode(store_bytes(d), start, out);
    if (e != AUG_OK) {
        it->done = true;
        return e;
    }
    *start_s = start;
    return AUG_OK;
}

void store_rollup_iter_close(store_rollup_iter *it)
{
    if (it == NULL)
        return;
    mdb_cursor_close(it->c);
    it->t->open_iters--;
    aug_free(it);
}

aug_err store_rollup_expire(store_txn *t, uint32_t id, store_res res, int64_t before_s, size_t max_deletes,
                            size_t *deleted)
{
    *deleted = 0;
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    if (res_seconds(res) == 0)
        return store_txn_fail(t, AUG_EINVAL);
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->rollup, &c);
    if (rc != 0)
        return store_txn_fail(t, store_mdb_err(rc));
    uint8_t first[STORE_ROLLUP_KEY_LEN];
    store_record_rollup_key_encode(id, res, INT64_MIN, first);
    while (*deleted < max_deletes) {
        /* Re-seek after every delete: the oldest bucket is always first. */
        MDB_val k = store_val(first, sizeof first), d;
        rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
        if (rc != 0)
            break;
        uint32_t kid;
        store_res kres;
        int64_t start;
        if ((e = store_record_rollup_key_decode(store_bytes(k), &kid, &kres, &start)) != AUG_OK)
            break;
        if (kid != id || kres != res || start >= before_s)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
        (*deleted)++;
    }
    mdb_cursor_close(c);
    if (e == AUG_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = store_mdb_err(rc);
    return store_txn_fail(t, e);
}
