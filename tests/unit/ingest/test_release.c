/* Unit tests for the writer's release protocol (src/ingest/ingest.c
 * invariant 8, storage/store.c note 6): a request is released only after a
 * flush that covers its commit has completed, either the data fdatasync of
 * the next commit or, when nothing else is queued, an explicit store_sync;
 * and a failed flush answers AUG_EIO, never AUG_OK, and makes the store
 * refuse writes.
 *
 * fdatasync is interposed: liblmdb calls it through its PLT for both kinds
 * of flush (a commit's data sync and mdb_env_sync), and a definition in the
 * executable comes first in the dynamic symbol lookup. A gate holds the
 * writer inside a flush so the test can look at what was released before
 * the flush completed. The writer is the only thread that flushes while a
 * test runs (its housekeeping commits change nothing and flush nothing with
 * these options), except in test_sync_never_overlaps_a_commit_flush, which
 * flushes from two threads on purpose. */
#include "util/common.h"
#include "ingest/ingest.h"
#include "metrics/metrics.h"

#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

#include "../storage/helpers.h"

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_on;     /* flushes wait for a permit */
static int permits;      /* flushes that may pass the gate */
static int started;      /* flushes entered */
static int finished;     /* flushes returned */
static int fail_next;    /* this many of the next flushes fail with fail_errno */
static int fail_errno = EIO;

int fdatasync(int fd)
{
    static int (*real)(int);
    if (real == NULL) {
        void *p = dlsym(RTLD_NEXT, "fdatasync");
        memcpy(&real, &p, sizeof p); /* object → function pointer without a cast ISO C forbids */
    }
    pthread_mutex_lock(&gate_mu);
    started++;
    pthread_cond_broadcast(&gate_cv);
    while (gate_on && permits == 0)
        pthread_cond_wait(&gate_cv, &gate_mu);
    if (gate_on)
        permits--;
    bool fail = fail_next > 0;
    if (fail)
        fail_next--;
    pthread_mutex_unlock(&gate_mu);
    int rc = fail ? -1 : real(fd);
    pthread_mutex_lock(&gate_mu);
    finished++;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    if (fail)
        errno = fail_errno;
    return rc;
}

static void gate(bool on)
{
    pthread_mutex_lock(&gate_mu);
    gate_on = on;
    permits = 0;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void permit(int n, int fail)
{
    pthread_mutex_lock(&gate_mu);
    permits += n;
    fail_next += fail;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* Waits (at most 10 s) until *counter reaches want; false on timeout. */
static bool wait_count(const int *counter, int want)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&gate_mu);
    int rc = 0;
    while (*counter < want && rc == 0)
        rc = pthread_cond_timedwait(&gate_cv, &gate_mu, &dl);
    bool ok = *counter >= want;
    pthread_mutex_unlock(&gate_mu);
    return ok;
}

static int count_of(const int *counter)
{
    pthread_mutex_lock(&gate_mu);
    int v = *counter;
    pthread_mutex_unlock(&gate_mu);
    return v;
}

static const ingest_opts opts = {
    .close_delay_ms = 3600 * 1000, /* no wall-clock closes, hence no flushing housekeeping */
    .checkpoint_interval_ms = 3600 * 1000,
    .minute_retention_s = 400 * 86400,
    .hour_retention_s = 4000 * 86400,
    .max_series = 1000,
    .queue_limit_samples = 1000000,
};

/* One request of one sample, written from its own thread. */
typedef struct req {
    uint8_t key[64];
    aug_sample sample;
    wire_series ws;
    ingest *g;
    pthread_t th;
    _Atomic bool done;
    aug_err err;
} req;

static void *req_main(void *arg)
{
    req *r = arg;
    ingest_result res;
    r->err = ingest_write(r->g, &r->ws, 1, &res);
    atomic_store(&r->done, true);
    return NULL;
}

static void req_start(req *r, ingest *g, const char *name, int64_t ts)
{
    int n = snprintf((char *)r->key, sizeof r->key, "__name__\xff%s\xffjob\xfft\xff", name);
    r->sample = (aug_sample){.ts_ms = ts, .value = 1.0};
    r->ws = (wire_series){.key = {r->key, (size_t)n}, .hash = util_hash128_of(r->key, (size_t)n),
                          .samples = &r->sample, .nsamples = 1};
    r->g = g;
    atomic_store(&r->done, false);
    CHECK_EQ_I64(pthread_create(&r->th, NULL, req_main, r), 0);
}

