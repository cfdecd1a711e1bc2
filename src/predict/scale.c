/* scale.c — scalers in the daemon: the decision engine (src/decide/) run on
 * the predict thread each time a scaler's forecast emits a new bucket.
 *
 * Design notes
 * ------------
 * 1. Definition. One predict_scaler per configured scaler, built with the
 *    forecast targets (same tset, swapped together on reload). Its
 *    decide_params come from cfg_scaler_decide_params, the one mapping the
 *    daemon and `augurctl simulate` share. Its forecast is the target named
 *    by `forecast` (utilization) or `arrival_rate` (queue).
 *
 * 2. Inputs. The replicas, queue_length and service_time selectors are
 *    resolved by the predict thread's scan like forecast inputs (a
 *    membership of kind 1 + predict_sin_kind), and fed by the same
 *    closed-bucket events at the target's resolution. Per input series the
 *    last sample of its newest closed bucket is kept (up to
 *    PREDICT_SCALER_MAX_INPUTS series per input); the input's value is the
 *    sum (for service_time, the mean) over its series whose newest bucket
 *    is at most STALE_BUCKETS
 *    buckets older than the newest of any (a stopped series drops out, and
 *    its slot goes to the next new series once the table is full).
 *    Live events and seeding (note 9) both go through input_put, so one
 *    series has one entry whichever set it first.
 *
 * 3. When. A group of the scaler's target that emits its points at T (the
 *    end of the bucket just learned; predict.c note 7) makes the scaler due
 *    at T. Once no other group of the target is still expected to publish
 *    T (one that published the bucket before, or holds an open bucket
 *    ending by T), or at the latest T + close_delay + grace of wall clock
 *    (groups_expected), the scaler is evaluated once at
 *    now_s = T / 1000 with the sum over the target's groups whose published
 *    path starts at T (mean and bounds summed: exact for one group, a
 *    conservative interval for several since it assumes they move together;
 *    groups not final for T yet are left out). observed = the sum of those
 *    groups' latest actuals. A utilization fraction (utilization mode with
 *    capacity_per_replica 0: CPU per instance, say) takes the mean of the
 *    groups instead, path and observed alike: it is a per-replica average
 *    that the engine multiplies by the current replicas, so a sum would
 *    count it once per group. Model state = the coldest group; recent error =
 *    the highest rolling error of the horizon that first reaches the lead
 *    time (the longest if none does).
 *
 * 4. Current replicas: the replicas input, rounded. A scaler without a
 *    replicas selector (queue mode allows it) uses its own last desired
 *    count, as if the decision had been applied: min_replicas before its
 *    first decision ever, and after a restart the count saved with its
 *    decision state (note 8), so a scaler at 12 replicas goes on from 12,
 *    not from min_replicas. A configured selector with no sample yet:
 *    nothing is decided (status says so).
 *
 * 5. Outputs, all at T (strictly increasing per scaler, also across
 *    reloads; never in the future since T was emitted):
 *      ai_scaling_desired_replicas{scaler}, ai_scaling_current_replicas{scaler},
 *      ai_scaling_decision{scaler, action} (1 for the action, 0 for the three
 *      others), ai_scaling_predicted_peak{scaler} (when finite);
 *    one JSON line in <storage.path>/decisions.jsonl (appended with one
 *    write(2), not fsynced; renamed to decisions.jsonl.1 first when it would
 *    pass the size given to predict_set_decisions_dir, replacing the
 *    previous .1);
 *    the published snapshot for /api/v1/status;
 *    and, when shadow is false and a webhook is configured, a webhook call.
 *
 * 6. Webhook. Calls go through a bounded queue (PREDICT_HOOK_QUEUE_MAX; a
 *    full queue drops the oldest call, counted) to one sender thread started
 *    on first use, so the predict thread never waits on the network. A call
 *    POSTs the decision as JSON (application/json) with the scaler's
 *    timeout through src/export/client.h, the HTTP client remote-write uses:
 *    the webhook's headers, bearer or basic credentials (files re-read at
 *    each call) and TLS options live in the scaler's export_client_target,
 *    built with the scaler (so a bad server_name fails the load or reload)
 *    and referenced by each queued call, so a reload can free the scaler
 *    while its calls wait. The thread keeps one export_client for all calls:
 *    its connection to a webhook stays open between decisions. 2xx is
 *    success; 429, 5xx and transport errors (and an unreadable credential
 *    file) are retried up to `retries` times with backoff 100 ms ×
 *    2^attempt (at most 5 s); other statuses fail at once. At shutdown the
 *    call in flight finishes (bounded by its timeout), no retry starts, and
 *    queued calls are dropped (counted).
 *
 * 7. Reload. A scaler whose name and fingerprint (decide params but the
 *    floor's quantile and window, target name and definition, input
 *    selectors) are unchanged keeps its decision
 *    state (stabilization history, buckets, cooldown) and inputs; a changed
 *    one starts afresh but keeps its last emitted time, so its series stay
 *    strictly increasing, and its last desired count (clamped to the new
 *    [min, max]): those replicas still run whatever the definition says.
 *    Webhook and shadow changes apply without a reset.
 *    A new or changed scaler reads its saved state instead (note 8) and
 *    seeds its inputs from the store (note 9).
 *
 * 8. Persistence. The decision state (last evaluation and action, both
 *    token buckets, the stabilization history, the scale-down floor's
 *    hourly lows) and the scaler's last
 *    desired count (note 4) are one record
 *    (decide_state_encode; byte format at the top of src/decide/state.c)
 *    in the blob table under "sc/" + name (names are at most 128 bytes),
 *    carrying the scaler's fingerprint of note 7. The predict thread reads
 *    it at start and, at a reload, for every scaler that did not take over
 *    an old one's state: a record with another fingerprint (the decision
 *    parameters, forecast or inputs changed) is not applied and the log
 *    says the scaler starts afresh, except for its last desired count
 *    (clamped to [min, max], as at a reload); an unreadable one is logged as an error
 *    and counted, and the scaler starts afresh too. States that changed are
 *    saved together in one write transaction after each round of
 *    evaluations, and at close. Why not batched with the model saves (every
 *    60 updates): the state changes exactly when an action spends tokens
 *    and starts a cooldown, and a crash that lost that would let the
 *    restarted daemon repeat the action at once, which is what persisting
 *    is for. The cost is one small transaction (about 68 bytes to 2.2 KB per
 *    scaler) per bucket of the scalers' forecasts, a minute at the finest,
 *    next to the ingest writer's several commits per second. A failed save
 *    is logged, counted and retried after the next evaluation.
 *    A record saved before the last desired count was kept (state.c
 *    version 1) restores the rest; the count stays unknown, so a scaler
 *    without a replicas selector starts from min_replicas as it did then.
 *    Records of scalers removed from the config stay in the store (under
 *    2.2 KB each) and are used again if the scaler comes back unchanged.
 *
 * 9. Seeding inputs. Without it a scaler built at start or by a reload
 *    would know only the input series whose bucket closed since, and sum a
 *    part of them: two series of 2 replicas would read 2, and in
 *    utilization mode (need = current × load / target) that asks to scale
 *    down right after a restart. So after the scan that resolves the
 *    memberships (predict.c note 2: the selector matching lives there
 *    only), every scaler that did not take over its inputs at a reload
 *    (note 7) gets, per input, the newest stored bucket at its target's
 *    resolution of each member series that the live path would have taken
 *    (count > 0, `last` finite: the same field and rule as the events), and
 *    keeps those within STALE_BUCKETS of the newest of them, as
 *    input_value would count them. Stored rollups are closed buckets
 *    (store.h), so this is what the events of those buckets left before
 *    the restart. Reads: one read txn per input; buckets from
 *    SEED_INPUT_LOOKBACK buckets before now onwards, plus at most
 *    STALE_BUCKETS more for a series with none there (a daemon stopped
 *    longer than the lookback seeds nothing and waits for live buckets, as
 *    before). Bounds: SEED_INPUT_MAX_SERIES member series, then
 *    SEED_INPUT_MAX_READS buckets or SEED_INPUT_MAX_MS per input. An input
 *    is seeded completely or not at all (logged): a part would be the
 *    partial sum this avoids. Seeded series count in
 *    augur_scaler_inputs_seeded_total and each seeded input logs one line.
 *    Later events of a seeded series update its entry (newer bucket only).
 */
