/* read.c — POST /api/v1/read (remote-read, SAMPLES responses).
 *
 * What is served (DESIGN §2): the rollups of kept series under their own
 * names plus one label rollup="<aggregate>", chosen by a matcher on that
 * label (avg when absent), so they never merge with Prometheus' raw series.
 * Minute buckets inside the minute retention, hour buckets before it or when
 * the query's step hint is >= 1h. A bucket [s, s+w) is served as one sample
 * stamped s+w-1ms: inside its own bucket, and visible to an instant query at
 * the bucket's end.
 *
 * Forecast paths: a query whose __name__ matchers select
 * ai_<name>_forecast_path, _path_lower or _path_upper of a configured
 * forecast is answered by predict alone (predict_read: the latest forecast of
 * each group at its future timestamps), not from rollups.
 *
 * Limits: a query matching more than web.read_max_series series, or a
 * response over web.read_max_points samples, is refused with 413 and a
 * reason; nothing is accumulated past the limit.
 */
#include "util/common.h"
#include "http/handlers.h"
#include "http/http.h"
#include "ingest/selector.h"
#include "util/arena.h"
#include "util/mem.h"
#include "util/time.h"

typedef enum agg { AGG_AVG, AGG_MIN, AGG_MAX, AGG_LAST, AGG_COUNT, AGG_SUM, AGG_RATE, AGG__N } agg;
static const char *const agg_names[AGG__N] = {"avg", "min", "max", "last", "count", "sum", "rate"};

static double agg_value(agg a, const store_rollup *r, int64_t width_s)
{
    switch (a) {
    case AGG_AVG: return r->sum / (double)r->count;
    case AGG_MIN: return r->min;
    case AGG_MAX: return r->max;
    case AGG_LAST: return r->last;
    case AGG_COUNT: return (double)r->count;
    case AGG_SUM: return r->sum;
    case AGG_RATE: return r->increase / (double)width_s;
    case AGG__N: break;
    }
    return (double)NAN;
}

typedef struct query_plan {
    bool aggs[AGG__N];
    bool empty;               /* the rollup matcher selects no aggregate */
    wire_matcher *matchers;   /* without the rollup matcher */
    size_t nmatchers;
    ingest_selector *sel;
} query_plan;

static aug_err plan_query(util_arena *a, const wire_query *q, query_plan *p, aug_errbuf *eb)
{
    memset(p, 0, sizeof *p);
    p->matchers = util_arena_alloc(a, (q->nmatchers + 1) * sizeof *p->matchers);
    if (p->matchers == NULL)
        return AUG_ENOMEM;
    const wire_matcher *rollup = NULL;
    for (size_t i = 0; i < q->nmatchers; i++) {
        const wire_matcher *m = &q->matchers[i];
        if (m->name.len == 6 && memcmp(m->name.p, "rollup", 6) == 0) {
            if (rollup != NULL)
                return aug_errf(eb, AUG_EINVAL, "more than one matcher on the rollup label");
            rollup = m;
        } else {
            p->matchers[p->nmatchers++] = *m;
        }
    }
    if (rollup == NULL) {
        p->aggs[AGG_AVG] = true;
    } else {
        ingest_selector *rs = NULL;
        aug_err err = ingest_selector_from_matchers(rollup, 1, &rs, eb);
        if (err != AUG_OK)
            return err;
        bool any = false;
        for (int i = 0; i < AGG__N; i++) {
            aug_label l = {{"rollup", 6}, {agg_names[i], strlen(agg_names[i])}};
            p->aggs[i] = ingest_selector_match_labels(rs, &l, 1);
            any |= p->aggs[i];
        }
        ingest_selector_free(rs);
        /* e.g. rollup="" (Prometheus' own raw series): nothing from augur. */
        p->empty = !any;
    }
    return ingest_selector_from_matchers(p->matchers, p->nmatchers, &p->sel, eb);
}

