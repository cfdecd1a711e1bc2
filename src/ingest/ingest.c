/* ingest.c — series table, group-commit writer, WAL and recovery.
 *
 * Numbered invariants (checked by table_check under AUG_DEBUG_ASSERT):
 *  1. Series ids are dense: entries[1 .. nentries-1] are live series, each
 *     reachable from exactly one slot of the open-addressing index whose
 *     probe sequence starts at hash.lo & slot_mask; entries[0] is unused.
 *  2. The slot index is at most half full, so probing always ends.
 *  3. An entry is in dirty_ids[] iff it has E_DIRTY; a dirty entry's state
 *     differs from its last checkpoint record.
 *  4. Every state change since the last checkpoint is reproducible from the
 *     WAL records with seq > checkpoint_seq (wall-clock sweeps excepted: a
 *     replay without them ends in an equivalent state whose buckets close at
 *     the next sweep, and every persisted bucket gets the same content).
 *  5. During a transaction, undo[] holds the pre-transaction copy of every
 *     entry changed in it (entry.undo_gen == gen marks "already saved"; gen
 *     is 16 bits and, when it wraps, every entry's undo_gen is reset first,
 *     so a stale value can never match); ids >= txn_first_new
 *     were created in it. On failure the table is put back exactly, so a
 *     retried or failed commit never leaves memory ahead of disk.
 *  6. Compact entries (memory per series, see `entry`): while a minute is
 *     open (m_count > 0) its `last` value is prev_value, and its start is
 *     ⌊m_last_ts_ms / 60 s⌋; an open hour's start is ⌊h_last_ts_ms / 1 h⌋.
 *     Every sample of an open bucket lies in it and the newest accepted
 *     finite sample is the open minute's latest, so nothing is lost by not
 *     storing them (entry_check; load_state refuses a checkpoint that
 *     breaks this as AUG_ECORRUPT).
 *  7. Checkpoint rounds. A round starts between commits: the dirty set moves
 *     into round[] (sorted by id, E_DIRTY cleared) and round_seq remembers
 *     the last WAL seq. Each later commit writes the current state of the
 *     next checkpoint_chunk ids of round[], and the commit that writes the
 *     last one also sets checkpoint_seq = round_seq and truncates the WAL
 *     up to it. Sound because then every persisted state reflects a seq >=
 *     round_seq (series outside round[] did not change since their last
 *     state write), and replaying a WAL entry that a state already reflects
 *     changes nothing: per series, logged samples have strictly increasing
 *     timestamps, so it is <= the state's last_ts_ms, a duplicate. A crash
 *     mid-round replays from the previous checkpoint_seq on the same
 *     grounds. Chunks bound each transaction (and the dirty pages LMDB
 *     allocates and keeps for reuse: one 100k-series checkpoint used to
 *     leave ~17 MB behind) and spread the work instead of stalling every
 *     writer for one long commit. Recovery and shutdown still write
 *     everything in one transaction (checkpoint_full).
 *
 *  8. Release after a flush (storage/store.c note 6). A commit's meta page
 *     is flushed by the next commit's data fdatasync or by store_sync, not
 *     by the commit itself. So a committed group is not released at once:
 *     it is `held` with mark = store_commit_mark() and released (AUG_OK)
 *     only when store_durable(mark): after a later commit of the writer
 *     (settle) or, when nothing was queued meanwhile, at once after an
 *     explicit store_sync (an idle writer never waits for traffic). A
 *     commit that changed nothing (all duplicates) flushes nothing; its
 *     group joins `held` with the same mark, so a retry never gets a 204
 *     before the samples it duplicates are durable. A failed flush leaves
 *     memory (and LMDB's page cache) a commit ahead of the disk with no way
 *     to undo it; the store then refuses every write (sticky AUG_EIO, and
 *     /-/ready fails): held groups get AUG_EIO (503), never a 204, and so
 *     does every later request, until a restart recovers from the disk.
 *     Aborting the process (PostgreSQL's answer) would protect nothing
 *     more: no later 204 can be sent either way, and staying up keeps
 *     /metrics, reads and the 503s explaining why.
 *
 * Transitions (writer thread only):
 *   queued batch --apply_batch--> applied in txn --commit ok--> held (invariant 8)
 *                                                 --EFULL--> undo, store_map_grow, re-apply
 *                                                 --other--> undo, released with the error
 *   held --a later commit covered it (settle) | queue empty: store_sync--> released (AUG_OK)
 *        --store_sync failed / store sticky--> released with AUG_EIO
 *   open minute --close_minute (later sample | sweep | staleness)--> record written, merged into hour
 *   open hour --close_hour (a minute of a later hour closes | sweep)--> record written, hook fired
 *   dirty entries --round_start (interval | WAL size)--> round[] --checkpoint_chunk (each commit)-->
                 state records; the last chunk also moves checkpoint_seq and truncates the WAL (round_done)
   everything dirty --checkpoint_full (recovery, shutdown)--> state records + WAL truncated, same txn
 */
#include "util/common.h"
#include "ingest/ingest.h"
#include "metrics/metrics.h"
#include "util/assert.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* A checkpoint is forced once this many WAL entries accumulated, bounding
 * both the WAL's size (20 bytes an entry) and the replay time after a crash. */
#define WAL_ENTRIES_PER_CHECKPOINT (4u << 20)
#define SWEEP_INTERVAL_MS 1000
#define RETENTION_PASS_INTERVAL_MS (10 * 60 * 1000)
#define RETENTION_SERIES_PER_TXN 2000
#define MAX_GROW_RETRIES 8
#define CHECKPOINT_CHUNK 8192 /* default ingest_opts.checkpoint_chunk (invariant 7) */

/* The decoder refuses what the store cannot index, so one series cannot
 * fail a whole group commit (wire.h). */
_Static_assert(WIRE_MAX_NAME_BYTES == STORE_LABEL_NAME_MAX, "wire and store label-name limits differ");

static const uint64_t STALE_NAN_BITS = 0x7ff0000000000002ULL;

/* One series, in memory: 136 bytes (was 184 as hash + store_series_state +
 * bookkeeping; flags and a 16-bit undo generation fill the padding). The
 * open buckets keep only what invariant 6 cannot derive;
 * bucket_minute/bucket_hour rebuild a store_rollup for the arithmetic in
 * storage/rollup.c and for checkpoints. */
enum {
    E_HAS_PREV = 1, /* prev_value is meaningful */
    E_STALE = 2,    /* the series ended with a staleness marker */
    E_DIRTY = 4,    /* in dirty_ids (invariant 3) */
};

typedef struct entry {
    util_hash128 hash;
    int64_t last_ts_ms; /* newest accepted timestamp; INT64_MIN if none */
    double prev_value;  /* last finite value (E_HAS_PREV); also the open minute's `last` */
    double m_sum, m_min, m_max, m_increase;
    int64_t m_last_ts_ms;
    double h_sum, h_min, h_max, h_increase, h_last;
    int64_t h_last_ts_ms;
    uint32_t m_count, h_count; /* 0: no open minute / hour */
    uint32_t arrival_s;        /* wall clock of the latest sample: seconds after g->epoch_ms,
                                  rounded up (quiet checks may close up to 1 s late); not persisted */
    uint8_t flags;
    uint16_t undo_gen; /* == ingest.gen: saved in this transaction's undo (invariant 5) */
} entry;

