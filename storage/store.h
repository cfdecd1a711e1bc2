/* store.h — augur's embedded LMDB store (storage/).
 *
 * Owns: the LMDB environment in <storage.path>, the schema version stamp,
 * the series dictionary (id ↔ canonical label key) and label postings, the
 * minute and hour rollups, the ingest write-ahead log (WAL) and per-series
 * ingest state checkpoints, named opaque blobs (model state), a small meta
 * table, retention deletes and map growth. Knows nothing of HTTP, selectors
 * or models.
 *
 * Canonical label key: the bytes that name a series everywhere in augur:
 * for each label, sorted by name: name, 0xFF, value, 0xFF. 0xFF never occurs
 * in UTF-8, so the encoding is unambiguous. wire/ produces it from a
 * remote-write request; store persists it verbatim after a version byte.
 *
 * Series ids are dense uint32 values starting at 1, assigned by the caller
 * (the ingest writer) in order; 0 is never a valid id.
 *
 * Threads: write transactions are serialized (LMDB allows one at a time and
 * makes a second writer wait): the ingest writer owns the hot ones; export/
 * takes short ones for the outbox and predict's model saver short ones of
 * its own; any thread may run read transactions concurrently. A
 * transaction object belongs to the thread that began it. A thread may hold
 * several transactions of one store at once (e.g. a read txn beside the
 * write txn). The store grows its map by itself (store_map_grow), which waits
 * for open read transactions to end; so never hold a read transaction while
 * waiting on the writer.
 *
 * Errors: MDB_* codes are translated at this boundary: MDB_MAP_FULL →
 * AUG_EFULL (the caller aborts, calls store_map_grow and retries),
 * MDB_NOTFOUND → AUG_ENOTFOUND, MDB_CORRUPTED/MDB_PAGE_NOTFOUND/MDB_INVALID/
 * MDB_INCOMPATIBLE/bad record → AUG_ECORRUPT, unknown version byte or
 * MDB_VERSION_MISMATCH → AUG_EVERSION, MDB_TXN_FULL (too many dirty pages in
 * one txn: split it) → AUG_ETOOBIG, MDB_READERS_FULL → AUG_EAGAIN, ENOMEM →
 * AUG_ENOMEM, other → AUG_EIO. Byte formats: storage/records.c.
 *
 * Sticky failure: after any failed put/delete in a write transaction
 * (including one refused for a bad argument) the transaction is marked
 * failed; every later call on it returns that first error, and
 * store_txn_commit refuses it (returns the first error) and aborts it. Reads
 * that find nothing (AUG_ENOTFOUND) do not fail a transaction. Write calls on
 * a read transaction return AUG_EINVAL.
 *
 * Lifetimes: values returned through aug_bytes out-parameters are borrowed
 * from LMDB and valid only until the transaction ends or writes again.
 *
 * Callbacks (the *_foreach / store_postings_values functions): fn returning
 * non-OK stops the walk and that error is returned. store_postings_values
 * and store_wal_foreach refuse to start from their own fn on the same txn
 * (AUG_EINVAL: the borrowed array would be overwritten). Where fn receives
 * bytes borrowed from LMDB (series keys, label values) it must not write to
 * t; the WAL and state walks hand out decoded copies, so fn may write to
 * other tables of t.
 */
#ifndef AUG_STORAGE_STORE_H
#define AUG_STORAGE_STORE_H

#include "storage/rollup.h"
#include "util/common.h"
#include "util/err.h"

typedef struct store store;
typedef struct store_txn store_txn;

/* Rollup resolutions. Values are part of the key format; never renumber. */
typedef enum store_res {
    STORE_RES_MINUTE = 1, /* 60 s buckets */
    STORE_RES_HOUR = 2,   /* 3600 s buckets */
} store_res;

typedef struct store_opts {
    const char *path;          /* directory; created if missing */
    size_t initial_map_bytes;  /* 0 = default 256 MiB */
    size_t max_map_bytes;      /* 0 = default 1 TiB; growth past it → AUG_EFULL */
} store_opts;

typedef struct store_stats {
    size_t map_bytes;       /* current map size */
    size_t used_bytes;      /* pages in use × page size (high water minus LMDB's free list) */
    size_t high_water_bytes; /* (last page + 1) × page size: what growth watches */
    size_t file_bytes;      /* size of data.mdb on disk */
    uint64_t series;        /* entries in the series dictionary */
    uint64_t rollups;       /* minute + hour rollup records */
    uint64_t wal_records;   /* WAL records not yet truncated */
    uint64_t map_grows;     /* times the map was grown since open */
} store_stats;