/* Inserts rollup="<agg>" at its sorted position into a copy of labels. */
static aug_label *with_rollup(util_arena *a, const aug_label *l, size_t n, agg ag)
{
    aug_label *o = util_arena_alloc(a, (n + 1) * sizeof *o);
    if (o == NULL)
        return NULL;
    size_t k = 0, i = 0;
    aug_label rl = {{"rollup", 6}, {agg_names[ag], strlen(agg_names[ag])}};
    bool placed = false;
    for (; i < n; i++) {
        size_t m = AUG_MIN(l[i].name.len, (size_t)6);
        int c = memcmp(l[i].name.p, "rollup", m);
        if (!placed && (c > 0 || (c == 0 && l[i].name.len > 6))) {
            o[k++] = rl;
            placed = true;
        }
        o[k++] = l[i];
    }
    if (!placed)
        o[k++] = rl;
    return o;
}

/* Picks the candidate ids: the smallest posting list among the equality
 * matchers with a non-empty value. *ids is replaced by an arena array. */
static aug_err candidates(util_arena *a, store_txn *t, const query_plan *p, size_t cap, uint32_t **ids,
                          size_t *n, aug_errbuf *eb)
{
    uint32_t *best = NULL, *tmp = util_arena_alloc(a, (cap ? cap : 1) * sizeof *tmp);
    size_t nbest = 0;
    bool any_eq = false;
    if (tmp == NULL)
        return AUG_ENOMEM;
    for (size_t i = 0; i < p->nmatchers; i++) {
        const wire_matcher *m = &p->matchers[i];
        if (m->type != WIRE_MATCH_EQ || m->value.len == 0)
            continue;
        any_eq = true;
        size_t cnt = 0;
        aug_err err = store_postings_get(t, m->name, m->value, tmp, cap, &cnt);
        if (err == AUG_ETOOBIG)
            continue;
        if (err != AUG_OK)
            return err;
        if (best == NULL || cnt < nbest) {
            uint32_t *swap = best ? best : util_arena_alloc(a, (cap ? cap : 1) * sizeof *swap);
            if (swap == NULL)
                return AUG_ENOMEM;
            best = tmp;
            tmp = swap;
            nbest = cnt;
        }
    }
    if (best == NULL) {
        if (any_eq)
            return aug_errf(eb, AUG_ETOOBIG, "query matches more than %zu series (web.read_max_series)", cap);
        return aug_errf(eb, AUG_EINVAL,
                        "remote-read query needs an equality matcher with a non-empty value, e.g. __name__");
    }
    *ids = best;
    *n = nbest;
    return AUG_OK;
}

typedef struct span {
    store_res res;
    int64_t width_s;
    int64_t from_ms, to_ms; /* sample timestamps served, inclusive */
} span;

/* Minute buckets inside the minute retention, hour buckets before it. The
 * hour holding the boundary is served whole, as an hour: its minutes
 * before the boundary are deleted by retention, so ending the hours before
 * it and starting the minutes at the boundary left up to an hour of data
 * unserved. The minutes start after that hour (its stamp + 1 ms). */
static size_t plan_spans(const wire_query *q, int64_t minute_floor_ms, span out[2])
{
    size_t n = 0;
    if (q->step_ms >= 3600 * 1000 || q->end_ms < minute_floor_ms) {
        out[n++] = (span){STORE_RES_HOUR, 3600, q->start_ms, q->end_ms};
        return n;
    }
    int64_t minute_from = AUG_MAX(q->start_ms, minute_floor_ms);
    if (q->start_ms < minute_floor_ms) {
        /* stamp of the hour bucket holding the last ms before the boundary */
        int64_t hour_to = util_floor_div(minute_floor_ms - 1, 3600 * 1000) * 3600 * 1000 + 3600 * 1000 - 1;
        hour_to = AUG_MIN(hour_to, q->end_ms);
        out[n++] = (span){STORE_RES_HOUR, 3600, q->start_ms, hour_to};
        minute_from = AUG_MAX(minute_from, hour_to + 1);
    }
    out[n++] = (span){STORE_RES_MINUTE, 60, minute_from, q->end_ms};
    return n;
}