_Static_assert(sizeof(entry) <= 136, "entry grew: memory per series is a documented target");

typedef struct undo_rec {
    uint32_t id;
    entry saved;
} undo_rec;

typedef struct closed_event {
    uint32_t id;
    store_res res;
    int64_t start_s;
    store_rollup r;
} closed_event;

typedef struct batch {
    struct batch *next;
    const wire_series *series;
    size_t n;
    size_t nsamples;
    ingest_result res;
    aug_err err;
    bool done;
} batch;

/* Growable array of POD items with a hard item limit. */
#define VEC(T) struct { T *p; size_t n, cap; }

struct ingest {
    store *s;

    /* Options: `opts` is replaced by ingest_set_opts under `lock`; the writer
     * works from its own copy `wopts`, refreshed under `lock` at each pickup. */
    ingest_opts opts;
    ingest_opts wopts;

    /* Series table (writer thread; see invariants 1-3). */
    entry *entries;
    size_t nentries, entries_cap;
    uint32_t *slots;
    size_t slot_mask;
    VEC(uint32_t) dirty_ids;

    /* Current transaction (invariant 5). */
    uint16_t gen;
    uint32_t txn_first_new;
    size_t txn_dirty_mark;
    VEC(undo_rec) undo;
    VEC(store_wal_entry) wal;
    VEC(closed_event) events;

    int64_t epoch_ms;         /* wall clock at open: origin of entry.arrival_s */
    uint64_t seq;             /* last WAL seq written */
    uint64_t checkpoint_seq;  /* WAL seq covered by the last checkpoint */
    uint64_t wal_since_checkpoint;

    /* Checkpoint round (invariant 7): states of round.p[round_pos ..] are
     * still to be written; the round covers WAL seq round_seq. */
    VEC(uint32_t) round;
    size_t round_pos;
    uint64_t round_seq;
    uint64_t wal_since_round;
    bool round_active;
    bool last_commit_failed; /* then an active round waits for the next tick, not a tight retry loop */
    int64_t last_checkpoint_ms, last_sweep_ms, next_retention_ms;
    uint32_t retention_cursor;

    /* Queue, shared with ingest_write callers. */
    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    batch *qhead, *qtail;
    size_t pending;
    bool stopping;
    pthread_t thread;
    bool thread_started;

    ingest_bucket_fn hook;
    void *hook_arg;

    _Atomic uint64_t stat_series, stat_commits, stat_pending;

    /* Committed groups waiting for the flush that makes them durable
     * (invariant 8; writer thread only). */
    batch *held, *held_tail;
    uint64_t held_mark;
    bool store_failure_logged; /* the store's sticky failure is logged once */

    metrics_counter *m_accepted, *m_duplicate, *m_stale, *m_nonfinite, *m_limit, *m_new_series, *m_late;
    metrics_counter *m_commits, *m_commit_errors, *m_grows, *m_checkpoints, *m_closed_minute, *m_closed_hour;
    metrics_counter *m_retention_deleted, *m_rejected_queue_full;
    metrics_histogram *m_commit_seconds, *m_batch_requests;
};

/* Growth doubles, except past 1 MiB where it is 1.25x: the series table is
 * the one large vector (136 bytes a series), and doubling left up to half
 * of it unused (at 100k series, 131072 slots = 4 MB spare). Amortized
 * copying stays linear (each byte is copied ~4 times more on average). */
static aug_err vec_reserve(void **p, size_t *cap, size_t need, size_t item)
{
    if (need <= *cap)
        return AUG_OK;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap = ncap * item < ((size_t)1 << 20) ? ncap * 2 : ncap + ncap / 4;
    void *np = aug_realloc(*p, ncap * item);
    if (np == NULL)
        return AUG_ENOMEM;
    *p = np;
    *cap = ncap;
    return AUG_OK;
}

#define VEC_PUSH(v, item, errvar) \
    do { \
        (errvar) = vec_reserve((void **)&(v).p, &(v).cap, (v).n + 1, sizeof *(v).p); \
        if ((errvar) == AUG_OK) \
            (v).p[(v).n++] = (item); \
    } while (0)

static bool is_stale_marker(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits == STALE_NAN_BITS;
}

/* ---- series table ---- */

static bool hash_eq(util_hash128 a, util_hash128 b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

static uint32_t table_find(const ingest *g, util_hash128 h)
{
    if (g->slots == NULL)
        return 0;
    for (size_t i = h.lo & g->slot_mask;; i = (i + 1) & g->slot_mask) {
        uint32_t id = g->slots[i];
        if (id == 0 || hash_eq(g->entries[id].hash, h))
            return id;
    }
}

static void slot_insert(ingest *g, uint32_t id)
{
    size_t i = g->entries[id].hash.lo & g->slot_mask;
    while (g->slots[i] != 0)
        i = (i + 1) & g->slot_mask;
    g->slots[i] = id;
}

/* Backward-shift deletion keeps linear probing tombstone-free. */
static void slot_remove(ingest *g, uint32_t id)
{
    size_t i = g->entries[id].hash.lo & g->slot_mask;
    while (g->slots[i] != id)
        i = (i + 1) & g->slot_mask;
    for (size_t j = (i + 1) & g->slot_mask; g->slots[j] != 0; j = (j + 1) & g->slot_mask) {
        size_t home = g->entries[g->slots[j]].hash.lo & g->slot_mask;
        /* Move slots[j] into the hole at i if its home is not in (i, j]. */
        bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            g->slots[i] = g->slots[j];
            i = j;
        }
    }
    g->slots[i] = 0;
}

static aug_err table_reserve(ingest *g, size_t nentries)
{
    aug_err err = vec_reserve((void **)&g->entries, &g->entries_cap, nentries, sizeof *g->entries);
    if (err != AUG_OK)
        return err;
    size_t nslots = g->slot_mask + 1;
    if (g->slots != NULL && nentries * 2 <= nslots)
        return AUG_OK;
    size_t want = 1024;
    while (want < nentries * 2)
        want *= 2;
    uint32_t *ns = aug_calloc(want, sizeof *ns);
    if (ns == NULL)
        return AUG_ENOMEM;
    aug_free(g->slots);
    g->slots = ns;
    g->slot_mask = want - 1;
    for (uint32_t id = 1; id < g->nentries; id++)
        slot_insert(g, id);
    return AUG_OK;
}

static void entry_init(entry *e, util_hash128 h)
{
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->last_ts_ms = INT64_MIN;
}

static int64_t minute_start_s(const entry *e)
{
    return util_floor_div(e->m_last_ts_ms, 60000) * 60;
}

static int64_t hour_start_s(const entry *e)
{
    return util_floor_div(e->h_last_ts_ms, 3600000) * 3600;
}

/* The open minute / hour as a store_rollup (all zero when not open). */
static store_rollup bucket_minute(const entry *e)
{
    if (e->m_count == 0)
        return (store_rollup){0};
    return (store_rollup){.count = e->m_count, .sum = e->m_sum, .min = e->m_min, .max = e->m_max,
                          .last = e->prev_value, .last_ts_ms = e->m_last_ts_ms, .increase = e->m_increase};
}

