/* augurctl.c — dispatcher for augurctl's subcommands (see augurctl.h). */
#include "util/common.h"

#include "augurctl.h"

typedef struct ctl_cmd {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} ctl_cmd;

static const ctl_cmd cmds[] = {
#ifdef AUGURCTL_HAVE_CHECK
    {"check", ctl_check, "check config FILE: validate a config file, errors with line numbers"},
#endif
#ifdef AUGURCTL_HAVE_FORECAST
    {"forecast", ctl_forecast, "forecast --input F.csv --horizon N [--step S]: forecast a CSV series"},
#endif
#ifdef AUGURCTL_HAVE_SIMULATE
    {"simulate", ctl_simulate, "simulate --trace F.csv --config FILE: replay a trace through a scaler"},
#endif
#ifdef AUGURCTL_HAVE_INSPECT
    {"inspect", ctl_inspect, "inspect --storage.path=DIR: list series, dump rollups as CSV"},
#endif
#ifdef AUGURCTL_HAVE_BACKFILL
    {"backfill", ctl_backfill, "backfill --storage.path=DIR [--config.file=F] [--series S] F.csv...: import CSV history"},
#endif
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: augurctl COMMAND [ARGS]   (augurctl COMMAND --help for details)\n\ncommands:\n");
    for (const ctl_cmd *c = cmds; c->name != NULL; c++)
        fprintf(out, "  %-9s %s\n", c->name, c->help);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("augurctl %s\n", AUG_VERSION);
        return 0;
    }
    for (const ctl_cmd *c = cmds; c->name != NULL; c++) {
        if (strcmp(argv[1], c->name) == 0)
            return c->fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "augurctl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
