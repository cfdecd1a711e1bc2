/* store.c — the LMDB environment: open + schema check, transactions with
 * sticky failure, the map lock and growth, meta values, stats.
 *
 * Design notes
 * ------------
 * 1. One environment, named DBIs (records.c documents every byte; blob.c
 *    its own table):
 *      meta      name → u64              (schema stamp "store.schema", caller values)
 *      series    id → canonical label key
 *      postings  name 0xFF value 0xFF → ids   (DUPSORT | DUPFIXED)
 *      rollup    id | res | start → rollup record
 *      wal       seq → batch of (id, ts, value)
 *      state     id → ingest state checkpoint
 *      blob      caller key → opaque value (model blobs; blob.c)
 *      outbox    target | seq → batch of samples for a remote-write target
 *                (outbox.c documents its bytes)
 *    Tables marked additive came after schema 1: they are created when
 *    missing, so an older store opens without a schema bump (an older augur
 *    never opens them and leaves them alone).
 *    Opened with MDB_NOTLS (read txns are not tied to a thread, so HTTP
 *    pool threads may each hold one) and MDB_NOMETASYNC (note 6).
 *
 * 2. Map lock. mdb_env_set_mapsize unmaps and remaps the file: no
 *    transaction of this process may be open, and every MDB_val handed out
 *    before it dangles after it. So every transaction holds `map_lock`
 *    shared from begin to end, and growth takes it exclusive. The lock is
 *    writer-preferring (glibc PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
 *    so a steady stream of readers cannot starve growth. With writer
 *    preference, a thread that takes the lock shared twice deadlocks if a
 *    grow is queued between the two; hence a per-thread count (`held`, a
 *    pthread key like LMDB's own reader slots): only a thread's first open
 *    txn takes the lock and its last one releases it. store_map_grow from a
 *    thread that holds a txn of this store would deadlock: it returns
 *    AUG_EINVAL instead.
 *
 * 3. Growth. Two triggers:
 *      - proactive: store_txn_begin(write) looks at the high-water mark
 *        ((last_pgno + 1) × page size, which only grows when the free list
 *        cannot serve a page) and doubles the map when it passes 3/4;
 *      - reactive: a put returns MDB_MAP_FULL → AUG_EFULL, the txn is
 *        failed; the caller aborts, calls store_map_grow and retries.
 *    Both double up to max_map_bytes; at the max, growth → AUG_EFULL.
 *    On reopen the map starts at the initial size doubled until the file
 *    fits in 3/4 of it, so a store that grew does not restart tiny.
 *    Another process (augurctl backfill) may grow the map: then LMDB's
 *    txn begin returns MDB_MAP_RESIZED and we adopt its size (set_mapsize 0
 *    under the exclusive lock) and retry once.
 *
 * 4. Transaction states and transitions:
 *      (none) ──store_txn_begin──▶ OPEN
 *      OPEN ──failed mutation (store_txn_fail)──▶ FAILED
 *      OPEN ──store_txn_commit──▶ (freed; commit error → translated)
 *      FAILED ──store_txn_commit──▶ (aborted, freed; returns first error)
 *      OPEN|FAILED ──store_txn_abort──▶ (freed)
 *    In FAILED every call returns the first error (LMDB itself refuses a
 *    txn after MDB_MAP_FULL; we make that uniform for our own errors).
 *    Invariant: a txn ends with open_iters == 0 (AUG_ASSERT).
 *
 * 5. Scratch: write txns borrow store->wbufs (LMDB admits one write txn at
 *    a time, so they are never shared), read txns own theirs; both are
 *    capped at STORE_BUF_MAX.
 *
 * 6. One device flush per commit (MDB_NOMETASYNC). By default LMDB's commit
 *    is pwrite(data pages) → fdatasync(fd) → pwrite(meta page) through a
 *    second descriptor opened O_DSYNC: two device flushes. With
 *    MDB_NOMETASYNC, mdb_env_write_meta writes the meta page through the
 *    same descriptor as the data (`mfd = (flags & (MDB_NOSYNC |
 *    MDB_NOMETASYNC)) ? env->me_fd : env->me_mfd`, liblmdb 0.9.24 mdb.c),
 *    unsynced; the next commit's fdatasync on that descriptor or
 *    mdb_env_sync(env, 1) writes it (fdatasync flushes the file's dirty
 *    pages whichever descriptor wrote them, but here it is the same one
 *    anyway). strace -f of the daemon under load, per commit: before,
 *    pwrite64(5, data) ×n + fdatasync(5) + pwrite64(6, meta), fd 5 =
 *    data.mdb O_RDWR, fd 6 = data.mdb O_WRONLY|O_DSYNC; after, pwrite64(5,
 *    data) ×n + fdatasync(5) + pwrite64(5, meta), fd 6 never written
 *    (counts in docs/bench.md). lmdb.h: NOMETASYNC "maintains database integrity, but
 *    a system crash may undo the last committed transaction": commit N+1
 *    only reuses pages freed before N, so the trees of N-1 and N stay
 *    intact until a later meta page is flushed.
 *    Bookkeeping, in LMDB txn ids: `committed` is the newest commit of this
 *    process that wrote; `durable` the newest whose meta page a completed
 *    flush covers. A commit with id M that wrote (me_last_txnid reached M)
 *    ran fdatasync after meta M-1 was written (writers are serialized), so
 *    durable >= M-1; store_sync reads `committed` first, then flushes, so
 *    durable >= that value. A commit that changed nothing writes nothing
 *    (no flush, no meta): it moves neither. `durable` starts at 0: the
 *    state found at open may have been left unflushed by a killed process.
 *    Failure: see store.h "Sticky failure". An AUG_EIO from a commit cannot
 *    say whether the data pwrite or the fdatasync failed, so it counts as a
 *    failed flush whenever a flush was owed; when none was owed a failed
 *    commit stays what it was before (that txn is aborted, the next one may
 *    succeed). ENOSPC and EDQUOT map to AUG_EIO too (fdatasync itself can
 *    report them on delayed allocation), so a full disk under load is
 *    sticky as well: free space, then restart.
 *    Flushes never overlap (flush_mu around a write commit and around
 *    store_sync's fdatasync): Linux reports a writeback error to one of two
 *    concurrent fdatasyncs of a file description only, so a store_sync
 *    beside a predict or export commit whose flush failed could otherwise
 *    succeed for a lost meta page. store_sync checks store_status again
 *    under the lock. A failed meta-page write makes LMDB refuse every txn
 *    (MDB_PANIC) until reopened; txn_begin latches that into `broken` so
 *    store_status and /-/ready show it.
 */