#include "util/common.h"
#include "util/hash.h"
#include "config/scaler.h"
#include "predict/predict_int.h"
#include "util/assert.h"
#include "util/json.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <curl/curl.h> /* curl_global_init */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STALE_BUCKETS 5
#define DNAN ((double)NAN)
#define LINE_MAX_BYTES 4096
#define HOOK_BACKOFF_MS 100
#define HOOK_BACKOFF_MAX_MS 5000
#define SEED_INPUT_LOOKBACK 60        /* buckets before now searched for an input's newest (note 9) */
#define SEED_INPUT_MAX_SERIES 4096    /* member series of one input; more: that input is not seeded */
#define SEED_INPUT_MAX_READS 262144u  /* stored buckets read for one input */
#define SEED_INPUT_MAX_MS 500         /* time one input's seed may take */

static const char *const mode_names[] = {"utilization", "queue"};


static uint64_t fnv_str(const char *s, uint64_t h)
{
    return s ? util_fnv1a64(s, strlen(s) + 1, h) : util_fnv1a64("\xff", 1, h);
}

#define FNV_VAL(h, v)                                                                                                \
    do {                                                                                                             \
        __typeof__(v) v_ = (v);                                                                                      \
        (h) = util_fnv1a64(&v_, sizeof v_, (h));                                                                            \
    } while (0)

/* The scale-down floor's quantile and window are left out on purpose: the
 * hourly lows the state keeps depend only on the need formula (hashed), not
 * on which quantile of which window reads them, so a reload that changes
 * them keeps the state and its lows. */
static uint64_t params_hash(const decide_params *d, uint64_t h)
{
    FNV_VAL(h, (int)d->mode);
    FNV_VAL(h, d->target);
    FNV_VAL(h, d->lead_time_s);
    FNV_VAL(h, d->window_s);
    FNV_VAL(h, (int)d->margin);
    FNV_VAL(h, d->min_replicas);
    FNV_VAL(h, d->max_replicas);
    FNV_VAL(h, d->up.capacity);
    FNV_VAL(h, d->up.per_minute);
    FNV_VAL(h, d->down.capacity);
    FNV_VAL(h, d->down.per_minute);
    FNV_VAL(h, d->stabilization_s);
    FNV_VAL(h, d->cooldown_s);
    FNV_VAL(h, d->max_error);
    FNV_VAL(h, d->tolerance_up);
    FNV_VAL(h, d->tolerance_down);
    FNV_VAL(h, d->capacity_per_replica);
    FNV_VAL(h, d->service_time_s);
    FNV_VAL(h, d->target_latency_s);
    FNV_VAL(h, d->concurrency);
    return h;
}

/* ---- definition (note 1) ---- */

void predict_scaler_free(predict_scaler *sc)
{
    if (sc == NULL)
        return;
    aug_free(sc->name);
    aug_free(sc->webhook_url);
    export_client_target_unref(sc->webhook);
    for (int k = 0; k < PREDICT_IN__COUNT; k++)
        ingest_selector_free(sc->sel[k]);
    aug_free(sc->fcp);
    aug_free(sc);
}

static aug_err sel_copy(const ingest_selector *from, ingest_selector **to, uint64_t *h, aug_errbuf *eb)
{
    if (from == NULL) {
        *h = fnv_str(NULL, *h);
        return AUG_OK;
    }
    const char *text = ingest_selector_text(from);
    *h = fnv_str(text, *h);
    return ingest_selector_parse(text, strlen(text), to, NULL, eb);
}

