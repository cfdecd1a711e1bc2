/* predict_int.h — internal to src/predict/: the layout of targets, groups and
 * memberships shared by predict.c (the thread), record.c (the saved-model
 * byte format) and status.c (remote-read paths and /api/v1/status). Nothing
 * outside src/predict/ and its tests includes this file; the contract is
 * predict.h, the invariants are at the top of predict.c.
 */
#ifndef AUG_PREDICT_PREDICT_INT_H
#define AUG_PREDICT_PREDICT_INT_H

#include "predict/predict.h"

#include "decide/decide.h"
#include "export/client.h"
#include "forecast/accuracy.h"
#include "forecast/forecast.h"
#include "ingest/selector.h"
#include "metrics/metrics.h"
#include "util/arena.h"

#include <pthread.h>
#include <stdatomic.h>

#define PREDICT_NONE UINT32_MAX
#define PREDICT_MAX_HORIZONS 16 /* cfg: forecasts[].horizons has at most 16 */
#define PREDICT_REASON_MAX 384

/* One closed bucket as the hook copied it. */
typedef struct predict_event {
    uint32_t id;
    uint32_t count;
    store_res res;
    int64_t start_s;
    double sum;
    double increase;
    double last;  /* last sample of the bucket (scaler inputs) */
    int64_t t_ns; /* monotonic clock when queued (latency metric) */
} predict_event;

/* One group bucket that is not final yet. */
typedef struct predict_pend {
    int64_t start_s;
    double sum, min, max;
    uint32_t n;       /* member values folded in */
    int64_t first_ms; /* wall clock of the first member report */
    int64_t last_ns;  /* monotonic clock of the newest event folded in */
} predict_pend;

/* Feedback state of one horizon (k steps): the forecasts made for the next
 * k buckets, and the rolling error of the last ones (forecast/accuracy.h). */
typedef struct predict_fb {
    int32_t k;
    int64_t *tgt; /* [k] target bucket start of the forecast in slot (start/width) % k; INT64_MIN = none */
    double *val;  /* [k] the forecast mean */
    fc_acc acc;
} predict_fb;

typedef struct predict_group {
    uint8_t *key; /* canonical label key of the group labels (owned; may be empty) */
    size_t keylen;
    aug_label *labels; /* views into key, sorted */
    size_t nlabels;
    uint64_t hash;

    /* Predict thread only. */
    uint32_t *members; /* indices into predict.mem */
    size_t nmembers, mcap;
    predict_pend *pend; /* ascending start_s */
    size_t npend, pcap;
    int64_t last_final_s; /* INT64_MIN: none yet */
    int64_t last_emit_ms; /* INT64_MIN: none yet */
    fc_model *m;
    bool seed_pending; /* before the first live update: learn the stored buckets after last_final_s (notes 9, 10) */
    int64_t seeded;    /* stored buckets learned that way in this process (a new model's history or a gap) */
    int32_t since_save;
    bool dirty;   /* changed since the last save */
    bool touched; /* on predict.touched this batch */
    predict_fb fb[PREDICT_MAX_HORIZONS];
    bool one_have; /* the 1-step forecast for bucket one_tgt */
    int64_t one_tgt;
    double one_mean, one_lo80, one_hi80;
    double anomaly; /* last anomaly score; NaN: none */
    double last_y;  /* the value of the newest final bucket (a scaler's observed load); NaN: none */
    fc_state state;

    /* Published snapshot: written by the predict thread under predict.lock
     * (write), read by HTTP threads under it (read). */
    fc_forecast *path; /* [target.H] */
    int32_t path_n;    /* 0: no forecast yet */
    int64_t path_base_ms;
    fc_state pub_state;
    int64_t pub_points, pub_refits, pub_last_bucket_s, pub_seeded;
    double pub_err[PREDICT_MAX_HORIZONS]; /* NaN: not measured yet */
    double pub_anomaly;
    char pub_reason[PREDICT_REASON_MAX];
} predict_group;