#include "util/common.h"
#include "storage/records.h"
#include "storage/store_int.h"
#include "util/assert.h"
#include "util/mem.h"

#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_INITIAL_MAP ((size_t)256 << 20)
#define DEFAULT_MAX_MAP ((size_t)1 << 40)
#define MAX_READERS 254
#define META_SCHEMA "store.schema"
#define META_RESERVED "store."
#define META_NAME_MAX 128u

/* ---- errors, sticky failure, buffers ---- */

aug_err store_mdb_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return AUG_OK;
    case MDB_NOTFOUND:
        return AUG_ENOTFOUND;
    case MDB_MAP_FULL:
        return AUG_EFULL;
    case MDB_TXN_FULL:
        return AUG_ETOOBIG; /* too many dirty pages in one txn: split it */
    case MDB_READERS_FULL:
        return AUG_EAGAIN;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE:
        return AUG_ECORRUPT;
    case MDB_VERSION_MISMATCH:
        return AUG_EVERSION;
    case ENOMEM:
        return AUG_ENOMEM;
    default:
        return AUG_EIO;
    }
}

aug_err store_txn_fail(store_txn *t, aug_err e)
{
    if (t->write && t->failed == AUG_OK && e != AUG_OK)
        t->failed = e;
    return e;
}

aug_err store_txn_readable(const store_txn *t)
{
    return t->failed;
}