static aug_err scaler_new(const cfg_scaler *s, const predict_tset *ts, predict_scaler **out, aug_errbuf *eb)
{
    predict_scaler *sc = aug_calloc(1, sizeof *sc);
    if (sc == NULL)
        return AUG_ENOMEM;
    aug_err err = AUG_OK;
    sc->name = aug_strndup(s->name, strlen(s->name));
    sc->mode = s->mode;
    sc->shadow = s->shadow;
    if (s->webhook.url != NULL)
        sc->webhook_url = aug_strndup(s->webhook.url, strlen(s->webhook.url));
    sc->webhook_retries = s->webhook.retries;
    if (sc->name == NULL || (s->webhook.url != NULL && sc->webhook_url == NULL)) {
        err = AUG_ENOMEM;
        goto fail;
    }
    if (s->webhook.url != NULL) {
        static const char *const json[] = {"Content-Type: application/json", NULL};
        export_client_spec spec = {.what = "webhook", .url = s->webhook.url, .timeout_ms = s->webhook.timeout_ms,
                                   .http = &s->webhook.http, .headers = json};
        aug_errbuf web = {{0}};
        if ((err = export_client_target_new(&spec, &sc->webhook, &web)) != AUG_OK) {
            if (err != AUG_ENOMEM)
                err = aug_errf(eb, AUG_ECONFIG, "scaler %s: %s", s->name, aug_errmsg(&web, err));
            goto fail;
        }
    }
    aug_errbuf deb = {{0}};
    if ((err = cfg_scaler_decide_params(s, &sc->dp, &deb)) != AUG_OK) {
        err = aug_errf(eb, AUG_ECONFIG, "scaler %s: %s", s->name, aug_errmsg(&deb, err));
        goto fail;
    }
    int fi = s->mode == CFG_MODE_UTILIZATION ? s->forecast_idx : s->arrival_rate_idx;
    if (fi < 0 || (size_t)fi >= ts->n) {
        err = aug_errf(eb, AUG_ECONFIG, "scaler %s: no forecast to decide on", s->name);
        goto fail;
    }
    sc->t = ts->t[fi];
    uint64_t h = fnv_str(s->name, UTIL_FNV64_BASIS);
    h = params_hash(&sc->dp, h);
    h = fnv_str(sc->t->name, h);
    FNV_VAL(h, sc->t->fp);
    if ((err = sel_copy(s->replicas, &sc->sel[PREDICT_IN_REPLICAS], &h, eb)) != AUG_OK ||
        (err = sel_copy(s->mode == CFG_MODE_QUEUE ? s->queue_length : NULL, &sc->sel[PREDICT_IN_QUEUE], &h, eb)) !=
            AUG_OK ||
        (err = sel_copy(s->mode == CFG_MODE_QUEUE ? s->service_time.sel : NULL, &sc->sel[PREDICT_IN_SERVICE], &h,
                        eb)) != AUG_OK)
        goto fail;
    sc->fp = h;
    if ((sc->fcp = aug_malloc((size_t)sc->t->H * sizeof *sc->fcp)) == NULL) {
        err = AUG_ENOMEM;
        goto fail;
    }
    decide_state_init(&sc->st, &sc->dp);
    sc->due_ms = INT64_MIN;
    sc->last_emit_ms = INT64_MIN;
    sc->last_desired = -1;
    sc->pub_eval_s = INT64_MIN;
    sc->pub_peak = DNAN;
    sc->pub_floor = -1;
    snprintf(sc->pub_reason, sizeof sc->pub_reason, "waiting for the first forecast of %s", sc->t->name);
    *out = sc;
    return AUG_OK;
fail:
    predict_scaler_free(sc);
    return err;
}

aug_err predict_scalers_build(const cfg_config *cfg, predict_tset *ts, aug_errbuf *eb)
{
    if (cfg->nscalers == 0)
        return AUG_OK;
    if ((ts->sc = aug_calloc(cfg->nscalers, sizeof *ts->sc)) == NULL)
        return AUG_ENOMEM;
    for (size_t i = 0; i < cfg->nscalers; i++) {
        aug_err err = scaler_new(&cfg->scalers[i], ts, &ts->sc[i], eb);
        if (err != AUG_OK)
            return err; /* the caller frees ts with the nsc built so far */
        ts->nsc++;
    }
    return AUG_OK;
}

void predict_scalers_carry(predict_scaler *const *olds, size_t nold, predict_scaler *const *news, size_t nnew)
{
    for (size_t i = 0; i < nnew; i++) {
        predict_scaler *n = news[i];
        for (size_t j = 0; j < nold; j++) {
            const predict_scaler *o = olds[j];
            if (strcmp(o->name, n->name) != 0)
                continue;
            n->last_emit_ms = o->last_emit_ms; /* the series stay strictly increasing */
            /* What it last asked for still runs, whatever the new definition. */
            if (o->last_desired >= 0)
                n->last_desired = decide_clamp_replicas(o->last_desired, n->dp.min_replicas, n->dp.max_replicas);
            if (o->fp != n->fp)
                break;
            memcpy(n->in, o->in, sizeof n->in);
            memcpy(n->nin, o->nin, sizeof n->nin);
            n->st = o->st;
            n->st_dirty = o->st_dirty;
            n->st_resumed = true;
            n->due_ms = o->due_ms;
            n->pub_eval_s = o->pub_eval_s;
            n->pub_current = o->pub_current;
            n->pub_desired = o->pub_desired;
            n->pub_action = o->pub_action;
            n->pub_fell_back = o->pub_fell_back;
            n->pub_floor = o->pub_floor;
            n->pub_peak = o->pub_peak;
            memcpy(n->pub_reason, o->pub_reason, sizeof n->pub_reason);
            break;
        }
    }
}

/* ---- persistence (note 8) ---- */

/* The blob key of a scaler's state: "sc/" + name. */
static size_t state_key(const predict_scaler *sc, uint8_t out[STORE_BLOB_KEY_MAX])
{
    size_t n = strlen(sc->name);
    AUG_ASSERT(3 + n <= STORE_BLOB_KEY_MAX); /* the config caps names at 128 bytes */
    memcpy(out, "sc/", 3);
    memcpy(out + 3, sc->name, n);
    return 3 + n;
}

void predict_scale_load(predict *p, predict_scaler *const *sc, size_t n)
{
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += !sc[i]->st_resumed;
    if (want == 0)
        return;
    store_txn *txn = NULL;
    aug_err e = store_txn_begin(p->s, false, &txn);
    if (e != AUG_OK) {
        metrics_counter_add(p->m_sc_state_load_err, want);
        LOG_ERROR("scale", "cannot read saved decision states, scalers start afresh", "err", aug_strerror(e));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        predict_scaler *s = sc[i];
        if (s->st_resumed)
            continue;
        uint8_t k[STORE_BLOB_KEY_MAX];
        size_t kl = state_key(s, k);
        aug_bytes v;
        aug_errbuf eb = {{0}};
        decide_state st;
        int32_t desired = -1;
        e = store_blob_get(txn, (aug_bytes){k, kl}, &v);
        if (e == AUG_ENOTFOUND)
            continue; /* never saved: a new scaler */
        if (e == AUG_OK)
            e = decide_state_decode(v, s->fp, &s->dp, &st, &desired, &eb);
        if (e == AUG_OK) {
            s->st = st;
            s->last_desired = desired;
            LOG_INFO("scale", "decision state restored", "scaler", s->name, "last_evaluation",
                     LOG_I64(st.last_eval_s), "last_desired", LOG_I64(desired));
        } else if (e == AUG_ENOTFOUND) {
            /* The replicas it last asked for still run (a selectorless
             * scaler's current count, note 4), whatever the definition. */
            if (desired >= 0)
                s->last_desired = decide_clamp_replicas(desired, s->dp.min_replicas, s->dp.max_replicas);
            LOG_INFO("scale",
                     "saved decision state is for another definition of the scaler (decision parameters, forecast "
                     "or inputs changed), starting afresh",
                     "scaler", s->name, "last_desired", LOG_I64(s->last_desired));
        } else {
            metrics_counter_add(p->m_sc_state_load_err, 1);
            LOG_ERROR("scale", "saved decision state unreadable, starting afresh", "scaler", s->name, "err",
                      aug_errmsg(&eb, e));
        }
    }
    store_txn_abort(txn);
}

