/* ctl_check.c — `augurctl check`: validate config files offline (like
 * `promtool check config`) and print the key reference from the table. */
#include "util/common.h"

#include "augurctl.h"
#include "config/config.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: augurctl check config FILE...\n"
                 "       augurctl check keys [--markdown]\n"
                 "\n"
                 "config FILE...  Load and validate each config file exactly as the daemon does.\n"
                 "                Prints 'FILE: ok' and a summary, or every error as\n"
                 "                FILE:LINE:COL: message, the offending line and a caret.\n"
                 "keys            Print every configuration key with its type, default, range\n"
                 "                and whether a reload applies it; --markdown prints the\n"
                 "                reference kept in docs/config.md.\n"
                 "\n"
                 "Exit status: 0 when every file is valid, 1 when one is not, 2 on usage errors.\n");
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static int check_file(const char *path)
{
    cfg_config *cfg = NULL;
    cfg_diag *diag = NULL;
    aug_err err = cfg_load_file(path, &cfg, &diag);
    if (err != AUG_OK) {
        if (diag != NULL)
            cfg_diag_print(diag, stderr);
        else
            fprintf(stderr, "%s: %s\n", path, aug_strerror(err));
        size_t n = cfg_diag_count(diag);
        if (n > 0)
            fprintf(stderr, "%s: FAILED (%zu %s)\n", path, n, plural(n, "error", "errors"));
        cfg_diag_free(diag);
        return 1;
    }
    printf("%s: ok (%zu %s, %zu %s, %zu remote_write %s, %zu keep %s)\n", path, cfg->nforecasts,
           plural(cfg->nforecasts, "forecast", "forecasts"), cfg->nscalers, plural(cfg->nscalers, "scaler", "scalers"),
           cfg->nremote_write, plural(cfg->nremote_write, "target", "targets"), cfg->ingest.keep.n,
           plural(cfg->ingest.keep.n, "selector", "selectors"));
    cfg_free(cfg);
    return 0;
}

int ctl_check(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "keys") == 0) {
        cfg_doc_format fmt = CFG_DOC_TEXT;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--markdown") == 0) {
                fmt = CFG_DOC_MARKDOWN;
            } else {
                fprintf(stderr, "augurctl check keys: unknown argument '%s'\n", argv[i]);
                usage(stderr);
                return 2;
            }
        }
        return cfg_doc_write(stdout, fmt) == AUG_OK ? 0 : 1;
    }
    if (argc < 3 || strcmp(argv[1], "config") != 0) {
        usage(stderr);
        return 2;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        rc |= check_file(argv[i]);
    }
    return rc;
}
