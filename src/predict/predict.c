/* predict.c — the predict thread: memberships, aggregation, finalization,
 * models, the feedback loop, emission and persistence.
 *
 * Design notes
 * ------------
 * 1. Flow. The ingest writer calls predict_on_bucket after each commit for
 *    every closed bucket; the event (id, resolution, start, count, sum,
 *    increase) is copied into a ring of PREDICT_QUEUE_MAX and the thread is
 *    signalled. The thread takes up to BATCH events at a time and:
 *      a. resolves ids it has not seen (scan, note 2);
 *      b. turns each event into the input value of every target the series
 *         belongs to (rate: increase / width, per second, reset-aware
 *         because ingest's increase is; otherwise sum / count, the bucket
 *         average) and folds it into the group's open bucket (note 3);
 *      c. finalizes the group buckets that are ready (note 4): aggregate,
 *         feedback (note 6), fc_model_update, refit when due, predict,
 *         publish the path, emit (note 7);
 *      d. saves models that had PREDICT_SAVE_EVERY updates (note 8).
 *    Every PASS_INTERVAL_MS (and on predict_flush) all groups with open
 *    buckets are checked, so the wall-clock rule fires without new events.
 *
 * 2. Memberships. Series ids are dense and assigned in order (store.h), and
 *    the hook fires only after the commit that created a series, so "every
 *    id <= scan_upto is resolved" is a complete description of what the
 *    thread knows. Before each batch of events the thread reads ids
 *    scan_upto+1, ... from the series dictionary until one is missing (one
 *    read when nothing is new), and matches each key against every target's
 *    selector. Every batch, not only one with an id > scan_upto: the event
 *    of an old series can share a commit with the creation of its group's
 *    new members, which must be known before that event is aggregated. A match becomes a
 *    membership (id, target, group) in `mem`, chained per id through a hash
 *    on id; non-matching ids cost nothing afterwards. Reading ahead to the
 *    last committed id matters: every series of one remote-write request is
 *    committed together, so when the first of them reports, the others are
 *    already known members and their group waits for them (backfill of an
 *    aggregate works when its inputs share requests). The table is bounded
 *    by PREDICT_MAX_MEMBERS (refused memberships are counted and logged
 *    once). The thread starts with a full scan; reload rescans.
 *
 * 3. Groups. A target's group key is the input's labels without __name__
 *    (aggregate none), only the `by` labels, or all but the `without` labels
 *    and __name__; groups are created on first membership up to the
 *    target's max_series (beyond: counted, warned once, ignored) and live
 *    until reload or close. Inputs that differ only in __name__ share a
 *    group under `none` (their values are averaged).
 *
 * 4. Finalization rule. A group bucket b is final when either
 *      (a) every live member has reported b or a later bucket (a member
 *          that skipped b has no data for it), or
 *      (b) b has been open longer than grace = ingest.close_delay +
 *          PREDICT_FINALIZE_SLACK_MS of wall clock since its first report
 *          (ingest closes quiet series' buckets close_delay after their
 *          end, so a live member that has not reported by then has nothing), or
 *      (c) the group holds PREDICT_MAX_PENDING open buckets (oldest first).
 *    A member is live while its last report (or its discovery) is less than
 *    width + grace of wall clock ago: a series that stops does not hold its
 *    group back for more than that. Buckets finalize strictly in start
 *    order; a member report for a bucket at or before the group's last final
 *    one is late: counted, dropped (the member is still alive and past it). Rule (b) uses the arrival time, not the
 *    bucket's own time, so a backfill of old data is aggregated correctly.
 *
 * 5. Models. One fc_model per group: step = the target's width, max horizon
 *    = its longest horizon in steps, season = forecasts[].season (a whole
 *    number of widths), kind from forecasts[].model (auto → FC_AUTO, naive
 *    → FC_NAIVE, seasonal_naive → FC_SNAIVE, holt and holt_winters → FC_HW,
 *    the damped Holt-Winters member): cfg_forecast_fc_params, the mapping
 *    the config loader checks with fc_params_check too, so a season the
 *    engine cannot use (under 2 widths, over half the history) is a config
 *    error before it reaches a target. The value of
 *    bucket [s, s+w) is fed at time s; fc_model_refit runs on this thread
 *    (never on the ingest path) when fc_model_refit_due says so and it is
 *    the group's turn: for minute targets the first bucket whose slot plus
 *    the group's key hash is a multiple of REFIT_SPREAD_MINUTE (60), i.e.
 *    within the hour. A minute model's refit costs up to ~0.3 s
 *    (docs/forecast.md); without the spread every group created at
 *    start-up would refit on the same bucket and stall the thread for
 *    minutes. Hour targets (refit ~7 ms) refit at once.
 *
 * 6. Feedback. After each update the forecast for k buckets ahead (k =
 *    horizon / width) is remembered per horizon in a k-slot ring indexed by
 *    (target start / width) % k; when that bucket becomes final the forecast
 *    and the actual enter the horizon's fc_acc (forecast/accuracy.h: the
 *    weighted absolute percentage error of the last FC_ACC_WINDOW, the one
 *    definition `augurctl simulate` gates on too), whose value is
 *    ai_<name>_forecast_error. Anomaly score = |y - ŷ1| / σ with ŷ1 the 1-step
 *    forecast made one bucket earlier and σ = (hi80 - lo80) / (2 · 1.2816),
 *    the standard deviation a normal residual with that calibrated central
 *    80% interval would have; no 1-step forecast (a gap) or σ = 0 → no score.
 *
 * 7. Emission. All points of a final bucket are stamped T = (s + w) · 1000
 *    ms, the bucket's end, which is in the past: the value of
 *    ai_<name>_forecast{horizon="h"} is the forecast of the bucket that ends
 *    at T + h. A group emits only when T > its last emitted T (strictly
 *    increasing per series, also across restarts: last_emit_ms is saved),
 *    T <= now (never the future, even with clock skew) and T >= now -
 *    PREDICT_EMIT_MAX_AGE_MS (older points would be out of bounds for
 *    Prometheus; a backfill still trains the model and the feedback loop).
 *
 * 8. Persistence. A group's model, feedback state, last final bucket and
 *    last emitted T are one record (record.c) in the blob table under
 *    "fc/" name 0xFF group-key (or name 0xFE util_fnv1a64(group-key) when that
 *    would pass 511 bytes). Loaded when the group is created; used only if
 *    its fingerprint (resolution, longest horizon, model kind, horizons,
 *    rate, aggregate, selector, season) and group key match, else the group
 *    starts cold. The season enters the fingerprint only when it is not the
 *    default day: models saved before the season was honoured were all
 *    daily, so a default target keeps them and any other season starts
 *    fresh. Saved after PREDICT_SAVE_EVERY updates, before a reload and at
 *    close, SAVE_BATCH per write transaction. A crash loses at most the
 *    updates since the last save; at the next start the gap fill (note 10)
 *    feeds them from the store again. Scalers' decision
 *    states are saved by scale.c (its note 8) through the same
 *    predict_write_txn.
 *
 * 9. Seeding. A group that adopted no saved model (new, or its record was
 *    for another definition: note 8; a resumed model fills its gap
 *    instead, note 10) learns the history the store already
 *    holds (backfill, data kept before the target existed) before its first
 *    live update, in finalize when its first bucket s becomes final. It
 *    reads the rollups at the target's resolution of every member the group
 *    has then, in [s - n·width, s) with n = the model's history length
 *    (fc_model_history), folds each member's value through the live
 *    functions (input_value, pend_fold, aggregate: the same numbers a live
 *    close gives), feeds the buckets in time order, refits once, and only
 *    then learns s itself; history stops strictly before s, so no bucket is
 *    fed twice. Who the members are: those resolved when s is final, which
 *    includes every series that reported s (note 2 reads ahead before each
 *    batch). A member that appears later is not seeded back; its live
 *    buckets join the aggregate from then on. Bounds: n shrinks so that
 *    members × n <= PREDICT_SEED_MAX_READS (every seeded bucket still
 *    aggregates all members); reads run newest first in read txns of
 *    SEED_CHUNK_SLOTS buckets (short: map growth waits for readers, and the
 *    ingest writer may be the one growing), and stop after
 *    PREDICT_SEED_MAX_MS, keeping the complete chunks, which are the
 *    history right before s. The predict thread does this; the ingest hook
 *    only queues events meanwhile. Sums over members fold in membership
 *    (series id) order, live ones in arrival order: with three or more
 *    members a seeded sum can differ from a live one in the last bit.
 *
 * 10. Gap fill. A group that adopted its saved model (note 8) runs the same
 *    seed() at its first final bucket s of this run, on the stored buckets
 *    strictly after L = the saved last final bucket and strictly before s:
 *    history backfilled or ingested while augur was stopped, or learned
 *    live after the last save before a crash. L >= s - width: nothing to
 *    read, nothing logged. Same reads, folding, order and bounds as note 9
 *    (n = the model's history length, members × n <=
 *    PREDICT_SEED_MAX_READS, PREDICT_SEED_MAX_MS), plus the range never
 *    reaches L: a gap longer than n takes the newest n buckets before s.
 *    Nothing <= L (already learned, or refused, before the save) and
 *    nothing >= s (live) is fed, and I2 puts every open bucket after L, so
 *    no bucket is fed twice. The fed buckets count in
 *    augur_predict_seeded_buckets_total and the group's `seeded`, like a
 *    seed's, and log "forecast gap filled from stored history" with
 *    after=L. Like seeded buckets they train the model only: no points, no
 *    error windows (note 6). Refit: once after the fill only if the gap
 *    holds n buckets or more (L <= s - (n+1)·width). Then every bucket the model keeps
 *    is from the gap (its run may even have restarted: a gap over the
 *    history does that, forecast.h), and its tuned parameters describe data
 *    it no longer holds: the situation of a new model after its seed. A
 *    shorter gap leaves most of the kept history as it was tuned on; its
 *    buckets count toward the model's refit schedule (fc n_obs) like live
 *    ones, so a refit the schedule asks for runs at the group's next turn
 *    (note 5), as it would have if augur had run through the gap. Refitting
 *    every resumed group after every short restart would instead put all of
 *    their refits on their first bucket, the stall note 5 spreads out.
 *
 * Invariants (predict thread):
 *  I1. scan_upto only grows (reload resets it to 0 with the member table).
 *  I2. g->pend is sorted by start_s, every start_s > g->last_final_s, and
 *      npend <= PREDICT_MAX_PENDING.
 *  I3. m->last_start_s is the newest bucket member m reported; reports with
 *      start <= it are ignored (ingest reports each bucket once, in order).
 *  I4. g->last_emit_ms only grows; no point of g is stamped <= it.
 *  I5. g->fb[i].tgt[j] is INT64_MIN or > g->last_final_s.
 *  I6. Group arrays (target.groups) and the target set change only under
 *      predict.lock held for writing; published fields (pub_*, path) too.
 *
 * Transitions of a group bucket:
 *   (none) ──first member report (pend_add)──▶ OPEN
 *   OPEN ──more reports (pend_add)──▶ OPEN
 *   OPEN ──rule a/b (finalize_ready) or c (pend_add)──▶ FINAL (finalize):
 *          model updated, path published, points emitted; a group's first
 *          FINAL in this run is preceded by seed() (notes 9, 10)
 *   FINAL ──member report (process_event)──▶ counted late, dropped
 */
