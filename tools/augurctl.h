/* augurctl.h — the subcommands of augurctl, the offline companion (like
 * promtool). Each ctl_<name>.c implements one `int ctl_<name>(argc, argv)`
 * where argv[0] is the subcommand name; it returns the process exit code
 * (0 ok, 1 failure, 2 usage) and prints its own --help. */
#ifndef AUG_TOOLS_AUGURCTL_H
#define AUG_TOOLS_AUGURCTL_H

int ctl_check(int argc, char **argv);
int ctl_forecast(int argc, char **argv);
int ctl_simulate(int argc, char **argv);
int ctl_inspect(int argc, char **argv);
int ctl_backfill(int argc, char **argv);

#endif