typedef struct read_ctx {
    util_arena *a;
    store_txn *t;
    wire_read_resp *resp;
    size_t max_points;
    size_t points;
    aug_sample *buf;
    size_t buf_cap;
    /* forecast paths (predict_read's callback) */
    size_t qi;
    size_t max_series, series;
    aug_errbuf *eb;
} read_ctx;

static aug_err add_path(void *arg, const aug_label *labels, size_t nlabels, const aug_sample *samples, size_t n)
{
    read_ctx *rc = arg;
    if (++rc->series > rc->max_series)
        return aug_errf(rc->eb, AUG_ETOOBIG, "query matches more than %zu series (web.read_max_series)",
                        rc->max_series);
    if (rc->points + n > rc->max_points)
        return aug_errf(rc->eb, AUG_ETOOBIG, "response would exceed %zu samples (web.read_max_points)",
                        rc->max_points);
    aug_err err = wire_read_resp_add(rc->resp, rc->qi, labels, nlabels, samples, n);
    if (err != AUG_OK)
        return err == AUG_ETOOBIG ? aug_errf(rc->eb, err, "response too large") : err;
    rc->points += n;
    return AUG_OK;
}

static aug_err serve_series(read_ctx *rc, size_t qi, uint32_t id, const aug_label *labels, size_t nlabels,
                            const query_plan *p, const span *spans, size_t nspans, aug_errbuf *eb)
{
    for (int ag = 0; ag < AGG__N; ag++) {
        if (!p->aggs[ag])
            continue;
        size_t n = 0;
        for (size_t s = 0; s < nspans; s++) {
            const span *sp = &spans[s];
            if (sp->from_ms > sp->to_ms)
                continue;
            /* Bucket [b, b+w) is stamped (b+w)*1000-1. A range ending at
             * INT64_MAX ("everything", as some clients ask) must not wrap
             * to a negative bound and select nothing: +1 saturates. */
            int64_t from1 = sp->from_ms < INT64_MAX ? sp->from_ms + 1 : INT64_MAX;
            int64_t to1 = sp->to_ms < INT64_MAX ? sp->to_ms + 1 : INT64_MAX;
            int64_t from_s = util_floor_div(from1, 1000 * sp->width_s) * sp->width_s - sp->width_s;
            int64_t to_s = util_floor_div(to1, 1000 * sp->width_s) * sp->width_s + sp->width_s;
            store_rollup_iter *it = NULL;
            aug_err err = store_rollup_iter_open(rc->t, id, sp->res, from_s, to_s, &it);
            if (err != AUG_OK)
                return err;
            int64_t start;
            store_rollup r;
            while ((err = store_rollup_iter_next(it, &start, &r)) == AUG_OK) {
                int64_t ts = (start + sp->width_s) * 1000 - 1;
                if (ts < sp->from_ms || ts > sp->to_ms || r.count == 0)
                    continue;
                if (rc->points + n >= rc->max_points) {
                    store_rollup_iter_close(it);
                    return aug_errf(eb, AUG_ETOOBIG, "response would exceed %zu samples (web.read_max_points)",
                                    rc->max_points);
                }
                if (n == rc->buf_cap) {
                    size_t ncap = rc->buf_cap ? rc->buf_cap * 2 : 1024;
                    aug_sample *nb = util_arena_alloc(rc->a, ncap * sizeof *nb);
                    if (nb == NULL) {
                        store_rollup_iter_close(it);
                        return AUG_ENOMEM;
                    }
                    if (n)
                        memcpy(nb, rc->buf, n * sizeof *nb);
                    rc->buf = nb;
                    rc->buf_cap = ncap;
                }
                rc->buf[n].ts_ms = ts;
                rc->buf[n].value = agg_value((agg)ag, &r, sp->width_s);
                n++;
            }
            store_rollup_iter_close(it);
            if (err != AUG_ENOTFOUND)
                return err;
        }
        if (n == 0)
            continue;
        aug_label *ol = with_rollup(rc->a, labels, nlabels, (agg)ag);
        if (ol == NULL)
            return AUG_ENOMEM;
        aug_err err = wire_read_resp_add(rc->resp, qi, ol, nlabels + 1, rc->buf, n);
        if (err != AUG_OK)
            return err == AUG_ETOOBIG ? aug_errf(eb, err, "response too large") : err;
        rc->points += n;
    }
    return AUG_OK;
}

