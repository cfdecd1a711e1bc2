/* export.c — the remote-write exporter: enqueue into the outbox, one sender
 * thread per target draining it (contract in export.h).
 *
 * Design notes
 * ------------
 * 1. Locks, in the only order they are ever taken:
 *      x->enq_mu  →  t[0].mu → t[1].mu → …  →  LMDB's writer lock
 *    enq_mu serializes enqueues and guards the series maps, max_ts and the
 *    enqueue arena. t->mu guards a target's queue counters and state. Every
 *    write transaction that touches a target's outbox runs with that
 *    target's mu held (enqueue holds all of them for its one transaction,
 *    a sender holds its own to delete), so the counters always equal what
 *    is committed: LMDB serializes the transactions, each one's counts are
 *    applied before the mu is released. No thread waits for a mutex while
 *    it holds a transaction, so store_map_grow (which waits for every open
 *    transaction) cannot deadlock with us. A sender's read transaction
 *    (building a batch) holds no mutex and never spans a request.
 *
 * 2. Sender states (one thread per target, sender_main), with the function
 *    that performs each transition:
 *      IDLE ──queue non-empty (wait_for_work)──▶ BUILD
 *      BUILD ──records read (batch_build), encoded──▶ SEND
 *      BUILD ──first record unreadable──▶ ACK(dropped_corrupt)
 *      BUILD ──store error──▶ BACKOFF ──▶ BUILD
 *      SEND ──2xx (export_post_send, classify)──▶ ACK(sent)
 *      SEND ──other 4xx / 1xx / 3xx──▶ ACK(dropped_4xx / dropped_other_status)
 *      SEND ──5xx / 429 / no response──▶ BACKOFF ──▶ SEND (same body), or
 *            ──▶ BUILD if the queue limit deleted records meanwhile (trim_gen)
 *      ACK ──delete committed (ack)──▶ IDLE
 *      ACK ──delete failed──▶ BACKOFF ──▶ ACK (nothing is sent meanwhile, so
 *            an acknowledged batch is never sent twice by this process)
 *      any ──closing and (queue empty or drain deadline passed)──▶ EXIT
 *            (a pending ACK is committed first; a request in flight is
 *            aborted by the progress callback at the deadline)
 *
 * 3. Accounting: every sample that leaves the outbox is counted exactly once,
 *    by the transaction that deleted it: sent / dropped_4xx /
 *    dropped_other_status / dropped_corrupt by the sender's ack,
 *    dropped_queue_full by the enqueue that trimmed it. If the queue limit
 *    trims records that are in flight and the receiver then accepts them,
 *    they count as dropped_queue_full although they arrived (the ack finds
 *    them gone): the one imprecision, on a path that only exists under
 *    sustained overload, and on the conservative side.
 *
 * 4. Batches are built from the outbox, not from memory: after a restart
 *    the sender picks up exactly where the committed state is. Records hold
 *    at most batch_size samples (enqueue splits), and a batch is whole
 *    records up to batch_size samples (at least one record, so a record
 *    written under a larger batch_size still goes out, alone).
 *
 * 5. Samples are accepted into a target's outbox only if its series map
 *    admits them (export_int.h): the map is updated before the commit and
 *    rolled back if the commit fails, so a failed enqueue can be retried
 *    with the same samples.
 */
#include "util/common.h"
#include "export/export.h"
#include "export/export_int.h"
#include "util/arena.h"
#include "util/assert.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/utf8.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define SUB "export"
#define DEFAULT_SERIES_LIMIT ((size_t)100000)
#define MAX_LABELS 128u
#define MAX_LABEL_BYTES ((size_t)16 << 10)
#define ENQUEUE_ARENA_CAP ((size_t)256 << 20)
#define BATCH_ARENA_CAP ((size_t)512 << 20)
#define PURGE_CHUNK 1024u
#define MAX_CODE_CACHE 8u

enum result {
    R_SENT,
    R_DROP_4XX,
    R_DROP_OTHER,
    R_DROP_QUEUE,
    R_DROP_CORRUPT,
    R_OOO,
    R_FUTURE,
    R_SERIES_LIMIT,
    R__COUNT
};

static const char *const result_names[R__COUNT] = {
    "sent",          "dropped_4xx",           "dropped_other_status", "dropped_queue_full",
    "dropped_corrupt", "rejected_out_of_order", "rejected_future",      "rejected_series_limit",
};

static const double duration_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

#define M_SAMPLES "augur_export_samples_total"
#define M_REQUESTS "augur_export_requests_total"
#define M_QUEUE "augur_export_queue_samples"
#define M_RETRIES "augur_export_retries_total"
#define M_DURATION "augur_export_send_duration_seconds"
#define M_LAST_SUCCESS "augur_export_last_success_timestamp_seconds"

typedef struct code_counter {
    long status;
    metrics_counter *c;
} code_counter;

typedef struct target {
    export *x;
    char *name;
    char *label;           /* target="<escaped name>" */
    uint64_t id;           /* store_outbox_target_id(name) */
    char meta_max_ts[48];  /* store meta name of the persisted high-water mark */
    uint64_t queue_limit;
    size_t batch_size;
    int64_t min_backoff_ms, max_backoff_ms;
    export_post *post;     /* sender thread only */
    util_arena *batch_arena; /* sender thread only: the batch being built */
    uint64_t rng;          /* sender thread only */
    pthread_t thread;
    bool started;
    bool sync_ok;          /* mu and cv initialized */

    pthread_mutex_t mu;
    pthread_cond_t cv;     /* broadcast on: work enqueued, queue shrank, closing */
    /* guarded by mu */
    uint64_t next_seq;
    uint64_t q_samples, q_records;
    uint64_t trim_gen;     /* bumped when the queue limit deleted records */
    int64_t last_success_ms;
    bool failing;
    long last_status;

    /* guarded by x->enq_mu */
    export_smap *smap;
    int64_t max_ts;        /* newest ts ever enqueued; INT64_MIN if none */

    metrics_counter *res[R__COUNT];
    metrics_counter *retries;
    metrics_gauge *queue, *last_success;
    metrics_histogram *duration;
    code_counter codes[MAX_CODE_CACHE]; /* sender thread only */
    size_t ncodes;
} target;

