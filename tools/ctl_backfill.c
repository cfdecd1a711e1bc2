/* ctl_backfill.c — `augurctl backfill`: import `timestamp,value` history
 * into a store through the daemon's own ingest writer.
 *
 * Why ingest_write and not direct rollup puts: the result must be exactly
 * what remote-writing the same samples in timestamp order produces (rollups,
 * series dictionary, postings, WAL, checkpointed open buckets), with the same
 * duplicate, NaN and staleness rules. Backfill is one more remote-write
 * client that skips HTTP: the labels go through wire/'s validator and the
 * samples through ingest_write, one durable group commit per batch.
 *
 * Steps, in order:
 *  1. Arguments, and the config (--config.file, else the config table's
 *     defaults) loaded by server_cfg_load, the daemon's own mapping of the
 *     config onto wire limits and ingest options. The series is --series
 *     (parsed by the selector parser; only `=` matchers make sense for one
 *     series) or, per file, derived from the file name (series_from_path).
 *     Either way wire_labels_validate applies remote-write's label rules
 *     with the config's limits and builds the key and hash. With a config
 *     file, a series server_cfg_keeps refuses is dropped, as remote-write
 *     drops it; without one every series is kept (the defaults keep none).
 *  2. Every file is read and checked (ctl_csv_read plus check_points) before
 *     anything is written, so bad input leaves the store untouched, not even
 *     created. The points are not kept: the import reads each file again,
 *     so memory is bounded by the largest file, not by all of them.
 *  3. The store's single-writer lock (util_lockfile_acquire); a running
 *     augur (or another backfill) on the directory makes backfill refuse.
 *  4. store_open + ingest_open (the same recovery as at daemon start-up).
 *     Per file: sort by timestamp (file order among equal timestamps), then
 *     ingest_write in batches of --batch-samples; each batch is one durable
 *     commit, so a big file never builds one huge transaction.
 *  5. ingest_close writes the final checkpoint, as a daemon shutdown does.
 *
 * A failed commit in step 4 (disk or map full, I/O error) leaves every
 * earlier batch committed: a prefix of the file in timestamp order, a state
 * remote-write could have produced too. Running the same command again
 * resumes, because the samples already stored are duplicates (DESIGN §4).
 */
#include "util/common.h"

#include "augurctl.h"
#include "ctl_csv.h"
#include "ingest/ingest.h"
#include "ingest/selector.h"
#include "metrics/metrics.h"
#include "server.h"
#include "storage/store.h"
#include "util/arena.h"
#include "util/lockfile.h"
#include "util/mem.h"
#include "util/time.h"
#include "wire/wire.h"

static const char usage[] =
    "usage: augurctl backfill --storage.path=DIR [--config.file=FILE] [--series SERIES] [--batch-samples N]\n"
    "                         F.csv [F2.csv ...]\n"
    "Imports `timestamp,value` CSV history (header line; Unix seconds or YYYY-MM-DD HH:MM:SS UTC)\n"
    "into the store at DIR exactly as remote-writing the samples in timestamp order would.\n"
    "  --config.file FILE     the daemon's config: its ingest label limits, max_series, close_delay,\n"
    "                         checkpoint_interval and map sizes apply, and a series it does not keep\n"
    "                         (ingest.keep, forecast and scaler inputs) is dropped; default: the\n"
    "                         defaults of every key, and every series is kept\n"
    "  --series SERIES        the series of every file, e.g. 'node_load1{instance=\"a\",job=\"node\"}'\n"
    "                         (only = matchers); default: per file, the file name without its\n"
    "                         extension, other characters than [a-zA-Z0-9_:] turned into '_'\n"
    "  --batch-samples N      samples per durable commit (default 50000)\n"
    "Every file is checked before anything is written. Refused while augur runs on DIR.\n"
    "Give files of the same series oldest first: samples at or before the newest stored\n"
    "sample of their series are skipped as duplicates, as remote-write does.\n";

#define DEFAULT_BATCH 50000
#define MAX_BATCH 10000000 /* wire_limits_default().max_samples: no bigger than one remote-write request */

