/* Unit tests for src/predict/scale.c: scalers evaluated on the predict
 * thread from synthetic closed-bucket events (a forecast target and replica
 * series) through the real hook, models, decision engine and LMDB store;
 * checked against the exact ai_scaling_* points the sink receives, the
 * decisions.jsonl lines and their rotation, the status JSON, a loopback
 * webhook receiver that answers 503 once (the call is retried) and then
 * 204, or holds the first call until the queue behind it overflows; and the
 * decision state across a close and reopen of the predict thread on the
 * same store (restored, foreign, unreadable), with the last desired count
 * of a scaler without replicas (restored; foreign; a version 1 record). */
#include "helpers.h"
#include "web.h"

#include "predict/predict_int.h" /* PREDICT_HOOK_QUEUE_MAX */
#include "storage/codec.h"         /* get_be32 */
#include "util/crc32.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s != NULL && *s; s++)
        n += *s == '\n';
    return n;
}

/* Exact points of one decision, the decisions.jsonl line, status, and the
 * cooldown on the next bucket. Shadow is the default. */
static void test_points_and_log(void)
{
    harness h;
    h_open(&h, web_yaml(""));
    CHECK_EQ_I64(h.cfg->scalers[0].shadow, true);
    CHECK_EQ_I64(predict_set_decisions_dir(h.p, h.dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
    add_web_series(&h);
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    feed_minute(&h, S, 0.9);
    int64_t T = (S + 60) * 1000;
    double v = TNAN;
    /* cold model → reactive: 4 × 0.9 / 0.5 = 7.2 → 8 */
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", T, &v), 1);
    CHECK_NEAR(v, 8, 0);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_current_replicas{scaler=\"web\"}", T, &v), 1);
    CHECK_NEAR(v, 4, 0);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_predicted_peak{scaler=\"web\"}", T, &v), 1);
    CHECK_NEAR(v, 0.9, 1e-12);
    const char *acts[] = {"hold", "scale_up_now", "scale_up_prepared", "scale_down"};
    for (size_t i = 0; i < 4; i++) {
        char series[128];
        snprintf(series, sizeof series, "ai_scaling_decision{action=\"%s\",scaler=\"web\"}", acts[i]);
        CHECK_EQ_I64(rec_find(&h.rec, series, T, &v), 1);
        CHECK_NEAR(v, i == 1 ? 1.0 : 0.0, 0);
    }
    for (size_t i = 0; i < h.rec.n; i++)
        CHECK(h.rec.p[i].sorted);

    char path[512];
    snprintf(path, sizeof path, "%s/decisions.jsonl", h.dir);
    const char *log = slurp(path);
    CHECK(log != NULL);
    CHECK_EQ_I64(count_lines(log), 1);
    char want[256];
    snprintf(want, sizeof want, "{\"ts\":%" PRId64 ",", S + 60);
    CHECK(strncmp(log, want, strlen(want)) == 0);
    CHECK(strstr(log, "\"scaler\":\"web\",\"mode\":\"utilization\",\"shadow\":true,\"current\":4,\"desired\":8,"
                      "\"action\":\"scale_up_now\",\"fell_back\":true,\"floor\":null,") != NULL);
    CHECK(strstr(log, "\"reason\":\"") != NULL);
    CHECK(strstr(log, "\"observed\":0.9,\"predicted_peak\":0.9,\"reason\":\"model in cold start → reactive rule: "
                      "utilization 90% now over 4 replicas, target 50% → +4 replicas (4 → 8)") != NULL);

    char *js = NULL;
    size_t jl = 0;
    CHECK_EQ_I64(predict_scalers_json(h.p, &js, &jl), AUG_OK);
    CHECK(strstr(js, "\"name\":\"web\",\"mode\":\"utilization\",\"shadow\":true,\"forecast\":\"cpu\"") != NULL);
    CHECK(strstr(js, "\"current\":4,\"desired\":8,\"action\":\"scale_up_now\"") != NULL);
    CHECK(strstr(js, "\"fell_back\":true,\"floor\":null,") != NULL);
    char le[64];
    snprintf(le, sizeof le, "\"last_evaluation\":%" PRId64, S + 60);
    CHECK(strstr(js, le) != NULL);
    aug_free(js);

    /* Next bucket: still 4 replicas (shadow: nothing was applied), and the
     * 3 min cooldown refuses the change. */
    feed_minute(&h, S + 60, 0.9);
    int64_t T2 = (S + 120) * 1000;
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", T2, &v), 1);
    CHECK_NEAR(v, 4, 0);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_decision{action=\"hold\",scaler=\"web\"}", T2, &v), 1);
    CHECK_NEAR(v, 1, 0);
    log = slurp(path);
    CHECK_EQ_I64(count_lines(log), 2);
    CHECK(strstr(strchr(log, '\n') + 1, "wanted 8, but the last action was 1 min ago (cooldown 3 min)") != NULL);
    h_close(&h);
}

/* ---- decision state across restarts (scale.c note 8) ---- */

/* lead_time 20m is past the longest horizon (15m), so the forecast is never
 * used and the reactive rule decides on the observed load with numbers that
 * do not depend on the model: need = 4 replicas × cpu / 0.5. The scale-up
 * bucket refills 1 token a minute (burst 4); scale-down: 1 token, 1 a
 * minute; cooldown 3 min; stabilization 5 min. max_error only changes the
 * scaler's fingerprint here (the forecast is never used). */
static const char *restart_yaml(const char *max_error)
{
    char extra[256];
    snprintf(extra, sizeof extra,
             "    lead_time: 20m\n"
             "    scale_up:\n      max_per_minute: 1\n      burst: 4\n"
             "    cooldown: 3m\n"
             "    max_error: %s\n",
             max_error);
    return web_yaml(extra);
}

static const double restart_cpu[4] = {0.9, 0.9, 0.2, 0.9};

/* The decisions.jsonl line of bucket k (0-based) into out. */
static void decision_line(const harness *h, int k, char *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/decisions.jsonl", h->dir);
    const char *log = slurp(path);
    out[0] = '\0';
    for (int i = 0; log != NULL && i < k; i++)
        log = (log = strchr(log, '\n')) != NULL ? log + 1 : NULL;
    if (log != NULL)
        snprintf(out, cap, "%.*s", (int)strcspn(log, "\n"), log);
}