static aug_err put_states(void *arg, store_txn *txn)
{
    const predict *p = arg;
    aug_err e = AUG_OK;
    for (size_t i = 0; e == AUG_OK && i < p->nsc; i++) {
        const predict_scaler *sc = p->sc[i];
        if (!sc->st_dirty)
            continue;
        uint8_t k[STORE_BLOB_KEY_MAX], v[DECIDE_STATE_BLOB_MAX];
        size_t kl = state_key(sc, k), vl = 0;
        if ((e = decide_state_encode(&sc->st, sc->last_desired, sc->fp, v, sizeof v, &vl)) == AUG_OK)
            e = store_blob_put(txn, (aug_bytes){k, kl}, (aug_bytes){v, vl});
    }
    return e;
}

void predict_scale_save(predict *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nsc; i++)
        n += p->sc[i]->st_dirty;
    if (n == 0)
        return;
    aug_err e = predict_write_txn(p, put_states, p);
    if (e != AUG_OK) {
        metrics_counter_add(p->m_sc_state_save_err, n);
        LOG_ERROR("scale", "cannot save scaler decision states", "count", LOG_I64(n), "err", aug_strerror(e));
        return;
    }
    for (size_t i = 0; i < p->nsc; i++)
        p->sc[i]->st_dirty = false;
}

/* ---- inputs (note 2) ---- */

static const char *const input_names[PREDICT_IN__COUNT] = {"replicas", "queue_length", "service_time"};

/* Oldest bucket start an input series may have and still count, given the
 * newest of any series of that input (note 2). */
static int64_t fresh_from(const predict_scaler *sc, int64_t newest)
{
    return newest - STALE_BUCKETS * sc->t->width_s;
}

/* Whether a closed bucket reports a value for an input: not empty, and its
 * last sample finite. */
static bool input_usable(uint32_t count, double last)
{
    return count > 0 && isfinite(last);
}

/* Takes the closed bucket (start_s, last) of series id for input k: the
 * newer bucket replaces the series' entry, a new series gets one while
 * there is room, else the slot of the oldest series if that one no longer
 * counts (input_value's staleness rule, with this bucket among the newest),
 * else it is refused (counted). Reusing stale slots is what keeps series
 * churn (pods, a restarted exporter's new labels) from filling the table
 * with series that stopped and refusing the live ones. Live events and
 * seeding both go through here, so a seeded series is updated in place by
 * its later events. */
static void input_put(predict *p, predict_scaler *sc, int k, uint32_t id, int64_t start_s, double last)
{
    int64_t newest = start_s;
    uint32_t oldest = 0;
    for (uint32_t i = 0; i < sc->nin[k]; i++) {
        predict_sin *in = &sc->in[k][i];
        newest = AUG_MAX(newest, in->start_s);
        if (in->start_s < sc->in[k][oldest].start_s)
            oldest = i;
        if (in->id != id)
            continue;
        if (start_s > in->start_s) {
            in->start_s = start_s;
            in->last = last;
        }
        return;
    }
    predict_sin fresh = {.id = id, .start_s = start_s, .last = last};
    if (sc->nin[k] < PREDICT_SCALER_MAX_INPUTS)
        sc->in[k][sc->nin[k]++] = fresh;
    else if (sc->in[k][oldest].start_s < fresh_from(sc, newest))
        sc->in[k][oldest] = fresh;
    else
        metrics_counter_add(p->m_sc_inputs_refused, 1);
}

void predict_scale_input(predict *p, const predict_member *m, const predict_event *ev)
{
    if (m->tgt >= p->nsc || m->kind == 0 || m->kind > PREDICT_IN__COUNT)
        return;
    predict_scaler *sc = p->sc[m->tgt];
    if (ev->res != sc->t->res || !input_usable(ev->count, ev->last))
        return;
    input_put(p, sc, m->kind - 1, ev->id, ev->start_s, ev->last);
}

static double input_value(const predict_scaler *sc, int k)
{
    if (sc->nin[k] == 0)
        return DNAN;
    int64_t newest = INT64_MIN;
    for (uint32_t i = 0; i < sc->nin[k]; i++)
        newest = AUG_MAX(newest, sc->in[k][i].start_s);
    double sum = 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < sc->nin[k]; i++) {
        if (sc->in[k][i].start_s >= fresh_from(sc, newest)) {
            sum += sc->in[k][i].last;
            n++;
        }
    }
    /* Replicas and backlogs add up over series (pods, partitions); a
     * service time per pod does not: two pods at 100 ms serve in 100 ms. */
    return k == PREDICT_IN_SERVICE ? sum / n : sum;
}

/* ---- inputs seeded from the store (note 9) ---- */

/* The newest bucket of series id at res with from_s <= start < to_s that
 * the live path would take (input_usable) into *out. AUG_ENOTFOUND: none.
 * *reads counts the records read. */
static aug_err newest_bucket(store_txn *txn, uint32_t id, store_res res, int64_t from_s, int64_t to_s,
                             predict_sin *out, uint64_t *reads)
{
    store_rollup_iter *it = NULL;
    aug_err e = store_rollup_iter_open(txn, id, res, from_s, to_s, &it);
    if (e != AUG_OK)
        return e;
    bool found = false;
    int64_t start;
    store_rollup r;
    while ((e = store_rollup_iter_next(it, &start, &r)) == AUG_OK) {
        (*reads)++;
        if (!input_usable(r.count, r.last))
            continue;
        *out = (predict_sin){.id = id, .start_s = start, .last = r.last};
        found = true;
    }
    store_rollup_iter_close(it);
    if (e != AUG_ENOTFOUND)
        return e;
    return found ? AUG_OK : AUG_ENOTFOUND;
}