#include "util/common.h"
#include "util/hash.h"
#include "config/forecast.h"
#include "predict/predict_int.h"
#include "util/assert.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <time.h>

#define BATCH 4096
#define EMIT_BATCH 1024
#define PASS_INTERVAL_MS 1000
#define SAVE_BATCH 32
#define SCAN_TXN_IDS 1024
#define SEED_CHUNK_SLOTS 1440 /* buckets per seed read txn (note 9): a day of minutes */
#define REFIT_SPREAD_MINUTE 60 /* buckets over which minute groups' refits are spread (note 5) */
#define EMIT_ARENA_CAP ((size_t)64 << 20)
#define Z80 1.2815515655446004 /* N(0,1) quantile 0.9 */
#define DNAN ((double)NAN) /* NAN is a float constant */

static const char *const state_names[3] = {"cold", "warming", "ready"};

/* ---- small helpers ---- */


static int64_t default_now(void *arg)
{
    AUG_UNUSED(arg);
    return util_now_ms();
}

static char *dupstr(const char *s)
{
    return aug_strndup(s, strlen(s));
}

/* Makes *pp hold at least need items of size item (at most max). */
static aug_err grow(void **pp, size_t *cap, size_t need, size_t item, size_t max)
{
    if (need <= *cap)
        return AUG_OK;
    if (need > max)
        return AUG_EFULL;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    ncap = AUG_MIN(ncap, max);
    void *np = aug_realloc(*pp, ncap * item);
    if (np == NULL)
        return AUG_ENOMEM;
    *pp = np;
    *cap = ncap;
    return AUG_OK;
}

int predict_str_cmp(aug_str a, aug_str b)
{
    size_t n = AUG_MIN(a.len, b.len);
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

size_t predict_labels_merge(const aug_label *g, size_t n, const aug_label *extra, size_t nextra, aug_label *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < n || j < nextra) {
        if (j == nextra) {
            out[k++] = g[i++];
            continue;
        }
        if (i == n) {
            out[k++] = extra[j++];
            continue;
        }
        int c = predict_str_cmp(g[i].name, extra[j].name);
        if (c < 0) {
            out[k++] = g[i++];
        } else {
            if (c == 0)
                i++; /* the extra label overrides the group's */
            out[k++] = extra[j++];
        }
    }
    return k;
}

/* Splits a canonical label key into views; returns the count, or SIZE_MAX
 * when the key is malformed or has more than cap labels. */
static size_t key_split(const uint8_t *k, size_t len, aug_label *out, size_t cap)
{
    size_t n = 0, start = 0;
    bool name = true;
    for (size_t i = 0; i < len; i++) {
        if (k[i] != 0xFF)
            continue;
        aug_str s = {(const char *)k + start, i - start};
        if (name) {
            if (n == cap)
                return SIZE_MAX;
            out[n].name = s;
        } else {
            out[n++].value = s;
        }
        name = !name;
        start = i + 1;
    }
    return (name && start == len) ? n : SIZE_MAX;
}

static size_t key_count(const uint8_t *k, size_t len)
{
    size_t f = 0;
    for (size_t i = 0; i < len; i++)
        f += k[i] == 0xFF;
    return f / 2;
}

static bool str_is(aug_str s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && memcmp(s.p, c, n) == 0;
}

static bool in_list(aug_str s, char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (str_is(s, list[i]))
            return true;
    return false;
}

/* ---- targets ---- */

static void group_free(predict_group *g)
{
    if (g == NULL)
        return;
    fc_model_free(g->m);
    for (int i = 0; i < PREDICT_MAX_HORIZONS; i++) {
        aug_free(g->fb[i].tgt);
        aug_free(g->fb[i].val);
    }
    aug_free(g->key);
    aug_free(g->labels);
    aug_free(g->members);
    aug_free(g->pend);
    aug_free(g->path);
    aug_free(g);
}

static void target_free(predict_target *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ngroups; i++)
        group_free(t->groups[i]);
    aug_free(t->groups);
    aug_free(t->gslots);
    for (size_t i = 0; i < t->nagg; i++)
        aug_free(t->agg_labels[i]);
    aug_free(t->agg_labels);
    ingest_selector_free(t->sel);
    char *strs[] = {t->name, t->sel_text, t->agg_text, t->n_fc, t->n_lo, t->n_hi, t->n_err, t->n_anom,
                    t->n_state, t->n_path, t->n_path_lo, t->n_path_hi};
    for (size_t i = 0; i < AUG_ARRAY_LEN(strs); i++)
        aug_free(strs[i]);
    aug_free(t);
}

static void tset_free(predict_tset *ts)
{
    if (ts == NULL)
        return;
    for (size_t i = 0; i < ts->n; i++)
        target_free(ts->t[i]);
    aug_free(ts->t);
    for (size_t i = 0; i < ts->nsc; i++)
        predict_scaler_free(ts->sc[i]);
    aug_free(ts->sc);
    aug_free(ts);
}

static const char *const agg_op_names[] = {"none", "sum", "avg", "min", "max", "count"};

static char *metric_name(const char *name, const char *suffix)
{
    size_t n = strlen(name) + strlen(suffix) + 4;
    char *s = aug_malloc(n);
    if (s != NULL)
        snprintf(s, n, "ai_%s%s", name, suffix);
    return s;
}

static char *agg_text(const cfg_aggregate *a)
{
    size_t n = 32;
    for (size_t i = 0; i < a->labels.n; i++)
        n += strlen(a->labels.v[i]) + 2;
    char *s = aug_malloc(n);
    if (s == NULL)
        return NULL;
    size_t o = (size_t)snprintf(s, n, "%s", agg_op_names[a->op]);
    if (a->op != CFG_AGG_NONE && (a->without || a->labels.n > 0)) {
        o += (size_t)snprintf(s + o, n - o, " %s (", a->without ? "without" : "by");
        for (size_t i = 0; i < a->labels.n; i++)
            o += (size_t)snprintf(s + o, n - o, "%s%s", i ? ", " : "", a->labels.v[i]);
        snprintf(s + o, n - o, ")");
    }
    return s;
}

static aug_err model_new(const predict_target *t, fc_model **out, aug_errbuf *eb)
{
    return fc_model_new(&t->par, out, eb);
}

static aug_err target_new(const cfg_forecast *f, predict_target **out, aug_errbuf *eb)
{
    predict_target *t = aug_calloc(1, sizeof *t);
    if (t == NULL)
        return AUG_ENOMEM;
    aug_err err = AUG_ENOMEM;
    t->name = dupstr(f->name);
    t->sel_text = dupstr(ingest_selector_text(f->series));
    t->agg_text = agg_text(&f->aggregate);
    if (t->name == NULL || t->sel_text == NULL || t->agg_text == NULL)
        goto fail;
    if ((err = ingest_selector_parse(t->sel_text, strlen(t->sel_text), &t->sel, NULL, eb)) != AUG_OK)
        goto fail;
    t->rate = f->rate;
    t->op = f->aggregate.op;
    t->without = f->aggregate.without;
    err = AUG_ENOMEM;
    if (f->aggregate.labels.n > 0) {
        t->agg_labels = aug_calloc(f->aggregate.labels.n, sizeof *t->agg_labels);
        if (t->agg_labels == NULL)
            goto fail;
        for (size_t i = 0; i < f->aggregate.labels.n; i++, t->nagg++)
            if ((t->agg_labels[i] = dupstr(f->aggregate.labels.v[i])) == NULL)
                goto fail;
    }
    t->res = f->resolution == CFG_RES_HOUR ? STORE_RES_HOUR : STORE_RES_MINUTE;
    t->width_s = t->res == STORE_RES_HOUR ? 3600 : 60;
    err = AUG_ECONFIG;
    if (f->horizons.n == 0 || f->horizons.n > PREDICT_MAX_HORIZONS) {
        aug_errf(eb, err, "forecast %s: %zu horizons (1..%d)", f->name, f->horizons.n, PREDICT_MAX_HORIZONS);
        goto fail;
    }
    t->nh = (int32_t)f->horizons.n;
    for (int32_t i = 0; i < t->nh; i++) {
        int64_t ms = f->horizons.v[i];
        int64_t k = ms / (t->width_s * 1000);
        if (ms % (t->width_s * 1000) != 0 || k < 1 || k > FC_MAX_HORIZON) {
            aug_errf(eb, err, "forecast %s: horizon %s is not 1..%d steps of the resolution", f->name,
                     cfg_format_duration(ms, t->hname[i], sizeof t->hname[i]), FC_MAX_HORIZON);
            goto fail;
        }
        t->hsteps[i] = (int32_t)k;
        cfg_format_duration(ms, t->hname[i], sizeof t->hname[i]);
        t->H = AUG_MAX(t->H, t->hsteps[i]);
    }
    t->model = f->model;
    t->max_groups = f->max_series;
    cfg_forecast_fc_params(f, t->width_s, t->H, &t->par);
    aug_errbuf meb = {{0}};
    aug_err merr = fc_params_check(&t->par, &meb);
    if (merr != AUG_OK) {
        aug_errf(eb, err, "forecast %s: the engine cannot model it: %s", f->name, aug_errmsg(&meb, merr));
        goto fail;
    }
    /* Fingerprint (note 8): everything a saved model's meaning depends on. */
    char desc[256], season[40] = "";
    if (t->par.season_s != FC_SEASON_DAY)
        snprintf(season, sizeof season, "|season=%" PRId64, t->par.season_s);
    int dn = snprintf(desc, sizeof desc, "predict-v1|res=%d|H=%d|kind=%d|rate=%d|op=%d|without=%d%s|h=", (int)t->res,
                      (int)t->H, (int)t->par.kind, (int)t->rate, (int)t->op, (int)t->without, season);
    uint64_t h = util_fnv1a64(desc, (size_t)dn, UTIL_FNV64_BASIS);
    for (int32_t i = 0; i < t->nh; i++)
        h = util_fnv1a64(&t->hsteps[i], sizeof t->hsteps[i], h);
    for (size_t i = 0; i < t->nagg; i++)
        h = util_fnv1a64(t->agg_labels[i], strlen(t->agg_labels[i]) + 1, h);
    t->fp = util_fnv1a64(t->sel_text, strlen(t->sel_text), h);
    err = AUG_ENOMEM;
    if ((t->n_fc = metric_name(t->name, "_forecast")) == NULL ||
        (t->n_lo = metric_name(t->name, "_forecast_lower")) == NULL ||
        (t->n_hi = metric_name(t->name, "_forecast_upper")) == NULL ||
        (t->n_err = metric_name(t->name, "_forecast_error")) == NULL ||
        (t->n_anom = metric_name(t->name, "_anomaly_score")) == NULL ||
        (t->n_state = metric_name(t->name, "_forecast_state")) == NULL ||
        (t->n_path = metric_name(t->name, "_forecast_path")) == NULL ||
        (t->n_path_lo = metric_name(t->name, "_forecast_path_lower")) == NULL ||
        (t->n_path_hi = metric_name(t->name, "_forecast_path_upper")) == NULL)
        goto fail;
    *out = t;
    return AUG_OK;
fail:
    target_free(t);
    return err;
}

