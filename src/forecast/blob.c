/* blob.c — a model as a versioned byte blob (the daemon keeps it in LMDB and
 * resumes after a restart without refitting) and back.
 *
 * Byte format, version 2. All integers little-endian; f64 is the IEEE-754
 * binary64 bit pattern, little-endian, copied exactly (NaN payloads, such as
 * the missing-point markers of the history, survive bit for bit).
 *
 *   header (16 bytes)
 *   off size field
 *     0   4  magic "AUFM"
 *     4   1  version = 2. Version 1 (before the season was stored) is read
 *            as below without the season field, as a season of one day:
 *            that is what every version-1 model derived, so it resumes
 *            bit-identically. Any other value: AUG_EVERSION, nothing else
 *            is read.
 *     5   1  flags = 0 (reserved; non-zero: AUG_EUNSUPPORTED)
 *     6   2  reserved = 0
 *     8   4  u32 payload length N (header + N = blob length, else AUG_EMALFORMED)
 *    12   4  u32 CRC-32 (IEEE 802.3, as zlib's crc32) of the payload (else AUG_ECORRUPT)
 *
 *   payload, in this order (n = count given by an earlier field):
 *   params    i64 step_s, i32 max_horizon, u8 kind, u8 combine,
 *             i32 history, i32 refit_every            (normalized values),
 *             i64 season_s                            (version 2 only)
 *   time      u8 has_first, i64 t0, phase, k_start, k_last, last_ts,
 *             n_obs, n_run, next_refit, refits
 *   naive     u8 has, f64 last
 *   lmed      i32 w, i32 n, f64 x n                    (oldest first)
 *   snaive    u8 week, u8 K
 *   hw        f64 alpha, beta, phi, gamma, gammaw, l, b; i64 n_obs, n_steps;
 *             rob; f64 x p1 season; f64 x nw hour-of-week season
 *   fourier   u8 k1, k2, trend; f64 lambda; i64 anchor; f64 offset; i64 n_obs; rob;
 *             f64 x p theta; f64 x p(p+1)/2 P (upper triangle, row-major)
 *   rob       f64 mad, i64 n, i32 run, i32 sign, f64 x run
 *   pending   per bucket: u8 cnt, then cnt x (i64 target, f64 x 6 forecasts),
 *             oldest origin first
 *   stats     per tracked forecaster (6) per bucket: f64 mae_s, f64 mae_w, i32 ns;
 *             per tracked forecaster: f64 x 3 last lead-1 absolute errors,
 *             f64 base_s, f64 base_w (slow lead-1 MAE)
 *   errors    per bucket: u16 n, f64 x n                (oldest first)
 *   history   i32 n = min(history, k_last - k_start + 1) (0 before the first
 *             point), f64 x n: slots k_last-n+1 .. k_last
 *   outliers  u8 x ceil(n/8): bit i%8 of byte i/8 = slot k_last-n+1+i is a
 *             flagged outlier; i32 run, i32 sign of the current outlier run
 *
 * p1, nw, p and the buckets are derived from the params exactly as
 * fc_model_new derives them. Every count and index is range-checked and every
 * state value must be finite (history and pending forecasts may be NaN);
 * a violation is AUG_ECORRUPT naming the field. Bytes left after the history
 * are AUG_EMALFORMED.
 *
 * Worked example: fc_model_new(step 300 s, max_horizon 12, the default
 * season of one day), nothing fed, encodes to 5088 bytes: no history values
 * yet, but the 288 season and 168 hour-of-week season slots (zeros), the
 * Fourier prior (k1 = 3: 7 features, 28 P entries) and the statistics of 5
 * buckets are written. Its header is
 *   41 55 46 4d  02  00  00 00  d0 13 00 00  89 bc a9 7f
 *   "AUFM"       v2  fl  res    N = 5072     CRC-32 = 0x7fa9bc89
 * and the payload starts 2c 01 00 00 00 00 00 00 (step_s 300), 0c 00 00 00
 * (max_horizon 12), 00 (auto), 00 (weighted), c0 0f 00 00 (history 4032),
 * 20 01 00 00 (refit every 288 points), 80 51 01 00 00 00 00 00 (season
 * 86400 s). The same model in version 1 is these bytes without the season,
 * 5080 bytes long. tests/unit/forecast/test_blob.c checks these bytes (the
 * CRC equals zlib's crc32 of the payload) and decodes a version-1 blob.
 */