aug_err store_walk_open(store_txn *t, store_buf *b, MDB_dbi dbi, MDB_cursor **c)
{
    if (b->busy)
        return AUG_EINVAL;
    int rc = mdb_cursor_open(t->txn, dbi, c);
    if (rc != 0)
        return store_mdb_err(rc);
    b->busy = true;
    return AUG_OK;
}

aug_err store_walk_close(store_buf *b, MDB_cursor *c, aug_err e, int rc)
{
    b->busy = false;
    mdb_cursor_close(c);
    if (e == AUG_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = store_mdb_err(rc);
    return e;
}

aug_err store_txn_writable(store_txn *t)
{
    if (!t->write)
        return AUG_EINVAL;
    return t->failed;
}

aug_err store_buf_reserve(store_buf *b, size_t n)
{
    if (n <= b->cap)
        return AUG_OK;
    if (n > STORE_BUF_MAX)
        return AUG_ETOOBIG;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < n)
        cap *= 2;
    cap = AUG_MIN(cap, STORE_BUF_MAX);
    uint8_t *p = aug_malloc(cap);
    if (p == NULL)
        return AUG_ENOMEM;
    aug_free(b->p);
    b->p = p;
    b->cap = cap;
    return AUG_OK;
}

static void bufs_free(store_bufs *b)
{
    aug_free(b->enc.p);
    aug_free(b->dec.p);
    aug_free(b->ids.p);
    *b = (store_bufs){0};
}

/* ---- map lock with per-thread hold count (note 2) ---- */

static uintptr_t held_get(store *s)
{
    return (uintptr_t)pthread_getspecific(s->held);
}

static aug_err hold(store *s)
{
    uintptr_t n = held_get(s);
    if (n == 0 && pthread_rwlock_rdlock(&s->map_lock) != 0)
        return AUG_EAGAIN; /* EAGAIN: too many readers of the rwlock */
    if (pthread_setspecific(s->held, (void *)(n + 1)) != 0) {
        if (n == 0)
            pthread_rwlock_unlock(&s->map_lock);
        return AUG_ENOMEM;
    }
    return AUG_OK;
}

static void release(store *s)
{
    uintptr_t n = held_get(s);
    AUG_ASSERT(n > 0);
    /* Decrementing an existing slot cannot fail. */
    (void)pthread_setspecific(s->held, (void *)(n - 1));
    if (n == 1)
        pthread_rwlock_unlock(&s->map_lock);
}

/* Sets the map size; called with map_lock held exclusive. size 0 adopts the
 * size another process committed. On failure tries to restore the old map;
 * if even that fails the environment has no map and the store is broken. */
static aug_err remap_locked(store *s, size_t size)
{
    int rc = mdb_env_set_mapsize(s->env, size);
    if (rc != 0) {
        if (mdb_env_set_mapsize(s->env, s->map_bytes) != 0)
            atomic_store(&s->broken, true);
        return store_mdb_err(rc);
    }
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_bytes = info.me_mapsize;
    return AUG_OK;
}

static aug_err grow_locked(store *s)
{
    if (s->map_bytes >= s->max_map_bytes)
        return AUG_EFULL;
    size_t want = s->map_bytes > s->max_map_bytes / 2 ? s->max_map_bytes : s->map_bytes * 2;
    aug_err e = remap_locked(s, want);
    if (e == AUG_OK)
        atomic_fetch_add(&s->grows, 1);
    return e;
}