static aug_err tset_build(const cfg_config *cfg, predict_tset **out, aug_errbuf *eb)
{
    predict_tset *ts = aug_calloc(1, sizeof *ts);
    if (ts == NULL)
        return AUG_ENOMEM;
    aug_err err = AUG_OK;
    if (cfg->nforecasts > 0) {
        ts->t = aug_calloc(cfg->nforecasts, sizeof *ts->t);
        if (ts->t == NULL)
            err = AUG_ENOMEM;
    }
    for (size_t i = 0; err == AUG_OK && i < cfg->nforecasts; i++) {
        if ((err = target_new(&cfg->forecasts[i], &ts->t[i], eb)) == AUG_OK)
            ts->n++;
    }
    if (err == AUG_OK)
        err = predict_scalers_build(cfg, ts, eb);
    if (err != AUG_OK) {
        tset_free(ts);
        return err;
    }
    *out = ts;
    return AUG_OK;
}

/* ---- the blob key of a group (note 8) ---- */

static size_t blob_key(const predict_target *t, const predict_group *g, uint8_t out[STORE_BLOB_KEY_MAX])
{
    size_t nl = strlen(t->name), o = 0;
    memcpy(out, "fc/", 3);
    o = 3;
    memcpy(out + o, t->name, nl);
    o += nl;
    if (o + 1 + g->keylen <= STORE_BLOB_KEY_MAX) {
        out[o++] = 0xFF;
        if (g->keylen)
            memcpy(out + o, g->key, g->keylen);
        return o + g->keylen;
    }
    out[o++] = 0xFE;
    uint64_t h = util_fnv1a64(g->key, g->keylen, UTIL_FNV64_BASIS);
    for (int i = 7; i >= 0; i--)
        out[o++] = (uint8_t)(h >> (8 * i));
    return o;
}

/* ---- groups ---- */

/* Index of the group with this key, or PREDICT_NONE. */
static uint32_t group_find(const predict_target *t, const uint8_t *key, size_t len, uint64_t h)
{
    if (t->gslots == NULL)
        return PREDICT_NONE;
    for (size_t i = h & t->gmask;; i = (i + 1) & t->gmask) {
        uint32_t v = t->gslots[i];
        if (v == 0)
            return PREDICT_NONE;
        const predict_group *g = t->groups[v - 1];
        if (g->hash == h && g->keylen == len && (len == 0 || memcmp(g->key, key, len) == 0))
            return v - 1;
    }
}

static aug_err gslots_insert(predict_target *t, uint32_t idx)
{
    if ((t->ngroups + 1) * 2 > t->gmask + 1 || t->gslots == NULL) {
        size_t ncap = t->gslots ? (t->gmask + 1) * 2 : 16;
        while ((t->ngroups + 1) * 2 > ncap)
            ncap *= 2;
        uint32_t *ns = aug_calloc(ncap, sizeof *ns);
        if (ns == NULL)
            return AUG_ENOMEM;
        for (size_t i = 0; i < t->ngroups; i++) {
            size_t j = t->groups[i]->hash & (ncap - 1);
            while (ns[j] != 0)
                j = (j + 1) & (ncap - 1);
            ns[j] = (uint32_t)i + 1;
        }
        aug_free(t->gslots);
        t->gslots = ns;
        t->gmask = ncap - 1;
    }
    size_t j = t->groups[idx]->hash & t->gmask;
    while (t->gslots[j] != 0)
        j = (j + 1) & t->gmask;
    t->gslots[j] = idx + 1;
    return AUG_OK;
}

static void fb_reset(predict_group *g)
{
    for (int i = 0; i < PREDICT_MAX_HORIZONS; i++) {
        predict_fb *f = &g->fb[i];
        for (int32_t j = 0; j < f->k; j++) {
            f->tgt[j] = INT64_MIN;
            f->val[j] = 0;
        }
        fc_acc_reset(&f->acc);
    }
    g->one_have = false;
    g->anomaly = DNAN;
}

/* Loads the group's saved record if it matches (note 8). Returns true when
 * the model was adopted. */
static bool group_load(predict *p, const predict_target *t, predict_group *g, store_txn *txn)
{
    uint8_t k[STORE_BLOB_KEY_MAX];
    size_t kl = blob_key(t, g, k);
    aug_bytes v;
    aug_err e = store_blob_get(txn, (aug_bytes){k, kl}, &v);
    if (e == AUG_ENOTFOUND)
        return false;
    predict_record r;
    if (e == AUG_OK)
        e = predict_record_decode(v, &r);
    if (e != AUG_OK) {
        metrics_counter_add(p->m_load_err, 1);
        LOG_WARN("predict", "saved model unreadable, starting cold", "forecast", t->name, "err", aug_strerror(e));
        return false;
    }
    bool match = r.fp == t->fp && r.group_key.len == g->keylen &&
                 (g->keylen == 0 || memcmp(r.group_key.p, g->key, g->keylen) == 0) && r.nh == (uint32_t)t->nh;
    for (int32_t i = 0; match && i < t->nh; i++)
        match = r.h[i].k == t->hsteps[i];
    if (!match) {
        LOG_INFO("predict", "saved model is for another definition of the forecast, starting cold", "forecast",
                 t->name);
        return false;
    }
    fc_model *m = NULL;
    aug_errbuf eb = {{0}};
    if ((e = fc_model_decode(r.model, &m, &eb)) != AUG_OK) {
        metrics_counter_add(p->m_load_err, 1);
        LOG_WARN("predict", "saved model unreadable, starting cold", "forecast", t->name, "err",
                 aug_errmsg(&eb, e));
        return false;
    }
    fc_model_free(g->m);
    g->m = m;
    g->last_final_s = r.last_final_s;
    g->last_emit_ms = r.last_emit_ms;
    for (int32_t i = 0; i < t->nh; i++) {
        predict_fb *f = &g->fb[i];
        f->acc = r.h[i].acc;
        for (int32_t j = 0; j < f->k; j++)
            predict_record_pending(&r.h[i], j, &f->tgt[j], &f->val[j]);
    }
    g->one_have = r.one_have;
    g->one_tgt = r.one_tgt;
    g->one_mean = r.one_mean;
    g->one_lo80 = r.one_lo80;
    g->one_hi80 = r.one_hi80;
    g->anomaly = r.anomaly;
    return true;
}

/* Copies the group's state into its published snapshot; caller holds
 * predict.lock for writing. */
static void publish_locked(const predict_target *t, predict_group *g, const fc_status *st, const fc_forecast *path,
                           int64_t base_ms)
{
    if (path != NULL) {
        memcpy(g->path, path, (size_t)t->H * sizeof *path);
        g->path_n = t->H;
        g->path_base_ms = base_ms;
    }
    g->pub_state = st->state;
    g->pub_points = st->points;
    g->pub_refits = st->refits;
    g->pub_last_bucket_s = g->last_final_s;
    g->pub_seeded = g->seeded;
    snprintf(g->pub_reason, sizeof g->pub_reason, "%s", st->reason);
    for (int32_t i = 0; i < t->nh; i++)
        g->pub_err[i] = fc_acc_error(&g->fb[i].acc);
    g->pub_anomaly = g->anomaly;
}

static void set_state(predict *p, predict_group *g, fc_state s)
{
    p->state_count[g->state]--;
    g->state = s;
    p->state_count[s]++;
}

static predict_group *group_new(predict *p, predict_target *t, const uint8_t *key, size_t len, uint64_t h,
                                store_txn *txn)
{
    predict_group *g = aug_calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    size_t nl = key_count(key, len);
    g->key = aug_malloc(len ? len : 1);
    g->labels = aug_calloc(nl ? nl : 1, sizeof *g->labels);
    g->path = aug_calloc((size_t)t->H, sizeof *g->path);
    if (g->key == NULL || g->labels == NULL || g->path == NULL)
        goto fail;
    if (len)
        memcpy(g->key, key, len);
    g->keylen = len;
    g->nlabels = key_split(g->key, len, g->labels, nl);
    AUG_ASSERT(g->nlabels == nl);
    g->hash = h;
    g->last_final_s = INT64_MIN;
    g->last_emit_ms = INT64_MIN;
    for (int32_t i = 0; i < t->nh; i++) {
        g->fb[i].k = t->hsteps[i];
        g->fb[i].tgt = aug_malloc((size_t)t->hsteps[i] * sizeof *g->fb[i].tgt);
        g->fb[i].val = aug_malloc((size_t)t->hsteps[i] * sizeof *g->fb[i].val);
        if (g->fb[i].tgt == NULL || g->fb[i].val == NULL)
            goto fail;
    }
    fb_reset(g);
    for (int i = 0; i < PREDICT_MAX_HORIZONS; i++)
        g->pub_err[i] = DNAN;
    g->pub_anomaly = DNAN;
    g->last_y = DNAN;
    bool loaded = group_load(p, t, g, txn);
    if (!loaded && model_new(t, &g->m, NULL) != AUG_OK)
        goto fail;
    g->seed_pending = true; /* new: the stored history (note 9); resumed: the gap since its save (note 10) */
    fc_status st;
    fc_model_state(g->m, &st);
    g->state = st.state;
    /* A resumed model serves its path at once (remote-read right after a
     * restart); a new one has none until its first update. */
    bool has_path = loaded && g->last_final_s != INT64_MIN && fc_model_predict(g->m, t->H, p->scratch) == AUG_OK;
    pthread_rwlock_wrlock(&p->lock);
    aug_err e = grow((void **)&t->groups, &t->gcap, t->ngroups + 1, sizeof *t->groups, SIZE_MAX / 2);
    if (e == AUG_OK) {
        t->groups[t->ngroups] = g;
        e = gslots_insert(t, (uint32_t)t->ngroups);
    }
    if (e == AUG_OK) {
        t->ngroups++;
        publish_locked(t, g, &st, has_path ? p->scratch : NULL, has_path ? (g->last_final_s + t->width_s) * 1000 : 0);
    }
    pthread_rwlock_unlock(&p->lock);
    if (e != AUG_OK)
        goto fail;
    p->state_count[g->state]++;
    atomic_fetch_add(&p->st_groups, 1);
    if (loaded) {
        atomic_fetch_add(&p->st_loads, 1);
        metrics_counter_add(p->m_loads, 1);
    }
    return g;
fail:
    group_free(g);
    return NULL;
}