struct export {
    store *s;
    metrics_registry *reg;
    export_opts opts;
    target *t;
    size_t nt;
    pthread_mutex_t enq_mu;
    bool enq_mu_ok;
    util_arena *enq_arena; /* guarded by enq_mu */
    bool curl_ok;
    _Atomic bool closing;
    _Atomic int64_t deadline_ns; /* monotonic; meaningful once closing */
};

/* ---- small helpers ---- */

static int64_t now_ms(const export *x)
{
    return x->opts.now_ms != NULL ? x->opts.now_ms(x->opts.clock_arg) : util_now_ms();
}

static bool past_deadline(const export *x)
{
    return atomic_load(&x->closing) && util_mono_ns() >= atomic_load(&x->deadline_ns);
}

static bool sender_should_abort(void *arg)
{
    const target *t = arg;
    return past_deadline(t->x);
}

/* Waits on t->cv (t->mu held) until woken or until the monotonic time
 * until_ns (INT64_MAX: no timeout). */
static void cv_wait(target *t, int64_t until_ns)
{
    if (until_ns == INT64_MAX) {
        pthread_cond_wait(&t->cv, &t->mu);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(until_ns / 1000000000), .tv_nsec = (long)(until_ns % 1000000000)};
    pthread_cond_timedwait(&t->cv, &t->mu, &ts);
}

/* Escapes a label value for the exposition format (\\, \", \n). */
static char *label_string(const char *fmt_prefix, const char *value)
{
    size_t n = strlen(value), extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += value[i] == '\\' || value[i] == '"' || value[i] == '\n';
    size_t cap = strlen(fmt_prefix) + n + extra + 2;
    char *out = aug_malloc(cap);
    if (out == NULL)
        return NULL;
    size_t o = strlen(fmt_prefix);
    memcpy(out, fmt_prefix, o);
    for (size_t i = 0; i < n; i++) {
        char c = value[i];
        if (c == '\\' || c == '"' || c == '\n') {
            out[o++] = '\\';
            c = c == '\n' ? 'n' : c;
        }
        out[o++] = c;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

static metrics_counter *result_counter(metrics_registry *reg, const char *tlabel, enum result r)
{
    char labels[1024];
    snprintf(labels, sizeof labels, "%s,result=\"%s\"", tlabel, result_names[r]);
    return metrics_counter_get(reg, M_SAMPLES,
                               "Samples handled by the remote-write exporter, by target and result: sent, "
                               "dropped_* (left the outbox unsent), rejected_* (never entered it).",
                               labels);
}

static metrics_counter *code_counter_get(target *t, long status)
{
    for (size_t i = 0; i < t->ncodes; i++)
        if (t->codes[i].status == status)
            return t->codes[i].c;
    char labels[1024], code[24];
    if (status == 0)
        snprintf(code, sizeof code, "network");
    else
        snprintf(code, sizeof code, "%ld", status);
    snprintf(labels, sizeof labels, "%s,code=\"%s\"", t->label, code);
    metrics_counter *c = metrics_counter_get(
        t->x->reg, M_REQUESTS, "Remote-write requests by target and HTTP status (code=\"network\": no response).",
        labels);
    if (t->ncodes < MAX_CODE_CACHE)
        t->codes[t->ncodes++] = (code_counter){status, c};
    return c;
}

/* ---- label sets → canonical keys (enqueue) ---- */

static bool name_ok(aug_str s, bool metric)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
        if (!alpha && (i == 0 || c < '0' || c > '9'))
            return false;
    }
    return true;
}

/* Well-formed UTF-8 (util_utf8_next) without NUL. 0xFF, the canonical key
 * separator, is never valid. */
static bool utf8_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += util_utf8_next(p + i, n - i, &cp);
        if (cp == 0 || cp == UTIL_UTF8_BAD)
            return false;
    }
    return true;
}