/* What seeding one input did, for the log line. */
typedef struct seed_stats {
    uint64_t reads;
    int64_t newest;   /* newest bucket start found; INT64_MIN: none */
    uint32_t put;     /* series put */
    const char *stop; /* why nothing was put although series matched; NULL: seeded */
    aug_err err;
} seed_stats;

/* Note 9 for input k of sc, whose member series are cand[0..nm).id: finds
 * in one read txn the newest usable bucket of each (start_s INT64_MIN:
 * none), then puts those within the staleness rule of the newest of all.
 * All or nothing: a part of the series would give a partial sum, the very
 * thing seeding avoids. */
static void seed_input(predict *p, predict_scaler *sc, int k, predict_sin *cand, size_t nm, int64_t now_s,
                       seed_stats *st)
{
    const int64_t w = sc->t->width_s, t0 = util_mono_ns();
    const int64_t from = (now_s / w - SEED_INPUT_LOOKBACK) * w;
    *st = (seed_stats){.newest = INT64_MIN};
    store_txn *txn = NULL;
    aug_err e = store_txn_begin(p->s, false, &txn);
    for (size_t i = 0; e == AUG_OK && i < nm; i++) {
        if (st->reads > SEED_INPUT_MAX_READS || util_mono_ns() - t0 > (int64_t)SEED_INPUT_MAX_MS * 1000000) {
            st->stop = "budget";
            break;
        }
        cand[i].start_s = INT64_MIN;
        if ((e = newest_bucket(txn, cand[i].id, sc->t->res, from, INT64_MAX, &cand[i], &st->reads)) == AUG_ENOTFOUND)
            e = AUG_OK;
        st->newest = AUG_MAX(st->newest, cand[i].start_s);
    }
    /* A series whose newest bucket is before the lookback still counts when
     * it is within the staleness rule of the newest of all: at most
     * STALE_BUCKETS more buckets per such series. */
    int64_t lo = st->newest != INT64_MIN ? fresh_from(sc, st->newest) : from;
    for (size_t i = 0; e == AUG_OK && st->stop == NULL && lo < from && i < nm; i++) {
        if (cand[i].start_s == INT64_MIN &&
            (e = newest_bucket(txn, cand[i].id, sc->t->res, lo, from, &cand[i], &st->reads)) == AUG_ENOTFOUND)
            e = AUG_OK;
    }
    store_txn_abort(txn);
    st->err = e;
    if (e != AUG_OK)
        st->stop = "store error";
    if (st->stop != NULL)
        return;
    for (size_t i = 0; i < nm; i++) {
        if (cand[i].start_s == INT64_MIN || cand[i].start_s < lo)
            continue; /* no bucket, or stale: input_value would not count it either */
        input_put(p, sc, k, cand[i].id, cand[i].start_s, cand[i].last);
        st->put++;
    }
}

void predict_scale_seed(predict *p, int64_t now)
{
    predict_sin *cand = NULL;
    for (size_t si = 0; si < p->nsc; si++) {
        predict_scaler *sc = p->sc[si];
        if (sc->st_resumed)
            continue; /* took over the inputs of its previous definition (note 7) */
        for (int k = 0; k < PREDICT_IN__COUNT; k++) {
            if (sc->sel[k] == NULL)
                continue;
            if (cand == NULL && (cand = aug_malloc(SEED_INPUT_MAX_SERIES * sizeof *cand)) == NULL) {
                LOG_ERROR("scale", "cannot seed scaler inputs from the store", "err", aug_strerror(AUG_ENOMEM));
                return;
            }
            /* The members the scan resolved with the input's selector
             * (resolve in predict.c), in series id order. */
            size_t nm = 0;
            bool too_many = false;
            for (size_t mi = 0; mi < p->nmem && !too_many; mi++) {
                const predict_member *m = &p->mem[mi];
                if (m->kind != 1 + k || m->tgt != si)
                    continue;
                if (nm == SEED_INPUT_MAX_SERIES)
                    too_many = true;
                else
                    cand[nm++].id = m->id;
            }
            if (too_many) {
                LOG_WARN("scale", "scaler input not seeded from the store: too many matching series", "scaler",
                         sc->name, "input", input_names[k], "max_series", LOG_I64(SEED_INPUT_MAX_SERIES));
                continue;
            }
            if (nm == 0)
                continue;
            int64_t t0 = util_mono_ns();
            seed_stats st;
            seed_input(p, sc, k, cand, nm, now / 1000, &st);
            double secs = (double)(util_mono_ns() - t0) / 1e9;
            metrics_counter_add(p->m_sc_inputs_seeded, st.put);
            if (st.stop != NULL)
                LOG_WARN("scale", "scaler input not seeded from the store, waiting for live buckets", "scaler",
                         sc->name, "input", input_names[k], "series", LOG_I64(nm), "reads", LOG_I64(st.reads),
                         "seconds", LOG_F64(secs), "stopped_by", st.stop, "err", aug_strerror(st.err));
            else if (st.put > 0)
                LOG_INFO("scale", "scaler input seeded from stored buckets", "scaler", sc->name, "input",
                         input_names[k], "series", LOG_I64(st.put), "value", LOG_F64(input_value(sc, k)), "bucket",
                         LOG_I64(st.newest), "reads", LOG_I64(st.reads), "seconds", LOG_F64(secs));
        }
    }
    aug_free(cand);
}

/* ---- evaluation (notes 3-5) ---- */

void predict_scale_due(predict *p, const predict_target *t, int64_t T)
{
    for (size_t i = 0; i < p->nsc; i++) {
        if (p->sc[i]->t == t && T > p->sc[i]->due_ms)
            p->sc[i]->due_ms = T;
    }
}

/* Index of the horizon whose error gates the scaler (decide_gate_horizon). */
static int32_t lead_horizon(const predict_scaler *sc)
{
    const predict_target *t = sc->t;
    int64_t hs[PREDICT_MAX_HORIZONS];
    for (int32_t i = 0; i < t->nh; i++)
        hs[i] = (int64_t)t->hsteps[i] * t->width_s;
    return (int32_t)decide_gate_horizon(hs, (size_t)t->nh, sc->dp.lead_time_s);
}

