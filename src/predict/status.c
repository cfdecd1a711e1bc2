/* status.c — what HTTP threads read from predict: forecast paths for
 * remote-read and the JSON fragment of /api/v1/status. Both run under
 * predict.lock held for reading and touch only published fields (pub_*,
 * path) and the immutable target definitions (predict.c invariant I6).
 */
#include "util/common.h"
#include "predict/predict_int.h"
#include "util/json.h"
#include "util/mem.h"

/* Cap of each status fragment; past it the fragment is AUG_ETOOBIG. */
#define JSON_MAX ((size_t)64 << 20)

/* ---- remote-read of forecast paths ---- */

static aug_str S(const char *s)
{
    return (aug_str){s, strlen(s)};
}

static bool is_name(aug_str s)
{
    return s.len == 8 && memcmp(s.p, "__name__", 8) == 0;
}

/* Which of a target's path names (mean, lower, upper) the name selector picks. */
static unsigned names_selected(const ingest_selector *ns, const predict_target *t)
{
    const char *names[3] = {t->n_path, t->n_path_lo, t->n_path_hi};
    unsigned mask = 0;
    for (unsigned j = 0; j < 3; j++) {
        aug_label l = {S("__name__"), S(names[j])};
        if (ingest_selector_match_labels(ns, &l, 1))
            mask |= 1u << j;
    }
    return mask;
}

static aug_err serve_group(const predict_target *t, const predict_group *g, unsigned mask, const ingest_selector *full,
                           int64_t start_ms, int64_t end_ms, predict_series_fn fn, void *arg, aug_label *lb,
                           aug_sample *sb)
{
    if (g->path_n <= 0)
        return AUG_OK;
    int64_t step = t->width_s * 1000;
    /* Point k is stamped base + k × step, k >= 1. Clients asking for
     * everything send the int64 extremes, so the offsets from base
     * saturate instead of overflowing. */
    int64_t from, to;
    if (__builtin_sub_overflow(start_ms, g->path_base_ms, &from))
        from = start_ms < 0 ? INT64_MIN : INT64_MAX;
    if (__builtin_sub_overflow(end_ms, g->path_base_ms, &to))
        to = end_ms < 0 ? INT64_MIN : INT64_MAX;
    int64_t kmin = AUG_MAX((int64_t)1, util_ceil_div(from, step));
    int64_t kmax = AUG_MIN((int64_t)g->path_n, util_floor_div(to, step));
    if (kmin > kmax)
        return AUG_OK;
    static const char *const intervals[2] = {"80", "95"};
    for (unsigned j = 0; j < 3; j++) {
        if (!(mask & (1u << j)))
            continue;
        const char *name = j == 0 ? t->n_path : j == 1 ? t->n_path_lo : t->n_path_hi;
        for (int iv = 0; iv < (j == 0 ? 1 : 2); iv++) {
            aug_label ex[2] = {{S("__name__"), S(name)}, {S("interval"), S(intervals[iv])}};
            size_t nl = predict_labels_merge(g->labels, g->nlabels, ex, j == 0 ? 1 : 2, lb);
            if (!ingest_selector_match_labels(full, lb, nl))
                continue;
            size_t ns = 0;
            for (int64_t k = kmin; k <= kmax; k++) {
                const fc_forecast *f = &g->path[k - 1];
                double v = j == 0 ? f->mean : j == 1 ? (iv == 0 ? f->lo80 : f->lo95) : (iv == 0 ? f->hi80 : f->hi95);
                sb[ns++] = (aug_sample){g->path_base_ms + k * step, v};
            }
            aug_err e = fn(arg, lb, nl, sb, ns);
            if (e != AUG_OK)
                return e;
        }
    }
    return AUG_OK;
}