/* ---- memberships (note 2) ---- */

static uint32_t mem_head(const predict *p, uint32_t id)
{
    if (p->mslots == NULL)
        return PREDICT_NONE;
    for (size_t i = (id * UINT32_C(2654435761)) & p->mmask;; i = (i + 1) & p->mmask) {
        uint32_t v = p->mslots[i];
        if (v == 0)
            return PREDICT_NONE;
        if (p->mem[v - 1].id == id)
            return v - 1;
    }
}

/* Points the id's slot at member index mi (inserting the id if new). */
static aug_err mem_set_head(predict *p, uint32_t id, uint32_t mi, bool is_new_id, size_t nids)
{
    if (is_new_id && (p->mslots == NULL || (nids + 1) * 2 > p->mmask + 1)) {
        size_t ncap = p->mslots ? (p->mmask + 1) * 2 : 1024;
        uint32_t *ns = aug_calloc(ncap, sizeof *ns);
        if (ns == NULL)
            return AUG_ENOMEM;
        if (p->mslots != NULL) {
            for (size_t i = 0; i <= p->mmask; i++) {
                uint32_t v = p->mslots[i];
                if (v == 0)
                    continue;
                size_t j = (p->mem[v - 1].id * UINT32_C(2654435761)) & (ncap - 1);
                while (ns[j] != 0)
                    j = (j + 1) & (ncap - 1);
                ns[j] = v;
            }
        }
        aug_free(p->mslots);
        p->mslots = ns;
        p->mmask = ncap - 1;
    }
    for (size_t i = (id * UINT32_C(2654435761)) & p->mmask;; i = (i + 1) & p->mmask) {
        uint32_t v = p->mslots[i];
        if (v == 0 || p->mem[v - 1].id == id) {
            p->mslots[i] = mi + 1;
            return AUG_OK;
        }
    }
}

static void warn_members_full(predict *p)
{
    metrics_counter_add(p->m_members_refused, 1);
    if (!p->mem_warned) {
        p->mem_warned = true;
        LOG_WARN("predict", "membership table full: further input series are ignored", "limit",
                 LOG_I64(PREDICT_MAX_MEMBERS));
    }
}

/* Adds membership (id, tgt, grp). */
static aug_err mem_add(predict *p, uint32_t id, uint32_t tgt, uint32_t grp, int64_t now)
{
    if (p->nmem >= PREDICT_MAX_MEMBERS) {
        warn_members_full(p);
        return AUG_EFULL;
    }
    aug_err e = grow((void **)&p->mem, &p->memcap, p->nmem + 1, sizeof *p->mem, PREDICT_MAX_MEMBERS);
    if (e != AUG_OK)
        return e;
    uint32_t head = mem_head(p, id);
    uint32_t mi = (uint32_t)p->nmem;
    p->mem[mi] = (predict_member){.id = id, .tgt = tgt, .grp = grp, .next = head, .last_start_s = INT64_MIN,
                                  .last_seen_ms = now};
    if ((e = mem_set_head(p, id, mi, head == PREDICT_NONE, p->nids)) != AUG_OK)
        return e;
    p->nmem++;
    if (head == PREDICT_NONE)
        p->nids++;
    return AUG_OK;
}

/* Resolves one series (note 2/3). */
static void resolve(predict *p, store_txn *txn, uint32_t id, aug_bytes key, int64_t now, aug_label **lbuf,
                    size_t *lcap, uint8_t **kbuf, size_t *kcap)
{
    size_t nl = key_count(key.p, key.len);
    if (grow((void **)lbuf, lcap, nl + 1, sizeof **lbuf, SIZE_MAX / 64) != AUG_OK ||
        grow((void **)kbuf, kcap, key.len + 1, 1, SIZE_MAX / 2) != AUG_OK)
        return;
    aug_label *l = *lbuf;
    size_t n = key_split(key.p, key.len, l, nl);
    if (n == SIZE_MAX)
        return;
    for (size_t ti = 0; ti < p->nt; ti++) {
        predict_target *t = p->t[ti];
        if (!ingest_selector_match_key(t->sel, key))
            continue;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (str_is(l[i].name, "__name__"))
                continue;
            bool listed = in_list(l[i].name, t->agg_labels, t->nagg);
            bool keep = t->op == CFG_AGG_NONE || (t->without ? !listed : listed);
            if (!keep)
                continue;
            memcpy(*kbuf + o, l[i].name.p, l[i].name.len);
            o += l[i].name.len;
            (*kbuf)[o++] = 0xFF;
            memcpy(*kbuf + o, l[i].value.p, l[i].value.len);
            o += l[i].value.len;
            (*kbuf)[o++] = 0xFF;
        }
        uint64_t h = util_fnv1a64(*kbuf, o, UTIL_FNV64_BASIS);
        uint32_t gi = group_find(t, *kbuf, o, h);
        if (gi == PREDICT_NONE && (int64_t)t->ngroups >= t->max_groups) {
            t->refused++;
            atomic_fetch_add(&p->st_refused, 1);
            metrics_counter_add(p->m_refused, 1);
            if (!t->warned) {
                t->warned = true;
                LOG_WARN("predict", "forecast max_series reached: new groups are ignored", "forecast", t->name,
                         "max_series", LOG_I64(t->max_groups));
            }
        } else if (gi == PREDICT_NONE) {
            if (group_new(p, t, *kbuf, o, h, txn) == NULL) {
                LOG_ERROR("predict", "cannot create a forecast group", "forecast", t->name, "err",
                          aug_strerror(AUG_ENOMEM));
                continue;
            }
            gi = (uint32_t)(t->ngroups - 1);
        }
        predict_group *g = gi != PREDICT_NONE ? t->groups[gi] : NULL;
        if (mem_add(p, id, (uint32_t)ti, gi, now) != AUG_OK)
            return;
        if (g != NULL) {
            if (grow((void **)&g->members, &g->mcap, g->nmembers + 1, sizeof *g->members, PREDICT_MAX_MEMBERS) !=
                AUG_OK)
                return;
            g->members[g->nmembers++] = (uint32_t)(p->nmem - 1);
        }
    }
    /* Scaler inputs (replicas, queue_length, service_time selectors). */
    for (size_t si = 0; si < p->nsc; si++) {
        for (uint8_t k = 0; k < PREDICT_IN__COUNT; k++) {
            const ingest_selector *sel = p->sc[si]->sel[k];
            if (sel == NULL || !ingest_selector_match_key(sel, key))
                continue;
            if (mem_add(p, id, (uint32_t)si, PREDICT_NONE, now) != AUG_OK)
                return;
            p->mem[p->nmem - 1].kind = (uint8_t)(1 + k);
        }
    }
}

/* Resolves ids scan_upto+1, ... up to the first missing one (note 2). */
static void scan(predict *p, int64_t now)
{
    if (p->nt == 0)
        return;
    store_txn *txn = NULL;
    aug_label *lbuf = NULL;
    uint8_t *kbuf = NULL;
    size_t lcap = 0, kcap = 0, since = 0;
    for (;;) {
        if (p->scan_upto == UINT32_MAX)
            break;
        if (txn == NULL) {
            aug_err e = store_txn_begin(p->s, false, &txn);
            if (e != AUG_OK) {
                LOG_ERROR("predict", "cannot read the series dictionary", "err", aug_strerror(e));
                break;
            }
        }
        uint32_t id = p->scan_upto + 1;
        aug_bytes key;
        aug_err e = store_series_get(txn, id, &key);
        if (e == AUG_ENOTFOUND)
            break;
        if (e != AUG_OK) {
            LOG_ERROR("predict", "cannot read a series", "id", LOG_I64(id), "err", aug_strerror(e));
            break;
        }
        resolve(p, txn, id, key, now, &lbuf, &lcap, &kbuf, &kcap);
        p->scan_upto = id;
        if (++since >= SCAN_TXN_IDS) {
            /* Short read txns: map growth waits for them. */
            store_txn_abort(txn);
            txn = NULL;
            since = 0;
        }
    }
    store_txn_abort(txn);
    aug_free(lbuf);
    aug_free(kbuf);
    metrics_gauge_set(p->m_members, (double)p->nmem);
}

/* ---- emission (note 7) ---- */

static void emit_flush(predict *p)
{
    if (p->npts == 0)
        return;
    if (p->sink != NULL)
        p->sink(p->sink_arg, p->pts, p->npts);
    atomic_fetch_add(&p->st_points, p->npts);
    metrics_counter_add(p->m_points, p->npts);
    p->npts = 0;
    util_arena_reset(p->ea);
}

/* Queues one point; extra labels sorted by name, __name__ first. */
static void emit(predict *p, const predict_group *g, int64_t ts, const aug_label *extra, size_t nextra, double v)
{
    if (!isfinite(v))
        return;
    aug_label *l = util_arena_alloc(p->ea, (g->nlabels + nextra) * sizeof *l);
    if (l == NULL) {
        emit_flush(p);
        if ((l = util_arena_alloc(p->ea, (g->nlabels + nextra) * sizeof *l)) == NULL)
            return;
    }
    size_t n = predict_labels_merge(g->labels, g->nlabels, extra, nextra, l);
    p->pts[p->npts++] = (predict_point){.labels = l, .nlabels = n, .ts_ms = ts, .value = v};
    if (p->npts == EMIT_BATCH)
        emit_flush(p);
}

static aug_str S(const char *s)
{
    return (aug_str){s, strlen(s)};
}

void predict_emit_labels(predict *p, int64_t ts, const aug_label *labels, size_t n, double v)
{
    static const predict_group none = {0};
    emit(p, &none, ts, labels, n, v);
}