/* Builds the groups' path at T into sc->fcp (note 3): their sum, or their
 * mean for a utilization fraction. Returns the number of groups (0: none
 * at T). */
static size_t build_path(predict_scaler *sc, int64_t T, decide_forecast_path *path, double *observed)
{
    const predict_target *t = sc->t;
    int32_t hi = lead_horizon(sc);
    size_t ng = 0;
    int32_t n = t->H;
    decide_model_state state = DECIDE_MODEL_READY;
    double err = DNAN, obs = 0;
    bool obs_known = true;
    memset(sc->fcp, 0, (size_t)t->H * sizeof *sc->fcp);
    for (size_t gi = 0; gi < t->ngroups; gi++) {
        const predict_group *g = t->groups[gi];
        if (g->path_n == 0 || g->path_base_ms != T)
            continue;
        ng++;
        n = AUG_MIN(n, g->path_n);
        for (int32_t i = 0; i < g->path_n && i < t->H; i++) {
            sc->fcp[i].mean += g->path[i].mean;
            sc->fcp[i].lo80 += g->path[i].lo80;
            sc->fcp[i].hi80 += g->path[i].hi80;
            sc->fcp[i].lo95 += g->path[i].lo95;
            sc->fcp[i].hi95 += g->path[i].hi95;
        }
        decide_model_state s = (decide_model_state)g->state;
        if (s < state)
            state = s;
        double e = fc_acc_error(&g->fb[hi].acc);
        if (!isnan(e) && (isnan(err) || e > err))
            err = e;
        if (isfinite(g->last_y))
            obs += g->last_y;
        else
            obs_known = false;
    }
    /* A utilization fraction (capacity_per_replica 0, e.g. CPU per
     * instance) is a per-replica average: three instances at 50% are 50%,
     * not 150%. Load in units (requests/s, a queue's arrivals) adds up. */
    if (ng > 1 && sc->dp.mode == DECIDE_MODE_UTILIZATION && sc->dp.capacity_per_replica == 0) {
        double k = 1.0 / (double)ng;
        for (int32_t i = 0; i < n; i++) {
            sc->fcp[i].mean *= k;
            sc->fcp[i].lo80 *= k;
            sc->fcp[i].hi80 *= k;
            sc->fcp[i].lo95 *= k;
            sc->fcp[i].hi95 *= k;
        }
        obs *= k;
    }
    *path = (decide_forecast_path){.origin_s = T / 1000, .step_s = t->width_s, .model = state,
                                   .recent_error = err, .n = ng ? (size_t)n : 0, .cap = (size_t)t->H,
                                   .points = sc->fcp};
    *observed = obs_known && ng > 0 && obs >= 0 ? obs : DNAN;
    return ng;
}

static void fmt_num(double v, char *out, size_t cap)
{
    if (isfinite(v))
        snprintf(out, cap, "%.6g", v);
    else
        snprintf(out, cap, "null");
}

/* The decision as JSON (no newline): the decisions.jsonl line and the
 * webhook body. Returns its length. */