aug_err store_map_grow(store *s)
{
    if (atomic_load(&s->broken))
        return AUG_EIO;
    if (held_get(s) != 0)
        return AUG_EINVAL; /* would wait for our own txn forever */
    if (pthread_rwlock_wrlock(&s->map_lock) != 0)
        return AUG_EIO;
    aug_err e = grow_locked(s);
    pthread_rwlock_unlock(&s->map_lock);
    return e;
}

/* High-water mark past 3/4 of the map? Reads the meta page: map_lock must be
 * held (shared is enough). */
static bool map_nearly_full(store *s)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0)
        return false;
    size_t hw = ((size_t)info.me_last_pgno + 1) * st.ms_psize;
    return hw > info.me_mapsize / 4 * 3;
}

/* ---- durability (note 6) ---- */

static void atomic_raise(_Atomic uint64_t *a, uint64_t v)
{
    uint64_t cur = atomic_load(a);
    while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
        ;
}

uint64_t store_commit_mark(store *s)
{
    return atomic_load(&s->committed);
}

bool store_durable(store *s, uint64_t mark)
{
    return mark <= atomic_load(&s->durable);
}

aug_err store_status(store *s)
{
    return atomic_load(&s->broken) || atomic_load(&s->flush_failed) ? AUG_EIO : AUG_OK;
}

aug_err store_sync(store *s)
{
    aug_err e = store_status(s);
    if (e != AUG_OK)
        return e;
    /* liblmdb 0.9.24's mdb_env_sync is only fdatasync(me_fd) without
     * MDB_WRITEMAP, but other versions read the meta page there: map_lock
     * shared keeps the map in place either way. */
    if ((e = hold(s)) != AUG_OK)
        return e;
    pthread_mutex_lock(&s->flush_mu);
    /* Checked again under flush_mu: a commit that just failed its flush may
     * have taken the only error report for the pages this sync would cover. */
    e = store_status(s);
    uint64_t upto = atomic_load(&s->committed);
    if (e == AUG_OK && atomic_load(&s->durable) < upto) {
        if (mdb_env_sync(s->env, 1) != 0) {
            atomic_store(&s->flush_failed, true);
            e = AUG_EIO;
        } else {
            atomic_raise(&s->durable, upto);
        }
    }
    pthread_mutex_unlock(&s->flush_mu);
    release(s);
    return e;
}

static aug_err adopt_foreign_size(store *s)
{
    if (pthread_rwlock_wrlock(&s->map_lock) != 0)
        return AUG_EIO;
    aug_err e = remap_locked(s, 0);
    pthread_rwlock_unlock(&s->map_lock);
    return e;
}

/* ---- transactions ---- */

aug_err store_txn_begin(store *s, bool write, store_txn **out)
{
    *out = NULL;
    if (atomic_load(&s->broken) || (write && atomic_load(&s->flush_failed)))
        return AUG_EIO;
    bool first = held_get(s) == 0;
    store_txn *t = aug_calloc(1, sizeof *t);
    if (t == NULL)
        return AUG_ENOMEM;
    t->s = s;
    t->write = write;
    t->bufs = write ? &s->wbufs : &t->own;
    aug_err e = hold(s);
    if (e != AUG_OK)
        goto fail;
    /* Proactive growth (note 3). Only when this thread holds nothing else,
     * or taking the lock exclusive would wait for ourselves. A failure here
     * (already at max) is not fatal: the put that needs room reports it. */
    if (write && first && map_nearly_full(s)) {
        release(s);
        e = store_map_grow(s);
        if (e != AUG_OK && e != AUG_EFULL)
            goto fail;
        if ((e = hold(s)) != AUG_OK)
            goto fail;
    }
    for (int attempt = 0;; attempt++) {
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (rc == MDB_MAP_RESIZED && attempt == 0 && first) {
            release(s);
            if ((e = adopt_foreign_size(s)) != AUG_OK)
                goto fail;
            if ((e = hold(s)) != AUG_OK)
                goto fail;
            continue;
        }
        if (rc != 0) {
            release(s);
            /* A failed meta-page write leaves LMDB refusing every txn until
             * the environment is reopened: say so in store_status (ready). */
            if (rc == MDB_PANIC)
                atomic_store(&s->broken, true);
            e = store_mdb_err(rc);
            goto fail;
        }
        break;
    }
    *out = t;
    return AUG_OK;
fail:
    aug_free(t);
    return e;
}