static void emit_bucket(predict *p, const predict_target *t, const predict_group *g, int64_t T, const fc_forecast *f)
{
    aug_label ex[3];
    ex[0].name = S("__name__");
    for (int32_t i = 0; i < t->nh; i++) {
        const fc_forecast *x = &f[t->hsteps[i] - 1];
        ex[1] = (aug_label){S("horizon"), S(t->hname[i])};
        ex[0].value = S(t->n_fc);
        emit(p, g, T, ex, 2, x->mean);
        for (int b = 0; b < 2; b++) {
            ex[2] = (aug_label){S("interval"), S(b == 0 ? "80" : "95")};
            ex[0].value = S(t->n_lo);
            emit(p, g, T, ex, 3, b == 0 ? x->lo80 : x->lo95);
            ex[0].value = S(t->n_hi);
            emit(p, g, T, ex, 3, b == 0 ? x->hi80 : x->hi95);
        }
        double e = fc_acc_error(&g->fb[i].acc);
        if (!isnan(e)) {
            ex[0].value = S(t->n_err);
            emit(p, g, T, ex, 2, e);
        }
    }
    if (!isnan(g->anomaly)) {
        ex[0].value = S(t->n_anom);
        emit(p, g, T, ex, 1, g->anomaly);
    }
    ex[0].value = S(t->n_state);
    for (int s = 0; s < 3; s++) {
        ex[1] = (aug_label){S("state"), S(state_names[s])};
        emit(p, g, T, ex, 2, (int)g->state == s ? 1.0 : 0.0);
    }
}

/* ---- finalization (notes 4-7) ---- */

/* Feedback for the final value y of bucket s (note 6). */
static void feedback(const predict_target *t, predict_group *g, int64_t s, double y)
{
    int64_t slot = s / t->width_s;
    for (int32_t i = 0; i < t->nh; i++) {
        predict_fb *f = &g->fb[i];
        int32_t j = (int32_t)(((slot % f->k) + f->k) % f->k);
        if (f->tgt[j] != s)
            continue;
        f->tgt[j] = INT64_MIN;
        fc_acc_add(&f->acc, y, f->val[j]);
    }
    g->anomaly = DNAN;
    if (g->one_have && g->one_tgt == s) {
        double sigma = (g->one_hi80 - g->one_lo80) / (2 * Z80);
        if (sigma > 0 && isfinite(sigma))
            g->anomaly = fabs(y - g->one_mean) / sigma;
    }
    g->one_have = false;
}

/* The input value of one member's closed bucket (note 1b): with rate, the
 * reset-aware increase per second; otherwise the bucket average. False when
 * it is not finite (it is then skipped). The live path (process_event) and
 * seeding (note 9) both go through here, so a stored bucket gives the model
 * exactly the value its live close would have. */
static bool input_value(const predict_target *t, uint32_t count, double sum, double increase, double *out)
{
    double v = t->rate ? increase / (double)t->width_s : sum / (double)count;
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Folds one member value into a group bucket (b->n == 0: the first). */
static void pend_fold(predict_pend *b, double v)
{
    if (b->n == 0) {
        b->sum = b->min = b->max = v;
    } else {
        b->sum += v;
        b->min = AUG_MIN(b->min, v);
        b->max = AUG_MAX(b->max, v);
    }
    b->n++;
}

static double aggregate(const predict_target *t, const predict_pend *b)
{
    switch (t->op) {
    case CFG_AGG_NONE: return b->sum / (double)b->n;
    case CFG_AGG_SUM: return b->sum;
    case CFG_AGG_AVG: return b->sum / (double)b->n;
    case CFG_AGG_MIN: return b->min;
    case CFG_AGG_MAX: return b->max;
    case CFG_AGG_COUNT: return (double)b->n;
    }
    return DNAN;
}

/* Note 5: a due refit waits for the group's turn, bucket slot + hash ≡ 0
 * (mod REFIT_SPREAD_MINUTE) for minute targets, so groups created together
 * (all of them at start-up) do not all refit on the same bucket. The delay
 * depends only on the data, so results stay reproducible. */
static bool refit_turn(const predict_target *t, const predict_group *g, int64_t s)
{
    int64_t spread = t->res == STORE_RES_MINUTE ? REFIT_SPREAD_MINUTE : 1;
    int64_t slot = s / t->width_s;
    return (((slot % spread) + spread) % spread + (int64_t)(g->hash % (uint64_t)spread)) % spread == 0;
}

static void refit(predict *p, predict_group *g)
{
    int64_t t0 = util_mono_ns();
    if (fc_model_refit(g->m) == AUG_OK) {
        atomic_fetch_add(&p->st_refits, 1);
        metrics_counter_add(p->m_refits, 1);
        metrics_histogram_observe(p->m_refit_s, (double)(util_mono_ns() - t0) / 1e9);
    }
}

/* "{a=\"x\",b=\"y\"}" of the group's labels, cut at cap, for log lines. */
static const char *group_text(const predict_group *g, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "{");
    for (size_t i = 0; i < g->nlabels && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%.*s=\"%.*s\"", i ? "," : "", (int)g->labels[i].name.len,
                              g->labels[i].name.p, (int)g->labels[i].value.len, g->labels[i].value.p);
    if (o < cap)
        snprintf(buf + o, cap - o, "}");
    return buf;
}

/* Folds every member's stored buckets with from_s <= start < to_s into
 * buf (slot 0 = base_s) in one short read txn (note 9). *reads counts the
 * records read. */
static aug_err seed_chunk(predict *p, const predict_target *t, const predict_group *g, int64_t base_s,
                          int64_t from_s, int64_t to_s, predict_pend *buf, uint64_t *reads)
{
    store_txn *txn = NULL;
    aug_err e = store_txn_begin(p->s, false, &txn);
    for (size_t i = 0; e == AUG_OK && i < g->nmembers; i++) {
        store_rollup_iter *it = NULL;
        if ((e = store_rollup_iter_open(txn, p->mem[g->members[i]].id, t->res, from_s, to_s, &it)) != AUG_OK)
            break;
        int64_t start;
        store_rollup r;
        while ((e = store_rollup_iter_next(it, &start, &r)) == AUG_OK) {
            (*reads)++;
            double v;
            /* as process_event: an empty bucket or a value that is not finite is no report */
            if (r.count == 0 || !input_value(t, r.count, r.sum, r.increase, &v))
                continue;
            pend_fold(&buf[(start - base_s) / t->width_s], v);
        }
        store_rollup_iter_close(it);
        if (e == AUG_ENOTFOUND)
            e = AUG_OK;
    }
    store_txn_abort(txn);
    return e;
}

/* Notes 9 and 10: teaches a group's model the stored buckets it has not
 * learned, strictly after g->last_final_s and strictly before first_s (its
 * first live bucket in this run). A new model (last_final_s INT64_MIN) gets
 * the history before first_s and is refitted once; a resumed one gets the
 * gap since its saved last bucket, refitted once only when the gap was
 * longer than its history (note 10). */
static void seed(predict *p, predict_target *t, predict_group *g, int64_t first_s)
{
    g->seed_pending = false;
    if (g->nmembers == 0)
        return;
    int64_t t0 = util_mono_ns(), w = t->width_s, after = g->last_final_s;
    bool gap = after != INT64_MIN;
    int64_t history = fc_model_history(g->m);
    /* The read cap shortens the range for every member alike, so each
     * seeded bucket still aggregates all of them. */
    int64_t slots = AUG_MIN(history, (int64_t)(PREDICT_SEED_MAX_READS / g->nmembers));
    /* A gap shorter than that is read whole, and nothing at or before
     * `after` (learned before the restart) is read again. */
    if (gap && after >= first_s - slots * w)
        slots = (first_s - after - 1) / w;
    if (slots <= 0)
        return;
    /* Gap longer than the history: what the model keeps is all gap (its run
     * may even have restarted), as after a new model's seed (note 10). */
    bool refit_after = !gap || after <= first_s - (history + 1) * w;
    predict_pend *buf = aug_calloc((size_t)slots, sizeof *buf);
    if (buf == NULL) {
        LOG_ERROR("predict", "cannot seed a forecast from stored history", "forecast", t->name, "err",
                  aug_strerror(AUG_ENOMEM));
        return;
    }
    int64_t base = first_s - slots * w, lo = slots; /* buf[lo..slots) is complete */
    uint64_t reads = 0;
    aug_err e = AUG_OK;
    const char *stop = NULL;
    /* Newest chunk first: when the time budget or an error stops the reads,
     * what is complete is the history right before first_s, with no gap. */
    while (lo > 0) {
        int64_t clo = AUG_MAX(lo - SEED_CHUNK_SLOTS, 0);
        if ((e = seed_chunk(p, t, g, base, base + clo * w, base + lo * w, buf, &reads)) != AUG_OK) {
            stop = "store error";
            break;
        }
        lo = clo;
        if (lo > 0 && util_mono_ns() - t0 > (int64_t)PREDICT_SEED_MAX_MS * 1000000) {
            stop = "time budget";
            break;
        }
    }
    int64_t fed = 0, first = 0, last = 0; /* first, last: 0 when nothing was fed */
    for (int64_t k = lo; k < slots; k++) {
        if (buf[k].n == 0)
            continue;
        int64_t ts = base + k * w;
        if (fc_model_update(g->m, ts, aggregate(t, &buf[k]), NULL) != AUG_OK)
            continue; /* |y| > 1e100: a missing point, as live */
        if (fed++ == 0)
            first = ts;
        last = ts;
    }
    aug_free(buf);
    if (fed > 0) {
        g->dirty = true; /* a resumed model changed: saved again even if no live update follows */
        if (refit_after)
            refit(p, g);
    }
    g->seeded = fed;
    atomic_fetch_add(&p->st_seeded, (uint64_t)fed);
    metrics_counter_add(p->m_seeded, (uint64_t)fed);
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    if (reads > 0) /* a group with no stored history costs nothing worth a sample */
        metrics_histogram_observe(p->m_seed_s, secs);
    char gt[256];
    /* A gap fill ends its line with after= (its saved last bucket); for a
     * seed the NULL key ends the list there. */
    if (stop != NULL)
        LOG_WARN("predict",
                 gap ? "forecast gap filled from part of the stored history"
                     : "forecast seeded from part of the stored history",
                 "forecast", t->name, "group", group_text(g, gt, sizeof gt), "buckets", LOG_I64(fed), "from",
                 LOG_I64(first), "to", LOG_I64(last), "reads", LOG_I64(reads), "seconds", LOG_F64(secs),
                 "stopped_by", stop, "err", aug_strerror(e), gap ? "after" : NULL, LOG_I64(after));
    else if (fed > 0)
        LOG_INFO("predict", gap ? "forecast gap filled from stored history" : "forecast seeded from stored history",
                 "forecast", t->name, "group", group_text(g, gt, sizeof gt), "buckets", LOG_I64(fed), "from",
                 LOG_I64(first), "to", LOG_I64(last), "reads", LOG_I64(reads), "seconds", LOG_F64(secs),
                 gap ? "after" : NULL, LOG_I64(after));
}