typedef struct bf_file {
    const char *path;
    wire_series s; /* labels, key, hash; samples set per batch */
    const char *name; /* the series as given (--series) or derived, for messages */
    bool kept;        /* server_cfg_keeps, or no --config.file */
} bf_file;

typedef struct bf_args {
    const char *path, *series, *config;
    long batch;
    server_cfg *cfg; /* --config.file or the defaults; caller frees with server_cfg_free */
    bf_file *files;
    size_t nfiles;
} bf_args;

/* The default metric name for a file: its base name without the last
 * extension, every byte outside [a-zA-Z0-9_:] replaced by '_', and a '_'
 * in front of a leading digit (a metric name cannot start with one). So
 * `data/ec2_cpu-utilization.24ae8d.csv` → `ec2_cpu_utilization_24ae8d`.
 * Returns NULL (nothing usable left, or out of memory). */
static char *series_from_path(util_arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0)
        return NULL;
    bool digit = base[0] >= '0' && base[0] <= '9';
    char *out = util_arena_alloc(a, n + 2);
    if (out == NULL)
        return NULL;
    char *o = out;
    if (digit)
        *o++ = '_';
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == ':';
        *o++ = ok ? c : '_';
    }
    *o = '\0';
    return out;
}

/* Validates labels (any order; strings must outlive the import) into f->s
 * with the config's limits, and decides whether the config keeps it.
 * Returns 0, or 2 after printing why (what names the source in messages). */
static int set_series(util_arena *a, const bf_args *r, bf_file *f, aug_label *l, size_t n, const char *name,
                      const char *what)
{
    aug_errbuf eb = {{0}};
    aug_err err = wire_labels_validate(a, l, n, &r->cfg->wire, &f->s, &eb);
    if (err != AUG_OK) {
        fprintf(stderr, "augurctl backfill: %s: %s\n", what, aug_errmsg(&eb, err));
        return 2;
    }
    f->name = name;
    f->kept = r->config == NULL || server_cfg_keeps(r->cfg, f->s.labels, f->s.nlabels);
    return 0;
}

/* --series: one series given as a selector of `=` matchers. The labels are
 * copied into the arena so the parsed selector can be freed at once. */
static int parse_series(util_arena *a, const bf_args *r, const char *text, bf_file *f)
{
    aug_errbuf eb = {{0}};
    ingest_selector *sel = NULL;
    aug_err err = ingest_selector_parse(text, strlen(text), &sel, NULL, &eb);
    if (err != AUG_OK) {
        fprintf(stderr, "augurctl backfill: --series '%s': %s\n", text, aug_errmsg(&eb, err));
        return 2;
    }
    size_t n = ingest_selector_matcher_count(sel);
    aug_label *l = util_arena_alloc(a, n * sizeof *l);
    int rc = l == NULL ? 1 : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        ingest_matcher m = ingest_selector_matcher(sel, i);
        if (m.op != INGEST_MATCH_EQ) {
            fprintf(stderr,
                    "augurctl backfill: --series '%s': label \"%.*s\": only = matchers name one series\n", text,
                    (int)m.name.len, m.name.p);
            rc = 2;
            break;
        }
        char *nm = util_arena_strndup(a, m.name.p, m.name.len);
        char *v = util_arena_strndup(a, m.value.p, m.value.len);
        if (nm == NULL || v == NULL) {
            rc = 1;
            break;
        }
        l[i] = (aug_label){.name = {nm, m.name.len}, .value = {v, m.value.len}};
    }
    ingest_selector_free(sel);
    if (rc == 1)
        fprintf(stderr, "augurctl backfill: out of memory\n");
    if (rc != 0)
        return rc;
    char what[300];
    snprintf(what, sizeof what, "--series '%s'", text);
    return set_series(a, r, f, l, n, text, what);
}

/* Step 1's series: --series for every file, or each file's name; needs
 * r->cfg. Returns 0, or the exit code after printing why. */