/* Opens (creating if needed, parents too) the store at opts->path. Checks
 * the schema version stamp: a store written by an unknown schema →
 * AUG_EVERSION with "store at DIR has schema version N, this augur
 * understands 1" in eb; an LMDB environment that is not an augur store, or a
 * missing stamp or table → AUG_ECORRUPT; a liblmdb built with keys shorter
 * than 511 bytes → AUG_EUNSUPPORTED; bad options → AUG_EINVAL; a directory
 * that cannot be created or opened → AUG_EIO. The map starts at
 * initial_map_bytes, doubled while an existing data file would fill more
 * than 3/4 of it. Caller frees with store_close. */
aug_err store_open(const store_opts *opts, store **out, aug_errbuf *eb);

/* Closes the environment. All transactions must have ended. NULL is a no-op. */
void store_close(store *s);

/* Begins a transaction. Write transactions are serialized by LMDB (a second
 * one waits for the first to end), so whoever takes one keeps it short: the
 * ingest writer owns the bulk of them, export/ takes small ones of its own
 * (outbox appends and deletes) from its threads. A write
 * txn first grows the map (doubling) when its high-water mark has passed 3/4,
 * unless the calling thread already holds a txn of s. If another process
 * grew the map, its size is adopted. AUG_ENOMEM, AUG_EAGAIN (reader slots
 * full), AUG_EIO. */
aug_err store_txn_begin(store *s, bool write, store_txn **out);
/* Commits a write txn, or ends a read txn. Always frees txn. A successful
 * write commit is atomic and visible at once and survives kill -9, but it
 * survives an OS crash or power loss only once a later flush has covered it
 * (see "Durability" below): ask store_durable(s, store_commit_mark(s)), or
 * call store_sync. A commit that changed nothing writes nothing. AUG_EFULL
 * (grow and retry), AUG_ENOMEM, AUG_EIO; AUG_EIO is sticky (store_status)
 * when the failure may have been a flush that an earlier commit needed. */
aug_err store_txn_commit(store_txn *t);
/* Aborts and frees. NULL is a no-op. */
void store_txn_abort(store_txn *t);

/* ---- durability ----
 * The environment is opened with MDB_NOMETASYNC: each commit writes its data
 * pages, fdatasyncs them, then writes its meta page (the pointer that makes
 * it the current state after a crash) without a flush of its own. That meta
 * page reaches the disk with the next flush of the file: the data fdatasync
 * of the next commit that changes something, or store_sync. Until then an OS
 * crash rolls back to the previous commit (never corrupts: LMDB keeps both
 * meta pages and picks the newer valid one). A process crash loses nothing:
 * the pages are in the page cache. Design note 6 in store.c.
 *
 * Whoever promises durability to someone else (the ingest writer's 204)
 * takes a mark after its commit and waits until store_durable says it is
 * covered, calling store_sync if nothing else is about to flush.
 *
 * Sticky failure: a flush that fails while a commit still waits for it
 * (store_sync, or a commit failing with AUG_EIO) may have lost that commit's
 * meta page in a way no retry can detect (Linux marks the pages clean after
 * a failed writeback, so the next fdatasync succeeds without writing them).
 * The store then refuses write transactions and store_sync with AUG_EIO and
 * store_status reports it: nothing more can be promised until a restart
 * reopens the store from what is on disk. A full disk (ENOSPC) under load
 * counts as such a failure. LMDB's own panic (MDB_PANIC after a failed
 * meta-page write) is reported by store_status too, and refuses reads as
 * well. Flushes of different threads never overlap (store.c note 6). */

/* A mark covering every write commit of this process that returned so far
 * (LMDB's transaction id of the newest). Thread-safe. */
uint64_t store_commit_mark(store *s);
/* True once everything up to mark has been flushed (survives an OS crash).
 * Thread-safe. */
bool store_durable(store *s, uint64_t mark);
/* Flushes the file (mdb_env_sync, forced) unless every commit of this
 * process is already covered; afterwards every commit that returned before
 * the call is durable. Thread-safe; needs no transaction. AUG_EIO (sticky). */
aug_err store_sync(store *s);
/* AUG_OK, or the sticky error that makes the store refuse writes (a failed
 * flush, see above; a failed remap). Thread-safe. */
aug_err store_status(store *s);

/* Doubles the map (up to max_map_bytes). Must be called with no transaction
 * open in the calling thread (else AUG_EINVAL, rather than deadlock); waits
 * for other threads' transactions and holds new ones back meanwhile. Already
 * at max_map_bytes → AUG_EFULL. AUG_EIO if remapping failed (if the old map
 * could not be restored either, every later call returns AUG_EIO). */