static int str_cmp(aug_str a, aug_str b)
{
    int c = memcmp(a.p, b.p, AUG_MIN(a.len, b.len));
    return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

/* Validates series idx's labels and writes its canonical key (labels
 * sorted by name: name 0xFF value 0xFF …) into the arena. */
static aug_err make_key(util_arena *a, const export_series *s, size_t idx, aug_bytes *out, aug_errbuf *eb)
{
    if (s->nlabels == 0 || s->labels == NULL)
        return aug_errf(eb, AUG_EINVAL, "series %zu: no labels", idx);
    if (s->nlabels > MAX_LABELS)
        return aug_errf(eb, AUG_ETOOBIG, "series %zu: %zu labels (at most %u)", idx, s->nlabels, MAX_LABELS);
    const aug_label *sorted[MAX_LABELS];
    size_t total = 0;
    for (size_t i = 0; i < s->nlabels; i++) {
        const aug_label *l = &s->labels[i];
        if (l->name.len > MAX_LABEL_BYTES || l->value.len > MAX_LABEL_BYTES)
            return aug_errf(eb, AUG_ETOOBIG, "series %zu: label %zu is over 16 KiB", idx, i);
        if ((l->name.len > 0 && l->name.p == NULL) || (l->value.len > 0 && l->value.p == NULL))
            return aug_errf(eb, AUG_EINVAL, "series %zu: label %zu has a NULL string", idx, i);
        size_t j = i;
        for (; j > 0 && str_cmp(sorted[j - 1]->name, l->name) > 0; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = l;
        total += l->name.len + l->value.len + 2;
    }
    static const aug_str metric_name = {"__name__", 8};
    for (size_t i = 0; i < s->nlabels; i++) {
        const aug_label *l = sorted[i];
        if (!name_ok(l->name, false))
            return aug_errf(eb, AUG_EINVAL, "series %zu: invalid label name \"%.*s\"", idx,
                            (int)AUG_MIN(l->name.len, 64), l->name.p ? l->name.p : "");
        if (i > 0 && str_cmp(sorted[i - 1]->name, l->name) == 0)
            return aug_errf(eb, AUG_EINVAL, "series %zu: duplicate label \"%.*s\"", idx, (int)AUG_MIN(l->name.len, 64),
                            l->name.p);
        if (l->value.len == 0)
            return aug_errf(eb, AUG_EINVAL, "series %zu: label \"%.*s\" has an empty value (omit it instead)", idx,
                            (int)AUG_MIN(l->name.len, 64), l->name.p);
        if (!utf8_ok((const uint8_t *)l->value.p, l->value.len))
            return aug_errf(eb, AUG_EINVAL, "series %zu: label \"%.*s\": value is not UTF-8 (or holds NUL)", idx,
                            (int)AUG_MIN(l->name.len, 64), l->name.p);
        if (str_cmp(l->name, metric_name) == 0 && !name_ok(l->value, true))
            return aug_errf(eb, AUG_EINVAL, "series %zu: invalid metric name \"%.*s\"", idx,
                            (int)AUG_MIN(l->value.len, 64), l->value.p);
    }
    uint8_t *p = util_arena_alloc(a, total);
    if (p == NULL)
        return util_arena_overflowed(a) ? aug_errf(eb, AUG_ETOOBIG, "evaluation over 256 MiB of label keys")
                                        : AUG_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < s->nlabels; i++) {
        memcpy(p + o, sorted[i]->name.p, sorted[i]->name.len);
        o += sorted[i]->name.len;
        p[o++] = 0xFF;
        memcpy(p + o, sorted[i]->value.p, sorted[i]->value.len);
        o += sorted[i]->value.len;
        p[o++] = 0xFF;
    }
    *out = (aug_bytes){p, total};
    return AUG_OK;
}

/* ---- enqueue ---- */

typedef struct prepared {
    aug_bytes key;
    util_hash128 h;
    store_outbox_sample smp;
} prepared;

/* What one enqueue did to one target, applied after the commit. */
typedef struct outcome {
    uint64_t seqs;        /* records appended */
    uint64_t accepted;    /* samples appended */
    uint64_t rejected[R__COUNT];
    store_outbox_info dropped; /* by the queue limit */
    int64_t new_max_ts;
    export_smap_undo *undo;
    size_t nundo;
} outcome;

/* Admits, appends and trims for one target inside the enqueue txn. */
static aug_err enqueue_target(export *x, target *t, store_txn *txn, const prepared *p, size_t n, int64_t now,
                              store_outbox_series *acc, outcome *o)
{
    aug_err e = export_smap_reserve(t->smap, n);
    if (e != AUG_OK)
        return e;
    size_t k = 0;
    o->new_max_ts = t->max_ts;
    int64_t limit_ts = now > INT64_MAX - x->opts.future_tolerance_ms ? INT64_MAX : now + x->opts.future_tolerance_ms;
    for (size_t i = 0; i < n; i++) {
        if (p[i].smp.ts_ms > limit_ts) {
            o->rejected[R_FUTURE]++;
            continue;
        }
        switch (export_smap_admit(t->smap, p[i].h, p[i].smp.ts_ms, &o->undo[o->nundo])) {
        case EXPORT_SMAP_OK:
            o->nundo++;
            acc[k++] = (store_outbox_series){.key = p[i].key, .samples = &p[i].smp, .nsamples = 1};
            if (p[i].smp.ts_ms > o->new_max_ts)
                o->new_max_ts = p[i].smp.ts_ms;
            break;
        case EXPORT_SMAP_OLD:
            o->rejected[R_OOO]++;
            break;
        case EXPORT_SMAP_FULL:
            o->rejected[R_SERIES_LIMIT]++;
            break;
        }
    }
    for (size_t off = 0; off < k && e == AUG_OK; off += t->batch_size) {
        size_t m = AUG_MIN(t->batch_size, k - off);
        e = store_outbox_append(txn, t->id, t->next_seq + o->seqs, acc + off, m);
        o->seqs++;
    }
    o->accepted = k;
    if (e == AUG_OK && o->new_max_ts > t->max_ts)
        e = store_meta_put(txn, t->meta_max_ts, (uint64_t)o->new_max_ts);
    uint64_t total = t->q_samples + k;
    if (e == AUG_OK && total > t->queue_limit)
        e = store_outbox_drop_oldest(txn, t->id, total - t->queue_limit, &o->dropped);
    return e;
}

/* One attempt: lock every target, one write txn, commit. */
static aug_err enqueue_once(export *x, const prepared *p, size_t n, outcome *out, store_outbox_series *acc,
                            export_smap_undo *undo)
{
    int64_t now = now_ms(x);
    for (size_t i = 0; i < x->nt; i++)
        pthread_mutex_lock(&x->t[i].mu);
    store_txn *txn = NULL;
    size_t done = 0;
    aug_err e = store_txn_begin(x->s, true, &txn);
    for (; e == AUG_OK && done < x->nt; done++) {
        out[done] = (outcome){.undo = undo + done * n};
        e = enqueue_target(x, &x->t[done], txn, p, n, now, acc, &out[done]);
    }
    if (e == AUG_OK)
        e = store_txn_commit(txn);
    else if (txn != NULL)
        store_txn_abort(txn);
    if (e != AUG_OK) {
        for (size_t i = done; i-- > 0;)
            export_smap_rollback(x->t[i].smap, out[i].undo, out[i].nundo);
    } else {
        for (size_t i = 0; i < x->nt; i++) {
            target *t = &x->t[i];
            outcome *o = &out[i];
            t->next_seq += o->seqs;
            t->max_ts = o->new_max_ts;
            t->q_records += o->seqs;
            t->q_samples += o->accepted;
            t->q_records -= AUG_MIN(t->q_records, o->dropped.records);
            t->q_samples -= AUG_MIN(t->q_samples, o->dropped.samples);
            if (o->dropped.records > 0)
                t->trim_gen++;
            o->rejected[R_DROP_QUEUE] = o->dropped.samples;
            for (int r = 0; r < R__COUNT; r++)
                if (o->rejected[r] > 0)
                    metrics_counter_add(t->res[r], o->rejected[r]);
            metrics_gauge_set(t->queue, (double)t->q_samples);
            pthread_cond_broadcast(&t->cv);
        }
    }
    for (size_t i = x->nt; i-- > 0;)
        pthread_mutex_unlock(&x->t[i].mu);
    if (e == AUG_OK) {
        for (size_t i = 0; i < x->nt; i++)
            if (out[i].dropped.records > 0)
                LOG_WARN(SUB, "queue limit reached: dropped the oldest samples", "target", x->t[i].name, "samples",
                         LOG_I64(out[i].dropped.samples), "queue_limit", LOG_I64(x->t[i].queue_limit));
    }
    return e;
}

aug_err export_enqueue(export *x, const export_series *series, size_t n, aug_errbuf *eb)
{
    if (x == NULL || (n > 0 && series == NULL))
        return aug_errf(eb, AUG_EINVAL, "export_enqueue: NULL argument");
    if (atomic_load(&x->closing))
        return aug_errf(eb, AUG_ESHUTDOWN, "exporter is closing");
    if (n == 0)
        return AUG_OK;
    pthread_mutex_lock(&x->enq_mu);
    util_arena *a = x->enq_arena;
    util_arena_reset(a);
    aug_err e = AUG_OK;
    prepared *p = NULL;
    outcome *out = NULL;
    store_outbox_series *acc = NULL;
    export_smap_undo *undo = NULL;
    size_t nt = AUG_MAX(x->nt, (size_t)1);
    if (n > SIZE_MAX / sizeof *undo / nt || (p = util_arena_alloc(a, n * sizeof *p)) == NULL ||
        (out = util_arena_alloc(a, nt * sizeof *out)) == NULL || (acc = util_arena_alloc(a, n * sizeof *acc)) == NULL ||
        (undo = util_arena_alloc(a, nt * n * sizeof *undo)) == NULL) {
        e = util_arena_overflowed(a) ? aug_errf(eb, AUG_ETOOBIG, "evaluation of %zu series is too large", n)
                                     : AUG_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n && e == AUG_OK; i++) {
        e = make_key(a, &series[i], i, &p[i].key, eb);
        p[i].h = util_hash128_of(p[i].key.p, p[i].key.len);
        p[i].smp = (store_outbox_sample){.ts_ms = series[i].ts_ms, .value = series[i].value};
    }
    if (e != AUG_OK || x->nt == 0) /* no targets: the samples were only validated */
        goto done;
    e = enqueue_once(x, p, n, out, acc, undo);
    if (e == AUG_EFULL) {
        /* Map full: grow (no txn of ours is open) and retry once. */
        aug_err g = store_map_grow(x->s);
        e = g == AUG_OK ? enqueue_once(x, p, n, out, acc, undo) : g;
    }
    if (e != AUG_OK && (eb == NULL || eb->msg[0] == '\0'))
        aug_errf(eb, e, "outbox append failed: %s", aug_strerror(e));
done:
    pthread_mutex_unlock(&x->enq_mu);
    return e;
}

/* ---- sender ---- */

typedef struct batch {
    util_arena *a;
    wire_series *ser;
    size_t nser, cap;
    size_t limit;            /* batch_size */
    size_t nsamples, nrecords;
    uint64_t last_seq;
    bool bad;                /* the first record cannot be read */
    uint64_t bad_seq;
    aug_err bad_err;
} batch;

static aug_err copy_series(batch *b, const store_outbox_series *s)
{
    uint8_t *key = util_arena_alloc(b->a, s->key.len);
    size_t nl = 0;
    for (size_t i = 0; i < s->key.len; i++)
        nl += s->key.p[i] == 0xFF;
    nl /= 2;
    aug_label *labels = util_arena_alloc(b->a, nl * sizeof *labels);
    aug_sample *smp = util_arena_alloc(b->a, s->nsamples * sizeof *smp);
    if (key == NULL || labels == NULL || smp == NULL)
        return util_arena_overflowed(b->a) ? AUG_ETOOBIG : AUG_ENOMEM;
    memcpy(key, s->key.p, s->key.len);
    /* The store hands out canonical keys only (its decoder checks). */
    size_t off = 0;
    for (size_t i = 0; i < nl; i++) {
        const uint8_t *sep = memchr(key + off, 0xFF, s->key.len - off);
        labels[i].name = (aug_str){(const char *)key + off, (size_t)(sep - (key + off))};
        off += labels[i].name.len + 1;
        sep = memchr(key + off, 0xFF, s->key.len - off);
        labels[i].value = (aug_str){(const char *)key + off, (size_t)(sep - (key + off))};
        off += labels[i].value.len + 1;
    }
    for (size_t j = 0; j < s->nsamples; j++)
        smp[j] = (aug_sample){.ts_ms = s->samples[j].ts_ms, .value = s->samples[j].value};
    b->ser[b->nser++] = (wire_series){
        .labels = labels,
        .nlabels = nl,
        .key = {key, s->key.len},
        .samples = smp,
        .nsamples = s->nsamples,
    };
    return AUG_OK;
}

static bool record_unreadable(aug_err e)
{
    return e == AUG_ECORRUPT || e == AUG_EVERSION || e == AUG_ETOOBIG;
}

/* store_outbox_foreach callback: whole records up to the batch limit.
 * Returns AUG_EFULL to stop (batch full, or an unreadable record ends it). */
static aug_err batch_add(void *arg, uint64_t seq, store_outbox_rec *rec)
{
    batch *b = arg;
    size_t ns, nsmp;
    aug_err e = store_outbox_rec_counts(rec, &ns, &nsmp);
    if (e == AUG_OK && b->nrecords > 0 && b->nsamples + nsmp > b->limit)
        return AUG_EFULL;
    if (e == AUG_OK && ns > b->cap - b->nser) {
        size_t cap = AUG_MAX(b->cap * 2, b->nser + ns);
        wire_series *n = aug_realloc(b->ser, cap * sizeof *n);
        if (n == NULL)
            return AUG_ENOMEM;
        b->ser = n;
        b->cap = cap;
    }
    size_t mark = b->nser;
    store_outbox_series s;
    while (e == AUG_OK && (e = store_outbox_rec_next(rec, &s)) == AUG_OK)
        e = copy_series(b, &s);
    if (e == AUG_ENOTFOUND) {
        b->nrecords++;
        b->nsamples += nsmp;
        b->last_seq = seq;
        return AUG_OK;
    }
    b->nser = mark;
    if (!record_unreadable(e))
        return e;
    if (b->nrecords == 0) {
        b->bad = true;
        b->bad_seq = seq;
        b->bad_err = e;
    }
    return AUG_EFULL; /* send what came before; the bad record is first next time */
}

static aug_err batch_build(target *t, batch *b)
{
    util_arena_reset(b->a);
    b->nser = b->nsamples = b->nrecords = 0;
    b->bad = false;
    store_txn *txn;
    aug_err e = store_txn_begin(t->x->s, false, &txn);
    if (e != AUG_OK)
        return e;
    e = store_outbox_foreach(txn, t->id, 0, batch_add, b);
    store_txn_abort(txn);
    return e == AUG_EFULL ? AUG_OK : e;
}

/* Deletes the records up to `upto` and counts them as result r (note 3). */
static aug_err ack(target *t, uint64_t upto, enum result r)
{
    store_outbox_info del = {0};
    aug_err e = AUG_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&t->mu);
        store_txn *txn;
        e = store_txn_begin(t->x->s, true, &txn);
        if (e == AUG_OK) {
            e = store_outbox_delete_upto(txn, t->id, upto, 0, &del);
            e = e == AUG_OK ? store_txn_commit(txn) : (store_txn_abort(txn), e);
        }
        if (e == AUG_OK) {
            /* Counted before the queue is seen shorter, so whoever waits
             * for an empty queue also sees the counts. */
            if (del.samples > 0)
                metrics_counter_add(t->res[r], del.samples);
            t->q_records -= AUG_MIN(t->q_records, del.records);
            t->q_samples -= AUG_MIN(t->q_samples, del.samples);
            metrics_gauge_set(t->queue, (double)t->q_samples);
            pthread_cond_broadcast(&t->cv);
        }
        pthread_mutex_unlock(&t->mu);
        if (e != AUG_EFULL || attempt == 1)
            break;
        if ((e = store_map_grow(t->x->s)) != AUG_OK)
            break;
    }
    return e;
}