static void txn_free(store_txn *t)
{
    AUG_ASSERT(t->open_iters == 0);
    store *s = t->s;
    bufs_free(&t->own);
    aug_free(t);
    release(s);
}

aug_err store_txn_commit(store_txn *t)
{
    aug_err e = AUG_OK;
    if (!t->write) {
        mdb_txn_abort(t->txn);
    } else if (t->failed != AUG_OK) {
        e = t->failed;
        mdb_txn_abort(t->txn);
    } else {
        store *s = t->s;
        uint64_t id = mdb_txn_id(t->txn);
        pthread_mutex_lock(&s->flush_mu);
        bool owed = atomic_load(&s->durable) < atomic_load(&s->committed);
        int rc = mdb_txn_commit(t->txn); /* frees the txn even on error */
        e = store_mdb_err(rc);
        MDB_envinfo info;
        /* map_lock is still held (txn_free releases it), so the meta page
         * mdb_env_info reads cannot be unmapped under us. */
        if (e == AUG_OK && mdb_env_info(s->env, &info) == 0 && info.me_last_txnid >= id) {
            atomic_raise(&s->committed, id);
            atomic_raise(&s->durable, id - 1);
        } else if (e == AUG_EIO && owed) {
            atomic_store(&s->flush_failed, true);
        }
        pthread_mutex_unlock(&s->flush_mu);
    }
    txn_free(t);
    return e;
}

void store_txn_abort(store_txn *t)
{
    if (t == NULL)
        return;
    mdb_txn_abort(t->txn);
    txn_free(t);
}

/* ---- meta ---- */

static aug_err meta_key(const char *name, MDB_val *k)
{
    size_t n = name != NULL ? strnlen(name, META_NAME_MAX + 1) : 0;
    if (n == 0 || n > META_NAME_MAX)
        return AUG_EINVAL;
    *k = store_val(name, n);
    return AUG_OK;
}

aug_err store_meta_get(store_txn *t, const char *name, uint64_t *out)
{
    aug_err e = store_txn_readable(t);
    MDB_val k, v;
    if (e == AUG_OK)
        e = meta_key(name, &k);
    if (e == AUG_OK)
        e = store_mdb_err(mdb_get(t->txn, t->s->meta, &k, &v));
    if (e == AUG_OK)
        e = store_record_meta_decode(store_bytes(v), out);
    return e;
}

aug_err store_meta_put(store_txn *t, const char *name, uint64_t v)
{
    aug_err e = store_txn_writable(t);
    if (e != AUG_OK)
        return e;
    MDB_val k;
    if ((e = meta_key(name, &k)) != AUG_OK || strncmp(name, META_RESERVED, strlen(META_RESERVED)) == 0)
        return store_txn_fail(t, AUG_EINVAL);
    uint8_t rec[STORE_META_RECORD_LEN];
    store_record_meta_encode(v, rec);
    MDB_val d = store_val(rec, sizeof rec);
    return store_txn_fail(t, store_mdb_err(mdb_put(t->txn, t->s->meta, &k, &d, 0)));
}

/* ---- open / close ---- */

static aug_err mkdir_p(const char *path, aug_errbuf *eb)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return aug_errf(eb, AUG_EINVAL, "storage path too long (%zu bytes)", n);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return aug_errf(eb, AUG_EIO, "cannot create %s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return aug_errf(eb, AUG_EIO, "%s is not a directory", path);
    return AUG_OK;
}