typedef struct predict_target {
    /* Definition (immutable once built). */
    char *name;
    char *sel_text;
    ingest_selector *sel;
    bool rate;
    cfg_agg_op op;
    bool without;
    char **agg_labels; /* sorted, unique */
    size_t nagg;
    char *agg_text; /* "sum by (job)", "none" */
    store_res res;
    int64_t width_s;
    int32_t nh;
    int32_t hsteps[PREDICT_MAX_HORIZONS];
    char hname[PREDICT_MAX_HORIZONS][24]; /* "15m", "1h" */
    int32_t H; /* longest horizon, steps */
    fc_params par; /* every group's model: cfg_forecast_fc_params(width_s, H), checked */
    cfg_model model;
    int64_t max_groups;
    uint64_t fp; /* fingerprint of everything a saved model depends on */
    /* Metric names: ai_<name>_forecast, ... */
    char *n_fc, *n_lo, *n_hi, *n_err, *n_anom, *n_state, *n_path, *n_path_lo, *n_path_hi;

    /* Groups: created by the predict thread under predict.lock (write);
     * the array only grows. */
    predict_group **groups;
    size_t ngroups, gcap;
    uint32_t *gslots; /* open addressing: group index + 1, 0 = empty */
    size_t gmask;
    _Atomic uint64_t refused; /* memberships refused by max_groups (read by status) */
    bool warned;
} predict_target;

/* One (input series, target) membership, or (input series, scaler input). */
typedef struct predict_member {
    uint32_t id;
    uint32_t tgt;          /* index into predict.t; for a scaler input, into predict.sc */
    uint8_t kind;          /* 0: forecast input; 1 + predict_sin_kind: a scaler input */
    uint32_t grp;          /* index into the target's groups; PREDICT_NONE: refused by max_series */
    uint32_t next;         /* next membership of the same id; PREDICT_NONE ends */
    int64_t last_start_s;  /* newest bucket reported; INT64_MIN: none */
    int64_t last_seen_ms;  /* wall clock of the newest report, or of discovery */
} predict_member;

typedef struct predict_touch {
    predict_target *t;
    predict_group *g;
} predict_touch;

/* ---- scalers (scale.c) ---- */

#define PREDICT_SCALER_MAX_INPUTS 64 /* series summed per scaler input; more are ignored (counted) */
#define PREDICT_HOOK_QUEUE_MAX 64    /* webhook calls waiting; a full queue drops the oldest */

typedef enum predict_sin_kind {
    PREDICT_IN_REPLICAS = 0,
    PREDICT_IN_QUEUE = 1,
    PREDICT_IN_SERVICE = 2,
    PREDICT_IN__COUNT
} predict_sin_kind;

/* The latest closed bucket of one series feeding a scaler input. */
typedef struct predict_sin {
    uint32_t id;
    int64_t start_s;
    double last;
} predict_sin;

typedef struct predict_scaler {
    /* Definition (immutable once built). */
    char *name;
    cfg_scaler_mode mode;
    bool shadow;
    decide_params dp;
    predict_target *t; /* the forecast (utilization) or arrival_rate (queue) target; same tset */
    ingest_selector *sel[PREDICT_IN__COUNT]; /* NULL: input not configured */
    char *webhook_url;                       /* NULL: none */
    export_client_target *webhook;           /* where and how to call it (one reference); NULL: none */
    int64_t webhook_retries;
    uint64_t fp; /* fingerprint of the definition: reload keeps the state when it matches */

    /* Predict thread only. */
    predict_sin in[PREDICT_IN__COUNT][PREDICT_SCALER_MAX_INPUTS];
    uint32_t nin[PREDICT_IN__COUNT];
    decide_state st;
    bool st_dirty;        /* st changed since it was last saved (scale.c note 8) */
    bool st_resumed;      /* st came from the previous definition at a reload: not read from the store */
    int64_t due_ms;       /* newest bucket end its target emitted; INT64_MIN: none */
    int64_t last_emit_ms; /* I4 for the ai_scaling_* series */
    int32_t last_desired; /* -1: none (current when no replicas selector; saved with st: scale.c note 8) */
    decide_point *fcp;    /* [FC_MAX_HORIZON] scratch path */

    /* Published (predict.lock). */
    int64_t pub_eval_s; /* INT64_MIN: never evaluated */
    int32_t pub_current, pub_desired;
    decide_action pub_action;
    bool pub_fell_back;
    int32_t pub_floor; /* the scale-down floor in force; -1: none */
    double pub_peak;
    char pub_reason[DECIDE_REASON_MAX];
} predict_scaler;