/* The value of <metric>{scaler="web"} at T, which must have one point. */
static int64_t web_at(harness *h, const char *metric, int64_t T)
{
    char series[128];
    snprintf(series, sizeof series, "%s{scaler=\"web\"}", metric);
    double v = TNAN;
    CHECK_EQ_I64(rec_find(&h->rec, series, T, &v), 1);
    return (int64_t)v;
}

static int64_t desired_at(harness *h, int64_t T)
{
    return web_at(h, "ai_scaling_desired_replicas", T);
}

static int64_t current_at(harness *h, int64_t T)
{
    return web_at(h, "ai_scaling_current_replicas", T);
}

/* Buckets 0 and 1, close (saves the state), reopen on the same store with
 * the config `yaml`, buckets 2 and 3. Returns the desired counts at the
 * four bucket ends in d. */
static void run_with_restart(harness *h, int64_t S, const char *reopen_yaml, int64_t d[4])
{
    CHECK_EQ_I64(predict_set_decisions_dir(h->p, h->dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
    add_web_series(h);
    for (int k = 0; k < 4; k++) {
        if (k == 2 && reopen_yaml != NULL) {
            predict_close(h->p);
            cfg_free(h->cfg);
            h->cfg = config_of(reopen_yaml);
            h_open_predict(h);
            CHECK_EQ_I64(predict_set_decisions_dir(h->p, h->dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
        }
        feed_minute(h, S + 60 * k, restart_cpu[k]);
        d[k] = desired_at(h, (S + 60 * (k + 1)) * 1000);
    }
}

/* The four decisions.jsonl lines of an interrupted run equal the
 * uninterrupted reference's. */
static void expect_same_lines(harness *ref, harness *h)
{
    for (int k = 0; k < 4; k++) {
        char a[4096], b[4096];
        decision_line(ref, k, a, sizeof a);
        decision_line(h, k, b, sizeof b);
        CHECK(a[0] != '\0');
        CHECK_STR(a, b);
    }
}

/* A restart inside a cooldown, with a stabilization history and spent
 * tokens, decides exactly as a daemon that never stopped; a changed scaler
 * definition starts afresh. Hand-derived (current is always 2 + 2 = 4):
 *   T1 cpu 0.9: need 7.2 → 8; +4 spends all 4 scale-up tokens; the
 *      cooldown starts; history (T1, 8).
 *   T2 cpu 0.9: 8 wanted, 1 min after the action: cooldown → 4; 1 token
 *      back; history (T2, 8).           ← restart here
 *   T3 cpu 0.2: need 1.6 → 2, but the highest wish of the last 5 min is 8:
 *      stabilized at 4 (without the history: 2, cut to 3 by the 1-token
 *      scale-down bucket).
 *   T4 cpu 0.9: 8 wanted, 3 min after the action: allowed, but 1 + 2
 *      tokens refilled since T2 cut it to 7 (with full buckets: 8). */
static void test_state_survives_restart(void)
{
    int64_t S = base_s();
    set_now((S + 600) * 1000);
    harness ref, h;
    int64_t dref[4], d[4];
    h_open(&ref, restart_yaml("0.3"));
    run_with_restart(&ref, S, NULL, dref);
    h_open(&h, restart_yaml("0.3"));
    run_with_restart(&h, S, restart_yaml("0.3"), d);
    const int64_t want[4] = {8, 4, 4, 7};
    for (int k = 0; k < 4; k++) {
        CHECK_EQ_I64(dref[k], want[k]);
        CHECK_EQ_I64(d[k], want[k]);
    }
    expect_same_lines(&ref, &h);
    char line[4096];
    decision_line(&h, 1, line, sizeof line);
    CHECK(strstr(line, "wanted 8, but the last action was 1 min ago (cooldown 3 min)") != NULL);
    decision_line(&h, 2, line, sizeof line);
    CHECK(strstr(line, "\"desired\":4,\"action\":\"hold\"") != NULL);
    CHECK(strstr(line, "scale-down to 2 held at 4: highest recommendation in the last 5 min") != NULL);
    decision_line(&h, 3, line, sizeof line);
    CHECK(strstr(line, "\"desired\":7,\"action\":\"scale_up_now\"") != NULL);
    CHECK(strstr(line, "wanted +4, the scale-up budget allows 3 (3 tokens, refill 1/min)") != NULL);
    metrics_counter *lerr = metrics_counter_get(h.reg, "augur_scaler_state_errors_total", NULL, "op=\"load\"");
    CHECK_EQ_I64(metrics_counter_value(lerr), 0);
    h_close(&ref);
    h_close(&h);

    /* max_error 0.4: another definition, so T3 starts from a fresh state:
     * 2 wanted, no history, no cooldown → cut to 3 by the scale-down bucket
     * (an action); T4: 8 wanted 1 min after it → cooldown → 4. */
    h_open(&h, restart_yaml("0.3"));
    run_with_restart(&h, S, restart_yaml("0.4"), d);
    CHECK_EQ_I64(d[0], 8);
    CHECK_EQ_I64(d[1], 4);
    CHECK_EQ_I64(d[2], 3);
    CHECK_EQ_I64(d[3], 4);
    decision_line(&h, 2, line, sizeof line);
    CHECK(strstr(line, "wanted -2, the scale-down budget allows 1 (1 token, refill 1/min)") != NULL);
    decision_line(&h, 3, line, sizeof line);
    CHECK(strstr(line, "wanted 8, but the last action was 1 min ago (cooldown 3 min)") != NULL);
    h_close(&h);
}

/* The scale-down floor's hourly lows survive a restart (state.c version
 * 3). Reactive rule as above (lead 20m): need = 4 × cpu / 0.5. An hour of
 * cpu 0.9 (need 7.2 at every bucket end in it), then a restart; the first
 * evaluation after it sees cpu 0.2 (need 1.6 → 2), and the floor from the
 * saved closed hour (ceil 7.2 = 8) holds the current 4. A state without the
 * lows would have no floor: 4 → 3 (the 1-token scale-down bucket). */
static void test_floor_survives_restart(void)
{
    int64_t S = util_now_ms() / 3600000 * 3600 - 3 * 3600; /* an hour's start */
    harness h;
    h_open(&h, web_yaml("    lead_time: 20m\n"
                        "    scale_down:\n      stabilization: 0\n      floor_quantile: 0.5\n"
                        "      floor_window: 1h\n"));
    CHECK_EQ_I64(predict_set_decisions_dir(h.p, h.dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
    add_web_series(&h);
    /* Buckets of hour 0; the last ends at S + 3600, in hour 1, which closes
     * hour 0 with its low 7.2. */
    for (int k = 0; k < 60; k++) {
        set_now((S + 60 * (k + 1)) * 1000); /* each bucket closes live */
        feed_minute(&h, S + 60 * k, 0.9);
    }
    predict_close(h.p);
    h_open_predict(&h);
    CHECK_EQ_I64(predict_set_decisions_dir(h.p, h.dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
    set_now((S + 3660) * 1000);
    feed_minute(&h, S + 3600, 0.2);
    CHECK_EQ_I64(desired_at(&h, (S + 3660) * 1000), 4);
    char line[4096];
    decision_line(&h, 60, line, sizeof line);
    CHECK(strstr(line, "\"desired\":4,\"action\":\"hold\",\"fell_back\":true,\"floor\":8,") != NULL);
    char *js = NULL;
    size_t jl = 0;
    CHECK_EQ_I64(predict_scalers_json(h.p, &js, &jl), AUG_OK);
    CHECK(js != NULL && strstr(js, "\"floor\":8,") != NULL);
    aug_free(js);
    CHECK(strstr(line, "floor 8 (the median hour of the last 1 h needed at least 7.2): scale-down to 2 held at 4") !=
          NULL);
    h_close(&h);
}

/* An unreadable saved state: logged, counted, and the scaler decides from a
 * fresh state (T1 as above: 8). */
static void test_bad_state_starts_fresh(void)
{
    int64_t S = base_s();
    set_now((S + 600) * 1000);
    harness h;
    h_open(&h, restart_yaml("0.3"));
    predict_close(h.p);
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(h.s, true, &t), AUG_OK);
    /* version 1, then a 2-byte payload: shorter than any state */
    aug_bytes bad = {(const uint8_t *)"\x01\x01\x00", 3};
    CHECK_EQ_I64(store_blob_put(t, (aug_bytes){(const uint8_t *)"sc/web", 6}, bad), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
    h_open_predict(&h);
    add_web_series(&h);
    feed_minute(&h, S, 0.9);
    CHECK_EQ_I64(desired_at(&h, (S + 60) * 1000), 8);
    metrics_counter *lerr = metrics_counter_get(h.reg, "augur_scaler_state_errors_total", NULL, "op=\"load\"");
    CHECK_EQ_I64(metrics_counter_value(lerr), 1);
    h_close(&h);
}

/* ---- a scaler without replicas across restarts (scale.c notes 4, 8) ---- */

/* Queue mode without a replicas selector: the scaler's current count is its
 * own last desired count. Arrivals jobs{job="a"} (naive, cold: the reactive
 * rule decides on the observed arrivals; lead_time 20m is past the longest
 * horizon anyway), service time 1 s, no queue: need = arrivals. Scale-up
 * bucket 20 (never the limit here), cooldown 3 min, replicas [1, 20].
 * max_error only changes the fingerprint. */
static const char *queue_yaml(const char *max_error)
{
    snprintf(cfg_buf, sizeof cfg_buf,
             "forecasts:\n"
             "  - name: jobs\n"
             "    series: 'jobs{job=\"a\"}'\n"
             "    horizons: [5m, 15m]\n"
             "    model: naive\n"
             "scalers:\n"
             "  - name: q\n"
             "    mode: queue\n"
             "    arrival_rate: jobs\n"
             "    service_time: 1s\n"
             "    target_latency: 1s\n"
             "    lead_time: 20m\n"
             "    max_replicas: 20\n"
             "    scale_up: {max_per_minute: 20, burst: 20}\n"
             "    cooldown: 3m\n"
             "    max_error: %s\n",
             max_error);
    return cfg_buf;
}

/* The saved record of scaler q, copied into buf (at most cap bytes);
 * returns its length, 0 if none. */
static size_t saved_q(store *s, uint8_t *buf, size_t cap)
{
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, false, &t), AUG_OK);
    aug_bytes v = {NULL, 0};
    size_t n = 0;
    /* the blob table's value: its version byte, then the decide state */
    if (store_blob_get(t, (aug_bytes){(const uint8_t *)"sc/q", 4}, &v) == AUG_OK && v.len <= cap) {
        memcpy(buf, v.p, v.len);
        n = v.len;
    }
    store_txn_abort(t);
    return n;
}

/* Rewrites q's saved record as augur wrote it before the last desired count
 * was kept (state.c version 1: no bytes 41-44, no floor, its own CRC). q
 * has no floor, so its version 3 record ends with the 18 bytes of an empty
 * one. */
static void downgrade_q_to_v1(store *s)
{
    uint8_t v3[DECIDE_STATE_BLOB_MAX], v1[DECIDE_STATE_BLOB_MAX];
    size_t n = saved_q(s, v3, sizeof v3);
    CHECK(n >= 68);
    if (n < 68)
        return;
    CHECK_EQ_I64(v3[0], 3);
    CHECK_EQ_I64((int64_t)n, 68 + 12 * v3[45]);
    v1[0] = 1;
    memcpy(v1 + 1, v3 + 1, 40);
    memcpy(v1 + 41, v3 + 45, 1 + 12 * (size_t)v3[45]);
    size_t m = n - 4 - 18;
    uint32_t c = util_crc32(v1, m - 4);
    for (int i = 0; i < 4; i++)
        v1[m - 4 + (size_t)i] = (uint8_t)(c >> (24 - 8 * i));
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, true, &t), AUG_OK);
    CHECK_EQ_I64(store_blob_put(t, (aug_bytes){(const uint8_t *)"sc/q", 4}, (aug_bytes){v1, m}), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
}

/* The four rounds' current and desired counts are the expected ones. */
static void expect_rounds(const int64_t *cur, const int64_t *d, const int64_t *want_cur, const int64_t *want_d)
{
    for (int k = 0; k < 4; k++) {
        CHECK_EQ_I64(cur[k], want_cur[k]);
        CHECK_EQ_I64(d[k], want_d[k]);
    }
}

/* Buckets 0 and 1 (arrivals 12), close (saves the state), optionally
 * downgrade the saved record to version 1, reopen on the same store with
 * `reopen_yaml` (NULL: no restart), buckets 2 and 3 (arrivals 12). The
 * current and desired counts of the four decisions go to cur and d. */
static void queue_run(harness *h, int64_t S, const char *reopen_yaml, bool to_v1, int64_t cur[4], int64_t d[4])
{
    CHECK_EQ_I64(predict_set_decisions_dir(h->p, h->dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
    add_series(h->s, 1, "__name__", "jobs", "job", "a", NULL);
    for (int k = 0; k < 4; k++) {
        if (k == 2 && reopen_yaml != NULL) {
            predict_close(h->p);
            if (to_v1)
                downgrade_q_to_v1(h->s);
            cfg_free(h->cfg);
            h->cfg = config_of(reopen_yaml);
            h_open_predict(h);
            CHECK_EQ_I64(predict_set_decisions_dir(h->p, h->dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
        }
        bucket(h->p, 1, STORE_RES_MINUTE, S + 60 * k, 12.0, 0);
        predict_flush(h->p);
        int64_t T = (S + 60 * (k + 1)) * 1000;
        double v = TNAN;
        CHECK_EQ_I64(rec_find(&h->rec, "ai_scaling_current_replicas{scaler=\"q\"}", T, &v), 1);
        cur[k] = (int64_t)v;
        CHECK_EQ_I64(rec_find(&h->rec, "ai_scaling_desired_replicas{scaler=\"q\"}", T, &v), 1);
        d[k] = (int64_t)v;
    }
}

/* A scaler without a replicas selector that went from 1 to 12 replicas
 * goes on from 12 after a restart: its last desired count is saved with
 * its decision state (bytes 41-44 of the record: 12) and restored, so the
 * first decision after the restart is "current 12, hold", exactly as in a
 * daemon that never stopped (it used to be "current 1" again, here refused
 * by the restored cooldown: the scaler would have said 1 replica). A
 * changed definition starts afresh (no cooldown, no history) but from the
 * 12 it asked for, which still run;
 * a record of the old format (version 1) restores the cooldown but not the
 * count, as before: current 1, and the cooldown of the T1 action, 2 min
 * ago, holds it at 1. */
static void test_queue_current_survives_restart(void)
{
    int64_t S = base_s();
    set_now((S + 600) * 1000);
    harness ref, h;
    int64_t cref[4], dref[4], c[4], d[4];
    h_open(&ref, queue_yaml("0.3"));
    queue_run(&ref, S, NULL, false, cref, dref);
    h_open(&h, queue_yaml("0.3"));
    queue_run(&h, S, queue_yaml("0.3"), false, c, d);
    const int64_t want_cur[4] = {1, 12, 12, 12}, want_d[4] = {12, 12, 12, 12};
    expect_rounds(cref, dref, want_cur, want_d);
    expect_rounds(c, d, want_cur, want_d);
    expect_same_lines(&ref, &h);
    char line[4096];
    decision_line(&h, 0, line, sizeof line);
    CHECK(strstr(line, "\"scaler\":\"q\",\"mode\":\"queue\",\"shadow\":true,\"current\":1,\"desired\":12,"
                       "\"action\":\"scale_up_now\"") != NULL);
    CHECK(strstr(line, "+11 replicas (1 → 12)") != NULL);
    decision_line(&h, 2, line, sizeof line);
    CHECK(strstr(line, "\"current\":12,\"desired\":12,\"action\":\"hold\"") != NULL);
    CHECK(strstr(line, "12 needed (12 for arrivals + 0 for backlog): hold 12 replicas\"}") != NULL);
    char *js = NULL;
    size_t jl = 0;
    CHECK_EQ_I64(predict_scalers_json(h.p, &js, &jl), AUG_OK);
    CHECK(strstr(js, "\"current\":12,\"desired\":12,\"action\":\"hold\"") != NULL);
    aug_free(js);
    metrics_counter *lerr = metrics_counter_get(h.reg, "augur_scaler_state_errors_total", NULL, "op=\"load\"");
    CHECK_EQ_I64(metrics_counter_value(lerr), 0);
    /* The record saved at the last close holds the count, version 3. */
    predict_close(h.p);
    uint8_t rec[DECIDE_STATE_BLOB_MAX];
    size_t n = saved_q(h.s, rec, sizeof rec);
    CHECK(n >= 68);
    CHECK_EQ_I64(rec[0], 3);
    CHECK_EQ_I64(n >= 68 ? (int64_t)get_be32(rec + 41) : -1, 12);
    h_open_predict(&h);
    h_close(&ref);
    h_close(&h);

    /* max_error 0.4: another definition, a fresh state (no cooldown, no
     * history), but the 12 replicas it asked for still run: current 12. */
    h_open(&h, queue_yaml("0.3"));
    queue_run(&h, S, queue_yaml("0.4"), false, c, d);
    expect_rounds(c, d, (const int64_t[4]){1, 12, 12, 12}, (const int64_t[4]){12, 12, 12, 12});
    decision_line(&h, 2, line, sizeof line);
    CHECK(strstr(line, "\"current\":12,\"desired\":12,\"action\":\"hold\"") != NULL);
    CHECK(strstr(line, "cooldown") == NULL);
    h_close(&h);

    /* A version 1 record: the state is restored (no load error; the T1
     * cooldown applies), the count is not (current 1 = min_replicas). */
    h_open(&h, queue_yaml("0.3"));
    queue_run(&h, S, queue_yaml("0.3"), true, c, d);
    expect_rounds(c, d, (const int64_t[4]){1, 12, 1, 1}, (const int64_t[4]){12, 12, 1, 12});
    decision_line(&h, 2, line, sizeof line);
    CHECK(strstr(line, "\"current\":1,\"desired\":1,\"action\":\"hold\"") != NULL);
    CHECK(strstr(line, "but the last action was 2 min ago (cooldown 3 min)") != NULL);
    lerr = metrics_counter_get(h.reg, "augur_scaler_state_errors_total", NULL, "op=\"load\"");
    CHECK_EQ_I64(metrics_counter_value(lerr), 0);
    h_close(&h);
}

/* No replicas sample yet: nothing decided, status says why. */
static void test_waits_for_replicas(void)
{
    harness h;
    h_open(&h, web_yaml(""));
    add_web_series(&h);
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 0.9, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", 0, NULL), 0);
    CHECK(rec_find(&h.rec, "ai_cpu_forecast{horizon=\"5m\",job=\"a\"}", 0, NULL) == 1);
    char *js = NULL;
    size_t jl = 0;
    CHECK_EQ_I64(predict_scalers_json(h.p, &js, &jl), AUG_OK);
    CHECK(strstr(js, "\"desired\":null") != NULL);
    CHECK(strstr(js, "waiting for a sample of replicas") != NULL);
    aug_free(js);
    h_close(&h);
}

/* A forecast with two groups, cpu{job="a"} 0.9 and cpu{job="b"} 0.5, and 4
 * replicas; cold models, so the reactive rule decides on the observed load.
 * In utilization mode the load is a per-replica fraction, so it is their
 * mean: 4 x 0.7 / 0.5 = 5.6 -> 6 (their sum, 1.4, would ask for 12). As a
 * queue's arrivals per second (service time 10 s) they add up: 1.4 x 10 =
 * 14 replicas (the mean would ask for 7). The groups' buckets reach the
 * predict thread in separate batches whenever it wakes between them; the
 * decision at T waits for both because each published the bucket before
 * (the first minute's decision may see one group and is not checked). */
static void test_groups_of_a_utilization_fraction_average(void)
{
    for (int units = 0; units <= 1; units++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "forecasts:\n"
                 "  - name: cpu\n"
                 "    series: 'cpu'\n"
                 "    horizons: [5m, 15m]\n"
                 "    model: naive\n"
                 "scalers:\n"
                 "  - name: web\n"
                 "    replicas: 'replicas{deployment=\"web\"}'\n"
                 "    max_replicas: 20\n"
                 "    cooldown: 0\n"
                 "%s",
                 units ? "    mode: queue\n    arrival_rate: cpu\n    service_time: 10s\n    target_latency: 1s\n"
                         "    scale_up: {max_per_minute: 20, burst: 20}\n"
                       : "    forecast: cpu\n    target: 0.5\n");
        harness h;
        h_open(&h, yaml);
        CHECK_EQ_I64(predict_set_decisions_dir(h.p, h.dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
        add_web_series(&h);
        add_series(h.s, 4, "__name__", "cpu", "job", "b", NULL);
        int64_t S = base_s();
        set_now((S + 61) * 1000);
        for (int64_t m = S - 60; m <= S; m += 60) {
            bucket(h.p, 2, STORE_RES_MINUTE, m, 2.0, 0);
            bucket(h.p, 3, STORE_RES_MINUTE, m, 2.0, 0);
            bucket(h.p, 1, STORE_RES_MINUTE, m, 0.9, 0);
            predict_flush(h.p); /* group a's bucket alone first: the wait is what is tested */
            bucket(h.p, 4, STORE_RES_MINUTE, m, 0.5, 0);
            predict_flush(h.p);
        }
        int64_t T = (S + 60) * 1000;
        double v = TNAN;
        CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", T, &v), 1);
        CHECK_NEAR(v, units ? 14 : 6, 0);
        CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_predicted_peak{scaler=\"web\"}", T, &v), 1);
        CHECK_NEAR(v, units ? 1.4 : 0.7, 1e-12);
        char path[512];
        snprintf(path, sizeof path, "%s/decisions.jsonl", h.dir);
        const char *log = slurp(path);
        const char *last = log ? strrchr(log, '{') : NULL;
        CHECK(last != NULL && strstr(last, units ? "\"observed\":1.4," : "\"observed\":0.7,") != NULL);
        if (!units) {
            /* Group b stops: the next decision waits for it until T + close_delay
             * (30 s) + grace (40 s), then goes on with group a alone: 4 x 0.9 /
             * 0.5 = 7.2 -> 8. */
            int64_t T3 = (S + 120) * 1000;
            set_now(T3 + 1000);
            bucket(h.p, 2, STORE_RES_MINUTE, S + 60, 2.0, 0);
            bucket(h.p, 3, STORE_RES_MINUTE, S + 60, 2.0, 0);
            bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 0.9, 0);
            predict_flush(h.p);
            CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", T3, NULL), 0);
            set_now(T3 + 69000);
            predict_flush(h.p);
            CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", T3, NULL), 0);
            set_now(T3 + 70000);
            predict_flush(h.p);
            CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", T3, &v), 1);
            CHECK_NEAR(v, 8, 0);
        }
        h_close(&h);
    }
}

/* A service_time selector over two pods' series, 0.1 s and 0.3 s, is their
 * mean 0.2 s; with arrivals of 70/s the need is 70 x 0.2 = 14 replicas
 * (the sum, 0.4 s, would ask for 28). */
static void test_service_time_is_the_mean_of_its_series(void)
{
    harness h;
    h_open(&h, "forecasts:\n"
               "  - name: jobs\n"
               "    series: 'jobs'\n"
               "    horizons: [5m, 15m]\n"
               "    model: naive\n"
               "scalers:\n"
               "  - name: q\n"
               "    mode: queue\n"
               "    arrival_rate: jobs\n"
               "    service_time: 'svc_seconds'\n"
               "    target_latency: 1s\n"
               "    replicas: 'replicas{deployment=\"web\"}'\n"
               "    max_replicas: 50\n"
               "    scale_up: {max_per_minute: 40, burst: 40}\n");
    add_series(h.s, 1, "__name__", "jobs", "job", "a", NULL);
    add_series(h.s, 2, "__name__", "replicas", "deployment", "web", NULL);
    add_series(h.s, 3, "__name__", "svc_seconds", "pod", "p1", NULL);
    add_series(h.s, 4, "__name__", "svc_seconds", "pod", "p2", NULL);
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    bucket(h.p, 2, STORE_RES_MINUTE, S, 4.0, 0);
    bucket(h.p, 3, STORE_RES_MINUTE, S, 0.1, 0);
    bucket(h.p, 4, STORE_RES_MINUTE, S, 0.3, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 70.0, 0);
    predict_flush(h.p);
    double v = TNAN;
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"q\"}", (S + 60) * 1000, &v), 1);
    CHECK_NEAR(v, 14, 0);
    h_close(&h);
}

/* ---- inputs seeded from the store (scale.c note 9) ---- */

/* Stores one closed minute bucket of series id whose last sample is v, as
 * ingest writes it when the bucket closes. */
static void store_bucket(store *s, uint32_t id, int64_t start_s, double v)
{
    store_rollup r = {.count = 4, .sum = 4 * v, .min = v, .max = v, .last = v, .last_ts_ms = start_s * 1000 + 45000};
    store_txn *t = NULL;
    CHECK_EQ_I64(store_txn_begin(s, true, &t), AUG_OK);
    CHECK_EQ_I64(store_rollup_put(t, id, STORE_RES_MINUTE, start_s, &r), AUG_OK);
    CHECK_EQ_I64(store_txn_commit(t), AUG_OK);
}

/* A restart with the replicas in the store: the first evaluation, triggered
 * by the cpu bucket alone, sees both series (2 + 2 = 4; the newest bucket
 * of series 2, not its older 9). Series 4 matches too but its newest bucket
 * is 6 buckets behind the newest (staleness rule: 5) and series 5 does not
 * match the selector: neither counts. Live buckets then update the seeded
 * series in place (3 + 2 = 5, not 2 + 2 + 3 + 2). */
static void test_inputs_seeded_at_start(void)
{
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    harness h;
    h_open(&h, web_yaml(""));
    predict_close(h.p);
    add_web_series(&h);
    add_series(h.s, 4, "__name__", "replicas", "deployment", "web", "set", "c", NULL);
    add_series(h.s, 5, "__name__", "replicas", "deployment", "api", NULL);
    store_bucket(h.s, 2, S - 180, 9.0);
    store_bucket(h.s, 2, S - 60, 2.0);
    store_bucket(h.s, 3, S - 120, 2.0);
    store_bucket(h.s, 4, S - 60 - 6 * 60, 3.0);
    store_bucket(h.s, 5, S - 60, 7.0);
    h_open_predict(&h);
    CHECK_EQ_I64(predict_set_decisions_dir(h.p, h.dir, PREDICT_DECISIONS_MAX_BYTES), AUG_OK);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 0.9, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(current_at(&h, (S + 60) * 1000), 4);
    CHECK_EQ_I64(desired_at(&h, (S + 60) * 1000), 8); /* 4 × 0.9 / 0.5 = 7.2 → 8 */
    char line[4096];
    decision_line(&h, 0, line, sizeof line);
    CHECK(strstr(line, "\"current\":4,\"desired\":8,\"action\":\"scale_up_now\"") != NULL);
    CHECK(strstr(line, "utilization 90% now over 4 replicas") != NULL);
    metrics_counter *seeded = metrics_counter_get(h.reg, "augur_scaler_inputs_seeded_total", NULL, NULL);
    CHECK_EQ_I64(metrics_counter_value(seeded), 2);

    bucket(h.p, 2, STORE_RES_MINUTE, S + 60, 3.0, 0);
    bucket(h.p, 3, STORE_RES_MINUTE, S + 60, 2.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 0.9, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(current_at(&h, (S + 120) * 1000), 5);
    h_close(&h);
}

/* Reload: a scaler kept unchanged keeps the inputs it had (here only from
 * live buckets, none stored); a changed one is built anew and seeded from
 * the store. */
static void test_inputs_across_reload(void)
{
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    harness h;
    h_open(&h, web_yaml(""));
    add_web_series(&h);
    feed_minute(&h, S, 0.9);
    CHECK_EQ_I64(current_at(&h, (S + 60) * 1000), 4);
    aug_errbuf eb = {{0}};
    CHECK_EQ_I64(predict_reload(h.p, h.cfg, &eb), AUG_OK);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 60, 0.9, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(current_at(&h, (S + 120) * 1000), 4);
    metrics_counter *seeded = metrics_counter_get(h.reg, "augur_scaler_inputs_seeded_total", NULL, NULL);
    CHECK_EQ_I64(metrics_counter_value(seeded), 0);

    /* Another max_error: another fingerprint, so the scaler starts afresh and
     * its inputs come from the store (3 + 3; the live 2 + 2 are gone). */
    store_bucket(h.s, 2, S + 60, 3.0);
    store_bucket(h.s, 3, S + 60, 3.0);
    cfg_config *c2 = config_of(web_yaml("    max_error: 0.4\n"));
    CHECK_EQ_I64(predict_reload(h.p, c2, &eb), AUG_OK);
    cfg_free(c2);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 120, 0.9, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(current_at(&h, (S + 180) * 1000), 6);
    CHECK_EQ_I64(metrics_counter_value(seeded), 2);
    h_close(&h);
}

/* Input series come and go (pods of a deployment, kube-state-metrics
 * restarting under a new instance label): a series that stopped reporting
 * drops out of the sum (note 2) and must not keep its slot, or once 64
 * series have been seen new ones are refused and the input stays frozen at
 * the sum of dead series. 64 series of 1 replica report once, then only a
 * new series of 3 reports, ten buckets later: current is 3, not 64. */
static void test_input_series_churn(void)
{
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    harness h;
    h_open(&h, web_yaml(""));
    add_series(h.s, 1, "__name__", "cpu", "job", "a", NULL);
    char pod[16];
    for (uint32_t i = 0; i <= PREDICT_SCALER_MAX_INPUTS; i++) {
        snprintf(pod, sizeof pod, "p%u", i);
        add_series(h.s, 2 + i, "__name__", "replicas", "deployment", "web", "pod", pod, NULL);
    }
    int64_t S0 = S - 600;
    for (uint32_t i = 0; i < PREDICT_SCALER_MAX_INPUTS; i++)
        bucket(h.p, 2 + i, STORE_RES_MINUTE, S0, 1.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S0, 0.1, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(current_at(&h, (S0 + 60) * 1000), PREDICT_SCALER_MAX_INPUTS);
    bucket(h.p, 2 + PREDICT_SCALER_MAX_INPUTS, STORE_RES_MINUTE, S, 3.0, 0);
    bucket(h.p, 1, STORE_RES_MINUTE, S, 0.1, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(current_at(&h, (S + 60) * 1000), 3);
    metrics_counter *refused = metrics_counter_get(h.reg, "augur_scaler_inputs_refused_total", NULL, NULL);
    CHECK_EQ_I64(metrics_counter_value(refused), 0);
    h_close(&h);
}

/* A reload that changes a selectorless scaler's definition keeps the count
 * it asked for (12 replicas still run) although the decision state starts
 * afresh; a max_replicas below it clamps it. */
static void test_queue_current_survives_reload(void)
{
    int64_t S = base_s();
    set_now((S + 600) * 1000);
    harness h;
    h_open(&h, queue_yaml("0.3"));
    add_series(h.s, 1, "__name__", "jobs", "job", "a", NULL);
    double v = TNAN;
    for (int k = 0; k < 2; k++) {
        bucket(h.p, 1, STORE_RES_MINUTE, S + 60 * k, 12.0, 0);
        predict_flush(h.p);
    }
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"q\"}", (S + 120) * 1000, &v), 1);
    CHECK_NEAR(v, 12, 0);
    aug_errbuf eb = {{0}};
    cfg_config *c2 = config_of(queue_yaml("0.4"));
    CHECK_EQ_I64(predict_reload(h.p, c2, &eb), AUG_OK);
    cfg_free(c2);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 120, 12.0, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_current_replicas{scaler=\"q\"}", (S + 180) * 1000, &v), 1);
    CHECK_NEAR(v, 12, 0);

    /* max_replicas 8: the 12 are clamped to what this definition may ask for. */
    char y[sizeof cfg_buf];
    snprintf(y, sizeof y, "%s", queue_yaml("0.4"));
    char *mx = strstr(y, "max_replicas: 20");
    CHECK(mx != NULL);
    if (mx != NULL)
        memcpy(mx, "max_replicas:  8", 16);
    c2 = config_of(y);
    CHECK_EQ_I64(predict_reload(h.p, c2, &eb), AUG_OK);
    cfg_free(c2);
    bucket(h.p, 1, STORE_RES_MINUTE, S + 180, 12.0, 0);
    predict_flush(h.p);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_current_replicas{scaler=\"q\"}", (S + 240) * 1000, &v), 1);
    CHECK_NEAR(v, 8, 0);
    h_close(&h);
}

/* Feeds buckets S, S+60, S+120 (cpu 0.9) to a scaler whose decisions go to
 * h->dir with rotation size max_bytes. */
static void three_decisions(harness *h, int64_t S, int64_t max_bytes)
{
    CHECK_EQ_I64(predict_set_decisions_dir(h->p, h->dir, max_bytes), AUG_OK);
    add_web_series(h);
    for (int k = 0; k < 3; k++)
        feed_minute(h, S + 60 * k, 0.9);
}

/* decisions.jsonl is renamed to decisions.jsonl.1 (replacing an old one)
 * when the next line would take it past the limit. The lines are those of
 * an identical run with the daemon's 16 MiB limit: with a limit of exactly
 * lines 1 and 2 (each with its newline), both fit, and line 3 would pass
 * it, so .1 holds lines 1-2 and the new file line 3. */
static void test_decisions_rotation(void)
{
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    harness ref;
    h_open(&ref, web_yaml(""));
    three_decisions(&ref, S, PREDICT_DECISIONS_MAX_BYTES);
    char path[512];
    snprintf(path, sizeof path, "%s/decisions.jsonl", ref.dir);
    static char lines[3][4096];
    const char *log = slurp(path);
    CHECK_EQ_I64(count_lines(log), 3);
    for (int k = 0; k < 3 && log != NULL; k++) {
        size_t n = strcspn(log, "\n");
        snprintf(lines[k], sizeof lines[k], "%.*s\n", (int)n, log);
        log += n + 1;
    }
    h_close(&ref);

    harness h;
    h_open(&h, web_yaml(""));
    char old[600];
    snprintf(old, sizeof old, "%s/decisions.jsonl.1", h.dir);
    FILE *f = fopen(old, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("an older rotation\n", f);
        fclose(f);
    }
    int64_t limit = (int64_t)(strlen(lines[0]) + strlen(lines[1]));
    three_decisions(&h, S, limit);
    char want[8192];
    snprintf(want, sizeof want, "%s%s", lines[0], lines[1]);
    CHECK_STR(slurp(old), want);
    snprintf(path, sizeof path, "%s/decisions.jsonl", h.dir);
    CHECK_STR(slurp(path), lines[2]);
    h_close(&h);

    /* One byte less: line 2 already would pass it (.1 = line 1), and so
     * would line 3 after it, being no shorter than line 1 (the hold lines
     * carry the cooldown text): .1 holds line 2, the file line 3. */
    CHECK(strlen(lines[2]) >= strlen(lines[0]));
    h_open(&h, web_yaml(""));
    three_decisions(&h, S, limit - 1);
    snprintf(old, sizeof old, "%s/decisions.jsonl.1", h.dir);
    snprintf(path, sizeof path, "%s/decisions.jsonl", h.dir);
    CHECK_STR(slurp(old), lines[1]);
    CHECK_STR(slurp(path), lines[2]);
    CHECK_EQ_I64(predict_set_decisions_dir(h.p, h.dir, 0), AUG_EINVAL);
    h_close(&h);
}

/* ---- a loopback webhook receiver ---- */

#define RECV_MAX 80 /* requests whose body is kept */

typedef struct receiver {
    int fd;
    uint16_t port;
    pthread_t th;
    int first_status; /* answer to the first request */
    bool hold_first;  /* answer the first request only once `release` is set */
    _Atomic bool release;
    _Atomic bool first_in; /* the first request has been read */
    char bodies[RECV_MAX][2048];
    char ctype[RECV_MAX][128];
    _Atomic int n;
} receiver;

static void *recv_main(void *arg)
{
    receiver *r = arg;
    for (;;) {
        int c = accept(r->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[8192];
        size_t len = 0;
        char *body = NULL;
        long clen = -1;
        while (len < sizeof buf - 1) {
            ssize_t k = read(c, buf + len, sizeof buf - 1 - len);
            if (k <= 0)
                break;
            len += (size_t)k;
            buf[len] = '\0';
            char *e = strstr(buf, "\r\n\r\n");
            if (e != NULL && clen < 0) {
                char *cl = strcasestr(buf, "Content-Length:");
                clen = cl ? strtol(cl + 15, NULL, 10) : 0;
                body = e + 4;
            }
            if (body != NULL && (long)(buf + len - body) >= clen)
                break;
        }
        int i = atomic_load(&r->n);
        if (body != NULL && i < RECV_MAX) {
            snprintf(r->bodies[i], sizeof r->bodies[i], "%s", body);
            char *ct = strcasestr(buf, "Content-Type:");
            if (ct != NULL)
                snprintf(r->ctype[i], sizeof r->ctype[i], "%.*s", (int)strcspn(ct, "\r\n"), ct);
        }
        if (i == 0 && r->hold_first) {
            atomic_store(&r->first_in, true);
            while (!atomic_load(&r->release))
                usleep(1000);
        }
        const char *resp = i == 0 && r->first_status == 503
                               ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                               : "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
        ssize_t w = write(c, resp, strlen(resp));
        (void)w;
        atomic_fetch_add(&r->n, 1);
        close(c);
    }
}

static void recv_start(receiver *r, int first_status, bool hold_first)
{
    memset(r, 0, sizeof *r);
    r->first_status = first_status;
    r->hold_first = hold_first;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(r->fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t al = sizeof a;
    CHECK(getsockname(r->fd, (struct sockaddr *)&a, &al) == 0);
    r->port = ntohs(a.sin_port);
    CHECK(listen(r->fd, 8) == 0);
    CHECK(pthread_create(&r->th, NULL, recv_main, r) == 0);
}

static void recv_stop(receiver *r)
{
    shutdown(r->fd, SHUT_RDWR);
    close(r->fd);
    pthread_join(r->th, NULL);
}

static bool wait_calls(receiver *r, int n)
{
    for (int i = 0; i < 200 && atomic_load(&r->n) < n; i++)
        usleep(50000);
    return atomic_load(&r->n) >= n;
}

static bool wait_first_in(receiver *r)
{
    for (int i = 0; i < 200 && !atomic_load(&r->first_in); i++)
        usleep(50000);
    return atomic_load(&r->first_in);
}

/* The "ts" of a decision body; -1 if none. */
static int64_t body_ts(const char *body)
{
    const char *t = strstr(body, "{\"ts\":");
    return t != NULL ? strtoll(t + 6, NULL, 10) : -1;
}

/* shadow: false with a webhook: the decision is POSTed as JSON; a 503 is
 * retried once (retries: 1), the 204 ends it. */
static void test_webhook_retry(void)
{
    receiver r;
    recv_start(&r, 503, false);
    char extra[256];
    snprintf(extra, sizeof extra,
             "    shadow: false\n"
             "    webhook:\n"
             "      url: http://127.0.0.1:%u/hook\n"
             "      timeout: 2s\n"
             "      retries: 1\n",
             (unsigned)r.port);
    harness h;
    h_open(&h, web_yaml(extra));
    add_web_series(&h);
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    feed_minute(&h, S, 0.9);
    CHECK(wait_calls(&r, 2));
    usleep(300000); /* no third call: the 204 ended it */
    CHECK_EQ_I64(atomic_load(&r.n), 2);
    CHECK(strcmp(r.bodies[0], r.bodies[1]) == 0);
    CHECK(strstr(r.ctype[0], "application/json") != NULL);
    CHECK(strstr(r.bodies[0], "\"scaler\":\"web\"") != NULL);
    CHECK(strstr(r.bodies[0], "\"shadow\":false,\"current\":4,\"desired\":8,\"action\":\"scale_up_now\"") != NULL);
    CHECK(strstr(r.bodies[0], "\"reason\":\"") != NULL);
    h_close(&h);
    recv_stop(&r);
}

/* A full webhook queue drops its oldest call. The receiver holds the first
 * call, so the sender waits on it while 66 more decisions are queued: the
 * queue holds PREDICT_HOOK_QUEUE_MAX (64), so the two oldest queued calls
 * (decisions 2 and 3) are dropped and counted. Once released, the receiver
 * gets decision 1 and then decisions 4 to 67, in order, each exactly once. */
static void test_webhook_queue_full_drops_oldest(void)
{
    enum { N = PREDICT_HOOK_QUEUE_MAX + 3 };
    receiver r;
    recv_start(&r, 204, true);
    char extra[256];
    snprintf(extra, sizeof extra,
             "    shadow: false\n"
             "    webhook:\n"
             "      url: http://127.0.0.1:%u/hook\n"
             "      timeout: 1m\n"
             "      retries: 0\n",
             (unsigned)r.port);
    harness h;
    h_open(&h, web_yaml(extra));
    add_web_series(&h);
    int64_t S = base_s();
    /* The clock follows the buckets so every decision is recent (T <= now,
     * within PREDICT_EMIT_MAX_AGE_MS). */
    set_now((S + 60) * 1000);
    feed_minute(&h, S, 0.9);
    CHECK(wait_first_in(&r));
    for (int k = 1; k < N; k++) {
        set_now((S + 60 * (k + 1)) * 1000);
        feed_minute(&h, S + 60 * k, 0.9);
    }
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", 0, NULL), N);
    metrics_counter *dropped =
        metrics_counter_get(h.reg, "augur_scaler_webhook_calls_total", NULL, "result=\"dropped\"");
    metrics_counter *ok = metrics_counter_get(h.reg, "augur_scaler_webhook_calls_total", NULL, "result=\"ok\"");
    CHECK_EQ_I64(metrics_counter_value(dropped), 2);
    atomic_store(&r.release, true);
    CHECK(wait_calls(&r, N - 2));
    usleep(300000); /* nothing else arrives */
    CHECK_EQ_I64(atomic_load(&r.n), N - 2);
    CHECK_EQ_I64(metrics_counter_value(ok), N - 2);
    CHECK_EQ_I64(metrics_counter_value(dropped), 2);
    /* decision k (1-based) has ts S + 60 k */
    CHECK_EQ_I64(body_ts(r.bodies[0]), S + 60);
    for (int i = 1; i < N - 2; i++)
        CHECK_EQ_I64(body_ts(r.bodies[i]), S + 60 * (i + 3));
    h_close(&h);
    recv_stop(&r);
}

/* Shadow (the default) with a webhook configured: never called. */
static void test_shadow_never_calls(void)
{
    receiver r;
    recv_start(&r, 200, false);
    char extra[256];
    snprintf(extra, sizeof extra, "    webhook:\n      url: http://127.0.0.1:%u/hook\n", (unsigned)r.port);
    harness h;
    h_open(&h, web_yaml(extra));
    add_web_series(&h);
    int64_t S = base_s();
    set_now((S + 300) * 1000);
    feed_minute(&h, S, 0.9);
    CHECK_EQ_I64(rec_find(&h.rec, "ai_scaling_desired_replicas{scaler=\"web\"}", 0, NULL), 1);
    usleep(300000);
    CHECK_EQ_I64(atomic_load(&r.n), 0);
    h_close(&h);
    recv_stop(&r);
}

CHECK_MAIN(CHECK_CASE(test_points_and_log), CHECK_CASE(test_decisions_rotation), CHECK_CASE(test_state_survives_restart), CHECK_CASE(test_floor_survives_restart),
           CHECK_CASE(test_bad_state_starts_fresh), CHECK_CASE(test_queue_current_survives_restart), CHECK_CASE(test_queue_current_survives_reload), CHECK_CASE(test_waits_for_replicas),
           CHECK_CASE(test_groups_of_a_utilization_fraction_average), CHECK_CASE(test_service_time_is_the_mean_of_its_series),
           CHECK_CASE(test_inputs_seeded_at_start), CHECK_CASE(test_inputs_across_reload), CHECK_CASE(test_input_series_churn),
           CHECK_CASE(test_webhook_retry), CHECK_CASE(test_webhook_queue_full_drops_oldest),
           CHECK_CASE(test_shadow_never_calls))