static char *path_join(const char *dir, const char *file)
{
    size_t a = strlen(dir), b = strlen(file);
    char *p = aug_malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, file, b + 1);
    return p;
}

typedef struct dbi_spec {
    const char *name;
    unsigned flags;
    size_t off;
    /* Added to schema 1 after stores were written: created when missing,
     * and older augurs never open it, so no version bump is needed. */
    bool additive;
} dbi_spec;

static const dbi_spec dbis[] = {
    {"series", 0, offsetof(store, series), false},
    {"postings", MDB_DUPSORT | MDB_DUPFIXED, offsetof(store, postings), false},
    {"rollup", 0, offsetof(store, rollup), false},
    {"wal", 0, offsetof(store, wal), false},
    {"state", 0, offsetof(store, state), false},
    {"outbox", 0, offsetof(store, outbox), true},
    {"blob", 0, offsetof(store, blob), true},
};

static int open_dbi(MDB_txn *txn, store *s, const dbi_spec *d, unsigned create)
{
    MDB_dbi *dbi = (MDB_dbi *)(void *)((char *)s + d->off);
    int rc = mdb_dbi_open(txn, d->name, d->flags | create, dbi);
    unsigned flags = 0;
    if (rc == 0)
        rc = mdb_dbi_flags(txn, *dbi, &flags);
    if (rc == 0 && flags != d->flags)
        rc = MDB_INCOMPATIBLE;
    return rc;
}

/* Opens (creating on a fresh environment) every DBI and checks the schema
 * stamp, in one write txn. */
static aug_err schema_open(store *s, aug_errbuf *eb)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc != 0)
        return aug_errf(eb, store_mdb_err(rc), "store at %s: cannot begin txn: %s", s->path, mdb_strerror(rc));
    aug_err e = AUG_OK;
    unsigned create = 0;
    rc = mdb_dbi_open(txn, "meta", 0, &s->meta);
    if (rc == MDB_NOTFOUND) {
        MDB_dbi main_dbi;
        MDB_stat st;
        if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 || (rc = mdb_stat(txn, main_dbi, &st)) != 0) {
            e = aug_errf(eb, store_mdb_err(rc), "store at %s: %s", s->path, mdb_strerror(rc));
            goto fail;
        }
        if (st.ms_entries != 0) {
            e = aug_errf(eb, AUG_ECORRUPT, "%s holds an LMDB environment that is not an augur store", s->path);
            goto fail;
        }
        create = MDB_CREATE;
        rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta);
        uint8_t rec[STORE_META_RECORD_LEN];
        store_record_meta_encode(STORE_SCHEMA_VERSION, rec);
        MDB_val k = store_val(META_SCHEMA, strlen(META_SCHEMA)), d = store_val(rec, sizeof rec);
        if (rc == 0)
            rc = mdb_put(txn, s->meta, &k, &d, 0);
    }
    if (rc != 0) {
        e = aug_errf(eb, store_mdb_err(rc), "store at %s: table meta: %s", s->path, mdb_strerror(rc));
        goto fail;
    }
    MDB_val k = store_val(META_SCHEMA, strlen(META_SCHEMA)), d;
    rc = mdb_get(txn, s->meta, &k, &d);
    uint64_t ver = 0;
    e = rc == 0 ? store_record_meta_decode(store_bytes(d), &ver) : AUG_ECORRUPT;
    if (e != AUG_OK) {
        e = aug_errf(eb, e, "store at %s has no readable schema version stamp (%s)", s->path, aug_strerror(e));
        goto fail;
    }
    if (ver != STORE_SCHEMA_VERSION) {
        e = aug_errf(eb, AUG_EVERSION, "store at %s has schema version %" PRIu64 ", this augur understands %u",
                     s->path, ver, STORE_SCHEMA_VERSION);
        goto fail;
    }
    for (size_t i = 0; i < AUG_ARRAY_LEN(dbis); i++) {
        const dbi_spec *ds = &dbis[i];
        if ((rc = open_dbi(txn, s, ds, ds->additive ? MDB_CREATE : create)) != 0) {
            e = aug_errf(eb, rc == MDB_NOTFOUND ? AUG_ECORRUPT : store_mdb_err(rc), "store at %s: table %s: %s",
                         s->path, ds->name, mdb_strerror(rc));
            goto fail;
        }
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return aug_errf(eb, store_mdb_err(rc), "store at %s: commit: %s", s->path, mdb_strerror(rc));
    return AUG_OK;
fail:
    mdb_txn_abort(txn);
    return e;
}