typedef struct predict_hook predict_hook; /* the webhook sender (scale.c) */

typedef struct predict_tset {
    predict_target **t;
    size_t n;
    predict_scaler **sc;
    size_t nsc;
} predict_tset;

struct predict {
    store *s;
    predict_sink sink;
    void *sink_arg;
    int64_t (*now)(void *);
    void *now_arg;
    _Atomic int64_t close_delay_ms;

    /* Queue (hook → thread), under qlock. */
    pthread_mutex_t qlock;
    pthread_cond_t qcv;      /* work arrived / stop / flush / reload */
    pthread_cond_t done_cv;  /* flush done */
    predict_event *q;
    size_t qhead, qlen;
    bool stopping;
    uint64_t flush_req, flush_done;
    predict_tset *reload; /* pending target set, taken by the thread */
    _Atomic bool uses_res[3]; /* index store_res: a target uses it */
    pthread_t thread;
    bool started;

    /* Targets and published group snapshots. */
    pthread_rwlock_t lock;
    predict_target **t;
    size_t nt;
    predict_scaler **sc; /* swapped with t */
    size_t nsc;
    char *dec_path;      /* <storage.path>/decisions.jsonl; NULL: not written (under qlock) */
    int64_t dec_max;     /* bytes decisions.jsonl may reach before it is rotated (under qlock) */
    predict_hook *hook;  /* webhook sender; NULL until a non-shadow scaler with a webhook decides */

    /* Predict thread only. */
    predict_member *mem;
    size_t nmem, memcap;
    uint32_t *mslots; /* open addressing on id: member index + 1, 0 = empty */
    size_t mmask;
    size_t nids; /* distinct ids in mslots */
    uint32_t scan_upto; /* every id <= this has been resolved */
    bool mem_warned;
    predict_event *batch; /* [BATCH] taken from the queue */
    predict_touch *touched;
    size_t ntouched, touched_cap;
    predict_touch *saveq;
    size_t saveq_cap;
    predict_point *pts;
    size_t npts;
    util_arena *ea; /* labels of pts */
    fc_forecast *scratch;
    size_t scratch_n;
    uint8_t *savebuf;
    size_t savecap;
    int64_t last_pass_ms;
    int state_count[3];

    /* Stats (any thread). */
    _Atomic uint64_t st_events, st_dropped, st_processed, st_groups, st_updates, st_refits, st_points, st_late,
        st_refused, st_saves, st_loads, st_seeded;

    /* Self-metrics. */
    metrics_counter *m_events, *m_dropped, *m_late, *m_refused, *m_members_refused, *m_refits, *m_updates,
        *m_update_err, *m_points, *m_pts_old, *m_pts_future, *m_saves, *m_save_err, *m_loads, *m_load_err,
        *m_forced, *m_sc_evals, *m_sc_err, *m_sc_inputs_refused, *m_sc_inputs_seeded, *m_dec_err, *m_hook_ok,
        *m_hook_fail, *m_hook_dropped, *m_sc_state_load_err, *m_sc_state_save_err, *m_seeded;
    metrics_gauge *m_groups, *m_state[3], *m_members;
    metrics_histogram *m_refit_s, *m_latency_s, *m_seed_s;
};

/* ---- record.c: the saved model (byte format at the top of record.c) ---- */

typedef struct predict_record_h {
    int32_t k;
    fc_acc acc;
    const int64_t *tgt; /* encode: [k] */
    const double *val;  /* encode: [k] */
    aug_bytes pending;  /* decode: k * 16 raw bytes, read with predict_record_pending */
} predict_record_h;

typedef struct predict_record {
    uint64_t fp;
    int64_t last_final_s;
    int64_t last_emit_ms;
    aug_bytes group_key;
    uint32_t nh;
    predict_record_h h[PREDICT_MAX_HORIZONS];
    bool one_have;
    int64_t one_tgt;
    double one_mean, one_lo80, one_hi80;
    double anomaly;
    aug_bytes model; /* fc_model blob */
} predict_record;