static store_rollup bucket_hour(const entry *e)
{
    if (e->h_count == 0)
        return (store_rollup){0};
    return (store_rollup){.count = e->h_count, .sum = e->h_sum, .min = e->h_min, .max = e->h_max,
                          .last = e->h_last, .last_ts_ms = e->h_last_ts_ms, .increase = e->h_increase};
}

/* Stores r as the open minute; its `last` must be the value about to
 * become prev_value (the caller sets it), see invariant 6. */
static void set_minute(entry *e, const store_rollup *r)
{
    e->m_count = r->count;
    e->m_sum = r->sum;
    e->m_min = r->min;
    e->m_max = r->max;
    e->m_increase = r->increase;
    e->m_last_ts_ms = r->last_ts_ms;
}

static void set_hour(entry *e, const store_rollup *r)
{
    e->h_count = r->count;
    e->h_sum = r->sum;
    e->h_min = r->min;
    e->h_max = r->max;
    e->h_increase = r->increase;
    e->h_last = r->last;
    e->h_last_ts_ms = r->last_ts_ms;
}

/* Checkpoint form of an entry (what store_state_put persists). */
static void entry_state(const entry *e, store_series_state *st)
{
    *st = (store_series_state){
        .last_ts_ms = e->last_ts_ms,
        .prev_value = (e->flags & E_HAS_PREV) ? e->prev_value : 0,
        .has_prev = (e->flags & E_HAS_PREV) != 0,
        .stale = (e->flags & E_STALE) != 0,
        .minute_start_s = e->m_count ? minute_start_s(e) : 0,
        .minute = bucket_minute(e),
        .hour_start_s = e->h_count ? hour_start_s(e) : 0,
        .hour = bucket_hour(e),
    };
}

/* Loads a checkpoint into e (hash and transient fields untouched).
 * AUG_ECORRUPT when the record breaks invariant 6. */
static aug_err entry_load(entry *e, const store_series_state *st)
{
    const store_rollup *m = &st->minute, *h = &st->hour;
    if (m->count > 0 && (!st->has_prev || m->last != st->prev_value ||
                         util_floor_div(m->last_ts_ms, 60000) * 60 != st->minute_start_s))
        return AUG_ECORRUPT;
    if (h->count > 0 && util_floor_div(h->last_ts_ms, 3600000) * 3600 != st->hour_start_s)
        return AUG_ECORRUPT;
    e->last_ts_ms = st->last_ts_ms;
    e->prev_value = st->has_prev ? st->prev_value : 0;
    e->flags = (uint8_t)((e->flags & E_DIRTY) | (st->has_prev ? E_HAS_PREV : 0) |
                         (st->stale ? E_STALE : 0));
    set_minute(e, m);
    set_hour(e, h);
    return AUG_OK;
}

#if defined(AUG_DEBUG_ASSERTS) && AUG_DEBUG_ASSERTS
/* Invariant 6 for one entry (the parts that can be checked locally). */
static bool entry_check(const entry *e)
{
    if (e->m_count > 0 && (!(e->flags & E_HAS_PREV) || e->m_last_ts_ms > e->last_ts_ms))
        return false;
    if (e->h_count > 0 && e->h_last_ts_ms > e->last_ts_ms)
        return false;
    return true;
}

static bool table_check(const ingest *g)
{
    size_t used = 0;
    for (size_t i = 0; i <= g->slot_mask && g->slots; i++) {
        if (g->slots[i] == 0)
            continue;
        used++;
        if (g->slots[i] >= g->nentries)
            return false;
    }
    if (g->nentries > 0 && used != g->nentries - 1)
        return false;
    for (uint32_t id = 1; id < g->nentries; id++) {
        if (table_find(g, g->entries[id].hash) != id || !entry_check(&g->entries[id]))
            return false;
    }
    return used * 2 <= g->slot_mask + 1;
}
#endif

/* ---- transaction bookkeeping ---- */

static void txn_begin_mem(ingest *g)
{
    if (++g->gen == 0) { /* wrapped: no entry may keep an old generation */
        for (size_t id = 0; id < g->nentries; id++)
            g->entries[id].undo_gen = 0;
        g->gen = 1;
    }
    g->txn_first_new = (uint32_t)g->nentries;
    g->txn_dirty_mark = g->dirty_ids.n;
    g->undo.n = 0;
    g->wal.n = 0;
    g->events.n = 0;
}

/* Saves the pre-transaction copy of an entry before its first change. */
static aug_err touch(ingest *g, uint32_t id)
{
    entry *e = &g->entries[id];
    aug_err err = AUG_OK;
    if (e->undo_gen != g->gen) {
        if (id < g->txn_first_new) {
            undo_rec u = {.id = id, .saved = *e};
            VEC_PUSH(g->undo, u, err);
            if (err != AUG_OK)
                return err;
        }
        e->undo_gen = g->gen;
    }
    if (!(e->flags & E_DIRTY)) {
        VEC_PUSH(g->dirty_ids, id, err);
        if (err != AUG_OK)
            return err;
        e->flags |= E_DIRTY;
    }
    return AUG_OK;
}


static void txn_undo(ingest *g)
{
    for (size_t i = g->undo.n; i-- > 0;)
        g->entries[g->undo.p[i].id] = g->undo.p[i].saved;
    for (uint32_t id = (uint32_t)g->nentries; id-- > g->txn_first_new;)
        slot_remove(g, id);
    g->nentries = g->txn_first_new;
    g->dirty_ids.n = g->txn_dirty_mark;
    g->undo.n = 0;
    g->wal.n = 0;
    g->events.n = 0;
    atomic_store(&g->stat_series, g->nentries ? g->nentries - 1 : 0);
    AUG_DEBUG_ASSERT(table_check(g));
}

static aug_err emit(ingest *g, uint32_t id, store_res res, int64_t start_s, const store_rollup *r)
{
    closed_event ev = {.id = id, .res = res, .start_s = start_s, .r = *r};
    aug_err err;
    VEC_PUSH(g->events, ev, err);
    return err;
}

/* ---- rollup transitions ---- */

static int64_t hour_of(int64_t minute_start_s)
{
    return util_floor_div(minute_start_s, 3600) * 3600;
}

/* The open hour lives only in memory and in state checkpoints until it
 * closes: one put per series per hour instead of one per minute. */
static aug_err close_hour(ingest *g, store_txn *t, uint32_t id, entry *e)
{
    store_rollup hr = bucket_hour(e);
    int64_t start = hour_start_s(e);
    aug_err err = store_rollup_put(t, id, STORE_RES_HOUR, start, &hr);
    if (err == AUG_OK)
        err = emit(g, id, STORE_RES_HOUR, start, &hr);
    if (err == AUG_OK) {
        store_rollup zero = {0};
        set_hour(e, &zero);
    }
    return err;
}