/* Sleeps delay_ms, cut short by the drain deadline. False: exit now. */
static bool backoff_wait(target *t, int64_t delay_ms)
{
    export *x = t->x;
    int64_t until = util_mono_ns() + delay_ms * 1000000;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        int64_t now = util_mono_ns();
        bool closing = atomic_load(&x->closing);
        int64_t deadline = atomic_load(&x->deadline_ns);
        if (closing && now >= deadline)
            break;
        if (now >= until)
            break;
        cv_wait(t, closing ? AUG_MIN(until, deadline) : until);
    }
    pthread_mutex_unlock(&t->mu);
    return !past_deadline(x);
}

/* Blocks until the queue has records (true) or the sender must exit. */
static bool wait_for_work(target *t)
{
    export *x = t->x;
    bool work = false;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        bool closing = atomic_load(&x->closing);
        if (closing && (t->q_records == 0 || util_mono_ns() >= atomic_load(&x->deadline_ns)))
            break;
        if (t->q_records > 0) {
            work = true;
            break;
        }
        cv_wait(t, closing ? atomic_load(&x->deadline_ns) : INT64_MAX);
    }
    pthread_mutex_unlock(&t->mu);
    return work;
}

/* The counters said there was work but the outbox had none: recount from
 * the store (defensive; the locking in note 1 should make this unreachable). */