/* Initial map: the configured size, doubled while the existing file would
 * fill more than 3/4 of it (note 3). */
static size_t initial_map(const char *data_path, size_t initial, size_t max)
{
    struct stat st;
    size_t map = initial;
    if (stat(data_path, &st) == 0) {
        while (map < max && (size_t)st.st_size > map / 4 * 3)
            map = map > max / 2 ? max : map * 2;
    }
    return map;
}

aug_err store_open(const store_opts *opts, store **out, aug_errbuf *eb)
{
    *out = NULL;
    if (opts == NULL || opts->path == NULL || opts->path[0] == '\0')
        return aug_errf(eb, AUG_EINVAL, "storage path is empty");
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t initial = opts->initial_map_bytes ? opts->initial_map_bytes : DEFAULT_INITIAL_MAP;
    size_t max = opts->max_map_bytes ? opts->max_map_bytes : DEFAULT_MAX_MAP;
    initial = (initial + page - 1) / page * page;
    max = max / page * page;
    if (initial > max)
        return aug_errf(eb, AUG_EINVAL, "initial map size %zu exceeds the maximum %zu", initial, max);
    aug_err e = mkdir_p(opts->path, eb);
    if (e != AUG_OK)
        return e;

    store *s = aug_calloc(1, sizeof *s);
    if (s == NULL)
        return aug_errf(eb, AUG_ENOMEM, "out of memory opening store");
    bool lock_ok = false, key_ok = false, mu_ok = false;
    int rc;
    s->max_map_bytes = max;
    s->path = aug_strndup(opts->path, strlen(opts->path));
    s->data_path = path_join(opts->path, "data.mdb");
    if (s->path == NULL || s->data_path == NULL) {
        e = aug_errf(eb, AUG_ENOMEM, "out of memory opening store");
        goto fail;
    }
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    lock_ok = pthread_rwlock_init(&s->map_lock, &attr) == 0;
    pthread_rwlockattr_destroy(&attr);
    key_ok = lock_ok && pthread_key_create(&s->held, NULL) == 0;
    mu_ok = key_ok && pthread_mutex_init(&s->flush_mu, NULL) == 0;
    if (!mu_ok) {
        e = aug_errf(eb, AUG_ENOMEM, "cannot create store locks");
        goto fail;
    }
    if ((rc = mdb_env_create(&s->env)) != 0) {
        e = aug_errf(eb, store_mdb_err(rc), "mdb_env_create: %s", mdb_strerror(rc));
        goto fail;
    }
    size_t map = initial_map(s->data_path, initial, max);
    if ((rc = mdb_env_set_maxdbs(s->env, 16)) != 0 || (rc = mdb_env_set_maxreaders(s->env, MAX_READERS)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, map)) != 0) {
        e = aug_errf(eb, store_mdb_err(rc), "store at %s: %s", s->path, mdb_strerror(rc));
        goto fail;
    }
    if ((rc = mdb_env_open(s->env, s->path, MDB_NOTLS | MDB_NOMETASYNC, 0640)) != 0) {
        e = aug_errf(eb, store_mdb_err(rc), "cannot open store at %s: %s", s->path, mdb_strerror(rc));
        goto fail;
    }
    if ((size_t)mdb_env_get_maxkeysize(s->env) < STORE_KEY_MAX) {
        e = aug_errf(eb, AUG_EUNSUPPORTED, "liblmdb max key size %d < %u: rebuild liblmdb with MDB_MAXKEYSIZE=0",
                     mdb_env_get_maxkeysize(s->env), STORE_KEY_MAX);
        goto fail;
    }
    int dead = 0;
    mdb_reader_check(s->env, &dead); /* free slots of crashed readers */
    if ((e = schema_open(s, eb)) != AUG_OK)
        goto fail;
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_bytes = info.me_mapsize;
    atomic_store(&s->committed, (uint64_t)info.me_last_txnid); /* durable stays 0: note 6 */
    *out = s;
    return AUG_OK;