static aug_err close_minute(ingest *g, store_txn *t, uint32_t id, entry *e)
{
    store_rollup mr = bucket_minute(e);
    int64_t start = minute_start_s(e);
    aug_err err = store_rollup_put(t, id, STORE_RES_MINUTE, start, &mr);
    if (err != AUG_OK)
        return err;
    int64_t h = hour_of(start);
    if (e->h_count > 0 && hour_start_s(e) != h && (err = close_hour(g, t, id, e)) != AUG_OK)
        return err;
    store_rollup hr = bucket_hour(e);
    store_rollup_merge(&hr, &mr);
    set_hour(e, &hr);
    if ((err = emit(g, id, STORE_RES_MINUTE, start, &mr)) != AUG_OK)
        return err;
    store_rollup zero = {0};
    set_minute(e, &zero);
    return AUG_OK;
}

/* A sample for a minute that a sweep or staleness marker already closed:
 * fold it into the stored records (read-modify-write). Returns AUG_ENOTFOUND
 * when that minute was never written, so the caller opens it normally. */
static aug_err add_late(ingest *g, store_txn *t, uint32_t id, entry *e, int64_t m, int64_t ts, double v)
{
    bool has_prev = (e->flags & E_HAS_PREV) != 0;
    store_rollup r;
    aug_err err = store_rollup_get(t, id, STORE_RES_MINUTE, m, &r);
    if (err != AUG_OK)
        return err;
    /* Idempotence for WAL replay: samples of a series arrive in timestamp
     * order, so a stored bucket whose last sample is at or after ts already
     * holds this one (the crashed run wrote it after the checkpoint). Outside
     * replay ts is always past the record's last sample. */
    if (r.last_ts_ms < ts) {
        store_rollup_add(&r, ts, v, has_prev, e->prev_value);
        if ((err = store_rollup_put(t, id, STORE_RES_MINUTE, m, &r)) != AUG_OK)
            return err;
    }
    int64_t h = hour_of(m);
    if (e->h_count > 0 && hour_start_s(e) == h) {
        /* The open hour is rebuilt from the checkpoint plus the replayed WAL,
         * so it never holds a replayed sample yet. */
        store_rollup hr = bucket_hour(e);
        store_rollup_add(&hr, ts, v, has_prev, e->prev_value);
        set_hour(e, &hr);
    } else {
        store_rollup hr;
        err = store_rollup_get(t, id, STORE_RES_HOUR, h, &hr);
        if (err == AUG_ENOTFOUND) {
            memset(&hr, 0, sizeof hr);
            err = AUG_OK;
        }
        if (err == AUG_OK && (hr.count == 0 || hr.last_ts_ms < ts)) {
            store_rollup_add(&hr, ts, v, has_prev, e->prev_value);
            err = store_rollup_put(t, id, STORE_RES_HOUR, h, &hr);
        }
    }
    if (err == AUG_OK)
        metrics_counter_add(g->m_late, 1);
    return err;
}

typedef enum outcome { OUT_ACCEPTED, OUT_DUPLICATE, OUT_STALE, OUT_NONFINITE } outcome;

/* Applies one sample to a series. The caller has touched the entry. When
 * log_wal is set the sample is appended to this transaction's WAL record. */
static aug_err apply_sample(ingest *g, store_txn *t, uint32_t id, entry *e, int64_t ts, double v, bool log_wal,
                            outcome *out)
{
    aug_err err = AUG_OK;
    if (ts <= e->last_ts_ms) {
        *out = OUT_DUPLICATE;
        return AUG_OK;
    }
    if (log_wal) {
        store_wal_entry w = {.id = id, .ts_ms = ts, .value = v};
        VEC_PUSH(g->wal, w, err);
        if (err != AUG_OK)
            return err;
    }
    e->last_ts_ms = ts;
    if (is_stale_marker(v)) {
        *out = OUT_STALE;
        e->flags |= E_STALE;
        return e->m_count > 0 ? close_minute(g, t, id, e) : AUG_OK;
    }
    if (!isfinite(v)) {
        *out = OUT_NONFINITE;
        return AUG_OK;
    }
    int64_t m = util_floor_div(ts, 60000) * 60;
    bool opened = false;
    if (e->m_count > 0 && m != minute_start_s(e)) {
        if ((err = close_minute(g, t, id, e)) != AUG_OK)
            return err;
        opened = true;
    }
    if (e->m_count == 0) {
        err = (!opened && (e->flags & E_HAS_PREV)) ? add_late(g, t, id, e, m, ts, v) : AUG_ENOTFOUND;
        if (err == AUG_OK)
            goto done;
        if (err != AUG_ENOTFOUND)
            return err;
    }
    store_rollup mr = bucket_minute(e);
    store_rollup_add(&mr, ts, v, (e->flags & E_HAS_PREV) != 0, e->prev_value);
    AUG_DEBUG_ASSERT(mr.last_ts_ms == ts && util_floor_div(ts, 60000) * 60 == m);
    set_minute(e, &mr); /* its `last` is v, which becomes prev_value below */
done:
    e->prev_value = v;
    e->flags = (uint8_t)((e->flags | E_HAS_PREV) & ~E_STALE);
    *out = OUT_ACCEPTED;
    return AUG_OK;
}

static void count(ingest_result *r, outcome o)
{
    switch (o) {
    case OUT_ACCEPTED: r->accepted++; break;
    case OUT_DUPLICATE: r->duplicate++; break;
    case OUT_STALE: r->stale++; break;
    case OUT_NONFINITE: r->nonfinite++; break;
    }
}

/* entry.arrival_s for wall clock now_ms: rounded up, so a series is never
 * judged quiet earlier than it was; saturates after 136 years. */