static void finalize(predict *p, predict_target *t, predict_group *g, const predict_pend *b, int64_t now)
{
    int64_t s = b->start_s;
    if (g->seed_pending)
        seed(p, t, g, s);
    double y = aggregate(t, b);
    g->last_final_s = s;
    g->last_y = y;
    feedback(t, g, s, y);
    aug_errbuf eb = {{0}};
    aug_err e = fc_model_update(g->m, s, y, &eb);
    if (e != AUG_OK) {
        /* e.g. a resumed model that already learned this bucket, or |y| > 1e100 */
        metrics_counter_add(p->m_update_err, 1);
        LOG_DEBUG("predict", "model update refused", "forecast", t->name, "err", aug_errmsg(&eb, e));
        return;
    }
    atomic_fetch_add(&p->st_updates, 1);
    metrics_counter_add(p->m_updates, 1);
    g->dirty = true;
    g->since_save++;
    if (fc_model_refit_due(g->m) && refit_turn(t, g, s))
        refit(p, g);
    if (fc_model_predict(g->m, t->H, p->scratch) != AUG_OK)
        return;
    const fc_forecast *f = p->scratch;
    for (int32_t i = 0; i < t->nh; i++) {
        predict_fb *fb = &g->fb[i];
        int64_t target = s + (int64_t)fb->k * t->width_s;
        int32_t j = (int32_t)((((target / t->width_s) % fb->k) + fb->k) % fb->k);
        fb->tgt[j] = target;
        fb->val[j] = f[fb->k - 1].mean;
    }
    g->one_have = true;
    g->one_tgt = s + t->width_s;
    g->one_mean = f[0].mean;
    g->one_lo80 = f[0].lo80;
    g->one_hi80 = f[0].hi80;
    fc_status st;
    fc_model_state(g->m, &st);
    if (st.state != g->state)
        set_state(p, g, st.state);
    int64_t T = (s + t->width_s) * 1000;
    pthread_rwlock_wrlock(&p->lock);
    publish_locked(t, g, &st, f, T);
    pthread_rwlock_unlock(&p->lock);
    if (T <= g->last_emit_ms)
        return;
    if (T > now) {
        metrics_counter_add(p->m_pts_future, 1);
        return;
    }
    if (T < now - PREDICT_EMIT_MAX_AGE_MS) {
        metrics_counter_add(p->m_pts_old, 1);
        return;
    }
    emit_bucket(p, t, g, T, f);
    g->last_emit_ms = T;
    predict_scale_due(p, t, T);
    metrics_histogram_observe(p->m_latency_s, (double)(util_mono_ns() - b->last_ns) / 1e9);
}

int64_t predict_grace_ms(const predict *p)
{
    return atomic_load(&p->close_delay_ms) + PREDICT_FINALIZE_SLACK_MS;
}

/* Oldest bucket every live member has passed (note 4a); INT64_MAX when no
 * member is live. */
static int64_t watermark(const predict *p, const predict_target *t, const predict_group *g, int64_t now)
{
    int64_t ttl = t->width_s * 1000 + predict_grace_ms(p), wm = INT64_MAX;
    for (size_t i = 0; i < g->nmembers; i++) {
        const predict_member *m = &p->mem[g->members[i]];
        if (now - m->last_seen_ms > ttl)
            continue;
        wm = AUG_MIN(wm, m->last_start_s);
    }
    return wm;
}

static void pend_pop(predict_group *g)
{
    memmove(g->pend, g->pend + 1, (g->npend - 1) * sizeof *g->pend);
    g->npend--;
}

static void finalize_ready(predict *p, predict_target *t, predict_group *g, int64_t now)
{
    if (g->npend == 0)
        return;
    int64_t wm = watermark(p, t, g, now), grace = predict_grace_ms(p);
    while (g->npend > 0) {
        predict_pend b = g->pend[0];
        if (!(b.start_s <= wm || now - b.first_ms >= grace))
            break;
        pend_pop(g);
        finalize(p, t, g, &b, now);
    }
}

static void touch(predict *p, predict_target *t, predict_group *g)
{
    if (g->touched)
        return;
    if (grow((void **)&p->touched, &p->touched_cap, p->ntouched + 1, sizeof *p->touched, SIZE_MAX / 32) != AUG_OK)
        return; /* the periodic pass will see it */
    g->touched = true;
    p->touched[p->ntouched++] = (predict_touch){t, g};
}

/* Folds one member value into the group's open bucket (note 4c). */
static void pend_add(predict *p, predict_target *t, predict_group *g, int64_t start_s, double v, int64_t now,
                     int64_t t_ns)
{
    size_t i = g->npend;
    while (i > 0 && g->pend[i - 1].start_s > start_s)
        i--;
    if (i > 0 && g->pend[i - 1].start_s == start_s) {
        predict_pend *b = &g->pend[i - 1];
        pend_fold(b, v);
        b->last_ns = AUG_MAX(b->last_ns, t_ns);
        return;
    }
    if (g->npend == PREDICT_MAX_PENDING) {
        metrics_counter_add(p->m_forced, 1);
        predict_pend old = g->pend[0];
        pend_pop(g);
        finalize(p, t, g, &old, now);
        if (start_s <= g->last_final_s) {
            atomic_fetch_add(&p->st_late, 1);
            metrics_counter_add(p->m_late, 1);
            return;
        }
        i = g->npend;
        while (i > 0 && g->pend[i - 1].start_s > start_s)
            i--;
    }
    if (grow((void **)&g->pend, &g->pcap, g->npend + 1, sizeof *g->pend, PREDICT_MAX_PENDING) != AUG_OK)
        return;
    memmove(g->pend + i + 1, g->pend + i, (g->npend - i) * sizeof *g->pend);
    g->pend[i] = (predict_pend){.start_s = start_s, .first_ms = now, .last_ns = t_ns};
    pend_fold(&g->pend[i], v);
    g->npend++;
}

static void process_event(predict *p, const predict_event *ev, int64_t now)
{
    for (uint32_t mi = mem_head(p, ev->id); mi != PREDICT_NONE; mi = p->mem[mi].next) {
        predict_member *m = &p->mem[mi];
        if (m->kind != 0) {
            predict_scale_input(p, m, ev);
            continue;
        }
        predict_target *t = p->t[m->tgt];
        if (t->res != ev->res || m->grp == PREDICT_NONE || ev->count == 0)
            continue;
        predict_group *g = t->groups[m->grp];
        bool dup = ev->start_s <= m->last_start_s; /* I3: ingest reports a bucket once */
        if (!dup) {
            m->last_start_s = ev->start_s;
            m->last_seen_ms = now;
        }
        if (dup || ev->start_s <= g->last_final_s) {
            /* Late: dropped. A late member is still alive and past this
             * bucket, which the watermark of later buckets uses. */
            atomic_fetch_add(&p->st_late, 1);
            metrics_counter_add(p->m_late, 1);
            if (!dup)
                touch(p, t, g);
            continue;
        }
        double v;
        if (!input_value(t, ev->count, ev->sum, ev->increase, &v))
            continue;
        pend_add(p, t, g, ev->start_s, v, now, ev->t_ns);
        touch(p, t, g);
    }
}

/* ---- persistence (note 8) ---- */

/* Encodes a group's record at p->savebuf + off (growing it); *len gets its size. */
static aug_err encode_group(predict *p, const predict_target *t, const predict_group *g, size_t off, size_t *len)
{
    size_t mb = fc_model_blob_size(g->m), mlen = 0;
    predict_record r = {.fp = t->fp, .last_final_s = g->last_final_s, .last_emit_ms = g->last_emit_ms,
                        .group_key = {g->key, g->keylen}, .nh = (uint32_t)t->nh, .one_have = g->one_have,
                        .one_tgt = g->one_tgt, .one_mean = g->one_mean, .one_lo80 = g->one_lo80,
                        .one_hi80 = g->one_hi80, .anomaly = g->anomaly, .model = {NULL, mb}};
    for (int32_t i = 0; i < t->nh; i++) {
        const predict_fb *f = &g->fb[i];
        r.h[i].k = f->k;
        r.h[i].acc = f->acc;
        r.h[i].tgt = f->tgt;
        r.h[i].val = f->val;
    }
    size_t need = predict_record_size(&r);
    aug_err e = grow((void **)&p->savebuf, &p->savecap, off + need + mb, 1, SIZE_MAX / 2);
    if (e != AUG_OK)
        return e;
    /* The model blob is encoded behind the record's room, then copied into
     * the record (the next record overwrites the scratch copy). */
    uint8_t *rec = p->savebuf + off, *mbuf = rec + need;
    if ((e = fc_model_encode(g->m, mbuf, mb, &mlen)) != AUG_OK)
        return e;
    r.model = (aug_bytes){mbuf, mlen};
    return predict_record_encode(&r, rec, need, len);
}

aug_err predict_write_txn(predict *p, aug_err (*fn)(void *arg, store_txn *txn), void *arg)
{
    aug_err e = AUG_OK;
    for (int attempt = 0;; attempt++) {
        store_txn *txn = NULL;
        e = store_txn_begin(p->s, true, &txn);
        if (e == AUG_OK)
            e = fn(arg, txn);
        if (txn != NULL && e == AUG_OK)
            e = store_txn_commit(txn);
        else
            store_txn_abort(txn);
        /* Grown: retry, up to three attempts. The last attempt's AUG_EFULL
         * is returned: nothing was written, so the caller keeps its records
         * dirty and saves them again later. */
        if (e != AUG_EFULL || attempt == 2 || store_map_grow(p->s) != AUG_OK)
            break;
    }
    return e;
}

typedef struct chunk {
    predict *p;
    const predict_touch *c;
    size_t n;
    const size_t *off, *len;
} chunk;

static aug_err put_chunk(void *arg, store_txn *txn)
{
    const chunk *ch = arg;
    aug_err e = AUG_OK;
    for (size_t i = 0; e == AUG_OK && i < ch->n; i++) {
        uint8_t k[STORE_BLOB_KEY_MAX];
        size_t kl = blob_key(ch->c[i].t, ch->c[i].g, k);
        e = store_blob_put(txn, (aug_bytes){k, kl}, (aug_bytes){ch->p->savebuf + ch->off[i], ch->len[i]});
    }
    return e;
}

/* Writes n groups in one transaction (a full map is grown and retried). The
 * records are encoded first: the write transaction, during which the ingest
 * writer waits on LMDB's writer lock, only copies bytes. */
static aug_err save_chunk(predict *p, const predict_touch *c, size_t n)
{
    size_t off[SAVE_BATCH], len[SAVE_BATCH], total = 0;
    aug_err e = AUG_OK;
    for (size_t i = 0; i < n && e == AUG_OK; i++) {
        off[i] = total;
        if ((e = encode_group(p, c[i].t, c[i].g, total, &len[i])) == AUG_OK)
            total += len[i];
    }
    if (e != AUG_OK)
        return e;
    chunk ch = {.p = p, .c = c, .n = n, .off = off, .len = len};
    return predict_write_txn(p, put_chunk, &ch);
}