#include "util/common.h"
#include "util/crc32.h"

#include "forecast/fc_impl.h"
#include "util/assert.h"
#include "util/mem.h"

#define BLOB_MAGIC "AUFM"
#define BLOB_VERSION 2
#define BLOB_VERSION_NO_SEASON 1 /* still read: season = FC_SEASON_DAY */
#define BLOB_HDR 16


/* ------------------------------------------------------------------ write */

typedef struct wr {
    uint8_t *p; /* NULL: only count */
    size_t n;
} wr;

static void put_bytes(wr *w, const uint8_t *b, size_t n)
{
    if (w->p != NULL)
        memcpy(w->p + w->n, b, n);
    w->n += n;
}

static void put_u64(wr *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, n);
}

static void put_u8(wr *w, int64_t v)
{
    put_u64(w, (uint64_t)v, 1);
}
static void put_u16(wr *w, int64_t v)
{
    put_u64(w, (uint64_t)v, 2);
}
static void put_i32(wr *w, int64_t v)
{
    put_u64(w, (uint64_t)(uint32_t)(int32_t)v, 4);
}
static void put_i64(wr *w, int64_t v)
{
    put_u64(w, (uint64_t)v, 8);
}
static void put_f64(wr *w, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    put_u64(w, u, 8);
}

static void put_rob(wr *w, const fc_rob *r)
{
    put_f64(w, r->mad);
    put_i64(w, r->n);
    put_i32(w, r->run);
    put_i32(w, r->sign);
    for (int32_t i = 0; i < r->run; i++)
        put_f64(w, r->buf[i]);
}

static int64_t hist_count(const fc_model *m)
{
    if (!m->has_first)
        return 0;
    return AUG_MIN((int64_t)m->c.cap, m->k_last - m->k_start + 1);
}

static void write_payload(const fc_model *m, wr *w)
{
    const fc_cfg *c = &m->c;
    const fc_track *t = &m->tr;
    put_i64(w, m->par.step_s);
    put_i32(w, m->par.max_horizon);
    put_u8(w, m->par.kind);
    put_u8(w, m->par.combine);
    put_i32(w, m->par.history);
    put_i32(w, m->par.refit_every);
    put_i64(w, m->par.season_s);

    put_u8(w, m->has_first);
    put_i64(w, m->t0);
    put_i64(w, m->phase);
    put_i64(w, m->k_start);
    put_i64(w, m->k_last);
    put_i64(w, m->last_ts);
    put_i64(w, m->n_obs);
    put_i64(w, m->n_run);
    put_i64(w, m->next_refit);
    put_i64(w, m->refits);

    put_u8(w, m->nv.has);
    put_f64(w, m->nv.last);

    put_i32(w, m->lm.w);
    put_i32(w, m->lm.n);
    for (int32_t i = 0; i < m->lm.n; i++)
        put_f64(w, m->lm.fifo[(m->lm.head + i) % m->lm.w]);

    put_u8(w, m->sn.week);
    put_u8(w, m->sn.K);

    const fc_hw *h = &m->hw;
    put_f64(w, h->alpha);
    put_f64(w, h->beta);
    put_f64(w, h->phi);
    put_f64(w, h->gamma);
    put_f64(w, h->gammaw);
    put_f64(w, h->l);
    put_f64(w, h->b);
    put_i64(w, h->n_obs);
    put_i64(w, h->n_steps);
    put_rob(w, &h->rob);
    for (int32_t i = 0; i < c->p1; i++)
        put_f64(w, h->s[i]);
    for (int32_t i = 0; i < c->nw; i++)
        put_f64(w, h->w[i]);

    const fc_fou *f = &m->fo;
    put_u8(w, f->k1);
    put_u8(w, f->k2);
    put_u8(w, f->trend);
    put_f64(w, f->lambda);
    put_i64(w, f->anchor);
    put_f64(w, f->off);
    put_i64(w, f->n_obs);
    put_rob(w, &f->rob);
    for (int32_t i = 0; i < f->p; i++)
        put_f64(w, f->th[i]);
    for (int32_t i = 0; i < f->p; i++)
        for (int32_t j = i; j < f->p; j++)
            put_f64(w, f->P[i * f->p + j]);

    for (int b = 0; b < c->nb; b++) {
        put_u8(w, t->cnt[b]);
        for (int j = 0; j < t->cnt[b]; j++) {
            put_i64(w, t->pt[b * FC_PEND + j]);
            for (int i = 0; i <= FC_NMEM; i++)
                put_f64(w, t->pf[((size_t)i * (size_t)c->nb + (size_t)b) * FC_PEND + (size_t)j]);
        }
    }
    for (int i = 0; i <= FC_NMEM; i++) {
        for (int b = 0; b < c->nb; b++) {
            put_f64(w, t->mae_s[i][b]);
            put_f64(w, t->mae_w[i][b]);
            put_i32(w, t->ns[i][b]);
        }
    }
    for (int i = 0; i <= FC_NMEM; i++) {
        for (int j = 0; j < 3; j++)
            put_f64(w, t->last3[i][j]);
        put_f64(w, t->base_s[i]);
        put_f64(w, t->base_w[i]);
    }
    for (int b = 0; b < c->nb; b++) {
        put_u16(w, t->en[b]);
        const double *ring = t->err + (size_t)b * FC_ERRN;
        for (int j = 0; j < t->en[b]; j++)
            put_f64(w, ring[(t->ehead[b] + j) % FC_ERRN]);
    }
    int64_t nh = hist_count(m);
    put_i32(w, nh);
    for (int64_t k = m->k_last - nh + 1; k <= m->k_last; k++)
        put_f64(w, m->hist[k % c->cap]);
    fc_ctx x = {.c = c, .flag = m->flag};
    for (int64_t i = 0; i < nh; i += 8) {
        uint8_t byte = 0;
        for (int64_t j = i; j < nh && j < i + 8; j++)
            byte = (uint8_t)(byte | (fc_flagged(&x, m->k_last - nh + 1 + j) ? 1u << (j - i) : 0u));
        put_u8(w, byte);
    }
    put_i32(w, m->out_run);
    put_i32(w, m->out_sign);
}