static uint32_t arrival_s(const ingest *g, int64_t now_ms)
{
    int64_t d = now_ms - g->epoch_ms;
    if (d <= 0)
        return 0;
    d = (d + 999) / 1000;
    return d >= (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* Prefetch distances for apply_batch, in series. With 100k+ series the
 * slot index and the entries do not fit in cache, so each lookup is two
 * dependent cache misses (slot, then entry); perf showed the writer spending
 * ~35% of its time on them. The slot of series i + SLOT_AHEAD is fetched
 * first; by i + ENTRY_AHEAD it has arrived, so its first probe's entry is
 * fetched too. Prefetches are hints: a moved array or a longer probe only
 * costs the miss we would have had anyway. */
#define SLOT_AHEAD 16
#define ENTRY_AHEAD 8

/* always_inline: GCC 12 finds a function made only of prefetches "pure"
 * and deletes calls to it (a void pure call is dead code) unless it was
 * inlined before that analysis; prefetch_entry was silently dropped. */
__attribute__((always_inline)) static inline void prefetch_slot(const ingest *g, util_hash128 h)
{
    __builtin_prefetch(&g->slots[h.lo & g->slot_mask]);
}

__attribute__((always_inline)) static inline void prefetch_entry(const ingest *g, util_hash128 h)
{
    uint32_t id = g->slots[h.lo & g->slot_mask];
    if (id != 0 && id < g->nentries) {
        const char *e = (const char *)&g->entries[id];
        for (size_t off = 0; off < sizeof(entry); off += 64)
            __builtin_prefetch(e + off);
    }
}

static aug_err apply_batch(ingest *g, store_txn *t, batch *b, int64_t now_ms)
{
    memset(&b->res, 0, sizeof b->res);
    for (size_t i = 0; i < b->n && i < SLOT_AHEAD; i++)
        prefetch_slot(g, b->series[i].hash);
    for (size_t i = 0; i < b->n && i < ENTRY_AHEAD; i++)
        prefetch_entry(g, b->series[i].hash);
    for (size_t i = 0; i < b->n; i++) {
        const wire_series *ws = &b->series[i];
        if (i + SLOT_AHEAD < b->n)
            prefetch_slot(g, b->series[i + SLOT_AHEAD].hash);
        if (i + ENTRY_AHEAD < b->n)
            prefetch_entry(g, b->series[i + ENTRY_AHEAD].hash);
        /* No samples (only exemplars or native histograms, which are not
         * rolled up): nothing to store, and no slot of max_series to take. */
        if (ws->nsamples == 0)
            continue;
        uint32_t id = table_find(g, ws->hash);
        aug_err err;
        if (id == 0) {
            if (g->nentries - 1 >= g->wopts.max_series) {
                b->res.series_limit += ws->nsamples;
                continue;
            }
            if ((err = table_reserve(g, g->nentries + 1)) != AUG_OK)
                return err;
            id = (uint32_t)g->nentries++;
            entry_init(&g->entries[id], ws->hash);
            slot_insert(g, id);
            if ((err = store_series_put(t, id, ws->key)) != AUG_OK)
                return err;
            b->res.new_series++;
        }
        if ((err = touch(g, id)) != AUG_OK)
            return err;
        entry *e = &g->entries[id];
        e->arrival_s = arrival_s(g, now_ms);
        for (size_t k = 0; k < ws->nsamples; k++) {
            outcome o;
            if ((err = apply_sample(g, t, id, e, ws->samples[k].ts_ms, ws->samples[k].value, true, &o)) != AUG_OK)
                return err;
            count(&b->res, o);
        }
    }
    return AUG_OK;
}

/* Closes buckets of series that went quiet past their end + close_delay. */
static aug_err sweep(ingest *g, store_txn *t, int64_t now_ms)
{
    int64_t delay = g->wopts.close_delay_ms;
    for (uint32_t id = 1; id < g->nentries; id++) {
        entry *e = &g->entries[id];
        if (now_ms <= g->epoch_ms + (int64_t)e->arrival_s * 1000 + delay)
            continue;
        bool close_m = e->m_count > 0 && now_ms > (minute_start_s(e) + 60) * 1000 + delay;
        bool close_h = e->h_count > 0 && now_ms > (hour_start_s(e) + 3600) * 1000 + delay;
        if (!close_m && !close_h)
            continue;
        aug_err err = touch(g, id);
        if (err == AUG_OK && close_m)
            err = close_minute(g, t, id, e);
        if (err == AUG_OK && close_h && e->m_count == 0 && e->h_count > 0)
            err = close_hour(g, t, id, e);
        if (err != AUG_OK)
            return err;
    }
    return AUG_OK;
}

static aug_err put_state(store_txn *t, const ingest *g, uint32_t id)
{
    store_series_state st;
    entry_state(&g->entries[id], &st);
    return store_state_put(t, id, &st);
}

/* Everything in one transaction: what is left of a round plus every dirty
 * entry, then checkpoint_seq = seq and the whole WAL truncated. */
static aug_err checkpoint_full(ingest *g, store_txn *t)
{
    aug_err err;
    for (size_t i = g->round_pos; i < g->round.n; i++)
        if ((err = put_state(t, g, g->round.p[i])) != AUG_OK)
            return err;
    for (size_t i = 0; i < g->dirty_ids.n; i++)
        if ((err = put_state(t, g, g->dirty_ids.p[i])) != AUG_OK)
            return err;
    if ((err = store_meta_put(t, "checkpoint_seq", g->seq)) != AUG_OK)
        return err;
    return store_wal_truncate(t, g->seq);
}

/* After a durable checkpoint_full: nothing is dirty any more. */
static void checkpoint_done(ingest *g, int64_t now_ms)
{
    for (size_t i = 0; i < g->dirty_ids.n; i++)
        g->entries[g->dirty_ids.p[i]].flags &= (uint8_t)~E_DIRTY;
    g->dirty_ids.n = 0;
    g->round.n = g->round_pos = 0;
    g->round_active = false;
    g->checkpoint_seq = g->seq;
    g->wal_since_checkpoint = g->wal_since_round = 0;
    g->last_checkpoint_ms = now_ms;
    metrics_counter_add(g->m_checkpoints, 1);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Starts a round (between commits; memory only). Sorting makes the state
 * puts walk the state table in key order: each leaf page is touched once. */
static void round_start(ingest *g, int64_t now_ms)
{
    uint32_t *p = g->round.p;
    size_t cap = g->round.cap;
    g->round.p = g->dirty_ids.p;
    g->round.cap = g->dirty_ids.cap;
    g->round.n = g->dirty_ids.n;
    g->dirty_ids.p = p;
    g->dirty_ids.cap = cap;
    g->dirty_ids.n = 0;
    for (size_t i = 0; i < g->round.n; i++)
        g->entries[g->round.p[i]].flags &= (uint8_t)~E_DIRTY;
    qsort(g->round.p, g->round.n, sizeof *g->round.p, cmp_u32);
    g->round_pos = 0;
    g->round_seq = g->seq;
    g->wal_since_round = 0;
    g->round_active = true;
    g->last_checkpoint_ms = now_ms;
}

/* Writes the next chunk of the round; *n receives how many states. The
 * last chunk also moves checkpoint_seq and truncates the WAL. */
static aug_err checkpoint_chunk(ingest *g, store_txn *t, size_t *n)
{
    size_t chunk = g->wopts.checkpoint_chunk ? g->wopts.checkpoint_chunk : CHECKPOINT_CHUNK;
    size_t end = AUG_MIN(g->round.n, g->round_pos + chunk);
    aug_err err;
    *n = 0;
    for (size_t i = g->round_pos; i < end; i++)
        if ((err = put_state(t, g, g->round.p[i])) != AUG_OK)
            return err;
    if (end == g->round.n) {
        if ((err = store_meta_put(t, "checkpoint_seq", g->round_seq)) != AUG_OK ||
            (err = store_wal_truncate(t, g->round_seq)) != AUG_OK)
            return err;
    }
    *n = end - g->round_pos;
    return AUG_OK;
}

/* After a durable chunk of n states. */
static void round_advance(ingest *g, size_t n)
{
    g->round_pos += n;
    if (g->round_pos < g->round.n)
        return;
    g->round.n = g->round_pos = 0;
    g->round_active = false;
    g->checkpoint_seq = g->round_seq;
    g->wal_since_checkpoint = g->wal_since_round;
    metrics_counter_add(g->m_checkpoints, 1);
}

/* ---- the writer ---- */

/* One attempt at a group commit of `list`. On failure memory is undone. */
static aug_err commit_once(ingest *g, batch *list, int64_t now_ms, bool force_checkpoint, bool *checkpointed,
                          size_t *chunk)
{
    store_txn *t = NULL;
    aug_err err = store_txn_begin(g->s, true, &t);
    if (err != AUG_OK)
        return err;
    txn_begin_mem(g);
    uint64_t seq_before = g->seq;
    for (batch *b = list; b != NULL && err == AUG_OK; b = b->next)
        err = apply_batch(g, t, b, now_ms);
    if (err == AUG_OK && now_ms - g->last_sweep_ms >= SWEEP_INTERVAL_MS)
        err = sweep(g, t, now_ms);
    if (err == AUG_OK && g->wal.n > 0) {
        g->seq++;
        err = store_wal_append(t, g->seq, g->wal.p, g->wal.n);
    }
    *checkpointed = false;
    *chunk = 0;
    if (err == AUG_OK && force_checkpoint) {
        err = checkpoint_full(g, t);
        *checkpointed = err == AUG_OK;
    } else if (err == AUG_OK && g->round_active) {
        err = checkpoint_chunk(g, t, chunk);
    }
    if (err == AUG_OK) {
        err = store_txn_commit(t);
    } else {
        store_txn_abort(t);
    }
    if (err != AUG_OK) {
        g->seq = seq_before;
        *checkpointed = false;
        *chunk = 0;
        txn_undo(g);
        return err;
    }
    g->wal_since_checkpoint += g->wal.n;
    g->wal_since_round += g->wal.n;
    if (now_ms - g->last_sweep_ms >= SWEEP_INTERVAL_MS)
        g->last_sweep_ms = now_ms;
    return AUG_OK;
}

static void dispatch_events(ingest *g)
{
    pthread_mutex_lock(&g->lock);
    ingest_bucket_fn fn = g->hook;
    void *arg = g->hook_arg;
    pthread_mutex_unlock(&g->lock);
    for (size_t i = 0; i < g->events.n; i++) {
        closed_event *ev = &g->events.p[i];
        metrics_counter_add(ev->res == STORE_RES_MINUTE ? g->m_closed_minute : g->m_closed_hour, 1);
        if (fn != NULL)
            fn(arg, ev->id, ev->res, ev->start_s, &ev->r);
    }
    g->events.n = 0;
}

static aug_err group_commit(ingest *g, batch *list, bool force_checkpoint)
{
    int64_t t0 = util_mono_ns();
    int64_t now_ms = util_now_ms();
    bool checkpointed = false;
    size_t chunk = 0;
    aug_err err = AUG_OK;
    if (!g->round_active && !force_checkpoint &&
        (g->wal_since_checkpoint >= WAL_ENTRIES_PER_CHECKPOINT ||
         (g->dirty_ids.n > 0 && now_ms - g->last_checkpoint_ms >= g->wopts.checkpoint_interval_ms)))
        round_start(g, now_ms);
    for (int attempt = 0; attempt <= MAX_GROW_RETRIES; attempt++) {
        err = commit_once(g, list, now_ms, force_checkpoint, &checkpointed, &chunk);
        if (err != AUG_EFULL)
            break;
        metrics_counter_add(g->m_grows, 1);
        aug_err gerr = store_map_grow(g->s);
        if (gerr != AUG_OK) {
            err = gerr;
            break;
        }
    }
    if (err == AUG_OK) {
        if (checkpointed)
            checkpoint_done(g, now_ms);
        else if (g->round_active)
            round_advance(g, chunk); /* an empty round completes with chunk 0 */
        dispatch_events(g);
        atomic_fetch_add(&g->stat_commits, 1);
        metrics_counter_add(g->m_commits, 1);
        atomic_store(&g->stat_series, g->nentries ? g->nentries - 1 : 0);
    } else {
        metrics_counter_add(g->m_commit_errors, 1);
    }
    g->last_commit_failed = err != AUG_OK;
    metrics_histogram_observe(g->m_commit_seconds, (double)(util_mono_ns() - t0) / 1e9);
    return err;
}

static void retention_step(ingest *g, int64_t now_ms)
{
    if (now_ms < g->next_retention_ms || g->nentries <= 1)
        return;
    store_txn *t = NULL;
    if (store_txn_begin(g->s, true, &t) != AUG_OK)
        return;
    int64_t now_s = now_ms / 1000;
    uint64_t deleted = 0;
    aug_err err = AUG_OK;
    uint32_t id = g->retention_cursor ? g->retention_cursor : 1;
    uint32_t end = (uint32_t)AUG_MIN((size_t)id + RETENTION_SERIES_PER_TXN, g->nentries);
    for (; id < end && err == AUG_OK; id++) {
        size_t n = 0;
        err = store_rollup_expire(t, id, STORE_RES_MINUTE, now_s - g->wopts.minute_retention_s, SIZE_MAX, &n);
        deleted += n;
        if (err == AUG_OK)
            err = store_rollup_expire(t, id, STORE_RES_HOUR, now_s - g->wopts.hour_retention_s, SIZE_MAX, &n);
        deleted += n;
    }
    if (err == AUG_OK)
        err = store_txn_commit(t);
    else
        store_txn_abort(t);
    if (err != AUG_OK)
        return; /* retried on the next pass; EFULL cannot happen on deletes */
    metrics_counter_add(g->m_retention_deleted, deleted);
    if (id >= g->nentries) {
        g->retention_cursor = 0;
        g->next_retention_ms = now_ms + RETENTION_PASS_INTERVAL_MS;
    } else {
        g->retention_cursor = id;
    }
}

static void release(ingest *g, batch *list, aug_err err)
{
    pthread_mutex_lock(&g->lock);
    for (batch *b = list; b != NULL;) {
        batch *next = b->next;
        b->err = err;
        g->pending -= b->nsamples;
        b->done = true;
        b = next;
    }
    atomic_store(&g->stat_pending, g->pending);
    pthread_cond_broadcast(&g->done_cv);
    pthread_mutex_unlock(&g->lock);
}

/* Releases the held groups once their commit is durable (invariant 8):
 * covered by a later flush already, or, with `flush`, after store_sync.
 * A store that refuses writes (a flush failed) fails them right away. */
static void settle(ingest *g, bool flush)
{
    if (g->held == NULL)
        return;
    aug_err err = AUG_OK;
    if (!store_durable(g->s, g->held_mark)) {
        if (!flush && store_status(g->s) == AUG_OK)
            return;
        err = store_sync(g->s);
    }
    release(g, g->held, err);
    g->held = g->held_tail = NULL;
}

/* Logs, once, that the store refuses writes (a flush failed, store.h): every
 * write gets 503 from now on and only a restart helps, so say it where the
 * operator looks. */
static void note_store_failure(ingest *g)
{
    aug_err err = store_status(g->s);
    if (err == AUG_OK || g->store_failure_logged)
        return;
    g->store_failure_logged = true;
    LOG_ERROR("ingest", "a disk flush failed: the store refuses writes until augur restarts (nothing unflushed was "
              "acknowledged)", "err", aug_strerror(err));
}

/* Holds a committed group until a flush covers its commit. */
static void hold(ingest *g, batch *list)
{
    if (g->held_tail != NULL)
        g->held_tail->next = list;
    else
        g->held = list;
    for (g->held_tail = list; g->held_tail->next != NULL;)
        g->held_tail = g->held_tail->next;
    g->held_mark = store_commit_mark(g->s);
}

static void *writer_main(void *arg)
{
    ingest *g = arg;
    for (;;) {
        pthread_mutex_lock(&g->lock);
        /* Held groups mean a 204 is waiting for a flush: never sleep then. */
        while (g->held == NULL && g->qhead == NULL && !g->stopping &&
               !(g->round_active && !g->last_commit_failed)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += SWEEP_INTERVAL_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec += ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
            }
            if (pthread_cond_timedwait(&g->work_cv, &g->lock, &ts) != 0)
                break; /* timeout: run housekeeping with an empty batch list */
        }
        batch *list = g->qhead;
        g->qhead = g->qtail = NULL;
        g->wopts = g->opts;
        bool stopping = g->stopping;
        pthread_mutex_unlock(&g->lock);

        if (list == NULL && g->held != NULL && !stopping) {
            /* Nothing arrived during the last commit, so no next commit is
             * coming to flush its meta page: flush now (invariant 8). */
            settle(g, true);
            note_store_failure(g);
            continue;
        }

        size_t nreq = 0;
        for (batch *b = list; b != NULL; b = b->next)
            nreq++;
        if (nreq > 0)
            metrics_histogram_observe(g->m_batch_requests, (double)nreq);

        int64_t now_ms = util_now_ms();
        bool housekeeping = g->round_active || now_ms - g->last_sweep_ms >= SWEEP_INTERVAL_MS ||
                            (g->dirty_ids.n > 0 && now_ms - g->last_checkpoint_ms >= g->wopts.checkpoint_interval_ms);
        if (list != NULL || housekeeping || stopping) {
            aug_err err = group_commit(g, list, stopping);
            if (list != NULL) {
                for (batch *b = list; b != NULL; b = b->next) {
                    if (err != AUG_OK)
                        continue;
                    metrics_counter_add(g->m_accepted, b->res.accepted);
                    metrics_counter_add(g->m_duplicate, b->res.duplicate);
                    metrics_counter_add(g->m_stale, b->res.stale);
                    metrics_counter_add(g->m_nonfinite, b->res.nonfinite);
                    metrics_counter_add(g->m_limit, b->res.series_limit);
                    metrics_counter_add(g->m_new_series, b->res.new_series);
                }
            }
            /* This commit's fdatasync flushed the meta page of the one
             * before: release what it covered before holding this group. */
            settle(g, false);
            if (list != NULL && err == AUG_OK)
                hold(g, list);
            else if (list != NULL)
                release(g, list, err);
            note_store_failure(g);
        }
        if (stopping) {
            pthread_mutex_lock(&g->lock);
            bool empty = g->qhead == NULL;
            pthread_mutex_unlock(&g->lock);
            if (empty) {
                settle(g, true);
                return NULL;
            }
            continue;
        }
        retention_step(g, now_ms);
    }
}

/* ---- recovery ---- */

static aug_err load_series(void *arg, uint32_t id, aug_bytes key)
{
    ingest *g = arg;
    if (id == 0)
        return AUG_ECORRUPT;
    aug_err err = table_reserve(g, (size_t)id + 1);
    if (err != AUG_OK)
        return err;
    while (g->nentries <= id) {
        /* Ids are dense; a hole would be corruption, but keep it unreachable
         * rather than refusing to start: its hash is all-zero and never found. */
        entry_init(&g->entries[g->nentries], (util_hash128){0, 0});
        g->nentries++;
    }
    g->entries[id].hash = util_hash128_of(key.p, key.len);
    slot_insert(g, id);
    return AUG_OK;
}

static aug_err load_state(void *arg, uint32_t id, const store_series_state *st)
{
    ingest *g = arg;
    if (id == 0 || id >= g->nentries)
        return AUG_ECORRUPT;
    return entry_load(&g->entries[id], st);
}

typedef struct replay_ctx {
    ingest *g;
    store_txn *t;
    uint64_t entries;
} replay_ctx;

static aug_err replay_record(void *arg, uint64_t seq, const store_wal_entry *e, size_t n)
{
    replay_ctx *rc = arg;
    ingest *g = rc->g;
    for (size_t i = 0; i < n; i++) {
        if (e[i].id == 0 || e[i].id >= g->nentries)
            return AUG_ECORRUPT;
        entry *en = &g->entries[e[i].id];
        if (!(en->flags & E_DIRTY)) {
            aug_err err;
            VEC_PUSH(g->dirty_ids, e[i].id, err);
            if (err != AUG_OK)
                return err;
            en->flags |= E_DIRTY;
        }
        outcome o;
        aug_err err = apply_sample(g, rc->t, e[i].id, en, e[i].ts_ms, e[i].value, false, &o);
        if (err != AUG_OK)
            return err;
    }
    rc->entries += n;
    if (seq > g->seq)
        g->seq = seq;
    return AUG_OK;
}

static aug_err recover(ingest *g, aug_errbuf *eb)
{
    store_txn *t = NULL;
    aug_err err = store_txn_begin(g->s, true, &t);
    if (err != AUG_OK)
        return aug_errf(eb, err, "recovery: cannot begin a transaction: %s", aug_strerror(err));
    uint64_t cp = 0;
    err = store_meta_get(t, "checkpoint_seq", &cp);
    if (err == AUG_ENOTFOUND)
        err = AUG_OK;
    g->checkpoint_seq = g->seq = cp;
    if (err == AUG_OK)
        err = store_series_foreach(t, load_series, g);
    if (err == AUG_OK)
        err = store_state_foreach(t, load_state, g);
    replay_ctx rc = {.g = g, .t = t, .entries = 0};
    if (err == AUG_OK)
        err = store_wal_foreach(t, cp, replay_record, &rc);
    /* Replayed buckets were already reported before the crash or will be by
     * the next sweep; do not fire hooks for them again. */
    g->events.n = 0;
    if (err == AUG_OK)
        err = checkpoint_full(g, t);
    if (err == AUG_OK) {
        err = store_txn_commit(t);
    } else {
        store_txn_abort(t);
    }
    if (err != AUG_OK)
        return aug_errf(eb, err, "recovery failed after %" PRIu64 " WAL entries: %s", rc.entries,
                        aug_strerror(err));
    checkpoint_done(g, util_now_ms());
    atomic_store(&g->stat_series, g->nentries ? g->nentries - 1 : 0);
    AUG_DEBUG_ASSERT(table_check(g));
    return AUG_OK;
}

/* ---- public API ---- */

static double gauge_series(void *arg)
{
    return (double)atomic_load(&((ingest *)arg)->stat_series);
}

static double gauge_pending(void *arg)
{
    return (double)atomic_load(&((ingest *)arg)->stat_pending);
}

static void register_metrics(ingest *g, metrics_registry *reg)
{
    static const char samples_help[] = "Samples received by remote-write, by what happened to them.";
    const char *n = "augur_ingest_samples_total";
    g->m_accepted = metrics_counter_get(reg, n, samples_help, "result=\"accepted\"");
    g->m_duplicate = metrics_counter_get(reg, n, samples_help, "result=\"duplicate\"");
    g->m_stale = metrics_counter_get(reg, n, samples_help, "result=\"stale_marker\"");
    g->m_nonfinite = metrics_counter_get(reg, n, samples_help, "result=\"nonfinite\"");
    g->m_limit = metrics_counter_get(reg, n, samples_help, "result=\"series_limit\"");
    g->m_late = metrics_counter_get(reg, "augur_ingest_late_samples_total",
                                    "Samples folded into a bucket that had already been closed.", NULL);
    g->m_new_series = metrics_counter_get(reg, "augur_ingest_series_created_total", "Series added to the store.", NULL);
    g->m_commits = metrics_counter_get(reg, "augur_ingest_commits_total", "Durable group commits.", NULL);
    g->m_commit_errors = metrics_counter_get(reg, "augur_ingest_commit_errors_total",
                                             "Group commits that failed; their requests got 503.", NULL);
    g->m_grows = metrics_counter_get(reg, "augur_store_map_grows_total", "Times the LMDB map was grown.", NULL);
    g->m_checkpoints = metrics_counter_get(reg, "augur_ingest_checkpoints_total",
                                           "Series-state checkpoints written (the WAL is truncated at each).", NULL);
    static const char closed_help[] = "Rollup buckets closed, by resolution.";
    g->m_closed_minute = metrics_counter_get(reg, "augur_rollup_buckets_closed_total", closed_help,
                                             "resolution=\"minute\"");
    g->m_closed_hour = metrics_counter_get(reg, "augur_rollup_buckets_closed_total", closed_help,
                                           "resolution=\"hour\"");
    g->m_retention_deleted = metrics_counter_get(reg, "augur_retention_deleted_buckets_total",
                                                 "Rollup buckets deleted by retention.", NULL);
    g->m_rejected_queue_full = metrics_counter_get(reg, "augur_ingest_queue_full_total",
                                                   "Write requests refused with 503 because the commit queue was full.",
                                                   NULL);
    static const double commit_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    g->m_commit_seconds = metrics_histogram_get(reg, "augur_ingest_commit_duration_seconds",
                                                "Time to apply and durably commit one group of requests.", NULL,
                                                commit_bounds, AUG_ARRAY_LEN(commit_bounds));
    static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64};
    g->m_batch_requests = metrics_histogram_get(reg, "augur_ingest_requests_per_commit",
                                                "Write requests covered by one group commit.", NULL, batch_bounds,
                                                AUG_ARRAY_LEN(batch_bounds));
    metrics_gauge_func(reg, "augur_series", "Series in the series table (kept series ever seen).", NULL,
                       gauge_series, g);
    metrics_gauge_func(reg, "augur_ingest_pending_samples", "Samples waiting for a group commit.", NULL,
                       gauge_pending, g);
}

aug_err ingest_open(store *s, const ingest_opts *opts, metrics_registry *reg, ingest **out, aug_errbuf *eb)
{
    ingest *g = aug_calloc(1, sizeof *g);
    if (g == NULL)
        return AUG_ENOMEM;
    g->s = s;
    g->opts = g->wopts = *opts;
    g->epoch_ms = util_now_ms();
    g->nentries = 1; /* id 0 is never used */
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->work_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&g->done_cv, NULL);
    register_metrics(g, reg);
    aug_err err = table_reserve(g, 1);
    if (err == AUG_OK) {
        entry_init(&g->entries[0], (util_hash128){0, 0});
        err = recover(g, eb);
    }
    if (err == AUG_OK) {
        g->last_sweep_ms = util_now_ms();
        g->next_retention_ms = g->last_sweep_ms; /* first pass right after start-up */
        if (pthread_create(&g->thread, NULL, writer_main, g) != 0)
            err = aug_errf(eb, AUG_ENOMEM, "cannot start the writer thread");
        else
            g->thread_started = true;
    }
    if (err != AUG_OK) {
        ingest_close(g);
        return err;
    }
    *out = g;
    return AUG_OK;
}