/* Saves the groups that changed: all of them, or those with
 * PREDICT_SAVE_EVERY updates since their last save (note 8). */
static void save_groups(predict *p, bool all)
{
    size_t n = 0;
    for (size_t ti = 0; ti < p->nt; ti++) {
        for (size_t gi = 0; gi < p->t[ti]->ngroups; gi++) {
            predict_group *g = p->t[ti]->groups[gi];
            if (!g->dirty || (!all && g->since_save < PREDICT_SAVE_EVERY))
                continue;
            if (grow((void **)&p->saveq, &p->saveq_cap, n + 1, sizeof *p->saveq, SIZE_MAX / 32) != AUG_OK)
                break; /* the rest waits for the next pass */
            p->saveq[n++] = (predict_touch){p->t[ti], g};
        }
    }
    for (size_t i = 0; i < n; i += SAVE_BATCH) {
        size_t m = AUG_MIN((size_t)SAVE_BATCH, n - i);
        aug_err e = save_chunk(p, p->saveq + i, m);
        for (size_t j = i; j < i + m; j++) {
            p->saveq[j].g->since_save = 0; /* after a failure: retried after as many updates again */
            if (e == AUG_OK)
                p->saveq[j].g->dirty = false;
        }
        if (e == AUG_OK) {
            atomic_fetch_add(&p->st_saves, m);
            metrics_counter_add(p->m_saves, m);
        } else {
            metrics_counter_add(p->m_save_err, m);
            LOG_ERROR("predict", "cannot save forecast models", "count", LOG_I64(m), "err", aug_strerror(e));
        }
    }
}

/* ---- reload ---- */

static void recount(predict *p)
{
    uint64_t groups = 0;
    memset(p->state_count, 0, sizeof p->state_count);
    for (size_t ti = 0; ti < p->nt; ti++) {
        for (size_t gi = 0; gi < p->t[ti]->ngroups; gi++) {
            p->state_count[p->t[ti]->groups[gi]->state]++;
            groups++;
        }
    }
    atomic_store(&p->st_groups, groups);
}

static void set_uses(predict *p, const predict_tset *ts)
{
    bool minute = false, hour = false;
    for (size_t i = 0; i < ts->n; i++) {
        minute |= ts->t[i]->res == STORE_RES_MINUTE;
        hour |= ts->t[i]->res == STORE_RES_HOUR;
    }
    atomic_store(&p->uses_res[STORE_RES_MINUTE], minute);
    atomic_store(&p->uses_res[STORE_RES_HOUR], hour);
}

static void apply_reload(predict *p, predict_tset *ns, int64_t now)
{
    save_groups(p, true);
    for (size_t i = 0; i < ns->n; i++) {
        predict_target *nt = ns->t[i];
        for (size_t j = 0; j < p->nt; j++) {
            predict_target *ot = p->t[j];
            if (ot->groups == NULL || strcmp(ot->name, nt->name) != 0 || ot->fp != nt->fp)
                continue;
            nt->groups = ot->groups;
            nt->ngroups = ot->ngroups;
            nt->gcap = ot->gcap;
            nt->gslots = ot->gslots;
            nt->gmask = ot->gmask;
            ot->groups = NULL;
            ot->gslots = NULL;
            ot->ngroups = ot->gcap = 0;
            for (size_t g = 0; g < nt->ngroups; g++)
                nt->groups[g]->nmembers = 0;
        }
    }
    p->nmem = 0;
    p->nids = 0;
    if (p->mslots != NULL)
        memset(p->mslots, 0, (p->mmask + 1) * sizeof *p->mslots);
    p->scan_upto = 0;
    p->mem_warned = false;
    predict_scalers_carry(p->sc, p->nsc, ns->sc, ns->nsc);
    predict_scale_load(p, ns->sc, ns->nsc);
    pthread_rwlock_wrlock(&p->lock);
    predict_target **old = p->t;
    size_t nold = p->nt;
    predict_scaler **oldsc = p->sc;
    size_t noldsc = p->nsc;
    p->t = ns->t;
    p->nt = ns->n;
    p->sc = ns->sc;
    p->nsc = ns->nsc;
    pthread_rwlock_unlock(&p->lock);
    for (size_t i = 0; i < nold; i++)
        target_free(old[i]);
    aug_free(old);
    for (size_t i = 0; i < noldsc; i++)
        predict_scaler_free(oldsc[i]);
    aug_free(oldsc);
    set_uses(p, ns);
    aug_free(ns);
    recount(p);
    LOG_INFO("predict", "forecast targets reloaded", "targets", LOG_I64(p->nt));
    scan(p, now);
    predict_scale_seed(p, now);
}

/* ---- the thread ---- */

static void update_gauges(predict *p)
{
    metrics_gauge_set(p->m_groups, (double)atomic_load(&p->st_groups));
    for (int s = 0; s < 3; s++)
        metrics_gauge_set(p->m_state[s], (double)p->state_count[s]);
}

static void full_pass(predict *p, int64_t now)
{
    for (size_t ti = 0; ti < p->nt; ti++)
        for (size_t gi = 0; gi < p->t[ti]->ngroups; gi++)
            finalize_ready(p, p->t[ti], p->t[ti]->groups[gi], now);
    p->last_pass_ms = now;
}

static void *thread_main(void *arg)
{
    predict *p = arg;
    predict_event *batch = p->batch;
    pthread_mutex_lock(&p->qlock);
    int64_t (*nowf)(void *) = p->now;
    void *nowa = p->now_arg;
    pthread_mutex_unlock(&p->qlock);
    predict_scale_load(p, p->sc, p->nsc);
    int64_t start_ms = nowf(nowa);
    scan(p, start_ms);
    predict_scale_seed(p, start_ms);
    for (;;) {
        pthread_mutex_lock(&p->qlock);
        while (p->qlen == 0 && !p->stopping && p->reload == NULL && p->flush_req == p->flush_done) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += PASS_INTERVAL_MS / 1000;
            if (pthread_cond_timedwait(&p->qcv, &p->qlock, &ts) == ETIMEDOUT)
                break;
        }
        predict_tset *ns = p->reload;
        p->reload = NULL;
        size_t n = AUG_MIN(p->qlen, (size_t)BATCH);
        for (size_t i = 0; i < n; i++)
            batch[i] = p->q[(p->qhead + i) % PREDICT_QUEUE_MAX];
        p->qhead = (p->qhead + n) % PREDICT_QUEUE_MAX;
        p->qlen -= n;
        bool drained = p->qlen == 0;
        bool stop = p->stopping && drained;
        uint64_t freq = p->flush_req;
        bool flushing = drained && freq != p->flush_done;
        nowf = p->now;
        nowa = p->now_arg;
        pthread_mutex_unlock(&p->qlock);

        int64_t now = nowf(nowa);
        if (ns != NULL)
            apply_reload(p, ns, now);
        if (n > 0)
            scan(p, now); /* note 2: one read when no series is new */
        for (size_t i = 0; i < n; i++)
            process_event(p, &batch[i], now);
        atomic_fetch_add(&p->st_processed, n);
        for (size_t i = 0; i < p->ntouched; i++) {
            p->touched[i].g->touched = false;
            finalize_ready(p, p->touched[i].t, p->touched[i].g, now);
        }
        p->ntouched = 0;
        if (flushing || stop || now - p->last_pass_ms >= PASS_INTERVAL_MS)
            full_pass(p, now);
        bool decided = predict_scale_run(p, now);
        emit_flush(p);
        save_groups(p, stop);
        if (decided || stop)
            predict_scale_save(p);
        update_gauges(p);
        if (flushing) {
            pthread_mutex_lock(&p->qlock);
            p->flush_done = freq;
            pthread_cond_broadcast(&p->done_cv);
            pthread_mutex_unlock(&p->qlock);
        }
        if (stop)
            break;
    }
    return NULL;
}

/* ---- public API ---- */

void predict_on_bucket(void *arg, uint32_t id, store_res res, int64_t start_s, const store_rollup *r)
{
    predict *p = arg;
    if ((res != STORE_RES_MINUTE && res != STORE_RES_HOUR) || !atomic_load(&p->uses_res[res]))
        return;
    predict_event ev = {.id = id, .count = r->count, .res = res, .start_s = start_s, .sum = r->sum,
                        .increase = r->increase, .last = r->last, .t_ns = util_mono_ns()};
    pthread_mutex_lock(&p->qlock);
    if (p->qlen == PREDICT_QUEUE_MAX) {
        pthread_mutex_unlock(&p->qlock);
        atomic_fetch_add(&p->st_dropped, 1);
        metrics_counter_add(p->m_dropped, 1);
        return;
    }
    p->q[(p->qhead + p->qlen) % PREDICT_QUEUE_MAX] = ev;
    p->qlen++;
    pthread_cond_signal(&p->qcv);
    pthread_mutex_unlock(&p->qlock);
    atomic_fetch_add(&p->st_events, 1);
    metrics_counter_add(p->m_events, 1);
}

static double g_queue(void *arg)
{
    predict *p = arg;
    pthread_mutex_lock(&p->qlock);
    size_t n = p->qlen;
    pthread_mutex_unlock(&p->qlock);
    return (double)n;
}