static size_t decision_json(const predict_scaler *sc, int64_t T, double observed, const decide_output *o,
                            int32_t current, char *buf, size_t cap)
{
    char name[256], reason[DECIDE_REASON_MAX * 2], peak[32], obs[32], when[32], floor[16];
    /* Cut (never inside an escape or a character) if over these buffers. */
    util_json_escape(name, sizeof name, sc->name, strlen(sc->name), NULL);
    util_json_escape(reason, sizeof reason, o->reason, strlen(o->reason), NULL);
    fmt_num(o->predicted_peak, peak, sizeof peak);
    fmt_num(observed, obs, sizeof obs);
    fmt_num(o->floor >= 0 ? (double)o->floor : DNAN, floor, sizeof floor);
    time_t ts = (time_t)(T / 1000);
    struct tm tm;
    gmtime_r(&ts, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(buf, cap,
                     "{\"ts\":%" PRId64 ",\"time\":\"%s\",\"scaler\":\"%s\",\"mode\":\"%s\",\"shadow\":%s,"
                     "\"current\":%" PRId32 ",\"desired\":%" PRId32 ",\"action\":\"%s\",\"fell_back\":%s,"
                     "\"floor\":%s,\"observed\":%s,\"predicted_peak\":%s,\"reason\":\"%s\"}",
                     T / 1000, when, name, mode_names[sc->mode], sc->shadow ? "true" : "false", current, o->desired,
                     decide_action_name(o->action), o->fell_back ? "true" : "false", floor, obs, peak, reason);
    return n > 0 ? AUG_MIN((size_t)n, cap - 1) : 0;
}

static void log_decision(predict *p, const char *line, size_t len)
{
    char path[4096];
    pthread_mutex_lock(&p->qlock);
    bool have = p->dec_path != NULL && strlen(p->dec_path) + 3 < sizeof path;
    if (have)
        snprintf(path, sizeof path, "%s", p->dec_path);
    int64_t max = p->dec_max;
    pthread_mutex_unlock(&p->qlock);
    if (!have)
        return;
    struct stat stt;
    if (stat(path, &stt) == 0 && (int64_t)stt.st_size + (int64_t)len + 1 > max) {
        char old[sizeof path + 2];
        snprintf(old, sizeof old, "%s.1", path);
        if (rename(path, old) != 0)
            LOG_WARN("scale", "cannot rotate decisions.jsonl", "path", path, "err", strerror(errno));
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    if (ok) {
        char buf[LINE_MAX_BYTES + 1];
        memcpy(buf, line, len);
        buf[len] = '\n';
        ok = write(fd, buf, len + 1) == (ssize_t)(len + 1);
        ok = close(fd) == 0 && ok;
    }
    if (!ok) {
        metrics_counter_add(p->m_dec_err, 1);
        LOG_WARN("scale", "cannot append to decisions.jsonl", "path", path, "err", strerror(errno));
    }
}

static void hook_enqueue(predict *p, const predict_scaler *sc, const char *body, size_t len);

static void emit_scaler(predict *p, const predict_scaler *sc, int64_t T, int32_t current, const decide_output *o)
{
    aug_label l[3];
    aug_str name = {sc->name, strlen(sc->name)};
    l[0].name = (aug_str){"__name__", 8};
    l[1] = (aug_label){{"scaler", 6}, name};
    l[0].value = (aug_str){"ai_scaling_desired_replicas", strlen("ai_scaling_desired_replicas")};
    predict_emit_labels(p, T, l, 2, (double)o->desired);
    l[0].value = (aug_str){"ai_scaling_current_replicas", strlen("ai_scaling_current_replicas")};
    predict_emit_labels(p, T, l, 2, (double)current);
    if (isfinite(o->predicted_peak)) {
        l[0].value = (aug_str){"ai_scaling_predicted_peak", strlen("ai_scaling_predicted_peak")};
        predict_emit_labels(p, T, l, 2, o->predicted_peak);
    }
    l[0].value = (aug_str){"ai_scaling_decision", strlen("ai_scaling_decision")};
    l[2] = (aug_label){{"scaler", 6}, name};
    for (int a = 0; a < DECIDE_ACTION__COUNT; a++) {
        const char *an = decide_action_name((decide_action)a);
        l[1] = (aug_label){{"action", 6}, {an, strlen(an)}};
        predict_emit_labels(p, T, l, 3, a == (int)o->action ? 1.0 : 0.0);
    }
}

static void publish_wait(predict *p, predict_scaler *sc, const char *why)
{
    pthread_rwlock_wrlock(&p->lock);
    snprintf(sc->pub_reason, sizeof sc->pub_reason, "%s", why);
    pthread_rwlock_unlock(&p->lock);
}

/* Returns true when the decision state changed. */
static bool evaluate(predict *p, predict_scaler *sc, int64_t T)
{
    decide_forecast_path path;
    double observed;
    if (build_path(sc, T, &path, &observed) == 0)
        return false;
    int32_t current;
    if (sc->sel[PREDICT_IN_REPLICAS] != NULL) {
        double r = input_value(sc, PREDICT_IN_REPLICAS);
        if (!isfinite(r) || r < 0) {
            char why[DECIDE_REASON_MAX];
            snprintf(why, sizeof why, "no decision: waiting for a sample of replicas %s",
                     ingest_selector_text(sc->sel[PREDICT_IN_REPLICAS]));
            publish_wait(p, sc, why);
            return false;
        }
        current = r >= (double)INT32_MAX ? INT32_MAX : (int32_t)llround(r);
    } else {
        current = sc->last_desired >= 0 ? sc->last_desired : sc->dp.min_replicas;
    }
    decide_input in = {.now_s = T / 1000, .current_replicas = current, .observed = observed, .fc = &path};
    if (sc->mode == CFG_MODE_QUEUE) {
        double q = sc->sel[PREDICT_IN_QUEUE] ? input_value(sc, PREDICT_IN_QUEUE) : 0;
        in.queue_length = isfinite(q) && q >= 0 ? q : 0;
        double st = sc->sel[PREDICT_IN_SERVICE] ? input_value(sc, PREDICT_IN_SERVICE) : 0;
        in.service_time_s = isfinite(st) && st > 0 ? st : 0;
    }
    decide_output out;
    aug_errbuf eb = {{0}};
    aug_err e = decide_evaluate(&sc->dp, &sc->st, &in, &out, &eb);
    if (e != AUG_OK) {
        metrics_counter_add(p->m_sc_err, 1);
        LOG_WARN("scale", "scaler evaluation refused", "scaler", sc->name, "err", aug_errmsg(&eb, e));
        char why[DECIDE_REASON_MAX];
        snprintf(why, sizeof why, "no decision: %s", aug_errmsg(&eb, e));
        publish_wait(p, sc, why);
        sc->last_emit_ms = T; /* not retried for this bucket */
        return false;
    }
    sc->st_dirty = true;
    metrics_counter_add(p->m_sc_evals, 1);
    emit_scaler(p, sc, T, current, &out);
    sc->last_emit_ms = T;
    sc->last_desired = out.desired;
    pthread_rwlock_wrlock(&p->lock);
    sc->pub_eval_s = T / 1000;
    sc->pub_current = current;
    sc->pub_desired = out.desired;
    sc->pub_action = out.action;
    sc->pub_fell_back = out.fell_back;
    sc->pub_floor = out.floor;
    sc->pub_peak = out.predicted_peak;
    memcpy(sc->pub_reason, out.reason, sizeof sc->pub_reason);
    pthread_rwlock_unlock(&p->lock);
    char line[LINE_MAX_BYTES];
    size_t len = decision_json(sc, T, observed, &out, current, line, sizeof line);
    log_decision(p, line, len);
    if (!sc->shadow && sc->webhook != NULL)
        hook_enqueue(p, sc, line, len);
    LOG_DEBUG("scale", "decision", "scaler", sc->name, "action", decide_action_name(out.action), "reason",
              out.reason);
    return true;
}

/* Note 3: is a group of the scaler's target still expected to publish T?
 * Expected: it published the bucket before, or it holds an open bucket that
 * ends by T. Groups close their buckets at different moments (a series
 * closes its minute when its next sample arrives, and scrapes are spread
 * over the interval), so evaluating at the first group's T would decide on
 * one instance of several. Waited for until T + close_delay + grace: by
 * then ingest's sweep has closed every live series' bucket and the group's
 * overdue rule has finalized it, so only a group that stopped is left out. */
static bool groups_expected(const predict *p, const predict_scaler *sc, int64_t T, int64_t now)
{
    const predict_target *t = sc->t;
    if (now - T >= atomic_load(&p->close_delay_ms) + predict_grace_ms(p))
        return false;
    int64_t w = t->width_s * 1000;
    for (size_t gi = 0; gi < t->ngroups; gi++) {
        const predict_group *g = t->groups[gi];
        if (g->path_n > 0 && g->path_base_ms >= T)
            continue;
        if ((g->path_n > 0 && g->path_base_ms == T - w) || (g->npend > 0 && g->pend[0].start_s * 1000 + w <= T))
            return true;
    }
    return false;
}

bool predict_scale_run(predict *p, int64_t now)
{
    bool changed = false;
    for (size_t i = 0; i < p->nsc; i++) {
        predict_scaler *sc = p->sc[i];
        /* due only from an emitted bucket: T <= now and recent (predict.c note 7) */
        if (sc->due_ms == INT64_MIN || sc->due_ms <= sc->last_emit_ms || sc->due_ms > now)
            continue;
        if (groups_expected(p, sc, sc->due_ms, now))
            continue;
        changed |= evaluate(p, sc, sc->due_ms);
    }
    return changed;
}

/* ---- webhook (note 6) ---- */

typedef struct hook_call {
    char *url; /* for the log */
    char *body;
    size_t len;
    export_client_target *target; /* one reference */
    int64_t retries;
} hook_call;

struct predict_hook {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    hook_call q[PREDICT_HOOK_QUEUE_MAX];
    size_t head, len;
    bool stopping;
    pthread_t thread;
    metrics_counter *ok, *fail, *dropped;
};

static void call_free(hook_call *c)
{
    aug_free(c->url);
    aug_free(c->body);
    export_client_target_unref(c->target);
    *c = (hook_call){0};
}

/* One POST through the sender's client, built on first use (note 6).
 * Returns the class of the outcome; *status gets the HTTP status (0: none)
 * and res->detail the reason of a failure. */
static export_class post_once(export_client **cl, const hook_call *c, long *status, export_client_result *res)
{
    *status = 0;
    aug_err e = AUG_OK;
    if (*cl == NULL) {
        aug_errbuf eb = {{0}};
        if ((e = export_client_new(c->target, NULL, NULL, cl, &eb)) != AUG_OK) {
            snprintf(res->detail, sizeof res->detail, "%s", aug_errmsg(&eb, e));
            return EXPORT_CLASS_DROP_OTHER;
        }
    }
    e = export_client_post(*cl, c->target, (const uint8_t *)c->body, c->len, res);
    if (e == AUG_OK) {
        *status = res->status;
        return export_client_classify(res->status);
    }
    /* No answer (or an unreadable credential file, which may be rotated in
     * by the next try): retried. Anything else will not get better. */
    return e == AUG_EIO ? EXPORT_CLASS_RETRY : EXPORT_CLASS_DROP_OTHER;
}

static void *hook_main(void *arg)
{
    predict_hook *hk = arg;
    export_client *cl = NULL; /* one handle for every call: connections stay open between them */
    pthread_mutex_lock(&hk->lock);
    for (;;) {
        while (hk->len == 0 && !hk->stopping)
            pthread_cond_wait(&hk->cv, &hk->lock);
        if (hk->stopping)
            break;
        hook_call c = hk->q[hk->head];
        hk->q[hk->head] = (hook_call){0};
        hk->head = (hk->head + 1) % PREDICT_HOOK_QUEUE_MAX;
        hk->len--;
        pthread_mutex_unlock(&hk->lock);
        bool ok = false;
        for (int64_t attempt = 0;; attempt++) {
            long st = 0;
            export_client_result res;
            export_class cls = post_once(&cl, &c, &st, &res);
            if (cls == EXPORT_CLASS_SENT) {
                ok = true;
                break;
            }
            if (cls != EXPORT_CLASS_RETRY || attempt >= c.retries) {
                LOG_WARN("scale", "webhook call failed", "url", c.url, "status", LOG_I64(st), "attempts",
                         LOG_I64(attempt + 1), "detail", res.detail);
                break;
            }
            int64_t wait = AUG_MIN((int64_t)HOOK_BACKOFF_MS << AUG_MIN(attempt, 10), (int64_t)HOOK_BACKOFF_MAX_MS);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (time_t)(wait / 1000);
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_mutex_lock(&hk->lock);
            while (!hk->stopping && pthread_cond_timedwait(&hk->cv, &hk->lock, &ts) != ETIMEDOUT) {
            }
            bool stop = hk->stopping;
            pthread_mutex_unlock(&hk->lock);
            if (stop)
                break;
        }
        metrics_counter_add(ok ? hk->ok : hk->fail, 1);
        call_free(&c);
        pthread_mutex_lock(&hk->lock);
    }
    pthread_mutex_unlock(&hk->lock);
    export_client_free(cl);
    return NULL;
}

static predict_hook *hook_start(predict *p)
{
    predict_hook *hk = aug_calloc(1, sizeof *hk);
    if (hk == NULL)
        return NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&hk->lock, NULL);
    pthread_cond_init(&hk->cv, NULL);
    hk->ok = p->m_hook_ok;
    hk->fail = p->m_hook_fail;
    hk->dropped = p->m_hook_dropped;
    if (pthread_create(&hk->thread, NULL, hook_main, hk) != 0) {
        pthread_cond_destroy(&hk->cv);
        pthread_mutex_destroy(&hk->lock);
        curl_global_cleanup();
        aug_free(hk);
        return NULL;
    }
    return hk;
}

static void hook_enqueue(predict *p, const predict_scaler *sc, const char *body, size_t len)
{
    if (p->hook == NULL && (p->hook = hook_start(p)) == NULL) {
        metrics_counter_add(p->m_hook_dropped, 1);
        LOG_ERROR("scale", "cannot start the webhook sender", "scaler", sc->name);
        return;
    }
    hook_call c = {.url = aug_strndup(sc->webhook_url, strlen(sc->webhook_url)), .body = aug_strndup(body, len),
                   .len = len, .target = export_client_target_ref(sc->webhook), .retries = sc->webhook_retries};
    if (c.url == NULL || c.body == NULL) {
        call_free(&c);
        metrics_counter_add(p->m_hook_dropped, 1);
        return;
    }
    predict_hook *hk = p->hook;
    pthread_mutex_lock(&hk->lock);
    if (hk->len == PREDICT_HOOK_QUEUE_MAX) {
        call_free(&hk->q[hk->head]);
        hk->head = (hk->head + 1) % PREDICT_HOOK_QUEUE_MAX;
        hk->len--;
        metrics_counter_add(hk->dropped, 1);
    }
    hk->q[(hk->head + hk->len) % PREDICT_HOOK_QUEUE_MAX] = c;
    hk->len++;
    pthread_cond_signal(&hk->cv);
    pthread_mutex_unlock(&hk->lock);
}

void predict_hook_stop(predict *p)
{
    predict_hook *hk = p->hook;
    if (hk == NULL)
        return;
    pthread_mutex_lock(&hk->lock);
    hk->stopping = true;
    pthread_cond_broadcast(&hk->cv);
    pthread_mutex_unlock(&hk->lock);
    pthread_join(hk->thread, NULL);
    for (size_t i = 0; i < hk->len; i++) {
        call_free(&hk->q[(hk->head + i) % PREDICT_HOOK_QUEUE_MAX]);
        metrics_counter_add(hk->dropped, 1);
    }
    pthread_cond_destroy(&hk->cv);
    pthread_mutex_destroy(&hk->lock);
    curl_global_cleanup();
    aug_free(hk);
    p->hook = NULL;
}