aug_err store_map_grow(store *s);

/* Fills *out from mdb_env_info, mdb_env_stat, the free list and stat(2);
 * takes a short read transaction. */
aug_err store_stats_get(store *s, store_stats *out);

/* ---- meta: small named uint64 values (next series id, checkpoint seq) ----
 * name: 1..128 bytes, NUL-terminated, else AUG_EINVAL. Names starting with
 * "store." belong to the store ("store.schema"): readable, put → AUG_EINVAL. */
aug_err store_meta_get(store_txn *t, const char *name, uint64_t *out); /* AUG_ENOTFOUND if unset */
aug_err store_meta_put(store_txn *t, const char *name, uint64_t v);

/* ---- series dictionary and postings ---- */

/* Longest label name the store accepts (a posting key must hold the name,
 * its separator and at least a useful prefix of the value). */
#define STORE_LABEL_NAME_MAX 255u

/* Stores id → key and one posting (label name, value) → id per label.
 * Re-putting an id with the same key is a no-op (AUG_OK); with another key →
 * AUG_EINVAL (ids are immutable). A key that is not canonical (labels sorted,
 * unique, names and values non-empty) or id 0 → AUG_EINVAL; a label name
 * over STORE_LABEL_NAME_MAX bytes → AUG_ETOOBIG. Values of any length are supported. */
aug_err store_series_put(store_txn *t, uint32_t id, aug_bytes key);
/* Looks up the canonical key of id (borrowed). AUG_ENOTFOUND if absent. */
aug_err store_series_get(store_txn *t, uint32_t id, aug_bytes *key);
/* Calls fn for every series in id order; stops early and returns fn's
 * error if fn returns non-OK. */
aug_err store_series_foreach(store_txn *t, aug_err (*fn)(void *arg, uint32_t id, aug_bytes key), void *arg);
/* Ids of series having label name=value, ascending, into a caller array of
 * capacity cap; *n receives the count. More than cap → AUG_ETOOBIG with the
 * count needed in *n. A name or value no series can have (empty, 0xFF) →
 * AUG_OK with *n = 0. */
aug_err store_postings_get(store_txn *t, aug_str name, aug_str value, uint32_t *ids, size_t cap, size_t *n);
/* Calls fn for each distinct value of label `name` with its ids (in one
 * call per value, ids ascending; value and the array are borrowed for the
 * call). Values come in byte order, except that values longer than ~500
 * bytes (which share a posting key prefix) come together, in byte order
 * among themselves. See "Callbacks" above. */
aug_err store_postings_values(store_txn *t, aug_str name,
                              aug_err (*fn)(void *arg, aug_str value, const uint32_t *ids, size_t n), void *arg);

/* ---- rollups ---- */

/* Writes (or overwrites) the bucket starting at start_s: id 0, an unknown
 * resolution, a start not aligned to it or beyond ±INT64_MAX/1000 s →
 * AUG_EINVAL. Every put rewrites the series' leaf page: write a bucket once,
 * when it closes (open buckets live in the state checkpoints). */
aug_err store_rollup_put(store_txn *t, uint32_t id, store_res res, int64_t start_s, const store_rollup *r);
aug_err store_rollup_get(store_txn *t, uint32_t id, store_res res, int64_t start_s, store_rollup *out);

typedef struct store_rollup_iter store_rollup_iter;
/* Iterates buckets of one series with from_s <= start < to_s, ascending.
 * Caller frees with store_rollup_iter_close before the txn ends (asserted). */
aug_err store_rollup_iter_open(store_txn *t, uint32_t id, store_res res, int64_t from_s, int64_t to_s,
                               store_rollup_iter **out);
/* AUG_OK with the next bucket, AUG_ENOTFOUND at the end (and after any
 * error: AUG_ECORRUPT / AUG_EVERSION for a bad record). */
aug_err store_rollup_iter_next(store_rollup_iter *it, int64_t *start_s, store_rollup *out);
void store_rollup_iter_close(store_rollup_iter *it);

/* Deletes up to max_deletes buckets of series id with start < before_s,
 * oldest first; *deleted receives the count (less than max_deletes means
 * done). Bounded so retention never makes one huge transaction. */
aug_err store_rollup_expire(store_txn *t, uint32_t id, store_res res, int64_t before_s, size_t max_deletes,
                            size_t *deleted);

/* ---- ingest write-ahead log ---- */