static void recount(target *t)
{
    store_txn *txn;
    store_outbox_info info;
    pthread_mutex_lock(&t->mu);
    if (store_txn_begin(t->x->s, false, &txn) == AUG_OK) {
        if (store_outbox_info_get(txn, t->id, &info) == AUG_OK) {
            t->q_records = info.records;
            t->q_samples = info.samples;
            metrics_gauge_set(t->queue, (double)t->q_samples);
        }
        store_txn_abort(txn);
    }
    pthread_mutex_unlock(&t->mu);
}

static void set_state(target *t, bool failing, long status, bool success)
{
    pthread_mutex_lock(&t->mu);
    t->failing = failing;
    t->last_status = status;
    if (success) {
        t->last_success_ms = now_ms(t->x);
        metrics_gauge_set(t->last_success, (double)t->last_success_ms / 1000.0);
    }
    pthread_mutex_unlock(&t->mu);
}

typedef struct pending {
    bool has;
    uint64_t upto;
    enum result r;
} pending;

/* Sends one built batch until it is acknowledged, dropped, superseded by a
 * queue trim, or the sender must exit (false). *attempt counts consecutive
 * failures for the backoff. */
static bool send_batch(target *t, const uint8_t *body, size_t len, const batch *b, uint64_t gen, unsigned *attempt,
                       pending *pend)
{
    for (;;) {
        export_client_result res;
        int64_t t0 = util_mono_ns();
        aug_err e = export_post_send(t->post, body, len, &res);
        if (e == AUG_ESHUTDOWN)
            return false;
        metrics_histogram_observe(t->duration, (double)(util_mono_ns() - t0) / 1e9);
        metrics_counter_add(code_counter_get(t, e == AUG_OK ? res.status : 0), 1);
        export_class cls = e == AUG_OK ? export_client_classify(res.status) : EXPORT_CLASS_RETRY;
        bool was_failing = *attempt > 0;
        if (cls == EXPORT_CLASS_SENT) {
            if (was_failing)
                LOG_INFO(SUB, "remote write recovered", "target", t->name, "failed_attempts", LOG_I64(*attempt));
            *attempt = 0;
            set_state(t, false, res.status, true);
            *pend = (pending){true, b->last_seq, R_SENT};
            return true;
        }
        if (cls != EXPORT_CLASS_RETRY) {
            LOG_WARN(SUB, "remote write refused, batch dropped", "target", t->name, "status", LOG_I64(res.status),
                     "samples", LOG_I64(b->nsamples), "response", res.detail);
            *attempt = 0;
            set_state(t, false, res.status, false);
            *pend = (pending){true, b->last_seq, cls == EXPORT_CLASS_DROP_4XX ? R_DROP_4XX : R_DROP_OTHER};
            return true;
        }
        metrics_counter_add(t->retries, 1);
        set_state(t, true, e == AUG_OK ? res.status : 0, false);
        if (!was_failing)
            LOG_WARN(SUB, "remote write failed, retrying with backoff", "target", t->name, "status",
                     LOG_I64(e == AUG_OK ? res.status : 0), "detail", res.detail);
        else
            LOG_DEBUG(SUB, "remote write retry failed", "target", t->name, "attempt", LOG_I64(*attempt), "status",
                      LOG_I64(e == AUG_OK ? res.status : 0), "detail", res.detail);
        int64_t delay = export_backoff_ms(t->min_backoff_ms, t->max_backoff_ms, *attempt, &t->rng);
        if (res.retry_after_ms > delay)
            delay = AUG_MIN(res.retry_after_ms, t->max_backoff_ms);
        if (*attempt < UINT_MAX)
            (*attempt)++;
        if (!backoff_wait(t, delay))
            return false;
        pthread_mutex_lock(&t->mu);
        bool trimmed = t->trim_gen != gen;
        pthread_mutex_unlock(&t->mu);
        if (trimmed)
            return true; /* rebuild from what the queue limit left */
    }
}

