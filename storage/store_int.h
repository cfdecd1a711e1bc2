/* store_int.h — what the .c files of storage/ share and nobody else sees: the
 * definitions of store and store_txn, error translation, sticky failure and
 * the per-transaction scratch buffers.
 */
#ifndef AUG_STORAGE_STORE_INT_H
#define AUG_STORAGE_STORE_INT_H

#include "util/common.h"
#include "storage/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>

/* A growable scratch buffer with a cap (CONVENTIONS 7). `busy` guards the
 * arrays handed to callbacks: a nested call that needs the same buffer gets
 * AUG_EINVAL instead of silently clobbering the caller's borrowed array. */
typedef struct store_buf {
    uint8_t *p;
    size_t cap;
    bool busy;
} store_buf;

#define STORE_BUF_MAX ((size_t)1 << 30) /* no scratch buffer grows past 1 GiB */

typedef struct store_bufs {
    store_buf enc; /* WAL encoding */
    store_buf dec; /* decoded WAL entries handed to store_wal_foreach's fn */
    store_buf ids; /* ids handed to store_postings_values' fn; pairs for overlong values */
} store_bufs;

struct store {
    MDB_env *env;
    MDB_dbi meta, series, postings, rollup, wal, state, outbox;
    MDB_dbi blob;          /* blob.c: named opaque values (model blobs) */
    char *path;            /* directory, for messages and stats */
    char *data_path;       /* <path>/data.mdb */
    /* Writer-preferring: every transaction holds it shared for its whole
     * life; map growth takes it exclusive (mdb_env_set_mapsize must not run
     * while any transaction of this process is open, and remapping moves
     * every pointer LMDB ever handed out). */
    pthread_rwlock_t map_lock;
    pthread_key_t held;    /* per thread: number of open txns of this store */
    size_t map_bytes;      /* current map size; written under map_lock exclusive */
    size_t max_map_bytes;
    _Atomic uint64_t grows;
    _Atomic bool broken;   /* a remap failed and could not be undone, or LMDB panicked
                            * (MDB_PANIC): every call → AUG_EIO */
    /* Durability (store.c note 6): LMDB txn ids. committed: newest write
     * commit of this process; durable: newest whose meta page a completed
     * flush covered; flush_failed: a flush failed while a commit waited. */
    _Atomic uint64_t committed;
    _Atomic uint64_t durable;
    _Atomic bool flush_failed;
    /* Serializes flushes of data.mdb: a write commit (its fdatasync and the
     * bookkeeping above) and store_sync. Linux reports a writeback error to
     * only one of two overlapping fdatasyncs of one file description, so
     * without it store_sync could succeed while a concurrent commit got the
     * error for the meta page store_sync was meant to cover (note 6).
     * Taken after map_lock. */
    pthread_mutex_t flush_mu;
    store_bufs wbufs;      /* scratch of write txns (one at a time, LMDB's writer lock) */
};

struct store_txn {
    store *s;
    MDB_txn *txn;
    bool write;
    aug_err failed;       /* sticky: first failed mutation of a write txn */
    unsigned open_iters;  /* must be 0 when the txn ends */
    store_bufs *bufs;     /* &s->wbufs for write txns, &own for read txns */
    store_bufs own;
};

/* MDB_* / errno → aug_err (see store.h). */
aug_err store_mdb_err(int rc);

/* Marks a write txn failed with e (the first error wins) and returns e. */
aug_err store_txn_fail(store_txn *t, aug_err e);

/* Entry checks: a txn that already failed returns its error; write ops on
 * a read txn return AUG_EINVAL. */
aug_err store_txn_readable(const store_txn *t);

/* A walk over one table that lends scratch buffer b to its callback: refuses
 * (AUG_EINVAL) when b is already lent, i.e. the walk was started from its own
 * callback; otherwise opens a cursor on dbi and marks b busy. */
aug_err store_walk_open(store_txn *t, store_buf *b, MDB_dbi dbi, MDB_cursor **c);
/* Ends the walk: frees b, closes c, and returns e, or the translation of the
 * cursor's last rc when e is AUG_OK and rc is not MDB_NOTFOUND. */
aug_err store_walk_close(store_buf *b, MDB_cursor *c, aug_err e, int rc);
aug_err store_txn_writable(store_txn *t);

/* Makes b hold at least n bytes (contents not preserved). */
aug_err store_buf_reserve(store_buf *b, size_t n);

static inline MDB_val store_val(const void *p, size_t n)
{
    return (MDB_val){.mv_size = n, .mv_data = (void *)(uintptr_t)p};
}

static inline aug_bytes store_bytes(MDB_val v)
{
    return (aug_bytes){.p = v.mv_data, .len = v.mv_size};
}

#endif