/* Bytes predict_record_encode writes for r. */
size_t predict_record_size(const predict_record *r);
/* Encodes r into buf (cap >= predict_record_size). AUG_ETOOBIG if cap is
 * short; AUG_EINVAL for a field out of range (nh, k, ne, head, key length). */
aug_err predict_record_encode(const predict_record *r, uint8_t *buf, size_t cap, size_t *len);
/* Decodes a record; every view in *out borrows from in. AUG_EVERSION for an
 * unknown version byte; AUG_ECORRUPT for anything else wrong (short, long,
 * out-of-range field, reserved bits, checksum). Never reads outside in. */
aug_err predict_record_decode(aug_bytes in, predict_record *out);
/* The i-th pending forecast of a decoded horizon (i < k). */
void predict_record_pending(const predict_record_h *h, int32_t i, int64_t *tgt, double *val);

/* ---- predict.c helpers shared with scale.c ---- */

/* Runs fn(arg, txn) in one write transaction of p->s and commits it; a full
 * map (AUG_EFULL) is grown and fn run again, up to 3 times, so fn must only
 * put. Returns fn's, the store's or the commit's error. Predict thread. */
aug_err predict_write_txn(predict *p, aug_err (*fn)(void *arg, store_txn *txn), void *arg);

/* ---- scale.c: scalers on the predict thread ---- */

/* Builds ts->sc from cfg's scalers (ts->t already built). AUG_ECONFIG for a
 * scaler the engine cannot run (eb names it), AUG_ENOMEM. */
aug_err predict_scalers_build(const cfg_config *cfg, predict_tset *ts, aug_errbuf *eb);
void predict_scaler_free(predict_scaler *sc);
/* Reload: a new scaler with the same name and fingerprint as an old one
 * takes over its state (decision history, inputs, last emitted time). */
void predict_scalers_carry(predict_scaler *const *olds, size_t nold, predict_scaler *const *news, size_t nnew);
/* Reads the saved decision state of every scaler of sc[0..n) that did not
 * take one over at a reload (scale.c note 8); one read transaction. A
 * missing, foreign (another definition) or unreadable record leaves the
 * fresh state, logged. */
void predict_scale_load(predict *p, predict_scaler *const *sc, size_t n);
/* Saves the decision state of every scaler of p->sc that changed since its
 * last save, in one write transaction (note 8). */
void predict_scale_save(predict *p);
/* Seeds the inputs of every scaler of p->sc that did not take over its
 * previous definition's (scale.c note 9): for each input, the newest stored
 * bucket at the scaler's resolution of every member series, as the live
 * events would have left them. Call after a complete scan (the memberships
 * name the series), at start and after a reload. now: wall clock, ms. */
void predict_scale_seed(predict *p, int64_t now);
/* A closed bucket of a series that feeds scaler input kind. */
void predict_scale_input(predict *p, const predict_member *m, const predict_event *ev);
/* A group of target t emitted its points stamped T (ms). */
void predict_scale_due(predict *p, const predict_target *t, int64_t T);
/* Evaluates every scaler that is due (and whose other groups are not still
 * expected at T, scale.c note 3); points go to p->pts via emit, lines to
 * decisions.jsonl, calls to the webhook queue. Returns true when a decision
 * state changed (an evaluation succeeded). */
bool predict_scale_run(predict *p, int64_t now);
/* How long a group bucket waits for its members after the first reported
 * it: ingest.close_delay + PREDICT_FINALIZE_SLACK_MS (predict.c note 4b). */
int64_t predict_grace_ms(const predict *p);
/* Stops the webhook sender after its queue is done (bounded by timeouts). */
void predict_hook_stop(predict *p);
/* Queues one point with the given labels (sorted, __name__ first) for the
 * sink (predict.c). */
void predict_emit_labels(predict *p, int64_t ts, const aug_label *labels, size_t n, double v);

/* ---- status.c helpers shared with predict.c ---- */

/* Merges group labels with extra labels (extra sorted by name, at most 4,
 * overriding group labels of the same name) into out (cap >= n + nextra);
 * returns the count. */
size_t predict_labels_merge(const aug_label *g, size_t n, const aug_label *extra, size_t nextra, aug_label *out);
/* Bytewise order of label names. */
int predict_str_cmp(aug_str a, aug_str b);

#endif