typedef struct store_wal_entry {
    uint32_t id;    /* series id */
    int64_t ts_ms;  /* sample timestamp */
    double value;   /* bit pattern preserved exactly (staleness NaN too) */
} store_wal_entry;

/* Appends one WAL record with sequence number seq (strictly greater than any
 * earlier seq, else AUG_EINVAL) holding n >= 0 entries (an entry with id 0 →
 * AUG_EINVAL). About 3-11 bytes per entry for remote-write batches. */
aug_err store_wal_append(store_txn *t, uint64_t seq, const store_wal_entry *e, size_t n);
/* Calls fn for each record with seq > after_seq, ascending; entries are
 * decoded into a buffer the store owns, borrowed for the call. */
aug_err store_wal_foreach(store_txn *t, uint64_t after_seq,
                          aug_err (*fn)(void *arg, uint64_t seq, const store_wal_entry *e, size_t n), void *arg);
/* Deletes every record with seq <= upto_seq (all of them: one mdb_drop). */
aug_err store_wal_truncate(store_txn *t, uint64_t upto_seq);

/* ---- blobs: named opaque values (forecast model state) ----
 * A key is 1..STORE_BLOB_KEY_MAX caller-chosen bytes (callers namespace
 * them, e.g. "fc/<forecast>..."); a value is 0..STORE_BLOB_VALUE_MAX
 * opaque bytes. Byte format and version: storage/blob.c. Write calls follow
 * the sticky-failure rules above; a write txn may come from any thread (LMDB
 * serializes writers: the ingest writer and predict's saver both write). */
#define STORE_BLOB_KEY_MAX 511u
#define STORE_BLOB_VALUE_MAX ((size_t)1 << 30)

/* Writes (or overwrites) key → value. Empty or overlong key, or a value over
 * STORE_BLOB_VALUE_MAX → AUG_EINVAL (the txn is failed). */
aug_err store_blob_put(store_txn *t, aug_bytes key, aug_bytes value);
/* Looks up key; *value is borrowed from LMDB (valid until the txn ends or
 * writes again). AUG_ENOTFOUND if absent (does not fail the txn);
 * AUG_EVERSION for a record of an unknown version; AUG_ECORRUPT for an
 * empty record; AUG_EINVAL for a bad key. */
aug_err store_blob_get(store_txn *t, aug_bytes key, aug_bytes *value);
/* Deletes key. AUG_ENOTFOUND if absent (does not fail the txn). */
aug_err store_blob_delete(store_txn *t, aug_bytes key);
/* Calls fn for every blob whose key starts with prefix (prefix.len 0 = all),
 * in key order; key and value are borrowed for the call and fn must not
 * write to t. A record of an unknown version stops the walk with
 * AUG_EVERSION, an empty one with AUG_ECORRUPT. */
aug_err store_blob_foreach(store_txn *t, aug_bytes prefix, aug_err (*fn)(void *arg, aug_bytes key, aug_bytes value),
                           void *arg);

/* ---- ingest state checkpoints ---- */

/* What ingest must remember per series to continue exactly where it was:
 * dedup point, counter base, and the open (not yet closed) buckets. */
typedef struct store_series_state {
    int64_t last_ts_ms;      /* newest accepted timestamp; INT64_MIN if none */
    double prev_value;       /* last finite value, base for counter increase */
    bool has_prev;           /* prev_value is meaningful */
    bool stale;              /* the series ended with a staleness marker */
    int64_t minute_start_s;  /* open minute bucket start; meaningful if minute.count > 0 */
    store_rollup minute;
    int64_t hour_start_s;    /* open hour bucket start; meaningful if hour.count > 0 */
    store_rollup hour;
} store_series_state;

/* Writes (or overwrites) the checkpoint of series id (id 0 → AUG_EINVAL).
 * Only meaningful fields are stored: prev_value if has_prev, a bucket and its
 * start if its count > 0; the others read back as zero. */
aug_err store_state_put(store_txn *t, uint32_t id, const store_series_state *st);
/* Calls fn for every checkpoint in id order (st is a decoded copy, valid for
 * the call). */
aug_err store_state_foreach(store_txn *t, aug_err (*fn)(void *arg, uint32_t id, const store_series_state *st),
                            void *arg);