aug_err predict_read(predict *p, const wire_matcher *m, size_t n, int64_t start_ms, int64_t end_ms,
                     predict_series_fn fn, void *arg, bool *handled, aug_errbuf *eb)
{
    *handled = false;
    wire_matcher nm[INGEST_SELECTOR_MAX_MATCHERS];
    size_t nn = 0;
    for (size_t i = 0; i < n && nn < AUG_ARRAY_LEN(nm); i++)
        if (is_name(m[i].name))
            nm[nn++] = m[i];
    if (nn == 0)
        return AUG_OK; /* Prometheus always sends __name__; without one this is not a path query */
    ingest_selector *ns = NULL, *full = NULL;
    aug_err e = ingest_selector_from_matchers(nm, nn, &ns, eb);
    if (e != AUG_OK)
        return e;
    pthread_rwlock_rdlock(&p->lock);
    unsigned *masks = aug_calloc(p->nt ? p->nt : 1, sizeof *masks);
    size_t maxl = 0;
    int32_t maxh = 1;
    if (masks == NULL) {
        e = AUG_ENOMEM;
        goto out;
    }
    for (size_t ti = 0; ti < p->nt; ti++) {
        masks[ti] = names_selected(ns, p->t[ti]);
        if (masks[ti] == 0)
            continue;
        *handled = true;
        maxh = AUG_MAX(maxh, p->t[ti]->H);
        for (size_t gi = 0; gi < p->t[ti]->ngroups; gi++)
            maxl = AUG_MAX(maxl, p->t[ti]->groups[gi]->nlabels);
    }
    if (!*handled)
        goto out;
    if ((e = ingest_selector_from_matchers(m, n, &full, eb)) != AUG_OK)
        goto out;
    aug_label *lb = aug_malloc((maxl + 2) * sizeof *lb);
    aug_sample *sb = aug_malloc((size_t)maxh * sizeof *sb);
    if (lb == NULL || sb == NULL)
        e = AUG_ENOMEM;
    for (size_t ti = 0; e == AUG_OK && ti < p->nt; ti++) {
        if (masks[ti] == 0)
            continue;
        const predict_target *t = p->t[ti];
        for (size_t gi = 0; e == AUG_OK && gi < t->ngroups; gi++)
            e = serve_group(t, t->groups[gi], masks[ti], full, start_ms, end_ms, fn, arg, lb, sb);
    }
    aug_free(lb);
    aug_free(sb);
out:
    pthread_rwlock_unlock(&p->lock);
    aug_free(masks);
    ingest_selector_free(ns);
    ingest_selector_free(full);
    return e;
}

/* ---- /api/v1/status ---- */

static const char *const model_names[] = {"auto", "naive", "seasonal_naive", "holt", "holt_winters"};

static void target_json(util_json_buf *b, const predict_target *t, size_t max_groups)
{
    util_json_buf_lit(b, "{\"name\":");
    util_json_buf_cstr(b, t->name);
    util_json_buf_lit(b, ",\"selector\":");
    util_json_buf_cstr(b, t->sel_text);
    util_json_buf_fmt(b, ",\"rate\":%s,\"aggregate\":", t->rate ? "true" : "false");
    util_json_buf_cstr(b, t->agg_text);
    char season[32];
    cfg_format_duration(t->par.season_s * 1000, season, sizeof season);
    util_json_buf_fmt(b, ",\"resolution\":\"%s\",\"model\":\"%s\",\"season\":\"%s\",\"horizons\":[",
                      t->res == STORE_RES_HOUR ? "hour" : "minute",
                      (unsigned)t->model < AUG_ARRAY_LEN(model_names) ? model_names[t->model] : "?", season);
    for (int32_t i = 0; i < t->nh; i++) {
        util_json_buf_lit(b, i ? "," : "");
        util_json_buf_cstr(b, t->hname[i]);
    }
    size_t by_state[3] = {0, 0, 0};
    for (size_t gi = 0; gi < t->ngroups; gi++)
        by_state[t->groups[gi]->pub_state]++;
    util_json_buf_fmt(b, "],\"max_series\":%" PRId64 ",\"groups\":%zu,\"groups_refused\":%" PRIu64, t->max_groups, t->ngroups,
           t->refused);
    util_json_buf_fmt(b, ",\"models\":{\"cold\":%zu,\"warming\":%zu,\"ready\":%zu},\"series\":[", by_state[0], by_state[1],
           by_state[2]);
    size_t shown = AUG_MIN(t->ngroups, max_groups);
    for (size_t gi = 0; gi < shown; gi++) {
        const predict_group *g = t->groups[gi];
        util_json_buf_lit(b, gi ? ",{\"labels\":{" : "{\"labels\":{");
        for (size_t i = 0; i < g->nlabels; i++) {
            util_json_buf_lit(b, i ? "," : "");
            util_json_buf_str(b, g->labels[i].name.p, g->labels[i].name.len);
            util_json_buf_lit(b, ":");
            util_json_buf_str(b, g->labels[i].value.p, g->labels[i].value.len);
        }
        util_json_buf_lit(b, "},\"state\":");
        util_json_buf_cstr(b, fc_state_name(g->pub_state));
        util_json_buf_lit(b, ",\"reason\":");
        util_json_buf_cstr(b, g->pub_reason);
        util_json_buf_fmt(b, ",\"points\":%" PRId64 ",\"seeded\":%" PRId64 ",\"refits\":%" PRId64 ",\"last_bucket\":",
                          g->pub_points, g->pub_seeded, g->pub_refits);
        if (g->pub_last_bucket_s == INT64_MIN)
            util_json_buf_lit(b, "null");
        else
            util_json_buf_fmt(b, "%" PRId64, g->pub_last_bucket_s);
        util_json_buf_lit(b, ",\"forecast_until\":");
        if (g->path_n > 0)
            util_json_buf_fmt(b, "%" PRId64, (g->path_base_ms + (int64_t)g->path_n * t->width_s * 1000) / 1000);
        else
            util_json_buf_lit(b, "null");
        util_json_buf_lit(b, ",\"error\":{");
        for (int32_t i = 0; i < t->nh; i++) {
            util_json_buf_lit(b, i ? "," : "");
            util_json_buf_cstr(b, t->hname[i]);
            util_json_buf_lit(b, ":");
            util_json_buf_num(b, g->pub_err[i]);
        }
        util_json_buf_lit(b, "},\"anomaly_score\":");
        util_json_buf_num(b, g->pub_anomaly);
        util_json_buf_lit(b, "}");
    }
    util_json_buf_fmt(b, "],\"series_truncated\":%s}", shown < t->ngroups ? "true" : "false");
}