static int set_file_series(util_arena *a, bf_args *r)
{
    if (r->series != NULL) {
        int rc = parse_series(a, r, r->series, &r->files[0]);
        if (rc != 0)
            return rc;
        for (size_t i = 1; i < r->nfiles; i++) {
            r->files[i].s = r->files[0].s;
            r->files[i].name = r->files[0].name;
            r->files[i].kept = r->files[0].kept;
        }
        return 0;
    }
    for (size_t i = 0; i < r->nfiles; i++) {
        char *name = series_from_path(a, r->files[i].path);
        if (name == NULL) {
            fprintf(stderr, "augurctl backfill: %s: cannot derive a series name from the file name; use --series\n",
                    r->files[i].path);
            return 2;
        }
        aug_label *l = util_arena_alloc(a, sizeof *l);
        if (l == NULL) {
            fprintf(stderr, "augurctl backfill: out of memory\n");
            return 1;
        }
        *l = (aug_label){.name = {"__name__", 8}, .value = {name, strlen(name)}};
        int rc = set_series(a, r, &r->files[i], l, 1, name, r->files[i].path);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Fills *out; on return 0 out->cfg is set (free it), else it is NULL. */
static int parse_args(int argc, char **argv, util_arena *a, bf_args *out)
{
    bf_args r = {.batch = DEFAULT_BATCH};
    out->cfg = NULL;
    r.files = util_arena_calloc(a, (size_t)argc * sizeof *r.files);
    if (r.files == NULL) {
        fprintf(stderr, "augurctl backfill: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strncmp(s, "--", 2) != 0) {
            r.files[r.nfiles++].path = s;
            continue;
        }
        if (strcmp(s, "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        const char *v = strchr(s, '=');
        size_t nl = v ? (size_t)(v - s) : strlen(s);
        if (v != NULL)
            v++;
        else if (i + 1 < argc)
            v = argv[++i];
        if (v == NULL) {
            fprintf(stderr, "augurctl backfill: %s needs a value\n%s", s, usage);
            return 2;
        }
        if (nl == 14 && strncmp(s, "--storage.path", nl) == 0) {
            r.path = v;
        } else if (nl == 13 && strncmp(s, "--config.file", nl) == 0) {
            r.config = v;
        } else if (nl == 8 && strncmp(s, "--series", nl) == 0) {
            r.series = v;
        } else if (nl == 15 && strncmp(s, "--batch-samples", nl) == 0 && ctl_parse_long(v, 1, MAX_BATCH, &r.batch)) {
        } else {
            fprintf(stderr, "augurctl backfill: bad option %.*s %s\n%s", (int)nl, s, v, usage);
            return 2;
        }
    }
    if (r.path == NULL || r.path[0] == '\0' || r.nfiles == 0) {
        fprintf(stderr, "augurctl backfill: %s\n%s", r.nfiles ? "--storage.path is required" : "no CSV file given",
                usage);
        return 2;
    }
    aug_errbuf eb = {{0}};
    aug_err err = server_cfg_load(r.config, &r.cfg, &eb);
    if (err != AUG_OK) {
        fprintf(stderr, "augurctl backfill: %s\n", aug_errmsg(&eb, err));
        return err == AUG_ENOMEM ? 1 : 2;
    }
    int rc = set_file_series(a, &r);
    if (rc != 0) {
        server_cfg_free(r.cfg);
        return rc;
    }
    *out = r;
    return 0;
}

/* What ctl_csv_read does not check but a sample needs: a timestamp that
 * ingest_write takes (INGEST_TS_LIMIT_MS, which also keeps the milliseconds
 * inside an int64). Returns 0 or 1. */
static int check_points(const char *path, const ctl_point *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i].ts > INGEST_TS_LIMIT_MS / 1000 || p[i].ts < -INGEST_TS_LIMIT_MS / 1000) {
            fprintf(stderr, "augurctl backfill: %s:%ld: timestamp %" PRId64 " is out of range\n", path, p[i].line,
                    p[i].ts);
            return 1;
        }
    }
    return 0;
}

/* Timestamp order; equal timestamps keep their file order (line), so the
 * first of them is the one stored, as when they are remote-written in order. */
static int cmp_point(const void *x, const void *y)
{
    const ctl_point *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

typedef struct bf_totals {
    uint64_t read;    /* samples in the files */
    uint64_t dropped; /* of series the config does not keep */
    ingest_result r;
} bf_totals;

static void add_result(ingest_result *to, const ingest_result *r)
{
    to->accepted += r->accepted;
    to->duplicate += r->duplicate;
    to->stale += r->stale;
    to->nonfinite += r->nonfinite;
    to->series_limit += r->series_limit;
    to->new_series += r->new_series;
}

/* Imports one (already checked) file. Returns 0 or 1. */
static int import_file(ingest *g, const bf_args *a, bf_file *f, aug_sample *buf, bf_totals *tot)
{
    long batch = a->batch;
    ctl_point *p = NULL;
    size_t n = 0;
    if (ctl_csv_read("backfill", f->path, &p, &n) != 0 || check_points(f->path, p, n) != 0) {
        aug_free(p);
        return 1; /* the file changed since it was checked */
    }
    uint64_t unordered = 0, same_ts = 0;
    for (size_t i = 1; i < n; i++)
        unordered += p[i].ts < p[i - 1].ts;
    if (unordered > 0)
        qsort(p, n, sizeof *p, cmp_point);
    for (size_t i = 1; i < n; i++)
        same_ts += p[i].ts == p[i - 1].ts;
    if (!f->kept) {
        fprintf(stderr,
                "augurctl backfill: %s: %s: not kept (no ingest.keep selector, forecast or scaler input of %s "
                "matches it): %zu samples dropped\n",
                f->path, f->name, a->config, n);
        tot->read += n;
        tot->dropped += n;
        aug_free(p);
        return 0;
    }

    ingest_result fr = {0};
    int64_t t0 = util_mono_ns(), last_progress = t0;
    int rc = 0;
    for (size_t done = 0; done < n;) {
        size_t k = AUG_MIN(n - done, (size_t)batch);
        for (size_t i = 0; i < k; i++)
            buf[i] = (aug_sample){.ts_ms = p[done + i].ts * 1000, .value = p[done + i].v};
        wire_series ws = f->s;
        ws.samples = buf;
        ws.nsamples = k;
        ingest_result r;
        aug_err err = ingest_write(g, &ws, 1, &r);
        if (err != AUG_OK) {
            fprintf(stderr,
                    "augurctl backfill: %s: commit failed at line %ld (%s); the %zu samples before it in "
                    "timestamp order are committed, run the same command again to resume\n",
                    f->path, p[done].line, aug_strerror(err), done);
            rc = 1;
            break;
        }
        add_result(&fr, &r);
        done += k;
        int64_t now = util_mono_ns();
        if (done < n && now - last_progress >= 1000000000) {
            fprintf(stderr, "augurctl backfill: %s: %zu of %zu samples\n", f->path, done, n);
            last_progress = now;
        }
    }
    if (rc == 0) {
        char b0[32], b1[32];
        /* ingest counts both kinds of duplicate together; after sorting, every
         * repeated timestamp is a duplicate, the rest were already stored. */
        fprintf(stderr,
                "augurctl backfill: %s: %s: %zu samples %s .. %s UTC: %" PRIu64 " imported, %" PRIu64
                " skipped (%" PRIu64 " repeated timestamps in the file, %" PRIu64
                " at or before the newest stored sample, %" PRIu64 " NaN/Inf)",
                f->path, f->name, n, ctl_format_ts(p[0].ts, b0, sizeof b0), ctl_format_ts(p[n - 1].ts, b1, sizeof b1),
                fr.accepted, fr.duplicate + fr.nonfinite + fr.stale, same_ts, fr.duplicate - same_ts,
                fr.nonfinite + fr.stale);
        if (fr.series_limit > 0)
            fprintf(stderr, "; %" PRIu64 " dropped: the store has ingest.max_series series", fr.series_limit);
        if (unordered)
            fprintf(stderr, "; %" PRIu64 " lines were out of order and were sorted", unordered);
        fputc('\n', stderr);
        tot->read += n;
        add_result(&tot->r, &fr);
    }
    aug_free(p);
    return rc;
}

/* Steps 3-5 of the file comment. Returns the exit code. */
static int import(const bf_args *a)
{
    aug_errbuf eb = {{0}};
    int lock_fd = -1;
    store *s = NULL;
    ingest *g = NULL;
    metrics_registry *reg = NULL;
    aug_sample *buf = NULL;
    int rc = 1;
    aug_err err = util_lockfile_acquire(a->path, &lock_fd, &eb);
    if (err != AUG_OK) {
        fprintf(stderr, "augurctl backfill: %s\n", aug_errmsg(&eb, err));
        return 1;
    }
    const server_cfg *c = a->cfg;
    store_opts so = {.path = a->path, .initial_map_bytes = c->store_initial_map, .max_map_bytes = c->store_max_map};
    if ((err = store_open(&so, &s, &eb)) != AUG_OK) {
        fprintf(stderr, "augurctl backfill: cannot open the store: %s\n", aug_errmsg(&eb, err));
        goto fail;
    }
    /* The daemon's options for this config (server_cfg_load), except:
     *  - retention: never delete. Without --config.file backfill does not
     *    know the daemon's retention, and deleting with the defaults could
     *    destroy rollups a longer configured one keeps; with it, deletion is
     *    still the daemon's retention pass (at its start-up, then every 10
     *    minutes), so both cases store old samples as remote-write does.
     *  - queue_limit: one batch; there is a single producer. */
    ingest_opts io = c->ingest;
    io.minute_retention_s = INT64_MAX / 4;
    io.hour_retention_s = INT64_MAX / 4;
    io.queue_limit_samples = (size_t)a->batch;
    reg = metrics_registry_new();
    buf = aug_malloc((size_t)a->batch * sizeof *buf);
    if (reg == NULL || buf == NULL) {
        fprintf(stderr, "augurctl backfill: out of memory\n");
        goto fail;
    }
    if ((err = ingest_open(s, &io, reg, &g, &eb)) != AUG_OK) {
        fprintf(stderr, "augurctl backfill: cannot start ingest: %s\n", aug_errmsg(&eb, err));
        goto fail;
    }
    bf_totals tot = {0};
    int64_t t0 = util_mono_ns();
    for (size_t i = 0; i < a->nfiles; i++)
        if (import_file(g, a, &a->files[i], buf, &tot) != 0)
            goto fail;
    ingest_close(g); /* the final checkpoint: the newest buckets stay open in it */
    g = NULL;
    /* Every batch was acknowledged only once flushed (ingest invariant 8);
     * the final checkpoint's commit is flushed here, so "done" means all of
     * it is on disk. */
    if ((err = store_sync(s)) != AUG_OK) {
        fprintf(stderr, "augurctl backfill: cannot flush the store: %s\n", aug_strerror(err));
        goto fail;
    }
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    const ingest_result *r = &tot.r;
    fprintf(stderr,
            "augurctl backfill: done: %zu file%s, %" PRIu64 " samples read, %" PRIu64 " imported, %" PRIu64
            " skipped, %" PRIu64 " dropped, %" PRIu64 " new series, %.2f s (%.0f samples/s)\n",
            a->nfiles, a->nfiles == 1 ? "" : "s", tot.read, r->accepted, r->duplicate + r->nonfinite + r->stale,
            tot.dropped + r->series_limit, r->new_series, secs, secs > 0 ? (double)tot.read / secs : 0.0);
    rc = 0;
fail:
    ingest_close(g);
    store_close(s);
    util_lockfile_release(lock_fd);
    metrics_registry_free(reg);
    aug_free(buf);
    return rc;
}

int ctl_backfill(int argc, char **argv)
{
    util_arena *a = util_arena_new((size_t)16 << 20);
    if (a == NULL) {
        fprintf(stderr, "augurctl backfill: out of memory\n");
        return 1;
    }
    bf_args args;
    int rc = parse_args(argc, argv, a, &args);
    if (rc < 0) {
        rc = 0; /* --help */
        goto out;
    }
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < args.nfiles; i++) {
        ctl_point *p = NULL;
        size_t n = 0;
        rc = ctl_csv_read("backfill", args.files[i].path, &p, &n);
        if (rc == 0)
            rc = check_points(args.files[i].path, p, n);
        aug_free(p);
        if (rc != 0) {
            fprintf(stderr, "augurctl backfill: nothing imported\n");
            goto out;
        }
    }
    rc = import(&args);
out:
    server_cfg_free(args.cfg);
    util_arena_free(a);
    return rc;
}