/* ==== remote-write outbox (storage/outbox.c) ===============================
 *
 * Batches of samples waiting for a remote-write target, so nothing is lost
 * while a target is down or augur restarts. export/ owns the policy (what is
 * appended, when it is acknowledged, what a queue limit drops); the store
 * only keeps records in order. Byte format and design: top of outbox.c.
 *
 * A target is a uint64 id, store_outbox_target_id(name) of the target's
 * configured name. Its records are keyed by seq, a uint64 > 0 the caller
 * assigns, strictly increasing per target; the oldest record has the
 * smallest seq. A record holds >= 1 series, each a canonical label key (see
 * the top of this file) with >= 1 samples (bit patterns preserved exactly).
 *
 * Threads and transactions as for the rest of the store: appends and
 * deletes need a write transaction, reads any transaction.
 */

typedef struct store_outbox_sample {
    int64_t ts_ms;
    double value;   /* bit pattern preserved exactly (staleness NaN too) */
} store_outbox_sample;

typedef struct store_outbox_series {
    aug_bytes key;                      /* canonical label key */
    const store_outbox_sample *samples; /* >= 1 */
    size_t nsamples;
} store_outbox_series;

/* Counts over a range of one target's records. */
typedef struct store_outbox_info {
    uint64_t records;    /* records counted */
    uint64_t samples;    /* samples in them (from the record headers) */
    uint64_t bytes;      /* encoded value bytes */
    uint64_t corrupt;    /* records whose header is unreadable (0 samples counted) */
    uint64_t first_seq;  /* seq of the first record counted; 0 if none */
    uint64_t last_seq;   /* seq of the last record counted; 0 if none */
} store_outbox_info;

/* The id of a target name: FNV-1a 64 of its bytes (stable, on-disk). */
uint64_t store_outbox_target_id(aug_str name);

/* Appends one record of n >= 1 series to target. seq 0, n 0, a series
 * without samples or whose key is not canonical, or a seq not above every
 * seq the target already has → AUG_EINVAL (the txn is failed). AUG_EFULL
 * (map full: abort, store_map_grow, retry), AUG_ETOOBIG. */
aug_err store_outbox_append(store_txn *t, uint64_t target, uint64_t seq, const store_outbox_series *s, size_t n);

/* Counts every record of target (reads only record headers). */
aug_err store_outbox_info_get(store_txn *t, uint64_t target, store_outbox_info *out);

/* A record handed to store_outbox_foreach's fn: an iterator over its
 * series, borrowed for the call. */
typedef struct store_outbox_rec store_outbox_rec;

/* Calls fn for each record of target with seq >= from_seq, oldest first.
 * fn returning non-OK stops the walk and that value is returned (a caller
 * that only wants a prefix returns a value of its own choosing and checks
 * for it). fn must not write to t (the record is borrowed from LMDB). Not
 * reentrant on one txn: a nested call → AUG_EINVAL. */
aug_err store_outbox_foreach(store_txn *t, uint64_t target, uint64_t from_seq,
                             aug_err (*fn)(void *arg, uint64_t seq, store_outbox_rec *rec), void *arg);

/* The record's series and sample counts from its header: AUG_OK, or
 * AUG_ECORRUPT / AUG_EVERSION for a record that cannot be read (its seq is
 * still known to fn, so the caller can delete it). */
aug_err store_outbox_rec_counts(const store_outbox_rec *r, size_t *nseries, size_t *nsamples);
/* Encoded size of the record value. */
size_t store_outbox_rec_bytes(const store_outbox_rec *r);
/* The next series of the record: AUG_OK with *out filled (key and samples
 * borrowed until the next call or the end of fn), AUG_ENOTFOUND after the
 * last one, AUG_ECORRUPT / AUG_EVERSION for a bad record (sticky),
 * AUG_ENOMEM, AUG_ETOOBIG. */
aug_err store_outbox_rec_next(store_outbox_rec *r, store_outbox_series *out);

/* Deletes target's records with seq <= upto_seq, oldest first, at most
 * max_records of them (0 = no limit); *deleted (may be NULL) receives what
 * was deleted (fewer than max_records records means done). Records that are
 * not there are simply not counted, so acknowledging twice is harmless. */
aug_err store_outbox_delete_upto(store_txn *t, uint64_t target, uint64_t upto_seq, size_t max_records,
                                 store_outbox_info *deleted);

/* Deletes target's oldest records until at least min_samples samples were
 * deleted or none is left (a queue limit); *dropped (may be NULL) receives
 * what was deleted. */
aug_err store_outbox_drop_oldest(store_txn *t, uint64_t target, uint64_t min_samples, store_outbox_info *dropped);

/* Calls fn once per target that has records, in id order, with the counts
 * of all its records (e.g. to find targets no longer configured). */
aug_err store_outbox_targets(store_txn *t, aug_err (*fn)(void *arg, uint64_t target, const store_outbox_info *info),
                             void *arg);

#endif