size_t fc_model_blob_size(const fc_model *m)
{
    wr w = {NULL, 0};
    write_payload(m, &w);
    return BLOB_HDR + w.n;
}

aug_err fc_model_encode(const fc_model *m, uint8_t *buf, size_t cap, size_t *len)
{
    size_t need = fc_model_blob_size(m);
    if (cap < need || need - BLOB_HDR > UINT32_MAX)
        return AUG_ETOOBIG;
    wr w = {buf + BLOB_HDR, 0};
    write_payload(m, &w);
    wr h = {buf, 0};
    put_bytes(&h, (const uint8_t *)BLOB_MAGIC, 4);
    put_u8(&h, BLOB_VERSION);
    put_u8(&h, 0);
    put_u16(&h, 0);
    put_u64(&h, (uint64_t)w.n, 4);
    put_u64(&h, util_crc32(buf + BLOB_HDR, w.n), 4);
    *len = need;
    return AUG_OK;
}

/* ------------------------------------------------------------------- read */

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    bool short_read;
} rd;

static uint64_t get_u64(rd *r, size_t n)
{
    if (r->short_read || r->n - r->off < n) {
        r->short_read = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)r->p[r->off + i] << (8 * i);
    r->off += n;
    return v;
}

static int32_t get_u8(rd *r)
{
    return (int32_t)get_u64(r, 1);
}
static int32_t get_u16(rd *r)
{
    return (int32_t)get_u64(r, 2);
}
static int32_t get_i32(rd *r)
{
    return (int32_t)(uint32_t)get_u64(r, 4);
}
static int64_t get_i64(rd *r)
{
    return (int64_t)get_u64(r, 8);
}
static double get_f64(rd *r)
{
    uint64_t u = get_u64(r, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Decoding state: the first violated check wins. */
typedef struct dec {
    rd r;
    const char *bad; /* field that failed a check, NULL if none */
} dec;

static void need(dec *d, bool ok, const char *field)
{
    if (!ok && d->bad == NULL)
        d->bad = field;
}

static double get_fin(dec *d, const char *field)
{
    double v = get_f64(&d->r);
    need(d, isfinite(v), field);
    return v;
}

static void get_rob(dec *d, fc_rob *rb, int32_t shift_m, const char *field)
{
    rb->mad = get_fin(d, field);
    rb->n = get_i64(&d->r);
    rb->run = get_i32(&d->r);
    rb->sign = get_i32(&d->r);
    need(d, rb->mad >= 0 && rb->n >= 0 && rb->run >= 0 && rb->run < shift_m && rb->sign >= -1 && rb->sign <= 1,
         field);
    if (d->bad)
        return;
    for (int32_t i = 0; i < rb->run; i++)
        rb->buf[i] = get_fin(d, field);
}

static bool in01(double v)
{
    return v >= 0.0 && v <= 1.0;
}

static void read_state(dec *d, fc_model *m)
{
    rd *r = &d->r;
    const fc_cfg *c = &m->c;
    fc_track *t = &m->tr;
    const int64_t kmax = INT64_C(1) << 41;

    m->has_first = get_u8(r);
    m->t0 = get_i64(r);
    m->phase = get_i64(r);
    m->k_start = get_i64(r);
    m->k_last = get_i64(r);
    m->last_ts = get_i64(r);
    m->n_obs = get_i64(r);
    m->n_run = get_i64(r);
    m->next_refit = get_i64(r);
    m->refits = get_i64(r);
    need(d, m->has_first == 0 || m->has_first == 1, "has_first");
    need(d, m->t0 >= 0 && m->t0 <= kmax && m->phase >= 0 && m->phase < c->step, "t0/phase");
    need(d, m->k_start >= 0 && m->k_start <= m->k_last && m->k_last <= kmax, "k_start/k_last");
    need(d, m->last_ts >= m->t0 && m->last_ts <= kmax, "last_ts");
    need(d, m->n_run >= 0 && m->n_run <= m->n_obs && m->next_refit >= 0 && m->refits >= 0, "counters");
    need(d, m->has_first || (m->n_obs == 0 && m->k_last == 0), "has_first");
    if (d->bad)
        return;

    m->nv.has = get_u8(r);
    m->nv.last = get_fin(d, "naive.last");
    need(d, m->nv.has == 0 || m->nv.has == 1, "naive.has");

    m->lm.w = get_i32(r);
    m->lm.n = get_i32(r);
    need(d, m->lm.w >= 1 && m->lm.w <= FC_LMED_MAX && m->lm.n >= 0 && m->lm.n <= m->lm.w, "lmed.w/n");
    if (d->bad)
        return;
    m->lm.head = 0;
    for (int32_t i = 0; i < m->lm.n; i++) {
        m->lm.fifo[i] = get_fin(d, "lmed.values");
        m->lm.sorted[i] = m->lm.fifo[i];
    }
    fc_median(m->lm.sorted, m->lm.n); /* sorts */

    m->sn.week = get_u8(r);
    m->sn.K = get_u8(r);
    need(d, (m->sn.week == 0 || m->sn.week == 1) && m->sn.K >= 1 && m->sn.K <= FC_SN_KMAX, "snaive");

    fc_hw *h = &m->hw;
    h->alpha = get_fin(d, "hw.alpha");
    h->beta = get_fin(d, "hw.beta");
    h->phi = get_fin(d, "hw.phi");
    h->gamma = get_fin(d, "hw.gamma");
    h->gammaw = get_fin(d, "hw.gammaw");
    h->l = get_fin(d, "hw.level");
    h->b = get_fin(d, "hw.trend");
    h->n_obs = get_i64(r);
    h->n_steps = get_i64(r);
    need(d, h->alpha > 0 && h->alpha <= 1 && in01(h->beta) && h->phi > 0 && h->phi <= 1 && in01(h->gamma) &&
                in01(h->gammaw),
         "hw.constants");
    need(d, h->n_obs >= 0 && h->n_steps >= 0, "hw.counters");
    get_rob(d, &h->rob, c->shift_m, "hw.rob");
    if (d->bad)
        return;
    for (int32_t i = 0; i < c->p1; i++)
        h->s[i] = get_fin(d, "hw.season");
    for (int32_t i = 0; i < c->nw; i++)
        h->w[i] = get_fin(d, "hw.week");

    fc_fou *f = &m->fo;
    f->k1 = get_u8(r);
    f->k2 = get_u8(r);
    f->trend = get_u8(r);
    f->lambda = get_fin(d, "fourier.lambda");
    f->anchor = get_i64(r);
    f->off = get_fin(d, "fourier.offset");
    f->n_obs = get_i64(r);
    need(d, f->k1 >= 0 && f->k1 <= FC_FOU_K1MAX && (c->p1 || f->k1 == 0), "fourier.k1");
    need(d, f->k2 >= 0 && f->k2 <= FC_FOU_K2MAX && (c->p2 || f->k2 == 0), "fourier.k2");
    need(d, (f->trend == 0 || f->trend == 1) && f->lambda > 0 && f->lambda <= 1, "fourier.trend/lambda");
    need(d, f->anchor >= -kmax && f->anchor <= kmax && f->n_obs >= 0, "fourier.anchor");
    get_rob(d, &f->rob, c->shift_m, "fourier.rob");
    if (d->bad)
        return;
    f->p = fc_fou_nfeat(f->k1, f->k2, f->trend);
    memset(f->th, 0, sizeof f->th);
    memset(f->P, 0, sizeof f->P);
    for (int32_t i = 0; i < f->p; i++)
        f->th[i] = get_fin(d, "fourier.theta");
    for (int32_t i = 0; i < f->p; i++) {
        for (int32_t j = i; j < f->p; j++) {
            double v = get_fin(d, "fourier.P");
            f->P[i * f->p + j] = v;
            f->P[j * f->p + i] = v;
        }
    }

    for (int b = 0; b < c->nb; b++) {
        int32_t cnt = get_u8(r);
        need(d, cnt <= FC_PEND, "pending.count");
        if (d->bad)
            return;
        t->cnt[b] = (uint8_t)cnt;
        for (int j = 0; j < cnt; j++) {
            int64_t tg = get_i64(r);
            need(d, tg > m->k_last && tg <= m->k_last + c->lead[b], "pending.target");
            t->pt[b * FC_PEND + j] = tg;
            for (int i = 0; i <= FC_NMEM; i++) {
                double v = get_f64(r);
                need(d, !isinf(v), "pending.forecast");
                t->pf[((size_t)i * (size_t)c->nb + (size_t)b) * FC_PEND + (size_t)j] = v;
            }
        }
    }
    for (int i = 0; i <= FC_NMEM; i++) {
        for (int b = 0; b < c->nb; b++) {
            t->mae_s[i][b] = get_fin(d, "stats.mae");
            t->mae_w[i][b] = get_fin(d, "stats.weight");
            t->ns[i][b] = get_i32(r);
            need(d, t->mae_s[i][b] >= 0 && t->mae_w[i][b] >= 0 && t->ns[i][b] >= 0, "stats");
            need(d, t->ns[i][b] == 0 || t->mae_w[i][b] > 0, "stats.weight");
        }
    }
    for (int i = 0; i <= FC_NMEM; i++) {
        for (int j = 0; j < 3; j++) {
            t->last3[i][j] = get_fin(d, "stats.recent");
            need(d, t->last3[i][j] >= 0, "stats.recent");
        }
        t->base_s[i] = get_fin(d, "stats.baseline");
        t->base_w[i] = get_fin(d, "stats.baseline");
        need(d, t->base_s[i] >= 0 && t->base_w[i] >= 0, "stats.baseline");
    }
    for (int b = 0; b < c->nb; b++) {
        int32_t n = get_u16(r);
        need(d, n <= FC_ERRN, "errors.count");
        if (d->bad)
            return;
        t->ehead[b] = 0;
        t->en[b] = (uint16_t)n;
        for (int j = 0; j < n; j++)
            t->err[(size_t)b * FC_ERRN + (size_t)j] = get_fin(d, "errors.value");
    }
    int32_t nh = get_i32(r);
    need(d, nh == hist_count(m), "history.count");
    if (d->bad)
        return;
    for (int32_t i = 0; i < c->cap; i++)
        m->hist[i] = FC_NAN;
    for (int64_t k = m->k_last - nh + 1; k <= m->k_last; k++) {
        double v = get_f64(r);
        need(d, !isinf(v) && (isnan(v) || fabs(v) <= 1e100), "history.value");
        m->hist[k % c->cap] = v;
    }
    memset(m->flag, 0, sizeof(uint64_t) * (((size_t)c->cap + 63) / 64));
    for (int64_t i = 0; i < nh; i += 8) {
        int32_t byte = get_u8(r);
        for (int64_t j = i; j < nh && j < i + 8; j++) {
            if (byte >> (j - i) & 1) {
                int64_t slot = (m->k_last - nh + 1 + j) % c->cap;
                m->flag[slot >> 6] |= UINT64_C(1) << (slot & 63);
            }
        }
    }
    m->out_run = get_i32(r);
    m->out_sign = get_i32(r);
    need(d, m->out_run >= 0 && m->out_run < c->shift_m && m->out_sign >= -1 && m->out_sign <= 1, "outliers.run");
}

aug_err fc_model_decode(aug_bytes blob, fc_model **out, aug_errbuf *eb)
{
    if (blob.len < BLOB_HDR || memcmp(blob.p, BLOB_MAGIC, 4) != 0)
        return aug_errf(eb, AUG_EMALFORMED, "not a model blob (%zu bytes, no \"AUFM\" header)", blob.len);
    if (blob.p[4] != BLOB_VERSION && blob.p[4] != BLOB_VERSION_NO_SEASON)
        return aug_errf(eb, AUG_EVERSION, "model blob version %u, this build reads versions %d and %d", blob.p[4],
                        BLOB_VERSION_NO_SEASON, BLOB_VERSION);
    rd h = {blob.p, BLOB_HDR, 5, false};
    uint64_t flags = get_u64(&h, 1), reserved = get_u64(&h, 2), len = get_u64(&h, 4), crc = get_u64(&h, 4);
    if (flags != 0 || reserved != 0)
        return aug_errf(eb, AUG_EUNSUPPORTED, "model blob flags 0x%02x/0x%04x not supported", (unsigned)flags,
                        (unsigned)reserved);
    if (len != blob.len - BLOB_HDR)
        return aug_errf(eb, AUG_EMALFORMED, "model blob says %" PRIu64 " payload bytes, has %zu", len,
                        blob.len - BLOB_HDR);
    if (util_crc32(blob.p + BLOB_HDR, (size_t)len) != (uint32_t)crc)
        return aug_errf(eb, AUG_ECORRUPT, "model blob checksum mismatch");

    dec d = {.r = {blob.p + BLOB_HDR, (size_t)len, 0, false}, .bad = NULL};
    fc_params p;
    memset(&p, 0, sizeof p);
    p.step_s = get_i64(&d.r);
    p.max_horizon = get_i32(&d.r);
    p.kind = (fc_kind)get_u8(&d.r);
    p.combine = (fc_combine)get_u8(&d.r);
    p.history = get_i32(&d.r);
    p.refit_every = get_i32(&d.r);
    p.season_s = blob.p[4] == BLOB_VERSION_NO_SEASON ? FC_SEASON_DAY : get_i64(&d.r);
    if (d.r.short_read)
        return aug_errf(eb, AUG_EMALFORMED, "model blob truncated in the parameters");
    fc_params norm;
    fc_cfg c;
    aug_errbuf pe = {{0}};
    if (fc_cfg_derive(&p, &norm, &c, &pe) != AUG_OK)
        return aug_errf(eb, AUG_ECORRUPT, "model blob parameters: %s", pe.msg);
    if (norm.history != p.history || norm.refit_every != p.refit_every)
        return aug_errf(eb, AUG_ECORRUPT, "model blob parameters: history/refit_every not normalized");
    fc_model *m;
    if (fc_model_alloc(&norm, &c, &m) != AUG_OK)
        return aug_errf(eb, AUG_ENOMEM, "cannot allocate the decoded model");
    read_state(&d, m);
    if (d.r.short_read) {
        fc_model_free(m);
        return aug_errf(eb, AUG_EMALFORMED, "model blob truncated at payload byte %zu", d.r.off);
    }
    if (d.bad != NULL) {
        fc_model_free(m);
        return aug_errf(eb, AUG_ECORRUPT, "model blob field %s is out of range", d.bad);
    }
    if (d.r.off != d.r.n) {
        fc_model_free(m);
        return aug_errf(eb, AUG_EMALFORMED, "model blob has %zu bytes after the history", d.r.n - d.r.off);
    }
    if (!fc_model_check(m)) { /* what the field checks above do not cover */
        fc_model_free(m);
        return aug_errf(eb, AUG_ECORRUPT, "model blob fails the model's invariants");
    }
    *out = m;
    return AUG_OK;
}