static void *sender_main(void *arg)
{
    target *t = arg;
    batch b = {.limit = t->batch_size, .a = t->batch_arena};
    pending pend = {0};
    unsigned attempt = 0;
    for (;;) {
        if (pend.has) {
            aug_err e = ack(t, pend.upto, pend.r);
            if (e != AUG_OK) {
                LOG_ERROR(SUB, "cannot delete acknowledged records from the outbox", "target", t->name, "err",
                          aug_strerror(e));
                if (!backoff_wait(t, export_backoff_ms(t->min_backoff_ms, t->max_backoff_ms, attempt++, &t->rng)))
                    break;
                continue;
            }
            pend.has = false;
        }
        if (!wait_for_work(t))
            break;
        pthread_mutex_lock(&t->mu);
        uint64_t gen = t->trim_gen;
        pthread_mutex_unlock(&t->mu);
        aug_err e = batch_build(t, &b);
        if (e == AUG_OK && b.bad) {
            LOG_ERROR(SUB, "unreadable outbox record dropped", "target", t->name, "seq", LOG_I64(b.bad_seq), "err",
                      aug_strerror(b.bad_err));
            pend = (pending){true, b.bad_seq, R_DROP_CORRUPT};
            continue;
        }
        if (e == AUG_OK && b.nrecords == 0) {
            recount(t);
            continue;
        }
        uint8_t *body = NULL;
        size_t len = 0;
        if (e == AUG_OK)
            e = wire_write_encode(b.ser, b.nser, &body, &len);
        if (e != AUG_OK) {
            LOG_WARN(SUB, "cannot build a batch from the outbox", "target", t->name, "err", aug_strerror(e));
            if (!backoff_wait(t, export_backoff_ms(t->min_backoff_ms, t->max_backoff_ms, attempt++, &t->rng)))
                break;
            continue;
        }
        bool go_on = send_batch(t, body, len, &b, gen, &attempt, &pend);
        aug_free(body);
        if (!go_on)
            break;
    }
    /* An acknowledged batch is deleted before exiting, so a reopen does not
     * send it again. */
    if (pend.has && ack(t, pend.upto, pend.r) != AUG_OK)
        LOG_ERROR(SUB, "cannot delete acknowledged records at exit; they will be resent", "target", t->name);
    aug_free(b.ser);
    return NULL;
}

/* ---- open / close ---- */

typedef struct orphans {
    const export *x;
    uint64_t *ids;
    store_outbox_info *info;
    size_t n, cap;
} orphans;

static aug_err collect_orphan(void *arg, uint64_t id, const store_outbox_info *info)
{
    orphans *o = arg;
    for (size_t i = 0; i < o->x->nt; i++)
        if (o->x->t[i].id == id)
            return AUG_OK;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        uint64_t *ids = aug_realloc(o->ids, cap * sizeof *ids);
        if (ids == NULL)
            return AUG_ENOMEM;
        o->ids = ids;
        store_outbox_info *inf = aug_realloc(o->info, cap * sizeof *inf);
        if (inf == NULL)
            return AUG_ENOMEM;
        o->info = inf;
        o->cap = cap;
    }
    o->ids[o->n] = id;
    o->info[o->n++] = *info;
    return AUG_OK;
}

/* Deletes the outbox of targets that are no longer configured, in
 * transactions of PURGE_CHUNK records. */