static aug_err run_query(read_ctx *rc, predict *pr, const server_cfg *c, size_t qi, const wire_query *q,
                         int64_t now_ms, aug_errbuf *eb)
{
    if (pr != NULL) {
        bool handled = false;
        rc->qi = qi;
        rc->max_series = c->read_max_series;
        rc->series = 0;
        rc->eb = eb;
        aug_err perr = predict_read(pr, q->matchers, q->nmatchers, q->start_ms, q->end_ms, add_path, rc, &handled,
                                    eb);
        if (perr != AUG_OK || handled)
            return perr;
    }
    query_plan p;
    aug_err err = plan_query(rc->a, q, &p, eb);
    if (err != AUG_OK || p.empty) {
        ingest_selector_free(p.sel);
        return err;
    }
    uint32_t *ids = NULL;
    size_t nids = 0;
    err = candidates(rc->a, rc->t, &p, c->read_max_series, &ids, &nids, eb);
    span spans[2];
    size_t nspans = plan_spans(q, now_ms - c->minute_retention_s * 1000, spans);
    for (size_t i = 0; i < nids && err == AUG_OK; i++) {
        aug_bytes key;
        err = store_series_get(rc->t, ids[i], &key);
        if (err != AUG_OK)
            break;
        if (!ingest_selector_match_key(p.sel, key))
            continue;
        aug_label *labels;
        size_t nlabels;
        if ((err = wire_key_labels(rc->a, key, 1, &labels, &nlabels)) != AUG_OK)
            break;
        err = serve_series(rc, qi, ids[i], labels, nlabels, &p, spans, nspans, eb);
    }
    ingest_selector_free(p.sel);
    return err;
}

void http_handle_read(http_ctx *hc, http_reply *r)
{
    if (!http_check_protobuf_snappy(hc, r, "prometheus.ReadRequest"))
        return;
    augur_server *srv = hc->srv;
    server_cfg *c = server_cfg_acquire(srv);
    util_arena *a = util_arena_new((size_t)1 << 30);
    store_txn *t = NULL;
    aug_errbuf eb = {{0}};
    aug_err err = a ? AUG_OK : AUG_ENOMEM;
    wire_read_req req;
    if (err == AUG_OK)
        err = wire_read_decode(a, hc->body, &c->wire, &req, &eb);
    if (err == AUG_OK && !req.accepts_samples)
        err = aug_errf(&eb, AUG_EUNSUPPORTED, "only the SAMPLES response type is supported");
    read_ctx rc = {.a = a, .max_points = c->read_max_points};
    if (err == AUG_OK)
        err = wire_read_resp_new(a, req.nqueries, c->read_max_bytes, &rc.resp);
    if (err == AUG_OK)
        err = store_txn_begin(srv->store, false, &t);
    rc.t = t;
    int64_t now_ms = util_now_ms();
    for (size_t i = 0; err == AUG_OK && i < req.nqueries; i++)
        err = run_query(&rc, srv->predict, c, i, &req.queries[i], now_ms, &eb);
    if (t != NULL)
        store_txn_abort(t);
    aug_bytes out = {0};
    if (err == AUG_OK)
        err = wire_read_resp_finish(rc.resp, &out);
    if (err != AUG_OK) {
        http_reply_text(r, http_status_for(err), "remote-read: %s", aug_errmsg(&eb, err));
    } else {
        void *body = aug_malloc(out.len ? out.len : 1);
        if (body == NULL) {
            http_reply_text(r, 503, "out of memory");
        } else {
            memcpy(body, out.p, out.len);
            r->status = 200;
            r->content_type = "application/x-protobuf";
            r->content_encoding = "snappy";
            r->body = body;
            r->len = out.len;
            r->owned = true;
        }
    }
    server_cfg_release(srv, c);
    util_arena_free(a);
}
