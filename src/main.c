/* main.c — the augur daemon: flags, start-up order, signals, shutdown.
 *
 * Start-up: flags → logging → config (a bad config exits 1 with file:line)
 * → metrics registry → store lock (one writer process per store) → store
 * (schema check) → exporter (remote-write senders resume the durable
 * outbox) → ingest (recovery: checkpoint + WAL replay, then the writer
 * thread) → predict (forecast targets and scalers; its thread resolves the
 * input series and resumes saved models) and the closed-bucket hook
 * (installed right after ingest_open: the writer's first wall-clock sweep is
 * a second later, and recovery fires no hooks) → HTTP → ready.
 * Forecast and scaling points go from predict's sink to the exporter
 * (server_export_sink). Any start-up failure unwinds through the same
 * cleanup path as a normal shutdown and exits 1.
 * Reload (SIGHUP, POST /-/reload) applies forecast target and scaler changes
 * too (unchanged ones keep their state) and rebuilds the exporter.
 * Signals are blocked in every thread and taken here with sigwait:
 * SIGHUP reloads the config (as POST /-/reload does); SIGTERM/SIGINT drain:
 * readiness drops, the HTTP server stops accepting and lets in-flight
 * requests finish (a write waiting on its commit gets its reply), the writer
 * commits what is queued and checkpoints (its last buckets still reach
 * predict), predict drains its queue and saves every changed model, the
 * store closes. Exit code 0.
 * This is the only file that may call exit().
 */
#include "util/common.h"
#include "http/http.h"
#include "server.h"
#include "util/lockfile.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

typedef struct flags {
    const char *config_file;
    const char *storage_path;
    const char *listen;
    const char *log_level;
    const char *log_format;
} flags;

static const char usage_text[] =
    "usage: augur [flags]\n"
    "\n"
    "augur reads the metrics Prometheus remote-writes to it, keeps minute and hourly\n"
    "rollups in an embedded LMDB store, and serves them by remote-read.\n"
    "\n"
    "flags:\n"
    "  --config.file=FILE           configuration file (default config/augur.yml)\n"
    "  --storage.path=DIR           store directory, created if missing (default data)\n"
    "  --web.listen-address=ADDR    host:port to listen on (default 127.0.0.1:9201); the host\n"
    "                               is numeric: IPv4, or IPv6 in brackets ([::1]:9201; [::]\n"
    "                               takes IPv4 too); an empty host or localhost means\n"
    "                               127.0.0.1, 0.0.0.0 all IPv4; port 0 picks a free port\n"
    "  --log.level=LEVEL            debug, info, warn or error (default info)\n"
    "  --log.format=FORMAT          logfmt or json (default logfmt)\n"
    "  --version                    print the version and exit\n"
    "  --help                       print this help and exit\n"
    "\n"
    "signals: SIGHUP reloads the config (like POST /-/reload); SIGTERM drains and exits.\n";

/* Accepts --name=value and --name value. Returns the value or NULL. */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_flags(int argc, char **argv, flags *f)
{
    *f = (flags){"config/augur.yml", "data", "127.0.0.1:9201", "info", "logfmt"};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("augur version %s\n", AUG_VERSION);
            return 0;
        }
        if ((v = flag_value(argc, argv, &i, "--config.file")) != NULL)
            f->config_file = v;
        else if ((v = flag_value(argc, argv, &i, "--storage.path")) != NULL)
            f->storage_path = v;
        else if ((v = flag_value(argc, argv, &i, "--web.listen-address")) != NULL)
            f->listen = v;
        else if ((v = flag_value(argc, argv, &i, "--log.level")) != NULL)
            f->log_level = v;
        else if ((v = flag_value(argc, argv, &i, "--log.format")) != NULL)
            f->log_format = v;
        else {
            fprintf(stderr, "augur: unknown flag or missing value: %s\n\n%s", argv[i], usage_text);
            return 2;
        }
    }
    return -1;
}

static int fail(const char *what, aug_err err, const aug_errbuf *eb)
{
    LOG_ERROR("main", what, "err", aug_strerror(err), "detail", aug_errmsg(eb, err));
    return 1;
}