static aug_err purge_orphans(export *x, aug_errbuf *eb)
{
    orphans o = {.x = x};
    store_txn *txn;
    aug_err e = store_txn_begin(x->s, false, &txn);
    if (e != AUG_OK)
        return aug_errf(eb, e, "outbox: cannot read: %s", aug_strerror(e));
    e = store_outbox_targets(txn, collect_orphan, &o);
    store_txn_abort(txn);
    for (size_t i = 0; i < o.n && e == AUG_OK; i++) {
        char idhex[20];
        snprintf(idhex, sizeof idhex, "%016" PRIx64, o.ids[i]);
        LOG_WARN(SUB, "deleting the outbox of a remote_write target that is no longer configured", "target_id", idhex,
                 "samples", LOG_I64(o.info[i].samples), "records", LOG_I64(o.info[i].records));
        store_outbox_info del;
        do {
            if ((e = store_txn_begin(x->s, true, &txn)) != AUG_OK)
                break;
            e = store_outbox_delete_upto(txn, o.ids[i], UINT64_MAX, PURGE_CHUNK, &del);
            e = e == AUG_OK ? store_txn_commit(txn) : (store_txn_abort(txn), e);
            if (e == AUG_EFULL && (e = store_map_grow(x->s)) == AUG_OK)
                del.records = PURGE_CHUNK; /* grown: go again */
        } while (e == AUG_OK && del.records == PURGE_CHUNK);
    }
    aug_free(o.ids);
    aug_free(o.info);
    return e == AUG_OK ? AUG_OK : aug_errf(eb, e, "outbox: cannot delete orphaned records: %s", aug_strerror(e));
}

static aug_err target_init(export *x, target *t, const cfg_remote_write *rw, aug_errbuf *eb)
{
    t->x = x;
    const char *name = rw->name != NULL ? rw->name : rw->url;
    if (name == NULL)
        return aug_errf(eb, AUG_EINVAL, "remote_write without url");
    t->name = aug_strndup(name, strlen(name));
    t->label = label_string("target=\"", name);
    if (t->name == NULL || t->label == NULL)
        return AUG_ENOMEM;
    t->id = store_outbox_target_id((aug_str){name, strlen(name)});
    for (target *o = x->t; o < t; o++)
        if (o->id == t->id)
            return aug_errf(eb, AUG_EINVAL, "remote_write targets \"%s\" and \"%s\" have the same outbox id", o->name,
                            name);
    snprintf(t->meta_max_ts, sizeof t->meta_max_ts, "export.%016" PRIx64 ".max_ts", t->id);
    if (rw->queue_limit < 1 || rw->batch_size < 1 || rw->min_backoff_ms < 1 || rw->max_backoff_ms < 1)
        return aug_errf(eb, AUG_EINVAL, "remote_write %s: queue_limit, batch_size and backoffs must be positive",
                        name);
    t->queue_limit = (uint64_t)rw->queue_limit;
    t->batch_size = (size_t)rw->batch_size;
    t->min_backoff_ms = rw->min_backoff_ms;
    t->max_backoff_ms = AUG_MAX(rw->max_backoff_ms, rw->min_backoff_ms);
    uint64_t seed = x->opts.seed ^ t->id;
    t->rng = export_rng_next(&seed);
    aug_err e = export_post_new(rw, sender_should_abort, t, &t->post, eb);
    if (e != AUG_OK)
        return e;
    if ((t->batch_arena = util_arena_new(BATCH_ARENA_CAP)) == NULL)
        return AUG_ENOMEM;

    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return AUG_ENOMEM;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&t->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok)
        return AUG_ENOMEM;
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        pthread_cond_destroy(&t->cv);
        return AUG_ENOMEM;
    }
    t->sync_ok = true;

    metrics_registry *reg = x->reg;
    for (int r = 0; r < R__COUNT; r++)
        t->res[r] = result_counter(reg, t->label, (enum result)r);
    t->retries = metrics_counter_get(reg, M_RETRIES, "Remote-write requests that failed and will be retried.",
                                     t->label);
    t->queue = metrics_gauge_get(reg, M_QUEUE, "Samples waiting in a remote-write target's outbox.", t->label);
    t->last_success = metrics_gauge_get(
        reg, M_LAST_SUCCESS, "Unix time of the last remote-write request a target acknowledged (2xx).", t->label);
    t->duration = metrics_histogram_get(reg, M_DURATION, "Duration of one remote-write request attempt.", t->label,
                                        duration_bounds, AUG_ARRAY_LEN(duration_bounds));
    return AUG_OK;
}

/* Counts a target's backlog and restores its series floor. */
static aug_err target_load(export *x, target *t, store_txn *txn, aug_errbuf *eb)
{
    store_outbox_info info;
    aug_err e = store_outbox_info_get(txn, t->id, &info);
    if (e != AUG_OK)
        return aug_errf(eb, e, "outbox of %s: %s", t->name, aug_strerror(e));
    t->q_records = info.records;
    t->q_samples = info.samples;
    t->next_seq = info.last_seq + 1;
    uint64_t v;
    e = store_meta_get(txn, t->meta_max_ts, &v);
    if (e == AUG_ENOTFOUND)
        t->max_ts = INT64_MIN;
    else if (e == AUG_OK)
        t->max_ts = v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
    else
        return aug_errf(eb, e, "outbox of %s: meta %s: %s", t->name, t->meta_max_ts, aug_strerror(e));
    size_t limit = x->opts.series_limit ? x->opts.series_limit : DEFAULT_SERIES_LIMIT;
    if ((e = export_smap_new(limit, t->max_ts, &t->smap)) != AUG_OK)
        return aug_errf(eb, e, "series map of %s: %s", t->name, aug_strerror(e));
    metrics_gauge_set(t->queue, (double)t->q_samples);
    if (info.records > 0)
        LOG_INFO(SUB, "resuming remote-write backlog", "target", t->name, "samples", LOG_I64(info.samples), "records",
                 LOG_I64(info.records));
    return AUG_OK;
}

