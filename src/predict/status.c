/* status.c — what HTTP threads read from predict: forecast paths for
 * remote-read and the JSON fragment of /api/v1/status. Both run under
 * predict.lock held for reading and touch only published fields (pub_*,
 * path) and the immutable target definitions (predict.c invariant I6).
 */
#include "util/common.h"
#include "predict/predict_int.h"
#include "util/mem.h"

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

static int64_t ceil_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a > 0) == (b > 0)) ? q + 1 : q;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static aug_err serve_group(const predict_target *t, const predict_group *g, unsigned mask, const ingest_selector *full,
                           int64_t start_ms, int64_t end_ms, predict_series_fn fn, void *arg, aug_label *lb,
                           aug_sample *sb)
{
    if (g->path_n <= 0)
        return AUG_OK;
    int64_t step = t->width_s * 1000;
    int64_t kmin = AUG_MAX((int64_t)1, ceil_div(start_ms - g->path_base_ms, step));
    int64_t kmax = AUG_MIN((int64_t)g->path_n, floor_div(end_ms - g->path_base_ms, step));
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

typedef struct jb {
    char *p;
    size_t len, cap;
    bool failed;
} jb;

static void jb_add(jb *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *np = ncap <= JSON_MAX ? aug_realloc(b->p, ncap) : NULL;
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void jb_lit(jb *b, const char *s)
{
    jb_add(b, s, strlen(s));
}

static void jb_fmt(jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_fmt(jb *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        jb_add(b, tmp, AUG_MIN((size_t)n, sizeof tmp - 1));
}

static void jb_str(jb *b, const char *s, size_t n)
{
    jb_lit(b, "\"");
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jb_add(b, s + run, i - run);
        run = i + 1;
        if (c == '"')
            jb_lit(b, "\\\"");
        else if (c == '\\')
            jb_lit(b, "\\\\");
        else if (c == '\n')
            jb_lit(b, "\\n");
        else
            jb_fmt(b, "\\u%04x", c);
    }
    jb_add(b, s + run, n - run);
    jb_lit(b, "\"");
}

static void jb_cstr(jb *b, const char *s)
{
    jb_str(b, s, strlen(s));
}

static void jb_num(jb *b, double v)
{
    if (isfinite(v))
        jb_fmt(b, "%.6g", v);
    else
        jb_lit(b, "null");
}

static const char *const model_names[] = {"auto", "naive", "seasonal_naive", "holt", "holt_winters"};

static void target_json(jb *b, const predict_target *t, size_t max_groups)
{
    jb_lit(b, "{\"name\":");
    jb_cstr(b, t->name);
    jb_lit(b, ",\"selector\":");
    jb_cstr(b, t->sel_text);
    jb_fmt(b, ",\"rate\":%s,\"aggregate\":", t->rate ? "true" : "false");
    jb_cstr(b, t->agg_text);
    char season[32];
    cfg_format_duration(t->par.season_s * 1000, season, sizeof season);
    jb_fmt(b, ",\"resolution\":\"%s\",\"model\":\"%s\",\"season\":\"%s\",\"horizons\":[",
           t->res == STORE_RES_HOUR ? "hour" : "minute",
           (unsigned)t->model < AUG_ARRAY_LEN(model_names) ? model_names[t->model] : "?", season);
    for (int32_t i = 0; i < t->nh; i++) {
        jb_lit(b, i ? "," : "");
        jb_cstr(b, t->hname[i]);
    }
    size_t by_state[3] = {0, 0, 0};
    for (size_t gi = 0; gi < t->ngroups; gi++)
        by_state[t->groups[gi]->pub_state]++;
    jb_fmt(b, "],\"max_series\":%" PRId64 ",\"groups\":%zu,\"groups_refused\":%" PRIu64, t->max_groups, t->ngroups,
           t->refused);
    jb_fmt(b, ",\"models\":{\"cold\":%zu,\"warming\":%zu,\"ready\":%zu},\"series\":[", by_state[0], by_state[1],
           by_state[2]);
    size_t shown = AUG_MIN(t->ngroups, max_groups);
    for (size_t gi = 0; gi < shown; gi++) {
        const predict_group *g = t->groups[gi];
        jb_lit(b, gi ? ",{\"labels\":{" : "{\"labels\":{");
        for (size_t i = 0; i < g->nlabels; i++) {
            jb_lit(b, i ? "," : "");
            jb_str(b, g->labels[i].name.p, g->labels[i].name.len);
            jb_lit(b, ":");
            jb_str(b, g->labels[i].value.p, g->labels[i].value.len);
        }
        jb_lit(b, "},\"state\":");
        jb_cstr(b, fc_state_name(g->pub_state));
        jb_lit(b, ",\"reason\":");
        jb_cstr(b, g->pub_reason);
        jb_fmt(b, ",\"points\":%" PRId64 ",\"refits\":%" PRId64 ",\"last_bucket\":", g->pub_points, g->pub_refits);
        if (g->pub_last_bucket_s == INT64_MIN)
            jb_lit(b, "null");
        else
            jb_fmt(b, "%" PRId64, g->pub_last_bucket_s);
        jb_lit(b, ",\"forecast_until\":");
        if (g->path_n > 0)
            jb_fmt(b, "%" PRId64, (g->path_base_ms + (int64_t)g->path_n * t->width_s * 1000) / 1000);
        else
            jb_lit(b, "null");
        jb_lit(b, ",\"error\":{");
        for (int32_t i = 0; i < t->nh; i++) {
            jb_lit(b, i ? "," : "");
            jb_cstr(b, t->hname[i]);
            jb_lit(b, ":");
            jb_num(b, g->pub_err[i]);
        }
        jb_lit(b, "},\"anomaly_score\":");
        jb_num(b, g->pub_anomaly);
        jb_lit(b, "}");
    }
    jb_fmt(b, "],\"series_truncated\":%s}", shown < t->ngroups ? "true" : "false");
}

aug_err predict_status_json(predict *p, size_t max_groups, char **out, size_t *len)
{
    jb b = {0};
    jb_lit(&b, "[");
    pthread_rwlock_rdlock(&p->lock);
    for (size_t ti = 0; ti < p->nt; ti++) {
        jb_lit(&b, ti ? "," : "");
        target_json(&b, p->t[ti], max_groups);
    }
    pthread_rwlock_unlock(&p->lock);
    jb_lit(&b, "]");
    if (b.failed) {
        aug_free(b.p);
        return AUG_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return AUG_OK;
}

/* ---- /api/v1/status: scalers ---- */

static const char *const scaler_modes[] = {"utilization", "queue"};

aug_err predict_scalers_json(predict *p, char **out, size_t *len)
{
    jb b = {0};
    jb_lit(&b, "[");
    pthread_rwlock_rdlock(&p->lock);
    for (size_t i = 0; i < p->nsc; i++) {
        const predict_scaler *sc = p->sc[i];
        jb_lit(&b, i ? ",{\"name\":" : "{\"name\":");
        jb_cstr(&b, sc->name);
        jb_fmt(&b, ",\"mode\":\"%s\",\"shadow\":%s,\"forecast\":", scaler_modes[sc->mode],
               sc->shadow ? "true" : "false");
        jb_cstr(&b, sc->t->name);
        jb_fmt(&b, ",\"webhook\":%s", sc->webhook_url != NULL ? "true" : "false");
        if (sc->pub_eval_s == INT64_MIN) {
            jb_lit(&b, ",\"current\":null,\"desired\":null,\"action\":null,\"fell_back\":null,"
                       "\"predicted_peak\":null,\"last_evaluation\":null");
        } else {
            jb_fmt(&b, ",\"current\":%" PRId32 ",\"desired\":%" PRId32 ",\"action\":\"%s\",\"fell_back\":%s",
                   sc->pub_current, sc->pub_desired, decide_action_name(sc->pub_action),
                   sc->pub_fell_back ? "true" : "false");
            jb_lit(&b, ",\"predicted_peak\":");
            jb_num(&b, sc->pub_peak);
            jb_fmt(&b, ",\"last_evaluation\":%" PRId64, sc->pub_eval_s);
        }
        jb_lit(&b, ",\"reason\":");
        jb_cstr(&b, sc->pub_reason);
        jb_lit(&b, "}");
    }
    pthread_rwlock_unlock(&p->lock);
    jb_lit(&b, "]");
    if (b.failed) {
        aug_free(b.p);
        return AUG_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return AUG_OK;
}