int main(int argc, char **argv)
{
    flags f;
    int rc = parse_flags(argc, argv, &f);
    if (rc >= 0)
        return rc;
    log_level lvl;
    log_format fmt;
    if (!log_level_parse(f.log_level, &lvl) || !log_format_parse(f.log_format, &fmt)) {
        fprintf(stderr, "augur: --log.level must be debug|info|warn|error and --log.format logfmt|json\n");
        return 2;
    }
    log_configure(lvl, fmt, NULL, getenv("AUGUR_DEBUG"));
    /* Request arenas come and go at a few MiB each; without these glibc
     * trims and re-faults that memory on every request (35% of decode time
     * measured by bench_wire). The cost is up to 64 MiB kept in the heap. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);

    augur_server srv;
    memset(&srv, 0, sizeof srv);
    srv.config_path = f.config_file;
    srv.storage_path = f.storage_path;
    srv.start_ms = util_now_ms();
    http_listen web_listen;
    aug_errbuf leb = {{0}};
    aug_err lerr = http_listen_parse(f.listen, &web_listen, &leb);
    if (lerr != AUG_OK) {
        fprintf(stderr, "augur: --web.listen-address: %s\n", aug_errmsg(&leb, lerr));
        return 2;
    }
    pthread_mutex_init(&srv.cfg_lock, NULL);
    pthread_mutex_init(&srv.reload_lock, NULL);

    /* Every thread created from here on inherits the blocked set. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    aug_errbuf eb = {{0}};
    server_cfg *cfg = NULL;
    aug_err err = server_cfg_load(f.config_file, &cfg, &eb);
    if (err != AUG_OK) {
        fprintf(stderr, "augur: %s\n", aug_errmsg(&eb, err));
        return 1;
    }
    srv.cfg = cfg;
    pthread_mutex_init(&srv.export_lock, NULL);
    int lock_fd = -1;
    int exit_code = 1;
    srv.metrics = metrics_registry_new();
    if (srv.metrics == NULL) {
        fail("out of memory", AUG_ENOMEM, NULL);
        goto out;
    }
    srv.m_reload_ok = metrics_gauge_get(srv.metrics, "augur_config_last_reload_successful",
                                        "Whether the last configuration reload attempt was successful.", NULL);
    srv.m_reload_ts = metrics_gauge_get(srv.metrics, "augur_config_last_reload_success_timestamp_seconds",
                                        "Timestamp of the last successful configuration reload.", NULL);
    srv.m_export_unqueued = metrics_counter_get(srv.metrics, "augur_export_unqueued_points_total",
                                                "Forecast points the exporter refused to queue (logged).", NULL);
    metrics_gauge_set(srv.m_reload_ok, 1);
    metrics_gauge_set(srv.m_reload_ts, (double)srv.start_ms / 1000.0);
    metrics_gauge_set(metrics_gauge_get(srv.metrics, "augur_build_info", "augur build information.",
                                        "version=\"" AUG_VERSION "\""),
                      1);

    if ((err = util_lockfile_acquire(f.storage_path, &lock_fd, &eb)) != AUG_OK) {
        fail("cannot lock the store", err, &eb);
        goto out;
    }
    store_opts so = {.path = f.storage_path,
                     .initial_map_bytes = cfg->store_initial_map,
                     .max_map_bytes = cfg->store_max_map};
    if ((err = store_open(&so, &srv.store, &eb)) != AUG_OK) {
        fail("cannot open the store", err, &eb);
        goto out;
    }
    server_register_store_metrics(&srv);
    if ((err = server_export_open(&srv, 0, &eb)) != AUG_OK) {
        fail("cannot start the remote-write exporter", err, &eb);
        goto out;
    }
    if ((err = ingest_open(srv.store, &cfg->ingest, srv.metrics, &srv.ingest, &eb)) != AUG_OK) {
        fail("cannot start ingest", err, &eb);
        goto out;
    }
    if ((err = predict_open(srv.store, cfg->cfg, srv.metrics, server_export_sink, &srv, &srv.predict, &eb)) !=
        AUG_OK) {
        fail("cannot start the forecasters", err, &eb);
        goto out;
    }
    if ((err = predict_set_decisions_dir(srv.predict, f.storage_path, PREDICT_DECISIONS_MAX_BYTES)) != AUG_OK) {
        fail("cannot start the scalers", err, NULL);
        goto out;
    }
    ingest_set_bucket_hook(srv.ingest, predict_on_bucket, srv.predict);
    http_opts ho = {.listen = &web_listen, .max_connections = cfg->max_connections,
                   .connection_timeout_s = cfg->connection_timeout_s};
    if ((err = http_server_start(&srv, &ho, &srv.http, &eb)) != AUG_OK) {
        fail("cannot start the HTTP server", err, &eb);
        goto out;
    }

    char addr[96];
    http_listen_format(&web_listen, http_server_port(srv.http), addr, sizeof addr);
    atomic_store(&srv.ready, true);
    LOG_INFO("main", "augur started", "version", AUG_VERSION, "listen", addr, "storage", f.storage_path, "config",
             f.config_file);

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            aug_errbuf reb = {{0}};
            server_reload(&srv, &reb);
            continue;
        }
        LOG_INFO("main", "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    exit_code = 0;

out:
    /* Reverse start-up order; every close accepts NULL, so a failed start
     * unwinds through the same path. */
    atomic_store(&srv.shutting_down, true);
    atomic_store(&srv.ready, false);
    http_server_stop(srv.http);
    ingest_close(srv.ingest); /* its last commit still reports buckets to predict */
    predict_close(srv.predict);
    server_export_close(&srv, 5000); /* in-flight sends get 5 s; the rest stays queued on disk */
    store_close(srv.store);
    util_lockfile_release(lock_fd);
    server_cfg_release(&srv, srv.cfg);
    metrics_registry_free(srv.metrics);
    pthread_mutex_destroy(&srv.export_lock);
    pthread_mutex_destroy(&srv.cfg_lock);
    pthread_mutex_destroy(&srv.reload_lock);
    if (exit_code == 0)
        LOG_INFO("main", "augur stopped");
    return exit_code;
}