static void register_metrics(predict *p, metrics_registry *reg)
{
    p->m_events = metrics_counter_get(reg, "augur_predict_events_total",
                                      "Closed buckets queued for the forecasters by the ingest hook.", NULL);
    p->m_dropped = metrics_counter_get(reg, "augur_predict_events_dropped_total",
                                       "Closed buckets dropped because the predict queue was full.", NULL);
    p->m_late = metrics_counter_get(reg, "augur_predict_late_buckets_total",
                                    "Input buckets that arrived after their group bucket was final (dropped).", NULL);
    p->m_refused = metrics_counter_get(reg, "augur_predict_groups_refused_total",
                                       "Input series not forecast because their target reached max_series.", NULL);
    p->m_members_refused = metrics_counter_get(
        reg, "augur_predict_members_refused_total",
        "Input series ignored because the membership table was full (" "1000000" ").", NULL);
    p->m_members = metrics_gauge_get(reg, "augur_predict_members", "Input series memberships tracked.", NULL);
    p->m_groups = metrics_gauge_get(reg, "augur_predict_groups", "Forecast groups (one model each).", NULL);
    static const char models_help[] = "Forecast models by state.";
    for (int s = 0; s < 3; s++) {
        char l[32];
        snprintf(l, sizeof l, "state=\"%s\"", state_names[s]);
        p->m_state[s] = metrics_gauge_get(reg, "augur_predict_models", models_help, l);
    }
    p->m_updates = metrics_counter_get(reg, "augur_predict_updates_total", "Model updates (final group buckets).",
                                       NULL);
    p->m_update_err = metrics_counter_get(reg, "augur_predict_update_errors_total",
                                          "Final group buckets a model refused (value out of range, already seen).",
                                          NULL);
    p->m_forced = metrics_counter_get(reg, "augur_predict_forced_final_total",
                                      "Group buckets made final because a group held too many open ones.", NULL);
    p->m_refits = metrics_counter_get(reg, "augur_predict_refits_total", "Model refits.", NULL);
    static const double refit_b[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    p->m_refit_s = metrics_histogram_get(reg, "augur_predict_refit_duration_seconds", "Time of one model refit.",
                                         NULL, refit_b, AUG_ARRAY_LEN(refit_b));
    static const double lat_b[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10, 30};
    p->m_latency_s = metrics_histogram_get(
        reg, "augur_predict_latency_seconds",
        "From the ingest commit that closed a bucket to its forecast points reaching the sink.", NULL, lat_b,
        AUG_ARRAY_LEN(lat_b));
    static const char pts_help[] = "Forecast points by outcome: emitted to the sink, or not emitted (too old, future).";
    p->m_points = metrics_counter_get(reg, "augur_predict_points_total", pts_help, "result=\"emitted\"");
    p->m_pts_old = metrics_counter_get(reg, "augur_predict_points_total", pts_help, "result=\"too_old\"");
    p->m_pts_future = metrics_counter_get(reg, "augur_predict_points_total", pts_help, "result=\"future\"");
    p->m_saves = metrics_counter_get(reg, "augur_predict_model_saves_total", "Models saved to the store.", NULL);
    p->m_save_err = metrics_counter_get(reg, "augur_predict_model_save_errors_total",
                                        "Model saves that failed (retried after more updates).", NULL);
    p->m_loads = metrics_counter_get(reg, "augur_predict_model_loads_total",
                                     "Models resumed from the store when their group was created.", NULL);
    p->m_sc_evals = metrics_counter_get(reg, "augur_scaler_evaluations_total",
                                        "Scaler decisions made (one per forecast update of its target).", NULL);
    p->m_sc_err = metrics_counter_get(reg, "augur_scaler_evaluation_errors_total",
                                      "Scaler evaluations the decision engine refused (logged).", NULL);
    p->m_sc_inputs_refused = metrics_counter_get(
        reg, "augur_scaler_inputs_refused_total",
        "Series matching a scaler input selector beyond the 64 summed per input (ignored).", NULL);
    p->m_sc_inputs_seeded = metrics_counter_get(
        reg, "augur_scaler_inputs_seeded_total",
        "Scaler input series given their newest stored bucket when the scaler was built (start, reload).", NULL);
    p->m_dec_err = metrics_counter_get(reg, "augur_scaler_decisions_log_errors_total",
                                       "Decisions that could not be appended to decisions.jsonl.", NULL);
    static const char hook_help[] = "Scaler webhook calls by result (after retries).";
    p->m_hook_ok = metrics_counter_get(reg, "augur_scaler_webhook_calls_total", hook_help, "result=\"ok\"");
    p->m_hook_fail = metrics_counter_get(reg, "augur_scaler_webhook_calls_total", hook_help, "result=\"failed\"");
    p->m_hook_dropped = metrics_counter_get(reg, "augur_scaler_webhook_calls_total", hook_help,
                                            "result=\"dropped\"");
    p->m_seeded = metrics_counter_get(reg, "augur_predict_seeded_buckets_total",
                                      "Stored buckets models learned before their first live one: a new "
                                      "model's history, a resumed model's gap.",
                                      NULL);
    p->m_seed_s = metrics_histogram_get(reg, "augur_predict_seed_duration_seconds",
                                        "Time of seeding one model from stored history or filling its gap (reads, "
                                        "updates, refit).",
                                        NULL, refit_b, AUG_ARRAY_LEN(refit_b));
    p->m_load_err = metrics_counter_get(reg, "augur_predict_model_load_errors_total",
                                        "Saved models that could not be read (the group starts cold).", NULL);
    static const char state_help[] =
        "Scaler decision states that could not be read (the scaler starts afresh) or saved (retried after its next "
        "evaluation and at shutdown).";
    p->m_sc_state_load_err = metrics_counter_get(reg, "augur_scaler_state_errors_total", state_help, "op=\"load\"");
    p->m_sc_state_save_err = metrics_counter_get(reg, "augur_scaler_state_errors_total", state_help, "op=\"save\"");
}

aug_err predict_open(store *s, const cfg_config *cfg, metrics_registry *reg, predict_sink sink, void *sink_arg,
                     predict **out, aug_errbuf *eb)
{
    predict_tset *ts = NULL;
    aug_err err = tset_build(cfg, &ts, eb);
    if (err != AUG_OK)
        return err;
    predict *p = aug_calloc(1, sizeof *p);
    if (p == NULL) {
        tset_free(ts);
        return AUG_ENOMEM;
    }
    p->s = s;
    p->sink = sink;
    p->sink_arg = sink_arg;
    p->now = default_now;
    atomic_store(&p->close_delay_ms, cfg->ingest.close_delay_ms);
    pthread_mutex_init(&p->qlock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->qcv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&p->done_cv, NULL);
    pthread_rwlock_init(&p->lock, NULL);
    p->t = ts->t;
    p->nt = ts->n;
    p->sc = ts->sc;
    p->nsc = ts->nsc;
    set_uses(p, ts);
    aug_free(ts);
    p->scratch_n = FC_MAX_HORIZON; /* any target, also after a reload */
    p->scratch = aug_malloc(p->scratch_n * sizeof *p->scratch);
    p->q = aug_malloc(PREDICT_QUEUE_MAX * sizeof *p->q);
    p->batch = aug_malloc(BATCH * sizeof *p->batch);
    p->pts = aug_malloc(EMIT_BATCH * sizeof *p->pts);
    p->ea = util_arena_new(EMIT_ARENA_CAP);
    if (p->scratch == NULL || p->q == NULL || p->batch == NULL || p->pts == NULL || p->ea == NULL) {
        predict_close(p);
        return AUG_ENOMEM;
    }
    register_metrics(p, reg);
    if (pthread_create(&p->thread, NULL, thread_main, p) != 0) {
        predict_close(p);
        return aug_errf(eb, AUG_ENOMEM, "cannot start the predict thread");
    }
    p->started = true;
    /* Registered last: the registry calls it with p until it is freed. */
    metrics_gauge_func(reg, "augur_predict_queue_events", "Closed buckets waiting for the predict thread.", NULL,
                       g_queue, p);
    *out = p;
    return AUG_OK;
}

aug_err predict_reload(predict *p, const cfg_config *cfg, aug_errbuf *eb)
{
    predict_tset *ts = NULL;
    aug_err err = tset_build(cfg, &ts, eb);
    if (err != AUG_OK)
        return err;
    atomic_store(&p->close_delay_ms, cfg->ingest.close_delay_ms);
    /* The hook filter widens now (a resolution a new target uses); it
     * narrows when the thread applies the set (set_uses in apply_reload).
     * Computed before posting: the thread frees ts once applied. */
    bool minute = false, hour = false;
    for (size_t i = 0; i < ts->n; i++) {
        minute |= ts->t[i]->res == STORE_RES_MINUTE;
        hour |= ts->t[i]->res == STORE_RES_HOUR;
    }
    if (minute)
        atomic_store(&p->uses_res[STORE_RES_MINUTE], true);
    if (hour)
        atomic_store(&p->uses_res[STORE_RES_HOUR], true);
    pthread_mutex_lock(&p->qlock);
    predict_tset *old = p->reload;
    p->reload = ts;
    pthread_cond_signal(&p->qcv);
    pthread_mutex_unlock(&p->qlock);
    tset_free(old);
    return AUG_OK;
}

void predict_flush(predict *p)
{
    pthread_mutex_lock(&p->qlock);
    uint64_t mine = ++p->flush_req;
    pthread_cond_signal(&p->qcv);
    while (p->started && p->flush_done < mine)
        pthread_cond_wait(&p->done_cv, &p->qlock);
    pthread_mutex_unlock(&p->qlock);
}

aug_err predict_set_decisions_dir(predict *p, const char *dir, int64_t max_bytes)
{
    if (max_bytes <= 0)
        return AUG_EINVAL;
    char *path = NULL;
    if (dir != NULL) {
        size_t n = strlen(dir) + sizeof "/decisions.jsonl";
        if ((path = aug_malloc(n)) == NULL)
            return AUG_ENOMEM;
        snprintf(path, n, "%s/decisions.jsonl", dir);
    }
    pthread_mutex_lock(&p->qlock);
    char *old = p->dec_path;
    p->dec_path = path;
    p->dec_max = max_bytes;
    pthread_mutex_unlock(&p->qlock);
    aug_free(old);
    return AUG_OK;
}

void predict_set_clock(predict *p, int64_t (*now_ms)(void *arg), void *arg)
{
    pthread_mutex_lock(&p->qlock);
    p->now = now_ms ? now_ms : default_now;
    p->now_arg = arg;
    pthread_mutex_unlock(&p->qlock);
}

void predict_stats_get(predict *p, predict_stats *out)
{
    *out = (predict_stats){
        .events = atomic_load(&p->st_events),
        .dropped = atomic_load(&p->st_dropped),
        .processed = atomic_load(&p->st_processed),
        .groups = atomic_load(&p->st_groups),
        .updates = atomic_load(&p->st_updates),
        .refits = atomic_load(&p->st_refits),
        .points = atomic_load(&p->st_points),
        .late = atomic_load(&p->st_late),
        .groups_refused = atomic_load(&p->st_refused),
        .saves = atomic_load(&p->st_saves),
        .loads = atomic_load(&p->st_loads),
        .seeded = atomic_load(&p->st_seeded),
    };
}

void predict_close(predict *p)
{
    if (p == NULL)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->qlock);
        p->stopping = true;
        pthread_cond_signal(&p->qcv);
        pthread_mutex_unlock(&p->qlock);
        pthread_join(p->thread, NULL);
    }
    predict_hook_stop(p);
    for (size_t i = 0; i < p->nt; i++)
        target_free(p->t[i]);
    aug_free(p->t);
    for (size_t i = 0; i < p->nsc; i++)
        predict_scaler_free(p->sc[i]);
    aug_free(p->sc);
    aug_free(p->dec_path);
    tset_free(p->reload);
    aug_free(p->mem);
    aug_free(p->mslots);
    aug_free(p->touched);
    aug_free(p->pts);
    util_arena_free(p->ea);
    aug_free(p->scratch);
    aug_free(p->savebuf);
    aug_free(p->q);
    aug_free(p->batch);
    aug_free(p->saveq);
    pthread_rwlock_destroy(&p->lock);
    pthread_cond_destroy(&p->qcv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->qlock);
    aug_free(p);
}
