/* ctl_inspect.c — `augurctl inspect`: list the series in a store, or dump
 * their rollups as CSV. Read-only: it may run while augur is running (LMDB
 * readers never block the writer). */
#include "util/common.h"
#include "augurctl.h"
#include "ingest/selector.h"
#include "storage/store.h"
#include "util/arena.h"
#include "wire/wire.h"

#include <sys/stat.h>

static const char usage[] =
    "usage: augurctl inspect --storage.path=DIR [--series SELECTOR] [--resolution minute|hour]\n"
    "                        [--from UNIX_SECONDS] [--to UNIX_SECONDS]\n"
    "Without --series: one line per series, `id<TAB>labels`.\n"
    "With --series: the rollups of every matching series as CSV\n"
    "  series,resolution,start,count,sum,min,max,last,increase\n"
    "(start = bucket start, Unix seconds; default: minute buckets, all time).\n";

typedef struct inspect_args {
    const char *path, *series;
    store_res res;
    int64_t from, to;
} inspect_args;

static void print_labels(FILE *out, const aug_label *l, size_t n)
{
    const aug_label *name = NULL;
    for (size_t i = 0; i < n; i++) {
        if (l[i].name.len == 8 && memcmp(l[i].name.p, "__name__", 8) == 0)
            name = &l[i];
    }
    if (name != NULL)
        fprintf(out, "%.*s", (int)name->value.len, name->value.p);
    fputc('{', out);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (&l[i] == name)
            continue;
        fprintf(out, "%s%.*s=\"", first ? "" : ",", (int)l[i].name.len, l[i].name.p);
        for (size_t k = 0; k < l[i].value.len; k++) {
            char c = l[i].value.p[k];
            if (c == '"' || c == '\\')
                fputc('\\', out);
            if (c == '\n')
                fputs("\\n", out);
            else
                fputc(c, out);
        }
        fputc('"', out);
        first = false;
    }
    fputc('}', out);
}

typedef struct walk {
    const inspect_args *a;
    const ingest_selector *sel;
    store_txn *t;
    util_arena *arena;
    size_t matched;
} walk;

static aug_err dump_rollups(walk *w, uint32_t id, const aug_label *l, size_t n)
{
    store_rollup_iter *it = NULL;
    aug_err err = store_rollup_iter_open(w->t, id, w->a->res, w->a->from, w->a->to, &it);
    if (err != AUG_OK)
        return err;
    int64_t start;
    store_rollup r;
    while ((err = store_rollup_iter_next(it, &start, &r)) == AUG_OK) {
        fputc('"', stdout);
        /* CSV: the selector text with its quotes doubled */
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        if (m == NULL) {
            err = AUG_ENOMEM;
            break;
        }
        print_labels(m, l, n);
        fclose(m);
        for (size_t k = 0; k < len; k++) {
            if (buf[k] == '"')
                fputc('"', stdout);
            fputc(buf[k], stdout);
        }
        free(buf);
        printf("\",%s,%" PRId64 ",%" PRIu32 ",%.17g,%.17g,%.17g,%.17g,%.17g\n",
               w->a->res == STORE_RES_MINUTE ? "minute" : "hour", start, r.count, r.sum, r.min, r.max, r.last,
               r.increase);
    }
    store_rollup_iter_close(it);
    return err == AUG_ENOTFOUND ? AUG_OK : err;
}

static aug_err visit(void *arg, uint32_t id, aug_bytes key)
{
    walk *w = arg;
    if (w->sel != NULL && !ingest_selector_match_key(w->sel, key))
        return AUG_OK;
    util_arena_reset(w->arena);
    aug_label *l;
    size_t n;
    aug_err err = wire_key_labels(w->arena, key, 0, &l, &n);
    if (err != AUG_OK)
        return err;
    w->matched++;
    if (w->sel == NULL) {
        printf("%" PRIu32 "\t", id);
        print_labels(stdout, l, n);
        putchar('\n');
        return AUG_OK;
    }
    return dump_rollups(w, id, l, n);
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

int ctl_inspect(int argc, char **argv)
{
    inspect_args a = {.res = STORE_RES_MINUTE, .from = INT64_MIN / 2, .to = INT64_MAX / 2};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = strchr(s, '=');
        char name[64];
        size_t nl = v ? (size_t)(v - s) : strlen(s);
        snprintf(name, sizeof name, "%.*s", (int)AUG_MIN(nl, sizeof name - 1), s);
        if (v != NULL)
            v++;
        else if (strcmp(s, "--help") != 0 && i + 1 < argc)
            v = argv[++i];
        if (strcmp(name, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (v == NULL) {
            fprintf(stderr, "augurctl inspect: %s needs a value\n%s", s, usage);
            return 2;
        }
        if (strcmp(name, "--storage.path") == 0) {
            a.path = v;
        } else if (strcmp(name, "--series") == 0) {
            a.series = v;
        } else if (strcmp(name, "--resolution") == 0 && (strcmp(v, "minute") == 0 || strcmp(v, "hour") == 0)) {
            a.res = v[0] == 'm' ? STORE_RES_MINUTE : STORE_RES_HOUR;
        } else if (strcmp(name, "--from") == 0 && parse_i64(v, &a.from)) {
        } else if (strcmp(name, "--to") == 0 && parse_i64(v, &a.to)) {
        } else {
            fprintf(stderr, "augurctl inspect: bad option %s %s\n%s", name, v, usage);
            return 2;
        }
    }
    if (a.path == NULL) {
        fprintf(stderr, "augurctl inspect: --storage.path is required\n%s", usage);
        return 2;
    }
    aug_errbuf eb = {{0}};
    ingest_selector *sel = NULL;
    aug_err err = AUG_OK;
    if (a.series != NULL && (err = ingest_selector_parse(a.series, strlen(a.series), &sel, NULL, &eb)) != AUG_OK) {
        fprintf(stderr, "augurctl inspect: --series: %s\n", aug_errmsg(&eb, err));
        return 2;
    }
    /* store_open creates a missing store: a mistyped path would then read
     * as an empty store (exit 0, nothing printed) and leave one behind. */
    char data[4096];
    struct stat st;
    snprintf(data, sizeof data, "%s/data.mdb", a.path);
    if (stat(data, &st) != 0) {
        fprintf(stderr, "augurctl inspect: no augur store at %s (%s: %s)\n", a.path, data, strerror(errno));
        ingest_selector_free(sel);
        return 1;
    }
    store_opts so = {.path = a.path};
    store *s = NULL;
    walk w = {.a = &a, .sel = sel, .arena = util_arena_new((size_t)64 << 20)};
    if (w.arena == NULL)
        err = AUG_ENOMEM;
    if (err == AUG_OK)
        err = store_open(&so, &s, &eb);
    if (err == AUG_OK)
        err = store_txn_begin(s, false, &w.t);
    if (err == AUG_OK) {
        if (sel != NULL)
            printf("series,resolution,start,count,sum,min,max,last,increase\n");
        err = store_series_foreach(w.t, visit, &w);
        store_txn_abort(w.t);
    }
    store_close(s);
    util_arena_free(w.arena);
    ingest_selector_free(sel);
    if (err != AUG_OK) {
        fprintf(stderr, "augurctl inspect: %s\n", aug_errmsg(&eb, err));
        return 1;
    }
    if (sel != NULL && w.matched == 0)
        fprintf(stderr, "augurctl inspect: no series matches %s\n", a.series);
    return 0;
}