fail:
    if (s->env != NULL)
        mdb_env_close(s->env);
    if (mu_ok)
        pthread_mutex_destroy(&s->flush_mu);
    if (key_ok)
        pthread_key_delete(s->held);
    if (lock_ok)
        pthread_rwlock_destroy(&s->map_lock);
    aug_free(s->path);
    aug_free(s->data_path);
    aug_free(s);
    return e;
}

void store_close(store *s)
{
    if (s == NULL)
        return;
    /* mdb_env_close does not flush: without this the last commit would wait
     * for the kernel's writeback. Callers that must know it worked (a tool
     * reporting success) call store_sync first. */
    (void)store_sync(s);
    mdb_env_close(s->env);
    pthread_mutex_destroy(&s->flush_mu);
    pthread_key_delete(s->held);
    pthread_rwlock_destroy(&s->map_lock);
    bufs_free(&s->wbufs);
    aug_free(s->path);
    aug_free(s->data_path);
    aug_free(s);
}

/* ---- stats ---- */

/* Pages on LMDB's free list: each record of DBI 0 is an IDL whose first
 * word is its page count (the layout mdb_stat -f reads). */
static aug_err free_pages(MDB_txn *txn, size_t *out)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, 0, &c);
    if (rc != 0)
        return store_mdb_err(rc);
    MDB_val k, v;
    size_t n = 0;
    while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
        size_t cnt;
        if (v.mv_size >= sizeof cnt) {
            memcpy(&cnt, v.mv_data, sizeof cnt);
            n += cnt;
        }
    }
    mdb_cursor_close(c);
    *out = n;
    return rc == MDB_NOTFOUND ? AUG_OK : store_mdb_err(rc);
}

aug_err store_stats_get(store *s, store_stats *out)
{
    store_txn *t;
    aug_err e = store_txn_begin(s, false, &t);
    if (e != AUG_OK)
        return e;
    MDB_envinfo info;
    MDB_stat env_st, st_series, st_rollup, st_wal;
    size_t nfree = 0;
    int rc = mdb_env_info(s->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(s->env, &env_st);
    if (rc == 0)
        rc = mdb_stat(t->txn, s->series, &st_series);
    if (rc == 0)
        rc = mdb_stat(t->txn, s->rollup, &st_rollup);
    if (rc == 0)
        rc = mdb_stat(t->txn, s->wal, &st_wal);
    e = rc == 0 ? free_pages(t->txn, &nfree) : store_mdb_err(rc);
    if (e == AUG_OK) {
        size_t pages = (size_t)info.me_last_pgno + 1;
        struct stat fst;
        *out = (store_stats){
            .map_bytes = info.me_mapsize,
            .high_water_bytes = pages * env_st.ms_psize,
            .used_bytes = (pages - AUG_MIN(nfree, pages)) * env_st.ms_psize,
            .file_bytes = stat(s->data_path, &fst) == 0 ? (size_t)fst.st_size : 0,
            .series = st_series.ms_entries,
            .rollups = st_rollup.ms_entries,
            .wal_records = st_wal.ms_entries,
            .map_grows = atomic_load(&s->grows),
        };
    }
    store_txn_abort(t);
    return e;
}