static aug_err req_join(req *r)
{
    pthread_join(r->th, NULL);
    return r->err;
}

static uint64_t commits(ingest *g)
{
    ingest_stats st;
    ingest_stats_get(g, &st);
    return st.commits;
}

/* Waits until the writer has n samples queued or held. */
static bool wait_pending(ingest *g, uint64_t n)
{
    for (int i = 0; i < 10000; i++) {
        ingest_stats st;
        ingest_stats_get(g, &st);
        if (st.pending >= n)
            return true;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

typedef struct fixture {
    store *s;
    ingest *g;
    metrics_registry *reg;
} fixture;

static void fx_open(fixture *fx)
{
    gate(false);
    fx->s = open_at(tmp_new(), 0, 0);
    fx->reg = metrics_registry_new();
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(ingest_open(fx->s, &opts, fx->reg, &fx->g, &eb), AUG_OK);
}

static void fx_close(fixture *fx)
{
    gate(false);
    ingest_close(fx->g);
    store_close(fx->s);
    metrics_registry_free(fx->reg);
    tmp_remove();
}

static int64_t ts0(void)
{
    return ((int64_t)time(NULL) - 2 * 86400) / 3600 * 3600000;
}

/* Idle: the commit's own flush does not release the request (its meta page
 * is not flushed yet); the writer flushes at once with store_sync, and the
 * request is released after that flush and no other commit. */
static void test_idle_release_waits_for_store_sync(void)
{
    fixture fx;
    fx_open(&fx);
    uint64_t c0 = commits(fx.g);
    int s0 = count_of(&started);
    gate(true);
    req a;
    req_start(&a, fx.g, "a", ts0());
    CHECK(wait_count(&started, s0 + 1)); /* the commit's data flush */
    CHECK(!atomic_load(&a.done));
    permit(1, 0);
    CHECK(wait_count(&started, s0 + 2)); /* store_sync, nothing else queued */
    CHECK(!atomic_load(&a.done));
    CHECK_EQ_I64(commits(fx.g), c0 + 1);
    permit(1, 0);
    CHECK_EQ_I64(req_join(&a), AUG_OK);
    CHECK_EQ_I64(count_of(&finished), s0 + 2);
    CHECK_EQ_I64(commits(fx.g), c0 + 1); /* released by the sync, not by a later commit */
    CHECK(store_durable(fx.s, store_commit_mark(fx.s)));
    fx_close(&fx);
}

/* Busy: a request queued during commit N goes into commit N+1, whose data
 * flush covers N's meta page and releases N's request before N+1's own;
 * then the idle sync releases N+1's. */
static void test_next_commit_releases_previous(void)
{
    fixture fx;
    fx_open(&fx);
    uint64_t c0 = commits(fx.g);
    int s0 = count_of(&started);
    gate(true);
    req a, b;
    req_start(&a, fx.g, "a", ts0());
    CHECK(wait_count(&started, s0 + 1)); /* commit N's data flush */
    req_start(&b, fx.g, "b", ts0());
    CHECK(wait_pending(fx.g, 2));
    permit(1, 0);
    CHECK(wait_count(&started, s0 + 2)); /* commit N+1's data flush */
    CHECK(!atomic_load(&a.done));
    CHECK(!atomic_load(&b.done));
    permit(1, 0);
    CHECK_EQ_I64(req_join(&a), AUG_OK); /* released once N+1's flush returned */
    CHECK_EQ_I64(commits(fx.g), c0 + 2);
    CHECK(wait_count(&started, s0 + 3)); /* then the idle store_sync for b */
    CHECK_EQ_I64(count_of(&finished), s0 + 2);
    CHECK(!atomic_load(&b.done));
    permit(1, 0);
    CHECK_EQ_I64(req_join(&b), AUG_OK);
    CHECK_EQ_I64(commits(fx.g), c0 + 2);
    fx_close(&fx);
}

/* A request whose samples are all duplicates changes nothing, so its commit
 * flushes nothing: it must still wait for the flush that covers the commit
 * holding the originals. */
static void test_duplicate_waits_for_original_flush(void)
{
    fixture fx;
    fx_open(&fx);
    int s0 = count_of(&started);
    gate(true);
    req a, b;
    req_start(&a, fx.g, "a", ts0());
    CHECK(wait_count(&started, s0 + 1));
    req_start(&b, fx.g, "a", ts0()); /* the same sample again */
    CHECK(wait_pending(fx.g, 2));
    permit(1, 0);
    /* b's commit writes nothing; the next flush is the idle sync */
    CHECK(wait_count(&started, s0 + 2));
    CHECK(!atomic_load(&a.done));
    CHECK(!atomic_load(&b.done));
    permit(1, 0);
    CHECK_EQ_I64(req_join(&a), AUG_OK);
    CHECK_EQ_I64(req_join(&b), AUG_OK);
    CHECK_EQ_I64(count_of(&finished), s0 + 2);
    fx_close(&fx);
}

/* After a sticky failure: restarting (a reopened store recovers from the
 * disk) makes writes work again; then closes the fixture. */
static void restart_writes_again(fixture *fx)
{
    ingest_close(fx->g);
    store_close(fx->s);
    metrics_registry_free(fx->reg);
    fx->s = open_at(tmp_dir, 0, 0);
    fx->reg = metrics_registry_new();
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(ingest_open(fx->s, &opts, fx->reg, &fx->g, &eb), AUG_OK);
    CHECK_EQ_I64(store_status(fx->s), AUG_OK);
    req b;
    req_start(&b, fx->g, "b", ts0());
    CHECK_EQ_I64(req_join(&b), AUG_OK);
    fx_close(fx);
}

static void set_fail_errno(int e)
{
    pthread_mutex_lock(&gate_mu);
    fail_errno = e;
    pthread_mutex_unlock(&gate_mu);
}

/* Opens fx; one request's commit flushes, then the idle store_sync that
 * would make it durable fails with errno err: the request gets AUG_EIO and
 * the store turns sticky. Leaves the gate open and fail_errno at EIO. */
static void fail_idle_flush(fixture *fx, int err)
{
    fx_open(fx);
    int s0 = count_of(&started);
    gate(true);
    req a;
    req_start(&a, fx->g, "a", ts0());
    CHECK(wait_count(&started, s0 + 1));
    permit(1, 0);
    CHECK(wait_count(&started, s0 + 2)); /* the idle store_sync */
    set_fail_errno(err);
    permit(1, 1); /* fails */
    CHECK_EQ_I64(req_join(&a), AUG_EIO);
    CHECK_EQ_I64(store_status(fx->s), AUG_EIO);
    gate(false);
    set_fail_errno(EIO);
}

/* The flush that would make a commit durable fails: its request gets
 * AUG_EIO, the store refuses further writes (sticky), and a reopened store
 * works again. */
static void test_failed_flush_is_sticky(void)
{
    fixture fx;
    fail_idle_flush(&fx, EIO);
    req b;
    req_start(&b, fx.g, "b", ts0());
    CHECK_EQ_I64(req_join(&b), AUG_EIO);
    CHECK_EQ_I64(store_sync(fx.s), AUG_EIO);
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(fx.s, true, &t), AUG_EIO);
    CHECK_EQ_I64(store_txn_begin(fx.s, false, &t), AUG_OK); /* reads still work */
    store_txn_abort(t);
    restart_writes_again(&fx);
}

/* The next commit's own flush fails: that commit's request gets the
 * commit's error, and the earlier request, whose meta page that flush was
 * to carry, gets AUG_EIO rather than a 204. */
static void test_failed_commit_flush_fails_held_request(void)
{
    fixture fx;
    fx_open(&fx);
    int s0 = count_of(&started);
    gate(true);
    req a, b;
    req_start(&a, fx.g, "a", ts0());
    CHECK(wait_count(&started, s0 + 1));
    req_start(&b, fx.g, "b", ts0());
    CHECK(wait_pending(fx.g, 2));
    permit(1, 0);
    CHECK(wait_count(&started, s0 + 2)); /* commit N+1's data flush */
    permit(1, 1);                        /* fails */
    CHECK_EQ_I64(req_join(&b), AUG_EIO);
    CHECK_EQ_I64(req_join(&a), AUG_EIO);
    CHECK_EQ_I64(store_status(fx.s), AUG_EIO);
    fx_close(&fx);
}

/* Nothing owed: a commit that fails while every earlier commit is durable
 * is not sticky (as before this protocol: that txn is aborted, the next
 * one may succeed). */
static void test_failed_commit_with_nothing_owed_is_not_sticky(void)
{
    fixture fx;
    fx_open(&fx);
    req a;
    req_start(&a, fx.g, "a", ts0());
    CHECK_EQ_I64(req_join(&a), AUG_OK);
    CHECK(store_durable(fx.s, store_commit_mark(fx.s)));
    permit(0, 1);
    req_start(&a, fx.g, "b", ts0());
    CHECK_EQ_I64(req_join(&a), AUG_EIO);
    CHECK_EQ_I64(store_status(fx.s), AUG_OK);
    req_start(&a, fx.g, "b", ts0());
    CHECK_EQ_I64(req_join(&a), AUG_OK);
    fx_close(&fx);
}

/* A full disk: a flush failing with ENOSPC (fdatasync reports it when
 * delayed allocation finds no space) while a commit waits for it is
 * treated as any failed flush: the waiting request and every later one get
 * AUG_EIO (503), never a 204 for samples that may not be on disk, until a
 * restart (after space was freed) recovers from what the disk holds. */
static void test_full_disk_is_sticky_until_restart(void)
{
    fixture fx;
    fail_idle_flush(&fx, ENOSPC);
    req a;
    req_start(&a, fx.g, "b", ts0());
    CHECK_EQ_I64(req_join(&a), AUG_EIO);
    restart_writes_again(&fx);
}

/* A write commit on another thread (predict, export) and store_sync never
 * flush at the same time (storage/store.c flush_mu). Linux reports a
 * writeback error to only one of two overlapping fdatasyncs of a file, so a
 * store_sync running beside a commit whose flush failed could succeed for a
 * meta page that was lost, and a 204 would follow. Here the commit's flush
 * fails while store_sync waits: store_sync reports the failure and never
 * flushes itself. */
typedef struct side_thread {
    store *s;
    bool sync; /* store_sync, else one write commit */
    pthread_t th;
    aug_err err;
} side_thread;

static aug_err put_meta(store *s, uint64_t v)
{
    store_txn *t = NULL;
    aug_err e = store_txn_begin(s, true, &t);
    if (e != AUG_OK)
        return e;
    if ((e = store_meta_put(t, "test_release", v)) != AUG_OK) {
        store_txn_abort(t);
        return e;
    }
    return store_txn_commit(t);
}

static void *side_main(void *arg)
{
    side_thread *x = arg;
    x->err = x->sync ? store_sync(x->s) : put_meta(x->s, 2);
    return NULL;
}

static void test_sync_never_overlaps_a_commit_flush(void)
{
    gate(false);
    store *s = open_at(tmp_new(), 0, 0);
    CHECK_EQ_I64(put_meta(s, 1), AUG_OK); /* its meta page is owed a flush */
    int s0 = count_of(&started);
    gate(true);
    side_thread c = {.s = s, .sync = false}, y = {.s = s, .sync = true};
    CHECK_EQ_I64(pthread_create(&c.th, NULL, side_main, &c), 0);
    CHECK(wait_count(&started, s0 + 1)); /* the commit is inside its data flush */
    CHECK_EQ_I64(pthread_create(&y.th, NULL, side_main, &y), 0);
    /* store_sync must wait rather than flush beside it (a slow thread can
     * make this pass without the lock; it cannot make it fail with it). */
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
    CHECK_EQ_I64(count_of(&started), s0 + 1);
    permit(1, 1); /* the commit's flush fails */
    pthread_join(c.th, NULL);
    pthread_join(y.th, NULL);
    CHECK_EQ_I64(c.err, AUG_EIO);
    CHECK_EQ_I64(y.err, AUG_EIO);
    CHECK_EQ_I64(count_of(&started), s0 + 1); /* store_sync never flushed */
    CHECK_EQ_I64(store_status(s), AUG_EIO);
    gate(false);
    store_close(s);
    tmp_remove();
}

CHECK_MAIN(CHECK_CASE(test_idle_release_waits_for_store_sync), CHECK_CASE(test_next_commit_releases_previous),
           CHECK_CASE(test_duplicate_waits_for_original_flush), CHECK_CASE(test_failed_flush_is_sticky),
           CHECK_CASE(test_failed_commit_flush_fails_held_request),
           CHECK_CASE(test_failed_commit_with_nothing_owed_is_not_sticky), CHECK_CASE(test_sync_never_overlaps_a_commit_flush),
           CHECK_CASE(test_full_disk_is_sticky_until_restart))