static void destroy(export *x)
{
    for (size_t i = 0; i < x->nt; i++) {
        target *t = &x->t[i];
        export_post_free(t->post);
        util_arena_free(t->batch_arena);
        export_smap_free(t->smap);
        if (t->sync_ok) {
            pthread_mutex_destroy(&t->mu);
            pthread_cond_destroy(&t->cv);
        }
        aug_free(t->name);
        aug_free(t->label);
    }
    aug_free(x->t);
    util_arena_free(x->enq_arena);
    if (x->enq_mu_ok)
        pthread_mutex_destroy(&x->enq_mu);
    if (x->curl_ok)
        curl_global_cleanup();
    aug_free(x);
}

static void stop_threads(export *x, int64_t drain_timeout_ms)
{
    int64_t drain = AUG_MAX(drain_timeout_ms, (int64_t)0);
    int64_t now = util_mono_ns();
    atomic_store(&x->deadline_ns, drain > (INT64_MAX - now) / 1000000 ? INT64_MAX : now + drain * 1000000);
    atomic_store(&x->closing, true);
    for (size_t i = 0; i < x->nt; i++) {
        target *t = &x->t[i];
        if (!t->started)
            continue;
        pthread_mutex_lock(&t->mu);
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
    }
    for (size_t i = 0; i < x->nt; i++)
        if (x->t[i].started)
            pthread_join(x->t[i].thread, NULL);
}

aug_err export_open(store *s, const cfg_config *cfg, metrics_registry *reg, const export_opts *opts, export **out,
                    aug_errbuf *eb)
{
    if (out != NULL)
        *out = NULL;
    if (s == NULL || cfg == NULL || reg == NULL || out == NULL)
        return aug_errf(eb, AUG_EINVAL, "export_open: NULL argument");
    if (opts != NULL && opts->future_tolerance_ms < 0)
        return aug_errf(eb, AUG_EINVAL, "export_open: negative future tolerance");
    export *x = aug_calloc(1, sizeof *x);
    if (x == NULL)
        return AUG_ENOMEM;
    x->s = s;
    x->reg = reg;
    if (opts != NULL)
        x->opts = *opts;
    if (x->opts.seed == 0)
        x->opts.seed = (uint64_t)util_mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x6a09e667f3bcc908ULL;
    atomic_init(&x->closing, false);
    atomic_init(&x->deadline_ns, INT64_MAX);
    aug_err e = AUG_OK;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        e = aug_errf(eb, AUG_ENOMEM, "curl_global_init failed");
        goto fail;
    }
    x->curl_ok = true;
    if (pthread_mutex_init(&x->enq_mu, NULL) != 0) {
        e = AUG_ENOMEM;
        goto fail;
    }
    x->enq_mu_ok = true;
    x->enq_arena = util_arena_new(ENQUEUE_ARENA_CAP);
    x->t = cfg->nremote_write ? aug_calloc(cfg->nremote_write, sizeof *x->t) : NULL;
    if (x->enq_arena == NULL || (cfg->nremote_write > 0 && x->t == NULL)) {
        e = AUG_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < cfg->nremote_write; i++) {
        x->nt = i + 1; /* destroy() cleans up to here */
        if ((e = target_init(x, &x->t[i], &cfg->remote_write[i], eb)) != AUG_OK)
            goto fail;
    }
    store_txn *txn;
    if ((e = store_txn_begin(s, false, &txn)) != AUG_OK) {
        e = aug_errf(eb, e, "outbox: cannot read: %s", aug_strerror(e));
        goto fail;
    }
    for (size_t i = 0; i < x->nt && e == AUG_OK; i++)
        e = target_load(x, &x->t[i], txn, eb);
    store_txn_abort(txn);
    if (e != AUG_OK)
        goto fail;
    /* Housekeeping: a failure here costs disk space, not correctness, so
     * it does not keep the exporter from starting. */
    aug_errbuf peb = {{0}};
    aug_err pe = purge_orphans(x, &peb);
    if (pe != AUG_OK)
        LOG_ERROR(SUB, "cannot delete the outbox of unconfigured targets", "err", aug_errmsg(&peb, pe));
    for (size_t i = 0; i < x->nt; i++) {
        if (pthread_create(&x->t[i].thread, NULL, sender_main, &x->t[i]) != 0) {
            e = aug_errf(eb, AUG_EAGAIN, "cannot start the sender thread of %s", x->t[i].name);
            goto fail;
        }
        x->t[i].started = true;
    }
    *out = x;
    return AUG_OK;
fail:
    stop_threads(x, 0);
    destroy(x);
    return e;
}

void export_close(export *x, int64_t drain_timeout_ms)
{
    if (x == NULL)
        return;
    stop_threads(x, drain_timeout_ms);
    destroy(x);
}

aug_err export_wait_idle(export *x, int64_t timeout_ms)
{
    int64_t until = util_mono_ns() + AUG_MAX(timeout_ms, (int64_t)0) * 1000000;
    for (size_t i = 0; i < x->nt; i++) {
        target *t = &x->t[i];
        pthread_mutex_lock(&t->mu);
        while (t->q_records > 0 && util_mono_ns() < until)
            cv_wait(t, until);
        bool idle = t->q_records == 0;
        pthread_mutex_unlock(&t->mu);
        if (!idle)
            return AUG_EAGAIN;
    }
    return AUG_OK;
}

size_t export_target_count(const export *x)
{
    return x->nt;
}

aug_err export_target_stats_get(export *x, size_t i, export_target_stats *out)
{
    if (i >= x->nt)
        return AUG_EINVAL;
    target *t = &x->t[i];
    pthread_mutex_lock(&t->mu);
    *out = (export_target_stats){
        .name = t->name,
        .queued_samples = t->q_samples,
        .queued_records = t->q_records,
        .last_success_ms = t->last_success_ms,
        .failing = t->failing,
        .last_status = t->last_status,
    };
    pthread_mutex_unlock(&t->mu);
    return AUG_OK;
}