aug_err predict_status_json(predict *p, size_t max_groups, char **out, size_t *len)
{
    util_json_buf b = {.max = JSON_MAX};
    util_json_buf_lit(&b, "[");
    pthread_rwlock_rdlock(&p->lock);
    for (size_t ti = 0; ti < p->nt; ti++) {
        util_json_buf_lit(&b, ti ? "," : "");
        target_json(&b, p->t[ti], max_groups);
    }
    pthread_rwlock_unlock(&p->lock);
    util_json_buf_lit(&b, "]");
    return util_json_buf_take(&b, out, len);
}

/* ---- /api/v1/status: scalers ---- */

static const char *const scaler_modes[] = {"utilization", "queue"};

aug_err predict_scalers_json(predict *p, char **out, size_t *len)
{
    util_json_buf b = {.max = JSON_MAX};
    util_json_buf_lit(&b, "[");
    pthread_rwlock_rdlock(&p->lock);
    for (size_t i = 0; i < p->nsc; i++) {
        const predict_scaler *sc = p->sc[i];
        util_json_buf_lit(&b, i ? ",{\"name\":" : "{\"name\":");
        util_json_buf_cstr(&b, sc->name);
        util_json_buf_fmt(&b, ",\"mode\":\"%s\",\"shadow\":%s,\"forecast\":", scaler_modes[sc->mode],
               sc->shadow ? "true" : "false");
        util_json_buf_cstr(&b, sc->t->name);
        util_json_buf_fmt(&b, ",\"webhook\":%s", sc->webhook_url != NULL ? "true" : "false");
        if (sc->pub_eval_s == INT64_MIN) {
            util_json_buf_lit(&b, ",\"current\":null,\"desired\":null,\"action\":null,\"fell_back\":null,"
                       "\"floor\":null,\"predicted_peak\":null,\"last_evaluation\":null");
        } else {
            util_json_buf_fmt(&b, ",\"current\":%" PRId32 ",\"desired\":%" PRId32 ",\"action\":\"%s\",\"fell_back\":%s",
                   sc->pub_current, sc->pub_desired, decide_action_name(sc->pub_action),
                   sc->pub_fell_back ? "true" : "false");
            if (sc->pub_floor >= 0)
                util_json_buf_fmt(&b, ",\"floor\":%" PRId32, sc->pub_floor);
            else
                util_json_buf_lit(&b, ",\"floor\":null");
            util_json_buf_lit(&b, ",\"predicted_peak\":");
            util_json_buf_num(&b, sc->pub_peak);
            util_json_buf_fmt(&b, ",\"last_evaluation\":%" PRId64, sc->pub_eval_s);
        }
        util_json_buf_lit(&b, ",\"reason\":");
        util_json_buf_cstr(&b, sc->pub_reason);
        util_json_buf_lit(&b, "}");
    }
    pthread_rwlock_unlock(&p->lock);
    util_json_buf_lit(&b, "]");
    return util_json_buf_take(&b, out, len);
}