void ingest_set_bucket_hook(ingest *g, ingest_bucket_fn fn, void *arg)
{
    pthread_mutex_lock(&g->lock);
    g->hook = fn;
    g->hook_arg = arg;
    pthread_mutex_unlock(&g->lock);
}

void ingest_set_opts(ingest *g, const ingest_opts *opts)
{
    /* Options are read by the writer between commits; taking the queue lock
     * here and in the writer's batch pickup orders the update. */
    pthread_mutex_lock(&g->lock);
    g->opts = *opts;
    pthread_mutex_unlock(&g->lock);
}

aug_err ingest_write(ingest *g, const wire_series *series, size_t n, ingest_result *res)
{
    batch b = {.series = series, .n = n};
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < n; i++) {
        b.nsamples += series[i].nsamples;
        /* Near INT64_MIN a bucket start falls below the store's
         * -INT64_MAX/1000 s (store_rollup_put → AUG_EINVAL), and near
         * INT64_MAX a bucket's end in ms overflows. Such a sample would fail
         * the commit of its bucket, and the sweep retries that close in every
         * later commit: one sample (a client's "no timestamp" sentinel) would
         * fail every write after it, across restarts. Refused here, it fails
         * its own request only. */
        for (size_t k = 0; k < series[i].nsamples; k++) {
            int64_t ts = series[i].samples[k].ts_ms;
            if (ts < -INGEST_TS_LIMIT_MS || ts > INGEST_TS_LIMIT_MS)
                return AUG_EINVAL;
        }
    }
    if (n == 0)
        return AUG_OK;
    pthread_mutex_lock(&g->lock);
    if (g->stopping) {
        pthread_mutex_unlock(&g->lock);
        return AUG_ESHUTDOWN;
    }
    if (g->pending > 0 && g->pending + b.nsamples > g->opts.queue_limit_samples) {
        pthread_mutex_unlock(&g->lock);
        metrics_counter_add(g->m_rejected_queue_full, 1);
        return AUG_EAGAIN;
    }
    if (g->qtail)
        g->qtail->next = &b;
    else
        g->qhead = &b;
    g->qtail = &b;
    g->pending += b.nsamples;
    atomic_store(&g->stat_pending, g->pending);
    pthread_cond_signal(&g->work_cv);
    while (!b.done)
        pthread_cond_wait(&g->done_cv, &g->lock);
    pthread_mutex_unlock(&g->lock);
    if (b.err == AUG_OK)
        *res = b.res;
    return b.err;
}

void ingest_stats_get(ingest *g, ingest_stats *out)
{
    out->series = atomic_load(&g->stat_series);
    out->commits = atomic_load(&g->stat_commits);
    out->pending = atomic_load(&g->stat_pending);
}

void ingest_close(ingest *g)
{
    if (g == NULL)
        return;
    if (g->thread_started) {
        pthread_mutex_lock(&g->lock);
        g->stopping = true;
        pthread_cond_signal(&g->work_cv);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->thread, NULL);
    }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->work_cv);
    pthread_cond_destroy(&g->done_cv);
    aug_free(g->entries);
    aug_free(g->slots);
    aug_free(g->dirty_ids.p);
    aug_free(g->round.p);
    aug_free(g->undo.p);
    aug_free(g->wal.p);
    aug_free(g->events.p);
    aug_free(g);
}
